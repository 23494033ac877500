"""Which years of a series can be pooled, given a table of year-on-year break flags.

The flag table has the columns of ``ruralrev.quality.load_flags()`` (see the data layer):
``series``, ``province``, ``year_from``, ``year_to``, ``value_from``, ``value_to``,
``change_pct``, ``rule``. A flagged step from ``year_from`` to ``year_to`` means that values up
to ``year_from`` and values from ``year_to`` on are not comparable; a pool of years (entropy
weights, an index normalised over the pool) must then lie on one side of the break. Example:
rural electricity use falls from 1,102 to 10.2 × 10⁸ kWh in Shanghai between 2019 and 2020
(about −35 % nationally), so a pool of 2016–2024 mixes two definitions.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["FLAG_COLUMNS", "break_steps", "comparable_years", "province_flags_at", "flag_summary"]

#: Columns a flag table must carry (``national_change_pct`` is optional).
FLAG_COLUMNS = ("series", "province", "year_from", "year_to", "value_from", "value_to", "change_pct", "rule")


def break_steps(flags: pd.DataFrame, series, min_provinces: int = 1) -> list[tuple[int, int]]:
    """Flagged steps ``(year_from, year_to)`` of one or several series, each flagged in at least
    ``min_provinces`` provinces, sorted."""
    missing = [c for c in FLAG_COLUMNS if c not in flags.columns]
    if missing:
        raise ValueError(f"flag table lacks column(s) {missing}; expected {list(FLAG_COLUMNS)}")
    if min_provinces < 1:
        raise ValueError(f"min_provinces must be at least 1, got {min_provinces}")
    names = [series] if isinstance(series, str) else list(series)
    chosen = flags[flags["series"].isin(names)]
    counts = chosen.groupby(["year_from", "year_to"])["province"].nunique()
    return sorted((int(a), int(b)) for (a, b), n in counts.items() if n >= min_provinces)


def comparable_years(flags: pd.DataFrame, series, years, min_provinces: int = 1,
                     containing: int | None = None) -> list[int]:
    """The longest run of ``years`` that no flagged break of ``series`` cuts (the later run on a
    tie), or the run that holds the year ``containing``.

    Parameters
    ----------
    flags : DataFrame
        Break flags with :data:`FLAG_COLUMNS`.
    series : str or list of str
        Series code(s); with several, a break in any of them cuts the run.
    years : iterable of int
        Candidate years (need not be consecutive: a run is a set of listed years between breaks).
    min_provinces : int
        Ignore steps flagged in fewer provinces.
    containing : int, optional
        Return the run holding this year (which must be among ``years``) instead of the longest:
        the years that can be pooled with it.

    Returns
    -------
    list of int
        The years over which the series are comparable; all ``years`` when nothing is flagged.

    Examples
    --------
    >>> flags = pd.DataFrame({"series": ["rural_electricity"], "province": ["Shanghai"], "year_from": [2019],
    ...                       "year_to": [2020], "value_from": [1102.0], "value_to": [10.2],
    ...                       "change_pct": [-99.1], "rule": ["jump"]})
    >>> comparable_years(flags, "rural_electricity", range(2016, 2025))
    [2020, 2021, 2022, 2023, 2024]
    >>> comparable_years(flags, "rural_electricity", range(2016, 2025), containing=2018)
    [2016, 2017, 2018, 2019]
    """
    years = sorted(int(y) for y in years)
    if not years:
        raise ValueError("no candidate years")
    runs, current = [], [years[0]]
    steps = break_steps(flags, series, min_provinces)
    for previous, year in zip(years, years[1:]):
        if any(start < year and previous < end for start, end in steps):   # the step falls in the gap
            runs.append(current)
            current = []
        current.append(year)
    runs.append(current)
    if containing is not None:
        holding = [run for run in runs if int(containing) in run]
        if not holding:
            raise ValueError(f"{containing} is not among the candidate years {years}")
        return holding[0]
    return max(reversed(runs), key=len)


def province_flags_at(flags: pd.DataFrame, year: int) -> pd.DataFrame:
    """Province-level breaks whose step starts or ends in ``year``.

    A cross-section of one year compares provinces, not years, so a *national* break (every
    province changes definition together, rule ``national-break``) leaves it internally
    comparable. A break of one province alone (rule ``province-break``: a revision, a
    redefinition, an error) puts that province's value in ``year`` on one side of a step the
    other provinces do not share, when ``year`` is either end of the step; those are the rows
    returned.
    """
    missing = [c for c in FLAG_COLUMNS if c not in flags.columns]
    if missing:
        raise ValueError(f"flag table lacks column(s) {missing}; expected {list(FLAG_COLUMNS)}")
    touching = (flags["year_from"] == year) | (flags["year_to"] == year)
    return flags[touching & (flags["rule"] == "province-break")].reset_index(drop=True)


def flag_summary(flags_by_code: dict[str, pd.DataFrame], year: int) -> pd.DataFrame:
    """One row per indicator: what its break flags mean for pooling years and for a cross-section.

    ``flags_by_code`` maps an indicator code to its flags (e.g. ``ruralrev.quality.flags_for``).
    Columns: ``indicator``; ``national_breaks`` (steps flagged as national breaks, e.g.
    ``"2019→2020"``, empty when none); ``province_flags`` (number of province-level flags, any
    year) and ``provinces`` (how many provinces they touch); ``at_year`` (provinces whose own
    step starts or ends in ``year``, :func:`province_flags_at`, comma-separated).
    """
    rows = []
    for code, flags in flags_by_code.items():
        missing = [c for c in FLAG_COLUMNS if c not in flags.columns]
        if missing:
            raise ValueError(f"flags of {code} lack column(s) {missing}")
        national = flags[flags["rule"] == "national-break"]
        own = flags[flags["rule"] == "province-break"]
        steps = sorted({(int(a), int(b)) for a, b in zip(national["year_from"], national["year_to"])})
        rows.append({"indicator": code, "national_breaks": ", ".join(f"{a}→{b}" for a, b in steps),
                     "province_flags": len(own), "provinces": own["province"].nunique(),
                     "at_year": ", ".join(sorted(province_flags_at(flags, year)["province"].unique()))})
    return pd.DataFrame(rows)

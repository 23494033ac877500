"""Which years of a series can be pooled, given a table of year-on-year break flags.

The flag table has the columns of ``ruralrev.data.breaks.flags.load_flags()`` (see the data layer):
``series``, ``province``, ``year_from``, ``year_to``, ``value_from``, ``value_to``,
``change_pct``, ``rule``. A flagged step from ``year_from`` to ``year_to`` means that values up
to ``year_from`` and values from ``year_to`` on are not comparable; a pool of years (entropy
weights, an index normalised over the pool) must then lie on one side of the break. Example:
rural electricity use falls from 1,102 to 10.2 × 10⁸ kWh in Shanghai between 2019 and 2020
(about −35 % nationally), so a pool of 2016–2024 mixes two definitions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ruralrev.data.breaks.flags import flags_for

__all__ = ["FLAG_COLUMNS", "break_steps", "comparable_years", "province_flags_at", "flag_summary", "Reversal", "reversals", "UsualGrowth", "usual_growth", "after_over_before", "POOL_RULES", "complete_years", "pool_years", "span", "year_runs"]

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

    ``flags_by_code`` maps an indicator code to its flags (e.g. ``ruralrev.data.breaks.flags.flags_for``).
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


@dataclass(frozen=True)
class Reversal:
    """Provinces whose flagged step into a national-break year is undone by the next one.

    ``table`` has one row per province: ``province``, ``year`` (the middle year),
    ``value_before``, ``value_mid``, ``value_after``, ``change_in_pct``, ``change_out_pct`` and
    ``after_over_before_pct`` (the value after the reversal as a percentage of the value before).
    ``flagged_in`` and ``flagged_out`` count the provinces flagged on each step.
    """

    series: str
    year: int
    table: pd.DataFrame
    flagged_in: int
    flagged_out: int

    @property
    def provinces(self) -> list[str]:
        return list(self.table["province"])

    @property
    def direction(self) -> str | None:
        """``"fall"`` when every reversing province falls into the middle year, ``"rise"`` when every
        one rises, ``None`` when they differ."""
        change = self.table["change_in_pct"]
        return "fall" if (change < 0).all() else "rise" if (change > 0).all() else None


def reversals(flags: pd.DataFrame, series: str) -> list[Reversal]:
    r"""Consecutive national-break steps of ``series`` that the same provinces take in opposite
    directions: flagged on :math:`t-1 \to t` and again on :math:`t \to t+1`, with

    .. math:: \operatorname{sign}(x_t - x_{t-1}) = -\operatorname{sign}(x_{t+1} - x_t).

    Two breaks of the whole series in a row can be two changes of definition, or one anomalous
    year :math:`t` in the provinces that move out and back; the second reading predicts that the
    same provinces reverse and land where the other provinces land (:func:`after_over_before`; for
    a growing series above their level of :math:`t-1`). This function returns the
    evidence for it; it does not choose between the readings (Wooldridge, *Introductory
    Econometrics*, 7th ed., 2020, ch. 13, on changes of definition in panels).

    Returns
    -------
    list of Reversal
        One per middle year with at least one reversing province, sorted by year.

    Examples
    --------
    >>> rows = [("A", 2021, 2022, 10.0, 5.0), ("A", 2022, 2023, 5.0, 11.0), ("B", 2022, 2023, 4.0, 6.0)]
    >>> flags = pd.DataFrame([{"series": "s", "province": p, "year_from": a, "year_to": b, "value_from": u,
    ...                        "value_to": v, "change_pct": 100 * (v / u - 1), "rule": "national-break"}
    ...                       for p, a, b, u, v in rows])
    >>> [(r.year, r.provinces, r.flagged_in, r.flagged_out) for r in reversals(flags, "s")]
    [(2022, ['A'], 1, 2)]
    """
    missing = [c for c in FLAG_COLUMNS if c not in flags.columns]
    if missing:
        raise ValueError(f"flag table lacks column(s) {missing}; expected {list(FLAG_COLUMNS)}")
    national = flags[(flags["series"] == series) & (flags["rule"] == "national-break")
                     & (flags["year_to"] == flags["year_from"] + 1)]
    national = national.assign(**{c: pd.to_numeric(national[c]) for c in ("value_from", "value_to", "change_pct")})
    by_step = {int(b): part.set_index("province") for b, part in national.groupby("year_to")}
    found = []
    for year in sorted(by_step):
        if year + 1 not in by_step:
            continue
        into, out = by_step[year], by_step[year + 1]
        both = into.index.intersection(out.index)
        opposite = [p for p in both if (into.at[p, "change_pct"] > 0) != (out.at[p, "change_pct"] > 0)]
        if not opposite:
            continue
        table = pd.DataFrame({
            "province": sorted(opposite), "year": year,
            "value_before": [float(into.at[p, "value_from"]) for p in sorted(opposite)],
            "value_mid": [float(into.at[p, "value_to"]) for p in sorted(opposite)],
            "value_after": [float(out.at[p, "value_to"]) for p in sorted(opposite)],
            "change_in_pct": [float(into.at[p, "change_pct"]) for p in sorted(opposite)],
            "change_out_pct": [float(out.at[p, "change_pct"]) for p in sorted(opposite)]})
        table["after_over_before_pct"] = 100 * table["value_after"] / table["value_before"]
        found.append(Reversal(series, year, table, len(into), len(out)))
    return found


@dataclass(frozen=True)
class UsualGrowth:
    """:func:`usual_growth`: the median yearly change (per cent) and the years it is taken over."""

    pct: float
    years: tuple


def usual_growth(totals: pd.Series, flags: pd.DataFrame, series: str, since: int | None = None) -> UsualGrowth:
    r"""Median year-on-year change (per cent, signed) of ``totals`` (indexed by year) over the years
    after ``since`` that are not national breaks of ``series``:

    .. math:: g = \operatorname{median}_{t \notin B,\ t > s}\ 100\,(x_t / x_{t-1} - 1),

    *B* the ``year_to`` of its ``national-break`` flags. With ``since`` the last change of
    definition, the growth an ordinary year shows under the definition in use: the yardstick for a
    break year's change (a growing series is measured by how far a year departs from its usual
    growth, not by the size of its change). Few years make a fragile median: ``years`` says which."""
    national = set(flags.loc[(flags["series"] == series) & (flags["rule"] == "national-break"), "year_to"].astype(int))
    change = 100 * totals.pct_change().dropna()
    years = tuple(int(t) for t in change.index if int(t) not in national and (since is None or int(t) > since))
    return UsualGrowth(float(change.loc[list(years)].median()), years)


def after_over_before(panel: pd.DataFrame, reversal: Reversal) -> dict[str, float]:
    r"""The total of ``reversal.series`` in :math:`t+1` as a percentage of :math:`t-1`, for the
    reversing provinces together and for every other province together:
    :math:`100 \sum_{i \in R} x_{i,t+1} / \sum_{i \in R} x_{i,t-1}` and the same over the rest.
    Under the one-year-anomaly reading the reversing provinces end where the others do (for a
    growing series, above their level of :math:`t-1`)."""
    year, reversing = reversal.year, set(reversal.provinces)
    wide = panel.pivot(index="province", columns="year", values=reversal.series)
    inside = wide.index.isin(list(reversing))
    return {group: float(100 * part[year + 1].sum() / part[year - 1].sum())
            for group, part in (("reversing", wide[inside]), ("others", wide[~inside]))}


POOL_RULES = ("comparable", "national", "all")



def complete_years(panel: pd.DataFrame, indicators) -> list[int]:
    """Years in which every indicator has a value for every province of the panel."""
    codes = list(indicators)
    provinces = panel["province"].nunique()
    counts = panel.groupby("year")[codes].count()
    return [int(y) for y, row in counts.iterrows() if (row == provinces).all()]



def _default_flags_of(code: str) -> pd.DataFrame:

    return flags_for(code)



def pool_years(panel: pd.DataFrame, indicators, year: int, rule: str = "comparable",
               flags_of: Callable[[str], pd.DataFrame] | None = None) -> tuple[int, ...]:
    """The years an index of ``indicators`` may pool with ``year``, by ``rule``.

    Always within the years in which every indicator covers every province, and always the run
    that holds the ranked year. The rules:

    ``"comparable"``
        no flagged break of any input series, national or provincial, falls inside the pool
        (:func:`comparable_years` on all flags);
    ``"national"``
        only national breaks (rule ``national-break``: every province changes together) cut the
        pool; single-province revisions are ignored;
    ``"all"``
        every complete year, breaks ignored (the literature's usual recipe).

    Parameters
    ----------
    panel : DataFrame
        The province panel.
    indicators : iterable of str
        Indicator codes (a dict's keys will do).
    year : int
        The year the index ranks; it must be complete for every indicator.
    rule : {"comparable", "national", "all"}
        Which breaks cut the pool.
    flags_of : callable, optional
        Code → its break flags (columns of :data:`ruralrev.data.breaks.pooling.FLAG_COLUMNS`); by
        default :func:`ruralrev.data.breaks.flags.flags_for` (the committed flags of the published series
        in the indicator's formula).

    Returns
    -------
    tuple of int
    """
    if rule not in POOL_RULES:
        raise ValueError(f"rule must be one of {POOL_RULES}, got {rule!r}")
    complete = complete_years(panel, indicators)
    if int(year) not in complete:
        raise ValueError(f"{year}: not every index indicator covers every province (complete years: {complete})")
    if rule == "all":
        return tuple(complete)
    flags_of = flags_of or _default_flags_of
    frames = [flags_of(code) for code in indicators]
    flags = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(FLAG_COLUMNS))
    if rule == "national":
        flags = flags[flags["rule"] == "national-break"]
    series = sorted(set(flags["series"]))
    return tuple(comparable_years(flags, series, complete, containing=int(year)))



def span(years) -> str:
    """``2016–2023`` for a run of years, ``2023`` for one year."""
    years = sorted(int(y) for y in years)
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def year_runs(years) -> list[str]:
    """The years as runs of consecutive years, each as :func:`span` writes it, in order:
    2017, 2018, 2019, 2022 → ``["2017–2019", "2022"]`` (a page joins them in its own words)."""
    years = sorted({int(y) for y in years})
    runs, start = [], 0
    for i in range(1, len(years) + 1):
        if i == len(years) or years[i] != years[i - 1] + 1:
            runs.append(span(years[start:i]))
            start = i
    return runs

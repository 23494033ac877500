"""Checks of the rural broadband convergence against the operators' reclassifications.

An account moved between the operators' urban and rural classes changes the rural rate but not
*total* subscriptions. Moving accounts into the rural class of a province with a low rural rate
narrows the rural rate's spread across provinces with no change of take-up, and the total's spread
does not move. Two checks follow from that, and one caution: :func:`total_rate_inequality` sets
the inequality of the total rate, and of the rural rate with the flagged reclassifications undone
(:func:`undo_offsets`), beside that of the rural rate; :func:`selection_profile` shows how the
provinces never flagged, a sample selected on the outcome, differ from the flagged ones.

References
----------
Theil, H. (1967). *Economics and Information Theory*. North-Holland, chapter 4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ruralrev.stats.inequality.measures import theil_t

__all__ = ["undo_offsets", "rebounded_falls", "total_rate_inequality", "selection_profile"]

RURAL_RATE = "rural_broadband_per_100_rural_residents"


def undo_offsets(panel: pd.DataFrame, kinds: pd.DataFrame, spare=()) -> pd.DataFrame:
    r"""The panel with every flagged change offset by urban subscribers treated as a reclassification
    and undone.

    For a flag of province *i* closing in year *t* with rural change :math:`\Delta^r` and an urban
    change :math:`\Delta^u` of the opposite sign, the mirrored part

    .. math:: m = \operatorname{sign}(\Delta^r)\,\min(|\Delta^r|, |\Delta^u|)

    is taken to be accounts moved between the classes: it is taken out of the rural subscribers
    (and put back into the urban ones) in year *t* and every later year. The rural rate of those
    province-years is recomputed from the adjusted count (the others keep the panel's value); the
    total does not change.

    Parameters
    ----------
    panel : DataFrame
        The panel (:func:`ruralrev.data.official.load_panel`).
    kinds : DataFrame
        :func:`ruralrev.chapters.digital.broadband.broadband_flag_kinds` of the rural flags; rows of
        kind ``offset by urban`` are undone, the others ignored.
    spare : iterable of str, optional
        Provinces whose flagged changes are left as published (e.g. :func:`rebounded_falls`).

    Returns
    -------
    DataFrame
        A copy of ``panel`` with ``rural_broadband_users``, ``urban_broadband_users`` and
        ``rural_broadband_per_100_rural_residents`` adjusted.
    """
    out = panel.copy()
    spared = set(spare)
    for flag in kinds[(kinds["kind"] == "offset by urban") & ~kinds["province"].isin(spared)].itertuples():
        moved = np.sign(flag.rural_change) * min(abs(flag.rural_change), abs(flag.urban_change))
        rows = (out["province"] == flag.province) & (out["year"] >= flag.year_to)
        out.loc[rows, "rural_broadband_users"] -= moved
        out.loc[rows, "urban_broadband_users"] += moved
        out.loc[rows, RURAL_RATE] = 100 * out.loc[rows, "rural_broadband_users"] / out.loc[rows, "rural_population"]
    return out


def rebounded_falls(kinds: pd.DataFrame) -> list[str]:
    """Provinces with a flagged fall of rural subscribers offset by urban ones that a *later* flagged
    rise of rural subscribers follows, sorted.

    :func:`undo_offsets` puts the mirrored part of such a fall back into the rural count from the
    fall on. If the later rise is the same accounts moved back, they are then counted twice from
    the rise on; sparing these provinces is the other reading of the same flags.

    ``kinds`` is :func:`ruralrev.chapters.digital.broadband.broadband_flag_kinds` of the rural flags.
    """
    falls = kinds[(kinds["kind"] == "offset by urban") & (kinds["rural_change"] < 0)]
    rises = kinds[kinds["rural_change"] > 0]
    return sorted({fall.province for fall in falls.itertuples()
                   if ((rises["province"] == fall.province) & (rises["year_to"] > fall.year_to)).any()})


def _theil(part: pd.DataFrame, year: int, name: str, rate, weight: str) -> float:
    one = part[part["year"] == year]
    x = one[rate] if isinstance(rate, str) else rate(one)
    keep = x.notna() & one[weight].notna()
    if keep.sum() < len(one):
        raise ValueError(f"{name} broadband rate missing in {year} for {sorted(one.loc[~keep, 'province'])}")
    return theil_t(x.to_numpy(float), one[weight].to_numpy(float))


def total_rate_inequality(panel: pd.DataFrame, provinces, start: int, end: int,
                          kinds: pd.DataFrame | None = None, spare=()) -> pd.DataFrame:
    r"""Theil T of the rural rate (weights: rural population) and of the total rate (total
    subscriptions per 100 residents; weights: total population) in ``start`` and ``end`` on
    ``provinces``; with ``kinds``, also of the rural rate with the flagged offsets undone
    (:func:`undo_offsets`); with ``kinds`` and ``spare``, also of the rural rate with the offsets
    undone except in the provinces ``spare`` (e.g. :func:`rebounded_falls`).

    .. math:: T = \sum_i \frac{p_i}{P}\frac{x_i}{\bar x}\ln\frac{x_i}{\bar x},\qquad
              x_i = 100\,\frac{\text{subscriptions}_i}{\text{residents}_i}

    A fall of the total's inequality is convergence that no reclassification can produce; it says
    nothing about how much of the *rural* rate's fall is reclassification, because the total mixes
    both classes. The undone rural rate answers that for the flagged reclassifications (not for
    changes too small to be flagged).

    Returns
    -------
    DataFrame
        Rows ``rural``, ``total`` (and ``rural, offsets undone``, ``rural, undone but spared``); columns ``first``, ``last``,
        ``change_pct`` (100 × (last / first − 1)).
    """
    part = panel[panel["province"].isin(list(provinces))]
    total = lambda one: 100 * one["broadband_users"] / one["total_population"]   # noqa: E731
    cases = [("rural", part, RURAL_RATE, "rural_population"), ("total", part, total, "total_population")]
    if kinds is not None:
        cases.append(("rural, offsets undone", undo_offsets(part, kinds), RURAL_RATE, "rural_population"))
        if list(spare):
            cases.append(("rural, undone but spared", undo_offsets(part, kinds, spare), RURAL_RATE,
                          "rural_population"))
    rows = {}
    for name, frame, rate, weight in cases:
        first, last = (_theil(frame, year, name, rate, weight) for year in (start, end))
        rows[name] = {"first": first, "last": last, "change_pct": 100 * (last / first - 1)}
    return pd.DataFrame(rows).T


def selection_profile(panel: pd.DataFrame, code: str, provinces, never, start: int, end: int) -> pd.DataFrame:
    """Median starting value of ``code`` and median log growth ``start``–``end`` of the never-flagged
    provinces (``never``) and the flagged others among ``provinces``. Rows ``never flagged`` and
    ``flagged``; columns ``provinces``, ``median_first``, ``median_growth``.

    The quality rule flags changes that outrun the province's history, so "never flagged" is a
    sample selected on the outcome; this shows how it differs at the start and over the window."""
    wide = panel[panel["year"].isin([start, end])].pivot(index="province", columns="year", values=code)
    wide = wide.loc[list(provinces)]
    growth = np.log(wide[end] / wide[start])
    groups = {"never flagged": [p for p in provinces if p in set(never)],
              "flagged": [p for p in provinces if p not in set(never)]}
    return pd.DataFrame({name: {"provinces": len(members), "median_first": float(wide.loc[members, start].median()),
                                "median_growth": float(growth.loc[members].median())}
                         for name, members in groups.items()}).T

r"""Two adjacent years whose values look exchanged: a pair that jumps and returns across the provinces.

An export whose year columns were relabelled, or whose values for two years were pasted the wrong
way round, passes every per-value check: each number is plausible, only the order is wrong. For a
growing series it shows as a jump in year :math:`t` and a fall back in :math:`t+1` in every province
(rural income: +11 %, −5 %, +11 % around a usual +6 %); the year-on-year break rules
(:mod:`ruralrev.data.breaks.flags`) miss it, since each change stays within :math:`\tau` of the usual.
:func:`swap_table` measures how much better each province fits with two years exchanged,
:func:`swapped_years` flags the pairs, and :func:`swapped_pairs` summarises them for the data page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SWAP_SHARE", "SWAP_MIN_PROVINCES", "SWAP_RULE", "SWAP_RULE_TEXT", "swap_table", "swapped_years",
           "swapped_pairs"]

SWAP_SHARE = 0.8
SWAP_MIN_PROVINCES = 10
SWAP_RULE = "swapped-years"
SWAP_RULE_TEXT = ("at least 80 % of the provinces publishing the years around t and t+1 fit their own median "
                  "year-on-year change better with the values of t and t+1 exchanged (sum of |Δ − own median Δ| "
                  "over the changes into t, t+1 and t+2)")
_COLUMNS = ["series", "province", "year_from", "year_to", "value_from", "value_to", "change_pct",
            "typical_change_pct", "national_change_pct", "rule"]


def _pct(log_change: float) -> str:
    return f"{100 * np.expm1(log_change):.1f}"


def swap_table(observations: pd.DataFrame) -> pd.DataFrame:
    r"""For every series, province and adjacent pair of years: the costs as printed and exchanged.

    Columns: series, province, year (:math:`t`), printed, exchanged (:math:`c_i`, :math:`c'_i`),
    own (:math:`m_i`), change (log change from :math:`t` to :math:`t+1`), national (log change of the
    provinces' sum), prefers (:math:`c'_i < c_i`), share (of the pair's provinces that prefer), n.

    Notes
    -----
    The test, for a series, a province :math:`i` and adjacent years :math:`t, t+1`: with
    :math:`L_s = \ln x_{is}` and :math:`m_i` the province's median year-on-year change outside the
    changes into :math:`t`, :math:`t+1` and :math:`t+2` (all its changes when fewer than two are left),

    .. math::

        c_i = |L_t - L_{t-1} - m_i| + |L_{t+1} - L_t - m_i| + |L_{t+2} - L_{t+1} - m_i|, \qquad
        c'_i = |L_{t+1} - L_{t-1} - m_i| + |L_t - L_{t+1} - m_i| + |L_{t+2} - L_t - m_i|,

    the distance of the three changes from the usual as printed and with the two years exchanged (a
    term whose year is missing is left out, at least one of :math:`t-1` and :math:`t+2` is needed).
    """
    obs = observations.assign(x=observations["value"].astype(float), year=observations["year"].astype(int))
    columns = ["series", "province", "year", "printed", "exchanged", "own", "change", "national", "prefers", "usable",
               "value_from", "value_to", "n", "share"]
    frames = []
    for series, part in obs.groupby("indicator", sort=False):
        wide = part.pivot_table(index="province", columns="year", values="x", aggfunc="first")
        texts = part.pivot(index="province", columns="year", values="value").reindex(index=wide.index, columns=wide.columns)
        logs = np.log(wide.where(wide > 0))
        changes = logs.diff(axis=1)
        typical = changes.median(axis=1).to_numpy()     # a province's own median over all its changes
        years = list(logs.columns)
        column = {year: i for i, year in enumerate(years)}
        values, log_values, text_values = wide.to_numpy(), logs.to_numpy(), texts.to_numpy()
        missing = np.full(len(logs), np.nan)
        for t in years:
            if t + 1 not in column:
                continue
            before, now, after, later = (log_values[:, column[y]] if y in column else missing for y in (t - 1, t, t + 1, t + 2))
            rest = changes.drop(columns=[y for y in (t, t + 1, t + 2) if y in column])
            own = np.where(rest.notna().sum(axis=1).to_numpy() >= 2, rest.median(axis=1).to_numpy(), typical)
            change = after - now
            usable = ~np.isnan(change) & (~np.isnan(before) | ~np.isnan(later)) & ~np.isnan(own)
            printed = (np.nan_to_num(np.abs(now - before - own)) + np.abs(change - own)
                       + np.nan_to_num(np.abs(later - after - own)))
            exchanged = (np.nan_to_num(np.abs(after - before - own)) + np.abs(-change - own)
                         + np.nan_to_num(np.abs(later - now - own)))
            x_now, x_after = values[:, column[t]], values[:, column[t + 1]]
            both = usable & ~np.isnan(x_now) & ~np.isnan(x_after)
            national = np.log(x_after[both].sum() / x_now[both].sum()) if both.any() else np.nan
            prefers = (exchanged < printed)[usable]
            frames.append(pd.DataFrame({
                "series": series, "province": logs.index[usable], "year": t, "printed": printed[usable],
                "exchanged": exchanged[usable], "own": own[usable], "change": change[usable], "national": national,
                "prefers": prefers, "usable": True, "value_from": text_values[usable, column[t]],
                "value_to": text_values[usable, column[t + 1]], "n": int(usable.sum()),
                "share": prefers.mean() if usable.any() else np.nan}, columns=columns))
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)


def swapped_years(observations: pd.DataFrame) -> pd.DataFrame:
    r"""The ``swapped-years`` flags of ``observations``, columns as ``quality.csv``.

    Notes
    -----
    The pair :math:`(t, t+1)` is **swapped-years** when at least :data:`SWAP_SHARE` = 80 % of the
    :math:`N \ge 10` provinces with these years fit better exchanged (:math:`c'_i < c_i`, the costs of
    :func:`swap_table`). Province series move for their own reasons, so a few provinces always fit
    better exchanged: in the committed data at most 65 % in any pair (all-residents consumption
    2019/2020, around the 2020 fall), against 94–100 % when two years of rural income or rural
    population are exchanged in the exports. A flat
    series (sown area, grain output) exchanged moves too little to be told apart; its swap is also
    the least harmful.

    The flag is one row per province that fits better exchanged, in the columns of ``quality.csv``
    (``year_from`` = :math:`t`, ``year_to`` = :math:`t+1`, ``change_pct`` the printed change between
    them, ``typical_change_pct`` :math:`m_i`).
    """
    table = swap_table(observations)
    chosen = table[(table["n"] >= SWAP_MIN_PROVINCES) & (table["share"] >= SWAP_SHARE) & table["prefers"]]
    rows = pd.DataFrame({"series": chosen["series"], "province": chosen["province"],
                         "year_from": chosen["year"].astype(int), "year_to": chosen["year"].astype(int) + 1,
                         "value_from": chosen["value_from"], "value_to": chosen["value_to"],
                         "change_pct": chosen["change"].map(_pct), "typical_change_pct": chosen["own"].map(_pct),
                         "national_change_pct": chosen["national"].map(_pct), "rule": SWAP_RULE})
    return rows[_COLUMNS].reset_index(drop=True)


def swapped_pairs(flags: pd.DataFrame) -> pd.DataFrame:
    """One row per series and pair of years flagged ``swapped-years``: series, year_from, year_to, provinces."""
    part = flags[flags["rule"] == SWAP_RULE]
    if part.empty:
        return pd.DataFrame(columns=["series", "year_from", "year_to", "provinces"])
    return (part.groupby(["series", "year_from", "year_to"], sort=False)["province"].nunique()
            .rename("provinces").reset_index())

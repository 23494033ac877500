r"""Year-on-year breaks in the published series: flagged at build, never corrected.

The snapshot builder runs :func:`detect` on every published value (all years, all series); a
change unlike the province's own history and the rest of the country, or shared by a break of
the whole series (:func:`changes`), is flagged, a ×10 slip stops the build, and two exchanged
years are flagged by :mod:`ruralrev.data.breaks.swaps`. Flags go to ``data/official/quality.csv``
(one row per flagged change; see :data:`COLUMNS`), which the data chapter shows and analyses read
with :func:`load_flags`, :func:`flagged_series` and :func:`flags_for` (a derived indicator
inherits the flags of the published series in its formula). The rule finds breaks; whether a
break is a revision, a new definition or real change is for the reader of the flag to judge.

References
----------
OECD (2003). *Quality Framework and Guidelines for OECD Statistical Activities*, on coherence over
time; the robust (median-based) reference follows common practice in outlier screening of
official time series.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ruralrev.data import official, registry
from ruralrev.data.breaks.swaps import SWAP_RULE, SWAP_RULE_TEXT, swapped_years

__all__ = ["TAU", "SHARE", "EXTREME", "RULES", "COLUMNS", "ACCEPTED", "QualityError", "changes", "detect", "load_flags",
           "exempted_runs", "flagged_series", "flags_for", "flagged_indicators", "summary", "quiet_series"]

TAU = 0.2
#: Share of the provinces that must leave their own history together (one direction) for a shared break.
SHARE = 0.25
EXTREME = float(np.log(5))
RULES = {
    "province-break": "|Δ − own median Δ| > 0.2 and |Δ − rest-of-country Δ| > 0.2 (Δ = year-on-year log change)",
    "national-break": "|Δ − own median Δ| > 0.2 in a year when the rest of the country's Δ departs from its own "
                      "median by > 0.2, or at least a quarter of the provinces depart from their own median by "
                      "> 0.2 in one direction, in that year alone",
    SWAP_RULE: SWAP_RULE_TEXT,
}
COLUMNS = ["series", "province", "year_from", "year_to", "value_from", "value_to", "change_pct",
           "typical_change_pct", "national_change_pct", "rule"]
#: Extreme changes verified against the printed source: (series, province, year_to) -> reason.
ACCEPTED: dict[tuple[str, str, int], str] = {}


class QualityError(official.SnapshotError):
    """A published value breaks a hard quality rule; the build stops."""


def _leave_one_out_median(values: np.ndarray) -> np.ndarray:
    """Element k: the median of ``values`` without element k (NaN for fewer than three values)."""
    n = len(values)
    if n < 3:
        return np.full(n, np.nan)
    others = np.broadcast_to(values, (n, n))[~np.eye(n, dtype=bool)].reshape(n, n - 1)   # row k: all but k
    return np.median(others, axis=1)


def _share_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per year: the shares of provinces more than :data:`TAU` above / below their own typical change,
    whether a share reaches :data:`SHARE` (``met``) and whether that year stands alone (``alone``)."""
    off = pairs["d"] - pairs["own"]
    by_year = pairs["year_to"]
    shares = pd.DataFrame({"up": (off > TAU).groupby(by_year).mean(), "down": (off < -TAU).groupby(by_year).mean()})
    shares = shares[by_year.value_counts().reindex(shares.index) >= 10]  # a share needs provinces
    share = shares >= SHARE
    before = share.reindex(share.index - 1, fill_value=False).to_numpy()
    after = share.reindex(share.index + 1, fill_value=False).to_numpy()
    alone = share & ~before & ~after
    return shares.assign(met=share.any(axis=1), alone=alone.any(axis=1))


def _shared_break_years(pairs: pd.DataFrame) -> pd.Series:
    """Rows whose year is a shared break: a share of at least :data:`SHARE` of the provinces moved more
    than :data:`TAU` away from their own typical change in one direction, and the years before and
    after did not in the same direction (a run in one direction is a change of trend)."""
    table = _share_table(pairs)
    return pairs["year_to"].isin(set(table.index[table["alone"]]))


def exempted_runs(observations: pd.DataFrame) -> pd.DataFrame:
    r"""Years that meet the share criterion of a shared break but are not flagged as one, because a
    neighbouring year meets it in the same direction (a run, read as a change of trend).

    The criterion: in year :math:`t` a share :math:`\geq` :data:`SHARE` of the provinces has
    :math:`\Delta_{it} - \tilde\Delta_{i} > \tau` (or :math:`< -\tau`), with
    :math:`\tilde\Delta_i` the province's median change in its other years. A run rule cannot tell a
    change of trend from a break taken in two steps; this table lists what it exempted.

    Returns
    -------
    DataFrame
        Columns ``series``, ``year_to``, ``up_pct``, ``down_pct`` (shares of provinces, %).
    """
    table = changes(observations)
    rows = []
    for series, pairs in table.groupby("series", sort=False):
        shares = _share_table(pairs)
        for year, row in shares[shares["met"] & ~shares["alone"]].iterrows():
            rows.append({"series": series, "year_to": int(year), "up_pct": 100 * row["up"], "down_pct": 100 * row["down"]})
    return pd.DataFrame(rows, columns=["series", "year_to", "up_pct", "down_pct"])


def changes(observations: pd.DataFrame) -> pd.DataFrame:
    r"""Every consecutive-year change of every series and province, with the references of the rules.

    Columns: series, province, year_from, year_to, value_from, value_to (printed text), d, own,
    rest, national, national_typical (log changes), national_break (bool), file, line (of value_to).

    Notes
    -----
    For a province :math:`i` and consecutive years :math:`t-1, t` with both values positive, let

    .. math::

        d_{it} = \ln\frac{x_{it}}{x_{i,t-1}}, \qquad
        m_{it} = \operatorname{median}_{s \ne t} d_{is}, \qquad
        r_{it} = \ln\frac{\sum_{j \ne i} x_{jt}}{\sum_{j \ne i} x_{j,t-1}}, \qquad
        n_t = \ln\frac{\sum_j x_{jt}}{\sum_j x_{j,t-1}},

    the province's change, its own typical change (median of its other year-on-year changes; the rest
    of the country's change when it has fewer than two), the change of the rest of the country (sums
    over the other provinces publishing both years; for per-capita series, of their unweighted mean)
    and the national change (reported, not used by the rules). Year :math:`t` is a **national break**
    for province :math:`i` when :math:`r_{it}` departs from the median of :math:`r_{is}, s \ne t` by
    more than :math:`\tau` = :data:`TAU` in that year alone (not in year :math:`t-1` or :math:`t+1`: a run of
    unusual years is a change of trend, such as the early growth of mobile traffic, not a break).
    The rest of the country, not the whole, so that one province's slip cannot make a national break.

    That aggregate test misses a redefinition that moves many provinces but the total little (large
    provinces change less, or changes offset). So year :math:`t` is also a national break (a
    **shared break**) when a share of at least :math:`\pi` = :data:`SHARE` = 1/4 of the
    :math:`N_t \ge 10` provinces publishing both years left their own history together, in one
    direction,

    .. math::

        u^{+}_t = \frac{1}{N_t}\sum_i \mathbf 1[d_{it} - m_{it} > \tau], \qquad
        u^{-}_t = \frac{1}{N_t}\sum_i \mathbf 1[d_{it} - m_{it} < -\tau], \qquad
        u^{\pm}_t \ge \pi,

    and :math:`u^{\pm}_{t-1} < \pi`, :math:`u^{\pm}_{t+1} < \pi` in that same direction (a run in one
    direction is again a change of trend; a fall followed by a rise is two breaks). Without a break a
    province leaves its own history by more than :math:`\tau` rarely and for its own reasons: in the
    published series at most 16 % of the provinces do so in any year outside the shared breaks and
    the trend runs, against 35–45 % in the rural-electricity years 2020, 2022 and 2023 (the aggregate
    test saw only 2020; in 2023 the rest of the country rose by about 0.19 log points against a typical
    0.01–0.03, under :math:`\tau`, while 12 provinces rose 26–104 %). The early growth of mobile traffic
    (2017–2019) and of rural broadband (2017–2018), and the slowdown of mobile traffic (2022–2024), are
    same-direction runs and stay trend changes.
    """
    obs = observations.assign(number=observations["value"].astype(float), year=observations["year"].astype(int))
    obs = obs[obs["number"] > 0]
    frames = []
    for series, part in obs.groupby("indicator", sort=False):
        now = part.rename(columns={"year": "year_to", "value": "value_to", "number": "x_to"})
        before = part[["province", "year", "value", "number"]].rename(
            columns={"value": "value_from", "number": "x_from"}).assign(year_to=lambda f: f["year"] + 1)
        pairs = now.merge(before.rename(columns={"year": "year_from"}), on=["province", "year_to"])
        if pairs.empty:
            continue
        pairs["d"] = np.log(pairs["x_to"] / pairs["x_from"])
        sums = pairs.groupby("year_to")[["x_from", "x_to"]].transform("sum")
        pairs["national"] = np.log(sums["x_to"] / sums["x_from"])
        with np.errstate(divide="ignore", invalid="ignore"):
            rest = np.log((sums["x_to"] - pairs["x_to"]) / (sums["x_from"] - pairs["x_from"]))
        pairs["rest"] = rest.where(np.isfinite(rest), pairs["national"])
        pairs = pairs.sort_values(["province", "year_to"], kind="mergesort")
        pairs["own"] = np.concatenate([_leave_one_out_median(g.to_numpy()) for _, g in
                                       pairs.groupby("province", sort=False)["d"]])
        pairs["own"] = pairs["own"].fillna(pairs["rest"])
        typical, national_break = [], []     # per province, in the rows' order (sorted by province)
        for _, rows in pairs.groupby("province", sort=False):
            rest_d, years = rows["rest"].to_numpy(), rows["year_to"].to_numpy()
            typical.append(_leave_one_out_median(rest_d))
            unusual = np.abs(rest_d - typical[-1]) > TAU
            # a run of unusual years is a change of trend, not a break
            national_break.append(unusual & ~np.isin(years - 1, years[unusual]) & ~np.isin(years + 1, years[unusual]))
        pairs["national_typical"] = np.concatenate(typical)
        pairs["national_break"] = np.concatenate(national_break)
        pairs["national_break"] |= _shared_break_years(pairs)
        pairs["series"] = series
        frames.append(pairs)
    columns = ["series", "province", "year_from", "year_to", "value_from", "value_to", "x_from", "x_to", "d",
               "own", "rest", "national", "national_typical", "national_break", "file", "line"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _spikes(observations: pd.DataFrame) -> pd.DataFrame:
    obs = observations.assign(x=observations["value"].astype(float), year=observations["year"].astype(int))
    obs = obs[obs["x"] > 0].sort_values(["indicator", "province", "year"], kind="mergesort")
    group = obs.groupby(["indicator", "province"])
    obs = obs.assign(previous=group["x"].shift(1), following=group["x"].shift(-1))
    consecutive = (group["year"].shift(1) == obs["year"] - 1) & (group["year"].shift(-1) == obs["year"] + 1)
    up = (obs["x"] > 5 * obs["previous"]) & (obs["x"] > 5 * obs["following"])
    down = (obs["x"] < obs["previous"] / 5) & (obs["x"] < obs["following"] / 5)
    return obs[consecutive & (up | down)]


def _pct(log_change: float) -> str:
    return f"{100 * np.expm1(log_change):.1f}"


def detect(observations: pd.DataFrame) -> pd.DataFrame:
    r"""The break flags of ``observations`` (text columns :data:`COLUMNS`, sorted as the registry).

    Raises
    ------
    QualityError
        On the first ``extreme`` change (file, line, value, rule), unless listed in :data:`ACCEPTED`.

    Notes
    -----
    Rules, with :math:`\tau` = :data:`TAU` = 0.2 log points (a change about 20 % away from the
    usual), and :math:`d, m, r` and the national breaks as in :func:`changes`:

    ``province-break`` (flag)
        :math:`|d_{it} - m_{it}| > \tau` and :math:`|d_{it} - r_{it}| > \tau`: the province moved unlike
        its own history *and* unlike the rest of the country (a revision, a redefinition, an error).
    ``national-break`` (flag)
        :math:`|d_{it} - m_{it}| > \tau` in a national-break year (aggregate or shared): the province
        shares a break of the whole series (e.g. rural electricity 2020, national −34.5 %; 2022, −1.7 %,
        and 2023, +20.8 %, shared breaks).
    ``extreme`` (error: the build stops)
        :math:`|d_{it} - m_{it}| > \ln 5` and :math:`|d_{it} - r_{it}| > \ln 5` in a year that is not a
        national break — a factor of five that nothing else in the country shares, as a ×10 or ÷10
        slip produces — or an isolated spike, a value more than 5 times (or less than 1/5 of) both of
        its neighbours. A figure that is truly printed so can be accepted in :data:`ACCEPTED`, with
        the reason.

    ``swapped-years`` (flag)
        two adjacent years whose values look exchanged across the provinces (a pair that jumps and
        returns): see :mod:`ruralrev.data.breaks.swaps`.
    """
    for row in _spikes(observations).itertuples():
        if (row.indicator, row.province, row.year) not in ACCEPTED:
            raise QualityError(
                f"{row.file}:{row.line}: {row.indicator} {row.province} {row.year} = {row.value} is more than 5 times "
                f"away from both neighbours ({row.previous:g} before, {row.following:g} after); rule: extreme — an "
                "isolated spike (a ×10 or ÷10 slip?); if the figure is truly printed so, add it to "
                "ruralrev.data.breaks.flags.ACCEPTED with the reason")
    table = changes(observations)
    off_own = (table["d"] - table["own"]).abs()
    off_rest = (table["d"] - table["rest"]).abs()
    extreme = (off_own > EXTREME) & (off_rest > EXTREME) & ~table["national_break"]
    for row in table[extreme].itertuples():
        if (row.series, row.province, row.year_to) not in ACCEPTED:
            raise QualityError(
                f"{row.file}:{row.line}: {row.series} {row.province} {row.year_to} = {row.value_to} against "
                f"{row.value_from} in {row.year_from} ({_pct(row.d)} %; own typical {_pct(row.own)} %, rest of "
                f"the country {_pct(row.rest)} %); rule: extreme — a change beyond a factor of 5 that the rest of "
                "the country does not share (a ×10 or ÷10 slip?); if the figure is truly printed so, add it to "
                "ruralrev.data.breaks.flags.ACCEPTED with the reason")
    shared = (off_own > TAU) & table["national_break"]
    alone = (off_own > TAU) & (off_rest > TAU) & ~table["national_break"]
    flagged = table[shared | alone].copy()
    flagged["rule"] = np.where(flagged["national_break"], "national-break", "province-break")
    flagged["change_pct"] = flagged["d"].map(_pct)
    flagged["typical_change_pct"] = flagged["own"].map(_pct)
    flagged["national_change_pct"] = flagged["national"].map(_pct)
    flagged = pd.concat([flagged[COLUMNS], swapped_years(observations)], ignore_index=True)
    order = {code: k for k, code in enumerate(registry.codes())}
    flagged = flagged.assign(_order=flagged["series"].map(order))
    flagged = flagged.sort_values(["_order", "province", "year_from", "rule"], kind="mergesort")
    return flagged[COLUMNS].astype({"year_from": int, "year_to": int}).reset_index(drop=True)


def load_flags(root: Path | None = None) -> pd.DataFrame:
    """The committed break flags (``data/official/quality.csv``), validated, numbers typed."""
    return official.load_resource("quality", root)


def flagged_series(min_provinces: int = 1, root: Path | None = None) -> set[str]:
    """Codes of the published series with flags in at least ``min_provinces`` provinces."""
    flags = load_flags(root)
    counts = flags.groupby("series")["province"].nunique()
    return set(counts[counts >= min_provinces].index)


def _published_inputs(code: str) -> list[str]:
    ind = registry.get(code)
    if ind.kind == "published":
        return [code]
    return list(dict.fromkeys(c for name in ind.inputs for c in _published_inputs(name)))


def flags_for(code: str, root: Path | None = None, flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """The flags of one indicator: its own, or for a derived one (``log_`` included) those of the
    published series in its formula; from ``flags`` when given, else the committed ones."""
    flags = load_flags(root) if flags is None else flags
    return flags[flags["series"].isin(_published_inputs(code))].reset_index(drop=True)


def flagged_indicators(codes, min_provinces: int = 1, root: Path | None = None) -> list[str]:
    """The indicators among ``codes`` (in their order) whose flags — their own or those of the
    published series in their formula (:func:`flags_for`) — cover at least ``min_provinces``
    provinces: the ones an analysis drops to show its results without them."""
    flags = load_flags(root)
    return [code for code in codes
            if flags.loc[flags["series"].isin(_published_inputs(code)), "province"].nunique() >= min_provinces]


def summary(flags: pd.DataFrame) -> pd.DataFrame:
    """One row per flagged series (registry order): flags, provinces, years of change (``year_to``),
    rules, and the largest fall and rise flagged (per cent)."""
    rows = []
    for code in [c for c in registry.codes(kind="published") if c in set(flags["series"])]:
        part = flags[flags["series"] == code]
        rows.append({"series": code, "flags": len(part), "provinces": part["province"].nunique(),
                     "years": ", ".join(str(y) for y in sorted(set(part["year_to"]))),
                     "rules": ", ".join(sorted(set(part["rule"]))),
                     "largest_fall_pct": part["change_pct"].min() if (part["change_pct"] < 0).any() else np.nan,
                     "largest_rise_pct": part["change_pct"].max() if (part["change_pct"] > 0).any() else np.nan})
    return pd.DataFrame(rows)


def quiet_series(flags: pd.DataFrame) -> list[str]:
    """Published series without a single flag, in registry order."""
    return [c for c in registry.codes(kind="published") if c not in set(flags["series"])]

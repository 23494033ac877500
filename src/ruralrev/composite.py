"""A composite rural-development index: entropy weights, TOPSIS, coupling coordination,
obstacle degrees, and Monte Carlo rank uncertainty.

Indicators enter with a *direction*: ``+1`` when more is better (income), ``-1`` when less is
better (fertiliser per hectare). Weights are computed over the pooled province-years, so scores
of different years are comparable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import indicators

__all__ = [
    "minmax_normalize",
    "entropy_weights",
    "topsis",
    "coupling_coordination",
    "COORDINATION_BANDS",
    "coordination_band",
    "obstacle_degree",
    "rank_uncertainty",
    "top_obstacles",
    "PRODUCTION",
    "LIVING",
    "INDEX_INDICATORS",
    "pooled_index",
    "subsystem_scores",
]

#: The ten-band classification of the coupling coordination degree D (lower bound, name).
COORDINATION_BANDS = [
    (0.0, "extreme imbalance"), (0.1, "serious imbalance"), (0.2, "moderate imbalance"),
    (0.3, "mild imbalance"), (0.4, "near imbalance"), (0.5, "barely coordinated"),
    (0.6, "primary coordination"), (0.7, "intermediate coordination"), (0.8, "good coordination"),
    (0.9, "high-quality coordination"),
]


def _directions(frame: pd.DataFrame, directions) -> np.ndarray:
    if directions is None:
        return np.ones(frame.shape[1])
    values = np.array([directions[c] for c in frame.columns] if isinstance(directions, dict) else directions,
                      dtype=float)
    if not set(np.unique(values)) <= {-1.0, 1.0}:
        raise ValueError("directions must be +1 (more is better) or -1 (less is better)")
    return values


def minmax_normalize(frame: pd.DataFrame, directions=None) -> pd.DataFrame:
    r"""Min–max normalisation to [0, 1] with direction: :math:`(x-\min)/(\max-\min)` for
    positive indicators and :math:`(\max-x)/(\max-\min)` for negative ones. A constant
    indicator normalises to 1 (it separates nobody)."""
    d = _directions(frame, directions)
    low, high = frame.min(), frame.max()
    span = (high - low).replace(0, np.nan)
    positive = (frame - low) / span
    scaled = pd.DataFrame(np.where(d > 0, positive, 1 - positive), index=frame.index, columns=frame.columns)
    return scaled.fillna(1.0)


def entropy_weights(frame: pd.DataFrame, directions=None) -> pd.Series:
    r"""Entropy weights of the indicators (columns) over the observations (rows).

    .. math::

        p_{ij} = \frac{x'_{ij}}{\sum_i x'_{ij}},\quad
        e_j = -\frac{1}{\ln n}\sum_i p_{ij}\ln p_{ij},\quad
        w_j = \frac{1 - e_j}{\sum_k (1 - e_k)}

    with :math:`x'` the direction-aware min–max normalisation and :math:`0\ln 0 = 0` (its limit).
    An indicator that varies more across observations carries more information and more weight.

    References
    ----------
    Zou, Z., Yun, Y. and Sun, J. (2006). Entropy method for determination of weight of evaluating
    indicators in fuzzy synthetic evaluation for water quality assessment. *Journal of
    Environmental Sciences* 18(5), 1020–1023.
    """
    scaled = minmax_normalize(frame, directions).to_numpy(float)
    n = scaled.shape[0]
    if n < 2:
        raise ValueError("entropy weights need at least two observations")
    totals = scaled.sum(axis=0)
    p = np.divide(scaled, totals, out=np.full_like(scaled, 1.0 / n), where=totals > 0)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    entropy = -plogp.sum(axis=0) / np.log(n)
    divergence = 1 - entropy
    if divergence.sum() <= 0:
        raise ValueError("no indicator varies: entropy weights are undefined")
    return pd.Series(divergence / divergence.sum(), index=frame.columns, name="weight")


def topsis(frame: pd.DataFrame, weights, directions=None) -> pd.Series:
    r"""TOPSIS closeness to the ideal solution, weights *inside* the distance.

    The classic variant of Hwang and Yoon (1981): vector normalisation
    :math:`r_{ij} = x_{ij}/\sqrt{\sum_i x_{ij}^2}`, weighted matrix :math:`v_{ij} = w_j r_{ij}`,
    ideal :math:`v_j^+` (best per direction) and anti-ideal :math:`v_j^-`, Euclidean distances
    :math:`D_i^\pm`, closeness :math:`C_i = D_i^- / (D_i^+ + D_i^-)` in [0, 1].

    References
    ----------
    Hwang, C.-L. and Yoon, K. (1981). *Multiple Attribute Decision Making*. Springer.
    """
    d = _directions(frame, directions)
    w = np.asarray(weights.reindex(frame.columns) if isinstance(weights, pd.Series) else weights, dtype=float)
    if np.any(w < 0) or not np.isclose(w.sum(), 1):
        raise ValueError("weights must be non-negative and sum to 1")
    x = frame.to_numpy(float)
    norms = np.sqrt((x ** 2).sum(axis=0))
    r = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    v = r * w
    best = np.where(d > 0, v.max(axis=0), v.min(axis=0))
    worst = np.where(d > 0, v.min(axis=0), v.max(axis=0))
    d_plus = np.sqrt(((v - best) ** 2).sum(axis=1))
    d_minus = np.sqrt(((v - worst) ** 2).sum(axis=1))
    closeness = np.divide(d_minus, d_plus + d_minus, out=np.full(len(x), 0.5), where=(d_plus + d_minus) > 0)
    return pd.Series(closeness, index=frame.index, name="closeness")


def coupling_coordination(u1, u2, alpha: float = 0.5, corrected: bool = True) -> pd.DataFrame:
    r"""Coupling degree C, comprehensive index T and coupling coordination degree D of two subsystems.

    Classic model: :math:`C = 2\sqrt{U_1U_2}/(U_1+U_2)`. Corrected model of Wang et al. (2021)
    for two subsystems:

    .. math:: C = \sqrt{\left[1 - |U_2 - U_1|\right]\,\frac{\min(U_1,U_2)}{\max(U_1,U_2)}}

    which, unlike the classic C, falls as the subsystems grow apart in absolute terms. Then
    :math:`T = \alpha U_1 + (1-\alpha) U_2` and :math:`D = \sqrt{C\,T}`. Subsystem scores must
    lie in [0, 1].

    References
    ----------
    Wang, S., Kong, W., Ren, L., Zhi, D. and Dai, B. (2021). Research on misuses and modification
    of coupling coordination degree model in China. *Journal of Natural Resources* 36(3), 793–810.
    """
    u1, u2 = np.asarray(u1, dtype=float), np.asarray(u2, dtype=float)
    if ((u1 < 0) | (u1 > 1) | (u2 < 0) | (u2 > 1)).any():
        raise ValueError("subsystem scores must lie in [0, 1]")
    if not 0 <= alpha <= 1:
        raise ValueError("alpha must lie in [0, 1]")
    low, high = np.minimum(u1, u2), np.maximum(u1, u2)
    with np.errstate(invalid="ignore", divide="ignore"):
        if corrected:
            ratio = np.where(high > 0, low / np.where(high > 0, high, 1), 1.0)
            c = np.sqrt((1 - (high - low)) * ratio)
        else:
            c = np.where(u1 + u2 > 0, 2 * np.sqrt(u1 * u2) / np.where(u1 + u2 > 0, u1 + u2, 1), 1.0)
    t = alpha * u1 + (1 - alpha) * u2
    d = np.sqrt(c * t)
    return pd.DataFrame({"C": c, "T": t, "D": d, "band": [coordination_band(x) for x in d]})


def coordination_band(d: float) -> str:
    """Name of the ten-band class of a coupling coordination degree D in [0, 1]."""
    if not 0 <= d <= 1:
        raise ValueError(f"D must lie in [0, 1], got {d}")
    name = COORDINATION_BANDS[0][1]
    for lower, label in COORDINATION_BANDS:
        if d >= lower:
            name = label
    return name


def obstacle_degree(frame: pd.DataFrame, weights: pd.Series, directions=None) -> pd.DataFrame:
    r"""Obstacle degree of each indicator for each observation, in per cent (rows sum to 100).

    .. math:: O_{ij} = \frac{w_j (1 - x'_{ij})}{\sum_k w_k (1 - x'_{ik})} \times 100

    with :math:`x'` the direction-aware min–max normalisation: the indicators with the largest
    :math:`O_{ij}` hold observation *i* back most.
    """
    deviation = 1 - minmax_normalize(frame, directions)
    weighted = deviation * weights.reindex(frame.columns).to_numpy()
    totals = weighted.sum(axis=1).replace(0, np.nan)
    return (100 * weighted.div(totals, axis=0)).fillna(0.0)


def top_obstacles(obstacles: pd.DataFrame, n: int = 3) -> pd.Series:
    """The ``n`` indicators with the largest obstacle degree for each observation, comma-separated."""
    return obstacles.apply(lambda row: ", ".join(row.sort_values(ascending=False, kind="mergesort").index[:n]), axis=1)


def rank_uncertainty(frame: pd.DataFrame, directions=None, draws: int = 1000, seed: int = 20261123,
                     concentration: float = 20.0) -> pd.DataFrame:
    """Rank of each observation under random weights and normalisations (OECD/JRC uncertainty analysis).

    Each draw picks a normalisation (min–max, z-score rescaled to [0, 1], or percentile rank) and
    weights from a Dirichlet distribution centred on the entropy weights (``concentration`` sets
    how far they wander; equal weights are drawn with probability 1/4), then ranks the
    observations by TOPSIS closeness (1 = best). Returns the median rank and the 5th–95th
    percentile interval per observation, ordered by median rank.

    References
    ----------
    OECD/JRC (2008). *Handbook on Constructing Composite Indicators: Methodology and User Guide*,
    section 7 (uncertainty and sensitivity analysis).
    """
    rng = np.random.default_rng(seed)
    d = _directions(frame, directions)
    base = entropy_weights(frame, directions).to_numpy()
    ranks = np.empty((draws, len(frame)))
    oriented = frame * d  # larger is better everywhere
    for s in range(draws):
        kind = rng.integers(0, 3)
        if kind == 0:
            normalized = minmax_normalize(oriented)
        elif kind == 1:
            z = (oriented - oriented.mean()) / oriented.std(ddof=0).replace(0, 1)
            normalized = minmax_normalize(z)
        else:
            normalized = (oriented.rank(pct=True))
        weights = np.full(len(base), 1 / len(base)) if rng.random() < 0.25 else rng.dirichlet(concentration * len(base) * base + 1e-3)
        closeness = topsis(normalized + 1e-9, weights / weights.sum())
        ranks[s] = closeness.rank(ascending=False, method="min").to_numpy()
    table = pd.DataFrame({
        "median_rank": np.median(ranks, axis=0),
        "rank_p05": np.percentile(ranks, 5, axis=0),
        "rank_p95": np.percentile(ranks, 95, axis=0),
    }, index=frame.index)
    return table.sort_values(["median_rank", "rank_p05"], kind="mergesort")


#: Indicators of the book's rural-development index, with direction (+1 more is better).
#: The income ratio enters with +1 because a ratio closer to 1 is a smaller rural–urban gap;
#: fertiliser per hectare with -1 (greener farming uses less).
#: Both read from the indicator registry (tags ``index_production`` / ``index_living``, and each
#: indicator's ``direction``).
PRODUCTION = indicators.directions("index_production")
LIVING = indicators.directions("index_living")
INDEX_INDICATORS = {**PRODUCTION, **LIVING}


def pooled_index(panel: pd.DataFrame, indicators: dict[str, int] | None = None, years=None) -> pd.DataFrame:
    """Entropy weights over the pooled province-years, then TOPSIS closeness for every province-year.

    Pooling makes scores comparable across years: the same weights and the same ideal apply to
    2016 and to the last year. Returns ``province``, ``year``, ``region`` and ``closeness`` plus
    the weights as ``frame.attrs["weights"]``. Province-years with a missing indicator are dropped.
    """
    indicators = indicators or INDEX_INDICATORS
    chosen = panel if years is None else panel[panel["year"].isin(list(years))]
    frame = chosen[["province", "year", "region", *indicators]].dropna().reset_index(drop=True)
    if frame.empty:
        raise ValueError("no province-year has all index indicators")
    values = frame[list(indicators)]
    weights = entropy_weights(values, indicators)
    # TOPSIS needs positive magnitudes for vector normalisation: use the [0, 1] min-max scale
    # (direction applied), shifted off zero.
    scaled = minmax_normalize(values, indicators) + 1e-6
    frame["closeness"] = topsis(scaled, weights).to_numpy()
    frame.attrs["weights"] = weights
    return frame


def subsystem_scores(panel: pd.DataFrame, year: int, years=None) -> pd.DataFrame:
    """Production (U1) and living-standard (U2) scores in [0, 1] for one year, from entropy
    weights over the pooled years, with their coupling coordination (classic and corrected)."""
    pooled = panel if years is None else panel[panel["year"].isin(list(years))]
    out = {}
    for name, spec in (("U1_production", PRODUCTION), ("U2_living", LIVING)):
        frame = pooled[["province", "year", *spec]].dropna().reset_index(drop=True)
        normalized = minmax_normalize(frame[list(spec)], spec)
        weights = entropy_weights(frame[list(spec)], spec)
        frame[name] = (normalized * weights).sum(axis=1)
        out[name] = frame.loc[frame["year"] == year].set_index("province")[name]
    scores = pd.DataFrame(out).dropna()
    if scores.empty:
        raise ValueError(f"no subsystem scores for {year}")
    corrected = coupling_coordination(scores["U1_production"], scores["U2_living"])
    classic = coupling_coordination(scores["U1_production"], scores["U2_living"], corrected=False)
    scores["C"] = corrected["C"].to_numpy()
    scores["C_classic"] = classic["C"].to_numpy()
    scores["D"] = corrected["D"].to_numpy()
    scores["band"] = corrected["band"].to_numpy()
    return scores

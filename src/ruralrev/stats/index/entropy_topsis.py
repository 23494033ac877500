"""A composite rural-development index: entropy weights, TOPSIS, obstacle degrees, subsystem
scores, and the Monte Carlo uncertainty of its ranks.

Indicators enter with a *direction*: ``+1`` when more is better (income), ``-1`` when less is
better (fertiliser per hectare). The published index (:func:`pooled_index`) pools the chosen
province-years and uses one normalisation, the direction-aware min–max scale over the pool, for
the entropy weights (:func:`entropy_weights`) and for TOPSIS (:func:`topsis`); its Notes say why.
:func:`rank_uncertainty` and :func:`rank_sensitivity` perturb only the weights;
:func:`obstacle_degree` and :func:`subsystem_scores` read the index by indicator and subsystem.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruralrev.data import registry
from ruralrev.stats.index.coupling import coupling_coordination

__all__ = [
    "PRODUCTION",
    "LIVING",
    "INDEX_INDICATORS",
    "minmax_normalize",
    "entropy_weights",
    "topsis",
    "CompositeIndex",
    "pooled_index",
    "rank_uncertainty",
    "rank_sensitivity",
    "obstacle_degree",
    "top_obstacles",
    "subsystem_scores",
]

#: Indicators of the book's rural-development index, with direction (+1 more is better), read
#: from the indicator registry (tags ``index_production`` / ``index_living`` and each indicator's
#: ``direction``). The income ratio enters with +1 because a ratio closer to 1 is a smaller
#: rural–urban gap; fertiliser per hectare with -1 (greener farming uses less). Rural electricity
#: use per rural resident is not among them (its registry entry carries no ``index_*`` tag): the
#: series counts electricity consumed in rural areas, rural industry included, so it measures rural
#: economic activity rather than living standards; and it is not comparable across years (a national
#: definitional break in 2020, province-level breaks after it). An earlier version filed it under
#: living standards and pooled it over 2016–2023, where the break alone gave it the largest entropy
#: weight.
PRODUCTION = registry.directions("index_production")
LIVING = registry.directions("index_living")
INDEX_INDICATORS = {**PRODUCTION, **LIVING}


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
    indicator normalises to 1 (it separates nobody), as in ``pymcdm.normalizations.minmax_normalization``."""
    d = _directions(frame, directions)
    low, high = frame.min(), frame.max()
    span = (high - low).replace(0, np.nan)
    positive = (frame - low) / span
    scaled = pd.DataFrame(np.where(d > 0, positive, 1 - positive), index=frame.index, columns=frame.columns)
    return scaled.fillna(1.0)


def entropy_weights(frame: pd.DataFrame, directions=None) -> pd.Series:
    r"""Entropy weights of the indicators (columns) over the observations (rows).

    .. math::

        p_{ij} = \frac{m_{ij}}{\sum_i m_{ij}},\quad
        e_j = -\frac{1}{\ln n}\sum_i p_{ij}\ln p_{ij},\quad
        w_j = \frac{1 - e_j}{\sum_k (1 - e_k)}

    with :math:`m` the direction-aware min–max normalisation and :math:`0\ln 0 = 0` (its limit).
    An indicator that varies more across observations carries more information and more weight.
    ``pymcdm.weights.entropy_weights`` computes the same sums on the matrix it is given but sets
    the entropy of any column containing a zero to 0 instead of taking the limit; on the min–max
    matrix (which has a zero in every column) the two agree in the limit of a vanishing positive
    shift, which the tests check.

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


def _closeness(oriented: np.ndarray, weights: np.ndarray) -> np.ndarray:
    r"""TOPSIS closeness of the rows of a benefit-oriented normalised matrix (N × K) for each
    row of ``weights`` (D × K, non-negative): N × D. With :math:`w \ge 0` the ideal of column j
    is :math:`w_j \max_i r_{ij}` and the anti-ideal :math:`w_j \min_i r_{ij}`."""
    to_best = (oriented.max(axis=0) - oriented) ** 2
    to_worst = (oriented - oriented.min(axis=0)) ** 2
    squared = np.atleast_2d(weights) ** 2
    d_plus, d_minus = np.sqrt(to_best @ squared.T), np.sqrt(to_worst @ squared.T)
    total = d_plus + d_minus
    return np.divide(d_minus, total, out=np.full_like(total, 0.5), where=total > 0)


def topsis(frame: pd.DataFrame, weights, directions=None, normalization: str = "vector") -> pd.Series:
    r"""TOPSIS closeness to the ideal solution, weights inside the distance (Hwang and Yoon).

    Normalised matrix :math:`r_{ij}` — ``"vector"``: :math:`x_{ij}/\sqrt{\sum_i x_{ij}^2}` (the
    classic variant); ``"minmax"``: the direction-aware min–max scale — then
    :math:`v_{ij} = w_j r_{ij}`, ideal :math:`v_j^+` (best per direction) and anti-ideal
    :math:`v_j^-`, Euclidean distances :math:`D_i^\pm`, closeness
    :math:`C_i = D_i^- / (D_i^+ + D_i^-)` in [0, 1]. Equal to ``pymcdm.methods.TOPSIS`` with
    ``vector_normalization`` or ``minmax_normalization`` respectively (tested).

    References
    ----------
    Hwang, C.-L. and Yoon, K. (1981). *Multiple Attribute Decision Making*. Springer.
    """
    d = _directions(frame, directions)
    w = np.asarray(weights.reindex(frame.columns) if isinstance(weights, pd.Series) else weights, dtype=float)
    if np.any(w < 0) or not np.isclose(w.sum(), 1):
        raise ValueError("weights must be non-negative and sum to 1")
    if normalization == "vector":
        x = frame.to_numpy(float)
        norms = np.sqrt((x ** 2).sum(axis=0))
        oriented = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0) * d
    elif normalization == "minmax":
        oriented = minmax_normalize(frame, directions).to_numpy(float)
    else:
        raise ValueError(f"normalization must be 'vector' or 'minmax', got {normalization!r}")
    return pd.Series(_closeness(oriented, w)[:, 0], index=frame.index, name="closeness")


@dataclass(frozen=True)
class CompositeIndex:
    """Result of :func:`pooled_index`.

    ``scores``: ``province``, ``year``, ``region``, ``closeness`` and ``rank`` (1 = best within
    the year) for every pooled province-year; ``normalized``: the pooled min–max matrix (same
    rows); ``weights``: the entropy weights; ``directions``: indicator → ±1; ``years``: the
    pooled years; ``normalization``: the TOPSIS normalisation (``"minmax"`` for the published
    index; the entropy weights, contributions and obstacles always use the min–max scale).
    """

    scores: pd.DataFrame
    normalized: pd.DataFrame
    weights: pd.Series
    directions: dict
    years: tuple
    normalization: str = "minmax"

    def year(self, year: int) -> pd.DataFrame:
        """Closeness and rank of each province in one pooled year, indexed by province."""
        part = self.scores[self.scores["year"] == year]
        if part.empty:
            raise ValueError(f"{year} is not among the pooled years {list(self.years)}")
        return part.set_index("province")

    def contributions(self, year: int) -> pd.DataFrame:
        r"""Weighted normalised values :math:`w_j m_{ij}` of each province (rows) and indicator in
        one year: how far each indicator carries the province towards the ideal :math:`w`."""
        rows = (self.scores["year"] == year).to_numpy()
        if not rows.any():
            raise ValueError(f"{year} is not among the pooled years {list(self.years)}")
        frame = self.normalized[rows].set_axis(self.scores.loc[rows, "province"].to_numpy())
        return frame * self.weights.reindex(frame.columns).to_numpy()

    def obstacles(self, year: int) -> pd.DataFrame:
        """Obstacle degrees (per cent) of each province in one year, on the index's own scale."""
        rows = self.scores["year"] == year
        frame = self.normalized[rows.to_numpy()].set_axis(self.scores.loc[rows, "province"].to_numpy())
        return obstacle_degree(frame, self.weights, normalized=True)


def pooled_index(panel: pd.DataFrame, indicators: dict[str, int] | None = None, years=None,
                 normalization: str = "minmax") -> CompositeIndex:
    r"""Entropy weights over the pooled province-years, then TOPSIS closeness for every province-year.

    .. math::

        m_{ij} = \text{min–max}_{\text{pool}}(x_{ij}),\quad w = \text{entropy}(m),\quad
        C_i = \frac{\lVert w\odot m_i\rVert}{\lVert w\odot(1-m_i)\rVert + \lVert w\odot m_i\rVert}

    (the pooled min–max scale runs from 0 to 1 in every column, so the ideal is :math:`w` and the
    anti-ideal 0). Pooling makes scores comparable across years: the same weights and the same
    ideal apply to 2016 and to the last year. ``indicators`` (code → direction) and ``years``
    restrict the pool, e.g. to the years over which every series is comparable. Province-years
    with a missing indicator are dropped. ``normalization="vector"`` keeps the same entropy
    weights but computes TOPSIS on Hwang and Yoon's vector-normalised matrix (:func:`topsis`), a
    variant of the construction, not of the data.

    Notes
    -----
    The published index uses **one** normalisation throughout — the direction-aware min–max scale
    :math:`m_{ij} \in [0, 1]` over the pool — for the entropy weights and for TOPSIS, with the
    weights inside the distance (the weighted normalised matrix :math:`v_{ij} = w_j m_{ij}` of
    Hwang and Yoon). This is ``pymcdm``'s TOPSIS with its default ``minmax_normalization``, and the
    tests check it against that library. (An earlier version vector-normalised the min–max matrix
    again inside TOPSIS, which silently multiplied each entropy weight by
    :math:`1/\lVert m_{\cdot j}\rVert`; that double normalisation is gone.) The years over which a
    series with a break can be pooled: :func:`ruralrev.data.breaks.pooling.comparable_years`; the
    index under alternative pools and indicator sets: :mod:`ruralrev.stats.index.variants`.

    References
    ----------
    Hwang and Yoon (1981); Zou, Yun and Sun (2006).
    """
    indicators = dict(indicators or INDEX_INDICATORS)
    chosen = panel if years is None else panel[panel["year"].isin(list(years))]
    missing = set(indicators) - set(panel.columns)
    if missing:
        raise ValueError(f"unknown indicator(s) {sorted(missing)}")
    frame = chosen[["province", "year", "region", *indicators]].dropna().reset_index(drop=True)
    if frame.empty:
        raise ValueError("no province-year has all index indicators")
    values = frame[list(indicators)]
    weights = entropy_weights(values, indicators)
    normalized = minmax_normalize(values, indicators)
    scores = frame[["province", "year", "region"]].copy()
    if normalization == "minmax":
        scores["closeness"] = _closeness(normalized.to_numpy(float), weights.to_numpy())[:, 0]
    else:
        scores["closeness"] = topsis(values, weights, indicators, normalization).to_numpy()
    scores["rank"] = scores.groupby("year")["closeness"].rank(ascending=False, method="min").astype(int)
    return CompositeIndex(scores=scores, normalized=normalized, weights=weights, directions=indicators,
                          years=tuple(int(y) for y in sorted(frame["year"].unique())), normalization=normalization)


def rank_uncertainty(index: CompositeIndex, year: int, draws: int = 1000, seed: int = 20261123,
                     concentration: float = 20.0, level: float = 0.90) -> pd.DataFrame:
    r"""Ranks of one year's provinces when the weights are uncertain (OECD/JRC uncertainty analysis).

    Each draw takes weights :math:`w^* \sim \mathrm{Dirichlet}(c K w)` — centred on the
    published entropy weights *w* (:math:`E[w^*] = w`; larger ``concentration`` *c* keeps them
    closer) — keeps the published pooled min–max normalisation and the pooled ideal, recomputes
    TOPSIS closeness for every pooled province-year and ranks the year's provinces (1 = best):
    only the weights are perturbed, around the published ones, with the published normalisation,
    so the intervals are centred on the published ranks.
    Returns per province the published ``rank``, the ``median_rank``, the central ``level``
    interval ``rank_p05``–``rank_p95`` (named for the default 90 %) and ``inside`` (the published
    rank lies in its interval), ordered by published rank.

    References
    ----------
    OECD/JRC (2008). *Handbook on Constructing Composite Indicators: Methodology and User Guide*,
    section 7 (uncertainty and sensitivity analysis).
    Saisana, M., Saltelli, A. and Tarantola, S. (2005). Uncertainty and sensitivity analysis
    techniques as tools for the quality assessment of composite indicators. *JRSS A* 168(2),
    307–323.
    """
    published = index.year(year)
    ranks = _draw_ranks(index, year, draws, seed, concentration)
    tail = 100 * (1 - level) / 2
    table = pd.DataFrame({
        "rank": published["rank"].to_numpy(),
        "median_rank": np.median(ranks, axis=1),
        "rank_p05": np.percentile(ranks, tail, axis=1),
        "rank_p95": np.percentile(ranks, 100 - tail, axis=1),
    }, index=published.index)
    # Centred draws put the published rank near the middle of its own distribution: this column
    # almost cannot be False, so it is a sanity check of the code, not evidence about the index.
    table["inside"] = (table["rank_p05"] <= table["rank"]) & (table["rank"] <= table["rank_p95"])
    return table.sort_values(["rank", "median_rank"], kind="mergesort")


def _draw_ranks(index: CompositeIndex, year: int, draws: int, seed: int, concentration: float) -> np.ndarray:
    """Ranks (provinces of ``year`` × draws) under Dirichlet(c K w) weights, published scale."""
    if draws < 50:
        raise ValueError(f"use at least 50 draws, got {draws}")
    if index.normalization != "minmax":
        raise ValueError("rank uncertainty is defined on the published min–max index")
    index.year(year)
    rng = np.random.default_rng(seed)
    w = index.weights.to_numpy()
    sampled = rng.dirichlet(np.maximum(concentration * len(w) * w, 1e-3), size=draws)
    rows = (index.scores["year"] == year).to_numpy()
    closeness = _closeness(index.normalized.to_numpy(float), sampled)[rows]          # provinces × draws
    return pd.DataFrame(closeness).rank(ascending=False, method="min").to_numpy()


def rank_sensitivity(index: CompositeIndex, year: int, concentrations=(1.0, 5.0, 20.0), draws: int = 1000,
                     seed: int = 20261123, level: float = 0.90, top: int = 3) -> pd.DataFrame:
    r"""How the rank intervals of :func:`rank_uncertainty` depend on the Dirichlet concentration.

    For each concentration *c* (weights :math:`w^* \sim \mathrm{Dirichlet}(\alpha_0 w)` with
    total :math:`\alpha_0 = cK`) one row: ``alpha0``; ``sd_top_weight``, the standard deviation of
    the largest weight, :math:`\sqrt{w_j(1-w_j)/(\alpha_0+1)}`; the ``widest`` province's interval
    ``widest_p05``–``widest_p95``; the ``median_width`` of the intervals; and two checks that
    can fail, ``top_kept`` / ``bottom_kept``: the share of draws in which the published top
    ``top`` (bottom ``top``) provinces are, as a set, still the top (bottom) ``top``.
    """
    published = index.year(year)["rank"].to_numpy()
    n = len(published)
    w_top = float(index.weights.max())
    tail = 100 * (1 - level) / 2
    rows = []
    for c in concentrations:
        ranks = _draw_ranks(index, year, draws, seed, c)
        low, high = np.percentile(ranks, tail, axis=1), np.percentile(ranks, 100 - tail, axis=1)
        widest = int(np.argmax(high - low))
        best, worst = published <= top, published > n - top
        alpha0 = c * len(index.weights)
        rows.append({"concentration": float(c), "alpha0": alpha0,
                     "sd_top_weight": float(np.sqrt(w_top * (1 - w_top) / (alpha0 + 1))),
                     "widest": index.year(year).index[widest], "widest_p05": float(low[widest]),
                     "widest_p95": float(high[widest]), "median_width": float(np.median(high - low)),
                     "top_kept": float((ranks[best] <= top).all(axis=0).mean()),
                     "bottom_kept": float((ranks[worst] > n - top).all(axis=0).mean())})
    return pd.DataFrame(rows)


def obstacle_degree(frame: pd.DataFrame, weights: pd.Series, directions=None, normalized: bool = False) -> pd.DataFrame:
    r"""Obstacle degree of each indicator for each observation, in per cent (rows sum to 100).

    .. math:: O_{ij} = \frac{w_j (1 - m_{ij})}{\sum_k w_k (1 - m_{ik})} \times 100

    with :math:`m` the direction-aware min–max normalisation of ``frame`` (or ``frame`` itself
    when ``normalized``, e.g. the pooled scale of the index): the indicators with the largest
    :math:`O_{ij}` hold observation *i* back most.
    """
    deviation = 1 - (frame if normalized else minmax_normalize(frame, directions))
    weighted = deviation * weights.reindex(frame.columns).to_numpy()
    totals = weighted.sum(axis=1).replace(0, np.nan)
    return (100 * weighted.div(totals, axis=0)).fillna(0.0)


def top_obstacles(obstacles: pd.DataFrame, n: int = 3) -> pd.Series:
    """The ``n`` indicators with the largest obstacle degree for each observation, comma-separated."""
    return obstacles.apply(lambda row: ", ".join(row.sort_values(ascending=False, kind="mergesort").index[:n]), axis=1)


def subsystem_scores(panel: pd.DataFrame, year: int, years=None, production: dict[str, int] | None = None,
                     living: dict[str, int] | None = None) -> pd.DataFrame:
    r"""Production (U1) and living-standard (U2) scores in [0, 1] for one year, with their
    coupling coordination (classic and corrected, :func:`ruralrev.stats.index.coupling.coupling_coordination`).

    .. math:: U_{s,i} = \sum_{j \in s} w_j m_{ij}

    with entropy weights and min–max scale over the pooled ``years`` (all by default), for the
    indicator sets ``production`` and ``living`` (code → direction; :data:`PRODUCTION` and
    :data:`LIVING` by default).
    """
    pooled = panel if years is None else panel[panel["year"].isin(list(years))]
    out = {}
    for name, spec in (("U1_production", production or PRODUCTION), ("U2_living", living or LIVING)):
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

"""The gap statistic for the number of k-means clusters, with k = 1 ("no clusters") allowed.

:func:`gap_statistic` compares the within-cluster dispersion of the data with its expectation
under reference data sets without clusters (:func:`reference_sets`) and picks k by Tibshirani,
Walther and Hastie's one-standard-error rule; its grid starts at k = 1, so the rule can answer
"no cluster structure". :func:`choose_k_gap` reads the same gap curve by the other rules of R's
``cluster::maxSE``, and :func:`k_over_seeds` shows how the chosen k moves with the reference draws.

References
----------
Dudoit, S. and Fridlyand, J. (2002). A prediction-based resampling method for estimating the
number of clusters in a dataset. *Genome Biology* 3(7), research0036.
Tibshirani, R., Walther, G. and Hastie, T. (2001). Estimating the number of clusters in a data
set via the gap statistic. *Journal of the Royal Statistical Society B* 63(2), 411–423.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ruralrev.stats.clustering.batched_kmeans import kmeans

__all__ = ["GAP_RULES", "BOXES", "ENGINES", "GapStatistic", "gap_statistic", "choose_k_gap", "within_dispersion", "reference_sets", "reference_component_share", "k_over_seeds"]

#: How the k-means fits run: all at once in numpy (:mod:`ruralrev.stats.clustering.batched_kmeans`) or
#: one data set at a time with scikit-learn's ``KMeans``; both reach the same partitions.
ENGINES = ("batched", "sklearn")

#: Rules for reading the gap curve, named as in R's ``cluster::maxSE``; the first is Tibshirani's.
GAP_RULES = ("Tibs2001SEmax", "firstSEmax", "globalSEmax")


@dataclass(frozen=True)
class GapStatistic:
    """Result of :func:`gap_statistic`.

    ``table`` has one row per k: ``log_w`` (data), ``expected_log_w`` (mean over the reference
    sets), ``gap`` and ``gap_se`` (:math:`s_k`). ``k`` is the number chosen by Tibshirani's
    one-standard-error rule; ``rule_met`` is False when no k on the grid satisfies it (``k`` is
    then the largest k tried, a boundary answer).
    """

    table: pd.DataFrame
    k: int
    rule_met: bool
    references: int
    n_init: int
    seed: int

    @property
    def no_structure(self) -> bool:
        """True when the rule picks k = 1: the data are not more clustered than the reference."""
        return self.k == 1

    def k_by(self, rule: str = "Tibs2001SEmax") -> int:
        """k chosen from this gap curve by another rule of :data:`GAP_RULES`."""
        return choose_k_gap(self.table, rule)

    def largest_step(self) -> dict:
        r"""The largest rise of the gap from one k to the next, in standard errors:
        :math:`\max_k (\mathrm{Gap}(k+1) - \mathrm{Gap}(k)) / s_{k+1}`. Tibshirani's rule stops at
        the first k where this ratio is at most 1; when it is at most 1 everywhere, no single step
        to more clusters stands out. Returns ``k`` (the step from k to k + 1), ``rise``, ``se``
        and ``ratio``."""
        table = self.table.sort_values("k")
        rise = table["gap"].diff().shift(-1).iloc[:-1]
        se = table["gap_se"].shift(-1).iloc[:-1]
        ratio = rise / se
        at = ratio.idxmax()
        return {"k": int(table.loc[at, "k"]), "rise": float(rise[at]), "se": float(se[at]), "ratio": float(ratio[at])}


def within_dispersion(x: np.ndarray, labels: np.ndarray) -> float:
    r"""Pooled within-cluster sum of squares :math:`W_k = \sum_r\sum_{i\in C_r}\lVert x_i-\bar x_r\rVert^2`."""
    return float(sum(((x[labels == g] - x[labels == g].mean(axis=0)) ** 2).sum() for g in np.unique(labels)))


#: Reference boxes: ``"pca"`` (Tibshirani et al.'s method b) and ``"features"`` (their method a).
BOXES = ("pca", "features")


def reference_sets(z, references: int, seed: int, box: str = "pca") -> list[np.ndarray]:
    r"""Data sets without clusters, shaped like ``z``: uniform over a box.

    ``box="pca"`` (Tibshirani et al.'s method b): with :math:`X = U S V^\top` the SVD of the
    centred data, each set draws every column of :math:`XV` uniformly between that column's
    minimum and maximum and rotates back with :math:`V^\top` (the mean is not added back: the
    within-cluster dispersion ignores it). ``box="features"`` (method a): every column of ``z``
    uniformly between its own minimum and maximum. With strongly correlated features the
    features' box is mostly empty corners where the data never go, so it makes any data look
    clustered; the principal-component box follows the data's shape.
    """
    x = np.asarray(z, dtype=float)
    rng = np.random.default_rng(seed)
    if box == "features":
        low, high = x.min(axis=0), x.max(axis=0)
        return [rng.uniform(low, high, size=x.shape) for _ in range(references)]
    if box != "pca":
        raise ValueError(f"box must be one of {BOXES}, got {box!r}")
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    rotated = centred @ vt.T
    low, high = rotated.min(axis=0), rotated.max(axis=0)
    return [rng.uniform(low, high, size=rotated.shape) @ vt for _ in range(references)]


def reference_component_share(z, references: int, seed: int, box: str = "pca") -> np.ndarray:
    r"""Share of each reference set's variance on its own first principal component.

    The sets are :func:`reference_sets` (same ``references``, ``seed`` and ``box``), so the
    shares describe the references the gap statistic compares the data with: a set of n points
    drawn over a box shows its elongation, :math:`\lambda_1 / \sum_j \lambda_j` of its own
    covariance, beside the data's. Finite sets carry sampling noise, so a box with equal sides still
    gives a first share above :math:`1/p`.
    """
    shares = []
    for reference in reference_sets(z, references, seed, box):
        values = np.linalg.svd(reference - reference.mean(axis=0), compute_uv=False) ** 2
        shares.append(values[0] / values.sum())
    return np.array(shares)


def _log_w(x: np.ndarray, k: int, n_init: int, seed: int) -> float:
    from sklearn.cluster import KMeans

    if k == 1:
        return float(np.log(((x - x.mean(axis=0)) ** 2).sum()))
    # KMeans.inertia_ is W_k of the best of n_init runs (sum of squared distances to the centres).
    return float(np.log(KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(x).inertia_))


def _log_w_all(datasets: list[np.ndarray], k: int, n_init: int, seeds: list[int], engine: str) -> np.ndarray:
    """log W_k of each data set, the k-means fit of data set i seeded with ``seeds[i]``."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if k == 1 or engine == "sklearn":
        with threadpool_limits(limits=1):   # hundreds of tiny fits: OpenMP threads only add overhead
            return np.array([_log_w(x, k, n_init, s) for x, s in zip(datasets, seeds)])

    return np.log(kmeans(np.stack(datasets), k, n_init, seeds).inertia)


def gap_statistic(z, ks=range(1, 9), references: int = 100, seed: int = 20261123,
                  n_init: int = 10, box: str = "pca", engine: str = "batched") -> GapStatistic:
    r"""Gap statistic over ``ks`` (which should start at 1) and the k it picks.

    Parameters
    ----------
    z : array_like
        Observations in rows (standardized indicators).
    ks : iterable of int
        Numbers of clusters; consecutive, 1 ≤ k < n.
    references : int
        Reference data sets B.
    seed : int
        Seed of the reference draws and of the k-means initialisations.
    n_init : int
        k-means initialisations, the same for the data and every reference set.
    box : {"pca", "features"}
        The reference box (:func:`reference_sets`).
    engine : {"batched", "sklearn"}
        All fits of one k at once (:func:`ruralrev.stats.clustering.batched_kmeans.kmeans`) or one
        scikit-learn ``KMeans`` per data set; under either engine the data are seeded with ``seed``
        and reference set b (b = 1, ..., B) with ``seed + b``.

    Returns
    -------
    GapStatistic

    Notes
    -----
    Tibshirani, Walther and Hastie (2001) compare the within-cluster dispersion of the data with
    its expectation under a reference distribution without clusters:

    .. math::

        \mathrm{Gap}(k) = \frac1B\sum_{b=1}^B \log W_k^{*b} - \log W_k,\qquad
        s_k = \mathrm{sd}_b(\log W_k^{*b})\sqrt{1 + 1/B},

        \hat k = \min\{k : \mathrm{Gap}(k) \ge \mathrm{Gap}(k+1) - s_{k+1}\}

    with :math:`W_k = \sum_r \sum_{i\in C_r}\lVert x_i - \bar x_r\rVert^2` the pooled
    within-cluster sum of squares. The grid starts at k = 1 (:math:`W_1` is the total sum of
    squares), so the rule can answer "no cluster structure". Reference sets are drawn uniformly
    over the box aligned with the principal components of the data (their method b), and every
    k-means fit — on the data and on each reference set — takes the best of the same ``n_init``
    initialisations, so that :math:`W_k` and :math:`W_k^{*b}` are minimised equally well. The fits
    run all at once, one batch per k (:mod:`ruralrev.stats.clustering.batched_kmeans`,
    ``engine="batched"``), with the random numbers scikit-learn's ``KMeans`` would draw, so they
    reach its partitions and :math:`W_k`; ``engine="sklearn"`` fits one data set at a time with
    scikit-learn (the tests' check).
    """
    x = np.asarray(z, dtype=float)
    ks = [int(k) for k in ks]
    if not ks or min(ks) < 1 or max(ks) >= len(x) or np.any(np.diff(ks) != 1):
        raise ValueError(f"ks must be consecutive integers between 1 and {len(x) - 1}, got {ks}")
    if references < 2:
        raise ValueError(f"the gap statistic needs at least 2 reference sets, got {references}")
    datasets = [x, *reference_sets(x, references, seed, box)]
    seeds = [seed + b for b in range(len(datasets))]
    rows = []
    for k in ks:
        observed, *logs = _log_w_all(datasets, k, n_init, seeds, engine)
        logs = np.array(logs)
        rows.append({"k": k, "log_w": observed, "expected_log_w": logs.mean(), "gap": logs.mean() - observed,
                     "gap_se": logs.std(ddof=0) * np.sqrt(1 + 1 / references)})
    table = pd.DataFrame(rows)
    k, met = _one_se_rule(table)
    return GapStatistic(table=table, k=k, rule_met=met, references=references, n_init=n_init, seed=seed)


def _one_se_rule(table: pd.DataFrame) -> tuple[int, bool]:
    values = table.set_index("k")
    ks = list(values.index)
    for k, following in zip(ks, ks[1:]):
        if values.loc[k, "gap"] >= values.loc[following, "gap"] - values.loc[following, "gap_se"]:
            return int(k), True
    return int(ks[-1]), False


def choose_k_gap(table: pd.DataFrame, rule: str = "Tibs2001SEmax") -> int:
    """k chosen from a table with ``k``, ``gap``, ``gap_se`` columns (consecutive k).

    ``"Tibs2001SEmax"``: the smallest k with Gap(k) ≥ Gap(k+1) − s(k+1), the largest k tried if
    none qualifies. ``"firstSEmax"``: m = the first k with Gap(k+1) ≤ Gap(k) (the last k if the
    curve never falls), then the smallest k with Gap(k) ≥ Gap(m) − s(m). ``"globalSEmax"``: the
    same with m the k of the largest gap. As R's ``cluster::maxSE`` with ``SE.factor = 1``.

    The first rule is Tibshirani et al.'s (:func:`gap_statistic`). It stops at the first k whose
    gap is within one standard error of the next, so a gap curve that rises slowly but steadily
    gives k = 1. The other two are there for comparison: "firstSEmax" is Maechler's default in
    ``clusGap``, "globalSEmax" is Dudoit and Fridlyand's (2002).
    """
    if rule == "Tibs2001SEmax":
        return _one_se_rule(table)[0]
    if rule not in GAP_RULES:
        raise ValueError(f"unknown gap rule {rule!r}; use one of {GAP_RULES}")
    values = table.sort_values("k").reset_index(drop=True)
    gap, se = values["gap"].to_numpy(), values["gap_se"].to_numpy()
    if rule == "firstSEmax":
        falls = np.flatnonzero(np.diff(gap) <= 0)
        m = int(falls[0]) if len(falls) else len(gap) - 1
    else:
        m = int(np.argmax(gap))
    within = np.flatnonzero(gap[:m] >= gap[m] - se[m])
    return int(values.loc[within[0] if len(within) else m, "k"])


def k_over_seeds(z, ks=range(1, 9), references: int = 100, seeds=(20261123,), n_init: int = 10,
                 box: str = "pca", engine: str = "batched") -> list[int]:
    r"""The k that Tibshirani's rule picks, :math:`\min\{k: \mathrm{Gap}(k) \ge \mathrm{Gap}(k+1) - s_{k+1}\}`,
    under each seed of the reference draws (:func:`gap_statistic`), in the order of ``seeds``.

    When successive gaps differ by about one standard error the rule sits on a knife-edge and the
    chosen k moves with the reference draws; the spread over seeds is its Monte Carlo error
    (Tibshirani, Walther and Hastie 2001, sec. 3, on the simulation error of the expectation).
    """
    return [gap_statistic(z, ks, references, int(s), n_init, box, engine).k for s in seeds]

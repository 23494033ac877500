"""Province typology: standardized indicators, three clustering methods, criteria for k.

All randomness flows from one ``seed``; the same inputs give the same partition on every run.
Cluster numbers are canonical: cluster 1 has the highest mean of the first indicator (rural
income by default), so labels do not flip between runs, methods or bootstrap samples.
The gap statistic lives in :mod:`ruralrev.stats.clustering.number_of_clusters`, bootstrap stability in :mod:`ruralrev.stats.clustering.stability`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ruralrev.data.registry import values as _values
from ruralrev.stats.clustering.batched_kmeans import kmeans
from ruralrev.stats.clustering.number_of_clusters import (
    ENGINES,
    GapStatistic,
    choose_k_gap,
    gap_statistic,
)
from ruralrev.stats.clustering.rand_index import adjusted_rand_index

__all__ = [
    "DEFAULT_INDICATORS",
    "METHODS",
    "latest_complete_year",
    "feature_matrix",
    "fit_partition",
    "KSelection",
    "k_selection",
    "choose_k",
    "profiles",
    "agreement",
    "agreement_table",
    "SILHOUETTE_BANDS",
    "silhouette_band",
    "Gradient",
    "first_component",
    "component_scores",
    "composition",
    "seed_spread",
]

#: The documented default set (names of panel columns; ``log_`` takes the natural log).
DEFAULT_INDICATORS = [
    "rural_income", "rural_consumption", "rural_all_income_ratio", "urbanization_rate",
    "log_gdp_per_capita", "primary_share", "machinery_per_rural_capita", "electricity_per_rural_capita",
    "grain_per_rural_capita", "fertiliser_per_sown_ha", "irrigation_ratio",
]
METHODS = ("kmeans", "ward", "gmm")


def latest_complete_year(panel: pd.DataFrame, indicators: list[str], last: int | None = None) -> int:
    """The latest year (up to ``last``, when given) in which every indicator has a value for all 31
    provinces: a year :func:`feature_matrix` accepts."""
    complete = []
    for year, part in panel.groupby("year"):
        if last is not None and year > last:
            continue
        values = pd.concat([_values(part, name) for name in indicators], axis=1)
        if values.notna().all().all():
            complete.append(int(year))
    if not complete:
        raise ValueError(f"no year{'' if last is None else f' up to {last}'} has all of {indicators} for every province")
    return max(complete)


def feature_matrix(panel: pd.DataFrame, year: int, indicators: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Indicators for one year: (raw values, z-scores), both indexed by province.

    Standardization uses the mean and the population standard deviation across provinces, so
    every indicator weighs the same in the Euclidean distances the methods use.
    """
    if len(indicators) < 2:
        raise ValueError("clustering needs at least two indicators")
    part = panel[panel["year"] == year]
    if part.empty:
        raise ValueError(f"year {year} is not in the panel")
    raw = pd.DataFrame({name: _values(part, name).to_numpy() for name in indicators},
                       index=part["province"].to_numpy())
    missing = raw.columns[raw.isna().any()].tolist()
    if missing:
        raise ValueError(f"{year}: indicator(s) {missing} have missing provinces; choose another year")
    z = (raw - raw.mean()) / raw.std(ddof=0)
    return raw, z


def _canonical(labels: np.ndarray, first_column: np.ndarray) -> np.ndarray:
    """Renumber clusters 1..k by decreasing mean of the first indicator."""
    unique = np.unique(labels)
    means = [first_column[labels == u].mean() for u in unique]
    order = unique[np.argsort(means)[::-1]]
    mapping = {old: new for new, old in enumerate(order, start=1)}
    return np.array([mapping[label] for label in labels])


def fit_partition(z: pd.DataFrame | np.ndarray, method: str, k: int, seed: int = 20261123,
                  n_init: int = 1000, engine: str = "batched") -> np.ndarray:
    """Cluster the rows of ``z`` into ``k`` groups; labels 1..k in canonical order.

    k = 1 is the trivial partition (every row in cluster 1), whatever the method.
    ``kmeans``: Lloyd's algorithm, best of ``n_init`` initialisations (k-means++). On the
    book's 31 provinces the best k = 4 solution turns up in about 1 % of single starts, so 100
    starts can miss it; 1,000 found it from each of five seeds tried (:func:`seed_spread` measures
    how often fewer starts miss it). The starts run at once
    (:func:`ruralrev.stats.clustering.batched_kmeans.kmeans`, ``engine="batched"``) or through
    scikit-learn's ``KMeans`` (``engine="sklearn"``); both reach the same partition from ``seed``;
    ``ward``: agglomerative clustering with Ward's minimum-variance linkage;
    ``gmm``: Gaussian mixture with diagonal covariances, best of ``n_init // 10`` (at least 1)
    initialisations.
    """
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.mixture import GaussianMixture

    x = np.asarray(z, dtype=float)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {METHODS}")
    if not 1 <= k < len(x):
        raise ValueError(f"k must be between 1 and {len(x) - 1}, got {k}")
    if k == 1:
        return np.ones(len(x), dtype=int)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if method == "kmeans" and engine == "batched":

        labels = kmeans(x, k, n_init, seed).labels
    elif method == "kmeans":
        with threadpool_limits(limits=1):   # many tiny fits: OpenMP threads only add overhead
            labels = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(x)
    elif method == "ward":
        labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x)
    else:
        labels = GaussianMixture(n_components=k, covariance_type="diag", n_init=max(1, n_init // 10),
                                 random_state=seed, reg_covar=1e-4).fit(x).predict(x)
    return _canonical(labels, x[:, 0])


def seed_spread(z, k: int, seeds: int = 30, n_init: int = 10, seed: int = 20261123,
                reference=None, engine: str = "batched") -> pd.DataFrame:
    r"""How much a k-means partition depends on its random start.

    Fits k-means with ``n_init`` starts from each of ``seeds`` seeds (``seed``, ``seed + 1``,
    ...) and returns one row per seed: ``within_ss`` (:math:`W_k`, the pooled within-cluster
    sum of squares the fit reached), ``ari_best`` (adjusted Rand index with the partition of
    :func:`fit_partition`, the best of 1,000 starts) and, when ``reference`` labels are given,
    ``ari_reference`` (adjusted Rand index with them). A spread of ``within_ss`` means local
    optima; a spread of ``ari_reference`` means that a comparison with another partition
    depends on the start. The fits of all seeds run at once (``engine="batched"``) or one
    scikit-learn ``KMeans`` per seed (``engine="sklearn"``), with the same results.
    """
    from sklearn.cluster import KMeans


    x = np.asarray(z, dtype=float)
    best = fit_partition(x, "kmeans", k, seed, engine=engine)
    starts = range(seed, seed + seeds)
    if engine == "batched":

        fits = kmeans(np.broadcast_to(x, (seeds, *x.shape)), k, n_init, list(starts))
        found = list(zip(fits.inertia, fits.labels))
    else:
        with threadpool_limits(limits=1):
            found = [(m.inertia_, m.labels_) for m in (KMeans(n_clusters=k, n_init=n_init, random_state=s).fit(x)
                                                       for s in starts)]
    rows = []
    for s, (inertia, labels) in zip(starts, found):
        row = {"seed": s, "within_ss": float(inertia), "ari_best": adjusted_rand_index(best, labels)}
        if reference is not None:
            row["ari_reference"] = adjusted_rand_index(np.asarray(reference), labels)
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class KSelection:
    """Result of :func:`k_selection`: the criteria table (one row per k) and the gap statistic.

    Silhouette, Calinski–Harabasz and Davies–Bouldin are undefined for k = 1 (NaN there); the
    gap statistic and the mixture BIC are defined for every k, so only they can say "one group".
    """

    table: pd.DataFrame
    gap: GapStatistic

    def choose(self, rule: str = "gap") -> int:
        """k chosen by one criterion (see :func:`choose_k`)."""
        return self.gap.k if rule == "gap" else choose_k(self.table, rule)

    def for_maps(self, k: int | None = None) -> tuple[int, str]:
        """The number of groups a page maps, and the rule that set it.

        ``k`` when given (rule ``"parameter"``); otherwise the gap statistic's k when its rule is
        met with k > 1 (``"gap"``); otherwise the silhouette's k (``"silhouette"``). In that last
        case the data do not require the partition that is mapped (the gap picks one group, or no
        k on the grid meets its rule), and the page must say so.
        """
        if k is not None:
            return int(k), "parameter"
        if self.gap.rule_met and self.gap.k > 1:
            return self.gap.k, "gap"
        return self.choose("silhouette"), "silhouette"


def k_selection(z, ks=range(1, 9), method: str = "kmeans", references: int = 100,
                seed: int = 20261123, n_init: int = 10, engine: str = "batched") -> KSelection:
    """Silhouette, Calinski–Harabasz, Davies–Bouldin and the gap statistic for each k (from 1);
    and the BIC of the diagonal Gaussian mixture (lower is better).

    The partition-based criteria use ``method``; the gap statistic uses k-means with ``n_init``
    initialisations on the data and on each of its ``references`` reference sets
    (:func:`ruralrev.stats.clustering.number_of_clusters.gap_statistic`); ``engine`` says how every
    k-means fit runs (:data:`~ruralrev.stats.clustering.number_of_clusters.ENGINES`).
    """
    from sklearn.metrics import (
        calinski_harabasz_score,
        davies_bouldin_score,
        silhouette_score,
    )
    from sklearn.mixture import GaussianMixture

    x = np.asarray(z, dtype=float)
    ks = list(ks)
    rows = []
    with threadpool_limits(limits=1):   # small fits: OpenMP threads only add overhead
        for k in ks:
            bic = GaussianMixture(n_components=k, covariance_type="diag", n_init=5, random_state=seed,
                                  reg_covar=1e-4).fit(x).bic(x)
            row = {"k": k, "silhouette": np.nan, "calinski_harabasz": np.nan, "davies_bouldin": np.nan,
                   "gmm_bic": bic}
            if k > 1:
                labels = fit_partition(x, method, k, seed, engine=engine)
                row.update(silhouette=silhouette_score(x, labels),
                           calinski_harabasz=calinski_harabasz_score(x, labels),
                           davies_bouldin=davies_bouldin_score(x, labels))
            rows.append(row)
    gap = gap_statistic(x, ks, references, seed, n_init, engine=engine)
    table = pd.DataFrame(rows).merge(gap.table[["k", "gap", "gap_se"]], on="k")
    return KSelection(table=table, gap=gap)


#: Kaufman and Rousseeuw's bands of the silhouette coefficient (the largest average silhouette
#: width over k): lower bounds, highest first, and the band's code.
SILHOUETTE_BANDS = ((0.71, "strong"), (0.51, "reasonable"), (0.26, "weak"), (-1.0, "none"))


def silhouette_band(coefficient: float) -> str:
    r"""Kaufman and Rousseeuw's band of a silhouette coefficient
    :math:`SC = \max_k \bar s(k)`, with :math:`s(i) = (b_i - a_i)/\max(a_i, b_i)` (mean distance
    to the own cluster :math:`a_i`, to the nearest other :math:`b_i`): ``"strong"`` above 0.70,
    ``"reasonable"`` 0.51–0.70, ``"weak"`` 0.26–0.50 (a structure that could be artificial),
    ``"none"`` at most 0.25 (no substantial structure).

    References
    ----------
    Kaufman, L. and Rousseeuw, P. J. (1990). *Finding Groups in Data: An Introduction to Cluster
    Analysis*. Wiley, chapter 2 (silhouettes and the silhouette coefficient).
    """
    if not -1 <= coefficient <= 1:
        raise ValueError(f"a silhouette coefficient lies in [-1, 1], got {coefficient}")
    return next(code for lower, code in SILHOUETTE_BANDS if coefficient >= lower)


def choose_k(selection: pd.DataFrame, rule: str = "gap") -> int:
    """k chosen by ``gap`` (Tibshirani's rule), ``silhouette`` (max), ``calinski_harabasz`` (max),
    ``davies_bouldin`` (min) or ``gmm_bic`` (min), from a criteria table; NaN rows (k = 1 for
    the partition criteria) are skipped."""
    if rule == "gap":
        return choose_k_gap(selection)
    if rule in {"silhouette", "calinski_harabasz"}:
        return int(selection.loc[selection[rule].idxmax(), "k"])
    if rule in {"davies_bouldin", "gmm_bic"}:
        return int(selection.loc[selection[rule].idxmin(), "k"])
    raise ValueError(f"unknown rule {rule!r}")


def profiles(raw: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Mean of each indicator per cluster, in original units, with cluster sizes."""
    frame = raw.assign(cluster=labels)
    table = frame.groupby("cluster").mean()
    table.insert(0, "provinces", frame.groupby("cluster").size())
    return table


def agreement_table(partitions: dict[str, np.ndarray], reference, reference_name: str = "NBS regions") -> pd.DataFrame:
    """Adjusted Rand index between every pair of partitions and with a reference classification."""
    names = list(partitions)
    rows = [[name] + [agreement(partitions[name], partitions[other]) for other in names]
            + [agreement(partitions[name], reference)] for name in names]
    return pd.DataFrame(rows, columns=["Method", *names, reference_name])


def agreement(labels, reference) -> float:
    """Adjusted Rand index between a partition and a reference classification (e.g. NBS regions)."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(np.asarray(reference), np.asarray(labels)))


@dataclass(frozen=True)
class Gradient:
    """Result of :func:`first_component`: the share of the variance on the first principal
    component, each observation's score on it (oriented so that it rises with the first
    indicator) and whether every cluster is one interval of those scores (``contiguous``)."""

    share: float
    scores: pd.Series
    contiguous: bool


def first_component(z: pd.DataFrame, labels) -> Gradient:
    r"""Is a partition a set of slices of the first principal component?

    With scores :math:`t_i = (x_i - \bar x)^\top v_1` on the leading eigenvector of the covariance
    of the standardized indicators, the partition is *contiguous* when, sorted by :math:`t_i`,
    every cluster occupies one run of consecutive observations (k − 1 changes of label). A
    contiguous partition of data without clusters is a description of their main gradient cut
    into ranges, not a set of types.

    References
    ----------
    Jolliffe, I. T. (2002). *Principal Component Analysis*, 2nd ed. Springer, chapter 9 (principal
    components and cluster analysis).
    """
    from sklearn.decomposition import PCA

    x = np.asarray(z, dtype=float)
    labels = np.asarray(labels)
    pca = PCA(n_components=1).fit(x)
    scores = pca.transform(x)[:, 0]
    if np.corrcoef(scores, x[:, 0])[0, 1] < 0:
        scores = -scores
    ordered = labels[np.argsort(scores, kind="mergesort")]
    changes = int((ordered[1:] != ordered[:-1]).sum())
    index = z.index if isinstance(z, pd.DataFrame) else None
    return Gradient(share=float(pca.explained_variance_ratio_[0]), scores=pd.Series(scores, index=index),
                    contiguous=changes == len(np.unique(labels)) - 1)


def component_scores(z: pd.DataFrame, n: int = 2) -> pd.DataFrame:
    r"""Scores of each observation on the first ``n`` principal components of ``z`` (columns
    ``PC1`` ... ``PCn``).

    ``PC1`` is oriented as in :func:`first_component` (rising with the first indicator); every later
    component so that the indicator most correlated with it in absolute value correlates
    positively. The scores are :math:`t_{ic} = (x_i - \bar x)^\top v_c` on the eigenvectors
    :math:`v_c` of the covariance of the standardized indicators (scikit-learn's PCA).
    """
    from sklearn.decomposition import PCA

    x = np.asarray(z, dtype=float)
    if not 1 <= n <= min(x.shape):
        raise ValueError(f"n must be between 1 and {min(x.shape)}, got {n}")
    scores = PCA(n_components=n).fit_transform(x)
    for c in range(n):
        if c == 0:
            anchor = x[:, 0]
        else:
            correlations = np.array([np.corrcoef(scores[:, c], x[:, j])[0, 1] for j in range(x.shape[1])])
            anchor = x[:, int(np.argmax(np.abs(correlations)))]
        if np.corrcoef(scores[:, c], anchor)[0, 1] < 0:
            scores[:, c] = -scores[:, c]
    index = z.index if isinstance(z, pd.DataFrame) else None
    return pd.DataFrame(scores, index=index, columns=[f"PC{c + 1}" for c in range(n)])


def composition(labels, reference, name: str = "NBS region") -> pd.DataFrame:
    """Cross-tabulation of clusters (rows ``cluster 1`` ...) by a reference classification
    (columns in its categorical order when it has one), with row totals ``provinces`` and a
    last row ``all`` of column totals."""
    reference = pd.Series(reference, name=name)
    if not isinstance(reference.dtype, pd.CategoricalDtype):
        reference = reference.astype("category")
    table = pd.crosstab(pd.Series(np.asarray(labels), name="cluster"), reference.reset_index(drop=True),
                        dropna=False)
    table.index = [f"cluster {c}" for c in table.index]
    table.columns = [str(c) for c in table.columns]
    table.loc["all"] = table.sum()
    table["provinces"] = table.sum(axis=1)
    return table

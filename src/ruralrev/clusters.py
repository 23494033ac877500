"""Province typology: standardized indicators, three clustering methods, criteria for k.

All randomness flows from one ``seed``; the same inputs give the same partition on every run.
Cluster numbers are canonical: cluster 1 has the highest mean of the first indicator (rural
income by default), so labels do not flip between runs, methods or bootstrap samples.
The gap statistic lives in :mod:`ruralrev.gap`, bootstrap stability in :mod:`ruralrev.stability`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .gap import GapStatistic, choose_k_gap, gap_statistic
from .indicators import values as _values

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
]

#: The documented default set (names of panel columns; ``log_`` takes the natural log).
DEFAULT_INDICATORS = [
    "rural_income", "rural_consumption", "rural_all_income_ratio", "urbanization_rate",
    "log_gdp_per_capita", "primary_share", "machinery_per_rural_capita", "electricity_per_rural_capita",
    "grain_per_rural_capita", "fertiliser_per_sown_ha", "irrigation_ratio",
]
METHODS = ("kmeans", "ward", "gmm")


def latest_complete_year(panel: pd.DataFrame, indicators: list[str]) -> int:
    """The latest year in which every indicator has a value for all 31 provinces."""
    complete = []
    for year, part in panel.groupby("year"):
        values = pd.concat([_values(part, name) for name in indicators], axis=1)
        if values.notna().all().all():
            complete.append(int(year))
    if not complete:
        raise ValueError(f"no year has all of {indicators} for every province")
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
                  n_init: int = 100) -> np.ndarray:
    """Cluster the rows of ``z`` into ``k`` groups; labels 1..k in canonical order.

    k = 1 is the trivial partition (every row in cluster 1), whatever the method.
    ``kmeans``: Lloyd's algorithm, best of ``n_init`` initialisations (k-means++);
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
    if method == "kmeans":
        labels = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(x)
    elif method == "ward":
        labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x)
    else:
        labels = GaussianMixture(n_components=k, covariance_type="diag", n_init=max(1, n_init // 10),
                                 random_state=seed, reg_covar=1e-4).fit(x).predict(x)
    return _canonical(labels, x[:, 0])


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


def k_selection(z, ks=range(1, 9), method: str = "kmeans", references: int = 100,
                seed: int = 20261123, n_init: int = 10) -> KSelection:
    """Silhouette, Calinski–Harabasz, Davies–Bouldin and the gap statistic for each k (from 1);
    and the BIC of the diagonal Gaussian mixture (lower is better).

    The partition-based criteria use ``method``; the gap statistic uses k-means with ``n_init``
    initialisations on the data and on each of its ``references`` reference sets
    (:func:`ruralrev.gap.gap_statistic`).
    """
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
    from sklearn.mixture import GaussianMixture

    from threadpoolctl import threadpool_limits

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
                labels = fit_partition(x, method, k, seed)
                row.update(silhouette=silhouette_score(x, labels),
                           calinski_harabasz=calinski_harabasz_score(x, labels),
                           davies_bouldin=davies_bouldin_score(x, labels))
            rows.append(row)
    gap = gap_statistic(x, ks, references, seed, n_init)
    table = pd.DataFrame(rows).merge(gap.table[["k", "gap", "gap_se"]], on="k")
    return KSelection(table=table, gap=gap)


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

"""Province typology: standardized indicators, three clustering methods, choosing k, stability.

All randomness flows from one ``seed``; the same inputs give the same partition on every run.
Cluster numbers are canonical: cluster 1 has the highest mean of the first indicator (rural
income by default), so labels do not flip between runs, methods or bootstrap samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .indicators import values as _values

__all__ = [
    "DEFAULT_INDICATORS",
    "METHODS",
    "latest_complete_year",
    "feature_matrix",
    "fit_partition",
    "gap_statistic",
    "k_selection",
    "choose_k",
    "choose_k_gap",
    "bootstrap_stability",
    "Stability",
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

    ``kmeans``: Lloyd's algorithm, best of ``n_init`` initialisations (k-means++);
    ``ward``: agglomerative clustering with Ward's minimum-variance linkage;
    ``gmm``: Gaussian mixture with diagonal covariances, best of ``n_init // 10`` (at least 1)
    initialisations.
    """
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.mixture import GaussianMixture

    x = np.asarray(z, dtype=float)
    if not 2 <= k < len(x):
        raise ValueError(f"k must be between 2 and {len(x) - 1}, got {k}")
    if method == "kmeans":
        labels = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(x)
    elif method == "ward":
        labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x)
    elif method == "gmm":
        labels = GaussianMixture(n_components=k, covariance_type="diag", n_init=max(1, n_init // 10),
                                 random_state=seed, reg_covar=1e-4).fit(x).predict(x)
    else:
        raise ValueError(f"unknown method {method!r}; use one of {METHODS}")
    return _canonical(labels, x[:, 0])


def _within_dispersion(x: np.ndarray, labels: np.ndarray) -> float:
    return float(sum(((x[labels == g] - x[labels == g].mean(axis=0)) ** 2).sum() for g in np.unique(labels)))


def gap_statistic(z, ks, references: int = 100, seed: int = 20261123) -> pd.DataFrame:
    r"""Gap statistic of Tibshirani, Walther and Hastie (2001) for k-means.

    .. math::

        \mathrm{Gap}(k) = \frac1B\sum_{b=1}^B \log W_k^{*b} - \log W_k,\qquad
        s_k = \mathrm{sd}_b(\log W_k^{*b})\sqrt{1 + 1/B}

    with :math:`W_k` the pooled within-cluster sum of squares and the reference data drawn
    uniformly over the bounding box of the principal components of the data (their method (b)).
    The chosen k is the smallest with :math:`\mathrm{Gap}(k) \ge \mathrm{Gap}(k+1) - s_{k+1}`.

    References
    ----------
    Tibshirani, R., Walther, G. and Hastie, T. (2001). Estimating the number of clusters in a data
    set via the gap statistic. *JRSS B* 63(2), 411–423.
    """
    from sklearn.cluster import KMeans

    x = np.asarray(z, dtype=float)
    rng = np.random.default_rng(seed)
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    rotated = centred @ vt.T
    low, high = rotated.min(axis=0), rotated.max(axis=0)
    rows = []
    for k in ks:
        observed = np.log(_within_dispersion(x, KMeans(n_clusters=k, n_init=20, random_state=seed).fit_predict(x)))
        logs = []
        for b in range(references):
            reference = rng.uniform(low, high, size=x.shape) @ vt
            labels = KMeans(n_clusters=k, n_init=5, random_state=seed + b).fit_predict(reference)
            logs.append(np.log(_within_dispersion(reference, labels)))
        logs = np.array(logs)
        rows.append({"k": k, "gap": logs.mean() - observed, "gap_se": logs.std(ddof=0) * np.sqrt(1 + 1 / references),
                     "log_w": observed})
    return pd.DataFrame(rows)


def choose_k_gap(gap: pd.DataFrame) -> int:
    """Smallest k with Gap(k) ≥ Gap(k+1) − s(k+1); the largest k tried if none qualifies."""
    values = gap.set_index("k")
    ks = list(values.index)
    for k, following in zip(ks, ks[1:]):
        if values.loc[k, "gap"] >= values.loc[following, "gap"] - values.loc[following, "gap_se"]:
            return int(k)
    return int(ks[-1])


def k_selection(z, ks=range(2, 9), method: str = "kmeans", references: int = 100,
                seed: int = 20261123) -> pd.DataFrame:
    """Silhouette, Calinski–Harabasz, Davies–Bouldin and the gap statistic for each k; and the
    BIC of the diagonal Gaussian mixture (lower is better)."""
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
    from sklearn.mixture import GaussianMixture

    x = np.asarray(z, dtype=float)
    ks = list(ks)
    rows = []
    for k in ks:
        labels = fit_partition(x, method, k, seed)
        bic = GaussianMixture(n_components=k, covariance_type="diag", n_init=5, random_state=seed,
                              reg_covar=1e-4).fit(x).bic(x)
        rows.append({"k": k, "silhouette": silhouette_score(x, labels),
                     "calinski_harabasz": calinski_harabasz_score(x, labels),
                     "davies_bouldin": davies_bouldin_score(x, labels), "gmm_bic": bic})
    table = pd.DataFrame(rows).merge(gap_statistic(x, ks, references, seed)[["k", "gap", "gap_se"]], on="k")
    return table


def choose_k(selection: pd.DataFrame, rule: str = "gap") -> int:
    """k chosen by ``gap`` (Tibshirani's rule), ``silhouette`` (max), ``calinski_harabasz`` (max),
    ``davies_bouldin`` (min) or ``gmm_bic`` (min)."""
    if rule == "gap":
        return choose_k_gap(selection)
    if rule in {"silhouette", "calinski_harabasz"}:
        return int(selection.loc[selection[rule].idxmax(), "k"])
    if rule in {"davies_bouldin", "gmm_bic"}:
        return int(selection.loc[selection[rule].idxmin(), "k"])
    raise ValueError(f"unknown rule {rule!r}")


@dataclass(frozen=True)
class Stability:
    """Bootstrap stability of a partition."""

    ari: np.ndarray                 # adjusted Rand index of each resample against the full sample
    threshold: float                # stability below this marks a province unstable
    coassignment: pd.DataFrame      # share of resamples containing both provinces that put them together
    province: pd.DataFrame          # per province: cluster, stability (mean co-assignment with cluster mates)


def bootstrap_stability(z: pd.DataFrame, method: str, k: int, reps: int = 200, seed: int = 20261123,
                        threshold: float = 0.7) -> Stability:
    """Resample provinces with replacement, re-cluster, compare with the full-sample partition.

    For each resample the adjusted Rand index is computed on the distinct provinces drawn.
    A province's stability is the mean share of resamples (containing both) in which it is
    clustered with each of its full-sample cluster mates; below ``threshold`` it is *unstable*.

    References
    ----------
    Hennig, C. (2007). Cluster-wise assessment of cluster stability. *Computational Statistics &
    Data Analysis* 52(1), 258–271.
    """
    from sklearn.metrics import adjusted_rand_score

    x = z.to_numpy(float)
    n = len(x)
    full = fit_partition(x, method, k, seed)
    rng = np.random.default_rng(seed)
    together = np.zeros((n, n))
    both = np.zeros((n, n))
    aris = []
    for b in range(reps):
        draw = np.unique(rng.integers(0, n, n))
        if len(draw) <= k:
            continue
        labels = fit_partition(x[draw], method, k, seed + b + 1, n_init=10)
        aris.append(adjusted_rand_score(full[draw], labels))
        same = labels[:, None] == labels[None, :]
        together[np.ix_(draw, draw)] += same
        both[np.ix_(draw, draw)] += 1
    share = np.divide(together, both, out=np.full_like(together, np.nan), where=both > 0)
    names = list(z.index)
    coassignment = pd.DataFrame(share, index=names, columns=names)
    rows = []
    for i, name in enumerate(names):
        mates = [j for j in range(n) if j != i and full[j] == full[i]]
        stability = float(np.nanmean(share[i, mates])) if mates else 1.0
        rows.append({"province": name, "cluster": int(full[i]), "stability": stability,
                     "unstable": stability < threshold})
    return Stability(ari=np.array(aris), threshold=threshold, coassignment=coassignment,
                     province=pd.DataFrame(rows))


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

"""Bootstrap stability of a partition: cluster-wise Jaccard (Hennig 2007) and co-assignment.

:func:`cluster_bootstrap` resamples the observations, re-clusters each resample with the same
method and k, and reports two different things from the same resamples: which *clusters* hold
(cluster-wise Jaccard, read by :func:`hennig_reading`) and which *provinces* wander
(co-assignment). Stability is not evidence of clusters: :func:`reference_stability` runs the same
bootstrap on data without clusters, shaped like the data, to show what a mere cut scores.

References
----------
Hennig, C. (2007). Cluster-wise assessment of cluster stability. *Computational Statistics &
Data Analysis* 52(1), 258–271.
Monti, S., Tamayo, P., Mesirov, J. and Golub, T. (2003). Consensus clustering: a
resampling-based method for class discovery and visualization of gene expression microarray
data. *Machine Learning* 52(1–2), 91–118.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ruralrev.stats.clustering.batched_kmeans import kmeans, pad
from ruralrev.stats.clustering.number_of_clusters import ENGINES, reference_sets
from ruralrev.stats.clustering.partitions import _canonical, fit_partition
from ruralrev.stats.clustering.rand_index import adjusted_rand_index

__all__ = [
    "DISSOLVED",
    "RECOVERED",
    "HENNIG_READING",
    "hennig_reading",
    "jaccard_to_best_match",
    "ClusterBootstrap",
    "cluster_bootstrap",
    "ReferenceStability",
    "reference_stability",
]

#: A resample whose best Jaccard similarity is at most this dissolves the cluster (Hennig 2007).
DISSOLVED = 0.5
#: A resample whose best Jaccard similarity exceeds this recovers the cluster.
RECOVERED = 0.75
#: Lower bounds of Hennig's reading of the mean Jaccard similarity, highest first.
HENNIG_READING = ((0.85, "highly stable"), (0.75, "stable"), (0.6, "pattern, membership doubtful"),
                  (0.0, "not to be trusted"))


def hennig_reading(mean_jaccard: float) -> str:
    """Hennig's reading of a cluster's mean bootstrap Jaccard similarity (:data:`HENNIG_READING`;
    see :func:`cluster_bootstrap`)."""
    if not 0 <= mean_jaccard <= 1:
        raise ValueError(f"a Jaccard similarity lies in [0, 1], got {mean_jaccard}")
    return next(label for lower, label in HENNIG_READING if mean_jaccard >= lower)


def jaccard_to_best_match(original: np.ndarray, sample: np.ndarray, resampled: np.ndarray) -> dict:
    """For each original cluster, the largest Jaccard similarity to a cluster of a resample.

    Parameters
    ----------
    original : array
        Cluster label of every observation in the full-sample partition.
    sample : array of int
        Indices of the distinct observations in the resample.
    resampled : array
        Labels of those observations in the partition fitted to the resample (same order).

    Returns
    -------
    dict
        Original label -> :math:`\\max_D |C\\cap S\\cap D| / |(C\\cap S)\\cup D|` (0 when C has no
        point in the sample).
    """
    sample = np.asarray(sample)
    if len(np.unique(sample)) != len(sample):
        raise ValueError("the resample must list distinct observations (duplicates removed)")
    names, restricted = np.unique(np.asarray(original), return_inverse=True)
    restricted = restricted.ravel()[sample]
    _, found = np.unique(np.asarray(resampled), return_inverse=True)
    found = found.ravel()
    columns = found.max(initial=-1) + 1
    table = np.bincount(restricted * columns + found, minlength=len(names) * columns).reshape(len(names), columns)
    union = table.sum(axis=1)[:, None] + table.sum(axis=0)[None, :] - table
    similarity = np.divide(table, union, out=np.zeros(table.shape), where=union > 0)
    best = similarity.max(axis=1, initial=0.0)
    return {(label.item() if hasattr(label, "item") else label): float(value) for label, value in zip(names, best)}


@dataclass(frozen=True)
class ClusterBootstrap:
    """Result of :func:`cluster_bootstrap`.

    ``clusters``: per original cluster its size, mean Jaccard, the number of resamples that
    dissolved and that recovered it, and Hennig's reading. ``jaccard``: the B × k similarities.
    ``province``: per observation its cluster and mean co-assignment with its cluster mates.
    ``coassignment``: the consensus matrix. ``ari``: adjusted Rand index of each resample's
    partition against the full-sample one on the resampled observations. ``resamples``: per
    resample, the positions of its distinct observations and their labels in its partition.
    """

    clusters: pd.DataFrame
    jaccard: pd.DataFrame
    province: pd.DataFrame
    coassignment: pd.DataFrame
    ari: np.ndarray
    reps: int
    seed: int
    resamples: tuple = ()

    def split_off(self, cluster) -> pd.DataFrame:
        """What happens to original ``cluster`` in the resamples that dissolve it (Jaccard ≤ 0.5).

        One row per such resample: ``resample``; ``kept_together``, whether its drawn members all
        fall in one cluster of the resample's partition (then they count as co-assigned although
        the cluster dissolved, because that cluster also holds many others); ``split_off``, the
        observations of the smallest resample cluster that holds none of its members (the new cut),
        as a tuple of names (empty when every resample cluster holds one).
        """
        names = np.asarray(self.province["province"])
        full = self.province["cluster"].to_numpy()
        rows = []
        for b in self.jaccard.index[self.jaccard[cluster] <= DISSOLVED]:
            sample, refit = self.resamples[b]
            mine = refit[full[sample] == cluster]
            others = pd.Series(refit[~np.isin(refit, mine)]).value_counts(sort=False)
            cut = others.index[np.argmin(others.to_numpy())] if len(others) else None
            rows.append({"resample": int(b), "kept_together": len(set(mine.tolist())) <= 1,
                         "split_off": tuple(names[sample][refit == cut]) if cut is not None else ()})
        return pd.DataFrame(rows, columns=["resample", "kept_together", "split_off"])

    @property
    def n_dissolved(self) -> int:
        """Clusters whose mean Jaccard similarity is at most 0.5 (dissolved on average)."""
        return int((self.clusters["mean_jaccard"] <= DISSOLVED).sum())


def _refits(x: np.ndarray, samples: list[np.ndarray], method: str, k: int, seed: int, n_init: int,
            engine: str) -> list[np.ndarray]:
    """The partition of each resample (labels 1..k, canonical), resample b seeded with ``seed + b + 1``:
    k-means on all resamples at once (``engine="batched"``), else one fit per resample."""
    if method == "kmeans" and engine == "batched":

        stacked, valid = pad([x[sample] for sample in samples])
        fits = kmeans(stacked, k, n_init, [seed + b + 1 for b in range(len(samples))], valid=valid)
        return [_canonical(labels[:len(sample)], x[sample, 0]) for labels, sample in zip(fits.labels, samples)]
    with threadpool_limits(limits=1):   # many tiny fits: OpenMP threads only add overhead
        return [fit_partition(x[sample], method, k, seed + b + 1, n_init=n_init, engine=engine)
                for b, sample in enumerate(samples)]


def cluster_bootstrap(z: pd.DataFrame, method: str, k: int, reps: int = 200, seed: int = 20261123,
                      n_init: int = 10, engine: str = "batched") -> ClusterBootstrap:
    r"""Cluster-wise Jaccard bootstrap (Hennig 2007) and co-assignment shares of a partition.

    The full-sample partition is :func:`ruralrev.stats.clustering.partitions.fit_partition` (``method``, ``k``,
    ``seed``); each of the ``reps`` resamples draws n observations with replacement, keeps the
    distinct ones and refits the same method and k (``n_init`` initialisations, seed
    ``seed + b + 1``). See the Notes for the statistics. With ``method="kmeans"`` the refits
    run all at once (``engine="batched"``,
    :func:`ruralrev.stats.clustering.batched_kmeans.kmeans`) or one scikit-learn ``KMeans`` per
    resample (``engine="sklearn"``); they reach the same partitions.

    Parameters
    ----------
    z : DataFrame
        Standardized indicators, observations (provinces) in rows.
    method, k : str, int
        Clustering method and number of clusters, as in :func:`~ruralrev.stats.clustering.partitions.fit_partition`.
    reps : int
        Bootstrap resamples B (``fpc`` recommends 100 or more).
    seed : int
        Seed of the resampling and of the refits.

    Returns
    -------
    ClusterBootstrap

    Notes
    -----
    * **cluster-wise Jaccard** (Hennig 2007, as ``fpc::clusterboot`` with ``bootmethod="boot"``,
      ``multipleboot=FALSE``): for each original cluster *C* and resample *b* with distinct drawn
      points :math:`S_b`, the similarity to the most similar cluster of the resample's partition,

      .. math:: \gamma_{C,b} = \max_{D \in \mathcal P_b}
                \frac{|C\cap S_b \cap D|}{|(C\cap S_b)\cup D|},

      averaged over the B resamples. A cluster with no point in :math:`S_b` scores 0 in that
      resample (``fpc`` does the same: its 0/0 counts as 0). Hennig's reading of the mean: ≥ 0.85
      highly stable, ≥ 0.75 valid and stable, 0.6–0.75 a pattern whose membership is doubtful,
      below 0.6 not to be trusted; a single resample with :math:`\gamma \le 0.5` *dissolves* the
      cluster, one with :math:`\gamma > 0.75` *recovers* it (the counts ``fpc`` reports as
      ``bootbrd`` and ``bootrecover``);
    * **co-assignment** (the consensus matrix of Monti et al. 2003): for two observations, the
      share of resamples containing both that put them in the same cluster; for an observation,
      the mean of that share over its original cluster mates. This says which *provinces* wander,
      not which *clusters* hold.

    References
    ----------
    Hennig (2007); Monti et al. (2003).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    x = z.to_numpy(float)
    n = len(x)
    full = fit_partition(x, method, k, seed, engine=engine)
    labels = np.unique(full)
    rng = np.random.default_rng(seed)
    samples = [np.unique(rng.integers(0, n, n)) for _ in range(reps)]
    for sample in samples:
        if len(sample) <= k:
            raise ValueError(f"a resample has only {len(sample)} distinct observations for k = {k}")
    together = np.zeros((n, n))
    both = np.zeros((n, n))
    similarities, aris = [], []
    refits = _refits(x, samples, method, k, seed, n_init, engine)
    for sample, refit in zip(samples, refits):
        similarities.append(jaccard_to_best_match(full, sample, refit))
        aris.append(adjusted_rand_index(full[sample], refit))
        together[np.ix_(sample, sample)] += refit[:, None] == refit[None, :]
        both[np.ix_(sample, sample)] += 1
    jaccard = pd.DataFrame(similarities, columns=list(labels))
    jaccard.index.name = "resample"
    summary = pd.DataFrame({
        "cluster": labels,
        "size": [int((full == c).sum()) for c in labels],
        "mean_jaccard": jaccard.mean().to_numpy(),
        "dissolved": (jaccard <= DISSOLVED).sum().to_numpy(),
        "recovered": (jaccard > RECOVERED).sum().to_numpy(),
    })
    summary["reading"] = [hennig_reading(v) for v in summary["mean_jaccard"]]
    share = np.divide(together, both, out=np.full_like(together, np.nan), where=both > 0)
    names = list(z.index)
    rows = []
    for i, name in enumerate(names):
        mates = [j for j in range(n) if j != i and full[j] == full[i]]
        rows.append({"province": name, "cluster": int(full[i]),
                     "coassignment": float(np.nanmean(share[i, mates])) if mates else 1.0})
    return ClusterBootstrap(clusters=summary, jaccard=jaccard, province=pd.DataFrame(rows),
                            coassignment=pd.DataFrame(share, index=names, columns=names),
                            ari=np.array(aris), reps=reps, seed=seed,
                            resamples=tuple(zip(samples, refits)))



@dataclass(frozen=True)
class ReferenceStability:
    """Result of :func:`reference_stability`.

    ``table`` has one row per reference set: ``set``, the smallest and largest mean Jaccard of
    its clusters (``weakest``, ``strongest``) and Hennig's reading of the weakest.
    """

    table: pd.DataFrame
    method: str
    k: int
    reps: int
    seed: int

    @property
    def median_weakest(self) -> float:
        """Median over the reference sets of the weakest cluster's mean Jaccard."""
        return float(self.table["weakest"].median())

    @property
    def n_stable(self) -> int:
        """Reference sets whose every cluster reads as stable (mean Jaccard ≥ 0.75)."""
        return int((self.table["weakest"] >= RECOVERED).sum())


def reference_stability(z: pd.DataFrame, method: str, k: int, sets: int = 5, reps: int = 100,
                        seed: int = 20261123, engine: str = "batched") -> ReferenceStability:
    r"""The cluster-wise Jaccard bootstrap on data sets without clusters, shaped like ``z``.

    Draws ``sets`` reference sets as the gap statistic does (:func:`ruralrev.stats.clustering.number_of_clusters.reference_sets`,
    same ``seed``: they are its first reference sets), partitions each with ``method`` and ``k``
    and runs :func:`cluster_bootstrap` on it (``reps`` resamples, seed ``seed + s``). A reference
    set has no cluster structure, so the mean Jaccard

    .. math:: \bar\gamma_C = \frac1B\sum_b \gamma_{C,b}

    of its clusters says how stable a mere cut of a cloud of this shape is: the power of the
    stability check on these data.

    Stability is not evidence of clusters: k-means cuts data without any cluster structure the
    same way in every resample when the data are elongated (Hennig 2007 shows clusters that are
    stable only because of the inflexibility of the clustering method). The reference sets are
    uniform over the data's principal-component box and have no clusters by construction. When
    their clusters read as stable too, the Jaccard bootstrap cannot tell the data's partition
    from a cut through a structureless cloud of the same shape.

    References
    ----------
    Hennig (2007); Tibshirani, Walther and Hastie (2001), for the reference distribution.
    """
    if sets < 1:
        raise ValueError(f"at least one reference set is needed, got {sets}")
    names = list(z.index)
    rows = []
    for s, reference in enumerate(reference_sets(z, sets, seed), start=1):
        result = cluster_bootstrap(pd.DataFrame(reference, index=names), method, k, reps, seed + s, engine=engine)
        weakest = float(result.clusters["mean_jaccard"].min())
        rows.append({"set": s, "weakest": weakest, "strongest": float(result.clusters["mean_jaccard"].max()),
                     "reading": hennig_reading(weakest)})
    return ReferenceStability(table=pd.DataFrame(rows), method=method, k=k, reps=reps, seed=seed)

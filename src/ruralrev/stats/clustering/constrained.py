"""Spatially constrained regions beside unconstrained clusters of the same indicators.

A *region* here is a group of provinces that are alike on standardized indicators **and** form
one connected piece of the map (under the book's contiguity weights). :func:`constrained_regions`
builds them with SKATER (spopt) or with Ward's method restricted to joining neighbours
(scikit-learn with a connectivity matrix); :func:`compare_partitions` sets them beside k-means
clusters (:func:`ruralrev.stats.clustering.partitions.fit_partition`) and measures agreement and the fit given up
for contiguity.

References
----------
Assunção, R. M., Neves, M. C., Câmara, G. and da Costa Freitas, C. (2006). Efficient
regionalization techniques for socio-economic geographical units using minimum spanning trees.
*International Journal of Geographical Information Science* 20(7), 797–811.
Rey, Arribas-Bel and Wolf (2023), *Geographic Data Science with Python*, chapter 10.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruralrev.stats.clustering import partitions
from ruralrev.stats.spatial.neighbours import quiet_import

__all__ = ["REGION_METHODS", "constrained_regions", "match_labels", "is_contiguous", "r_squared",
           "PartitionComparison", "compare_partitions", "drop_sensitivity"]

REGION_METHODS = ("skater", "ward")


def _canonical(labels, first_column: np.ndarray) -> np.ndarray:
    """Number groups 1..k by decreasing mean of the first indicator (group 1 = highest)."""
    labels = np.asarray(labels)
    unique = np.unique(labels)
    order = unique[np.argsort([-first_column[labels == u].mean() for u in unique], kind="stable")]
    mapping = {old: new for new, old in enumerate(order, start=1)}
    return np.array([mapping[v] for v in labels])


def constrained_regions(z: pd.DataFrame, w, n_regions: int, method: str = "skater",
                        floor: int = 2) -> pd.Series:
    r"""Contiguous regions of the provinces in ``z`` (z-scores, rows in ``w``'s order).

    ``skater``: SKATER — the minimum spanning tree of the contiguity graph with edge costs
    :math:`\lVert z_i - z_j\rVert`, cut ``n_regions − 1`` times, each time where the cut most
    reduces the within-region sum of squares, no region smaller than ``floor`` provinces (spopt
    ``Skater``). ``ward``: agglomerative clustering with Ward's linkage, allowed to join only
    groups that share a border (scikit-learn ``AgglomerativeClustering(connectivity=W)``).

    Returns
    -------
    Series
        Region 1..``n_regions`` per province (1 = highest mean of the first indicator).
    """
    if list(z.index) != list(w.id_order):
        raise ValueError("z must be indexed by province in the order of the weights")
    if not 2 <= n_regions < len(z):
        raise ValueError(f"n_regions must be between 2 and {len(z) - 1}, got {n_regions}")
    x = z.to_numpy(float)
    if method == "skater":
        Skater = quiet_import("spopt.region").Skater
        from libpysal import weights

        # Skater reads only the attribute columns of its frame, so no geometry is needed; it sets
        # its weights to binary, so it gets a copy and the caller's weights keep their transform.
        copy = weights.W({p: list(n) for p, n in w.neighbors.items()}, id_order=list(w.id_order),
                         silence_warnings=True)
        model = Skater(z.reset_index(drop=True), copy, list(z.columns), n_clusters=n_regions, floor=floor)
        model.solve()
        labels = model.labels_
    elif method == "ward":
        from sklearn.cluster import AgglomerativeClustering

        labels = AgglomerativeClustering(n_clusters=n_regions, linkage="ward",
                                         connectivity=w.sparse).fit_predict(x)
    else:
        raise ValueError(f"method must be one of {REGION_METHODS}, got {method!r}")
    return pd.Series(_canonical(labels, x[:, 0]), index=z.index, name="region")


def match_labels(labels: pd.Series, reference: pd.Series) -> pd.Series:
    """Renumber ``labels`` so that each group takes the number of the ``reference`` group it is
    paired with (one-to-one, maximising the total number of shared provinces: the Hungarian
    algorithm), so that two maps of the partitions use the same colour for corresponding groups.
    A group paired with a reference group it shares no province with, or left unpaired, takes a
    number no reference group has: groups that have nothing in common never share a colour."""
    from scipy.optimize import linear_sum_assignment

    table = pd.crosstab(labels, reference)
    rows, cols = linear_sum_assignment(-table.to_numpy())
    mapping = {table.index[r]: table.columns[c] for r, c in zip(rows, cols) if table.iat[r, c] > 0}
    spare = iter(sorted(set(range(1, len(table.index) + len(table.columns) + 1)) - set(table.columns)))
    mapping.update({g: next(spare) for g in table.index if g not in mapping})
    return labels.map(mapping).rename(labels.name)


def is_contiguous(labels: pd.Series, w) -> bool:
    """True when every group of ``labels`` is one connected piece of the neighbour graph ``w``."""
    from scipy.sparse.csgraph import connected_components

    graph = w.sparse
    values = labels.reindex(w.id_order).to_numpy()
    for group in np.unique(values):
        members = np.flatnonzero(values == group)
        pieces, _ = connected_components(graph[members][:, members], directed=False)
        if pieces > 1:
            return False
    return True


def r_squared(z: pd.DataFrame, labels) -> float:
    r"""Share of the total sum of squares of ``z`` between groups: :math:`1 - W/T`."""
    x = z.to_numpy(float)
    labels = np.asarray(labels)
    within = sum(((x[labels == g] - x[labels == g].mean(axis=0)) ** 2).sum() for g in np.unique(labels))
    return float(1 - within / ((x - x.mean(axis=0)) ** 2).sum())


@dataclass(frozen=True)
class PartitionComparison:
    """Constrained regions and unconstrained clusters of the same provinces and indicators."""

    constrained: pd.Series      # region per province, numbered like the cluster it overlaps most
    unconstrained: pd.Series    # k-means cluster per province
    method: str
    ari: float                  # adjusted Rand index between the two
    r2_constrained: float
    r2_unconstrained: float
    clusters_contiguous: bool   # whether the k-means clusters happen to be contiguous
    sizes: pd.DataFrame         # provinces per group, both partitions


def compare_partitions(z: pd.DataFrame, w, k: int, method: str = "skater",
                       seed: int = 20261123) -> PartitionComparison:
    """Constrained regions (:func:`constrained_regions`) against k-means clusters with the same k.

    The regions are renumbered to match the clusters they overlap most (:func:`match_labels`).

    Agreement is the adjusted Rand index (Hubert and Arabie 1985): 1 for identical partitions,
    about 0 for chance agreement. The between-group share of the sum of squares (:func:`r_squared`)
    of each says how much homogeneity the contiguity constraint costs.
    """
    from sklearn.metrics import adjusted_rand_score


    unconstrained = pd.Series(partitions.fit_partition(z, "kmeans", k, seed), index=z.index, name="cluster")
    constrained = match_labels(constrained_regions(z, w, k, method), unconstrained)
    sizes = pd.DataFrame({"regions": constrained.value_counts().sort_index(),
                          "clusters": unconstrained.value_counts().sort_index()}).fillna(0).astype(int)
    return PartitionComparison(constrained=constrained, unconstrained=unconstrained, method=method,
                               ari=float(adjusted_rand_score(unconstrained, constrained)),
                               r2_constrained=r_squared(z, constrained), r2_unconstrained=r_squared(z, unconstrained),
                               clusters_contiguous=is_contiguous(unconstrained, w), sizes=sizes)


def drop_sensitivity(panel: pd.DataFrame, year: int, indicators: list[str], drops: dict[str, list[str]], w, k: int,
                     base: PartitionComparison, method: str = "skater", seed: int = 20261123) -> pd.DataFrame:
    """The regions-versus-clusters comparison again without some indicators.

    ``drops`` maps a name to the indicators left out (an empty list is skipped). One row per
    name: ``dropped`` (comma-separated codes), ``regions_ari`` (adjusted Rand index between the
    new regions and ``base``'s regions), ``clusters_ari`` (the same for the k-means clusters) and
    ``ari`` (new regions against new clusters, to set beside ``base.ari``).
    """

    rows = []
    for name, dropped in drops.items():
        kept = [c for c in indicators if c not in dropped]
        if not dropped or len(kept) < 2:
            continue
        z = partitions.feature_matrix(panel, year, kept)[1].loc[list(w.id_order)]
        other = compare_partitions(z, w, k, method, seed)
        rows.append({"name": name, "dropped": ", ".join(dropped),
                     "regions_ari": partitions.agreement(other.constrained, base.constrained),
                     "clusters_ari": partitions.agreement(other.unconstrained, base.unconstrained), "ari": other.ari})
    return pd.DataFrame(rows, columns=["name", "dropped", "regions_ari", "clusters_ari", "ari"])

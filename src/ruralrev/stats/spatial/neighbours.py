"""Neighbours: spatial weights of the 31 provinces (libpysal), with islands linked by a stated rule.
"""

from __future__ import annotations

import functools
import importlib
import warnings

import numpy as np
import pandas as pd

from ruralrev.data import official
from ruralrev.data.geo import province_shapes

__all__ = ["TQDM_WARNING", "WEIGHT_KINDS", "island_links", "neighbour_lists", "province_weights", "quiet_import", "subset_weights", "wide_values"]


WEIGHT_KINDS = ("queen", "rook", "knn")



#: The start of the warning ``tqdm.auto`` gives when it is imported in a Jupyter kernel without
#: ipywidgets (esda, spreg and spopt import it); the book's progress bars are never shown.
TQDM_WARNING = "IProgress not found"


def quiet_import(name: str):
    """Import a PySAL module without tqdm's :data:`TQDM_WARNING`."""

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=TQDM_WARNING)
        return importlib.import_module(name)



@functools.lru_cache(maxsize=None)
def island_links() -> pd.DataFrame:
    """How each province without a land neighbour is linked, and the alternative rule.

    The rule: an island is linked (both ways) to the province whose boundary is nearest, measured
    between the polygons in an equal-area projection (Hainan, an island, has no land neighbour: it
    is linked to Guangdong, across the Qiongzhou Strait). The frame also gives the province with the
    nearest centroid, which a centroid rule would pick instead.

    Returns
    -------
    DataFrame
        ``province``, ``linked_to``, ``boundary_km`` (border to border), ``linked_centroid_km``
        (centroid to centroid), ``nearest_centroid``, ``centroid_km``.
    """
    from libpysal import weights

    shapes = province_shapes()
    queen = weights.Queen.from_dataframe(shapes.reset_index(), ids="province", silence_warnings=True)
    rows = []
    for island in queen.islands:
        others = shapes.drop(index=island)
        boundary = others.geometry.distance(shapes.geometry[island]) / 1000
        centroid = others.geometry.centroid.distance(shapes.geometry[island].centroid) / 1000
        rows.append({"province": island, "linked_to": boundary.idxmin(), "boundary_km": float(boundary.min()),
                     "linked_centroid_km": float(centroid[boundary.idxmin()]),
                     "nearest_centroid": centroid.idxmin(), "centroid_km": float(centroid.min())})
    return pd.DataFrame(rows, columns=["province", "linked_to", "boundary_km", "linked_centroid_km",
                                       "nearest_centroid", "centroid_km"])



@functools.lru_cache(maxsize=None)
def neighbour_lists(kind: str = "queen", k: int = 4) -> dict[str, tuple[str, ...]]:
    """Neighbours of each province (book order), built once per process for each ``kind`` and ``k``.

    ``queen``: provinces sharing a border point; ``rook``: sharing a border segment (the same
    pairs for China's provinces on this map); both with the island rule of :func:`island_links`.
    ``knn``: the ``k`` provinces with the nearest centroids, made symmetric (a pair is linked when
    either is among the other's ``k`` nearest), so some provinces have more than ``k``.
    """
    from libpysal import weights

    if kind not in WEIGHT_KINDS:
        raise ValueError(f"unknown weights kind {kind!r}; use one of {WEIGHT_KINDS}")
    shapes = province_shapes()
    order = list(shapes.index)
    if kind == "knn":
        if not 1 <= k < len(order):
            raise ValueError(f"k must be between 1 and {len(order) - 1}, got {k}")
        points = shapes.assign(geometry=shapes.geometry.centroid).reset_index()
        nearest = weights.KNN.from_dataframe(points, k=k, ids="province")
        links = {p: set(nearest.neighbors[p]) for p in order}
        for p in order:
            for q in nearest.neighbors[p]:
                links[q].add(p)
    else:
        builder = weights.Queen if kind == "queen" else weights.Rook
        contiguity = builder.from_dataframe(shapes.reset_index(), ids="province", silence_warnings=True)
        links = {p: set(contiguity.neighbors[p]) for p in order}
        for row in island_links().itertuples():
            links[row.province].add(row.linked_to)
            links[row.linked_to].add(row.province)
    position = {p: i for i, p in enumerate(order)}
    return {p: tuple(sorted(links[p], key=position.get)) for p in order}



def province_weights(kind: str = "queen", k: int = 4, transform: str = "r"):
    r"""Spatial weights of the 31 provinces as a new ``libpysal.weights.W``.

    .. math:: w_{ij} = \frac{c_{ij}}{\sum_j c_{ij}}

    with :math:`c_{ij} = 1` when *j* is a neighbour of *i* (row standardisation, ``transform="r"``;
    ``"b"`` keeps the binary :math:`c_{ij}`). The ids and their order are the book's
    (``data.load_provinces``). Each call returns a fresh object, so changing its transform does not
    touch the cached neighbour lists.

    References
    ----------
    Rey, Arribas-Bel and Wolf (2023), *Geographic Data Science with Python*, chapter 4.
    """
    from libpysal import weights

    lists = neighbour_lists(kind, k)
    w = weights.W({p: list(n) for p, n in lists.items()}, id_order=list(lists), silence_warnings=True)
    w.transform = transform
    return w



def subset_weights(w, provinces, transform: str = "r"):
    r"""``w`` restricted to ``provinces`` (in their order): the links among them only, then
    ``transform`` (row standardisation by default, over the neighbours that remain).

    .. math:: w^{S}_{ij} = \frac{c_{ij}}{\sum_{j \in S} c_{ij}},\qquad i, j \in S

    Raises ``ValueError`` naming the provinces left without a neighbour (their rows would be empty).
    """
    from libpysal import weights

    binary = weights.W(w.neighbors, id_order=w.id_order, silence_warnings=True)
    part = weights.w_subset(binary, list(provinces), silence_warnings=True)
    if part.islands:
        raise ValueError(f"without the excluded provinces {part.islands} have no neighbour")
    part.transform = transform
    return part



def wide_values(panel: pd.DataFrame, variable: str, years, transform: str = "log",
                order: list[str] | None = None) -> pd.DataFrame:
    r"""One column per year, one row per province (book order) of ``variable``.

    ``transform``: ``"level"``; ``"log"`` (:math:`\ln y_{it}`); ``"growth"``, the annual growth in
    per cent as :math:`100\,(\ln y_{it} - \ln y_{i,t-1})`, for every year after the first.
    """

    years = list(years)
    order = order or official.load_provinces()["province"].tolist()
    if variable not in panel.columns:
        raise ValueError(f"unknown variable {variable!r}")
    frame = panel[panel["year"].isin(years)].pivot(index="province", columns="year", values=variable)
    frame = frame.reindex(index=order, columns=years).astype(float)
    if frame.isna().any().any():
        gaps = frame.isna().stack()
        raise ValueError(f"{variable}: missing values for {', '.join(f'{p} {y}' for p, y in gaps[gaps].index[:5])}")
    if transform == "level":
        return frame
    if (frame <= 0).any().any():
        raise ValueError(f"{variable} has non-positive values; its log is undefined")
    logs = np.log(frame)
    if transform == "log":
        return logs
    if transform == "growth":
        if len(years) < 2:
            raise ValueError("growth needs at least two years")
        return 100 * logs.diff(axis=1).iloc[:, 1:]
    raise ValueError(f"transform must be 'level', 'log' or 'growth', got {transform!r}")

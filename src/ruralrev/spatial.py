"""Neighbours: spatial weights of the 31 provinces and spatial autocorrelation (libpysal, esda).

* :func:`province_weights` — queen (default) or rook contiguity from the committed province map,
  or the *k* nearest neighbours, as a ``libpysal.weights.W`` in the book's province order.
  Hainan, an island, has no land neighbour; it is linked to the province whose border is nearest
  (:func:`island_links`: Guangdong, across the Qiongzhou Strait). The neighbour lists are built
  once per process.
* :func:`global_moran`, :func:`geary`, :func:`autocorrelation_by_year` — global Moran's I and
  Geary's C with permutation pseudo p-values (esda, fixed seed).
* :func:`local_moran` — local Moran (LISA) quadrants HH / LL / LH / HL, significant at α with an
  optional false-discovery-rate or Bonferroni correction.

Moran's I of a regression's residuals is in :mod:`ruralrev.spatial_models`.

References
----------
Anselin, L. (1995). Local indicators of spatial association — LISA. *Geographical Analysis*
27(2), 93–115.
Rey, S. J., Arribas-Bel, D. and Wolf, L. J. (2023). *Geographic Data Science with Python*.
CRC Press, chapters 4, 6 and 7.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "WEIGHT_KINDS",
    "quiet_import",
    "QUADRANTS",
    "CORRECTIONS",
    "province_shapes",
    "neighbour_lists",
    "province_weights",
    "island_links",
    "wide_values",
    "GlobalMoran",
    "global_moran",
    "geary",
    "autocorrelation_by_year",
    "LocalMoran",
    "local_moran",
    "conditional_pvalues",
]

WEIGHT_KINDS = ("queen", "rook", "knn")


def quiet_import(name: str):
    """Import a PySAL module without tqdm's "IProgress not found" warning: esda, spreg and spopt
    import ``tqdm.auto``, which warns inside a Jupyter kernel that has no ipywidgets."""
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        return importlib.import_module(name)
#: esda's quadrant codes (``Moran_Local.q``) and the book's names: value high/low, neighbours high/low.
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
CORRECTIONS = ("none", "fdr", "bonferroni")


def province_shapes():
    """The 31 province polygons (GeoDataFrame indexed by province) in the book's order
    (``data.load_provinces``), in the equal-area projection ``maps.ALBERS_CHINA`` (a copy of the
    frame read once per process)."""
    return _shapes().copy()


@functools.lru_cache(maxsize=1)
def _shapes():
    from . import data, maps

    shapes = maps.load_map()
    shapes = shapes[shapes["status"] == "province"].set_index("province")
    order = data.load_provinces()["province"].tolist()
    if set(order) != set(shapes.index):
        raise ValueError(f"{maps.MAP_FILE}: provinces differ from data/provinces.csv "
                         f"({sorted(set(order) ^ set(shapes.index))})")
    return shapes.loc[order].to_crs(maps.ALBERS_CHINA)


@functools.lru_cache(maxsize=None)
def island_links() -> pd.DataFrame:
    """How each province without a land neighbour is linked, and the alternative rule.

    The rule: an island is linked (both ways) to the province whose boundary is nearest, measured
    between the polygons in an equal-area projection. The frame also gives the province with the
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


def wide_values(panel: pd.DataFrame, variable: str, years, transform: str = "log",
                order: list[str] | None = None) -> pd.DataFrame:
    r"""One column per year, one row per province (book order) of ``variable``.

    ``transform``: ``"level"``; ``"log"`` (:math:`\ln y_{it}`); ``"growth"``, the annual growth in
    per cent as :math:`100\,(\ln y_{it} - \ln y_{i,t-1})`, for every year after the first.
    """
    from . import data

    years = list(years)
    order = order or data.load_provinces()["province"].tolist()
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


@contextlib.contextmanager
def _numpy_seed(seed: int):
    """Seed numpy's legacy global generator (esda's global statistics draw from it), then restore it."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


@dataclass(frozen=True)
class GlobalMoran:
    """Global Moran's I with its inference (esda ``Moran``)."""

    I: float             # noqa: E741 — the statistic's name
    expected: float      # E[I] = -1/(n-1) under spatial randomness
    z_norm: float        # z under the normality assumption
    p_norm: float        # two-sided p-value of z_norm
    z_sim: float         # (I - mean of permuted I) / sd of permuted I
    p_sim: float         # pseudo p-value, one-sided in the observed direction
    sd_sim: float        # standard deviation of I over the permutations (the noise level of I)
    permutations: int
    n: int


def global_moran(y, w, permutations: int = 9999, seed: int = 20261123) -> GlobalMoran:
    r"""Global Moran's I of ``y`` under weights ``w`` (row-standardised), with permutation inference.

    .. math::

        I = \frac{n}{S_0}\,\frac{\sum_i\sum_j w_{ij} z_i z_j}{\sum_i z_i^2},\qquad
        z_i = y_i - \bar y,\quad S_0 = \sum_i\sum_j w_{ij}

    The pseudo p-value is :math:`(M+1)/(R+1)`, with *M* the number of the *R* random permutations
    of *y* over the provinces whose *I* is at least as extreme, in the direction of the observed
    *I* (esda's convention); the permutations are drawn with ``seed``.

    References
    ----------
    Moran, P. A. P. (1950). Notes on continuous stochastic phenomena. *Biometrika* 37, 17–23.
    Cliff, A. D. and Ord, J. K. (1981). *Spatial Processes: Models and Applications*. Pion.
    """
    esda = quiet_import("esda")

    y = np.asarray(y, dtype=float)
    if permutations < 99:
        raise ValueError(f"use at least 99 permutations, got {permutations}")
    with _numpy_seed(seed):
        result = esda.Moran(y, w, transformation="r", permutations=permutations)
    return GlobalMoran(I=float(result.I), expected=float(result.EI), z_norm=float(result.z_norm),
                       p_norm=float(result.p_norm), z_sim=float(result.z_sim), p_sim=float(result.p_sim),
                       sd_sim=float(result.seI_sim), permutations=permutations, n=len(y))


def geary(y, w, permutations: int = 9999, seed: int = 20261123) -> tuple[float, float]:
    r"""Geary's C and its permutation pseudo p-value (esda ``Geary``).

    .. math::

        C = \frac{(n-1)\sum_i\sum_j w_{ij}(y_i-y_j)^2}{2 S_0 \sum_i (y_i-\bar y)^2}

    C < 1 means neighbours are more alike than random pairs (positive autocorrelation); C is
    more sensitive to local differences than Moran's I.

    References
    ----------
    Geary, R. C. (1954). The contiguity ratio and statistical mapping. *The Incorporated
    Statistician* 5(3), 115–145.
    """
    esda = quiet_import("esda")

    with _numpy_seed(seed):
        result = esda.Geary(np.asarray(y, dtype=float), w, transformation="r", permutations=permutations)
    return float(result.C), float(result.p_sim)


def autocorrelation_by_year(values: pd.DataFrame, w, permutations: int = 9999,
                            seed: int = 20261123, with_geary: bool = True) -> pd.DataFrame:
    """Moran's I and Geary's C of each column (year) of ``values`` (provinces in ``w``'s order).

    Returns one row per year: ``year``, ``I``, ``expected``, ``z_norm``, ``p_norm``, ``z_sim``,
    ``p_sim``, ``sd_sim``, ``geary_c``, ``geary_p_sim`` (NaN when ``with_geary`` is false, which
    saves its permutations), ``n``. Every year uses the same ``seed``.
    """
    if list(values.index) != list(w.id_order):
        raise ValueError("values must be indexed by province in the order of the weights")
    rows = []
    for year in values.columns:
        y = values[year].to_numpy(float)
        moran = global_moran(y, w, permutations, seed)
        c, c_p = geary(y, w, permutations, seed) if with_geary else (np.nan, np.nan)
        rows.append({"year": int(year), "I": moran.I, "expected": moran.expected, "z_norm": moran.z_norm,
                     "p_norm": moran.p_norm, "z_sim": moran.z_sim, "p_sim": moran.p_sim,
                     "sd_sim": moran.sd_sim, "geary_c": c, "geary_p_sim": c_p, "n": moran.n})
    return pd.DataFrame(rows)


def conditional_pvalues(z, w, local, permutations: int = 9999, seed: int = 20261123) -> np.ndarray:
    r"""Pseudo p-values of local Moran statistics under conditional randomisation.

    For each province *i* its own value is held fixed and its :math:`|N_i|` neighbours' values
    are drawn without replacement from the other *n* − 1 provinces, *R* times:

    .. math::

        I_i^{(r)} = (n-1)\,\frac{z_i \sum_{j} w_{ij} z_{\pi_r(j)}}{\sum_k z_k^2},\qquad
        p_i = \frac{\min(M_i,\,R - M_i) + 1}{R + 1}

    with :math:`M_i` the number of draws with :math:`I_i^{(r)} \ge I_i` (esda's folded, one-sided
    convention). This is esda's algorithm in vectorised numpy: esda's own engine is compiled by
    numba on first use, which costs more time than the whole chapter; the tests check these
    p-values against ``esda.Moran_Local(...).p_sim`` on the book's data.

    References
    ----------
    Anselin (1995); Sokal, R. R., Oden, N. L. and Thomson, B. A. (1998). Local spatial
    autocorrelation in a biological model. *Geographical Analysis* 30(4), 331–354.
    """
    z = np.asarray(z, dtype=float)
    local = np.asarray(local, dtype=float)
    n = len(z)
    sparse = w.sparse.tocsr()
    cardinality = np.diff(sparse.indptr)
    if (cardinality == 0).any():
        raise ValueError("every province needs at least one neighbour")
    rng = np.random.default_rng(seed)
    draws = rng.permuted(np.tile(np.arange(n - 1), (permutations, 1)), axis=1)[:, : cardinality.max()]
    scale = (n - 1) / (z @ z)
    pvalues = np.empty(n)
    for i in range(n):
        row = slice(sparse.indptr[i], sparse.indptr[i + 1])
        ids = draws[:, : cardinality[i]]
        ids = ids + (ids >= i)                      # skip province i itself
        simulated = scale * z[i] * (z[ids] @ sparse.data[row])
        larger = int((simulated >= local[i]).sum())
        pvalues[i] = (min(larger, permutations - larger) + 1) / (permutations + 1)
    return pvalues


@dataclass(frozen=True)
class LocalMoran:
    """Local Moran (LISA) of one variable: one row per province in ``frame``."""

    frame: pd.DataFrame   # province, value, z, lag, Is, quadrant, p_sim, significant, category
    alpha: float
    correction: str
    threshold: float      # p-values at or below it are significant (α after the correction)
    permutations: int

    def counts(self) -> pd.Series:
        """Provinces per category, in the order HH, LL, LH, HL, not significant."""
        order = ["HH", "LL", "LH", "HL", "not significant"]
        return self.frame["category"].value_counts().reindex(order, fill_value=0)


def local_moran(y, w, alpha: float = 0.05, correction: str = "none", permutations: int = 9999,
                seed: int = 20261123, engine: str = "numpy") -> LocalMoran:
    r"""Local Moran's I of each province, its quadrant and whether it is significant.

    .. math::

        I_i = (n-1)\,\frac{z_i \sum_j w_{ij} z_j}{\sum_k z_k^2}

    with *z* the standardised values and row-standardised weights (esda ``Moran_Local``). The
    quadrant compares the province (*z*) and the mean of its neighbours (the spatial lag): HH,
    LL (clusters), HL, LH (outliers). A province is significant when its conditional-permutation
    pseudo p-value is at most the threshold: α (``correction="none"``), the Benjamini–Hochberg
    false-discovery-rate threshold of esda's ``fdr`` (``"fdr"``) or α/n (``"bonferroni"``).

    ``engine="numpy"`` computes the p-values by :func:`conditional_pvalues`; ``engine="esda"``
    takes esda's own ``p_sim`` (slow on first use: numba compiles it).

    References
    ----------
    Anselin (1995); Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate.
    *JRSS B* 57(1), 289–300; de Castro, M. C. and Singer, B. H. (2006). Controlling the false
    discovery rate: a new application to account for multiple and dependent tests in local
    statistics of spatial association. *Geographical Analysis* 38(2), 180–208.
    """
    esda = quiet_import("esda")

    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {CORRECTIONS}, got {correction!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if engine not in ("numpy", "esda"):
        raise ValueError(f"engine must be 'numpy' or 'esda', got {engine!r}")
    y = np.asarray(y, dtype=float)
    if engine == "esda":
        import warnings

        with warnings.catch_warnings():  # esda 2.8 announces a future change of its default alternative
            warnings.filterwarnings("ignore", message="The alternative hypothesis for conditional randomization")
            result = esda.Moran_Local(y, w, transformation="r", permutations=permutations, seed=seed)
        pvalues = np.asarray(result.p_sim, dtype=float)
    else:
        result = esda.Moran_Local(y, w, transformation="r", permutations=0)
        pvalues = conditional_pvalues(result.z, result.w, result.Is, permutations, seed)
    if correction == "fdr":
        threshold = float(esda.fdr(pvalues, alpha))
    elif correction == "bonferroni":
        threshold = alpha / len(y)
    else:
        threshold = alpha
    quadrant = pd.Series(result.q).map(QUADRANTS).to_numpy()
    significant = pvalues <= threshold
    frame = pd.DataFrame({"province": list(w.id_order), "value": y, "z": result.z,
                          "lag": np.asarray(result.w.sparse @ result.z), "Is": result.Is, "quadrant": quadrant,
                          "p_sim": pvalues, "significant": significant,
                          "category": np.where(significant, quadrant, "not significant")})
    return LocalMoran(frame=frame, alpha=alpha, correction=correction, threshold=threshold,
                      permutations=permutations)

"""Spatial autocorrelation of the 31 provinces' values: global and local Moran, Geary (esda).

The weights come from :mod:`ruralrev.stats.spatial.neighbours` (queen contiguity by default,
islands linked by a stated rule); Moran's I of a regression's residuals is in
:mod:`ruralrev.stats.spatial.regression`.

* :func:`global_moran`, :func:`geary`, :func:`autocorrelation_by_year` — global Moran's I and
  Geary's C with permutation pseudo p-values (esda, fixed seed; the permutations are evaluated in
  one matrix product by :mod:`ruralrev.stats.spatial.permutation`, with esda's own draws).
* :func:`local_moran`, :func:`local_morans` — local Moran (LISA) quadrants HH / LL / LH / HL,
  significant at α with an optional false-discovery-rate or Bonferroni correction.
* :func:`local_counts` — how many provinces each correction keeps, for several weights and years.

References
----------
Anselin, L. (1995). Local indicators of spatial association — LISA. *Geographical Analysis*
27(2), 93–115.
Rey, S. J., Arribas-Bel, D. and Wolf, L. J. (2023). *Geographic Data Science with Python*.
CRC Press, chapters 4, 6 and 7.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruralrev.stats.spatial.neighbours import quiet_import
from ruralrev.stats.spatial.permutation import (
    conditional_pvalues,
    folded_p_value,
    geary_simulations,
    legacy_permutations,
    moran_simulations,
)

__all__ = ["QUADRANTS", "CORRECTIONS", "GlobalMoran", "global_moran", "geary", "autocorrelation_by_year", "LocalMoran", "local_moran", "local_morans",
           "local_counts"]
ENGINES = ("numpy", "esda")


#: esda's quadrant codes (``Moran_Local.q``) and the book's names: value high/low, neighbours high/low.
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
CORRECTIONS = ("none", "fdr", "bonferroni")


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


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")


def global_moran(y, w, permutations: int = 9999, seed: int = 20261123, engine: str = "numpy") -> GlobalMoran:
    r"""Global Moran's I of ``y`` under weights ``w`` (row-standardised), with permutation inference.

    .. math::

        I = \frac{n}{S_0}\,\frac{\sum_i\sum_j w_{ij} z_i z_j}{\sum_i z_i^2},\qquad
        z_i = y_i - \bar y,\quad S_0 = \sum_i\sum_j w_{ij}

    The pseudo p-value is :math:`(M+1)/(R+1)`, with *M* the number of the *R* random permutations
    of *y* over the provinces whose *I* is at least as extreme, in the direction of the observed
    *I* (esda's convention); the permutations are drawn with ``seed``. *I*, its expectation and
    the normal approximation are esda's (``Moran``); ``engine="numpy"`` evaluates esda's own
    permutations in one matrix product (:mod:`ruralrev.stats.spatial.permutation`), ``"esda"`` lets esda
    loop over them — the same numbers, as the tests check.

    References
    ----------
    Moran, P. A. P. (1950). Notes on continuous stochastic phenomena. *Biometrika* 37, 17–23.
    Cliff, A. D. and Ord, J. K. (1981). *Spatial Processes: Models and Applications*. Pion.
    """

    esda = quiet_import("esda")
    _check_engine(engine)
    y = np.asarray(y, dtype=float)
    if permutations < 99:
        raise ValueError(f"use at least 99 permutations, got {permutations}")
    if engine == "esda":
        with _numpy_seed(seed):
            result = esda.Moran(y, w, transformation="r", permutations=permutations)
        simulated, p_sim = result.sim, float(result.p_sim)
    else:
        result = esda.Moran(y, w, transformation="r", permutations=0)
        simulated = moran_simulations(y - y.mean(), result.w.sparse, legacy_permutations(len(y), permutations, seed))
        p_sim = folded_p_value(simulated, result.I)
    sd = float(np.std(simulated))
    return GlobalMoran(I=float(result.I), expected=float(result.EI), z_norm=float(result.z_norm),
                       p_norm=float(result.p_norm), z_sim=float((result.I - simulated.sum() / permutations) / sd),
                       p_sim=p_sim, sd_sim=sd, permutations=permutations, n=len(y))


def geary(y, w, permutations: int = 9999, seed: int = 20261123, engine: str = "numpy") -> tuple[float, float]:
    r"""Geary's C and its permutation pseudo p-value (esda ``Geary``; ``engine`` as in
    :func:`global_moran`).

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
    _check_engine(engine)
    y = np.asarray(y, dtype=float)
    if engine == "esda":
        with _numpy_seed(seed):
            result = esda.Geary(y, w, transformation="r", permutations=permutations)
        return float(result.C), float(result.p_sim)
    result = esda.Geary(y, w, transformation="r", permutations=0)
    simulated = geary_simulations(y, result.w.sparse, result.den, legacy_permutations(len(y), permutations, seed))
    return float(result.C), folded_p_value(simulated, result.C)


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


@dataclass(frozen=True)
class LocalMoran:
    """Local Moran (LISA) of one variable: one row per province in ``table``."""

    table: pd.DataFrame   # province, value, z, lag, Is, quadrant, p_sim, significant, category
    alpha: float
    correction: str
    threshold: float      # p-values at or below it are significant (α after the correction)
    permutations: int

    def counts(self) -> pd.Series:
        """Provinces per category, in the order HH, LL, LH, HL, not significant."""
        order = ["HH", "LL", "LH", "HL", "not significant"]
        return self.table["category"].value_counts().reindex(order, fill_value=0)


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
    return local_morans(y, w, alpha, (correction,), permutations, seed, engine)[correction]


def local_morans(y, w, alpha: float = 0.05, corrections=CORRECTIONS, permutations: int = 9999,
                 seed: int = 20261123, engine: str = "numpy") -> dict[str, LocalMoran]:
    """:func:`local_moran` under each of ``corrections``, from one set of permutations
    (``{correction: LocalMoran}``): the corrections change the threshold, not the p-values."""
    esda = quiet_import("esda")

    unknown = [c for c in corrections if c not in CORRECTIONS]
    if unknown:
        raise ValueError(f"correction must be one of {CORRECTIONS}, got {unknown[0]!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    _check_engine(engine)
    y = np.asarray(y, dtype=float)
    if engine == "esda":
        with warnings.catch_warnings():  # esda 2.8 announces a future change of its default alternative
            warnings.filterwarnings("ignore", message="The alternative hypothesis for conditional randomization")
            result = esda.Moran_Local(y, w, transformation="r", permutations=permutations, seed=seed)
        pvalues = np.asarray(result.p_sim, dtype=float)
    else:
        result = esda.Moran_Local(y, w, transformation="r", permutations=0)
        pvalues = conditional_pvalues(result.z, result.w, result.Is, permutations, seed)
    thresholds = {"none": alpha, "bonferroni": alpha / len(y)}
    quadrant = pd.Series(result.q).map(QUADRANTS).to_numpy()
    frame = pd.DataFrame({"province": list(w.id_order), "value": y, "z": result.z,
                          "lag": np.asarray(result.w.sparse @ result.z), "Is": result.Is, "quadrant": quadrant,
                          "p_sim": pvalues})
    found = {}
    for correction in corrections:
        threshold = float(esda.fdr(pvalues, alpha)) if correction == "fdr" else thresholds[correction]
        significant = pvalues <= threshold
        found[correction] = LocalMoran(
            table=frame.assign(significant=significant, category=np.where(significant, quadrant, "not significant")),
            alpha=alpha, correction=correction, threshold=threshold, permutations=permutations)
    return found


def local_counts(values: pd.DataFrame, weights: dict, alpha: float = 0.05, permutations: int = 9999,
                 seed: int = 20261123) -> pd.DataFrame:
    """Provinces significant in the local Moran statistics under each correction, for every set of
    ``weights`` (``{name: libpysal W}``) and every year (column) of ``values`` (one row per province,
    as :func:`~ruralrev.stats.spatial.neighbours.wide_values` returns them).

    One row per weights and year: ``weights``, ``year``, then the count under each of
    :data:`CORRECTIONS` (from one set of permutations per row, :func:`local_morans`). It shows how
    far a count of "significant clusters" depends on choices the data do not make.
    """
    rows = []
    for name, w in weights.items():
        frame = values.reindex(list(w.id_order))
        if frame.isna().any().any():
            raise ValueError(f"weights {name!r}: values missing for some provinces of the weights")
        for year in frame.columns:
            lisas = local_morans(frame[year].to_numpy(float), w, alpha, CORRECTIONS, permutations, seed)
            rows.append({"weights": name, "year": int(year),
                         **{c: int(lisa.table["significant"].sum()) for c, lisa in lisas.items()}})
    return pd.DataFrame(rows, columns=["weights", "year", *CORRECTIONS])

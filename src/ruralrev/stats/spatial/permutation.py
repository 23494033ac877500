"""Permutation inference for the spatial statistics, vectorised: esda's draws, without its loop.

esda computes the permutation distribution of a global statistic one Python call per draw
(9,999 sparse products per year and statistic), and its local engine is compiled by numba on
first use. The chapters ask for 9,999 draws of Moran's I and Geary's C for every year, twice
(levels and growth), so this module draws the permutations once and evaluates every statistic
for all of them with one matrix product:

* :func:`legacy_permutations` — the permutations esda's global statistics draw after
  ``numpy.random.seed(seed)``, in the same order (the legacy Mersenne Twister stream), cached;
* :func:`moran_simulations`, :func:`geary_simulations` — the statistic for each permutation;
* :func:`folded_p_value` — esda's one-sided pseudo p-value in the observed direction;
* :func:`conditional_pvalues` — local Moran p-values under conditional randomisation.

References
----------
Anselin, L. (1995). Local indicators of spatial association — LISA. *Geographical Analysis*
27(2), 93–115.
Cliff, A. D. and Ord, J. K. (1981). *Spatial Processes: Models and Applications*. Pion, chapter 2.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["legacy_permutations", "moran_simulations", "geary_simulations", "folded_p_value",
           "conditional_pvalues"]


@functools.lru_cache(maxsize=8)
def legacy_permutations(n: int, permutations: int, seed: int) -> np.ndarray:
    """``permutations`` × ``n`` array: row *r* is the *r*-th ``permutation(n)`` of
    ``numpy.random.RandomState(seed)`` — the draws esda's ``Moran`` and ``Geary`` make after
    ``numpy.random.seed(seed)``. Cached (read-only); numpy's global state is not touched.

    Because the draws are esda's own, the global results are esda's to the last digit: the tests
    run both engines on the book's data and require equal p-values, z-scores and standard
    deviations (``tests/test_spatial.py``)."""
    generator = np.random.RandomState(seed)
    draws = np.array([generator.permutation(n) for _ in range(permutations)])
    draws.setflags(write=False)
    return draws


def moran_simulations(z, sparse, draws) -> np.ndarray:
    r"""Moran's I of the centred values ``z`` permuted by each row of ``draws``.

    .. math:: I^{(r)} = \frac{n}{S_0}\,\frac{z_{\pi_r}' W z_{\pi_r}}{z'z}

    ``sparse`` is the weights matrix as esda uses it (``w.sparse`` after its transformation).
    """
    z = np.asarray(z, dtype=float)
    permuted = z[draws]
    lagged = (sparse @ permuted.T).T
    return len(z) / sparse.sum() * (permuted * lagged).sum(axis=1) / (z * z).sum()


def geary_simulations(y, sparse, denominator: float, draws) -> np.ndarray:
    r"""Geary's C of ``y`` permuted by each row of ``draws``.

    .. math:: C^{(r)} = \frac{(n-1)\sum_{ij} w_{ij}(y_{\pi_r(i)} - y_{\pi_r(j)})^2}{2 S_0 \sum_i (y_i-\bar y)^2}

    ``denominator`` is :math:`2 S_0 \sum_i (y_i-\bar y)^2` as esda computes it (``Geary.den``).
    """
    y = np.asarray(y, dtype=float)
    focal, neighbour = sparse.nonzero()
    permuted = y[draws]
    numerator = (sparse.data * (permuted[:, focal] - permuted[:, neighbour]) ** 2).sum(axis=1)
    return (len(y) - 1) * numerator / denominator


#: Relative distance within which a simulated local statistic counts as equal to the observed one
#: (:func:`conditional_pvalues`). On the book's data exact ties land within 5e-16 of the observed
#: statistic and every other draw at least 2e-6 away (relative), so the line is far from both.
TIES_RTOL = 1e-10


def folded_p_value(simulated, observed: float, rtol: float = 0.0) -> float:
    r"""One-sided pseudo p-value in the observed direction: :math:`(\min(M_\ge, M_\le) + 1)/(R + 1)`
    with :math:`M_\ge` (:math:`M_\le`) the number of the *R* simulated values at least as large
    (at most as large) as the observed one.

    A simulated value within ``rtol`` × \|observed\| of the observed one is a tie: it counts in
    both tails. Where nothing ties, this is esda's folded pseudo p-value,
    :math:`(\min(M, R - M) + 1)/(R + 1)` with :math:`M = M_\ge`. The global statistics keep
    ``rtol`` = 0: under a permutation of all values an exact tie needs a permutation that leaves
    the statistic unchanged, and none came within 5e-4 (relative) on the book's data.

    References
    ----------
    Davison, A. C. and Hinkley, D. V. (1997). *Bootstrap Methods and their Application*, §4.2
    (Monte Carlo p-values count simulated values at least as extreme as the observed one).
    """
    if rtol < 0:
        raise ValueError(f"rtol must be at least 0, got {rtol}")
    simulated = np.asarray(simulated)
    margin = rtol * abs(observed)
    at_least = int((simulated >= observed - margin).sum())
    at_most = int((simulated <= observed + margin).sum())
    return (min(at_least, at_most) + 1.0) / (len(simulated) + 1.0)


def conditional_pvalues(z, w, local, permutations: int = 9999, seed: int = 20261123,
                        rtol: float = TIES_RTOL) -> np.ndarray:
    r"""Pseudo p-values of local Moran statistics under conditional randomisation.

    For each province *i* its own value is held fixed and its :math:`|N_i|` neighbours' values
    are drawn without replacement from the other *n* − 1 provinces, *R* times:

    .. math::

        I_i^{(r)} = (n-1)\,\frac{z_i \sum_{j} w_{ij} z_{\pi_r(j)}}{\sum_k z_k^2},\qquad
        p_i = \frac{\min(M_i^{\ge},\,M_i^{\le}) + 1}{R + 1}

    with :math:`M_i^{\ge}` (:math:`M_i^{\le}`) the number of draws with :math:`I_i^{(r)} \ge I_i`
    (:math:`\le I_i`): esda's folded, one-sided convention, with ties counted as below
    (:func:`folded_p_value`). This is esda's algorithm in vectorised numpy: esda's own engine is compiled by
    numba on first use, which costs more time than the whole chapter; the tests check these
    p-values against ``esda.Moran_Local(...).p_sim`` on the book's data. The draws come from numpy's
    generator (esda's from numpy's legacy one), so the p-values agree with esda's within Monte
    Carlo error, as tested.

    **Ties.** A draw that gives province *i* its own neighbours' values again (with one neighbour,
    about one draw in *n* − 1) reproduces :math:`I_i` exactly in exact arithmetic, but the sum is
    computed in another order than the observed statistic, so its last bits fall on either side.
    Such a draw counts as at least as extreme in the tail the p-value uses (within ``rtol``
    relative, :func:`folded_p_value`). esda counts a tie in :math:`M` only, as rounding decides,
    and never in the lower tail; for a province with one neighbour in the lower tail its p-value
    then misses the tie's share of 1/(*n* − 1). On the book's data Hainan (one neighbour, lower
    tail) has an exact conditional p of 7/30 in every year 2016–2024; counted this way its Monte
    Carlo p is close to that (tested), where ties left to rounding gave about 6/30 or 7/30 from
    year to year.

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
        pvalues[i] = folded_p_value(simulated, local[i], rtol)
    return pvalues

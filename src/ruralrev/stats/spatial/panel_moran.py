"""A joint permutation test of spatial autocorrelation in panel residuals.

Testing Moran's I of a panel's residuals year by year and counting the significant years as if
the years were independent (a binomial tail) overstates the evidence: a province's residuals are
correlated across years, so the yearly tests are too. :func:`joint_moran` permutes the provinces
once per draw, the same way in every year, and tests the mean yearly I (the statistic and its
p-value in its Notes).

References
----------
Cliff, A. D. and Ord, J. K. (1981). *Spatial Processes: Models and Applications*. Pion, chapter 2.
Anselin, L. (1988). *Spatial Econometrics: Methods and Models*. Kluwer, chapter 8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruralrev.stats.spatial.neighbours import subset_weights
from ruralrev.stats.spatial.permutation import (
    folded_p_value,
    legacy_permutations,
    moran_simulations,
)

__all__ = ["JointMoran", "joint_moran"]


@dataclass(frozen=True)
class JointMoran:
    """Result of :func:`joint_moran`: the mean yearly I, its permutation p-value, the provinces and
    years used and the number of draws."""

    mean_I: float
    p_sim: float
    n: int
    years: int
    permutations: int


def joint_moran(residuals: pd.DataFrame, w, permutations: int = 9999, seed: int = 20261123) -> JointMoran:
    r"""Joint permutation test of the mean yearly Moran's I of residuals (see the Notes).

    ``residuals`` has columns ``province``, ``year``, ``residual``; ``w`` is a row-standardised
    ``libpysal`` weights object over the provinces (its ``id_order`` fixes the order). Only the
    provinces with a residual in every year take part, with ``w`` restricted to them.

    Notes
    -----
    The joint test permutes the provinces
    *once* per draw and applies the same permutation in every year, which keeps each province's
    residual history intact, and compares the mean yearly I with its permutation distribution:

    .. math::

        \bar I = \frac1T\sum_t \frac{n}{S_0}\frac{z_t'Wz_t}{z_t'z_t},\qquad
        \bar I^{(r)} = \frac1T\sum_t \frac{n}{S_0}\frac{z_{t,\pi_r}'Wz_{t,\pi_r}}{z_t'z_t},\qquad
        p = \frac{\min(M, R-M) + 1}{R + 1}

    with :math:`z_t` the centred residuals of year *t* and *M* the number of draws with
    :math:`\bar I^{(r)} \ge \bar I` (esda's folded one-sided convention). The permutations are
    esda's (:func:`ruralrev.stats.spatial.permutation.legacy_permutations`), so with one year the test is
    esda's ``Moran`` to the last digit, as the tests check.

    References
    ----------
    Cliff and Ord (1981); Anselin (1988).
    """

    wide = residuals.pivot(index="province", columns="year", values="residual")
    complete = [p for p in w.id_order if p in wide.index and wide.loc[p].notna().all()]
    if len(complete) < 4:
        raise ValueError(f"only {len(complete)} provinces have a residual in every year")
    if len(complete) < len(w.id_order):
        w = subset_weights(w, complete)
    z = wide.loc[complete].to_numpy(float)
    z = z - z.mean(axis=0)
    sparse = w.sparse.tocsr()
    n, years = z.shape
    scale = n / sparse.sum() / (z * z).sum(axis=0)                       # per year
    observed = float(np.mean(scale * (z * (sparse @ z)).sum(axis=0)))
    draws = legacy_permutations(n, permutations, seed)                  # the same draws in every year
    simulated = np.mean([moran_simulations(z[:, t], sparse, draws) for t in range(years)], axis=0)
    return JointMoran(mean_I=observed, p_sim=folded_p_value(simulated, observed), n=n, years=years,
                      permutations=permutations)

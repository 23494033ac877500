"""Distribution dynamics: how provinces move within the cross-section of relative incomes.

* :func:`relative_values` — each province's value relative to the national mean of the year
  (population-weighted: the mean per *person*, not per province).
* :func:`kernel_densities` — the cross-sectional density of relative values, year by year.
* :func:`markov_chains` — a quantile Markov chain of the provinces' classes and the spatial Markov
  chain conditioned on the neighbours' class (giddy), with transition counts, ergodic
  distributions and homogeneity tests.

References
----------
Quah, D. T. (1996). Empirics for economic growth and convergence. *European Economic Review*
40(6), 1353–1375.
Rey, S. J. (2001). Spatial empirics for economic growth and convergence. *Geographical Analysis*
33(3), 195–214.
Rey, S. J., Kang, W. and Wolf, L. (2016). The properties of tests for spatial effects in discrete
Markov chain models of regional income distribution dynamics. *Journal of Geographical Systems*
18(4), 377–398.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "MIN_ROW_COUNT",
    "population_for",
    "relative_values",
    "kernel_densities",
    "MarkovChains",
    "markov_chains",
]

#: Rows of a transition matrix estimated from fewer transitions than this are flagged as thin.
MIN_ROW_COUNT = 10


def population_for(variable: str) -> str:
    """The population a per-capita variable is measured per: rural residents for rural series
    (``rural_income``, ``farm_output_per_rural_capita``), all residents otherwise."""
    return "rural_population" if variable.startswith("rural_") or "per_rural" in variable else "total_population"


def relative_values(panel: pd.DataFrame, variable: str, years, order: list[str],
                    weight: str | None = None) -> pd.DataFrame:
    r"""Each province's value divided by the national mean of the year (provinces × years).

    .. math:: r_{it} = \frac{y_{it}}{\bar y_t},\qquad \bar y_t = \frac{\sum_i P_{it} y_{it}}{\sum_i P_{it}}

    with :math:`P_{it}` the population ``weight`` (default :func:`population_for`), so that
    :math:`\bar y_t` is the mean per person across the country; ``weight=""`` gives the unweighted
    mean of the provinces. Rows follow ``order``.
    """
    years = list(years)
    weight = population_for(variable) if weight is None else weight
    chosen = panel[panel["year"].isin(years)]
    values = chosen.pivot(index="province", columns="year", values=variable).reindex(index=order, columns=years)
    if values.isna().any().any():
        raise ValueError(f"{variable}: missing province-years in {years[0]}–{years[-1]}")
    if weight:
        population = chosen.pivot(index="province", columns="year", values=weight).reindex(index=order, columns=years)
        mean = (values * population).sum() / population.sum()
    else:
        mean = values.mean()
    return values / mean


def kernel_densities(relative: pd.DataFrame, grid=None, points: int = 200) -> pd.DataFrame:
    r"""Gaussian kernel density of each year's column of relative values (provinces unweighted).

    .. math:: \hat f_t(r) = \frac{1}{n h_t}\sum_i \phi\!\left(\frac{r - r_{it}}{h_t}\right)

    with Scott's bandwidth :math:`h_t = \hat\sigma_t\, n^{-1/5}` (scipy ``gaussian_kde``). Returns a
    frame indexed by the grid (``r``), one column per year.

    References
    ----------
    Scott, D. W. (1992). *Multivariate Density Estimation*. Wiley, chapter 6.
    """
    from scipy.stats import gaussian_kde

    if grid is None:
        low, high = float(relative.min().min()), float(relative.max().max())
        pad = 0.25 * (high - low)
        grid = np.linspace(max(low - pad, 0.0), high + pad, points)
    grid = np.asarray(grid, dtype=float)
    densities = {year: gaussian_kde(relative[year].to_numpy(float), bw_method="scott")(grid)
                 for year in relative.columns}
    return pd.DataFrame(densities, index=pd.Index(grid, name="r"))


@dataclass(frozen=True)
class MarkovChains:
    """A quantile Markov chain and its spatial version, with what they rest on."""

    k: int
    cutoffs: np.ndarray            # upper bounds of classes 1..k-1 (pooled quantiles of relative values)
    lag_cutoffs: np.ndarray        # the same for the neighbours' average
    counts: pd.DataFrame           # k × k transition counts (from class → to class)
    probabilities: pd.DataFrame    # k × k maximum-likelihood transition probabilities
    ergodic: pd.Series             # long-run share of provinces in each class
    spatial_counts: dict           # neighbours' class -> k × k counts
    spatial_probabilities: dict    # neighbours' class -> k × k probabilities (NaN rows: no transitions)
    spatial_ergodic: pd.DataFrame  # neighbours' class × class; NaN when a row has no transitions
    homogeneity: dict              # Q and LR tests that the chains do not depend on the neighbours
    n_transitions: int
    class_counts: pd.DataFrame     # provinces in each class, by year

    def thin_rows(self, minimum: int = MIN_ROW_COUNT) -> pd.DataFrame:
        """Rows (neighbours' class, from class) of the chains with fewer than ``minimum`` transitions;
        neighbours' class ``"all"`` is the non-spatial chain."""
        rows = [("all", c, int(n)) for c, n in self.counts.sum(axis=1).items() if n < minimum]
        for lag, table in self.spatial_counts.items():
            rows += [(lag, c, int(n)) for c, n in table.sum(axis=1).items() if n < minimum]
        return pd.DataFrame(rows, columns=["neighbours", "from", "transitions"])


def _class_names(k: int) -> list[str]:
    return [f"Q{i}" for i in range(1, k + 1)]


def _ergodic(probabilities: np.ndarray) -> np.ndarray:
    """Stationary distribution of an irreducible chain (giddy ``steady_state``); NaN if a row is empty
    or the chain has more than one recurrent class."""
    from giddy.ergodic import steady_state

    if np.isnan(probabilities).any() or (probabilities.sum(axis=1) == 0).any():
        return np.full(len(probabilities), np.nan)
    state = np.asarray(steady_state(probabilities), dtype=float)
    return state.ravel() if state.ndim == 1 or 1 in state.shape else np.full(len(probabilities), np.nan)


def markov_chains(relative: pd.DataFrame, w, k: int = 4) -> MarkovChains:
    r"""Quantile Markov chain of relative values and the spatial Markov chain (giddy ``Spatial_Markov``).

    The classes are the ``k`` quantiles of all province-years pooled (fixed cut-offs, so that a
    province that keeps its relative position keeps its class). Transitions from year *t* to
    *t* + 1 are counted; the transition probabilities are their row shares,

    .. math:: \hat p_{ij} = \frac{n_{ij}}{\sum_j n_{ij}},\qquad \pi' = \pi' P \ \ \text{(ergodic)},

    and in the spatial chain the same counts are split by the class of the province's spatial lag
    (its neighbours' weighted mean, ``k`` pooled quantiles) at *t*. The Q and LR statistics test
    that the transition probabilities do not depend on the neighbours' class (Bickenbach and Bode
    2003). With *n* provinces and *T* years there are only *n*(*T* − 1) transitions to share among
    :math:`k^2` (or :math:`k^3`) cells: see :meth:`MarkovChains.thin_rows`.

    References
    ----------
    Rey (2001); Bickenbach, F. and Bode, E. (2003). Evaluating the Markov property in studies of
    economic convergence. *International Regional Science Review* 26(3), 363–392.
    """
    from giddy.markov import Spatial_Markov

    if list(relative.index) != list(w.id_order):
        raise ValueError("relative values must be indexed by province in the order of the weights")
    if not 2 <= k <= 7:
        raise ValueError(f"k must be between 2 and 7, got {k}")
    if relative.shape[1] < 2:
        raise ValueError("a Markov chain needs at least two years")
    w.transform = "r"
    chain = Spatial_Markov(relative.to_numpy(float), w, k=k, m=k, fixed=True, fill_empty_classes=False)
    names = _class_names(k)
    counts = pd.DataFrame(chain.transitions, index=names, columns=names).astype(int)
    probabilities = pd.DataFrame(chain.p, index=names, columns=names)
    spatial_counts, spatial_probabilities, spatial_ergodic = {}, {}, {}
    for lag, name in enumerate(names):
        table = np.asarray(chain.T[lag], dtype=float)
        rows = table.sum(axis=1, keepdims=True)
        shares = np.divide(table, rows, out=np.full_like(table, np.nan), where=rows > 0)
        spatial_counts[name] = pd.DataFrame(table, index=names, columns=names).astype(int)
        spatial_probabilities[name] = pd.DataFrame(shares, index=names, columns=names)
        spatial_ergodic[name] = _ergodic(shares)
    classes = pd.DataFrame(chain.class_ids, index=relative.index, columns=relative.columns)
    class_counts = pd.DataFrame({year: classes[year].value_counts().reindex(range(k), fill_value=0).to_numpy()
                                 for year in relative.columns}, index=names)
    return MarkovChains(
        k=k, cutoffs=np.asarray(chain.cutoffs, dtype=float), lag_cutoffs=np.asarray(chain.lag_cutoffs, dtype=float),
        counts=counts, probabilities=probabilities, ergodic=pd.Series(_ergodic(chain.p), index=names),
        spatial_counts=spatial_counts, spatial_probabilities=spatial_probabilities,
        spatial_ergodic=pd.DataFrame(spatial_ergodic, index=names).T,
        homogeneity={"Q": float(chain.Q), "Q_p": float(chain.Q_p_value), "LR": float(chain.LR),
                     "LR_p": float(chain.LR_p_value), "df": int(chain.dof_hom)},
        n_transitions=int(counts.to_numpy().sum()), class_counts=class_counts)

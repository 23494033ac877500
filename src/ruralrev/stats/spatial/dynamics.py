"""Distribution dynamics: how provinces move within the cross-section of relative incomes.

* :func:`relative_values` — each province's value relative to the national mean of the year
  (population-weighted: the mean per *person*, not per province).
* :func:`kernel_densities` — the cross-sectional density of relative values, year by year.
* :func:`markov_chains` — a quantile Markov chain of the provinces' classes and the spatial Markov
  chain conditioned on the neighbours' class, with transition counts, ergodic distributions
  (:func:`stationary_distribution`) and homogeneity tests (:func:`homogeneity_test`). Counted in
  numpy; the tests check every number against giddy's ``Spatial_Markov``.

References
----------
Quah, D. T. (1996). Empirics for economic growth and convergence. *European Economic Review*
40(6), 1353–1375.
Rey, S. J. (2001). Spatial empirics for economic growth and convergence. *Geographical Analysis*
33(3), 195–214.
Rey, S. J., Kang, W. and Wolf, L. (2016). The properties of tests for spatial effects in discrete
Markov chain models of regional income distribution dynamics. *Journal of Geographical Systems*
18(4), 377–398.
Kemeny, J. G. and Snell, J. L. (1976). *Finite Markov Chains*. Springer.
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
    "quantile_classes",
    "stationary_distribution",
    "homogeneity_test",
    "markov_chains",
    "ErgodicBootstrap",
    "ergodic_bootstrap",
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

    def class_table(self) -> pd.DataFrame:
        """One row per class: its upper bound (NaN for the highest class, which has none), the
        provinces in it in the first and the last year, the transitions out of it, and its
        long-run (ergodic) share in per cent."""
        first, last = self.class_counts.columns[0], self.class_counts.columns[-1]
        return pd.DataFrame({
            "Class": self.counts.index,
            "upper bound (ratio)": [*self.cutoffs, np.nan],
            f"provinces {first}": self.class_counts[first].to_numpy(),
            f"provinces {last}": self.class_counts[last].to_numpy(),
            "transitions from": self.counts.sum(axis=1).to_numpy(),
            "ergodic share (%)": 100 * self.ergodic.to_numpy(),
        })

    def thin_rows(self, minimum: int = MIN_ROW_COUNT) -> pd.DataFrame:
        """Rows (neighbours' class, from class) of the chains with fewer than ``minimum`` transitions;
        neighbours' class ``"all"`` is the non-spatial chain."""
        rows = [("all", c, int(n)) for c, n in self.counts.sum(axis=1).items() if n < minimum]
        for lag, table in self.spatial_counts.items():
            rows += [(lag, c, int(n)) for c, n in table.sum(axis=1).items() if n < minimum]
        return pd.DataFrame(rows, columns=["neighbours", "from", "transitions"])


def _class_names(k: int) -> list[str]:
    return [f"Q{i}" for i in range(1, k + 1)]


def quantile_classes(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Classes 0 … k − 1 of ``values`` by the ``k`` quantiles of all of them pooled.

    The upper bound of class *c* is the pooled quantile :math:`q_{(c+1)/k}` (linear interpolation
    between order statistics); a value *x* is in class *c* when :math:`q_{c/k} < x \le q_{(c+1)/k}`.
    Returns the class of each value (same shape) and the ``k`` − 1 inner cut-offs.

    Raises
    ------
    ValueError
        If ties make two quantiles equal (fewer than ``k`` distinct classes).
    """
    values = np.asarray(values, dtype=float)
    bounds = np.quantile(values.ravel(), np.arange(1, k + 1) / k)
    if len(np.unique(bounds)) < k:
        raise ValueError(f"too many ties for {k} quantile classes")
    return np.searchsorted(bounds, values, side="left"), bounds[:-1]


def stationary_distribution(probabilities: np.ndarray) -> np.ndarray:
    r"""The stationary distribution :math:`\pi' = \pi' P`, :math:`\sum_i \pi_i = 1`, of a chain with one
    recurrent class; NaN if a row is empty (no transitions from that class) or the chain has more
    than one recurrent class (the long run then depends on where it starts).

    The recurrent classes are the strongly connected components of the transition graph that no
    transition leaves (Kemeny and Snell 1976, chapter 2); with one of them the solution is unique.
    """
    from scipy.sparse.csgraph import connected_components

    p = np.asarray(probabilities, dtype=float)
    k = len(p)
    if np.isnan(p).any() or (p.sum(axis=1) == 0).any():
        return np.full(k, np.nan)
    _, component = connected_components(p > 0, directed=True, connection="strong")
    origin, target = np.nonzero(p > 0)
    recurrent = set(component.tolist()) - set(component[origin][component[origin] != component[target]].tolist())
    if len(recurrent) != 1:                       # recurrent classes: components that nothing leaves
        return np.full(k, np.nan)
    inside = component == recurrent.pop()         # transient states have no long-run mass
    size = int(inside.sum())
    system = np.vstack([p[np.ix_(inside, inside)].T - np.eye(size), np.ones(size)])
    state = np.zeros(k)
    state[inside] = np.linalg.lstsq(system, np.r_[np.zeros(size), 1.0], rcond=None)[0]
    return state


def homogeneity_test(tables: np.ndarray) -> dict:
    r"""Bickenbach and Bode's (2003) tests that *m* transition-count tables share one chain.

    With :math:`n_{ij|r}` the transitions from *i* to *j* in regime *r* (here: neighbours' class),
    :math:`\hat p_{ij|r} = n_{ij|r}/n_{i|r}` and :math:`\hat p_{ij}` from the pooled counts,

    .. math::

        Q = \sum_r \sum_i \sum_{j:\,\hat p_{ij}>0} n_{i|r}
            \frac{(\hat p_{ij|r} - \hat p_{ij})^2}{\hat p_{ij}},\qquad
        LR = 2 \sum_r \sum_i \sum_{j:\,n_{ij|r}>0} n_{ij|r} \ln\frac{\hat p_{ij|r}}{\hat p_{ij}},

    both :math:`\chi^2` with :math:`\sum_i (b_i - 1)(a_i - 1)` degrees of freedom, :math:`b_i` the
    regimes with transitions from *i* and :math:`a_i` the non-zero :math:`\hat p_{ij}` (rows with
    no transitions at all contribute nothing).

    Returns
    -------
    dict
        ``Q``, ``Q_p``, ``LR``, ``LR_p``, ``df``.
    """
    from scipy.stats import chi2

    tables = np.asarray(tables, dtype=float)
    pooled = tables.sum(axis=0)
    rows = pooled.sum(axis=1, keepdims=True)
    p = np.divide(pooled, rows, out=np.zeros_like(pooled), where=rows > 0)
    regime_rows = tables.sum(axis=2, keepdims=True)
    p_r = np.divide(tables, regime_rows, out=np.zeros_like(tables), where=regime_rows > 0)
    positive = p > 0
    q = float((regime_rows * np.where(positive, (p_r - p) ** 2 / np.where(positive, p, 1.0), 0.0)).sum())
    used = (tables > 0) & positive
    lr = 2.0 * float(np.where(used, tables * np.log(np.where(used, p_r, 1.0) / np.where(positive, p, 1.0)), 0.0).sum())
    observed = rows.ravel() > 0
    b = (regime_rows[:, :, 0] > 0).sum(axis=0)
    a = positive.sum(axis=1)
    df = int(((b - 1) * (a - 1))[observed].sum())
    return {"Q": q, "Q_p": float(chi2.sf(q, df)), "LR": lr, "LR_p": float(chi2.sf(lr, df)), "df": df}


def markov_chains(relative: pd.DataFrame, w, k: int = 4) -> MarkovChains:
    r"""Quantile Markov chain of relative values and the spatial Markov chain conditioned on the
    neighbours' class (Rey 2001).

    The classes are the ``k`` quantiles of all province-years pooled (:func:`quantile_classes`:
    fixed cut-offs, so that a province that keeps its relative position keeps its class).
    Transitions from year *t* to *t* + 1 are counted; the transition probabilities are their row
    shares,

    .. math:: \hat p_{ij} = \frac{n_{ij}}{\sum_j n_{ij}},\qquad \pi' = \pi' P \ \ \text{(ergodic)},

    and in the spatial chain the same counts are split by the class of the province's spatial lag
    (its neighbours' mean under row-standardised ``w``, ``k`` pooled quantiles) at *t*. The Q and
    LR statistics test that the transition probabilities do not depend on the neighbours' class
    (:func:`homogeneity_test`). With *n* provinces and *T* years there are only *n*(*T* − 1)
    transitions to share among :math:`k^2` (or :math:`k^3`) cells: see :meth:`MarkovChains.thin_rows`.

    The counting is plain numpy (giddy's ``Spatial_Markov`` costs seconds of imports and
    compilation); ``tests/test_dynamics.py`` checks every field against giddy on the book's data.

    References
    ----------
    Rey (2001); Bickenbach, F. and Bode, E. (2003). Evaluating the Markov property in studies of
    economic convergence. *International Regional Science Review* 26(3), 363–392.
    """
    if list(relative.index) != list(w.id_order):
        raise ValueError("relative values must be indexed by province in the order of the weights")
    if not 2 <= k <= 7:
        raise ValueError(f"k must be between 2 and 7, got {k}")
    if relative.shape[1] < 2:
        raise ValueError("a Markov chain needs at least two years")
    values = relative.to_numpy(float)
    matrix = w.sparse.tocsr()
    lag = (matrix @ values) / np.asarray(matrix.sum(axis=1))          # neighbours' mean (row-standardised)
    classes, cutoffs = quantile_classes(values, k)
    lag_classes, lag_cutoffs = quantile_classes(lag, k)
    tables = np.zeros((k, k, k), dtype=int)                            # neighbours' class, from, to
    np.add.at(tables, (lag_classes[:, :-1].ravel(), classes[:, :-1].ravel(), classes[:, 1:].ravel()), 1)
    names = _class_names(k)
    pooled = tables.sum(axis=0)
    rows = pooled.sum(axis=1, keepdims=True)
    counts = pd.DataFrame(pooled, index=names, columns=names)
    probabilities = pd.DataFrame(np.divide(pooled, rows, out=np.zeros(pooled.shape), where=rows > 0),
                                 index=names, columns=names)
    spatial_counts, spatial_probabilities, spatial_ergodic = {}, {}, {}
    for index, name in enumerate(names):
        table = tables[index].astype(float)
        sums = table.sum(axis=1, keepdims=True)
        shares = np.divide(table, sums, out=np.full_like(table, np.nan), where=sums > 0)
        spatial_counts[name] = pd.DataFrame(tables[index], index=names, columns=names)
        spatial_probabilities[name] = pd.DataFrame(shares, index=names, columns=names)
        spatial_ergodic[name] = stationary_distribution(shares)
    class_counts = pd.DataFrame({year: np.bincount(classes[:, t], minlength=k)
                                 for t, year in enumerate(relative.columns)}, index=names)
    return MarkovChains(
        k=k, cutoffs=cutoffs, lag_cutoffs=lag_cutoffs, counts=counts, probabilities=probabilities,
        ergodic=pd.Series(stationary_distribution(probabilities.to_numpy()), index=names),
        spatial_counts=spatial_counts, spatial_probabilities=spatial_probabilities,
        spatial_ergodic=pd.DataFrame(spatial_ergodic, index=names).T, homogeneity=homogeneity_test(tables),
        n_transitions=int(pooled.sum()), class_counts=class_counts)


@dataclass(frozen=True)
class ErgodicBootstrap:
    """Result of :func:`ergodic_bootstrap`: one row of ergodic shares per resample (NaN where the
    resampled chain has no unique long run)."""

    shares: pd.DataFrame
    reps: int
    seed: int

    @property
    def n_undefined(self) -> int:
        """Resamples whose chain has an empty row or more than one recurrent class."""
        return int(self.shares.isna().any(axis=1).sum())

    def interval(self, level: float = 0.90) -> pd.DataFrame:
        """Percentile interval of each class's share over the resamples with a unique long run."""
        defined = self.shares.dropna()
        tail = (1 - level) / 2
        return pd.DataFrame({"low": defined.quantile(tail), "high": defined.quantile(1 - tail)})


def ergodic_bootstrap(relative: pd.DataFrame, cutoffs, reps: int = 2000, seed: int = 20261123) -> ErgodicBootstrap:
    r"""Province-block bootstrap of the ergodic distribution of the (non-spatial) quantile chain.

    Each resample draws the provinces (rows of ``relative``, whole time series) with replacement,
    classes their values with the original ``cutoffs`` (:attr:`MarkovChains.cutoffs`), counts the
    transitions, estimates :math:`\hat P` and solves :math:`\pi' = \pi'\hat P`
    (:func:`stationary_distribution`). Resampling whole provinces keeps each province's
    persistence; the spread of :math:`\pi` shows how much the long-run shares rest on the few
    transitions between classes.

    References
    ----------
    Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
    Kemeny and Snell (1976).
    """
    if reps < 100:
        raise ValueError(f"use at least 100 resamples, got {reps}")
    values = relative.to_numpy(float)
    cutoffs = np.asarray(cutoffs, dtype=float)
    k = len(cutoffs) + 1
    classes = np.searchsorted(cutoffs, values, side="left")
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(reps):
        pick = classes[rng.integers(0, len(classes), len(classes))]
        counts = np.zeros((k, k))
        np.add.at(counts, (pick[:, :-1].ravel(), pick[:, 1:].ravel()), 1)
        sums = counts.sum(axis=1, keepdims=True)
        rows.append(stationary_distribution(np.divide(counts, sums, out=np.full_like(counts, np.nan), where=sums > 0)))
    return ErgodicBootstrap(shares=pd.DataFrame(rows, columns=_class_names(k)), reps=reps, seed=seed)

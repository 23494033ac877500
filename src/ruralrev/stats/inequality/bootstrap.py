"""Bootstrap confidence intervals over provinces for the Theil and Gini indices and their change.

:func:`bootstrap_inequality` resamples the provinces with replacement, once per replicate, and
computes the first and the last year on the same resample (a paired bootstrap), so the interval
of the change accounts for the strong correlation of a province's position across years; all
replicates are computed at once from the multinomial counts (:func:`theil_from_weights`,
:func:`gini_from_weights`; the formulas in its Notes). :class:`ChangeTest` says whether a change
is a tested statement ("inequality fell") and how narrowly.

References
----------
Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall,
chapters 13 (percentile intervals) and 6 (paired designs).
Mills, J. A. and Zandvakili, S. (1997). Statistical inference via bootstrapping for measures of
inequality. *Journal of Applied Econometrics* 12(2), 133–150.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruralrev.stats.inequality.measures import gini, theil_t

__all__ = ["InequalityBootstrap", "ChangeTest", "bootstrap_inequality", "theil_from_weights", "gini_from_weights"]

_STATISTICS = ("theil_first", "theil_last", "theil_change", "theil_pct_change",
               "gini_first", "gini_last", "gini_change", "gini_pct_change")


def theil_from_weights(y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted Theil T for each row of a (B × n) weight matrix (rows: replicates)."""
    w = np.atleast_2d(np.asarray(weights, float))
    pi = w / w.sum(axis=1, keepdims=True)
    income = w * y
    s = income / income.sum(axis=1, keepdims=True)
    ratio = np.divide(s, pi, out=np.ones_like(s), where=pi > 0)
    return np.where(s > 0, s * np.log(np.where(s > 0, ratio, 1.0)), 0.0).sum(axis=1)


def gini_from_weights(y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted Gini for each row of a (B × n) weight matrix (rows: replicates)."""
    w = np.atleast_2d(np.asarray(weights, float))
    spread = np.abs(y[:, None] - y[None, :])
    total = w.sum(axis=1)
    mean = (w * y).sum(axis=1) / total
    return ((w @ spread) * w).sum(axis=1) / (2 * total ** 2 * mean)


@dataclass(frozen=True)
class ChangeTest:
    r"""Whether a first-to-last change is a tested statement, and how narrowly: numbers and
    booleans; the page words them.

    ``beyond_zero`` is the share of replicates at or beyond zero on the other side of the
    estimate (a one-sided bootstrap p-value). The interval excludes zero (:attr:`excludes_zero`)
    when it is below the tail :math:`(1-\text{level})/2`; the exclusion is :attr:`marginal` when
    ``beyond_zero`` exceeds half that tail — the interval at the stricter level
    :math:`1-(1-\text{level})/2` (:attr:`strict_level`, 97.5 % for a 95 % interval) would include
    zero. :attr:`direction` is the sign of the estimate as a code: ``"fell"``, ``"rose"`` or
    ``"unchanged"``.
    """

    measure: str
    estimate: float
    ci_low: float
    ci_high: float
    level: float
    beyond_zero: float

    @property
    def excludes_zero(self) -> bool:
        """The percentile interval of the change lies wholly on one side of zero."""
        return bool(self.ci_high < 0 or self.ci_low > 0)

    @property
    def marginal(self) -> bool:
        """Excludes zero at ``level`` but not at :attr:`strict_level`."""
        return self.excludes_zero and self.beyond_zero > (1 - self.level) / 4

    @property
    def strict_level(self) -> float:
        """The level :math:`1-(1-\text{level})/2` at which a :attr:`marginal` exclusion fails."""
        return 1 - (1 - self.level) / 2

    @property
    def direction(self) -> str:
        """``"fell"``, ``"rose"`` or ``"unchanged"``: the sign of the point estimate, tested or not."""
        return "fell" if self.estimate < 0 else "rose" if self.estimate > 0 else "unchanged"


@dataclass(frozen=True)
class InequalityBootstrap:
    """Result of :func:`bootstrap_inequality`.

    ``table``: one row per statistic (``theil_first``, ``theil_last``, ``theil_change``,
    ``theil_pct_change`` and the same for ``gini``) with the point ``estimate``, bootstrap
    ``se`` and the percentile interval ``ci_low``–``ci_high``; ``draws``: the B replicates.
    """

    table: pd.DataFrame
    draws: pd.DataFrame
    first_year: int
    last_year: int
    provinces: tuple
    reps: int
    seed: int
    level: float

    def change_excludes_zero(self, measure: str = "theil") -> bool:
        """True when the interval of the first-to-last change of ``measure`` excludes 0."""
        return self.change_test(measure).excludes_zero

    def change_test(self, measure: str = "theil") -> ChangeTest:
        """The :class:`ChangeTest` of the first-to-last change of ``measure`` (``theil`` or ``gini``)."""
        row = self.table.loc[f"{measure}_change"]
        draws = self.draws[f"{measure}_change"]
        beyond = float((draws >= 0).mean() if row["estimate"] < 0 else (draws <= 0).mean())
        return ChangeTest(measure=measure, estimate=float(row["estimate"]), ci_low=float(row["ci_low"]),
                          ci_high=float(row["ci_high"]), level=self.level, beyond_zero=beyond)


def bootstrap_inequality(panel: pd.DataFrame, variable: str, weight: str | None, first: int, last: int,
                         reps: int = 9999, seed: int = 20261123, level: float = 0.95) -> InequalityBootstrap:
    r"""Paired bootstrap over provinces of the (weighted) Theil T and Gini in two years and their change.

    Parameters
    ----------
    panel : DataFrame
        Province panel with ``province``, ``year``, ``variable`` and ``weight``.
    variable, weight : str
        Per-capita variable and its population weight (``None``: unweighted).
    first, last : int
        The two years; only provinces with data in both enter (the same set in both years).
    reps, seed, level : int, int, float
        Replicates, seed of the resampling, coverage of the percentile intervals.

    Returns
    -------
    InequalityBootstrap

    Notes
    -----
    The provinces are resampled with replacement, *once* per replicate, and both the first and the
    last year are computed on the same resample (a paired bootstrap), so the interval of the change
    :math:`I_{\text{last}} - I_{\text{first}}` accounts for the strong correlation of a province's
    position across years. A province drawn :math:`c_i` times enters with weight :math:`c_i w_i`,
    which is exactly the measure of the replicated sample (the weighted Theil and Gini are
    replication-invariant, a property the tests check against pysal ``inequality``), so all
    replicates are computed at once from the multinomial counts:

    .. math::

        T^* = \sum_i s_i^*\ln\frac{s_i^*}{\pi_i^*},\quad
        \pi_i^* = \frac{c_iw_i}{\sum_k c_kw_k},\ s_i^* = \frac{c_iw_iy_i}{\sum_k c_kw_ky_k};
        \qquad
        G^* = \frac{\sum_{i,r} c_iw_i\,c_rw_r\,|y_i-y_r|}{2\left(\sum_k c_kw_k\right)^2\mu^*}.

    Intervals are percentile intervals; a change whose interval excludes 0 is a tested statement
    ("inequality fell") at that level. The bootstrap treats the 31 provinces as draws from a
    super-population of regions — the usual reading in the regional-inequality literature — and
    says nothing about measurement error in the provincial means.

    References
    ----------
    Efron and Tibshirani (1993); Mills and Zandvakili (1997).
    """
    if last <= first:
        raise ValueError(f"last year {last} must be after first year {first}")
    if reps < 199:
        raise ValueError(f"use at least 199 replicates, got {reps}")
    columns = [variable] + ([weight] if weight else [])
    wide = {}
    for year in (first, last):
        part = panel[panel["year"] == year].set_index("province")[columns].dropna()
        if part.empty:
            raise ValueError(f"no province has {columns} in {year}")
        wide[year] = part
    provinces = sorted(set(wide[first].index) & set(wide[last].index))
    if len(provinces) < 3:
        raise ValueError(f"only {len(provinces)} provinces have {variable} in both {first} and {last}")
    counts = np.random.default_rng(seed).multinomial(len(provinces), np.full(len(provinces), 1 / len(provinces)),
                                                      size=reps).astype(float)
    draws, estimates = {}, {}
    for year, key in ((first, "first"), (last, "last")):
        part = wide[year].loc[provinces]
        y = part[variable].to_numpy(float)
        w = part[weight].to_numpy(float) if weight else np.ones(len(y))
        estimates[f"theil_{key}"], estimates[f"gini_{key}"] = theil_t(y, w), gini(y, w)
        draws[f"theil_{key}"] = theil_from_weights(y, counts * w)
        draws[f"gini_{key}"] = gini_from_weights(y, counts * w)
    for measure in ("theil", "gini"):
        for source in (draws, estimates):
            source[f"{measure}_change"] = source[f"{measure}_last"] - source[f"{measure}_first"]
            source[f"{measure}_pct_change"] = 100 * (source[f"{measure}_last"] / source[f"{measure}_first"] - 1)
    draws_frame = pd.DataFrame({name: draws[name] for name in _STATISTICS})
    tail = 100 * (1 - level) / 2
    table = pd.DataFrame({
        "estimate": [estimates[name] for name in _STATISTICS],
        "se": draws_frame.std(ddof=1).to_numpy(),
        "ci_low": np.percentile(draws_frame.to_numpy(), tail, axis=0),
        "ci_high": np.percentile(draws_frame.to_numpy(), 100 - tail, axis=0),
    }, index=pd.Index(_STATISTICS, name="statistic"))
    return InequalityBootstrap(table=table, draws=draws_frame, first_year=first, last_year=last,
                               provinces=tuple(provinces), reps=reps, seed=seed, level=level)

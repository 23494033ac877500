"""Leave-one-cluster-out (jackknife) inference for fixed-effects models: the CV3 variance.

With few clusters, or a few clusters with high leverage, the CR1 cluster-robust variance is too
small, and the wild cluster bootstrap can disagree with itself (restricted against unrestricted).
The cluster jackknife is a third procedure that a referee expects beside them:
:func:`cluster_jackknife` re-estimates the model once without each cluster and uses the spread of
the estimates (the formula in its Notes); :func:`largest_moves` and :func:`partial_leverage` show
which clusters carry a coefficient.

References
----------
MacKinnon, J. G., Nielsen, M. Ø. and Webb, M. D. (2023). Cluster-robust inference: A guide to
empirical practice. *Journal of Econometrics* 232(2), 272–299.
Bell, R. M. and McCaffrey, D. F. (2002). Bias reduction in standard errors for linear regression
with multi-stage samples. *Survey Methodology* 28(2), 169–181.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ruralrev.stats.regression.wild_bootstrap import absorb, effect_columns

__all__ = ["ClusterJackknife", "cluster_jackknife", "largest_moves", "partial_leverage"]


@dataclass(frozen=True)
class ClusterJackknife:
    """Result of :func:`cluster_jackknife`: estimates, CV3 standard errors, t, p on t(G − 1), and
    ``leave_out`` (one row per cluster: the estimates without it)."""

    params: pd.Series
    se: pd.Series
    t: pd.Series
    pvalues: pd.Series
    leave_out: pd.DataFrame
    n_clusters: int

    def pvalue(self, name: str, null: float = 0.0) -> float:
        """Two-sided p of :math:`H_0\\colon \\beta = m` (``null``) for coefficient ``name``:
        :math:`2\\,P(T_{G-1} > |\\hat\\beta - m| / \\mathrm{se}_{CV3})` (``pvalues`` holds it at m = 0)."""
        return float(_two_sided(abs(float(self.params[name]) - null) / float(self.se[name]), self.n_clusters))

    def interval(self, name: str, level: float = 0.95) -> tuple[float, float]:
        """The CV3 confidence interval of coefficient ``name``,
        :math:`\\hat\\beta \\pm t_{(1+\\text{level})/2}(G-1)\\,\\mathrm{se}_{CV3}`: it excludes a value
        exactly when :meth:`pvalue` of that value is below :math:`1-\\text{level}`."""
        half = float(stats.t.ppf((1 + level) / 2, self.n_clusters - 1)) * float(self.se[name])
        return float(self.params[name]) - half, float(self.params[name]) + half

    def influence(self, name: str) -> pd.Series:
        """How far dropping each cluster moves coefficient ``name``, :math:`\\hat\\beta_{-g}-\\hat\\beta`,
        largest move first."""
        moves = self.leave_out[name] - self.params[name]
        return moves.reindex(moves.abs().sort_values(ascending=False).index)


def _two_sided(t, n_groups: int):
    """Two-sided p of |t| on Student's t with G − 1 degrees of freedom."""
    return 2 * stats.t.sf(np.abs(t), n_groups - 1)


def _leave_one_out_fits(y: np.ndarray, x: np.ndarray, cluster: np.ndarray, codes: list[np.ndarray],
                        weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    r"""The full-sample coefficients of ``x`` and, per cluster (codes 0 … G − 1), those without it.

    Fixed-effect columns that are non-zero in one cluster only (a province's dummy or trend, its
    segments) leave with that cluster; the others (years, region × years, a common trend) are
    shared. By Frisch–Waugh–Lovell the cluster-specific effects are partialled out once, cluster
    by cluster (a projection that dropping another cluster leaves unchanged), and each
    leave-one-out fit is then a small least-squares problem in :math:`[X, D_{shared}]` on the other
    clusters' rows: the same estimate as re-absorbing every effect on the smaller sample
    (``tests/test_inference_variants.py`` checks it against a loop of dummy-variable fits).
    """
    scale = np.ones(len(y)) if weights is None else np.sqrt(weights)
    effects = (effect_columns(codes) if codes else np.zeros((len(y), 0))) * scale[:, None]
    # the cluster each effect column belongs to, or -1 for a column shared by several clusters
    owner = np.array([o[0] if len(o) == 1 else -1 for o in (np.unique(cluster[c != 0]) for c in effects.T)], dtype=int)
    data = np.column_stack([y * scale, x * scale[:, None], effects[:, owner < 0]])
    n_groups = int(cluster.max()) + 1
    for g in range(n_groups):           # partial out the effects that belong to cluster g, on its rows
        index, mine = np.flatnonzero(cluster == g), np.flatnonzero(owner == g)
        if mine.size:
            u, s, _ = np.linalg.svd(effects[np.ix_(index, mine)], full_matrices=False)
            basis = u[:, s > 1e-10 * s.max()]
            data[index] -= basis @ (basis.T @ data[index])
    k = x.shape[1]

    def fit(keep: np.ndarray) -> np.ndarray:
        return np.linalg.lstsq(data[keep, 1:], data[keep, 0], rcond=None)[0][:k]

    everything = np.ones(len(y), dtype=bool)
    full = fit(everything)
    leave = np.array([fit(cluster != g) for g in range(n_groups)])
    return full, leave


def cluster_jackknife(y, X: pd.DataFrame, clusters, fixed_effects: list = (), weights=None) -> ClusterJackknife:
    r"""CV3 (leave-one-cluster-out) standard errors and p-values of every coefficient of ``X``.

    Same model as :func:`ruralrev.stats.regression.wild_bootstrap.wild_cluster_bootstrap`: :math:`y = X\beta +
    D\alpha + u`, WLS with ``weights``, *D* the dummies of each set of ``fixed_effects`` codes.
    p-values are two-sided on Student's t with G − 1 degrees of freedom.

    Notes
    -----
    The cluster jackknife (MacKinnon, Nielsen and Webb 2023) re-estimates the model once without
    each cluster *g* and uses the spread of the G estimates,

    .. math::

        \hat V_{CV3} = \frac{G-1}{G}\sum_{g=1}^{G}(\hat\beta_{-g}-\hat\beta)(\hat\beta_{-g}-\hat\beta)',
        \qquad t_k = \hat\beta_k/\sqrt{\hat V_{CV3,kk}} \sim t(G-1).

    Each :math:`\hat\beta_{-g}` is the full fixed-effects (weighted) regression on the other
    clusters: the cluster's own effects leave with it, the shared ones (years, region × years) are
    re-estimated. The leave-one-out estimates are returned too: they show which clusters carry a
    coefficient. Without cluster-specific effects, :math:`\hat V_{CV3}` equals the closed form
    :math:`(X'X)^{-1}\sum_g X_g'(I-H_{gg})^{-1}\hat u_g\hat u_g'(I-H_{gg})^{-1}X_g(X'X)^{-1}` times
    :math:`(G-1)/G`, which the tests check.

    References
    ----------
    MacKinnon, Nielsen and Webb (2023); Bell and McCaffrey (2002).
    """
    y = np.asarray(y, dtype=float)
    x = X.to_numpy(float)
    labels = np.asarray(clusters)
    w = None if weights is None else np.asarray(weights, dtype=float)
    codes = [np.asarray(c) for c in fixed_effects]
    groups, cluster = np.unique(labels, return_inverse=True)
    groups = groups.tolist()
    if len(groups) < 3:
        raise ValueError(f"the cluster jackknife needs at least 3 clusters, got {len(groups)}")
    beta, rows = _leave_one_out_fits(y, x, cluster, codes, w)
    leave_out = pd.DataFrame(rows, index=groups, columns=X.columns)
    deviations = leave_out.to_numpy() - beta
    n_groups = len(groups)
    variance = (n_groups - 1) / n_groups * deviations.T @ deviations
    se = np.sqrt(np.diag(variance))
    t = beta / se
    p = _two_sided(t, n_groups)
    names = list(X.columns)
    return ClusterJackknife(params=pd.Series(beta, index=names), se=pd.Series(se, index=names),
                            t=pd.Series(t, index=names), pvalues=pd.Series(p, index=names),
                            leave_out=leave_out, n_clusters=n_groups)


def largest_moves(jack: ClusterJackknife, names: list[str] | None = None, share: float = 0.25) -> pd.DataFrame:
    """The two clusters whose removal moves each coefficient most: one row per coefficient with
    ``regressor``, ``coef``, ``se`` (CV3), ``first``, ``first_move``, ``second``, ``second_move``
    and ``large`` (the largest move exceeds ``share`` of the coefficient's size)."""
    rows = []
    for name in names or list(jack.params.index):
        moves = jack.influence(name)
        rows.append({"regressor": name, "coef": float(jack.params[name]), "se": float(jack.se[name]),
                     "first": moves.index[0], "first_move": float(moves.iloc[0]),
                     "second": moves.index[1], "second_move": float(moves.iloc[1]),
                     "large": bool(abs(moves.iloc[0]) > share * abs(jack.params[name]))})
    return pd.DataFrame(rows)


def partial_leverage(X: pd.DataFrame, clusters, name: str, fixed_effects: list = (), weights=None) -> pd.Series:
    r"""Each cluster's share of the variation that identifies coefficient ``name``: its partial
    leverage, largest first (the shares sum to 1).

    With :math:`\check x` the residual of regressor ``name`` on the other regressors and the fixed
    effects (weighted by :math:`\sqrt{w}` with ``weights``),

    .. math:: L_g = \check x_g'\check x_g \,/\, \check x'\check x .

    Equal shares would be :math:`1/G`. When a few clusters hold most of it, the coefficient rests
    on them, cluster-robust t statistics are unreliable and the wild bootstrap can err either way
    (MacKinnon, Nielsen and Webb 2023, section 6; MacKinnon and Webb 2017).

    References
    ----------
    MacKinnon, J. G., Nielsen, M. Ø. and Webb, M. D. (2023). Cluster-robust inference: A guide to
    empirical practice. *Journal of Econometrics* 232(2), 272–299.
    MacKinnon, J. G. and Webb, M. D. (2017). Wild bootstrap inference for wildly different cluster
    sizes. *Journal of Applied Econometrics* 32(2), 233–254.
    """
    if name not in X.columns:
        raise ValueError(f"{name!r} is not among the regressors {list(X.columns)}")
    w = None if weights is None else np.asarray(weights, dtype=float)
    within = absorb(X.to_numpy(float), [np.asarray(c) for c in fixed_effects], w)
    scale = np.ones(len(within)) if w is None else np.sqrt(w)
    within = within * scale[:, None]
    k = list(X.columns).index(name)
    others = np.delete(within, k, axis=1)
    target = within[:, k]
    if others.shape[1]:
        target = target - others @ np.linalg.lstsq(others, target, rcond=None)[0]
    share = pd.Series(target ** 2, index=np.asarray(clusters)).groupby(level=0).sum()
    return (share / share.sum()).sort_values(ascending=False).rename(name)

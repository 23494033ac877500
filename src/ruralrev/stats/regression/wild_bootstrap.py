"""Wild cluster restricted (WCR) bootstrap for linear models with fixed effects and weights.

:func:`wild_cluster_bootstrap` follows Cameron, Gelbach and Miller (2008) and MacKinnon and Webb
(2018): the model is re-estimated with the null imposed and with all its fixed effects, the
restricted residuals are multiplied by one Rademacher sign per cluster (:func:`rademacher_draws`),
and the full model is re-estimated on each draw (its Notes give the formulas). Fixed effects are
absorbed by projection (:func:`absorb`, :func:`dummy_basis`).

Notes
-----
Why the package carries its own code beside :mod:`wildboottest` (which the tests use to check
this one, draw for draw): **speed** — every bootstrap t statistic is a ratio of a linear and a
quadratic form in the G signs (Roodman et al. 2019), so 9,999 draws cost one (G × G)·(G × B)
product, a few milliseconds, where ``wildboottest`` 0.3.2 compiles a numba kernel inside every
call (0.25–0.5 s per coefficient here, most of it fixed cost: see
``benchmarks/wild_bootstrap.md``); **weights** — population-weighted (WLS) models:
``wildboottest`` ignores ``model.weights``; **fixed effects by projection** — the annihilator of
the (weighted) dummies is applied exactly, for balanced or unbalanced panels and any set of
effects, without a statsmodels design with dummy columns.

References
----------
Cameron, A. C., Gelbach, J. B. and Miller, D. L. (2008). Bootstrap-based improvements for
inference with clustered errors. *Review of Economics and Statistics* 90(3), 414–427.
MacKinnon, J. G. and Webb, M. D. (2018). The wild bootstrap for few (treated) clusters.
*Econometrics Journal* 21(2), 114–135.
Roodman, D., MacKinnon, J. G., Nielsen, M. Ø. and Webb, M. D. (2019). Fast and wild: bootstrap
inference in Stata using boottest. *Stata Journal* 19(1), 4–60.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["WildClusterBootstrap", "wild_cluster_bootstrap", "rademacher_draws", "effect_columns", "dummy_basis", "absorb", "mc_standard_error"]


@dataclass(frozen=True)
class WildClusterBootstrap:
    """Result of :func:`wild_cluster_bootstrap`: one row per tested coefficient.

    ``t`` is the observed CR1 t statistic (κ counts the absorbed effects), ``pvalues`` the WCR
    bootstrap p-values, ``mc_se`` their Monte Carlo standard errors :math:`\\sqrt{p(1-p)/B}`.
    ``critical`` is the bootstrap's 5 % critical value, the 0.95 quantile of :math:`|t^*_b|`: the
    test rejects at 5 % when :math:`|t|` exceeds it, to set beside Student's
    :math:`t_{0.975}(G-1)` (a bootstrap distribution narrower than Student's rejects more often).
    """

    params: pd.Series
    t: pd.Series
    pvalues: pd.Series
    reps: int
    seed: int
    n_clusters: int
    nobs: int
    weighted: bool
    restricted: bool = True     # WCR (null imposed) or WCU (unrestricted residuals)
    null: pd.Series | None = None   # the hypothesised value of each coefficient (0 unless given)
    critical: pd.Series | None = None   # 0.95 quantile of |t*|, per coefficient

    @property
    def mc_se(self) -> pd.Series:
        """Monte Carlo standard error of each bootstrap p-value."""
        return mc_standard_error(self.pvalues, self.reps)

    @property
    def table(self) -> pd.DataFrame:
        """Coefficient, t, bootstrap p-value and its Monte Carlo s.e., one row per coefficient."""
        return pd.DataFrame({"coef": self.params, "t": self.t, "p_wild": self.pvalues, "mc_se": self.mc_se})


def mc_standard_error(p, reps: int):
    r"""Monte Carlo standard error of a bootstrap p-value estimated from ``reps`` draws,
    :math:`\sqrt{p(1-p)/B}` (a binomial proportion)."""
    return np.sqrt(p * (1 - p) / reps)


def rademacher_draws(n_clusters: int, reps: int, seed: int) -> np.ndarray:
    """G × B matrix of independent ±1 signs with probability 1/2 each.

    Drawn as ``default_rng(seed).choice([-1, 1], size=(G, B))``: for the same seed this is the
    stream ``wildboottest`` 0.3.2 draws (its ``rademacher`` weights reshaped to G × B), which lets
    the tests compare the two implementations draw for draw.
    """
    return np.random.default_rng(seed).choice(np.array([-1.0, 1.0]), size=(n_clusters, reps))


def effect_columns(codes: list[np.ndarray]) -> np.ndarray:
    """The fixed effects as columns (N × m): the dummies of each set of integer codes, and each
    two-dimensional entry's columns as they are (e.g. a trend for each province)."""
    return np.hstack([np.asarray(c, float) if np.ndim(c) == 2 else np.eye(int(np.max(c)) + 1)[np.asarray(c)]
                      for c in codes])


def dummy_basis(codes: list[np.ndarray], scale: np.ndarray | None = None, tol: float = 1e-10) -> np.ndarray:
    """Orthonormal basis (N × rank) of the span of the dummies of every set of integer codes.

    A two-dimensional entry of ``codes`` is taken as columns to absorb as they are (e.g. a linear
    trend for each province, :func:`ruralrev.stats.regression.models.panel_fe` with ``trends``).

    With ``scale`` (e.g. :math:`\\sqrt{w}`), of the span of the row-scaled dummies. The rank is
    found from the singular values, so redundant dummies (two-way effects) cost nothing.
    """
    n = len(codes[0]) if codes else (0 if scale is None else len(scale))
    if not codes:
        return np.zeros((n, 0))
    dummies = effect_columns(codes)
    if scale is not None:
        dummies = dummies * np.asarray(scale, float)[:, None]
    u, s, _ = np.linalg.svd(dummies, full_matrices=False)
    return u[:, s > tol * s.max()]


def absorb(matrix: np.ndarray, codes: list[np.ndarray], weights: np.ndarray | None = None) -> np.ndarray:
    r"""Remove fixed effects from each column: the residual of a (weighted) regression on all dummies.

    .. math:: M_D x = x - D(D'WD)^{+}D'Wx

    computed exactly through an orthonormal basis of the :math:`\sqrt{w}`-scaled dummies
    (:func:`dummy_basis`) — the Frisch–Waugh–Lovell within transformation, for balanced and
    unbalanced panels and any number of effects.

    References
    ----------
    Frisch, R. and Waugh, F. V. (1933). Partial time regressions as compared with individual
    trends. *Econometrica* 1(4), 387–401.
    """
    x = np.array(matrix, dtype=float, copy=True)
    if x.ndim == 1:
        x = x[:, None]
    scale = None if weights is None else np.sqrt(np.asarray(weights, float))
    q = dummy_basis(codes, scale)
    scaled = x if scale is None else x * scale[:, None]
    out = scaled - q @ (q.T @ scaled)
    return out if scale is None else out / scale[:, None]


def wild_cluster_bootstrap(y, X: pd.DataFrame, clusters, fixed_effects: list[np.ndarray] = (),
                           weights=None, params: list[str] | None = None, reps: int = 9999,
                           seed: int = 20261123, null: float | dict[str, float] = 0.0,
                           impose_null: bool = True) -> WildClusterBootstrap:
    r"""Wild cluster bootstrap p-values for :math:`H_0\colon\beta_k = r_k`, each coefficient in turn.

    Restricted (WCR, ``impose_null=True``, the default and the better-behaved test with few
    clusters) or unrestricted (WCU: the draws are built from the unrestricted residuals and each
    bootstrap t is centred on the estimate, :math:`t^*_b = (\beta^*_b - \hat\beta_k)/s^*_b`).
    ``null`` gives :math:`r_k` (0 by default; a number for every tested coefficient or a dict by
    name): the restricted fit is that of :math:`y - r_k x_k` on the other regressors.

    Model :math:`y = X\beta + D\alpha + u` (WLS with ``weights`` if given), *D* the dummies of
    every set of ``fixed_effects`` codes, errors clustered by ``clusters``. For each tested
    coefficient *k*, on rows scaled by :math:`\sqrt{w}` and with :math:`M_D` the annihilator of
    the dummies, :math:`\tilde X = M_D X`:

    .. math::

        a_k' = e_k'(\tilde X'\tilde X)^{-1}\tilde X',\qquad
        \tilde u = M_{[X_{-k}, D]}\, y,\qquad
        c_h = \sum_{i\in h} a_{ki}\tilde u_i,\qquad
        C_{gh} = \sum_{i\in g} a_{ki}\,\bigl[M_{[X,D]}(\tilde u \odot 1_h)\bigr]_i,

        t^*_b = \frac{c'v_b}{\sqrt{\kappa\sum_g (C v_b)_g^2}},\qquad
        p = \frac1B\sum_b \mathbf 1\{|t^*_b| > |t|\}

    which is the t statistic of the full fixed-effects regression of
    :math:`y^* = Z\tilde\theta + \tilde u\odot v` (see the Notes). Rademacher signs from
    :func:`rademacher_draws`; the same draws serve every coefficient.

    Parameters
    ----------
    y : array_like
        Outcome, length N.
    X : DataFrame
        Regressors (not demeaned), N rows; the names label the result.
    clusters : array_like
        Cluster of each row (any labels).
    fixed_effects : list of array_like
        Integer (or any) codes of each set of effects, e.g. ``[province, year]``; an N × m array
        adds m columns absorbed as they are (e.g. province-specific trends).
    weights : array_like, optional
        Positive analytic weights (WLS), e.g. population.
    params : list of str, optional
        Coefficients to test; all columns of ``X`` by default.
    reps : int
        Bootstrap draws B (at least 99).
    seed : int
        Seed of the sign draws.

    Returns
    -------
    WildClusterBootstrap

    Notes
    -----
    For :math:`H_0\colon \beta_k = 0` the model is re-estimated *with the null imposed and with all
    its fixed effects*; the restricted residuals :math:`\tilde u` are multiplied by one Rademacher
    sign :math:`v_g` per cluster, added back to the restricted fit,

    .. math:: y^{*} = Z\tilde\theta + \tilde u \odot v_{g(i)},\qquad Z = [X, D],

    and the *full* model — fixed effects included — is re-estimated on :math:`y^*`. Re-absorbing
    the fixed effects matters: a sign flip by province keeps :math:`\tilde u \odot v` orthogonal to
    the province dummies, but not to the year (or region × year) dummies, so a bootstrap that skips
    this step inflates the bootstrap standard errors and makes the p-value too small.

    By Frisch–Waugh–Lovell, every bootstrap t statistic is a ratio of a linear and a quadratic form
    in the G signs (Roodman et al. 2019), :math:`t^*_b = c'v_b / \sqrt{\kappa\,\lVert C
    v_b\rVert^2}` with a G-vector *c* and a G × G matrix *C* computed once (above). A WLS fit is OLS
    on rows scaled by :math:`\sqrt{w_i}`; the bootstrap runs on that scale, so :math:`y^* = \hat
    y_r + \tilde u\,v_g` holds on the original scale too. The annihilator of the (weighted)
    dummies is applied exactly (orthonormal basis from an SVD, :func:`dummy_basis`).

    The t statistic uses the CR1 variance with :math:`\kappa = \frac{G}{G-1}\frac{N-1}{N-K}`, *K*
    counting the absorbed fixed effects (as ``wildboottest`` does on a dummy-variable model). The
    constant κ multiplies both *t* and every :math:`t^*`, so the p-value does not depend on it; the
    *t* reported by linearmodels (which does not count absorbed effects in *K*) differs from this
    one by a constant factor only. The p-value is symmetric: the share of draws with
    :math:`|t^*_b| > |t|`, as in ``wildboottest`` and Roodman et al. (2019).

    References
    ----------
    Cameron, Gelbach and Miller (2008); MacKinnon and Webb (2018); Roodman et al. (2019).
    """
    if reps < 99:
        raise ValueError(f"use at least 99 bootstrap replications, got {reps}")
    names = list(X.columns)
    params = names if params is None else list(params)
    unknown = set(params) - set(names)
    if unknown:
        raise ValueError(f"cannot test {sorted(unknown)}: not among the regressors {names}")
    y = np.asarray(y, dtype=float)
    x = X.to_numpy(float)
    n = len(y)
    scale = np.ones(n) if weights is None else np.sqrt(np.asarray(weights, dtype=float))
    if weights is not None and not (np.isfinite(scale).all() and (scale > 0).all()):
        raise ValueError("weights must be positive and finite")
    _, cluster_codes = np.unique(np.asarray(clusters), return_inverse=True)
    n_clusters = int(cluster_codes.max()) + 1
    fe_codes = [np.asarray(c, float) if np.ndim(c) == 2 else np.unique(np.asarray(c), return_inverse=True)[1]
                for c in fixed_effects]
    q = dummy_basis(fe_codes, scale)
    y_t, x_t = y * scale, x * scale[:, None]
    y_t = y_t - q @ (q.T @ y_t)
    x_t = x_t - q @ (q.T @ x_t)
    n_params = x.shape[1] + q.shape[1]
    kappa = n_clusters / (n_clusters - 1) * (n - 1) / (n - n_params)
    membership = np.zeros((n, n_clusters))
    membership[np.arange(n), cluster_codes] = 1.0
    xtx_inv = np.linalg.inv(x_t.T @ x_t)
    a_rows = xtx_inv @ x_t.T                       # K × N; row k is a_k'
    beta = a_rows @ y_t
    residual = y_t - x_t @ beta
    draws = rademacher_draws(n_clusters, reps, seed)
    r = {name: float(null[name] if isinstance(null, dict) else null) for name in params}
    coef, t_obs, pvalues, critical = {}, {}, {}, {}
    for name in params:
        k = names.index(name)
        a = a_rows[k]
        if impose_null:
            rest = np.delete(x_t, k, axis=1)
            shifted = y_t - r[name] * x_t[:, k]
            restricted = shifted - rest @ np.linalg.lstsq(rest, shifted, rcond=None)[0]  # M_[X_-k, D](y − r x_k)
        else:
            restricted = residual                                               # M_[X, D] y
        c = membership.T @ (a * restricted)
        spread = restricted[:, None] * membership                            # ũ ⊙ 1_h, N × G
        spread = spread - q @ (q.T @ spread)
        spread = spread - x_t @ (xtx_inv @ (x_t.T @ spread))                  # M_[X, D](ũ ⊙ 1_h)
        big_c = membership.T @ (a[:, None] * spread)                          # G × G
        t_star = (c @ draws) / np.sqrt(kappa * ((big_c @ draws) ** 2).sum(axis=0))
        t_obs[name] = (beta[k] - r[name]) / np.sqrt(kappa * ((membership.T @ (a * residual)) ** 2).sum())
        coef[name] = beta[k]
        pvalues[name] = float(np.mean(np.abs(t_star) > abs(t_obs[name])))
        critical[name] = float(np.quantile(np.abs(t_star), 0.95))
    return WildClusterBootstrap(params=pd.Series(coef, dtype=float), t=pd.Series(t_obs, dtype=float),
                                pvalues=pd.Series(pvalues, dtype=float), reps=reps, seed=seed,
                                n_clusters=n_clusters, nobs=n, weighted=weights is not None,
                                restricted=impose_null, null=pd.Series(r, dtype=float),
                                critical=pd.Series(critical, dtype=float))



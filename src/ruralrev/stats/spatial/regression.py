"""Spatial regression: β-convergence with LM diagnostics, SAR and SEM (spreg); residual Moran's I.

The cross-section of :func:`ruralrev.stats.convergence.beta_convergence` — growth of log *y* between two
years on its initial level — is estimated by OLS with the LM tests for a spatially lagged
dependent variable and for spatially autocorrelated errors (and their robust forms); Anselin's
decision rule (:func:`choose_model`) picks OLS, the spatial lag (SAR) or the spatial error (SEM)
model; both spatial models are estimated (maximum likelihood or GMM) and reported beside OLS.

:func:`residual_moran` and :func:`residual_moran_table` test the residuals of any fitted
:class:`ruralrev.stats.regression.models.ModelResult` (fixed-effects panel or cross-section) for spatial
autocorrelation year by year — the disparities chapter's regressions.

References
----------
Anselin, L. (2005). *Exploring Spatial Data with GeoDa: A Workbook*. Spatial Analysis Laboratory,
University of Illinois, pp. 198–200 (the decision rule).
Anselin, L., Bera, A. K., Florax, R. and Yoon, M. J. (1996). Simple diagnostic tests for spatial
dependence. *Regional Science and Urban Economics* 26(1), 77–104.
Rey, S. J. and Montouri, B. D. (1999). US regional income convergence: a spatial econometric
perspective. *Regional Studies* 33(2), 143–156.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruralrev.stats.spatial.autocorrelation import global_moran
from ruralrev.stats.spatial.neighbours import (
    province_weights,
    quiet_import,
    subset_weights,
)
from ruralrev.stats.spatial.panel_moran import joint_moran

__all__ = [
    "MODELS",
    "RULE_STEPS",
    "convergence_frame",
    "speed_and_half_life",
    "lm_diagnostics",
    "choose_model",
    "detectable_residual_moran",
    "ConvergenceEstimate",
    "SpatialConvergence",
    "spatial_beta_convergence",
    "ResidualMoran",
    "model_residuals",
    "residual_moran",
    "residual_moran_table",
]

MODELS = {"OLS": "OLS (no spatial term)", "SAR": "spatial lag (SAR)", "SEM": "spatial error (SEM)"}

#: The steps of Anselin's rule (:func:`choose_model`): neither LM test significant, only one, both
#: with one robust test significant, both with the robust tests not separating them.
RULE_STEPS = ("neither", "one", "robust", "larger_robust")


def convergence_frame(panel: pd.DataFrame, variable: str, start: int, end: int,
                      order: list[str]) -> pd.DataFrame:
    r"""Per province (in ``order``): ``log_initial`` = :math:`\ln y_{i,start}` and ``growth`` =
    :math:`\ln y_{i,end} - \ln y_{i,start}`, the variables of the β-convergence regression."""
    if end <= start:
        raise ValueError(f"end year {end} must be after start year {start}")
    first = panel[panel["year"] == start].set_index("province")[variable].reindex(order)
    last = panel[panel["year"] == end].set_index("province")[variable].reindex(order)
    if first.isna().any() or last.isna().any() or (first <= 0).any() or (last <= 0).any():
        raise ValueError(f"{variable}: need positive values for every province in {start} and {end}")
    return pd.DataFrame({"log_initial": np.log(first), "growth": np.log(last) - np.log(first)})


def speed_and_half_life(beta: float, years: int) -> tuple[float, float]:
    r"""Implied annual convergence speed and half-life of a β over ``years`` years.

    .. math:: \lambda = -\frac{\ln(1+\beta)}{T},\qquad t_{1/2} = \frac{\ln 2}{\lambda}

    (infinite half-life when λ ≤ 0, i.e. no convergence). Barro and Sala-i-Martin (1992).
    """
    speed = -np.log1p(beta) / years if beta > -1 else np.inf
    half_life = np.log(2) / speed if speed > 0 else np.inf
    return float(speed), float(half_life)


def lm_diagnostics(ols) -> pd.DataFrame:
    r"""The LM tests of a spreg ``OLS`` fitted with ``spat_diag=True``: statistic, df and p-value.

    .. math::

        LM_{err} = \frac{(e'We/\hat\sigma^2)^2}{\operatorname{tr}(W'W + W^2)},\qquad
        LM_{lag} = \frac{(e'Wy/\hat\sigma^2)^2}{n\hat J}

    (Anselin 1988); the robust forms (Anselin et al. 1996) correct each for the presence of the
    other; SARMA tests both together (2 df).
    """
    rows = [("LM lag", ols.lm_lag, 1), ("Robust LM lag", ols.rlm_lag, 1), ("LM error", ols.lm_error, 1),
            ("Robust LM error", ols.rlm_error, 1), ("LM SARMA", ols.lm_sarma, 2)]
    return pd.DataFrame([{"test": name, "statistic": float(value[0]), "df": df, "p": float(value[1])}
                         for name, value, df in rows])


def detectable_residual_moran(w, alpha: float = 0.05) -> float:
    r"""The smallest Moran's I of OLS residuals at which LM error rejects at level α.

    With row-standardised weights (:math:`S_0 = n`) the LM error statistic is
    :math:`LM_{err} = (n I_e)^2 / T`, :math:`T = \operatorname{tr}(W'W + W^2)`, so it exceeds the
    :math:`\chi^2_1` critical value *c* exactly when :math:`|I_e| > \sqrt{cT}/n`. With few
    provinces this bound is high: smaller residual autocorrelation goes undetected.
    """
    from scipy.stats import chi2

    matrix = w.sparse
    n = matrix.shape[0]
    if not np.isclose(matrix.sum(), n):
        raise ValueError("the weights must be row-standardised")
    trace = float(matrix.multiply(matrix).sum() + matrix.multiply(matrix.T).sum())  # tr(W'W) + tr(WW)
    return float(np.sqrt(chi2.ppf(1 - alpha, 1) * trace) / n)


def choose_model(tests: pd.DataFrame, alpha: float = 0.05) -> tuple[str, str]:
    """Anselin's (2005) rule: which of OLS, SAR and SEM the LM tests point to, and which step decided.

    1. Neither LM lag nor LM error significant at α: keep OLS (step ``"neither"``).
    2. Exactly one significant: the corresponding model, lag → SAR, error → SEM (step ``"one"``).
    3. Both significant: compare the robust tests; the one significant decides (step ``"robust"``)
       or, if both or neither are, the one with the larger statistic (step ``"larger_robust"``).

    Returns
    -------
    (str, str)
        ``"OLS"``, ``"SAR"`` or ``"SEM"``, and the step of :data:`RULE_STEPS` that decided; the
        p-values behind it are in ``tests``.
    """
    p = tests.set_index("test")["p"]
    stat = tests.set_index("test")["statistic"]
    lag, err = p["LM lag"] < alpha, p["LM error"] < alpha
    if not lag and not err:
        return "OLS", "neither"
    if lag != err:
        return ("SAR" if lag else "SEM"), "one"
    robust_lag, robust_err = p["Robust LM lag"] < alpha, p["Robust LM error"] < alpha
    if robust_lag != robust_err:
        return ("SAR" if robust_lag else "SEM"), "robust"
    return ("SAR" if stat["Robust LM lag"] >= stat["Robust LM error"] else "SEM"), "larger_robust"


@dataclass(frozen=True)
class ConvergenceEstimate:
    """β-convergence estimated by one model."""

    model: str            # "OLS", "SAR" or "SEM"
    beta: float
    se: float
    p: float
    spatial: float        # ρ (SAR) or λ (SEM); NaN for OLS
    spatial_p: float
    speed: float          # implied annual speed of convergence
    half_life: float      # years to close half the gap
    log_likelihood: float  # NaN for GMM
    total_effect: float   # SAR: β/(1-ρ), the long-run effect including the spatial multiplier; else β


@dataclass(frozen=True)
class SpatialConvergence:
    """OLS and spatial β-convergence of one variable between two years."""

    variable: str
    start: int
    end: int
    estimator: str               # "ML" or "GM" for the spatial models
    estimates: dict              # "OLS", "SAR", "SEM" -> ConvergenceEstimate
    tests: pd.DataFrame          # LM diagnostics of the OLS model
    ols_residual_moran: tuple    # (I, z, p) of the OLS residuals (normal approximation)
    chosen: str
    rule: str                    # the step of Anselin's rule that chose it (RULE_STEPS)
    n: int

    @property
    def table(self) -> pd.DataFrame:
        """One row per model: β, its s.e. and p, ρ or λ, speed (% a year) and half-life (years)."""
        rows = []
        for name, e in self.estimates.items():
            rows.append({"Model": MODELS[name] + (" ← chosen" if name == self.chosen else ""),
                         "β": e.beta, "s.e.": e.se, "p": e.p, "ρ or λ": e.spatial, "p (ρ, λ)": e.spatial_p,
                         "speed (% a year)": 100 * e.speed, "half-life (years)": e.half_life})
        return pd.DataFrame(rows)


def _estimate(name: str, fitted, years: int, ml: bool) -> ConvergenceEstimate:
    betas = np.asarray(fitted.betas, dtype=float).ravel()
    stats = fitted.z_stat if hasattr(fitted, "z_stat") else fitted.t_stat
    beta, se, p = betas[1], float(np.asarray(fitted.std_err).ravel()[1]), float(stats[1][1])
    spatial = spatial_p = np.nan
    total = beta
    if name in ("SAR", "SEM"):
        spatial, spatial_p = betas[-1], float(stats[-1][1])
        if name == "SAR":
            total = beta / (1 - spatial)
    speed, half_life = speed_and_half_life(beta, years)
    return ConvergenceEstimate(model=name, beta=float(beta), se=se, p=p, spatial=float(spatial),
                               spatial_p=spatial_p, speed=speed, half_life=half_life,
                               log_likelihood=float(fitted.logll) if ml and hasattr(fitted, "logll") else np.nan,
                               total_effect=float(total))


def spatial_beta_convergence(panel: pd.DataFrame, variable: str, start: int, end: int, w,
                             alpha: float = 0.05, estimator: str = "ML") -> SpatialConvergence:
    r"""Absolute β-convergence by OLS, the spatial lag model and the spatial error model.

    .. math::

        g_i &= \alpha + \beta \ln y_{i,0} + \varepsilon_i &\text{(OLS)}\\
        g_i &= \alpha + \rho \textstyle\sum_j w_{ij} g_j + \beta \ln y_{i,0} + \varepsilon_i &\text{(SAR)}\\
        g_i &= \alpha + \beta \ln y_{i,0} + u_i,\quad u_i = \lambda \textstyle\sum_j w_{ij} u_j + \varepsilon_i
        &\text{(SEM)}

    with :math:`g_i = \ln y_{i,T} - \ln y_{i,0}`. ``estimator="ML"``: spreg ``ML_Lag`` and
    ``ML_Error`` (full Jacobian); ``"GM"``: ``GM_Lag`` (spatial two-stage least squares) and
    ``GM_Error_Het`` (GMM, heteroskedasticity-robust). Speeds and half-lives follow from each β by
    :func:`speed_and_half_life`. In the SAR model β is the effect before the spatial multiplier;
    ``total_effect`` = β/(1−ρ) includes it. ``w`` must list the provinces of the panel.

    References
    ----------
    Rey and Montouri (1999); Anselin (1988), *Spatial Econometrics*, chapters 6 and 12;
    Kelejian, H. H. and Prucha, I. R. (2010). Specification and estimation of spatial
    autoregressive models with autoregressive and heteroskedastic disturbances. *Journal of
    Econometrics* 157(1), 53–67.
    """


    spreg = quiet_import("spreg")
    if estimator not in ("ML", "GM"):
        raise ValueError(f"estimator must be 'ML' or 'GM', got {estimator!r}")
    frame = convergence_frame(panel, variable, start, end, list(w.id_order))
    y = frame[["growth"]].to_numpy()
    x = frame[["log_initial"]].to_numpy()
    w.transform = "r"
    names = dict(name_y="growth", name_x=["log_initial"], name_w="weights")
    years = end - start
    # spreg 1.9 prints a model name while summarising, passes scipy's bounded minimiser an option
    # it ignores (RuntimeWarning) and uses pandas' deprecated ``inplace``; none affects the estimates.
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Method 'bounded' does not support relative tolerance")
        warnings.filterwarnings("ignore", message="The inplace keyword")
        ols = spreg.OLS(y, x, w=w, spat_diag=True, moran=True, **names)
        if estimator == "ML":
            lag, err = spreg.ML_Lag(y, x, w=w, **names), spreg.ML_Error(y, x, w=w, **names)
        else:
            lag, err = spreg.GM_Lag(y, x, w=w, **names), spreg.GM_Error_Het(y, x, w=w, **names)
    tests = lm_diagnostics(ols)
    chosen, rule = choose_model(tests, alpha)
    estimates = {"OLS": _estimate("OLS", ols, years, False), "SAR": _estimate("SAR", lag, years, estimator == "ML"),
                 "SEM": _estimate("SEM", err, years, estimator == "ML")}
    return SpatialConvergence(variable=variable, start=start, end=end, estimator=estimator, estimates=estimates,
                              tests=tests, ols_residual_moran=tuple(float(v) for v in ols.moran_res), chosen=chosen,
                              rule=rule, n=len(frame))


@dataclass(frozen=True)
class ResidualMoran:
    """Moran's I of a model's residuals, one row per year in ``by_year``."""

    residuals: str          # what was tested, e.g. "two-way FE residuals"
    by_year: pd.DataFrame   # year, n, I, z_norm, p_norm, p_sim
    mean_I: float           # mean of the yearly I
    n_significant: int      # years with p_sim below alpha
    alpha: float
    permutations: int


def model_residuals(result, residuals: str = "model") -> tuple[pd.DataFrame, str]:
    r"""Residuals of a fitted :class:`ruralrev.stats.regression.models.ModelResult` with their province and year.

    ``residuals="model"``: the model's own residuals — for a fixed-effects result the
    idiosyncratic residuals :math:`\hat\varepsilon_{it} = y_{it} - x_{it}'\hat\beta - \hat\alpha_i -
    \hat\tau_t` (linearmodels ``resids``), for a cross-section its OLS residuals.
    ``"pooled_ols"``: residuals of OLS of the same outcome on the same regressors and a constant
    over all the result's province-years, without fixed effects; ``"pooled_year"``: the same with
    year effects (the comparator that isolates what the province effects remove).

    Returns
    -------
    (DataFrame, str)
        Columns ``province``, ``year``, ``residual``; and a label naming the residuals.
    """
    frame = getattr(result, "data", None)
    if frame is None or not {"province", "year"} <= set(frame.columns):
        raise ValueError("the result carries no data frame with province and year")
    if residuals in ("pooled_ols", "pooled_year"):
        from statsmodels.regression.linear_model import OLS
        from statsmodels.tools.tools import add_constant

        regressors = [name for name in result.params.index if name != "const"]
        exog = add_constant(frame[regressors].astype(float))
        if residuals == "pooled_year":
            exog = pd.concat([exog, pd.get_dummies(frame["year"], prefix="year", drop_first=True, dtype=float)], axis=1)
        fitted = OLS(frame[result.outcome].astype(float), exog).fit()
        label = "pooled OLS residuals" + (" (year effects)" if residuals == "pooled_year" else "")
        return frame[["province", "year"]].assign(residual=fitted.resid.to_numpy()), label
    if residuals != "model":
        raise ValueError(f"residuals must be 'model', 'pooled_ols' or 'pooled_year', got {residuals!r}")
    if result.fe_residuals is not None:
        series = result.fe_residuals
        table = series.rename("residual").reset_index()
        label = f"fixed-effects residuals ({result.fixed_effects})"
        return table[["province", "year", "residual"]], label
    if "residual" in frame.columns:
        return frame[["province", "year", "residual"]].copy(), "OLS residuals"
    raise ValueError("the result has neither fixed-effects nor OLS residuals")


def residual_moran(result, kind: str = "queen", k: int = 4, permutations: int = 9999,
                   seed: int = 20261123, alpha: float = 0.05, residuals: str = "model") -> ResidualMoran:
    r"""Moran's I of a model's residuals in each year, with permutation p-values, and their mean.

    For each year *t* the residuals :math:`e_{it}` of the provinces in the model (all 31, or the
    subset the model kept, with the weights restricted to them) are tested with
    :func:`global_moran` (seed ``seed`` every year). The summary is the mean of the yearly *I*
    and the number of years with :math:`p_{sim} < \alpha`. Residual autocorrelation means
    neighbouring provinces share what the regressors and fixed effects leave out: the standard
    errors that assume independence across provinces within a year are then too small.

    References
    ----------
    Anselin, L. (1988). *Spatial Econometrics: Methods and Models*. Kluwer, chapter 8.
    """

    table, label = model_residuals(result, residuals)
    full = province_weights(kind, k)
    rows = []
    for year, part in table.groupby("year"):
        part = part.set_index("province")
        order = [p for p in full.id_order if p in part.index]
        try:
            w = full if len(order) == len(full.id_order) else subset_weights(full, order)
        except ValueError as exc:
            raise ValueError(f"{year}: {exc}") from None
        moran = global_moran(part.loc[order, "residual"].to_numpy(float), w, permutations, seed)
        rows.append({"year": int(year), "n": moran.n, "I": moran.I, "z_norm": moran.z_norm,
                     "p_norm": moran.p_norm, "p_sim": moran.p_sim})
    by_year = pd.DataFrame(rows)
    return ResidualMoran(residuals=label, by_year=by_year, mean_I=float(by_year["I"].mean()),
                         n_significant=int((by_year["p_sim"] < alpha).sum()), alpha=alpha,
                         permutations=permutations)


def residual_moran_table(results, kind: str = "queen", k: int = 4, permutations: int = 9999,
                         seed: int = 20261123, alpha: float = 0.05, pooled_ols: bool = True,
                         pooled: str = "pooled_ols") -> pd.DataFrame:
    """Residual Moran's I of several fitted models, one row per model and kind of residual.

    For each :class:`ruralrev.stats.regression.models.ModelResult` in ``results``: its own residuals and, with
    ``pooled_ols`` and a fixed-effects model, those of pooled OLS on the same variables
    (:func:`model_residuals`). Columns: ``model``, ``residuals``, ``years``, ``mean I``, ``min I``,
    ``max I``, ``years with p < alpha``, ``smallest p``, and ``joint p``: the joint permutation test
    of the mean yearly I (:func:`ruralrev.stats.spatial.panel_moran.joint_moran`, the same permutation of
    provinces in every year), which — unlike a count of significant years — allows for the
    correlation of a province's residuals across years. ``pooled`` chooses the pooled comparator
    (``"pooled_ols"`` or ``"pooled_year"``, see :func:`model_residuals`).
    """

    rows = []
    for result in results:
        kinds = ["model"]
        if pooled_ols and result.fe_residuals is not None:
            kinds.append(pooled)
        for residuals in kinds:
            moran = residual_moran(result, kind, k, permutations, seed, alpha, residuals)
            table = moran.by_year
            rows.append({"model": result.name, "residuals": moran.residuals, "years": len(table),
                         "mean I": moran.mean_I, "min I": float(table["I"].min()), "max I": float(table["I"].max()),
                         f"years with p < {alpha:g}": moran.n_significant, "smallest p": float(table["p_sim"].min()),
                         "joint p": joint_moran(model_residuals(result, residuals)[0], province_weights(kind, k),
                                                permutations, seed).p_sim})
    return pd.DataFrame(rows)

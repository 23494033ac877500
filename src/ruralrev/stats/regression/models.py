"""Regressions on the province panel: fixed effects with small-cluster inference, and one-year OLS.

Variable names may carry a ``log_`` prefix (``log_gdp_per_capita``): the natural log of the panel
column is used (:func:`ruralrev.data.registry.values`); labels come from the indicator registry.
The estimates describe associations within provinces over time; none of these designs identifies
a causal effect. The model table: :func:`ruralrev.present.regression_tables.regression_table`.

* :func:`panel_fe` — fixed-effects regression (province and year, or region × year, effects;
  province effects optionally split at series breaks, :func:`province_segments`), unweighted or
  population-weighted, with province-clustered standard errors and wild cluster restricted
  bootstrap p-values, which stay reliable with only 31 clusters;
* :func:`cross_section` — OLS for one year with HC3 standard errors and influence diagnostics;
  :func:`vif` — variance inflation factors;
* :func:`coefficient_rows`, :func:`coefficient_verdict` — one coefficient across several models,
  as numbers and as a verdict (sign and significance in how many of them);
* :func:`change_correlations` — how a regressor's change across provinces relates to the outcome's
  change in levels and in logs (why a level model and a log model can disagree).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ruralrev.data import registry
from ruralrev.stats.regression.jackknife import (
    ClusterJackknife,
    cluster_jackknife,
)
from ruralrev.stats.regression.wild_bootstrap import (
    WildClusterBootstrap,
    wild_cluster_bootstrap,
)

__all__ = ["ModelResult", "model_frame", "province_segments", "panel_fe", "trend_columns", "cross_section", "vif", "from_statsmodels", "coefficient_rows", "CoefficientVerdict", "coefficient_verdict", "verdict_table", "change_correlations"]


@dataclass(frozen=True)
class ModelResult:
    """What a model table needs, whatever estimated it.

    ``r2`` of a fixed-effects fit is the R² of the regression after all its fixed effects (and
    trends) are removed — linearmodels' ``rsquared``, not its one-way ``rsquared_within``.
    ``wild`` carries the full wild bootstrap result (t, p-values, Monte Carlo s.e., draws, seed);
    :attr:`wild_pvalues` reads its p-value column. ``weights`` names the analytic weight of a WLS
    fit (``None``: unweighted). ``data`` is the estimation frame (for a cross-section with fitted
    values, residuals and influence measures); ``fe_residuals`` the residuals of a fixed-effects
    fit, indexed by province and year (``None`` for OLS).
    """

    name: str
    outcome: str
    params: pd.Series
    se: pd.Series
    pvalues: pd.Series
    nobs: int
    r2: float
    r2_label: str
    fixed_effects: str
    se_type: str
    n_clusters: int | None = None
    data: pd.DataFrame | None = field(default=None, repr=False)
    wild: WildClusterBootstrap | None = None
    weights: str | None = None
    wild_unrestricted: WildClusterBootstrap | None = None
    jackknife: ClusterJackknife | None = None
    fe_codes: list | None = field(default=None, repr=False)
    singletons: int = 0      # one-observation province segments dropped before estimation
    fe_residuals: pd.Series | None = field(default=None, repr=False)

    @property
    def wild_pvalues(self) -> pd.Series | None:
        """The restricted wild bootstrap p-values (``None`` when no bootstrap was run)."""
        return None if self.wild is None else self.wild.pvalues


def model_frame(panel: pd.DataFrame, outcome: str, regressors: list[str], years=None,
                exclude: list[str] | None = None, weights: str | None = None) -> pd.DataFrame:
    """Outcome and regressors (with ``log_`` transforms) for the chosen years, complete cases only.

    With ``weights`` (a panel column, e.g. ``rural_population``) the frame carries it too; rows
    without a weight are dropped and a non-positive weight is refused.
    """
    if not regressors:
        raise ValueError("at least one regressor is needed")
    chosen = panel if years is None else panel[panel["year"].isin(list(years))]
    if exclude:
        unknown = set(exclude) - set(panel["province"])
        if unknown:
            raise ValueError(f"cannot exclude unknown province(s) {sorted(unknown)}")
        chosen = chosen[~chosen["province"].isin(exclude)]
    frame = chosen[["province", "year", "region"]].copy()
    frame["region"] = frame["region"].astype(str)
    for name in [outcome, *regressors]:
        frame[name] = registry.values(chosen, name)
    if weights is not None:
        if weights in frame.columns:
            raise ValueError(f"the weight {weights!r} is also a variable of the model")
        frame[weights] = registry.values(chosen, weights)
    frame = frame.dropna().reset_index(drop=True)
    if frame.empty:
        raise ValueError(f"no complete observations for {outcome} on {regressors} in the chosen years")
    if weights is not None and (frame[weights] <= 0).any():
        bad = frame.loc[frame[weights] <= 0, ["province", "year", weights]].iloc[0]
        raise ValueError(f"weight {weights} must be positive: {bad['province']} {bad['year']} has {bad[weights]}")
    return frame


def province_segments(frame: pd.DataFrame, split_at: pd.DataFrame) -> pd.Series:
    r"""Label of each row's province *segment*: the province, cut at each of its breaks.

    ``split_at`` lists breaks as ``province`` and ``year_to`` (the first year on the new footing,
    as in :func:`ruralrev.data.breaks.flags.flags_for`). A province with breaks at :math:`\tau_1 < \tau_2`
    has three segments: years before :math:`\tau_1`, from :math:`\tau_1` to :math:`\tau_2 - 1`,
    and from :math:`\tau_2`. Fixed effects by segment,

    .. math:: \alpha_{i,s(t)},\qquad s(t) = \#\{\tau \in \mathcal B_i : \tau \le t\},

    absorb a level shift of any variable at a province's break — what province effects (constant
    over time) and year effects (common to all provinces) cannot do — so a coefficient is
    identified only from changes within a segment. Provinces without breaks keep one segment.

    References
    ----------
    Perron, P. (1989). The great crash, the oil-price shock, and the unit root hypothesis.
    *Econometrica* 57(6), 1361–1401 (level-shift dummies at known break dates).
    """
    missing = {"province", "year_to"} - set(split_at.columns)
    if missing:
        raise ValueError(f"split_at needs the columns province and year_to (missing {sorted(missing)})")
    segment = np.zeros(len(frame), dtype=int)
    for province, year in split_at[["province", "year_to"]].drop_duplicates().itertuples(index=False):
        segment += ((frame["province"] == province) & (frame["year"] >= year)).to_numpy(dtype=int)
    return (frame["province"].astype(str) + "#" + pd.Series(segment, index=frame.index).astype(str)).rename("segment")


def panel_fe(panel: pd.DataFrame, outcome: str, regressors: list[str], years=None,
             effects: str = "province+year", exclude: list[str] | None = None,
             bootstrap_reps: int = 9999, seed: int = 20261123, name: str | None = None,
             se_type: str = "clustered", weights: str | None = None,
             split_at: pd.DataFrame | None = None, trends: str | None = None) -> ModelResult:
    r"""Fixed-effects panel regression with province-clustered errors and wild bootstrap p-values.

    .. math:: y_{it} = x_{it}'\beta + \alpha_i + \tau_t + \varepsilon_{it}

    with ``effects="province+year"``, or :math:`\tau_{r(i)t}` (region × year) with
    ``effects="province+region_year"``. Estimated by ``linearmodels.PanelOLS`` (the effects as
    dummy variables, ``use_lsdv``), by OLS or — with
    ``weights`` naming a panel column such as ``rural_population`` — by WLS, which makes the
    coefficients describe the average person rather than the average province. Standard errors
    clustered by province (``se_type="clustered"``) or heteroskedasticity-robust only
    (``se_type="robust"``, shown for comparison). The wild cluster restricted bootstrap
    (:func:`ruralrev.stats.regression.wild_bootstrap.wild_cluster_bootstrap`: the null imposed, the fixed effects
    re-absorbed in every draw, the same weights) runs with clustered errors only;
    ``bootstrap_reps = 0`` skips it. With ``split_at`` (breaks as ``province``, ``year_to``) the
    province effects become province-segment effects (:func:`province_segments`); errors stay
    clustered by province, and one-year segments are dropped before estimation (their own effect
    fits them exactly, so they identify nothing but would inflate N and distort the cluster
    degrees-of-freedom correction; Correia 2015) and counted in ``singletons``.

    ``trends`` adds controls for catching up, which province and year effects leave in:
    ``"province"`` a linear trend for each province, :math:`\gamma_i (t - t_0)`, so that only
    departures from a province's own trend identify :math:`\beta`; ``"initial"`` the outcome's
    level in the province's first year times the years since, :math:`\delta\, y_{i t_0}(t - t_0)`,
    the catching-up of β-convergence (poorer provinces growing faster at a constant rate). The
    controls are absorbed like the fixed effects (:func:`trend_columns`) and are not reported.

    References
    ----------
    Cameron, A. C. and Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
    *Journal of Human Resources* 50(2), 317–372.
    Solon, G., Haider, S. J. and Wooldridge, J. M. (2015). What are we weighting for? *Journal of
    Human Resources* 50(2), 301–316.
    Correia, S. (2015). Singletons, cluster-robust standard errors and fixed effects: a bad mix.
    Technical note, Duke University.
    """
    from linearmodels.panel import PanelOLS

    frame = model_frame(panel, outcome, regressors, years, exclude, weights)
    singletons = 0
    if split_at is not None:   # a one-year segment is fitted exactly by its own effect: it identifies nothing
        segments = province_segments(frame, split_at)
        sizes = segments.map(segments.value_counts())
        singletons = int((sizes == 1).sum())
        frame = frame[(sizes > 1).to_numpy()].reset_index(drop=True)
    indexed = frame.set_index(["province", "year"])
    exog = indexed[regressors]
    province = pd.factorize(frame["province"], sort=True)[0]
    weight_values = None if weights is None else indexed[weights]
    if effects == "province+year":
        second, label = frame["year"].astype(str), "year"
    elif effects == "province+region_year":
        second, label = frame["region"] + frame["year"].astype(str), "region × year"
    else:
        raise ValueError(f"effects must be 'province+year' or 'province+region_year', got {effects!r}")
    first_label = "province"
    first_codes = province
    if split_at is not None:
        segments = province_segments(frame, split_at)
        first_codes = pd.factorize(segments, sort=True)[0]
        first_label = (f"province split at breaks ({segments.nunique()} segments"
                       + (f"; {singletons} one-year segments dropped)" if singletons else ")"))
    codes = [first_codes, pd.factorize(second)[0]]
    if trends is not None:
        controls = trend_columns(frame, outcome, trends)
        exog = pd.concat([exog, controls.set_axis(indexed.index)], axis=1)
        codes.append(controls.to_numpy(float))
        label += ", " + {"province": "province trends", "initial": "initial level × trend"}[trends]
    if split_at is None and effects == "province+year":
        model = PanelOLS(indexed[outcome], exog, entity_effects=True, time_effects=True, weights=weight_values)
    elif split_at is None:
        other = pd.DataFrame({"second": codes[1]}, index=indexed.index)
        model = PanelOLS(indexed[outcome], exog, entity_effects=True, other_effects=other, weights=weight_values)
    else:
        other = pd.DataFrame({"first": codes[0], "second": codes[1]}, index=indexed.index)
        model = PanelOLS(indexed[outcome], exog, other_effects=other, weights=weight_values)
    label = f"{first_label}, {label}"
    # The effects as dummy variables (LSDV): with 31 provinces and a few dozen years or region-years
    # one least-squares solve, which gives what PanelOLS' default iterative demeaning gives
    # (tests/test_models.py) at about a tenth of its cost.
    if se_type == "clustered":
        fitted = model.fit(cov_type="clustered", cluster_entity=True, use_lsdv=True)
        se_label = "clustered by province"
    elif se_type == "robust":
        fitted = model.fit(cov_type="robust", use_lsdv=True)
        se_label = "heteroskedasticity-robust"
    else:
        raise ValueError(f"se_type must be 'clustered' or 'robust', got {se_type!r}")
    wild = unrestricted = None
    jackknife = cluster_jackknife(frame[outcome], frame[regressors], frame["province"], codes,
                                  weights=None if weights is None else frame[weights])
    if bootstrap_reps and se_type == "clustered":
        inputs = dict(weights=None if weights is None else frame[weights], reps=bootstrap_reps, seed=seed)
        wild = wild_cluster_bootstrap(frame[outcome], frame[regressors], province, codes, **inputs)
        unrestricted = wild_cluster_bootstrap(frame[outcome], frame[regressors], province, codes,
                                              impose_null=False, **inputs)
    return ModelResult(name=name or outcome, outcome=outcome, params=fitted.params[regressors],
                       se=fitted.std_errors[regressors], pvalues=fitted.pvalues[regressors],
                       nobs=int(fitted.nobs), r2=float(fitted.rsquared),
                       r2_label="R² (net of effects)", fixed_effects=label, se_type=se_label,
                       n_clusters=int(frame["province"].nunique()), fe_residuals=fitted.resids, data=frame, wild=wild,
                       weights=weights, wild_unrestricted=unrestricted, jackknife=jackknife, fe_codes=codes, singletons=singletons)


def trend_columns(frame: pd.DataFrame, outcome: str, trends: str) -> pd.DataFrame:
    r"""The catching-up controls of :func:`panel_fe` (``trends``), one row per row of ``frame``.

    With :math:`t_0` the first year of the frame: ``"province"`` gives :math:`1\{i = j\}(t - t_0)`
    for every province *j* but the first (whose trend the year effects span with the others);
    ``"initial"`` gives :math:`y_{i t_{0,i}}\,(t - t_0)` with :math:`y_{i t_{0,i}}` the outcome in the
    province's first year in the frame.
    """
    elapsed = (frame["year"] - frame["year"].min()).astype(float)
    if trends == "province":
        provinces = sorted(frame["province"].unique())[1:]
        return pd.DataFrame({f"trend[{p}]": (frame["province"] == p) * elapsed for p in provinces}, index=frame.index)
    if trends == "initial":
        first = frame.sort_values("year").groupby("province")[outcome].first()
        return pd.DataFrame({f"initial {outcome} × trend": frame["province"].map(first) * elapsed}, index=frame.index)
    raise ValueError(f"trends must be None, 'province' or 'initial', got {trends!r}")


def wild_test(result: ModelResult, variable: str, null: float, reps: int = 9999, seed: int = 20261123,
              impose_null: bool = True) -> WildClusterBootstrap:
    r"""Wild cluster bootstrap test of :math:`H_0\colon\beta_k = r` in a fitted :func:`panel_fe` model.

    The same data, fixed effects (split or not), weights and clusters as the model; see
    :func:`ruralrev.stats.regression.wild_bootstrap.wild_cluster_bootstrap` (restricted by default).
    """
    if result.fe_codes is None or result.data is None:
        raise ValueError(f"{result.name!r} is not a fixed-effects result of panel_fe")
    frame = result.data
    regressors = [name for name in result.params.index]
    province = pd.factorize(frame["province"], sort=True)[0]
    return wild_cluster_bootstrap(frame[result.outcome], frame[regressors], province, result.fe_codes,
                                  weights=None if result.weights is None else frame[result.weights],
                                  params=[variable], reps=reps, seed=seed, null={variable: null},
                                  impose_null=impose_null)


def cross_section(panel: pd.DataFrame, outcome: str, regressors: list[str], year: int,
                  exclude: list[str] | None = None, name: str | None = None) -> ModelResult:
    """OLS across provinces for one year with HC3 (heteroskedasticity-robust) standard errors.

    ``data`` carries the fitted values, residuals, leverage,
    studentized residuals and Cook's distance of each province for diagnostics.

    References
    ----------
    MacKinnon, J. G. and White, H. (1985). Some heteroskedasticity-consistent covariance matrix
    estimators with improved finite sample properties. *Journal of Econometrics* 29(3), 305–325.
    """
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

    frame = model_frame(panel, outcome, regressors, [year], exclude)
    exog = add_constant(frame[regressors])
    ols = OLS(frame[outcome], exog).fit()
    robust = ols.get_robustcov_results(cov_type="HC3")
    influence = ols.get_influence()
    frame = frame.assign(fitted=ols.fittedvalues, residual=ols.resid,
                         leverage=influence.hat_matrix_diag,
                         studentized=influence.resid_studentized_external,
                         cooks_distance=influence.cooks_distance[0])
    names = list(exog.columns)
    return ModelResult(name=name or f"{outcome} ({year})", outcome=outcome,
                       params=pd.Series(robust.params, index=names), se=pd.Series(robust.bse, index=names),
                       pvalues=pd.Series(robust.pvalues, index=names), nobs=int(robust.nobs),
                       r2=float(robust.rsquared), r2_label="R²", fixed_effects="none", se_type="HC3",
                       data=frame)


def from_statsmodels(result, name: str, outcome: str, se_type: str) -> ModelResult:
    """Wrap a fitted statsmodels OLS result (e.g. a β-convergence regression) for the table."""
    return ModelResult(name=name, outcome=outcome, params=result.params, se=result.bse, pvalues=result.pvalues,
                       nobs=int(result.nobs), r2=float(result.rsquared), r2_label="R²", fixed_effects="none",
                       se_type=se_type)


def vif(frame: pd.DataFrame, regressors: list[str]) -> pd.Series:
    r"""Variance inflation factor of each regressor, :math:`1/(1-R_j^2)` (with a constant)."""
    from statsmodels.tools.tools import add_constant
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    exog = add_constant(frame[regressors].astype(float)).to_numpy()
    return pd.Series([variance_inflation_factor(exog, i + 1) for i in range(len(regressors))],
                     index=regressors, name="VIF")


def coefficient_rows(results: list[ModelResult], variable: str) -> pd.DataFrame:
    """One coefficient across several models, as numbers: one row per model with ``model``,
    ``coef``, ``se``, ``p`` (conventional), ``p_wild`` (restricted wild bootstrap),
    ``p_wcu`` (unrestricted wild bootstrap), ``p_cv3`` (cluster jackknife, t(G − 1)), ``nobs``,
    ``fixed_effects`` and ``weights`` — what a sentence comparing the models reads. Each p column
    is NaN where that p-value was not computed or the model lacks the variable."""
    rows = []
    for r in results:
        present = variable in r.params.index
        has_wild = present and r.wild_pvalues is not None and variable in r.wild_pvalues.index
        has_wcu = present and r.wild_unrestricted is not None and variable in r.wild_unrestricted.pvalues.index
        has_cv3 = present and r.jackknife is not None and variable in r.jackknife.pvalues.index
        rows.append({"model": r.name, "coef": float(r.params[variable]) if present else np.nan,
                     "se": float(r.se[variable]) if present else np.nan,
                     "p": float(r.pvalues[variable]) if present else np.nan,
                     "p_wild": float(r.wild_pvalues[variable]) if has_wild else np.nan,
                     "p_wcu": float(r.wild_unrestricted.pvalues[variable]) if has_wcu else np.nan,
                     "p_cv3": float(r.jackknife.pvalues[variable]) if has_cv3 else np.nan,
                     "nobs": r.nobs, "fixed_effects": r.fixed_effects, "weights": r.weights or "none"})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class CoefficientVerdict:
    """Sign and significance of one coefficient across specifications (:func:`coefficient_verdict`):
    counts, booleans and a sign code, never words for the page."""

    n: int
    positive: int
    negative: int
    significant: int        # p below alpha (every listed p, when several)
    low: float
    high: float
    alpha: float

    @property
    def same_sign(self) -> bool:
        """The coefficient has one sign in every specification."""
        return self.positive == self.n or self.negative == self.n

    @property
    def all_significant(self) -> bool:
        """Significant in every specification."""
        return self.significant == self.n

    @property
    def robust(self) -> bool:
        """Same sign and significant in every specification."""
        return self.same_sign and self.all_significant

    @property
    def sign(self) -> str:
        """The sign as a code: ``"positive"``, ``"negative"`` or ``"mixed"``."""
        return "positive" if self.positive == self.n else "negative" if self.negative == self.n else "mixed"


def coefficient_verdict(rows: pd.DataFrame, alpha: float = 0.05, p_column: str | list[str] = "p_wild") -> CoefficientVerdict:
    """Count the specifications of :func:`coefficient_rows` in which the coefficient is positive,
    negative and significant (``p_column`` below ``alpha``: the wild bootstrap p by default, ``"p"``
    for the conventional one; a list of columns asks that every one be below ``alpha``; a missing p
    counts as not significant); models without the coefficient are skipped."""
    rows = rows.dropna(subset=["coef"])
    if rows.empty:
        raise ValueError("no model has the coefficient")
    columns = [p_column] if isinstance(p_column, str) else list(p_column)
    significant = (rows[columns] < alpha).all(axis=1)
    return CoefficientVerdict(n=len(rows), positive=int((rows["coef"] > 0).sum()),
                              negative=int((rows["coef"] < 0).sum()),
                              significant=int(significant.sum()),
                              low=float(rows["coef"].min()), high=float(rows["coef"].max()), alpha=alpha)


def verdict_table(results: list[ModelResult], regressors: list[str], alpha: float = 0.05,
                  p_column: str | list[str] = "p_wild") -> pd.DataFrame:
    """:func:`coefficient_verdict` of each regressor over ``results``, one row per regressor:
    ``regressor``, ``label``, ``models``, ``positive``, ``negative``, ``significant``, ``low``,
    ``high``, ``sign`` (code), ``same_sign`` and ``robust`` (same sign and significant in every model)."""
    rows = []
    for name in regressors:
        v = coefficient_verdict(coefficient_rows(results, name), alpha, p_column)
        rows.append({"regressor": name, "label": registry.label_or_name(name), "models": v.n, "positive": v.positive,
                     "negative": v.negative, "significant": v.significant, "low": v.low, "high": v.high,
                     "sign": v.sign, "same_sign": v.same_sign, "robust": v.robust})
    return pd.DataFrame(rows)


def change_correlations(panel: pd.DataFrame, regressor: str, outcome: str, start: int, end: int) -> pd.Series:
    r"""Across provinces, the correlation of a regressor's change :math:`\Delta x_i = x_{i,end} -
    x_{i,start}` with the outcome's initial level :math:`y_{i,start}`, its change in levels
    :math:`\Delta y_i` and its change in logs :math:`\Delta\ln y_i`.

    With year effects, a level model compares each province's change in yuan with the common
    change, a log model its growth rate with the common rate. When the regressor rises most where
    the outcome starts lowest, the two can disagree in sign: those provinces gain fewer yuan but
    grow faster. Returns ``initial_level``, ``change_level``, ``change_log`` (Pearson correlations)
    and ``n``.
    """
    first = panel[panel["year"] == start].set_index("province")
    last = panel[panel["year"] == end].set_index("province")
    dx = registry.values(last, regressor) - registry.values(first, regressor)
    y0, y1 = registry.values(first, outcome), registry.values(last, outcome)
    frame = pd.DataFrame({"dx": dx, "y0": y0, "dy": y1 - y0, "dlog": np.log(y1 / y0)}).dropna()
    if len(frame) < 3:
        raise ValueError(f"too few provinces with {regressor} and {outcome} in {start} and {end}")
    return pd.Series({"initial_level": frame["dx"].corr(frame["y0"]), "change_level": frame["dx"].corr(frame["dy"]),
                      "change_log": frame["dx"].corr(frame["dlog"]), "n": float(len(frame))})

"""Convergence across provinces: σ (dispersion falls) and β (poorer provinces grow faster)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruralrev.stats.inequality.measures import (
    coefficient_of_variation,
    gini,
    theil_decomposition,
    theil_t,
)
from ruralrev.stats.regression.models import vif

__all__ = ["most_influential", "sigma_convergence", "beta_convergence", "BetaConvergence", "collinearity"]


def sigma_convergence(panel: pd.DataFrame, variable: str, weight: str | None = None,
                      group: str | None = None, years=None) -> pd.DataFrame:
    """Per-year dispersion of ``variable`` across provinces (σ-convergence if it falls).

    Returns one row per year with the standard deviation of logs (unweighted, the usual σ), the
    (weighted) CV, Theil T and Gini, and, when ``group`` is given, the between-group share of the
    Theil index.
    """
    rows = []
    selected = panel if years is None else panel[panel["year"].isin(list(years))]
    for year, part in selected.groupby("year"):
        part = part.dropna(subset=[variable] + ([weight] if weight else []))
        if part.empty:
            continue
        y = part[variable].to_numpy(float)
        w = part[weight].to_numpy(float) if weight else None
        row = {"year": int(year), "n": len(part), "sd_log": float(np.std(np.log(y), ddof=0)),
               "cv": coefficient_of_variation(y, w), "theil": theil_t(y, w), "gini": gini(y, w)}
        if group:
            row["theil_between_share"] = theil_decomposition(y, w, part[group].astype(str)).between_share
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class BetaConvergence:
    """Result of :func:`beta_convergence`."""

    beta: float
    se: float
    pvalue: float
    speed: float        # λ per year
    half_life: float    # years
    years: int          # T
    n: int
    r2: float
    result: object      # the statsmodels results, for tables and diagnostics
    data: pd.DataFrame | None = None   # per province: growth, log_initial and the controls


def beta_convergence(panel: pd.DataFrame, variable: str, start: int, end: int,
                     controls: list[str] | None = None, cov_type: str = "HC3",
                     use_t: bool = False) -> BetaConvergence:
    r"""Absolute (no controls) or conditional β-convergence between two years.

    .. math::

        \ln y_{i,T} - \ln y_{i,0} = \alpha + \beta \ln y_{i,0} + \gamma' x_{i,0} + \varepsilon_i,
        \qquad \lambda = -\frac{\ln(1+\beta)}{T},\qquad t_{1/2} = \frac{\ln 2}{\lambda}

    with *T* = ``end − start`` years and controls measured in the start year. β < 0 means poorer
    provinces grew faster; λ is the implied annual speed of convergence and :math:`t_{1/2}` the
    years needed to close half the gap.

    p-values and intervals use the normal distribution by default (statsmodels' default for a
    robust covariance); ``use_t=True`` uses Student's t with N − K degrees of freedom, as the
    one-year cross-sections of :func:`ruralrev.stats.regression.models.cross_section` do.

    References
    ----------
    Barro, R. J. and Sala-i-Martin, X. (1992). Convergence. *Journal of Political Economy*
    100(2), 223–251.
    """
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

    if end <= start:
        raise ValueError(f"end year {end} must be after start year {start}")
    controls = list(controls or [])
    first = panel[panel["year"] == start].set_index("province")
    last = panel[panel["year"] == end].set_index("province")
    frame = pd.DataFrame({"log_initial": np.log(first[variable]),
                          "growth": np.log(last[variable]) - np.log(first[variable])})
    for control in controls:
        frame[control] = first[control]
    frame = frame.dropna()
    if len(frame) < len(controls) + 3:
        raise ValueError(f"too few provinces with data for {variable} in {start} and {end}")
    exog = add_constant(frame[["log_initial", *controls]])
    result = OLS(frame["growth"], exog).fit(cov_type=cov_type, use_t=use_t)
    beta = float(result.params["log_initial"])
    horizon = end - start
    speed = -np.log1p(beta) / horizon if beta > -1 else np.inf
    half_life = np.log(2) / speed if speed > 0 else np.inf
    return BetaConvergence(beta=beta, se=float(result.bse["log_initial"]),
                           pvalue=float(result.pvalues["log_initial"]), speed=float(speed),
                           half_life=float(half_life), years=horizon, n=int(result.nobs),
                           r2=float(result.rsquared), result=result, data=frame)


def most_influential(fit: BetaConvergence) -> pd.Series:
    r"""Cook's distance of each province in a β-convergence regression, largest first.

    .. math:: D_i = \frac{e_i^2}{p\,s^2}\,\frac{h_{ii}}{(1-h_{ii})^2}

    (Cook 1977), from the OLS fit (the distance does not depend on the covariance type).
    """
    from statsmodels.regression.linear_model import OLS

    ols = OLS(fit.result.model.endog, fit.result.model.exog).fit()
    distance = pd.Series(ols.get_influence().cooks_distance[0], index=fit.data.index, name="cooks_distance")
    return distance.sort_values(ascending=False)


def collinearity(fit: BetaConvergence) -> pd.DataFrame:
    r"""How much a conditional β-convergence regression can tell the initial level from its controls.

    One row per regressor (``log_initial`` first): its correlation with the log initial level
    across provinces and its variance inflation factor :math:`1/(1-R_j^2)` among the regressors.
    A control strongly correlated with :math:`\ln y_{i,0}` leaves little variation to estimate β
    from, and a control that is itself an outcome of development (urbanization, the structure of
    the economy) absorbs part of the convergence it is meant to condition on.

    References
    ----------
    Sala-i-Martin, X. (1996). The classical approach to convergence analysis. *Economic Journal*
    106(437), 1019–1036 (conditional convergence and the choice of controls).
    """

    if fit.data is None:
        raise ValueError("the fit carries no data frame")
    names = [c for c in fit.data.columns if c != "growth"]
    if len(names) < 2:
        raise ValueError("an absolute β-convergence regression has no controls")
    return pd.DataFrame({"regressor": names,
                         "corr_with_initial": [float(fit.data[n].corr(fit.data["log_initial"])) for n in names],
                         "vif": vif(fit.data, names).to_numpy()})

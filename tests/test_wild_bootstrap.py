"""The wild cluster restricted bootstrap, checked against independent implementations on the book's data.

The model is the disparities chapter's fixed-effects model with all its default ``fe_regressors``
(parameters read from ``notebooks/params.yml``; the "as published" column of the chapter's break
table, the page's main model drops the flagged ones): log rural income, province and year effects,
2016–2024, errors clustered by province. The reference is ``wildboottest`` on a statsmodels OLS
with dummy variables for the effects (WCR, Rademacher, "11" type); for population weights, which
``wildboottest`` ignores, the same OLS on rows scaled by sqrt(w) and a brute-force loop of
statsmodels WLS fits. Each comparison is made with the same draws (same seed: the two
implementations draw the same signs, so the p-values must coincide up to ties, |Δp| ≤ 1/B) and
with independent draws (|Δp| within 4 Monte Carlo standard errors of a difference of two
independent p-values, 4·sqrt(p(1-p)·2/B)). The old construction, which flipped the signs of the
within-transformed residuals without re-absorbing the year effects, must fail the same comparison,
so the test has power.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from wildboottest.wildboottest import wildboottest

from ruralrev.book import params
from ruralrev.data import official
from ruralrev.present import regression_tables
from ruralrev.stats.regression import models
from ruralrev.stats.regression.wild_bootstrap import (
    absorb,
    mc_standard_error,
    rademacher_draws,
    wild_cluster_bootstrap,
)

DEFAULTS = next(c for c in params.load_plan() if c.name == "disparities").parameters
REGRESSORS = list(DEFAULTS["fe_regressors"])
YEARS = range(DEFAULTS["start_year"], DEFAULTS["end_year"] + 1)
SEED = DEFAULTS["seed"]
B = DEFAULTS["bootstrap_reps"]
OUTCOME = "log_rural_income"    # the first column of the chapter's FE table
WEIGHT = DEFAULTS["weight"]


@pytest.fixture(scope="module")
def frame():
    return models.model_frame(official.load_panel(), OUTCOME, REGRESSORS, YEARS, weights=WEIGHT)


def _design(frame: pd.DataFrame, effects: str = "province+year") -> pd.DataFrame:
    """Regressors and full-rank dummy columns for the effects (what wildboottest needs: X'X invertible)."""
    province = pd.get_dummies(frame["province"], prefix="p", dtype=float)
    if effects == "province+year":
        other = pd.get_dummies(frame["year"], prefix="y", drop_first=True, dtype=float)
    else:  # region × year, one year dropped per region (the province dummies span the region totals)
        cell = frame["region"] + "_" + frame["year"].astype(str)
        other = pd.get_dummies(cell, dtype=float)
        first = frame.groupby("region")["year"].transform("min")
        other = other.drop(columns=(frame["region"] + "_" + first.astype(str)).unique())
    return pd.concat([frame[REGRESSORS], province, other], axis=1)


def _library(frame, seed, reps=B, effects="province+year", weights=None) -> pd.DataFrame:
    """wildboottest p-values and t statistics, one coefficient per call (the library's own loop
    would test every dummy too). With weights: OLS on rows scaled by sqrt(w), which is the WLS model."""
    scale = np.ones(len(frame)) if weights is None else np.sqrt(frame[weights].to_numpy())
    design = _design(frame, effects).mul(scale, axis=0)
    model = sm.OLS(frame[OUTCOME] * scale, design)
    cluster = pd.factorize(frame["province"], sort=True)[0]
    rows = [wildboottest(model, B=reps, cluster=cluster, param=name, seed=seed, show=False, parallel=False)
            for name in REGRESSORS]
    return pd.concat(rows).rename(columns={"p-value": "p", "statistic": "t"}).astype(float)


def _ours(frame, seed, reps=B, effects="province+year", weights=None):
    """The package's estimate through the chapter's entry point (the model frame is a panel too)."""
    return models.panel_fe(frame, OUTCOME, REGRESSORS, YEARS, effects=effects, bootstrap_reps=reps,
                           seed=seed, weights=weights).wild


def _old_construction(frame, seed, reps=B) -> pd.Series:
    """The construction this module replaced: WCR on within-transformed data, fixed effects not
    re-absorbed in the bootstrap samples (kept here only to show that the comparison can fail)."""
    codes = [pd.factorize(frame["province"], sort=True)[0], pd.factorize(frame["year"])[0]]
    demeaned = absorb(frame[[OUTCOME, *REGRESSORS]].to_numpy(float), codes)
    y, x = demeaned[:, 0], demeaned[:, 1:]
    clusters = codes[0]
    draws = rademacher_draws(clusters.max() + 1, reps, seed)

    def cluster_t(matrix, k):
        inverse = np.linalg.inv(x.T @ x)
        beta = inverse @ x.T @ matrix
        scores = np.zeros((clusters.max() + 1, matrix.shape[1]))
        np.add.at(scores, clusters, (inverse[k] @ x.T)[:, None] * (matrix - x @ beta))
        return beta[k] / np.sqrt((scores ** 2).sum(axis=0))

    out = {}
    for k, name in enumerate(REGRESSORS):
        rest = np.delete(x, k, axis=1)
        fitted = rest @ np.linalg.lstsq(rest, y, rcond=None)[0]
        t_obs = cluster_t(y[:, None], k)[0]
        t_star = cluster_t(fitted[:, None] + (y - fitted)[:, None] * draws[clusters], k)
        out[name] = float(np.mean(np.abs(t_star) >= abs(t_obs)))
    return pd.Series(out)


def _band(p_a, p_b, reps_a, reps_b):
    """4 Monte Carlo standard errors of the difference of two independent bootstrap p-values."""
    p = (np.asarray(p_a) + np.asarray(p_b)) / 2
    return 4 * np.sqrt(p * (1 - p) * (1 / reps_a + 1 / reps_b))


def test_default_model_matches_wildboottest_draw_for_draw(frame):
    ours = _ours(frame, SEED)
    library = _library(frame, SEED)
    assert ours.reps == B == 9999 and ours.n_clusters == 31 and ours.nobs == 279
    # Same t statistic (CR1, small-sample factor counting the absorbed effects) ...
    np.testing.assert_allclose(ours.t.to_numpy(), library["t"].to_numpy(), rtol=1e-6)
    # ... and the same p-value: the same signs, so equal up to a tie (at most one draw).
    assert np.abs(ours.pvalues.to_numpy() - library["p"].to_numpy()).max() <= 1 / B
    # The old construction, with the very same draws, does not reproduce the library.
    old = _old_construction(frame, SEED)
    gap = np.abs(old.to_numpy() - library["p"].to_numpy())
    assert (gap >= 2 / B).all()
    assert (gap / mc_standard_error(library["p"].to_numpy(), B)).max() > 4


def test_default_model_agrees_with_wildboottest_within_monte_carlo_error(frame):
    ours = _ours(frame, SEED)
    library = _library(frame, SEED + 1)       # independent draws
    band = _band(ours.pvalues.to_numpy(), library["p"].to_numpy(), B, B)
    assert (np.abs(ours.pvalues.to_numpy() - library["p"].to_numpy()) <= band).all()
    old = _old_construction(frame, SEED)
    assert (np.abs(old.to_numpy() - library["p"].to_numpy()) > _band(old, library["p"], B, B)).any()


def test_region_year_effects_match_wildboottest(frame):
    ours = _ours(frame, SEED, effects="province+region_year")
    library = _library(frame, SEED, effects="province+region_year")
    np.testing.assert_allclose(ours.t.to_numpy(), library["t"].to_numpy(), rtol=1e-6)
    assert np.abs(ours.pvalues.to_numpy() - library["p"].to_numpy()).max() <= 1 / B


def test_weighted_model_matches_wildboottest_on_scaled_rows(frame):
    ours = _ours(frame, SEED, weights=WEIGHT)
    assert ours.weighted
    library = _library(frame, SEED, weights=WEIGHT)
    np.testing.assert_allclose(ours.t.to_numpy(), library["t"].to_numpy(), rtol=1e-6)
    assert np.abs(ours.pvalues.to_numpy() - library["p"].to_numpy()).max() <= 1 / B
    # And the weights matter: the unweighted p-values are different numbers.
    assert not np.allclose(ours.pvalues, _ours(frame, SEED).pvalues)


def test_weighted_model_matches_a_brute_force_loop_of_statsmodels_wls_fits(frame):
    """Each draw: y* = restricted WLS fit + restricted residual × sign of the province, then a full
    WLS fit with all dummies and statsmodels' cluster-robust t. Same draws, so the same p-value."""
    reps = 99
    design = _design(frame)
    w = frame[WEIGHT].to_numpy()
    y = frame[OUTCOME].to_numpy()
    clusters = pd.factorize(frame["province"], sort=True)[0]
    draws = rademacher_draws(31, reps, 7)
    ours = wild_cluster_bootstrap(y, frame[REGRESSORS], frame["province"],
                                  [frame["province"], frame["year"]], weights=w, reps=reps, seed=7,
                                  params=REGRESSORS[:2])
    for name in REGRESSORS[:2]:
        full = sm.WLS(y, design, weights=w).fit(cov_type="cluster", cov_kwds={"groups": clusters})
        restricted = sm.WLS(y, design.drop(columns=name), weights=w).fit()
        t_star = np.array([
            sm.WLS(restricted.fittedvalues + restricted.resid * draws[clusters, b], design, weights=w)
            .fit(cov_type="cluster", cov_kwds={"groups": clusters}).tvalues[name] for b in range(reps)])
        assert ours.t[name] == pytest.approx(full.tvalues[name], rel=1e-8)
        assert ours.pvalues[name] == np.mean(np.abs(t_star) > abs(full.tvalues[name]))


def test_weighted_panel_fe_matches_linearmodels_and_statsmodels_wls(frame):
    result = models.panel_fe(frame, OUTCOME, REGRESSORS, YEARS, weights=WEIGHT, bootstrap_reps=0)
    reference = sm.WLS(frame[OUTCOME], _design(frame), weights=frame[WEIGHT]).fit()
    np.testing.assert_allclose(result.params[REGRESSORS].to_numpy(), reference.params[REGRESSORS].to_numpy(),
                               rtol=1e-8)
    assert result.weights == WEIGHT
    table = regression_tables.regression_table([result, models.panel_fe(frame, OUTCOME, REGRESSORS, YEARS, bootstrap_reps=0)])
    assert table.set_index("").loc["Weights"].tolist() == ["rural population", "none"]


def test_monte_carlo_error_and_bad_input():
    assert mc_standard_error(0.05, 9999) == pytest.approx(np.sqrt(0.05 * 0.95 / 9999))
    x = pd.DataFrame({"x": np.arange(12.0)})
    with pytest.raises(ValueError, match="at least 99"):
        wild_cluster_bootstrap(np.arange(12.0), x, np.repeat([0, 1, 2], 4), reps=10)
    with pytest.raises(ValueError, match=r"cannot test \['z'\]"):
        wild_cluster_bootstrap(np.arange(12.0), x, np.repeat([0, 1, 2], 4), params=["z"])
    with pytest.raises(ValueError, match="weights must be positive"):
        wild_cluster_bootstrap(np.arange(12.0), x, np.repeat([0, 1, 2], 4), weights=np.zeros(12))


def test_format_p_never_prints_a_bound_below_one_over_the_draws():
    from ruralrev.present.formatting import format_p

    assert format_p(0.0, 9999) == "≤ 0.0001 (no draw as extreme)"
    assert format_p(0.0007) == "0.0007" and format_p(0.0123) == "0.012" and format_p(float("nan")) == "–"
    assert format_p(1 / 9999, 9999) == "0.0001" and format_p(0.0123, relation=True) == "= 0.012"
    assert format_p(0.0, 999, relation=True) == "≤ 0.0010 (no draw as extreme)"
    assert format_p(3e-6) == "< 0.0001" and format_p(3e-6, relation=True) == "< 0.0001"
    assert format_p(0.00005) == "0.0001" and format_p(0.0) == "< 0.0001"   # analytic: no bootstrap draws

"""The unrestricted wild bootstrap, the test of a non-zero null and the cluster jackknife (CV3),
each checked against an independent implementation on the book's data.

Model: the disparities chapter's fixed-effects model (log rural income on its default
``fe_regressors``, province and year effects, 2016–2024, clustered by province), as in
``tests/test_wild_bootstrap.py``.

* WCU: ``wildboottest`` with ``impose_null=False`` on a statsmodels OLS with dummies, same seed,
  so the same signs: p-values equal up to a tie (|Δp| ≤ 1/B). WCR and WCU must differ for log GDP
  per capita (the referee's finding), so the comparison has power.
* H0: β = r: ``wildboottest`` on the shifted outcome y − r·x (testing 0), against the package's
  ``null=r`` on y; equal up to a tie. Shifting by the estimate itself must give a p-value near 1.
* CV3: a loop of statsmodels OLS fits with dummy variables, one cluster left out each time; and,
  for a model without province effects, the closed form (X'X)⁻¹ Σ X_g'(I − H_gg)⁻¹ û_g û_g'
  (I − H_gg)⁻¹ X_g (X'X)⁻¹ · (G − 1)/G.
* Partial leverage: the residual of a statsmodels OLS (and WLS) of the regressor on the others and
  the dummies, summed by province. The bootstrap's 5 % critical value must decide as its p-value does.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from wildboottest.wildboottest import wildboottest

from ruralrev.book import params
from ruralrev.data import official
from ruralrev.stats.regression import models
from ruralrev.stats.regression.jackknife import cluster_jackknife, partial_leverage
from ruralrev.stats.regression.wild_bootstrap import wild_cluster_bootstrap

DEFAULTS = next(c for c in params.load_plan() if c.name == "disparities").parameters
REGRESSORS = list(DEFAULTS["fe_regressors"])
YEARS = range(DEFAULTS["start_year"], DEFAULTS["end_year"] + 1)
OUTCOME = "log_rural_income"
B, SEED = 1999, 7
GDP = "log_gdp_per_capita"


@pytest.fixture(scope="module")
def frame():
    return models.model_frame(official.load_panel(), OUTCOME, REGRESSORS, YEARS)


def _codes(frame):
    return [pd.factorize(frame["province"], sort=True)[0], pd.factorize(frame["year"])[0]]


def _dummy_model(frame, y):
    design = pd.concat([frame[REGRESSORS], pd.get_dummies(frame["province"], dtype=float),
                        pd.get_dummies(frame["year"], drop_first=True, dtype=float)], axis=1)
    return sm.OLS(np.asarray(y, float), design)


def _library_p(frame, y, impose_null=True):
    cluster = pd.factorize(frame["province"], sort=True)[0]
    out = wildboottest(_dummy_model(frame, y), B=B, cluster=cluster, param=GDP, seed=SEED, show=False,
                       parallel=False, impose_null=impose_null)
    return float(out["p-value"].iloc[0])


def test_unrestricted_bootstrap_matches_wildboottest(frame):
    province = _codes(frame)[0]
    ours = wild_cluster_bootstrap(frame[OUTCOME], frame[REGRESSORS], province, _codes(frame), params=[GDP],
                                  reps=B, seed=SEED, impose_null=False)
    assert not ours.restricted
    library = _library_p(frame, frame[OUTCOME], impose_null=False)
    assert abs(ours.pvalues[GDP] - library) <= 1 / B
    # WCR and WCU differ here (the referee's finding), so the comparison with wildboottest has power
    restricted = wild_cluster_bootstrap(frame[OUTCOME], frame[REGRESSORS], province, _codes(frame), params=[GDP],
                                        reps=B, seed=SEED)
    assert restricted.pvalues[GDP] < 0.02 < 0.08 < ours.pvalues[GDP]     # the two procedures disagree here


def test_nonzero_null_matches_wildboottest_on_the_shifted_outcome(frame):
    province = _codes(frame)[0]
    r = 0.1
    ours = wild_cluster_bootstrap(frame[OUTCOME], frame[REGRESSORS], province, _codes(frame), params=[GDP],
                                  reps=B, seed=SEED, null=r)
    library = _library_p(frame, frame[OUTCOME] - r * frame[GDP])
    assert abs(ours.pvalues[GDP] - library) <= 1 / B
    assert ours.null[GDP] == r
    at_estimate = wild_cluster_bootstrap(frame[OUTCOME], frame[REGRESSORS], province, _codes(frame), params=[GDP],
                                         reps=B, seed=SEED, null=float(ours.params[GDP]))
    assert at_estimate.pvalues[GDP] > 0.95 and abs(at_estimate.t[GDP]) < 1e-8


def test_wild_test_of_a_fitted_model_is_the_same_test(frame):
    fit = models.panel_fe(frame, OUTCOME, REGRESSORS, YEARS, bootstrap_reps=B, seed=SEED)
    via_model = models.wild_test(fit, GDP, 0.1, reps=B, seed=SEED)
    direct = wild_cluster_bootstrap(frame[OUTCOME], frame[REGRESSORS], _codes(frame)[0], _codes(frame),
                                    params=[GDP], reps=B, seed=SEED, null=0.1)
    assert via_model.pvalues[GDP] == direct.pvalues[GDP]
    rows = models.coefficient_rows([fit], GDP).iloc[0]
    assert rows["p_wild"] == fit.wild.pvalues[GDP] and rows["p_wcu"] == fit.wild_unrestricted.pvalues[GDP]
    assert rows["p_cv3"] == fit.jackknife.pvalues[GDP]


def test_jackknife_matches_a_loop_of_dummy_variable_fits(frame):
    ours = cluster_jackknife(frame[OUTCOME], frame[REGRESSORS], frame["province"], _codes(frame))
    full = _dummy_model(frame, frame[OUTCOME]).fit().params[REGRESSORS]
    np.testing.assert_allclose(ours.params.to_numpy(), full.to_numpy(), rtol=1e-8)
    leave = []
    for province in sorted(frame["province"].unique()):
        part = frame[frame["province"] != province]
        leave.append(_dummy_model(part, part[OUTCOME]).fit().params[REGRESSORS].to_numpy())
    deviations = np.array(leave) - full.to_numpy()
    g = len(leave)
    se = np.sqrt(np.diag((g - 1) / g * deviations.T @ deviations))
    np.testing.assert_allclose(ours.se.to_numpy(), se, rtol=1e-8)
    np.testing.assert_allclose(ours.pvalues.to_numpy(), 2 * stats.t.sf(np.abs(full / se), g - 1), rtol=1e-8)
    at = REGRESSORS.index(GDP)     # a non-zero null, as the composition test asks (H0: beta = 0.1)
    assert ours.pvalue(GDP, 0.1) == pytest.approx(2 * stats.t.sf(abs(full[GDP] - 0.1) / se[at], g - 1), rel=1e-8)
    assert ours.pvalue(GDP) == pytest.approx(ours.pvalues[GDP], rel=1e-12) and ours.pvalue(GDP, ours.params[GDP]) == 1
    low, high = ours.interval(GDP)           # the interval inverts the same t test
    assert (low, high) == pytest.approx((full[GDP] - stats.t.ppf(0.975, g - 1) * se[at], full[GDP] + stats.t.ppf(0.975, g - 1) * se[at]))
    assert ours.pvalue(GDP, low) == pytest.approx(0.05) and ours.pvalue(GDP, high) == pytest.approx(0.05)
    # the two provinces that carry the GDP coefficient (the referee's leave-one-out)
    assert set(ours.influence(GDP).index[:2]) == {"Tibet", "Shanxi"}


@pytest.mark.snapshot
def test_jackknife_p_values_of_todays_data(frame):
    ours = cluster_jackknife(frame[OUTCOME], frame[REGRESSORS], frame["province"], _codes(frame))
    assert 0.05 < ours.pvalues[GDP] < 0.10 and ours.pvalues["urbanization_rate"] < 0.05


def test_weighted_jackknife_matches_a_loop_of_weighted_dummy_variable_fits(frame):
    """The weighted path (the digital chapter's rural-population weights) against statsmodels WLS."""
    population = official.load_panel().set_index(["province", "year"])["rural_population"]
    w = population.reindex(pd.MultiIndex.from_frame(frame[["province", "year"]])).to_numpy(float)

    def wls(part, weights):
        model = _dummy_model(part, part[OUTCOME])
        return sm.WLS(model.endog, model.data.orig_exog, weights=weights).fit().params[REGRESSORS].to_numpy()

    ours = cluster_jackknife(frame[OUTCOME], frame[REGRESSORS], frame["province"], _codes(frame), weights=w)
    full = wls(frame, w)
    np.testing.assert_allclose(ours.params.to_numpy(), full, rtol=1e-8)
    labels = frame["province"].to_numpy()
    leave = np.array([wls(frame[labels != g], w[labels != g]) for g in sorted(set(labels))])
    g = len(leave)
    se = np.sqrt(np.diag((g - 1) / g * (leave - full).T @ (leave - full)))
    np.testing.assert_allclose(ours.se.to_numpy(), se, rtol=1e-8)


def test_jackknife_equals_the_closed_form_cv3_without_cluster_effects(frame):
    year = pd.get_dummies(frame["year"], dtype=float)
    x = pd.concat([frame[REGRESSORS], year], axis=1).to_numpy(float)
    y = frame[OUTCOME].to_numpy(float)
    xtx_inv = np.linalg.inv(x.T @ x)
    resid = y - x @ (xtx_inv @ x.T @ y)
    meat = np.zeros_like(xtx_inv)
    labels = frame["province"].to_numpy()
    for g in np.unique(labels):
        rows = labels == g
        xg = x[rows]
        adjusted = np.linalg.solve(np.eye(rows.sum()) - xg @ xtx_inv @ xg.T, resid[rows])
        score = xg.T @ adjusted
        meat += np.outer(score, score)
    g = len(np.unique(labels))
    closed = np.sqrt(np.diag((g - 1) / g * xtx_inv @ meat @ xtx_inv))[:len(REGRESSORS)]
    ours = cluster_jackknife(y, frame[REGRESSORS], labels, [pd.factorize(frame["year"])[0]])
    np.testing.assert_allclose(ours.se.to_numpy(), closed, rtol=1e-7)


MAIN = ["urbanization_rate", GDP]    # the page's main model: the regressors without break flags


def _within_residual(frame, name, weights=None):
    """The regressor's residual on the other main regressors and the dummies (statsmodels), √w-scaled."""
    others = [r for r in MAIN if r != name]
    design = pd.concat([frame[others], pd.get_dummies(frame["province"], dtype=float),
                        pd.get_dummies(frame["year"], drop_first=True, dtype=float)], axis=1)
    if weights is None:
        return sm.OLS(frame[name].to_numpy(float), design).fit().resid
    return sm.WLS(frame[name].to_numpy(float), design, weights=weights).fit().resid * np.sqrt(weights)


@pytest.mark.parametrize("weighted", [False, True])
def test_partial_leverage_matches_statsmodels_residuals(frame, weighted):
    population = official.load_panel().set_index(["province", "year"])["rural_population"]
    w = population.reindex(pd.MultiIndex.from_frame(frame[["province", "year"]])).to_numpy(float) if weighted else None
    for name in MAIN:
        ours = partial_leverage(frame[MAIN], frame["province"], name, _codes(frame), weights=w)
        resid = pd.Series(np.asarray(_within_residual(frame, name, w)) ** 2, index=frame["province"].to_numpy())
        expected = resid.groupby(level=0).sum() / resid.sum()
        pd.testing.assert_series_equal(ours.sort_index(), expected.sort_index(), check_names=False, rtol=1e-8)
        assert ours.sum() == pytest.approx(1) and ours.is_monotonic_decreasing
    with pytest.raises(ValueError, match="not among the regressors"):
        partial_leverage(frame[MAIN], frame["province"], "primary_share")


@pytest.mark.snapshot
def test_a_few_provinces_carry_each_coefficient_of_the_main_model(frame):
    gdp = partial_leverage(frame[MAIN], frame["province"], GDP, _codes(frame))
    assert gdp.index[0] == "Shanxi" and gdp.iloc[0] == pytest.approx(0.243, abs=1e-3)
    urb = partial_leverage(frame[MAIN], frame["province"], MAIN[0], _codes(frame))
    assert list(urb.index[:3]) == ["Shanghai", "Beijing", "Tianjin"] and urb.iloc[:3].sum() == pytest.approx(0.563, abs=1e-3)


@pytest.fixture(scope="module")
def main_model_bootstraps(frame):
    """The main model's restricted (True) and unrestricted (False) bootstraps, 9,999 draws each."""
    province = pd.factorize(frame["province"], sort=True)[0]
    return {impose: wild_cluster_bootstrap(frame[OUTCOME], frame[MAIN], province, _codes(frame), reps=9999,
                                           seed=DEFAULTS["seed"], impose_null=impose) for impose in (True, False)}


def test_bootstrap_critical_value_decides_as_the_p_value_does(main_model_bootstraps):
    """|t| above the 0.95 quantile of |t*| exactly when p < 0.05."""
    for impose, boot in main_model_bootstraps.items():
        for name in MAIN:
            assert (boot.pvalues[name] < 0.05) == (abs(boot.t[name]) > boot.critical[name]), (name, impose)


@pytest.mark.snapshot
def test_the_critical_values_of_todays_main_model_straddle_students_t(frame, main_model_bootstraps):
    """On the main model the restricted bootstrap's critical value for log GDP per capita lies below
    Student's t(30) and the unrestricted one's above it: why WCR rejects where WCU, CV3 and the
    cluster p do not."""
    student = stats.t.ppf(0.975, frame["province"].nunique() - 1)
    found = {impose: boot.critical[GDP] for impose, boot in main_model_bootstraps.items()}
    assert found[True] < student < found[False]

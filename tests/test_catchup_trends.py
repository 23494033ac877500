"""Fixed effects with catching-up controls (``panel_fe(trends=...)``), checked against independent
implementations on the book's data.

The disparities chapter asks whether the within-province association of rural income with
urbanization survives controls for catching up: a linear trend for each province, or the
province's initial log income times the years since the first year. The model is the chapter's
main one (log rural income on urbanization and log GDP per capita, province and year effects,
2016–2024, errors clustered by province). References:

* coefficients: a statsmodels OLS (and WLS) with dummy variables for provinces and years and the
  control columns written out by hand;
* clustered standard errors: linearmodels ``PanelOLS`` with the controls as ordinary regressors;
* CV3: a loop of statsmodels dummy-variable fits, one province left out each time;
* WCR: ``wildboottest`` on the dummy-variable model, same seed and so the same signs
  (|Δp| ≤ 1/B).
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels.panel import PanelOLS
from scipy import stats
from wildboottest.wildboottest import wildboottest

from ruralrev.data import official
from ruralrev.stats.regression import models

REGRESSORS = ["urbanization_rate", "log_gdp_per_capita"]     # the chapter's main model (flagged ones dropped)
YEARS = range(2016, 2025)
OUTCOME = "log_rural_income"
KEY = "urbanization_rate"
B, SEED = 999, 7


@pytest.fixture(scope="module")
def frame():
    return models.model_frame(official.load_panel(), OUTCOME, REGRESSORS, YEARS, weights="rural_population")


def _controls(frame: pd.DataFrame, trends: str) -> pd.DataFrame:
    """The controls written out independently of the package."""
    elapsed = frame["year"] - 2016
    if trends == "province":
        provinces = sorted(frame["province"].unique())
        return pd.DataFrame({f"t_{p}": np.where(frame["province"] == p, elapsed, 0.0) for p in provinces[1:]},
                            index=frame.index)
    start = frame[frame["year"] == 2016].set_index("province")[OUTCOME]
    return pd.DataFrame({"init_t": frame["province"].map(start).to_numpy() * elapsed}, index=frame.index)


def _design(frame: pd.DataFrame, trends: str) -> pd.DataFrame:
    return pd.concat([frame[REGRESSORS], pd.get_dummies(frame["province"], dtype=float),
                      pd.get_dummies(frame["year"], drop_first=True, dtype=float), _controls(frame, trends)], axis=1)


@pytest.mark.parametrize("trends", ["province", "initial"])
@pytest.mark.parametrize("weighted", [False, True])
def test_coefficients_match_a_dummy_variable_regression(frame, trends, weighted):
    weights = "rural_population" if weighted else None
    ours = models.panel_fe(frame, OUTCOME, REGRESSORS, YEARS, bootstrap_reps=0, trends=trends, weights=weights)
    design = _design(frame, trends)
    reference = (sm.WLS(frame[OUTCOME], design, weights=frame["rural_population"]) if weighted
                 else sm.OLS(frame[OUTCOME], design)).fit()
    np.testing.assert_allclose(ours.params[REGRESSORS], reference.params[REGRESSORS], rtol=1e-7)
    assert list(ours.params.index) == REGRESSORS              # the controls are not reported
    assert ours.jackknife.params[REGRESSORS].to_numpy() == pytest.approx(reference.params[REGRESSORS].to_numpy(), rel=1e-7)
    assert ours.fixed_effects.endswith("province trends" if trends == "province" else "initial level × trend")


@pytest.mark.parametrize("trends", ["province", "initial"])
def test_clustered_errors_match_panelols_with_the_controls_as_regressors(frame, trends):
    ours = models.panel_fe(frame, OUTCOME, REGRESSORS, YEARS, bootstrap_reps=0, trends=trends)
    indexed = frame.set_index(["province", "year"])
    exog = pd.concat([indexed[REGRESSORS], _controls(frame, trends).set_axis(indexed.index)], axis=1)
    reference = PanelOLS(indexed[OUTCOME], exog, entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True)
    np.testing.assert_allclose(ours.se[REGRESSORS], reference.std_errors[REGRESSORS], rtol=1e-7)
    np.testing.assert_allclose(ours.pvalues[REGRESSORS], reference.pvalues[REGRESSORS], rtol=1e-7)


@pytest.mark.parametrize("trends", ["province", "initial"])
def test_jackknife_matches_a_loop_of_dummy_variable_fits(frame, trends):
    ours = models.panel_fe(frame, OUTCOME, REGRESSORS, YEARS, bootstrap_reps=0, trends=trends).jackknife
    full = sm.OLS(frame[OUTCOME], _design(frame, trends)).fit().params[REGRESSORS].to_numpy()
    leave = []
    for province in sorted(frame["province"].unique()):
        part = frame[frame["province"] != province].reset_index(drop=True)
        design = _design(part, trends).loc[:, lambda d: d.abs().sum() > 0]    # the left-out province's trend is all zero
        leave.append(sm.OLS(part[OUTCOME], design).fit().params[REGRESSORS].to_numpy())
    g = len(leave)
    deviations = np.array(leave) - full
    se = np.sqrt(np.diag((g - 1) / g * deviations.T @ deviations))
    np.testing.assert_allclose(ours.se[REGRESSORS].to_numpy(), se, rtol=1e-6)
    np.testing.assert_allclose(ours.pvalues[REGRESSORS].to_numpy(), 2 * stats.t.sf(np.abs(full / se), g - 1), rtol=1e-6)


@pytest.mark.parametrize("trends", ["province", "initial"])
def test_restricted_wild_bootstrap_matches_wildboottest(frame, trends):
    ours = models.panel_fe(frame, OUTCOME, REGRESSORS, YEARS, bootstrap_reps=B, seed=SEED, trends=trends).wild
    model = sm.OLS(frame[OUTCOME].to_numpy(float), _design(frame, trends))
    cluster = pd.factorize(frame["province"], sort=True)[0]
    library = wildboottest(model, B=B, cluster=cluster, param=KEY, seed=SEED, show=False, parallel=False)
    assert ours.t[KEY] == pytest.approx(float(library["statistic"].iloc[0]), rel=1e-6)
    assert abs(ours.pvalues[KEY] - float(library["p-value"].iloc[0])) <= 1 / B


def test_catching_up_controls_shrink_the_urbanization_coefficient(frame):
    """What the chapter reports (the referee's re-analysis): allowing for catch-up, the unweighted
    coefficient keeps well under half its size and no test rejects zero."""
    main = models.panel_fe(frame, OUTCOME, REGRESSORS, YEARS, bootstrap_reps=B, seed=SEED)
    for trends in ("province", "initial"):
        fit = models.panel_fe(frame, OUTCOME, REGRESSORS, YEARS, bootstrap_reps=B, seed=SEED, trends=trends)
        assert 0 < fit.params[KEY] < 0.5 * main.params[KEY]
        assert min(fit.pvalues[KEY], fit.wild.pvalues[KEY], fit.wild_unrestricted.pvalues[KEY],
                   fit.jackknife.pvalues[KEY]) > 0.3
    assert main.params[KEY] == pytest.approx(0.00919, abs=5e-5)


def test_unknown_trend_is_refused(frame):
    with pytest.raises(ValueError, match="trends must be"):
        models.panel_fe(frame, OUTCOME, REGRESSORS, YEARS, bootstrap_reps=0, trends="region")


def test_r2_is_net_of_both_effects_not_the_one_way_within_r2(frame):
    """The model table's R² (the referee asked which): the R² of y on x once province and year
    dummies are partialled out (statsmodels residuals), not linearmodels' one-way within R²."""
    fit = models.panel_fe(frame, OUTCOME, REGRESSORS, YEARS, bootstrap_reps=0)
    dummies = pd.concat([pd.get_dummies(frame["province"], dtype=float),
                         pd.get_dummies(frame["year"], drop_first=True, dtype=float)], axis=1)
    partial = {c: sm.OLS(frame[c], dummies).fit().resid for c in [OUTCOME, *REGRESSORS]}
    net = sm.OLS(partial[OUTCOME], pd.DataFrame({c: partial[c] for c in REGRESSORS})).fit()
    assert fit.r2 == pytest.approx(1 - net.ssr / (partial[OUTCOME] ** 2).sum(), rel=1e-8)
    assert fit.r2_label == "R² (net of effects)"
    from ruralrev.present import regression_tables
    table = regression_tables.regression_table([fit]).set_index("")
    assert table.loc["R²"].iloc[0] == f"{fit.r2:.3f} (net of effects)"


def test_against_reference_reads_each_model_against_the_first_with_its_weights(frame):
    from ruralrev.stats import regression
    fits = [models.panel_fe(frame, OUTCOME, REGRESSORS, YEARS, bootstrap_reps=0, name="main"),
            models.panel_fe(frame, OUTCOME, REGRESSORS, YEARS, bootstrap_reps=0, name="main w", weights="rural_population"),
            models.panel_fe(frame, OUTCOME, REGRESSORS, YEARS, bootstrap_reps=0, name="trend", trends="province"),
            models.panel_fe(frame, OUTCOME, REGRESSORS, YEARS, bootstrap_reps=0, name="trend w", trends="province",
                            weights="rural_population")]
    rows = regression.against_reference(fits, KEY).set_index("model")
    assert rows["reference"].tolist() == ["main", "main w", "main", "main w"]
    assert rows.loc["trend", "share"] == pytest.approx(fits[2].params[KEY] / fits[0].params[KEY])
    assert rows.loc["trend w", "share"] == pytest.approx(fits[3].params[KEY] / fits[1].params[KEY])
    assert rows.loc["main", "share"] == 1.0
    assert (rows.loc["trend", "low"], rows.loc["trend", "high"]) == fits[2].jackknife.interval(KEY)
    assert rows.loc["trend", "share"] < 0.5 < rows.loc["trend w", "share"]     # the chapter's reading

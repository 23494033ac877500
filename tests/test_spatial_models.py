"""Spatial β-convergence: OLS against ruralrev.inequality, the LM tests against their closed form,
Anselin's decision rule on constructed cases."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from ruralrev import data, inequality, spatial, spatial_models as sm


@pytest.fixture(scope="module")
def income(panel, w):
    return sm.spatial_beta_convergence(panel, "rural_income", 2016, 2024, w)


def test_ols_beta_equals_the_disparities_chapter(panel, income):
    reference = inequality.beta_convergence(panel, "rural_income", 2016, 2024)
    ols = income.estimates["OLS"]
    assert ols.beta == pytest.approx(reference.beta, abs=1e-10)
    assert ols.speed == pytest.approx(reference.speed) and ols.half_life == pytest.approx(reference.half_life)
    # spreg reports the classical standard error; statsmodels' non-robust fit must agree with it.
    classical = reference.result.model.fit().bse["log_initial"]
    assert ols.se == pytest.approx(classical, rel=1e-8)


def test_lm_error_matches_its_closed_form(panel, w, income):
    frame = sm.convergence_frame(panel, "rural_income", 2016, 2024, list(w.id_order))
    x = np.column_stack([np.ones(len(frame)), frame["log_initial"]])
    beta, *_ = np.linalg.lstsq(x, frame["growth"].to_numpy(), rcond=None)
    e = frame["growth"].to_numpy() - x @ beta
    matrix = w.full()[0]
    sigma2 = e @ e / len(e)
    lm_error = (e @ matrix @ e / sigma2) ** 2 / np.trace(matrix.T @ matrix + matrix @ matrix)
    tests = income.tests.set_index("test")
    assert tests.loc["LM error", "statistic"] == pytest.approx(lm_error, rel=1e-10)
    assert tests.loc["LM error", "p"] == pytest.approx(chi2.sf(lm_error, 1))


def test_detectable_residual_moran_is_where_lm_error_reaches_the_critical_value(w):
    bound = sm.detectable_residual_moran(w, 0.05)
    matrix = w.full()[0]
    trace = np.trace(matrix.T @ matrix + matrix @ matrix)
    assert (31 * bound) ** 2 / trace == pytest.approx(chi2.ppf(0.95, 1))
    assert 0.2 < bound < 0.3


def test_rural_income_convergence_needs_no_spatial_term(income):
    assert income.chosen == "OLS" and income.n == 31
    assert income.estimates["OLS"].beta < 0 and income.estimates["OLS"].p < 0.01
    assert 40 < income.estimates["OLS"].half_life < 60
    sar = income.estimates["SAR"]
    assert sar.total_effect == pytest.approx(sar.beta / (1 - sar.spatial))
    assert list(income.table()["Model"]) == ["OLS (no spatial term) ← chosen", "spatial lag (SAR)",
                                             "spatial error (SEM)"]


def test_gm_estimators_run_and_give_similar_betas(panel, w, income):
    gm = sm.spatial_beta_convergence(panel, "rural_income", 2016, 2024, w, estimator="GM")
    assert gm.estimates["SEM"].beta == pytest.approx(income.estimates["SEM"].beta, abs=0.01)
    assert np.isnan(gm.estimates["SEM"].log_likelihood)


def _tests(lag, robust_lag, error, robust_error):
    rows = [("LM lag", lag), ("Robust LM lag", robust_lag), ("LM error", error), ("Robust LM error", robust_error),
            ("LM SARMA", 0.5)]
    return pd.DataFrame({"test": [r[0] for r in rows], "statistic": [chi2.isf(r[1], 1) for r in rows],
                         "df": 1, "p": [r[1] for r in rows]})


@pytest.mark.parametrize("p_values, expected", [
    ((0.4, 0.5, 0.3, 0.6), "OLS"),
    ((0.01, 0.02, 0.3, 0.6), "SAR"),
    ((0.3, 0.6, 0.01, 0.02), "SEM"),
    ((0.01, 0.4, 0.01, 0.03), "SEM"),      # both LM significant, only robust error is
    ((0.001, 0.01, 0.001, 0.04), "SAR"),   # both robust significant: the larger robust statistic
])
def test_anselin_decision_rule(p_values, expected):
    chosen, reason = sm.choose_model(_tests(*p_values), 0.05)
    assert chosen == expected and reason


def test_speed_and_half_life():
    speed, half_life = sm.speed_and_half_life(np.expm1(-0.02 * 10), 10)
    assert speed == pytest.approx(0.02) and half_life == pytest.approx(np.log(2) / 0.02)
    assert sm.speed_and_half_life(0.05, 8)[1] == np.inf

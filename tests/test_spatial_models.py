"""Spatial β-convergence: OLS against ruralrev.stats.convergence, the LM tests against their closed form,
Anselin's decision rule on constructed cases. Residual Moran's I: the FE residuals against a
two-way demeaning done with ruralrev.stats.regression.wild_bootstrap.absorb, the statistic against its closed form."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2
from test_spatial import moran_closed_form

from ruralrev.stats import convergence
from ruralrev.stats.regression import models, wild_bootstrap
from ruralrev.stats.spatial import regression as sm


@pytest.fixture(scope="module")
def income(panel, w):
    return sm.spatial_beta_convergence(panel, "rural_income", 2016, 2024, w)


def test_ols_beta_equals_the_disparities_chapter(panel, income):
    reference = convergence.beta_convergence(panel, "rural_income", 2016, 2024)
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


def test_the_spatial_lags_total_effect_is_its_multiplier_form(income):
    sar = income.estimates["SAR"]
    assert sar.total_effect == pytest.approx(sar.beta / (1 - sar.spatial))


@pytest.mark.snapshot
def test_rural_income_convergence_needs_no_spatial_term(income):
    assert income.chosen == "OLS" and income.rule == "neither" and income.n == 31
    p = income.tests.set_index("test")["p"]
    assert p["LM lag"] > 0.05 and p["LM error"] > 0.05
    assert income.estimates["OLS"].beta < 0 and income.estimates["OLS"].p < 0.01
    assert 40 < income.estimates["OLS"].half_life < 60
    assert list(income.table["Model"]) == ["OLS (no spatial term) ← chosen", "spatial lag (SAR)",
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


@pytest.mark.parametrize("p_values, expected, step", [
    ((0.4, 0.5, 0.3, 0.6), "OLS", "neither"),
    ((0.01, 0.02, 0.3, 0.6), "SAR", "one"),
    ((0.3, 0.6, 0.01, 0.02), "SEM", "one"),
    ((0.01, 0.4, 0.01, 0.03), "SEM", "robust"),            # both LM significant, only robust error is
    ((0.001, 0.01, 0.001, 0.04), "SAR", "larger_robust"),  # both robust significant: the larger statistic
    ((0.001, 0.2, 0.001, 0.3), "SAR", "larger_robust"),    # neither robust significant: the larger statistic
])
def test_anselin_decision_rule(p_values, expected, step):
    assert sm.choose_model(_tests(*p_values), 0.05) == (expected, step)
    assert step in sm.RULE_STEPS


def test_speed_and_half_life():
    speed, half_life = sm.speed_and_half_life(np.expm1(-0.02 * 10), 10)
    assert speed == pytest.approx(0.02) and half_life == pytest.approx(np.log(2) / 0.02)
    assert sm.speed_and_half_life(0.05, 8)[1] == np.inf


# --- residual Moran --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fe_result(panel):
    return models.panel_fe(panel, "log_rural_income", ["urbanization_rate", "log_gdp_per_capita"],
                           bootstrap_reps=0)


def test_fe_residuals_are_the_two_way_demeaned_residuals(fe_result):
    table, label = sm.model_residuals(fe_result)
    frame = fe_result.data
    raw = frame["log_rural_income"] - frame[["urbanization_rate", "log_gdp_per_capita"]] @ fe_result.params
    codes = [pd.factorize(frame["province"])[0], pd.factorize(frame["year"])[0]]
    expected = wild_bootstrap.absorb(raw.to_numpy(), codes).ravel()
    merged = table.merge(frame[["province", "year"]].assign(expected=expected), on=["province", "year"])
    np.testing.assert_allclose(merged["residual"], merged["expected"], atol=1e-10)
    assert label == "fixed-effects residuals (province, year)"


def test_residual_moran_by_year_and_mean(fe_result, w):
    result = sm.residual_moran(fe_result, permutations=999)
    table, _ = sm.model_residuals(fe_result)
    assert result.by_year["year"].tolist() == list(range(2016, 2025))
    first = table[table["year"] == 2016].set_index("province").loc[list(w.id_order), "residual"]
    assert result.by_year["I"].iloc[0] == pytest.approx(moran_closed_form(first, w))
    assert result.mean_I == pytest.approx(result.by_year["I"].mean())
    assert result.n_significant == int((result.by_year["p_sim"] < 0.05).sum())
    assert ((result.by_year["p_sim"] > 0) & (result.by_year["p_sim"] <= 0.5)).all()


def test_pooled_ols_and_cross_section_residuals(panel, fe_result, w):
    import statsmodels.api as smapi

    pooled, label = sm.model_residuals(fe_result, "pooled_ols")
    frame = fe_result.data
    exog = smapi.add_constant(frame[["urbanization_rate", "log_gdp_per_capita"]])
    ols = smapi.OLS(frame["log_rural_income"], exog).fit()
    np.testing.assert_allclose(pooled["residual"], ols.resid)
    assert label == "pooled OLS residuals"
    cross = models.cross_section(panel, "log_rural_income", ["urbanization_rate"], 2023)
    result = sm.residual_moran(cross, permutations=199)
    assert result.by_year["year"].tolist() == [2023] and result.residuals == "OLS residuals"
    y = cross.data.set_index("province").loc[list(w.id_order), "residual"]
    assert result.by_year["I"].iloc[0] == pytest.approx(moran_closed_form(y, w))


def test_residual_moran_without_municipalities_uses_a_subset_of_the_weights(panel):
    result = models.panel_fe(panel, "log_rural_income", ["urbanization_rate"], bootstrap_reps=0,
                             exclude=["Beijing", "Tianjin", "Shanghai", "Chongqing"])
    moran = sm.residual_moran(result, permutations=199)
    assert (moran.by_year["n"] == 27).all()


def test_residual_moran_table_has_model_and_pooled_rows(panel, fe_result):
    cross = models.cross_section(panel, "log_rural_income", ["urbanization_rate"], 2023)
    table = sm.residual_moran_table([fe_result, cross], permutations=199)
    assert table["residuals"].tolist() == ["fixed-effects residuals (province, year)", "pooled OLS residuals",
                                           "OLS residuals"]
    assert table["years"].tolist() == [9, 9, 1]
    fe = sm.residual_moran(fe_result, permutations=199)
    assert table.loc[0, "mean I"] == pytest.approx(fe.mean_I)
    assert table.loc[0, "years with p < 0.05"] == fe.n_significant


def test_joint_moran_with_one_year_is_esda_and_respects_year_dependence(fe_result, w):
    """One year: the joint test is esda's Moran (same permutations, same I and p). Residuals that
    repeat the same spatial pattern every year: the joint p equals the one-year p (the years add
    no independent evidence), where a binomial count of nine significant years would claim a lot."""
    import esda

    from ruralrev.stats.spatial.panel_moran import joint_moran

    table, _ = sm.model_residuals(fe_result)
    one = table[table["year"] == table["year"].min()]
    joint = joint_moran(one, w, permutations=999, seed=11)
    np.random.seed(11)
    ordered = one.set_index("province").loc[w.id_order, "residual"].to_numpy()
    library = esda.Moran(ordered, w, transformation="r", permutations=999)
    assert joint.mean_I == pytest.approx(library.I, rel=1e-12) and joint.p_sim == pytest.approx(library.p_sim)
    repeated = pd.concat([one.assign(year=y) for y in range(9)])
    assert joint_moran(repeated, w, permutations=999, seed=11).p_sim == pytest.approx(joint.p_sim)


def test_pooled_comparator_with_year_effects(fe_result):
    pooled, label = sm.model_residuals(fe_result, "pooled_year")
    assert "year effects" in label
    assert np.allclose(pooled.groupby("year")["residual"].mean(), 0, atol=1e-10)   # year effects absorb year means

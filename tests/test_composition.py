"""The composition effect of urbanization on the rural/all-residents income ratio.

The closed form is checked against sympy's symbolic derivative (an independent implementation of
the calculus) and against finite differences on the book's data; the book's numbers are pinned in
snapshot tests.
"""

import numpy as np
import pytest
import sympy

from ruralrev.chapters.disparities import composition


def test_derivative_equals_sympy_at_the_survey_share():
    s, y_u, y_r = sympy.symbols("s y_u y_r", positive=True)
    ratio = y_r / (s * y_u + (1 - s) * y_r)
    derivative = sympy.lambdify((s, y_u, y_r), sympy.diff(ratio, s))
    rng = np.random.default_rng(5)
    rural, urban = rng.uniform(5_000, 30_000, 50), rng.uniform(20_000, 80_000, 50)
    share = rng.uniform(0.2, 0.9, 50)
    all_income = share * urban + (1 - share) * rural
    np.testing.assert_allclose(composition.ratio_derivative(rural, urban, all_income),
                               derivative(share, urban, rural), rtol=1e-12)


@pytest.mark.snapshot
def test_book_numbers(panel):
    effect = composition.composition_effect(panel, weight="rural_population")
    rows = effect.rows
    assert effect.n == 111 and effect.years == (2016, 2017, 2018, 2020)
    assert effect.mean == pytest.approx(-0.004606, abs=2e-6)
    assert effect.weighted_mean == pytest.approx(-0.004739, abs=2e-6)
    assert (effect.low, effect.high) == pytest.approx((-0.009146, -0.002777), abs=2e-6)
    # The survey's implicit urban share sits below the resident share (survey weights ≠ population shares).
    assert (rows["urbanization_rate"] - rows["survey_urban_share"]).mean() == pytest.approx(5.67, abs=0.01)


def test_the_panels_ratio_and_finite_differences(panel):
    effect = composition.composition_effect(panel, weight="rural_population")
    rows = effect.rows
    np.testing.assert_allclose(rows["ratio"], panel.set_index(["province", "year"]).loc[
        list(zip(rows["province"], rows["year"])), "rural_all_income_ratio"].to_numpy(), rtol=1e-6)
    assert (rows["effect"] < 0).all() and (rows["effect_resident"] < 0).all()
    # At resident shares, a central difference of the ratio in the urbanization rate (percentage points).
    h, s = 0.01, rows["urbanization_rate"]

    def ratio_at(points):
        return rows["rural"] / ((points / 100) * rows["urban"] + (1 - points / 100) * rows["rural"])
    np.testing.assert_allclose((ratio_at(s + h) - ratio_at(s - h)) / (2 * h), rows["effect_resident"], rtol=1e-6)


def test_compare_places_an_interval_against_the_effect():
    assert composition.compare(-0.0046, -0.0012, 0.0014) == "above"
    assert composition.compare(-0.0046, -0.0100, 0.0010) == "below"
    assert composition.compare(-0.0047, -0.0035, 0.0016) == "includes"


def test_no_official_urban_income_in_the_years_is_refused(panel):
    with pytest.raises(ValueError, match="no province-year has an official urban_income"):
        composition.composition_effect(panel, years=[2022, 2023])


@pytest.fixture(scope="module")
def mix_near(panel):
    """The referee's test of H0: β = composition effect by the three procedures, on the book's data."""
    from ruralrev.stats.regression import break_handling

    regressors = ["urbanization_rate", "log_gdp_per_capita"]
    fit = break_handling.specification(regressors, range(2016, 2025), "drop").fit(
        panel, "rural_all_income_ratio", years=range(2016, 2025), bootstrap_reps=999, seed=3)
    mix = composition.composition_effect(panel)
    return fit, mix, composition.mix_test(fit, "urbanization_rate", {"survey": mix.mean}, reps=999, seed=3)


@pytest.mark.snapshot
def test_mix_test_on_the_book_data_cannot_tell_the_coefficient_from_the_mix_or_from_zero(mix_near):
    """On today's data WCU and CV3 reject β = composition effect at 5 % (p ≈ 0.03), WCR does not
    (p ≈ 0.19), and no procedure rejects β = 0, so the verdict under the all-three rule is "neither"."""
    _, _, near = mix_near
    p = near.pvalues["survey"]
    assert 0.10 < p["WCR"] < 0.30 and 0.01 < p["WCU"] < 0.05 and p["CV3"] == pytest.approx(0.0316, abs=1e-4)
    assert near.rejecting() == {"survey": ["WCU", "CV3"]} and near.rejecting_zero() == []
    assert near.counts() == {"survey": 2, "zero": 0, "of": 3}
    assert min(near.zero_pvalues.values()) > 0.3 and near.verdict == "neither"


def test_mix_test_is_the_jackknife_t_and_a_far_null_changes_the_verdict(mix_near):
    """CV3 against the composition effect is the jackknife t test centred on it; a null far from the
    estimate must be rejected by every procedure, on the right side, so the verdict can change."""
    fit, mix, near = mix_near
    p = near.pvalues["survey"]
    assert near.procedures == ("WCR", "WCU", "CV3") and near.reps == 999
    # CV3 against a non-zero null is the jackknife t on t(G - 1), centred on the null
    from scipy import stats
    jack = fit.jackknife
    t = (fit.params["urbanization_rate"] - mix.mean) / jack.se["urbanization_rate"]
    assert p["CV3"] == pytest.approx(2 * stats.t.sf(abs(t), jack.n_clusters - 1))
    far = composition.mix_test(fit, "urbanization_rate", {"a": -0.05, "b": -0.04}, reps=999, seed=3)
    assert far.verdict == "above" and max(p for ps in far.pvalues.values() for p in ps.values()) < 0.01
    normal = composition.mix_test(fit, "urbanization_rate", {"a": -0.05}, reps=0)
    assert normal.procedures == ("normal",) and normal.reps == 0 and normal.verdict == "above"

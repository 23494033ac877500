"""σ- and β-convergence on a toy panel whose β is known."""

import numpy as np
import pandas as pd
import pytest

from ruralrev.stats import convergence


def _toy_panel(beta_total):
    provinces = [f"p{i}" for i in range(12)]
    initial = np.exp(np.linspace(9, 10.5, 12))
    final = np.exp(np.log(initial) + 0.5 + beta_total * (np.log(initial) - np.log(initial).mean()))
    rows = [{"province": p, "year": 2016, "y": a} for p, a in zip(provinces, initial)]
    rows += [{"province": p, "year": 2024, "y": b} for p, b in zip(provinces, final)]
    return pd.DataFrame(rows)


def test_beta_convergence_recovers_a_known_beta_speed_and_half_life():
    result = convergence.beta_convergence(_toy_panel(-0.2), "y", 2016, 2024)
    assert result.beta == pytest.approx(-0.2, abs=1e-10)
    assert result.speed == pytest.approx(-np.log(0.8) / 8)
    assert result.half_life == pytest.approx(np.log(2) / (-np.log(0.8) / 8))
    assert result.n == 12


def test_sigma_convergence_falls_when_beta_is_negative():
    series = convergence.sigma_convergence(_toy_panel(-0.2), "y")
    assert list(series["year"]) == [2016, 2024]
    assert series["sd_log"].iloc[1] == pytest.approx(0.8 * series["sd_log"].iloc[0])


def test_collinearity_of_the_conditional_regression_matches_statsmodels(panel):
    import statsmodels.api as sm

    fit = convergence.beta_convergence(panel, "rural_income", 2016, 2024,
                                       controls=["urbanization_rate", "primary_share"])
    table = convergence.collinearity(fit).set_index("regressor")
    frame = fit.data
    auxiliary = sm.OLS(frame["log_initial"], sm.add_constant(frame[["urbanization_rate", "primary_share"]])).fit()
    assert table.loc["log_initial", "vif"] == pytest.approx(1 / (1 - auxiliary.rsquared), rel=1e-10)
    assert table.loc["urbanization_rate", "corr_with_initial"] == pytest.approx(
        np.corrcoef(frame["urbanization_rate"], frame["log_initial"])[0, 1], rel=1e-12)
    with pytest.raises(ValueError, match="no controls"):
        convergence.collinearity(convergence.beta_convergence(panel, "rural_income", 2016, 2024))


@pytest.mark.snapshot
def test_conditional_convergence_disappears_on_the_book_data(panel):
    fit = convergence.beta_convergence(panel, "rural_income", 2016, 2024,
                                       controls=["urbanization_rate", "primary_share"])
    table = convergence.collinearity(fit).set_index("regressor")
    assert table.loc["urbanization_rate", "corr_with_initial"] == pytest.approx(0.856, abs=1e-3)
    assert fit.pvalue > 0.5


def test_most_influential_province_and_the_beta_without_it():
    """Cook's distance against a hand computation; Tibet carries the absolute β (referee: β without
    it −0.080, half-life about 66 years, against −0.105 and 50)."""
    from ruralrev.data import official

    panel = official.load_panel()
    fit = convergence.beta_convergence(panel, "rural_income", 2016, 2024)
    distance = convergence.most_influential(fit)
    x = np.column_stack([np.ones(fit.n), fit.data["log_initial"]])
    e = fit.data["growth"].to_numpy() - x @ np.linalg.lstsq(x, fit.data["growth"].to_numpy(), rcond=None)[0]
    h = np.diag(x @ np.linalg.inv(x.T @ x) @ x.T)
    s2 = e @ e / (fit.n - 2)
    by_hand = pd.Series(e ** 2 / (2 * s2) * h / (1 - h) ** 2, index=fit.data.index)
    np.testing.assert_allclose(distance.sort_index(), by_hand.sort_index(), rtol=1e-10)
    assert distance.index[0] == "Tibet" and distance.iloc[0] > 0.5
    without = convergence.beta_convergence(panel[panel["province"] != "Tibet"], "rural_income", 2016, 2024)
    assert abs(without.beta - (-0.0804)) < 5e-4 and 60 < without.half_life < 70


def test_use_t_reads_the_p_value_on_students_t_with_n_minus_k_degrees_of_freedom(panel):
    """The disparities chapter reads every across-province p on Student's t (the referee asked
    which reference distribution); the default stays the normal, as statsmodels has it for HC3."""
    from scipy import stats
    normal = convergence.beta_convergence(panel, "rural_income", 2016, 2024)
    student = convergence.beta_convergence(panel, "rural_income", 2016, 2024, use_t=True)
    z = normal.beta / normal.se
    assert student.beta == normal.beta and student.se == normal.se
    assert normal.pvalue == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-10)
    assert student.pvalue == pytest.approx(2 * stats.t.sf(abs(z), student.n - 2), rel=1e-10)
    assert student.pvalue > normal.pvalue

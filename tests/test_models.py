"""Regression machinery: FE absorption, wild bootstrap, cross-section, the table formatter."""

import numpy as np
import pandas as pd
import pytest

from ruralrev.present import regression_tables
from ruralrev.stats.regression import models
from ruralrev.stats.regression.wild_bootstrap import absorb


def _simulated_panel(effect: float, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    provinces = [f"P{i:02d}" for i in range(31)]
    years = range(2016, 2025)
    alpha = dict(zip(provinces, rng.normal(0, 1, 31)))
    tau = dict(zip(years, rng.normal(0, 0.5, 9)))
    rows = []
    for p in provinces:
        shock = rng.normal(0, 0.3)            # a province-level shock: errors correlate within province
        for t in years:
            x = rng.normal(0, 1) + alpha[p]
            z = rng.normal(0, 1)
            y = effect * x + 0.5 * z + alpha[p] + tau[t] + shock * (t - 2020) / 4 + rng.normal(0, 0.5)
            rows.append({"province": p, "year": t, "region": "East" if p < "P10" else "West", "y": y,
                         "x": x, "z": z, "pos": np.exp(x)})
    return pd.DataFrame(rows)


def test_absorbed_ols_equals_panelols():
    panel = _simulated_panel(effect=0.8)
    result = models.panel_fe(panel, "y", ["x", "z"], bootstrap_reps=0)
    frame = result.data
    codes = [pd.factorize(frame["province"])[0], pd.factorize(frame["year"])[0]]
    demeaned = absorb(frame[["y", "x", "z"]].to_numpy(), codes)
    beta, *_ = np.linalg.lstsq(demeaned[:, 1:], demeaned[:, 0], rcond=None)
    np.testing.assert_allclose(beta, result.params[["x", "z"]].to_numpy(), rtol=1e-8)
    assert result.nobs == 279 and result.n_clusters == 31


def test_absorb_unbalanced_matches_dummy_regression():
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    a = rng.integers(0, 5, 60)
    b = rng.integers(0, 4, 60)
    y = rng.normal(size=60)
    w = rng.uniform(1, 50, 60)
    dummies = np.column_stack([np.eye(5)[a], np.eye(4)[b][:, 1:]])
    fitted = dummies @ np.linalg.lstsq(dummies, y, rcond=None)[0]
    np.testing.assert_allclose(absorb(y, [a, b])[:, 0], y - fitted, atol=1e-9)
    # Weighted: the residual of a WLS regression on the dummies (statsmodels).
    np.testing.assert_allclose(absorb(y, [a, b], weights=w)[:, 0], sm.WLS(y, dummies, weights=w).fit().resid,
                               atol=1e-9)


def test_wild_bootstrap_detects_an_effect_and_is_reproducible():
    panel = _simulated_panel(effect=0.8)
    result = models.panel_fe(panel, "y", ["x", "z"], bootstrap_reps=999, seed=1)
    again = models.panel_fe(panel, "y", ["x", "z"], bootstrap_reps=999, seed=1)
    assert result.wild_pvalues["x"] < 0.01
    assert result.wild_pvalues.equals(again.wild_pvalues)


def test_wild_bootstrap_does_not_reject_a_null_effect():
    pvalues = [models.panel_fe(_simulated_panel(effect=0.0, seed=s), "y", ["x", "z"],
                               bootstrap_reps=399, seed=s).wild_pvalues["x"] for s in range(5)]
    assert min(pvalues) > 0.01
    assert max(pvalues) > 0.2


def test_region_year_effects_and_exclusion():
    panel = _simulated_panel(effect=0.8)
    result = models.panel_fe(panel, "y", ["x"], effects="province+region_year", exclude=["P00", "P01"],
                             bootstrap_reps=0)
    assert result.nobs == 29 * 9 and result.fixed_effects == "province, region × year"
    with pytest.raises(ValueError, match="effects must be"):
        models.panel_fe(panel, "y", ["x"], effects="year")
    with pytest.raises(ValueError, match=r"cannot exclude unknown province\(s\) \['Atlantis'\]"):
        models.panel_fe(panel, "y", ["x"], exclude=["Atlantis"])


def test_log_prefix_and_unknown_variables():
    panel = _simulated_panel(effect=0.8)
    frame = models.model_frame(panel, "y", ["log_pos"])
    np.testing.assert_allclose(frame["log_pos"], panel["x"])
    with pytest.raises(ValueError, match="unknown indicator 'log_nothing': not a column"):
        models.model_frame(panel, "y", ["log_nothing"])
    with pytest.raises(ValueError, match="log is undefined"):
        models.model_frame(panel, "log_y", ["x"])


def test_cross_section_hc3_matches_statsmodels_and_flags_influence():
    import statsmodels.api as sm

    panel = _simulated_panel(effect=0.8)
    result = models.cross_section(panel, "y", ["x", "z"], 2020)
    one_year = panel[panel["year"] == 2020]
    reference = sm.OLS(one_year["y"].to_numpy(), sm.add_constant(one_year[["x", "z"]].to_numpy())).fit(cov_type="HC3")
    np.testing.assert_allclose(result.se.to_numpy(), reference.bse, rtol=1e-10)
    assert result.data["leverage"].sum() == pytest.approx(3)  # trace of the hat matrix = K


def test_vif_of_orthogonal_and_collinear_regressors():
    frame = pd.DataFrame({"a": [1, -1, 1, -1, 1, -1, 1, -1], "b": [1, 1, -1, -1, 1, 1, -1, -1]})
    assert models.vif(frame, ["a", "b"]).tolist() == pytest.approx([1.0, 1.0])
    frame["c"] = frame["a"] + 0.01 * np.arange(8)
    assert models.vif(frame, ["a", "c"]).min() > 100


def test_regression_table_layout():
    panel = _simulated_panel(effect=0.8)
    fe = models.panel_fe(panel, "y", ["x", "z"], bootstrap_reps=199, name="FE")
    ols = models.cross_section(panel, "y", ["x"], 2020, name="OLS 2020")
    table = regression_tables.regression_table([fe, ols], labels={"x": "Treatment x"})
    assert list(table.columns) == ["", "FE", "OLS 2020"]
    first = table.iloc[0]
    assert first[""] == "Treatment x" and first["FE"].startswith(f"{fe.params['x']:.3f}") and first["FE"].endswith("***")
    assert table.iloc[1]["FE"] == f"({fe.se['x']:.3f})"
    # no draw as extreme as the estimate: the bound 1/B, not 0.000
    assert fe.wild_pvalues["x"] == 0 and table.iloc[2]["FE"] == "[≤ 0.0050 (no draw as extreme)]"
    assert table.iloc[2]["OLS 2020"] == ""
    assert table.set_index("").loc["N"].tolist() == ["279", "31"]
    assert table.set_index("").loc["Standard errors"].tolist() == ["clustered by province", "HC3"]
    assert regression_tables.regression_table([fe], stars=False).iloc[0]["FE"] == f"{fe.params['x']:.3f}"   # no stars


def test_coefficient_rows_and_verdicts_count_signs_and_significance():
    panel = _simulated_panel(effect=0.8)
    fits = [models.panel_fe(panel, "y", ["x", "z"], bootstrap_reps=199, seed=1, name="both"),
            models.panel_fe(panel, "y", ["x"], bootstrap_reps=199, seed=1, name="x only")]
    rows = models.coefficient_rows(fits, "z")
    assert rows["model"].tolist() == ["both", "x only"] and np.isnan(rows.loc[1, "coef"])
    assert rows.loc[0, "coef"] == pytest.approx(fits[0].params["z"])
    verdict = models.coefficient_verdict(models.coefficient_rows(fits, "x"))
    assert (verdict.n, verdict.positive, verdict.significant, verdict.sign, verdict.robust) == (2, 2, 2, "positive", True)
    mixed = pd.DataFrame({"coef": [0.2, -0.1, 0.3], "p_wild": [0.01, 0.5, np.nan], "p": [0.01, 0.5, 0.02]})
    v = models.coefficient_verdict(mixed)
    assert (v.positive, v.negative, v.significant, v.sign, v.robust) == (2, 1, 1, "mixed", False)
    assert (v.same_sign, v.all_significant, verdict.same_sign, verdict.all_significant) == (False, False, True, True)
    assert models.coefficient_verdict(mixed, p_column="p").significant == 2
    table = models.verdict_table(fits, ["x", "z"]).set_index("regressor")
    assert table.loc["z", "models"] == 1 and bool(table.loc["x", "robust"])


def test_change_correlations_on_the_book_data(panel):
    moves = models.change_correlations(panel, "urbanization_rate", "rural_income", 2016, 2024)
    first = panel[panel["year"] == 2016].set_index("province")
    last = panel[panel["year"] == 2024].set_index("province")
    du = last["urbanization_rate"] - first["urbanization_rate"]
    assert moves["change_level"] == pytest.approx(np.corrcoef(du, last["rural_income"] - first["rural_income"])[0, 1])
    assert moves["n"] == 31


@pytest.mark.snapshot
def test_change_correlations_of_todays_data(panel):
    moves = models.change_correlations(panel, "urbanization_rate", "rural_income", 2016, 2024)
    assert (moves["initial_level"], moves["change_level"], moves["change_log"]) == pytest.approx(
        (-0.818, -0.696, 0.474), abs=1e-3)


def test_procedure_counts_count_what_each_procedure_finds():
    """Counts by procedure equal the verdict of each p-value column alone; the all-procedures count is
    that of every column at once; the main model's CV3 interval is the jackknife's."""
    from ruralrev.stats.regression import robustness

    effect, nothing = _simulated_panel(effect=0.8), _simulated_panel(effect=0.0, seed=11)
    fits = [models.panel_fe(effect, "y", ["x", "z"], bootstrap_reps=199, seed=1, name="main"),
            models.panel_fe(effect, "y", ["x", "z"], bootstrap_reps=199, seed=1, name="weighted", weights="pos"),
            models.panel_fe(nothing, "y", ["x", "z"], bootstrap_reps=199, seed=1, name="no effect")]
    procedures = {"WCR": "p_wild", "WCU": "p_wcu", "CV3": "p_cv3"}
    table = robustness.procedure_counts(fits, ["x", "z"], procedures).set_index("regressor")
    for name in ("x", "z"):
        rows = models.coefficient_rows(fits, name)
        for printed, column in procedures.items():
            assert table.loc[name, printed] == int((rows[column] < 0.05).sum())
            assert table.loc[name, f"main_{printed}"] == rows.loc[0, column]
        assert table.loc[name, "all"] == int((rows[list(procedures.values())] < 0.05).all(axis=1).sum())
        assert table.loc[name, "all"] <= table.loc[name, ["WCR", "WCU", "CV3"]].min()
        assert (table.loc[name, "low"], table.loc[name, "high"]) == pytest.approx(fits[0].jackknife.interval(name))
    # x: positive where there is an effect, tested significant there by every procedure, not without it
    assert table.loc["x", "main_all"] and table.loc["x", "models"] == 3
    assert table.loc["x", "all"] == 2 and table.loc["x", "coef"] == pytest.approx(fits[0].params["x"])
    with pytest.raises(ValueError, match="not a position"):
        robustness.procedure_counts(fits, ["x"], procedures, main=3)


def test_the_dummy_variable_fit_is_panelols_iterative_demeaning_on_the_books_data(panel, monkeypatch):
    """panel_fe fits PanelOLS with its effects as dummy variables (``use_lsdv``); linearmodels'
    default absorbs them by iterative demeaning instead. On the book's panel, weighted and not,
    with region × year effects, province trends and province segments, both give the same
    coefficients, clustered and robust errors, p-values, R² and residuals."""
    from linearmodels.panel import PanelOLS

    regressors = ["urbanization_rate", "log_gdp_per_capita", "primary_share"]
    splits = pd.DataFrame({"province": ["Hebei", "Yunnan"], "year_to": [2019, 2020]})
    specifications = [{}, {"weights": "rural_population"}, {"effects": "province+region_year"},
                      {"trends": "province"}, {"split_at": splits}, {"se_type": "robust"}]

    def fits():
        return [models.panel_fe(panel, "log_rural_income", regressors, bootstrap_reps=0, **spec)
                for spec in specifications]

    dummies = fits()
    default_fit = PanelOLS.fit
    monkeypatch.setattr(PanelOLS, "fit", lambda self, **kw: default_fit(self, **{**kw, "use_lsdv": False}))
    demeaned = fits()
    # two computations ran (their last digits differ), and they agree
    assert any(not np.array_equal(a.se.to_numpy(), b.se.to_numpy()) for a, b in zip(dummies, demeaned))
    for a, b in zip(dummies, demeaned):
        assert (a.nobs, a.n_clusters, a.fixed_effects) == (b.nobs, b.n_clusters, b.fixed_effects)
        for x, y in ((a.params, b.params), (a.se, b.se), (a.pvalues, b.pvalues)):
            np.testing.assert_allclose(x.to_numpy(), y.to_numpy(), rtol=1e-8)
        np.testing.assert_allclose(a.r2, b.r2, rtol=1e-8)
        np.testing.assert_allclose(a.fe_residuals.to_numpy(), b.fe_residuals.to_numpy(), atol=1e-9)

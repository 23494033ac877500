"""Break flags of the regressors and the fixed-effects model with province effects split at breaks.

The split model is checked against an independent implementation on the book's data: statsmodels
OLS with dummy variables for every province segment and year (coefficients), and ``wildboottest``
on that dummy design (the wild cluster bootstrap p-value, draw for draw with the same seed). A
simulation checks that the split does what it is for: a level shift in a regressor that has
nothing to do with the outcome biases the model that keeps it and not the model that splits.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from wildboottest.wildboottest import wildboottest

from ruralrev.data.breaks import regressors as breaks_regressors
from ruralrev.stats.regression import break_handling, models

DEFAULT = ["urbanization_rate", "log_gdp_per_capita", "primary_share",
           "log_machinery_per_rural_capita", "log_electricity_per_rural_capita"]
YEARS = range(2016, 2025)


@pytest.mark.snapshot
def test_flags_of_the_default_regressors():
    exposure = breaks_regressors.regressor_breaks(DEFAULT, YEARS)
    table = exposure.table.set_index("regressor")
    assert table["flags"].to_dict() == {"urbanization_rate": 0, "log_gdp_per_capita": 0, "primary_share": 1,
                                        "log_machinery_per_rural_capita": 5, "log_electricity_per_rural_capita": 47}
    assert table.loc["log_electricity_per_rural_capita", "provinces"] == 25
    assert bool(table.loc["log_electricity_per_rural_capita", "national"])
    assert not table.loc["log_machinery_per_rural_capita", "national"]
    # Shanghai 2019 → 2020: −99.1 % is the largest break on a log scale (Hainan's +193.7 % is smaller).
    assert table.loc["log_electricity_per_rural_capita", "largest_change_pct"] == pytest.approx(-99.1)
    assert exposure.clean == ["urbanization_rate", "log_gdp_per_capita"]


def test_the_flag_table_lists_exactly_the_flagged_regressors():
    exposure = breaks_regressors.regressor_breaks(DEFAULT, YEARS)
    assert set(exposure.flags["regressor"]) == set(exposure.flagged)


def _reversals_of_the_regressors():
    from ruralrev.data.breaks import flags as break_flags
    from ruralrev.data.breaks import pooling

    both = breaks_regressors.regressor_breaks(DEFAULT + ["electricity_per_rural_capita"], YEARS).reversals()
    [direct] = pooling.reversals(break_flags.flags_for("electricity_per_rural_capita"), "rural_electricity")
    return both, direct


def test_reversals_of_the_regressors_are_the_data_chapters_and_count_a_shared_series_once():
    """The regressors' reversals are the data chapter's comparability.reversals; the rate and its
    log read one series, counted once."""
    from ruralrev.data.breaks import pooling

    both, direct = _reversals_of_the_regressors()
    pd.testing.assert_frame_equal(both[0].table, direct.table)
    mixed = pooling.Reversal("s", 2022, pd.DataFrame({"change_in_pct": [-5.0, 4.0]}), 2, 2)
    assert mixed.direction is None


@pytest.mark.snapshot
def test_the_electricity_fall_of_2022_is_the_one_reversal_of_the_regressors():
    """Electricity's 2022 fall is taken back in 2023 by 10 of the 12 provinces flagged in 2022."""
    both, _ = _reversals_of_the_regressors()
    assert [(r.series, r.year, len(r.table), r.flagged_in) for r in both] == [("rural_electricity", 2022, 10, 12)]
    assert both[0].direction == "fall"
    assert breaks_regressors.regressor_breaks(["urbanization_rate"], YEARS).reversals() == []     # no flags at all


@pytest.mark.snapshot
def test_a_flag_counts_only_when_the_model_spans_it():
    # Machinery's revisions are 2016→2017 and 2017→2018: a model from 2018 does not span them.
    later = breaks_regressors.regressor_breaks(DEFAULT, range(2018, 2025)).table.set_index("regressor")["flags"]
    assert later["log_machinery_per_rural_capita"] == 0
    # A model on 2016–2018 and 2020 compares 2018 with 2020, across primary VA's 2019→2020 break.
    gap = breaks_regressors.regressor_breaks(["primary_share"], [2016, 2017, 2018, 2020]).table
    assert gap["flags"].tolist() == [1]
    assert breaks_regressors.regressor_breaks(["primary_share"], [2016, 2017, 2018]).table["flags"].tolist() == [0]


def test_specification_under_each_handling():
    drop = break_handling.specification(DEFAULT, YEARS, "drop")
    assert drop.split_at is None
    split = break_handling.specification(DEFAULT, YEARS, "split")
    assert split.regressors == DEFAULT
    assert not split.split_at.duplicated().any()
    assert break_handling.specification(DEFAULT, YEARS, "keep").split_at is None
    with pytest.raises(ValueError, match="handling must be one of"):
        break_handling.specification(DEFAULT, YEARS, "ignore")


@pytest.mark.snapshot
def test_what_each_handling_drops_and_splits_on_todays_flags():
    drop = break_handling.specification(DEFAULT, YEARS, "drop")
    assert drop.regressors == ["urbanization_rate", "log_gdp_per_capita"]
    assert drop.dropped == ["primary_share", "log_machinery_per_rural_capita", "log_electricity_per_rural_capita"]
    split = break_handling.specification(DEFAULT, YEARS, "split")
    assert len(split.split_at) == 52          # 1 + 5 + 47 flags, one shared
    with pytest.raises(ValueError, match="every regressor has break flags in 2016–2024"):
        break_handling.specification(["log_electricity_per_rural_capita"], YEARS, "drop")


def test_province_segments_cut_at_each_break():
    frame = pd.DataFrame({"province": ["A"] * 5 + ["B"] * 5, "year": list(range(2016, 2021)) * 2})
    splits = pd.DataFrame({"province": ["A", "A"], "year_to": [2018, 2020]})
    segments = models.province_segments(frame, splits)
    assert segments.tolist() == ["A#0", "A#0", "A#1", "A#1", "A#2"] + ["B#0"] * 5
    with pytest.raises(ValueError, match="province and year_to"):
        models.province_segments(frame, pd.DataFrame({"province": ["A"]}))


def _dummy_design(frame, splits, regressors):
    segments = models.province_segments(frame, splits)
    return pd.concat([frame[regressors], pd.get_dummies(segments, prefix="s", dtype=float),
                      pd.get_dummies(frame["year"], prefix="y", drop_first=True, dtype=float)], axis=1)


@pytest.fixture(scope="module")
def split_fit(panel):
    spec = break_handling.specification(DEFAULT, YEARS, "split")
    return spec, spec.fit(panel, "log_rural_income", years=YEARS, bootstrap_reps=999, seed=7)


@pytest.mark.snapshot
def test_the_split_model_on_todays_flags(split_fit):
    _, fit = split_fit
    # 83 segments, 16 of them one year long: dropped, so 279 - 16 = 263 observations identify the model
    assert fit.fixed_effects == "province split at breaks (67 segments; 16 one-year segments dropped), year"
    assert fit.nobs == 263 and fit.singletons == 16


def test_split_model_matches_dummy_ols_and_wildboottest_on_the_book_data(split_fit):
    spec, fit = split_fit
    frame = fit.data
    design = _dummy_design(frame, spec.split_at, DEFAULT)
    ols = sm.OLS(frame["log_rural_income"], design).fit()
    np.testing.assert_allclose(fit.params[DEFAULT].to_numpy(), ols.params[DEFAULT].to_numpy(), rtol=1e-7)
    cluster = pd.factorize(frame["province"], sort=True)[0]
    library = wildboottest(ols.model, B=999, cluster=cluster, param="urbanization_rate", seed=7, show=False,
                           parallel=False)
    assert abs(float(library["p-value"].iloc[0]) - fit.wild_pvalues["urbanization_rate"]) <= 1 / 999 + 1e-12


def test_splitting_removes_the_bias_of_a_level_shift_in_a_regressor():
    rng = np.random.default_rng(11)
    rows = []
    shifted = {f"P{i:02d}": rng.choice([-3.0, 3.0]) for i in range(10)}       # ten provinces redefine x
    for i in range(31):
        province = f"P{i:02d}"
        alpha = rng.normal()
        for year in range(2016, 2025):
            x = rng.normal() + 0.3 * (year - 2016)
            y = 0.5 * x + alpha + 0.1 * (year - 2016) + rng.normal(0, 0.2)
            step = shifted.get(province, 0.0) if year >= 2020 else 0.0
            rows.append({"province": province, "year": year, "region": "R", "y": y, "x": x + step})
    frame = pd.DataFrame(rows)
    splits = pd.DataFrame({"province": list(shifted), "year_to": 2020})
    kept = models.panel_fe(frame, "y", ["x"], bootstrap_reps=0)
    split = models.panel_fe(frame, "y", ["x"], bootstrap_reps=0, split_at=splits)
    assert abs(kept.params["x"] - 0.5) > 0.15             # the step attenuates the coefficient
    assert abs(split.params["x"] - 0.5) < 0.05


def test_break_variants_are_named_and_weighted(panel):
    fits = break_handling.break_variants(panel, "log_rural_income", DEFAULT, years=YEARS, bootstrap_reps=0,
                                 weights="rural_population")
    assert [f.name for f in fits] == ["flagged regressors dropped, weighted", "province effects split at breaks, weighted",
                                      "all regressors as published, weighted"]
    assert all(f.weights == "rural_population" for f in fits)


@pytest.mark.snapshot
def test_the_break_variants_keep_two_five_and_five_regressors_on_todays_flags(panel):
    fits = break_handling.break_variants(panel, "log_rural_income", DEFAULT, years=YEARS, bootstrap_reps=0,
                                         weights="rural_population")
    assert [len(f.params) for f in fits] == [2, 5, 5]


@pytest.mark.filterwarnings("ignore:The design matrix is rank-deficient")  # 2022 dummies with all 279 rows
def test_national_split_splits_every_province_at_the_national_break(panel):
    regressors = ["urbanization_rate", "log_gdp_per_capita", "primary_share", "log_machinery_per_rural_capita",
                  "log_electricity_per_rural_capita"]
    provinces = sorted(panel["province"].unique())
    spec = break_handling.national_split(regressors, range(2016, 2025), provinces)
    for year in spec.national_years:
        assert set(spec.split_at.loc[spec.split_at["year_to"] == year, "province"]) == set(provinces), year
    own = break_handling.specification(regressors, range(2016, 2025), "split").split_at
    assert len(spec.split_at) > len(own)
    # dropping the one-year segments leaves the coefficients of the dummy OLS on all 279 rows unchanged
    fit = spec.fit(panel, "log_rural_income", years=range(2016, 2025), bootstrap_reps=0)
    full = models.model_frame(panel, "log_rural_income", regressors, range(2016, 2025))
    ols = sm.OLS(full["log_rural_income"], _dummy_design(full, spec.split_at, regressors)).fit()
    assert len(full) == 279
    np.testing.assert_allclose(fit.params[regressors].to_numpy(), ols.params[regressors].to_numpy(), rtol=1e-6)


@pytest.mark.snapshot
@pytest.mark.filterwarnings("ignore:The design matrix is rank-deficient")
def test_the_national_split_on_todays_flags(panel):
    regressors = ["urbanization_rate", "log_gdp_per_capita", "primary_share", "log_machinery_per_rural_capita",
                  "log_electricity_per_rural_capita"]
    provinces = sorted(panel["province"].unique())
    spec = break_handling.national_split(regressors, range(2016, 2025), provinces)
    # rural electricity has three national breaks under the data layer's rules: 2020, 2022, 2023
    for year in (2020, 2022, 2023):
        assert set(spec.split_at.loc[spec.split_at["year_to"] == year, "province"]) == set(provinces), year
    assert spec.national_years == (2020, 2022, 2023)
    segments = models.province_segments(panel[panel["year"].between(2016, 2024)], spec.split_at)
    # 31 provinces x 4 national segments, plus 9 province-level splits in other years (2017-19, 2024)
    assert segments.nunique() == 31 * 4 + 9 == 133
    # 2022 is a one-year segment in every province (31) plus 8 others: 39 dropped, 279 - 39 = 240 left
    fit = spec.fit(panel, "log_rural_income", years=range(2016, 2025), bootstrap_reps=0)
    assert fit.singletons == 39 and fit.nobs == 240 and 2022 not in set(fit.data["year"])
    assert fit.params["urbanization_rate"] == pytest.approx(0.00638, abs=1e-5)


def test_pvalue_rows_print_every_regressor_of_every_model(panel):
    from ruralrev.present import regression_tables

    fits = break_handling.break_variants(panel, "log_rural_income", DEFAULT[:2], years=YEARS, bootstrap_reps=0)
    rows = regression_tables.pvalue_rows(fits, DEFAULT[:2], ["p_cv3"], None, {fits[0].name: "main model"})
    assert len(rows) == 2 * len(fits) and rows["Specification"].iloc[0] == "main model"
    assert list(rows.columns) == ["Regressor", "Specification", "Coefficient", "Clustered s.e.", "Cluster p",
                                  "CV3 p", "N"]
    assert rows["CV3 p"].iloc[0] == f"{fits[0].jackknife.pvalues[DEFAULT[0]]:.3f}"

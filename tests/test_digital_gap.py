"""Broadband rates, coverage and break-flag handling (ruralrev.chapters.digital.broadband) on the book's data."""

import numpy as np
import pandas as pd
import pytest
from inequality.theil import Theil

from ruralrev.chapters.digital import broadband as dg
from ruralrev.data import official
from ruralrev.data.breaks import flags as break_flags
from ruralrev.stats.inequality import measures as ineq
from ruralrev.stats.regression import models

RURAL = "rural_broadband_per_100_rural_residents"
YEARS = range(2016, 2025)


@pytest.fixture(scope="module")
def panel():
    return official.load_panel()


def _printed(indicator: str, year: int) -> pd.Series:
    """Printed values of a published series in one year, from the observations table (text → float)."""
    obs = official.load_observations()
    part = obs[(obs["indicator"] == indicator) & (obs["year"] == year)]
    return part.set_index("province")["value"].astype(float)


def test_national_rate_2023_equals_the_printed_sums(panel):
    result = dg.rural_broadband_national(panel, 2023)
    rural, population = _printed("rural_broadband_users", 2023), _printed("rural_population", 2023)
    assert result.rural_subscriptions == pytest.approx(rural.sum())
    assert result.rural_per_100 == pytest.approx(100 * rural.sum() / population.sum())


@pytest.mark.snapshot
def test_the_national_rates_of_2023(panel):
    result = dg.rural_broadband_national(panel, 2023)
    assert result.provinces == 31 and result.not_published == ()
    assert round(result.rural_per_100, 2) == 40.23
    assert round(result.urban_per_100, 2) == 47.75
    assert round(result.urban_rural_ratio, 3) == round(47.7517 / 40.2300, 3)
    assert round(result.mobile_per_100_residents, 1) == 108.3


def test_national_rate_is_the_population_weighted_mean_of_provincial_rates(panel):
    for year in (2016, 2020, 2024):
        part = panel[panel["year"] == year].dropna(subset=[RURAL])
        rates = 100 * part["rural_broadband_users"] / part["rural_population"]  # the panel column is rounded
        expected = np.average(rates, weights=part["rural_population"])
        assert np.average(part[RURAL], weights=part["rural_population"]) == pytest.approx(expected, abs=0.005)
        assert dg.rural_broadband_national(panel, year).rural_per_100 == pytest.approx(expected, rel=1e-12)


def test_an_unpublished_province_is_left_out_of_numerator_and_denominator(panel):
    result = dg.rural_broadband_national(panel, 2016)
    assert result.not_published and result.provinces == 31 - len(result.not_published)
    others = panel[(panel["year"] == 2016) & ~panel["province"].isin(result.not_published)]
    assert result.rural_population == pytest.approx(others["rural_population"].sum())


@pytest.mark.snapshot
def test_shanghai_left_out_of_numerator_and_denominator_where_unpublished(panel):
    result = dg.rural_broadband_national(panel, 2016)
    assert result.not_published == ("Shanghai",) and result.provinces == 30
    others = panel[(panel["year"] == 2016) & (panel["province"] != "Shanghai")]
    assert result.rural_population == pytest.approx(others["rural_population"].sum())
    series = dg.national_series(panel, [2016, 2019])
    assert list(series["not_published"]) == ["Shanghai", ""]


def test_national_rate_on_a_subset_and_bad_input(panel):
    two = dg.rural_broadband_national(panel, 2023, provinces=["Zhejiang", "Tibet"])
    part = panel[(panel["year"] == 2023) & panel["province"].isin(["Zhejiang", "Tibet"])]
    assert two.rural_per_100 == pytest.approx(100 * part["rural_broadband_users"].sum() / part["rural_population"].sum())
    with pytest.raises(ValueError, match="outside the panel"):
        dg.rural_broadband_national(panel, 2031)
    with pytest.raises(ValueError, match="unknown province"):
        dg.rural_broadband_national(panel, 2023, provinces=["Atlantis"])


def test_population_weight_follows_the_registry_tags():
    assert dg.DIGITAL_OUTCOMES == [RURAL, "urban_broadband_per_100_urban_residents", "mobile_internet_per_100_residents"]
    assert [dg.population_weight(c) for c in dg.DIGITAL_OUTCOMES] == [
        "rural_population", "urban_population", "total_population"]


@pytest.mark.snapshot
def test_common_provinces_drop_shanghai_only_while_it_is_unpublished(panel):
    assert dg.common_provinces(panel, RURAL, YEARS) == sorted(set(panel["province"]) - {"Shanghai"})
    assert len(dg.common_provinces(panel, RURAL, range(2019, 2025))) == 31


def test_flagged_province_years_are_the_flags_closing_years(panel):
    flags = break_flags.flags_for("rural_broadband_users")
    pairs = dg.flagged_province_years(RURAL, YEARS)
    assert len(pairs) == len(flags)
    assert set(zip(pairs["province"], pairs["year"])) == set(zip(flags["province"], flags["year_to"]))
    assert dg.flagged_province_years(RURAL, [2016]).empty  # a change closes in its second year
    assert len(dg.flagged_province_years(RURAL, range(2019, 2025))) == int((flags["year_to"] >= 2019).sum())


@pytest.mark.snapshot
def test_rural_broadband_has_36_flags_and_ten_never_flagged_provinces(panel):
    assert len(dg.flagged_province_years(RURAL, YEARS)) == len(break_flags.flags_for("rural_broadband_users")) == 36
    never = dg.never_flagged_provinces(panel, RURAL, YEARS)
    assert never == ["Hebei", "Henan", "Hunan", "Jiangsu", "Jiangxi", "Jilin", "Shandong", "Sichuan", "Xinjiang",
                     "Zhejiang"]
    out = dg.without_flagged(panel, RURAL, YEARS)
    assert int((out[RURAL].isna() & panel[RURAL].notna()).sum()) == 36
    assert int(dg.without_flagged(panel, f"log_{RURAL}", YEARS)[RURAL].isna().sum()) == int(panel[RURAL].isna().sum()) + 36


def test_never_flagged_provinces(panel):
    never = dg.never_flagged_provinces(panel, RURAL, YEARS)
    assert not set(never) & set(break_flags.flags_for(RURAL)["province"])


def test_without_flagged_blanks_exactly_the_flagged_cells(panel):
    flagged = len(dg.flagged_province_years(RURAL, YEARS))
    out = dg.without_flagged(panel, RURAL, YEARS)
    blanked = out[RURAL].isna() & panel[RURAL].notna()
    assert int(blanked.sum()) == flagged
    assert set(zip(out.loc[blanked, "province"], out.loc[blanked, "year"])) == \
        set(zip(*dg.flagged_province_years(RURAL, YEARS)[["province", "year"]].T.to_numpy()))
    untouched = ~blanked
    pd.testing.assert_frame_equal(out[untouched].drop(columns=RURAL), panel[untouched].drop(columns=RURAL))
    assert int(dg.without_flagged(panel, f"log_{RURAL}", YEARS)[RURAL].isna().sum()) == \
        int(panel[RURAL].isna().sum()) + flagged


def _real_flag_kinds(panel):
    flags = break_flags.load_flags()
    return dg.broadband_flag_kinds(panel, flags[flags["series"] == "rural_broadband_users"])


def test_a_change_in_the_same_direction_has_no_offset_size(panel):
    kinds = _real_flag_kinds(panel)
    assert (kinds.loc[kinds["kind"] == "same direction", "offset_size"] == "").all()


@pytest.mark.snapshot
def test_flag_kinds_on_the_real_flags(panel):
    kinds = _real_flag_kinds(panel)
    assert kinds["kind"].value_counts().to_dict() == {"same direction": 26, "offset by urban": 10}
    # the sizes of the urban offsets: only two of the size a reclassification alone would give
    offset = kinds[kinds["kind"] == "offset by urban"]
    assert offset["offset_size"].value_counts().to_dict() == {"large": 5, "small": 3, "matching": 2}
    matching = offset[offset["offset_size"] == "matching"]
    assert set(zip(matching["province"], matching["year_to"])) == {("Fujian", 2020), ("Heilongjiang", 2020)}
    assert offset["offset_share"].between(dg.OFFSET_SMALL, dg.OFFSET_LARGE).sum() == 2
    fujian = kinds[(kinds["province"] == "Fujian") & (kinds["year_to"] == 2020)].iloc[0]
    assert fujian["kind"] == "offset by urban"
    assert fujian["rural_change"] == pytest.approx(-210.9) and fujian["urban_change"] == pytest.approx(263.0)
    assert (kinds.loc[kinds["rural_change"] < 0, "kind"] == "offset by urban").all()


def test_flag_kinds_on_a_synthetic_reclassification():
    rows = []
    for province, (rural, urban) in {"A": ((100, 50), (200, 250)), "B": ((100, 150), (200, 220))}.items():
        for year, r, u in zip((2020, 2021), rural, urban):
            rows.append({"province": province, "year": year, "rural_broadband_users": r, "urban_broadband_users": u,
                         "broadband_users": r + u, "rural_population": 1000.0, "urban_population": 1000.0,
                         "mobile_internet_users": 1.0, RURAL: 100 * r / 1000})
    flags = pd.DataFrame({"series": "rural_broadband_users", "province": ["A", "B"], "year_from": 2020,
                          "year_to": 2021, "change_pct": [-50.0, 50.0]})
    kinds = dg.broadband_flag_kinds(pd.DataFrame(rows), flags).set_index("province")
    assert kinds.loc["A", "kind"] == "offset by urban" and kinds.loc["A", "offset_share"] == pytest.approx(1.0)
    assert kinds.loc["A", "offset_size"] == "matching" and kinds.loc["B", "offset_size"] == ""
    assert kinds.loc["B", "kind"] == "same direction"
    assert kinds.loc["A", "total_change_pct"] == pytest.approx(0.0)
    assert kinds.loc["A", "national_total_change_pct"] == pytest.approx(100 * (670 / 600 - 1))


@pytest.fixture(scope="module")
def fe_variants(panel):
    return dg.fe_variants(panel, RURAL, ["log_rural_income"], YEARS, weights="rural_population", bootstrap_reps=0)


@pytest.mark.snapshot
def test_fe_variants_samples(panel, fe_variants):
    # the split model drops one-year province segments (16), which identify nothing: 276 - 16 = 260
    assert [r.nobs for r in fe_variants] == [276, 260, 240, 90]
    assert [r.n_clusters for r in fe_variants] == [31, 31, 31, 10]
    full = panel[panel["year"].isin(YEARS)].dropna(subset=[RURAL, "rural_income", "rural_population"])
    splits = dg.flagged_province_years(RURAL, YEARS).rename(columns={"year": "year_to"})
    assert models.province_segments(full, splits).nunique() == 67


def test_fe_variants_against_direct_and_independent_wls_fits(panel, fe_variants):
    import statsmodels.formula.api as smf

    results = fe_variants
    assert [r.name for r in results] == ["all", "split at flags", "without flagged", "never-flagged provinces"]
    direct = models.panel_fe(panel, RURAL, ["log_rural_income"], years=YEARS, weights="rural_population",
                             bootstrap_reps=0)
    assert results[0].params["log_rural_income"] == pytest.approx(direct.params["log_rural_income"], rel=1e-12)
    # the same without-flagged model by WLS with province and year dummies (statsmodels)
    frame = dg.without_flagged(panel, RURAL, YEARS).dropna(subset=[RURAL, "rural_income", "rural_population"])
    frame = frame.assign(y=frame[RURAL], x=np.log(frame["rural_income"]))
    wls = smf.wls("y ~ x + C(province) + C(year)", data=frame, weights=frame["rural_population"]).fit()
    assert results[2].params["log_rural_income"] == pytest.approx(wls.params["x"], rel=1e-8)
    # the split model by WLS with a dummy for every province segment between flagged changes
    full = panel[panel["year"].isin(YEARS)].dropna(subset=[RURAL, "rural_income", "rural_population"])
    splits = dg.flagged_province_years(RURAL, YEARS).rename(columns={"year": "year_to"})
    full = full.assign(y=full[RURAL], x=np.log(full["rural_income"]),
                       segment=models.province_segments(full, splits).to_numpy())
    split = smf.wls("y ~ x + C(segment) + C(year)", data=full, weights=full["rural_population"]).fit()
    assert results[1].params["log_rural_income"] == pytest.approx(split.params["x"], rel=1e-8)


def test_fe_grid_summary_and_tally(panel):
    grid = dg.fe_grid(panel, RURAL, "log_rural_income", YEARS, bootstrap_reps=199)
    assert list(grid) == [("level", "unweighted"), ("level", "rural_population"), ("log", "unweighted"),
                          ("log", "rural_population")]
    table = dg.fe_summary(grid, "log_rural_income")
    assert len(table) == 16 and set(table["weighting"]) == {"unweighted", "rural population"}
    assert table["p_wild"].between(0, 1).all()
    tally = dg.fe_tally(table)
    assert tally.estimates == 16 and tally.positive == int((table["coef"] > 0).sum())
    assert tally.significant == int((table["p_wild"] < 0.05).sum())
    assert set(tally.significant_samples) == set(table.loc[table["p_wild"] < 0.05, "sample"])


@pytest.mark.parametrize("p, significant, positive, samples", [
    ([0.5, 0.6], 0, 0, ()),
    ([0.01, 0.02], 2, 1, ("a", "b")),
    ([0.01, 0.6], 1, 1, ("a",)),
    ([0.6, 0.01], 1, 0, ("b",)),
])
def test_fe_tally_cases(p, significant, positive, samples):
    table = pd.DataFrame({"form": "level", "weighting": "unweighted", "sample": ["a", "b"], "coef": [1.0, -2.0],
                          "p_wild": p})
    tally = dg.fe_tally(table)
    assert (tally.estimates, tally.positive, tally.significant) == (2, 1, significant)
    assert tally.significant_positive == positive and tally.significant_samples == samples
    assert dg.fe_tally(table, level=0.001).significant == 0
    with pytest.raises(ValueError, match="wild bootstrap"):
        dg.fe_tally(table.assign(p_wild=np.nan))


@pytest.fixture(scope="module")
def convergence_row(panel):
    common = dg.common_provinces(panel, RURAL, YEARS)
    return dg.convergence_summary(panel, RURAL, {"all": common}, 2016, 2024, reps=199).iloc[0]


@pytest.mark.snapshot
def test_the_rural_rates_theil_fell_on_30_provinces(convergence_row):
    row = convergence_row
    assert row["provinces"] == 30
    assert row["theil_excludes_zero"] and row["theil_change"] < 0


def test_convergence_summary_against_pysal_and_direct_calls(panel, convergence_row):
    from ruralrev.stats import convergence

    common = dg.common_provinces(panel, RURAL, YEARS)
    row = convergence_row
    first = panel[(panel["year"] == 2016) & panel["province"].isin(common)]
    # rural population is a whole number of 10,000 persons: replicate each province that many times
    expanded = np.repeat(first[RURAL].to_numpy(), first["rural_population"].astype(int).to_numpy())
    assert row["theil_first"] == pytest.approx(float(np.squeeze(Theil(expanded).T)), rel=1e-9)
    assert row["gini_first"] == pytest.approx(ineq.gini(first[RURAL], first["rural_population"]), rel=1e-12)
    beta = convergence.beta_convergence(panel[panel["province"].isin(common)], RURAL, 2016, 2024)
    assert row["beta"] == pytest.approx(beta.beta)
    assert row["theil_ci_low"] < row["theil_change"] < row["theil_ci_high"]
    # the interval's verdict is the bootstrap's own, as numbers: the rural rate's Theil fell, excluding zero
    from ruralrev.stats.inequality.bootstrap import bootstrap_inequality

    test = bootstrap_inequality(panel[panel["province"].isin(common)], RURAL, "rural_population", 2016, 2024,
                                reps=199).change_test("theil")
    assert (row["theil_ci_low"], row["theil_ci_high"]) == (test.ci_low, test.ci_high)
    assert row["theil_excludes_zero"] == (row["theil_ci_high"] < 0 or row["theil_ci_low"] > 0) == test.excludes_zero
    assert row["theil_marginal"] == test.marginal
    assert isinstance(row["gini_excludes_zero"], (bool, np.bool_))


def test_ledger_and_chapter_compute_the_same_national_broadband_rate():
    """The claims ledger (paper 002) and the digital chapter state one number two ways: equal up to
    the rounding of the provincial rates the panel stores (a weighted mean of values rounded to
    ``decimals`` moves by at most half a unit of the last decimal)."""
    from ruralrev.chapters.claims import checks as claim_checks
    from ruralrev.chapters.digital import broadband as dg
    from ruralrev.data import official, registry

    panel = official.load_panel()
    for year in (2019, 2023, 2024):
        ledger = claim_checks.nbs_rural_broadband_per_100(panel, year)
        chapter = dg.rural_broadband_national(panel, year)
        half_unit = 0.5 * 10 ** -registry.get("rural_broadband_per_100_rural_residents").decimals
        assert abs(ledger.value - chapter.rural_per_100) <= half_unit
        assert ledger.provinces == chapter.provinces

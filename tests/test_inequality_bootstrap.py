"""The full Dagum tables and the paired province bootstrap, on the book's data, with pysal
``inequality`` as the independent implementation (integer weights = replicated observations)."""

import numpy as np
import pandas as pd
import pytest
from inequality.gini import Gini
from inequality.theil import Theil, TheilD

from ruralrev.data import official
from ruralrev.stats.inequality import bootstrap as ib
from ruralrev.stats.inequality import by_group
from ruralrev.stats.inequality import measures as ineq

VARIABLE, WEIGHT = "rural_income", "rural_population"   # the disparities chapter's defaults


@pytest.fixture(scope="module")
def panel():
    return official.load_panel()


def _year(panel, year):
    part = panel[panel["year"] == year].dropna(subset=[VARIABLE, WEIGHT])
    return part[VARIABLE].to_numpy(float), part[WEIGHT].to_numpy(float), part["region"].astype(str).to_numpy()


@pytest.mark.parametrize("year", [2016, 2024])
def test_weighted_theil_and_gini_equal_pysal_on_the_replicated_population(panel, year):
    """Rural population is an integer number of 10,000 persons: each province replicated that many
    times is a sample pysal can measure unweighted."""
    y, w, regions = _year(panel, year)
    assert np.array_equal(w, np.round(w)) and len(y) == 31
    counts = w.astype(int)
    people, people_regions = np.repeat(y, counts), np.repeat(regions, counts)
    assert ineq.theil_t(y, w) == pytest.approx(Theil(people).T, rel=1e-10)
    assert ineq.gini(y, w) == pytest.approx(Gini(people).g, rel=1e-10)
    ours = ineq.theil_decomposition(y, w, regions)
    theil_d = TheilD(people, people_regions)
    assert ours.between == pytest.approx(float(np.squeeze(theil_d.bg)), rel=1e-9)
    assert ours.within == pytest.approx(float(np.squeeze(theil_d.wg)), rel=1e-9)
    # Unweighted, directly.
    assert ineq.theil_t(y) == pytest.approx(Theil(y).T, rel=1e-12)
    assert ineq.gini(y) == pytest.approx(Gini(y).g, rel=1e-12)


def test_dagum_tables_of_the_book_add_up(panel):
    y, w, regions = _year(panel, 2024)
    result = ineq.dagum_gini(y, w, regions)
    within, pairs, parts = result.within_table(), result.pairs_table(), result.contributions()
    assert set(within["group"]) == {"East", "Central", "West", "Northeast"} and len(pairs) == 6
    assert within["contribution"].sum() == pytest.approx(result.within, rel=1e-12)
    assert parts["value"].sum() == pytest.approx(result.total, rel=1e-12)
    assert parts["share_of_gini"].sum() == pytest.approx(1.0)
    assert (pairs["net_between"] + pairs["transvariation"]).to_numpy() == pytest.approx(
        (pairs["gini_between"] * pairs["weight"]).to_numpy())
    matrix = result.gini_matrix()
    assert np.allclose(matrix.to_numpy(), matrix.to_numpy().T)
    for group in within["group"]:   # G_jj is the Gini of the group alone
        assert matrix.loc[group, group] == pytest.approx(ineq.gini(y[regions == group], w[regions == group]))


def test_dagum_pair_terms_are_replication_invariant():
    y = np.array([3.0, 8.0, 15.0, 40.0, 22.0])
    counts = np.array([1, 3, 2, 5, 2])
    groups = np.array(["a", "a", "b", "b", "c"])
    weighted = ineq.dagum_gini(y, counts, groups).pairs_table().set_index(["richer", "poorer"])
    replicated = ineq.dagum_gini(np.repeat(y, counts), None, np.repeat(groups, counts)).pairs_table()
    replicated = replicated.set_index(["richer", "poorer"]).loc[weighted.index]
    for column in ("gini_between", "D_jh", "weight", "net_between", "transvariation"):
        assert weighted[column].to_numpy() == pytest.approx(replicated[column].to_numpy(), rel=1e-12)


def test_dagum_by_year_stacks_the_tables(panel):
    within, pairs = by_group.dagum_by_year(panel, VARIABLE, WEIGHT, "region", range(2016, 2025))
    assert sorted(within["year"].unique()) == list(range(2016, 2025)) and len(pairs) == 9 * 6
    series = by_group.decomposition_series(panel, VARIABLE, WEIGHT, "region", range(2016, 2025)).set_index("year")
    by_year = within.groupby("year")["contribution"].sum()
    assert by_year.to_numpy() == pytest.approx(series["gini_within"].to_numpy(), rel=1e-12)


def test_vectorised_replicates_equal_the_measures_of_an_explicit_resample(panel):
    y, w, _ = _year(panel, 2024)
    draw = np.random.default_rng(5).integers(0, len(y), len(y))
    counts = np.bincount(draw, minlength=len(y)).astype(float)
    assert ib.theil_from_weights(y, counts * w)[0] == pytest.approx(ineq.theil_t(y[draw], w[draw]), rel=1e-12)
    assert ib.gini_from_weights(y, counts * w)[0] == pytest.approx(ineq.gini(y[draw], w[draw]), rel=1e-12)


def test_bootstrap_of_the_book_is_centred_on_the_estimates_and_reproducible(panel):
    result = ib.bootstrap_inequality(panel, VARIABLE, WEIGHT, 2016, 2024, reps=999, seed=20261123)
    series = by_group.decomposition_series(panel, VARIABLE, WEIGHT, "region", [2016, 2024]).set_index("year")
    table = result.table
    assert table.loc["theil_first", "estimate"] == pytest.approx(series.loc[2016, "theil"], rel=1e-12)
    assert table.loc["gini_last", "estimate"] == pytest.approx(series.loc[2024, "gini"], rel=1e-12)
    assert (table["ci_low"] <= table["estimate"]).all() and (table["estimate"] <= table["ci_high"]).all()
    assert len(result.provinces) == 31 and result.draws.shape == (999, 8)
    assert result.table.equals(ib.bootstrap_inequality(panel, VARIABLE, WEIGHT, 2016, 2024, 999, 20261123).table)


def test_pairing_removes_the_common_level():
    """If every province's income grows by the same factor, the Theil and Gini do not change: the
    paired bootstrap puts every replicate of the change at 0, while the levels still vary."""
    rng = np.random.default_rng(3)
    provinces = [f"p{i}" for i in range(25)]
    y = rng.lognormal(9.8, 0.4, 25)
    w = rng.uniform(100, 5000, 25)
    panel = pd.DataFrame({"province": provinces * 2, "year": [2016] * 25 + [2024] * 25,
                          "y": np.r_[y, 1.6 * y], "w": np.r_[w, w]})
    result = ib.bootstrap_inequality(panel, "y", "w", 2016, 2024, reps=499, seed=1)
    assert result.draws["theil_change"].abs().max() < 1e-12 and result.draws["gini_change"].abs().max() < 1e-12
    assert result.table.loc["theil_first", "se"] > 0.001
    assert not result.change_excludes_zero("theil")
    # A real fall in dispersion (log incomes shrunk toward the mean) is detected.
    shrunk = panel.copy()
    shrunk.loc[shrunk["year"] == 2024, "y"] = np.exp(np.log(y).mean() + 0.6 * (np.log(y) - np.log(y).mean()))
    falling = ib.bootstrap_inequality(shrunk, "y", "w", 2016, 2024, reps=499, seed=1)
    assert falling.change_excludes_zero("theil") and falling.table.loc["theil_change", "ci_high"] < 0


def test_bootstrap_refuses_bad_years():
    panel = pd.DataFrame({"province": ["a", "b"], "year": [2016, 2016], "y": [1.0, 2.0], "w": [1.0, 1.0]})
    with pytest.raises(ValueError, match="must be after"):
        ib.bootstrap_inequality(panel, "y", "w", 2016, 2016)
    with pytest.raises(ValueError, match="no province"):
        ib.bootstrap_inequality(panel, "y", "w", 2016, 2024)


def test_change_test_codes_follow_the_interval():
    def test(low, high, beyond):
        return ib.ChangeTest("theil", estimate=(low + high) / 2, ci_low=low, ci_high=high, level=0.95,
                             beyond_zero=beyond)

    def codes(t):
        return t.direction, t.excludes_zero, t.marginal
    assert codes(test(-0.004, -0.002, 0.001)) == ("fell", True, False)
    assert codes(test(-0.004, -0.00004, 0.023)) == ("fell", True, True)    # 2.3 % > 1.25 %
    assert codes(test(-0.004, 0.001, 0.20)) == ("fell", False, False)       # a fall of the estimate, not tested
    assert codes(test(0.001, 0.004, 0.002)) == ("rose", True, False)
    assert codes(test(0.00004, 0.004, 0.02)) == ("rose", True, True)
    assert codes(test(-0.001, 0.001, 0.5)) == ("unchanged", False, False)
    assert test(-0.004, -0.002, 0.001).strict_level == pytest.approx(0.975)


@pytest.fixture(scope="module")
def book_bootstrap(panel):
    return ib.bootstrap_inequality(panel, VARIABLE, WEIGHT, 2016, 2024, 9999, 20261123)


def test_the_change_tests_share_of_draws_beyond_zero_is_counted_from_the_draws(book_bootstrap):
    theil = book_bootstrap.change_test("theil")
    assert theil.beyond_zero == pytest.approx((book_bootstrap.draws["theil_change"] >= 0).mean())


@pytest.mark.snapshot
def test_change_test_on_the_book_data(book_bootstrap):
    """At 9,999 replicates the interval of the Theil change only just excludes zero; the Gini's clearly."""
    result = book_bootstrap
    theil, gini = result.change_test("theil"), result.change_test("gini")
    assert (theil.direction, theil.excludes_zero, theil.marginal) == ("fell", True, True)
    assert theil.ci_high == pytest.approx(-4.2e-05, abs=1e-6)
    assert theil.beyond_zero == pytest.approx(0.0229, abs=1e-4)
    assert (gini.direction, gini.excludes_zero, gini.marginal) == ("fell", True, False)
    assert gini.beyond_zero == pytest.approx(0.0100, abs=1e-4)
    assert result.change_excludes_zero("theil") and result.change_excludes_zero("gini")

"""The composite index: hand-computed cases, pymcdm as an independent implementation, the
book's data (ranks inside their intervals), and the comparability of pooled years."""

import numpy as np
import pandas as pd
import pytest
from pymcdm import normalizations
from pymcdm.methods import TOPSIS
from pymcdm.weights import entropy_weights as pymcdm_entropy_weights

from ruralrev.data import official
from ruralrev.data.breaks import pooling
from ruralrev.stats.index import coupling
from ruralrev.stats.index import entropy_topsis as cp


def test_entropy_weights_hand_computed():
    # Column a: normalised [0, 1] -> p = [0, 1] -> e = 0 (0 ln 0 = 0) -> d = 1.
    # Column b: normalised [0, 0.5, 1] on three rows below; here two rows -> same as a.
    # Column c: constant -> normalised 1, 1 -> p = 1/2, 1/2 -> e = 1 -> d = 0.
    frame = pd.DataFrame({"a": [1.0, 3.0], "b": [10.0, 5.0], "c": [7.0, 7.0]})
    weights = cp.entropy_weights(frame, {"a": 1, "b": -1, "c": 1})
    assert weights.tolist() == pytest.approx([0.5, 0.5, 0.0])
    three = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [0.0, 0.0, 4.0]})
    # a: p = [0, 1/3, 2/3]; e = -(1/3 ln 1/3 + 2/3 ln 2/3)/ln 3. b: p = [0, 0, 1]; e = 0.
    e_a = -(1 / 3 * np.log(1 / 3) + 2 / 3 * np.log(2 / 3)) / np.log(3)
    expected = np.array([1 - e_a, 1.0]) / (1 - e_a + 1.0)
    assert cp.entropy_weights(three).tolist() == pytest.approx(expected.tolist())


def test_topsis_hand_computed():
    # Two benefit criteria, equal weights. Vector norms: sqrt(9+16)=5 and sqrt(0+36)... use 3 rows.
    frame = pd.DataFrame({"x": [3.0, 4.0, 0.0], "y": [0.0, 6.0, 8.0]}, index=["A", "B", "C"])
    # r_x = [0.6, 0.8, 0], r_y = [0, 0.6, 0.8]; v = r / 2.
    v = np.array([[0.3, 0.0], [0.4, 0.3], [0.0, 0.4]])
    best, worst = v.max(axis=0), v.min(axis=0)
    d_plus = np.sqrt(((v - best) ** 2).sum(axis=1))
    d_minus = np.sqrt(((v - worst) ** 2).sum(axis=1))
    expected = d_minus / (d_plus + d_minus)
    assert cp.topsis(frame, [0.5, 0.5]).tolist() == pytest.approx(expected.tolist())
    # By hand: A d+ = sqrt(0.17), d- = 0.3; B d+ = 0.1, d- = 0.5; C d+ = d- = 0.4.
    assert expected.tolist() == pytest.approx([0.3 / (0.3 + np.sqrt(0.17)), 5 / 6, 0.5])


def test_topsis_dominance_and_cost_criteria():
    frame = pd.DataFrame({"good": [1.0, 2.0, 3.0], "bad": [3.0, 2.0, 1.0]}, index=["worst", "mid", "best"])
    closeness = cp.topsis(frame, [0.5, 0.5], {"good": 1, "bad": -1})
    assert closeness["best"] == pytest.approx(1.0) and closeness["worst"] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="sum to 1"):
        cp.topsis(frame, [0.5, 0.6])


def test_coupling_coordination_bounds_and_equal_subsystems():
    grid = np.linspace(0, 1, 21)
    u1, u2 = np.meshgrid(grid, grid)
    for corrected in (True, False):
        result = coupling.coupling_coordination(u1.ravel(), u2.ravel(), corrected=corrected)
        assert ((result["C"] >= 0) & (result["C"] <= 1 + 1e-12)).all()
        assert ((result["D"] >= 0) & (result["D"] <= 1 + 1e-12)).all()
    equal = coupling.coupling_coordination([0.2, 0.7], [0.2, 0.7])
    assert equal["C"].tolist() == pytest.approx([1.0, 1.0])
    assert equal["D"].tolist() == pytest.approx([np.sqrt(0.2), np.sqrt(0.7)])
    # The corrected C is never above the classic one and falls with the absolute gap.
    classic = coupling.coupling_coordination([0.1, 0.5], [0.2, 1.0], corrected=False)["C"]
    corrected = coupling.coupling_coordination([0.1, 0.5], [0.2, 1.0])["C"]
    assert classic[0] == pytest.approx(classic[1]) and corrected[0] > corrected[1]
    assert (corrected <= classic + 1e-12).all()
    assert coupling.coupling_coordination([0.5], [0.9])["C"][0] == pytest.approx(np.sqrt((1 - 0.4) * 0.5 / 0.9))


def test_coordination_bands():
    assert coupling.coordination_band(0.0) == "extreme imbalance"
    assert coupling.coordination_band(0.55) == "barely coordinated"
    assert coupling.coordination_band(1.0) == "high-quality coordination"
    with pytest.raises(ValueError):
        coupling.coordination_band(1.2)


def test_obstacle_degrees_sum_to_100_and_point_at_the_weak_indicator():
    frame = pd.DataFrame({"a": [1.0, 5.0, 9.0], "b": [9.0, 5.0, 1.0]}, index=["x", "y", "z"])
    weights = pd.Series({"a": 0.5, "b": 0.5})
    obstacles = cp.obstacle_degree(frame, weights)
    assert obstacles.sum(axis=1).tolist() == pytest.approx([100, 100, 100])
    assert obstacles.loc["x", "a"] == pytest.approx(100) and obstacles.loc["z", "b"] == pytest.approx(100)


def test_top_obstacles():
    obstacles = pd.DataFrame({"a": [10.0, 60.0], "b": [30.0, 30.0], "c": [60.0, 10.0]}, index=["p", "q"])
    assert cp.top_obstacles(obstacles, 2).to_dict() == {"p": "c, b", "q": "a, b"}


# --- pymcdm, an independent implementation -------------------------------------------------------

@pytest.fixture(scope="module")
def panel():
    return official.load_panel()


@pytest.fixture(scope="module")
def index(panel):
    return cp.pooled_index(panel)


def _pool(panel):
    frame = panel[list(cp.INDEX_INDICATORS)].dropna()
    return frame, np.array(list(cp.INDEX_INDICATORS.values()))


def test_entropy_weights_match_pymcdm_on_positive_data():
    """On a strictly positive matrix (no zero after min–max: we pass it pre-scaled and shifted),
    pymcdm's sum-normalised entropy is the same formula."""
    rng = np.random.default_rng(1)
    matrix = pd.DataFrame(rng.uniform(0.5, 3.0, (40, 5)) ** np.arange(1, 6))
    scaled = cp.minmax_normalize(matrix)
    # With a vanishing positive shift the entropy of the min-max matrix tends to ours (0 ln 0 = 0);
    # pymcdm sets the entropy of a column with an exact zero to 0 instead, hence the shift.
    for shift, tolerance in ((1e-9, 1e-7), (1e-12, 1e-10)):
        np.testing.assert_allclose(pymcdm_entropy_weights(scaled.to_numpy() + shift), cp.entropy_weights(matrix),
                                   atol=tolerance)


def test_book_entropy_weights_match_pymcdm(panel, index):
    frame, types = _pool(panel)
    scaled = cp.minmax_normalize(frame, cp.INDEX_INDICATORS).to_numpy()
    assert len(frame) == len(index.scores) == 31 * len(index.years)
    np.testing.assert_allclose(pymcdm_entropy_weights(scaled + 1e-12), index.weights.to_numpy(), atol=1e-10)


def test_book_index_is_pymcdm_topsis_with_minmax_normalization(panel, index):
    frame, types = _pool(panel)
    reference = TOPSIS(normalizations.minmax_normalization)(frame.to_numpy(), index.weights.to_numpy(), types)
    np.testing.assert_allclose(index.scores["closeness"].to_numpy(), reference, atol=1e-12)
    # The earlier construction (min-max, then vector-normalised again inside TOPSIS) is a different index.
    doubled = TOPSIS(normalizations.vector_normalization)(cp.minmax_normalize(frame, cp.INDEX_INDICATORS).to_numpy()
                                                         + 1e-6, index.weights.to_numpy(), np.ones(len(types)))
    assert np.abs(doubled - reference).max() > 0.05


@pytest.mark.parametrize("normalization, function", [("vector", normalizations.vector_normalization),
                                                      ("minmax", normalizations.minmax_normalization)])
def test_topsis_matches_pymcdm(normalization, function):
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(rng.uniform(1, 10, (12, 4)), columns=list("abcd"))
    directions = {"a": 1, "b": -1, "c": 1, "d": -1}
    weights = np.array([0.1, 0.2, 0.3, 0.4])
    reference = TOPSIS(function)(frame.to_numpy(), weights, np.array(list(directions.values())))
    ours = cp.topsis(frame, weights, directions, normalization=normalization)
    np.testing.assert_allclose(ours.to_numpy(), reference, atol=1e-12)


# --- rank intervals centred on the published index ----------------------------------------------

def test_every_published_rank_lies_inside_its_interval(index):
    year = max(index.years)
    ranks = cp.rank_uncertainty(index, year, draws=1000, seed=20261123)
    published = index.year(year)["rank"]
    assert ranks["rank"].to_dict() == published.to_dict()
    assert ranks["inside"].all(), ranks[~ranks["inside"]]
    assert (ranks["rank_p05"] <= ranks["median_rank"]).all() and (ranks["median_rank"] <= ranks["rank_p95"]).all()


def test_containment_can_fail_when_the_monte_carlo_is_not_centred(index):
    """The same Dirichlet weights, but the earlier double normalisation (min-max, then vector) in
    the draws: some published ranks fall outside their intervals, so the containment test has power."""
    year = max(index.years)
    rows = (index.scores["year"] == year).to_numpy()
    matrix = index.normalized.to_numpy() + 1e-6
    k = len(index.weights)
    weights = np.random.default_rng(20261123).dirichlet(20 * k * index.weights.to_numpy(), size=300)
    method = TOPSIS(normalizations.vector_normalization)
    ranks = np.column_stack([pd.Series(method(matrix, w, np.ones(k))[rows]).rank(ascending=False, method="min")
                             for w in weights])
    low, high = np.percentile(ranks, 5, axis=1), np.percentile(ranks, 95, axis=1)
    published = index.year(year)["rank"].to_numpy()
    assert ((published < low) | (published > high)).sum() >= 1


def test_rank_intervals_shrink_to_the_published_ranks_as_the_weights_concentrate(index):
    year = max(index.years)
    tight = cp.rank_uncertainty(index, year, draws=200, seed=1, concentration=1e10)
    assert (tight["rank_p05"] == tight["rank"]).all() and (tight["rank_p95"] == tight["rank"]).all()
    loose = cp.rank_uncertainty(index, year, draws=200, seed=1, concentration=2.0)
    assert (loose["rank_p95"] - loose["rank_p05"]).sum() > 0
    assert loose.equals(cp.rank_uncertainty(index, year, draws=200, seed=1, concentration=2.0))


def test_index_indicators_carry_no_national_break():
    """The index pools years, so none of its indicators may change definition nationally inside
    the pool. Rural electricity use (national break in 2020) would fail this; it is left out."""
    from ruralrev.data.breaks import flags as break_flags

    for code in cp.INDEX_INDICATORS:
        assert not (break_flags.flags_for(code)["rule"] == "national-break").any(), code
    assert (break_flags.flags_for("electricity_per_rural_capita")["rule"] == "national-break").sum() >= 10
    assert "electricity_per_rural_capita" not in cp.INDEX_INDICATORS


def test_contributions_are_weighted_normalised_values(index):
    year = max(index.years)
    contributions = index.contributions(year)
    rows = (index.scores["year"] == year).to_numpy()
    expected = index.normalized[rows].to_numpy() * index.weights.to_numpy()
    np.testing.assert_allclose(contributions.to_numpy(), expected)
    assert list(contributions.index) == list(index.year(year).index)
    # Closeness from the contributions: ||w m|| / (||w (1 - m)|| + ||w m||).
    to_worst = np.sqrt((contributions ** 2).sum(axis=1))
    to_best = np.sqrt(((index.weights.to_numpy() - contributions) ** 2).sum(axis=1))
    np.testing.assert_allclose((to_worst / (to_worst + to_best)).to_numpy(), index.year(year)["closeness"].to_numpy())
    with pytest.raises(ValueError, match="not among the pooled years"):
        index.contributions(1999)


def test_obstacles_on_the_index_scale(index):
    year = max(index.years)
    obstacles = index.obstacles(year)
    assert obstacles.sum(axis=1).to_numpy() == pytest.approx(100)
    assert set(obstacles.index) == set(index.year(year).index)


def test_pool_restricted_to_years_and_indicators(panel):
    living = {"rural_income": 1, "rural_consumption": 1}
    restricted = cp.pooled_index(panel, living, years=range(2020, 2024))
    assert restricted.years == (2020, 2021, 2022, 2023) and list(restricted.weights.index) == list(living)
    frame = panel[panel["year"].between(2020, 2023)][list(living)]
    np.testing.assert_allclose(restricted.weights.to_numpy(), cp.entropy_weights(frame, living).to_numpy())
    scores = cp.subsystem_scores(panel, 2023, years=range(2020, 2024), living=living)
    assert ((scores["U2_living"] >= 0) & (scores["U2_living"] <= 1)).all()
    with pytest.raises(ValueError, match="unknown indicator"):
        cp.pooled_index(panel, {"nonsense": 1})


# --- comparable years from a flag table ---------------------------------------------------------

def _flags(rows):
    return pd.DataFrame(rows, columns=list(pooling.FLAG_COLUMNS))


def test_comparable_years_around_a_series_break():
    flags = _flags([("rural_electricity", "Shanghai", 2019, 2020, 1102.0, 10.2, -99.1, "jump"),
                    ("rural_electricity", "Jiangsu", 2019, 2020, 2000.0, 700.0, -65.0, "jump"),
                    ("machinery_power", "Hebei", 2017, 2018, 100.0, 76.0, -24.0, "jump")])
    years = range(2016, 2025)
    assert pooling.comparable_years(flags, "rural_electricity", years) == [2020, 2021, 2022, 2023, 2024]
    assert pooling.comparable_years(flags, "rural_income", years) == list(years)
    # Several series: every break cuts; 2016-2017 | 2018-2019 | 2020-2024.
    both = pooling.comparable_years(flags, ["rural_electricity", "machinery_power"], years)
    assert both == [2020, 2021, 2022, 2023, 2024]
    # A break flagged in one province only is ignored with min_provinces=2.
    assert pooling.comparable_years(flags, "machinery_power", years, min_provinces=2) == list(years)
    # Ties go to the later run; a break inside a gap of the candidate years still cuts.
    assert pooling.comparable_years(flags, "rural_electricity", [2018, 2019, 2020, 2021]) == [2020, 2021]
    assert pooling.comparable_years(flags, "rural_electricity", [2016, 2018, 2022]) == [2016, 2018]
    assert pooling.break_steps(flags, "rural_electricity") == [(2019, 2020)]
    with pytest.raises(ValueError, match="lacks column"):
        pooling.comparable_years(flags.drop(columns="rule"), "rural_electricity", years)
    # The run holding a given year, rather than the longest.
    assert pooling.comparable_years(flags, "rural_electricity", years, containing=2017) == [2016, 2017, 2018, 2019]
    assert pooling.comparable_years(flags, ["rural_electricity", "machinery_power"], years,
                                          containing=2018) == [2018, 2019]
    with pytest.raises(ValueError, match="2030 is not among the candidate years"):
        pooling.comparable_years(flags, "rural_electricity", years, containing=2030)


def test_province_flags_at_a_cross_section():
    flags = _flags([("rural_electricity", "Shanghai", 2019, 2020, 1102.0, 10.2, -99.1, "national-break"),
                    ("rural_electricity", "Jilin", 2022, 2023, 58.8, 87.1, 48.1, "province-break"),
                    ("rural_electricity", "Hainan", 2021, 2022, 62.7, 46.1, -26.4, "province-break")])
    # A national break leaves a cross-section comparable; a province's own step touching the year does not.
    assert pooling.province_flags_at(flags, 2020).empty
    assert pooling.province_flags_at(flags, 2023)["province"].tolist() == ["Jilin"]
    assert pooling.province_flags_at(flags, 2022)["province"].tolist() == ["Jilin", "Hainan"]
    assert pooling.province_flags_at(flags, 2019).empty


def test_flag_summary_for_pooling_and_for_a_cross_section():
    flags = {"electricity": _flags([("rural_electricity", "Shanghai", 2019, 2020, 1102.0, 10.2, -99.1, "national-break"),
                                    ("rural_electricity", "Jiangsu", 2019, 2020, 1949.1, 479.6, -75.4, "national-break"),
                                    ("rural_electricity", "Jilin", 2022, 2023, 58.8, 87.1, 48.1, "province-break"),
                                    ("rural_electricity", "Hainan", 2022, 2023, 46.1, 76.2, 65.2, "province-break"),
                                    ("rural_electricity", "Hainan", 2021, 2022, 62.7, 46.1, -26.4, "province-break")]),
             "income": _flags([])}
    table = pooling.flag_summary(flags, 2023).set_index("indicator")
    assert table.loc["electricity"].to_dict() == {"national_breaks": "2019→2020", "province_flags": 3,
                                                  "provinces": 2, "at_year": "Hainan, Jilin"}
    assert table.loc["income"].to_dict() == {"national_breaks": "", "province_flags": 0, "provinces": 0,
                                             "at_year": ""}
    with pytest.raises(ValueError, match="flags of income lack"):
        pooling.flag_summary({"income": pd.DataFrame({"series": []})}, 2023)


def test_rank_sensitivity_checks_that_can_fail(index):
    """The share of draws keeping the top three can be far below 1 (loose weights) and reaches 1
    as the weights concentrate; the s.d. of the largest weight matches the Dirichlet closed form."""
    year = max(index.years)
    table = cp.rank_sensitivity(index, year, (1.0, 20.0, 1e9), draws=400, seed=3).set_index("concentration")
    assert table.loc[1.0, "top_kept"] < 0.8 and table.loc[1.0, "bottom_kept"] < 0.5
    assert table.loc[1e9, "top_kept"] == 1.0 and table.loc[1e9, "bottom_kept"] == 1.0
    assert table.loc[1e9, "median_width"] == 0
    assert table.loc[1.0, "median_width"] > table.loc[20.0, "median_width"]
    w = index.weights.to_numpy()
    draws = np.random.default_rng(0).dirichlet(20.0 * len(w) * w, size=20000)[:, np.argmax(w)]
    assert table.loc[20.0, "sd_top_weight"] == pytest.approx(draws.std(), rel=0.03)

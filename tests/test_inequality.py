"""Inequality measures checked against mathematics and against pysal where weights are equal."""

import numpy as np
import pandas as pd
import pytest
from inequality.gini import Gini
from inequality.theil import Theil, TheilD

from ruralrev.stats.inequality import by_group
from ruralrev.stats.inequality import measures as ineq

RNG = np.random.default_rng(20261123)
Y = RNG.lognormal(mean=9.8, sigma=0.35, size=31)
W = RNG.uniform(100, 9000, size=31)
G = np.array(["East"] * 10 + ["Central"] * 6 + ["West"] * 12 + ["Northeast"] * 3)


def test_equal_incomes_give_zero():
    y = np.full(8, 12_000.0)
    assert ineq.theil_t(y, W[:8]) == pytest.approx(0, abs=1e-15)
    assert ineq.gini(y, W[:8]) == pytest.approx(0, abs=1e-15)
    assert ineq.coefficient_of_variation(y, W[:8]) == pytest.approx(0, abs=1e-15)
    assert ineq.dagum_gini(y, W[:8], G[:8]).total == pytest.approx(0, abs=1e-15)


def test_two_equal_groups_theil_is_ln2_all_between():
    y, groups = [0, 0, 0, 10, 10, 10], [0, 0, 0, 1, 1, 1]
    result = ineq.theil_decomposition(y, None, groups)
    assert result.total == pytest.approx(np.log(2))
    assert result.between == pytest.approx(np.log(2))
    assert result.within == pytest.approx(0)


def test_theil_decomposition_sums_to_total():
    result = ineq.theil_decomposition(Y, W, G)
    assert result.between + result.within == pytest.approx(result.total, rel=1e-12)
    assert result.groups["population_share"].sum() == pytest.approx(1)
    assert result.groups["income_share"].sum() == pytest.approx(1)


def test_equal_weights_match_pysal():
    assert ineq.theil_t(Y) == pytest.approx(Theil(Y).T, rel=1e-12)
    reference = TheilD(Y, G)
    ours = ineq.theil_decomposition(Y, None, G)
    assert ours.between == pytest.approx(float(np.squeeze(reference.bg)), rel=1e-10)
    assert ours.within == pytest.approx(float(np.squeeze(reference.wg)), rel=1e-10)
    assert ineq.gini(Y) == pytest.approx(Gini(Y).g, rel=1e-12)


def test_integer_weights_equal_replicated_observations():
    y = np.array([3.0, 8.0, 15.0, 40.0])
    counts = np.array([1, 3, 2, 5])
    expanded = np.repeat(y, counts)
    assert ineq.theil_t(y, counts) == pytest.approx(ineq.theil_t(expanded), rel=1e-12)
    assert ineq.gini(y, counts) == pytest.approx(ineq.gini(expanded), rel=1e-12)
    groups = np.array(["a", "a", "b", "b"])
    weighted = ineq.dagum_gini(y, counts, groups)
    replicated = ineq.dagum_gini(expanded, None, np.repeat(groups, counts))
    assert weighted.net_between == pytest.approx(replicated.net_between, rel=1e-12)
    assert weighted.transvariation == pytest.approx(replicated.transvariation, rel=1e-12)


def test_scale_invariance_and_permutation():
    perm = RNG.permutation(len(Y))
    for measure in (ineq.theil_t, ineq.gini, ineq.coefficient_of_variation):
        assert measure(Y * 7.3, W) == pytest.approx(measure(Y, W), rel=1e-12)
        assert measure(Y[perm], W[perm]) == pytest.approx(measure(Y, W), rel=1e-12)
    a, b = ineq.dagum_gini(Y, W, G), ineq.dagum_gini(Y[perm] * 2, W[perm], G[perm])
    assert (b.within, b.net_between, b.transvariation) == pytest.approx((a.within, a.net_between, a.transvariation))


def test_dagum_components_sum_to_the_gini():
    result = ineq.dagum_gini(Y, W, G)
    assert result.within + result.net_between + result.transvariation == pytest.approx(result.total, rel=1e-12)
    assert result.total == pytest.approx(ineq.gini(Y, W))
    assert ((result.pairs["D_jh"] >= 0) & (result.pairs["D_jh"] <= 1)).all()
    assert len(result.pairs) == 6


def test_dagum_non_overlapping_groups():
    y = np.array([1.0, 2.0, 3.0, 10.0, 11.0, 30.0, 31.0, 35.0])
    w = np.array([2.0, 1.0, 4.0, 1.0, 3.0, 2.0, 2.0, 1.0])
    g = np.array(["low"] * 3 + ["mid"] * 2 + ["high"] * 3)
    result = ineq.dagum_gini(y, w, g)
    p = {k: w[g == k].sum() / w.sum() for k in ("low", "mid", "high")}
    m = {k: (w[g == k] * y[g == k]).sum() / w[g == k].sum() for k in ("low", "mid", "high")}
    mu = (w * y).sum() / w.sum()
    expected = sum(p[a] * p[b] * abs(m[a] - m[b]) for a, b in [("low", "mid"), ("low", "high"), ("mid", "high")]) / mu
    assert result.net_between == pytest.approx(expected, rel=1e-12)
    assert result.transvariation == pytest.approx(0, abs=1e-15)
    assert (result.pairs["D_jh"] == 1).all()


def test_cv_known_value():
    # y = [1, 3] with weights [3, 1]: mean 1.5, variance 0.75 → CV = sqrt(0.75)/1.5
    assert ineq.coefficient_of_variation([1, 3], [3, 1]) == pytest.approx(np.sqrt(0.75) / 1.5)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="non-negative"):
        ineq.theil_t([1, -2])
    with pytest.raises(ValueError, match="finite"):
        ineq.gini([1, np.nan])
    with pytest.raises(ValueError, match="weights must be positive"):
        ineq.theil_t([1, 2], [1, 0])
    with pytest.raises(ValueError, match="group label"):
        ineq.dagum_gini([1, 2])


def test_weighted_mean_by_year():
    panel = pd.DataFrame({"year": [2020, 2020, 2021, 2021], "y": [1.0, 3.0, 2.0, np.nan], "w": [3.0, 1.0, 5.0, 5.0]})
    means = by_group.weighted_mean_by_year(panel, "y", "w")
    assert means.to_dict() == {2020: pytest.approx(1.5), 2021: pytest.approx(2.0)}


def test_mean_ratio_is_the_ratio_of_the_two_weighted_means_by_hand():
    """Urban over rural income of a group: each income weighted by its own population (hand sums)."""
    frame = pd.DataFrame({"year": [2020, 2020, 2020], "province": ["Beijing", "Tianjin", "Gansu"],
                          "urban_income": [80.0, 50.0, 30.0], "urban_population": [2.0, 1.0, 1.0],
                          "rural_income": [30.0, 20.0, 10.0], "rural_population": [1.0, 3.0, 4.0]})
    frame["region"] = ["East", "East", "West"]
    ratio = by_group.mean_ratio(frame, "urban_income", "urban_population", "rural_income", "rural_population")
    east = ((2 * 80 + 50) / 3) / ((30 + 3 * 20) / 4)
    national = ((2 * 80 + 50 + 30) / 4) / ((30 + 3 * 20 + 4 * 10) / 8)
    assert ratio.loc[2020, "East"] == pytest.approx(east) and ratio.loc[2020, "West"] == pytest.approx(3.0)
    assert ratio.loc[2020, "National"] == pytest.approx(national)
    assert national != pytest.approx(np.mean([80 / 30, 50 / 20, 30 / 10]))   # not a mean of provincial ratios

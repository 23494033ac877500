"""Theil and Dagum between-group shares: the identity G_nb = Gini of the group means, checked on
random data and against pysal ``inequality`` (equal weights), against the decomposition series
on the book's data, and the book's numbers (a snapshot)."""

import numpy as np
import pytest
from inequality.gini import Gini
from inequality.theil import TheilD

from ruralrev.stats.inequality import by_group as ineq
from ruralrev.stats.inequality import theil_dagum


def test_net_between_gini_is_the_gini_of_group_means():
    rng = np.random.default_rng(3)
    for _ in range(5):
        y, w = rng.lognormal(9, 0.4, 40), rng.uniform(1, 100, 40)
        groups = rng.choice(["a", "b", "c", "d"], 40)
        shares = theil_dagum.between_shares(y, w, groups)
        assert shares.gini_of_means == pytest.approx(shares.dagum_net_between, rel=1e-10)
        assert shares.dagum_within + shares.dagum_net_between + shares.dagum_transvariation == pytest.approx(1.0)
        assert shares.theil_within_weight == pytest.approx(1.0)


def test_equal_weights_agree_with_pysal():
    rng = np.random.default_rng(8)
    y = rng.lognormal(9, 0.5, 60)
    groups = np.repeat(["a", "b", "c"], 20)
    shares = theil_dagum.between_shares(y, None, groups)
    theil = TheilD(y, groups)
    assert shares.theil_between == pytest.approx(float(np.squeeze(theil.bg)) / float(np.squeeze(theil.T)), rel=1e-9)
    means = np.repeat([y[groups == g].mean() for g in "abc"], 20)
    assert shares.gini_of_means == pytest.approx(Gini(means).g / Gini(y).g, rel=1e-9)


def test_book_shares_by_region(panel):
    table = theil_dagum.between_shares_by_year(panel, "rural_income", "rural_population", "region",
                                                  [2016, 2024]).set_index("year")
    series = ineq.decomposition_series(panel, "rural_income", "rural_population", "region", [2016, 2024]).set_index("year")
    np.testing.assert_allclose(table["theil_between"], series["theil_between_share"], rtol=1e-12)
    np.testing.assert_allclose(table["dagum_net_between"], series["gini_net_between"] / series["gini"], rtol=1e-12)
    with pytest.raises(ValueError, match="no year has"):
        theil_dagum.between_shares_by_year(panel, "rural_income", "rural_population", "region", [2031])


@pytest.mark.snapshot
def test_book_shares_by_region_in_2024(panel):
    table = theil_dagum.between_shares_by_year(panel, "rural_income", "rural_population", "region",
                                               [2024]).set_index("year")
    assert table.loc[2024, "theil_between"] == pytest.approx(0.5435, abs=1e-4)
    assert table.loc[2024, "dagum_net_between"] == pytest.approx(0.7770, abs=1e-4)
    assert table.loc[2024, "gini_within_weight"] == pytest.approx(0.3003, abs=1e-4)

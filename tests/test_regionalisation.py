"""Contiguous regions: contiguity, determinism, agreement with k-means measured by sklearn's ARI."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from ruralrev.book import params
from ruralrev.data import official
from ruralrev.stats.clustering import constrained, partitions


@pytest.fixture(scope="module")
def z(w):
    panel = official.load_panel()
    indicators = {c.name: c for c in params.load_plan()}["typology"].parameters["indicators"]
    year = partitions.latest_complete_year(panel, indicators, 2024)
    return partitions.feature_matrix(panel, year, indicators)[1].loc[list(w.id_order)]


@pytest.mark.snapshot
def test_the_typology_indicators_are_complete_up_to_2023():
    panel = official.load_panel()
    indicators = {c.name: c for c in params.load_plan()}["typology"].parameters["indicators"]
    year = partitions.latest_complete_year(panel, indicators, 2024)
    assert year == 2023   # sown area, the denominator of two indicators, ends in 2023


@pytest.mark.parametrize("method", constrained.REGION_METHODS)
def test_regions_are_contiguous_and_deterministic(z, w, method):
    regions = constrained.constrained_regions(z, w, 4, method)
    assert sorted(regions.unique()) == [1, 2, 3, 4]
    assert constrained.is_contiguous(regions, w)
    assert regions.equals(constrained.constrained_regions(z, w, 4, method))
    assert w.transform == "R"   # the caller's weights are left row-standardised


@pytest.mark.snapshot
@pytest.mark.parametrize("method", constrained.REGION_METHODS)
def test_beijing_and_tianjin_share_the_richest_region(z, w, method):
    regions = constrained.constrained_regions(z, w, 4, method)
    assert regions["Beijing"] == regions["Tianjin"] == 1   # the richest group is numbered 1


def test_is_contiguous_detects_a_split_group(w):
    labels = pd.Series(1, index=list(w.id_order))
    labels[["Beijing", "Hainan"]] = 2
    assert not constrained.is_contiguous(labels, w)


def test_comparison_with_kmeans(z, w):
    comparison = constrained.compare_partitions(z, w, 4, "skater", seed=20261123)
    kmeans = partitions.fit_partition(z, "kmeans", 4, 20261123)
    np.testing.assert_array_equal(comparison.unconstrained.to_numpy(), kmeans)
    assert comparison.ari == pytest.approx(adjusted_rand_score(kmeans, comparison.constrained))
    assert 0 < comparison.r2_constrained <= comparison.r2_unconstrained < 1
    assert comparison.sizes.sum().tolist() == [31, 31]


def test_r_squared_of_trivial_partitions(z):
    assert constrained.r_squared(z, np.arange(len(z))) == pytest.approx(1.0)
    assert constrained.r_squared(z, np.ones(len(z))) == pytest.approx(0.0)


def test_match_labels_renumbers_to_the_most_overlapping_group():
    labels = pd.Series([1, 1, 2, 2, 3], index=list("abcde"))
    reference = pd.Series([2, 2, 3, 3, 1], index=list("abcde"))
    assert constrained.match_labels(labels, reference).tolist() == [2, 2, 3, 3, 1]
    more = pd.Series([1, 2, 3, 4, 4], index=list("abcde"))
    matched = constrained.match_labels(more, pd.Series([1, 1, 2, 2, 2], index=list("abcde")))
    assert matched.nunique() == 4 and matched["d"] == matched["e"]


def test_a_region_sharing_no_province_with_its_pair_gets_a_number_of_its_own():
    # Regions {a, b} and {c, d} both lie inside cluster 1; cluster 2 is {e}, region 3 is {e}.
    regions = pd.Series([1, 1, 2, 2, 3], index=list("abcde"))
    clusters = pd.Series([1, 1, 1, 1, 2], index=list("abcde"))
    matched = constrained.match_labels(regions, clusters)
    assert matched["a"] == 1 and matched["e"] == 2
    assert matched["c"] not in (1, 2) and matched["c"] == matched["d"]


def test_drop_sensitivity_against_the_referee(z, w):
    """Independent re-analysis (spopt SKATER, scikit-learn k-means): without electricity the regions
    barely move (ARI 0.91 with the original ones), without machinery they do (0.44)."""
    panel = official.load_panel()
    indicators = list(z.columns)
    base = constrained.compare_partitions(z, w, 4, "skater")
    drops = {"none": [], "electricity": ["electricity_per_rural_capita"], "machinery": ["machinery_per_rural_capita"]}
    table = constrained.drop_sensitivity(panel, 2023, indicators, drops, w, 4, base).set_index("name")
    assert "none" not in table.index
    assert table.loc["electricity", "regions_ari"] == pytest.approx(0.91, abs=0.01)
    assert table.loc["machinery", "regions_ari"] == pytest.approx(0.44, abs=0.01)
    assert base.ari == pytest.approx(0.61, abs=0.01)

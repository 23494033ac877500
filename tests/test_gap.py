"""The gap statistic on data whose number of clusters is known, including none."""

import numpy as np
import pandas as pd
import pytest

from ruralrev.stats.clustering import number_of_clusters
from ruralrev.stats.clustering import partitions as cl


def _blobs(k: int, per: int = 12, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    layouts = {2: [[0, 0], [8, 0]], 4: [[0, 0], [8, 0], [0, 8], [8, 8]]}
    points = np.vstack([np.array(c, float) + rng.normal(0, 0.6, (per, 2)) for c in layouts[k]])
    return pd.DataFrame(points, columns=["a", "b"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_uniform_data_on_a_hypercube_have_no_clusters(seed):
    """Tibshirani et al.'s null case: uniform on the unit hypercube, the rule must pick k = 1."""
    noise = np.random.default_rng(seed).uniform(0, 1, (50, 5))
    result = number_of_clusters.gap_statistic(noise, range(1, 6), references=30, seed=seed)
    assert result.k == 1 and result.no_structure and result.rule_met


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_three_cluster_simulation_of_tibshirani_et_al(seed):
    """Their simulation (b): 25, 25 and 50 points, sd 1, centred at (0,0), (0,5), (5,-3)."""
    rng = np.random.default_rng(seed)
    x = np.vstack([rng.normal([0, 0], 1, (25, 2)), rng.normal([0, 5], 1, (25, 2)),
                   rng.normal([5, -3], 1, (50, 2))])
    result = number_of_clusters.gap_statistic(x, range(1, 7), references=30, seed=seed)
    assert result.k == 3 and not result.no_structure


@pytest.mark.parametrize("k", [2, 4])
def test_separated_blobs(k):
    assert number_of_clusters.gap_statistic(_blobs(k), range(1, 7), references=30).k == k


def test_gap_table_identities_and_settings():
    x = _blobs(2).to_numpy()
    result = number_of_clusters.gap_statistic(x, range(1, 4), references=20, n_init=7, seed=3)
    table = result.table
    assert table["gap"].to_numpy() == pytest.approx((table["expected_log_w"] - table["log_w"]).to_numpy())
    # W_1 is the total sum of squares around the mean.
    assert table.loc[0, "log_w"] == pytest.approx(np.log(((x - x.mean(axis=0)) ** 2).sum()))
    assert number_of_clusters.within_dispersion(x, np.ones(len(x))) == pytest.approx(np.exp(table.loc[0, "log_w"]))
    assert (result.n_init, result.references, result.seed) == (7, 20, 3)
    assert table.equals(number_of_clusters.gap_statistic(x, range(1, 4), references=20, seed=3, n_init=7).table)


def test_one_standard_error_rule_by_hand():
    table = pd.DataFrame({"k": [1, 2, 3, 4], "gap": [0.10, 0.50, 0.55, 0.56], "gap_se": [0.05, 0.05, 0.06, 0.05]})
    # k=1: 0.10 >= 0.50 - 0.05? no. k=2: 0.50 >= 0.55 - 0.06 = 0.49? yes.
    assert number_of_clusters.choose_k_gap(table) == 2
    rising = pd.DataFrame({"k": [1, 2, 3], "gap": [0.1, 0.3, 0.6], "gap_se": [0.01, 0.01, 0.01]})
    assert number_of_clusters.choose_k_gap(rising) == 3      # none qualifies: the largest k tried
    with pytest.raises(ValueError, match="consecutive"):
        number_of_clusters.gap_statistic(_blobs(2), [1, 3])


def test_k_selection_starts_at_one_and_reports_the_gap():
    selection = cl.k_selection(_blobs(2), range(1, 5), references=20)
    assert selection.table["k"].tolist() == [1, 2, 3, 4]
    assert np.isnan(selection.table.loc[0, "silhouette"]) and selection.choose("silhouette") == 2
    assert selection.choose("gap") == selection.gap.k == 2


def test_gap_rules_of_r_cluster_maxse_by_hand():
    """The three rules on two curves, computed by hand as R's cluster::maxSE (SE.factor = 1) does."""
    # A slow steady rise (the shape of the book's 2023 curve): no step exceeds its s.e.
    slow = pd.DataFrame({"k": range(1, 9), "gap": [0.42, 0.44, 0.48, 0.47, 0.49, 0.55, 0.63, 0.64],
                         "gap_se": [0.10, 0.08, 0.08, 0.08, 0.08, 0.08, 0.09, 0.09]})
    # Tibs2001SEmax: 0.42 >= 0.44 - 0.08 -> k = 1.
    assert number_of_clusters.choose_k_gap(slow) == number_of_clusters.choose_k_gap(slow, "Tibs2001SEmax") == 1
    # firstSEmax: first fall after k = 3 (0.48 -> 0.47), so m = 3; 0.42 >= 0.48 - 0.08 -> k = 1.
    assert number_of_clusters.choose_k_gap(slow, "firstSEmax") == 1
    # globalSEmax: m = 8 (0.64); the smallest k with gap >= 0.64 - 0.09 = 0.55 is k = 6.
    assert number_of_clusters.choose_k_gap(slow, "globalSEmax") == 6
    # A jump at k = 3 after a dip (three separated groups in a triangle, below).
    jump = pd.DataFrame({"k": [1, 2, 3, 4], "gap": [-0.43, -0.36, 2.19, 2.01], "gap_se": [0.11, 0.11, 0.12, 0.11]})
    assert number_of_clusters.choose_k_gap(jump) == 1                          # -0.43 >= -0.36 - 0.11
    assert number_of_clusters.choose_k_gap(jump, "firstSEmax") == 3 and number_of_clusters.choose_k_gap(jump, "globalSEmax") == 3
    with pytest.raises(ValueError, match="unknown gap rule"):
        number_of_clusters.choose_k_gap(jump, "elbow")


def test_tibshiranis_rule_stops_early_on_three_groups_in_a_triangle():
    """A known weakness of the first-k rule, kept visible: three well-separated groups at the
    corners of a triangle leave the gap at k = 2 no higher than at k = 1, so the rule stops at 1;
    the rules that look for the maximum find 3. The largest step (k = 2 -> 3) is many s.e."""
    rng = np.random.default_rng(5)
    centres = np.array([[0, 0], [8, 0], [4, 7]], float)
    x = np.vstack([c + rng.normal(0, 0.6, (12, 2)) for c in centres])
    result = number_of_clusters.gap_statistic(x, range(1, 6), references=20)
    assert result.k == 1 and result.k_by("firstSEmax") == 3 and result.k_by("globalSEmax") == 3
    step = result.largest_step()
    assert step["k"] == 2 and step["ratio"] > 10


def test_largest_step_by_hand():
    table = pd.DataFrame({"k": [1, 2, 3], "gap": [0.1, 0.3, 0.35], "gap_se": [0.05, 0.1, 0.02]})
    result = number_of_clusters.GapStatistic(table=table, k=1, rule_met=True, references=2, n_init=1, seed=0)
    # Steps: 0.2 / 0.1 = 2 (k = 1 -> 2), 0.05 / 0.02 = 2.5 (k = 2 -> 3).
    assert result.largest_step() == pytest.approx({"k": 2, "rise": 0.05, "se": 0.02, "ratio": 2.5})


def test_the_two_reference_boxes():
    """Method a draws each feature within its own range; method b within the principal-component
    box. On two strongly correlated features only method b keeps the correlation (the shape)."""
    rng = np.random.default_rng(7)
    t = rng.uniform(-1, 1, 200)
    x = np.column_stack([t, t + rng.normal(0, 0.05, 200)])
    features = np.vstack(number_of_clusters.reference_sets(x, 20, 1, box="features"))
    assert (features.min(axis=0) >= x.min(axis=0)).all() and (features.max(axis=0) <= x.max(axis=0)).all()
    pca = np.vstack(number_of_clusters.reference_sets(x, 20, 1, box="pca"))
    assert abs(np.corrcoef(features.T)[0, 1]) < 0.1
    assert np.corrcoef(pca.T)[0, 1] > 0.95 and np.corrcoef(x.T)[0, 1] > 0.95
    with pytest.raises(ValueError, match="box"):
        number_of_clusters.reference_sets(x, 2, 1, box="cube")


def test_k_over_seeds_repeats_the_rule_under_each_seed():
    picks = number_of_clusters.k_over_seeds(_blobs(4), range(1, 7), references=20, seeds=(1, 2, 3))
    assert picks == [4, 4, 4]
    assert picks[0] == number_of_clusters.gap_statistic(_blobs(4), range(1, 7), references=20, seed=1).k


@pytest.mark.slow
@pytest.mark.snapshot
def test_the_features_box_choice_moves_with_the_reference_draws_on_the_book_data():
    from ruralrev.data import official

    indicators = ["rural_income", "rural_consumption", "rural_all_income_ratio", "urbanization_rate",
                  "log_gdp_per_capita", "primary_share", "machinery_per_rural_capita", "electricity_per_rural_capita",
                  "grain_per_rural_capita", "fertiliser_per_sown_ha", "irrigation_ratio"]
    panel = official.load_panel()
    _, z = cl.feature_matrix(panel, cl.latest_complete_year(panel, indicators), indicators)
    seeds = [20261123 + s for s in range(2)]     # the typology page shows these and three more seeds
    assert number_of_clusters.k_over_seeds(z, range(1, 9), 100, seeds, box="features") == [7, 4]
    assert number_of_clusters.k_over_seeds(z, range(1, 9), 100, seeds[:1], box="pca") == [1]


def test_reference_component_share_against_scikit_learn():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(2)
    base = rng.normal(size=(31, 1))
    x = np.column_stack([base[:, 0] * 3, base[:, 0] * 2 + rng.normal(0, 0.3, 31), rng.normal(size=31), rng.normal(size=31)])
    for box in ("pca", "features"):
        shares = number_of_clusters.reference_component_share(x, 12, 5, box)
        expected = [PCA(1).fit(r).explained_variance_ratio_[0] for r in number_of_clusters.reference_sets(x, 12, 5, box)]
        assert shares == pytest.approx(expected)
    # The principal-component box keeps the data's elongation; the features' box loses much of it.
    assert np.median(number_of_clusters.reference_component_share(x, 50, 5, "pca")) > \
        np.median(number_of_clusters.reference_component_share(x, 50, 5, "features")) + 0.1

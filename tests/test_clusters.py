"""Clustering methods and partitions, on data whose answer is known; two snapshot tests pin what
they find on today's data."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from ruralrev.stats.clustering import partitions as cl


def _blobs(k: int, per: int = 12, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    # Two-dimensional layouts as in the simulations of Tibshirani et al. (2001).
    layouts = {2: [[0, 0], [8, 0]], 3: [[0, 0], [8, 0], [4, 7]], 4: [[0, 0], [8, 0], [0, 8], [8, 8]]}
    centres = np.array(layouts[k], dtype=float)
    points = np.vstack([c + rng.normal(0, 0.6, (per, 2)) for c in centres])
    return pd.DataFrame(points, columns=["a", "b"], index=[f"p{i}" for i in range(len(points))])


@pytest.mark.parametrize("method", cl.METHODS)
def test_methods_recover_separated_clusters_and_are_deterministic(method):
    data = _blobs(3)
    truth = np.repeat([0, 1, 2], 12)
    labels = cl.fit_partition(data, method, 3, seed=11)
    assert cl.agreement(labels, truth) == pytest.approx(1.0)
    assert (cl.fit_partition(data, method, 3, seed=11) == labels).all()


def test_labels_are_canonical_by_first_indicator():
    data = _blobs(3)
    labels = cl.fit_partition(data, "kmeans", 3)
    means = data.assign(cluster=labels).groupby("cluster")["a"].mean()
    assert means.is_monotonic_decreasing


def test_profiles_and_bad_k():
    data = _blobs(2)
    labels = cl.fit_partition(data, "ward", 2)
    table = cl.profiles(data, labels)
    assert table["provinces"].tolist() == [12, 12]
    with pytest.raises(ValueError, match="k must be between 1 and 23"):
        cl.fit_partition(data, "kmeans", 24)
    assert (cl.fit_partition(data, "ward", 1) == 1).all()
    with pytest.raises(ValueError, match="unknown method"):
        cl.fit_partition(data, "dbscan", 2)


def test_agreement_table():
    a = np.array([1, 1, 2, 2, 3, 3])
    table = cl.agreement_table({"x": a, "y": a[::-1].copy()}, reference=a)
    assert table.set_index("Method").loc["x", "x"] == pytest.approx(1.0)
    assert table.set_index("Method").loc["x", "NBS regions"] == pytest.approx(1.0)


def test_k_for_maps_follows_the_gap_and_falls_back_to_the_silhouette():
    separated = cl.k_selection(_blobs(4), range(1, 6), references=20)
    assert separated.gap.k == 4 and separated.for_maps() == (4, "gap")
    assert separated.for_maps(5) == (5, "parameter")
    noise = pd.DataFrame(np.random.default_rng(0).uniform(0, 1, (40, 3)))
    flat = cl.k_selection(noise, range(1, 6), references=20)
    assert flat.gap.no_structure
    assert flat.for_maps() == (flat.choose("silhouette"), "silhouette") and flat.for_maps()[0] > 1
    # Every branch of the rule, as codes the page words for itself.
    assert separated.for_maps(4) == (4, "parameter") and separated.for_maps(2) == (2, "parameter")
    assert flat.gap.rule_met and flat.gap.k == 1
    k_flat = flat.for_maps()[0]
    assert flat.for_maps(3) == (3, "parameter")
    rising = cl.KSelection(table=flat.table, gap=replace(flat.gap, k=5, rule_met=False))
    assert rising.for_maps() == (k_flat, "silhouette")
    assert not rising.gap.no_structure and not rising.gap.rule_met


def test_first_component_contiguity():
    # Three groups along a line: every cluster is one interval of the first component.
    rng = np.random.default_rng(3)
    line = pd.DataFrame(np.column_stack([np.repeat([0.0, 5.0, 10.0], 10) + rng.normal(0, 0.3, 30),
                                         rng.normal(0, 0.3, 30)]))
    labels = np.repeat([1, 2, 3], 10)
    gradient = cl.first_component(line, labels)
    assert gradient.contiguous and gradient.share > 0.95
    # Scores rise with the first column, and agree with scikit-learn's PCA up to the sign.
    assert np.corrcoef(gradient.scores, line[0])[0, 1] > 0.99
    # Two groups apart on the second axis only, the first axis longer: not slices of the first component.
    across = pd.DataFrame(np.column_stack([np.tile(np.linspace(-10, 10, 15), 2),
                                           np.repeat([0.0, 3.0], 15) + rng.normal(0, 0.1, 30)]))
    split = np.repeat([1, 2], 15)
    assert not cl.first_component(across, split).contiguous


def test_component_scores_against_numpy_eigh():
    rng = np.random.default_rng(8)
    base = rng.normal(size=(40, 2)) * [3.0, 1.5]
    data = pd.DataFrame(np.column_stack([base[:, 0] + rng.normal(0, 0.2, 40), base[:, 0], base[:, 1],
                                         -base[:, 1] + rng.normal(0, 0.2, 40)]), columns=list("abcd"))
    scores = cl.component_scores(data, 2)
    assert list(scores.columns) == ["PC1", "PC2"] and (scores.index == data.index).all()
    centred = data.to_numpy() - data.to_numpy().mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(centred, rowvar=False))
    order = np.argsort(values)[::-1]
    for c, column in enumerate(scores):
        expected = centred @ vectors[:, order[c]]
        assert abs(np.corrcoef(expected, scores[column])[0, 1]) == pytest.approx(1.0)
        assert np.abs(scores[column]).to_numpy() == pytest.approx(np.abs(expected))
    # PC1 rises with the first column, as first_component's scores; PC2 with its most correlated column.
    assert np.corrcoef(scores["PC1"], data["a"])[0, 1] > 0
    assert scores["PC1"].to_numpy() == pytest.approx(cl.first_component(data, np.zeros(40)).scores.to_numpy())
    correlations = data.corrwith(scores["PC2"])
    assert correlations[correlations.abs().idxmax()] > 0
    with pytest.raises(ValueError):
        cl.component_scores(data, 5)


def test_composition():
    labels = np.array([1, 1, 2, 2, 2, 2])
    regions = pd.Categorical(["East", "East", "East", "Central", "Central", "West"],
                             categories=["East", "Central", "West", "Northeast"])
    table = cl.composition(labels, regions)
    assert list(table.columns) == ["East", "Central", "West", "Northeast", "provinces"]
    assert table.loc["cluster 1"].tolist() == [2, 0, 0, 0, 2]
    assert table.loc["all"].tolist() == [3, 2, 1, 0, 6]
    assert table["provinces"].tolist() == [2, 4, 6]


@pytest.mark.snapshot
def test_the_book_partition_of_2023_by_region():
    """The silhouette's two clusters of 2023 (the page's default): seven East provinces against
    the rest, the seven highest on the first principal component."""
    from ruralrev.data import official

    panel = official.load_panel()
    raw, z = cl.feature_matrix(panel, 2023, cl.DEFAULT_INDICATORS)
    labels = cl.fit_partition(z, "kmeans", 2)
    regions = panel[panel["year"] == 2023].set_index("province").loc[z.index, "region"]
    table = cl.composition(labels, regions.to_numpy())
    assert table.loc["cluster 1"].to_dict() == {"East": 7, "Central": 0, "West": 0, "Northeast": 0, "provinces": 7}
    assert table.loc["all", "East"] == 10
    gradient = cl.first_component(z, labels)
    assert gradient.contiguous
    assert set(gradient.scores.nlargest(7).index) == set(z.index[labels == 1])


def test_silhouette_bands_of_kaufman_and_rousseeuw():
    assert [cl.silhouette_band(v) for v in (0.9, 0.71, 0.6, 0.51, 0.39, 0.26, 0.25, -0.2)] == [
        "strong", "strong", "reasonable", "reasonable", "weak", "weak", "none", "none"]
    with pytest.raises(ValueError):
        cl.silhouette_band(1.5)


@pytest.mark.snapshot
def test_ten_starts_can_miss_the_best_four_cluster_partition():
    """On the book's 2023 provinces, k-means with 10 starts stops in a local optimum from some
    seeds (W = 140.82 instead of 137.93); the page's 1,000 starts reach the best W found."""
    from ruralrev.data import official

    panel = official.load_panel()
    year = cl.latest_complete_year(panel, cl.DEFAULT_INDICATORS)
    _, z = cl.feature_matrix(panel, year, cl.DEFAULT_INDICATORS)
    spread = cl.seed_spread(z, 4, seeds=30, n_init=10)
    best = cl.fit_partition(z, "kmeans", 4)
    from ruralrev.stats.clustering.number_of_clusters import within_dispersion

    assert within_dispersion(z.to_numpy(), best) == pytest.approx(137.927, abs=1e-3)
    assert spread["within_ss"].min() == pytest.approx(137.927, abs=1e-3)
    assert (spread["within_ss"] > 138).any() and spread["ari_best"].min() < 0.8

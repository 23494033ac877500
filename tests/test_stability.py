"""Cluster-wise Jaccard bootstrap (Hennig 2007): a hand-computed case, a recomputation with sets,
and designs with known answers (stable clusters; one cluster that dissolves)."""

import numpy as np
import pandas as pd
import pytest

from ruralrev.stats.clustering import partitions as cl
from ruralrev.stats.clustering import stability as st


def test_jaccard_to_best_match_by_hand():
    original = np.array([1, 1, 1, 2, 2, 2, 3])
    sample = np.array([0, 1, 3, 4, 5])          # points 2 and 6 not drawn
    resampled = np.array(["a", "b", "b", "b", "b"])
    # C1 ∩ S = {0, 1}: with {0}: 1/2; with {1, 3, 4, 5}: 1/5.  C2 ∩ S = {3, 4, 5}: with {1, 3, 4, 5}: 3/4.
    # C3 ∩ S is empty: 0 (fpc counts 0/0 as 0 and an empty cluster matches nothing).
    assert st.jaccard_to_best_match(original, sample, resampled) == {1: 0.5, 2: 0.75, 3: 0.0}
    with pytest.raises(ValueError, match="distinct"):
        st.jaccard_to_best_match(original, np.array([0, 0, 1]), np.array([1, 1, 2]))


def test_hennig_reading_thresholds():
    assert [st.hennig_reading(v) for v in (0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.55, 0.0)] == [
        "highly stable", "highly stable", "stable", "stable", "pattern, membership doubtful",
        "pattern, membership doubtful", "not to be trusted", "not to be trusted"]


def _three_blobs(seed=5):
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [8, 0], [4, 7]], float)
    return pd.DataFrame(np.vstack([c + rng.normal(0, 0.6, (12, 2)) for c in centres]))


def _one_cluster_dissolves(seed):
    """Two tight groups of 25 with satellites: 2 points 6 units above the left group, 3 points 4.5
    above the right one. On the full data k-means (k = 3) isolates the pair; in a resample that
    draws only one of the pair, cutting off the right satellites is cheaper, and the pair merges
    into the left group (dissolved). The two big groups stay."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(np.vstack([rng.normal([-10, 0], 0.3, (25, 2)), rng.normal([-10, 6], 0.2, (2, 2)),
                                   rng.normal([10, 0], 0.3, (22, 2)), rng.normal([10, 4.5], 0.2, (3, 2))]))


def test_clear_clusters_are_highly_stable():
    result = st.cluster_bootstrap(_three_blobs(), "kmeans", 3, reps=40, seed=3)
    assert (result.clusters["mean_jaccard"] > 0.95).all()
    assert (result.clusters["reading"] == "highly stable").all() and result.n_dissolved == 0
    assert np.median(result.ari) == pytest.approx(1.0)
    assert result.jaccard.shape == (40, 3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_cluster_that_dissolves_under_resampling(seed):
    result = st.cluster_bootstrap(_one_cluster_dissolves(seed), "kmeans", 3, reps=100, seed=seed)
    table = result.clusters.set_index("size")
    assert table.loc[2, "mean_jaccard"] < 0.7 and table.loc[2, "dissolved"] >= 30
    assert table.loc[2, "reading"] in {"pattern, membership doubtful", "not to be trusted"}
    assert (table.drop(index=2)["mean_jaccard"] > 0.9).all()


def test_jaccard_matrix_recomputed_with_sets():
    """An independent recomputation: the same resamples (same generator), partitions refitted,
    Jaccard from Python sets."""
    z = _one_cluster_dissolves(0)
    result = st.cluster_bootstrap(z, "kmeans", 3, reps=15, seed=4)
    full = cl.fit_partition(z.to_numpy(), "kmeans", 3, 4)
    rng = np.random.default_rng(4)
    for b in range(15):
        sample = np.unique(rng.integers(0, len(z), len(z)))
        refit = cl.fit_partition(z.to_numpy()[sample], "kmeans", 3, 4 + b + 1, n_init=10)
        found = [set(sample[refit == c]) for c in np.unique(refit)]
        for c in (1, 2, 3):
            members = set(np.flatnonzero(full == c)) & set(sample)
            best = max(len(members & d) / len(members | d) for d in found)
            assert result.jaccard.loc[b, c] == pytest.approx(best)
    assert result.clusters["mean_jaccard"].tolist() == pytest.approx(result.jaccard.mean().tolist())


def test_split_off_in_the_resamples_that_dissolve_a_cluster():
    """Recomputed from refitted partitions: where the satellite pair dissolves, its drawn members
    stay together (merged into the left group) and the new cut isolates the right satellites."""
    z = _one_cluster_dissolves(0)
    z.index = [f"p{i}" for i in range(len(z))]
    result = st.cluster_bootstrap(z, "kmeans", 3, reps=40, seed=4)
    full = cl.fit_partition(z.to_numpy(), "kmeans", 3, 4)
    pair = int(result.clusters.set_index("size").loc[2, "cluster"])
    table = result.split_off(pair)
    assert len(table) == int((result.jaccard[pair] <= st.DISSOLVED).sum()) >= 10
    rng = np.random.default_rng(4)
    samples = [np.unique(rng.integers(0, len(z), len(z))) for _ in range(40)]
    for row in table.itertuples():
        sample = samples[row.resample]
        refit = cl.fit_partition(z.to_numpy()[sample], "kmeans", 3, 4 + row.resample + 1, n_init=10)
        mine = {refit[i] for i, s in enumerate(sample) if full[s] == pair}
        assert row.kept_together == (len(mine) <= 1)
        others = [set(sample[refit == c]) for c in set(refit) - mine]
        assert set(row.split_off) == {z.index[s] for s in min(others, key=len)}
    satellites = set(z.index[49:52])                      # rows 25 + 2 + 22 onwards
    assert table["kept_together"].all() and all(set(s) <= satellites and s for s in table["split_off"])


def test_coassignment_of_clear_clusters():
    result = st.cluster_bootstrap(_three_blobs(), "kmeans", 3, reps=30, seed=3)
    assert (result.province["coassignment"] > 0.95).all()
    assert np.nanmax(result.coassignment.to_numpy()) <= 1


def test_reference_sets_are_the_gap_statistics():
    from ruralrev.stats.clustering import number_of_clusters

    z = _three_blobs()
    drawn = number_of_clusters.reference_sets(z, 3, seed=9)
    assert len(drawn) == 3 and drawn[0].shape == z.shape
    # The gap statistic's expected log W over the same sets (k = 1: total sum of squares).
    table = number_of_clusters.gap_statistic(z, range(1, 3), references=3, seed=9).table
    expected = np.mean([np.log(((d - d.mean(axis=0)) ** 2).sum()) for d in drawn])
    assert table.loc[0, "expected_log_w"] == pytest.approx(expected)


def test_stability_without_clusters_depends_on_the_shape_of_the_cloud():
    """No reference set has clusters. In an elongated cloud k-means cuts the long axis the same way
    in every resample (stable: the check has no power there); in a round one it does not."""
    rng = np.random.default_rng(0)
    elongated = pd.DataFrame(rng.uniform(0, 1, (40, 3)) * [10.0, 1.0, 1.0])
    long = st.reference_stability(elongated, "kmeans", 2, sets=3, reps=40, seed=1)
    assert long.n_stable == 3 and long.median_weakest > 0.85
    assert list(long.table.columns) == ["set", "weakest", "strongest", "reading"]
    angles = rng.uniform(0, 2 * np.pi, 60)
    radii = np.sqrt(rng.uniform(0, 1, 60))
    disc = pd.DataFrame(np.column_stack([radii * np.cos(angles), radii * np.sin(angles)]))
    round_ = st.reference_stability(disc, "kmeans", 3, sets=3, reps=40, seed=1)
    assert round_.median_weakest < long.median_weakest
    with pytest.raises(ValueError, match="at least one reference set"):
        st.reference_stability(disc, "kmeans", 2, sets=0)

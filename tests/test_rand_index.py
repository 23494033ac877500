"""The adjusted Rand index (ruralrev.stats.clustering.rand_index) against scikit-learn's."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from ruralrev.stats.clustering.rand_index import adjusted_rand_index


def test_by_hand():
    # pairs of {0,1,2,3}: the first joins (0,1), (2,3); the second joins (0,1), (0,2), (1,2).
    # Ordered pair counts: tp = 2, fn = 2, fp = 4, tn = 4; ARI = 2(8 - 8) / (4*6 + 6*8) = 0.
    assert adjusted_rand_index([1, 1, 2, 2], [5, 5, 5, 7]) == 0.0
    assert adjusted_rand_index(["a", "a", "b"], [2, 2, 1]) == 1.0       # the numbering does not matter
    assert adjusted_rand_index([1, 2, 3, 4], [1, 1, 1, 1]) == 0.0
    with pytest.raises(ValueError, match="observations"):
        adjusted_rand_index([1, 2], [1, 2, 3])


def test_equals_scikit_learn_on_the_book_partitions(panel):
    """The typology page's k-means partitions (k = 2..8) against the NBS regions and each other,
    and random labellings: the same float as scikit-learn, not just close."""
    from ruralrev.stats.clustering import partitions as cl

    year = cl.latest_complete_year(panel, cl.DEFAULT_INDICATORS)
    _, z = cl.feature_matrix(panel, year, cl.DEFAULT_INDICATORS)
    regions = panel[panel["year"] == year].set_index("province").loc[z.index, "region"].astype(str).to_numpy()
    labels = {k: cl.fit_partition(z, "kmeans", k, 20261123) for k in range(2, 9)}
    for k, partition in labels.items():
        assert adjusted_rand_index(partition, regions) == adjusted_rand_score(regions, partition)
        assert adjusted_rand_index(partition, labels[8]) == adjusted_rand_score(labels[8], partition)
    rng = np.random.default_rng(0)
    for _ in range(200):
        a, b = rng.integers(0, rng.integers(1, 6), 31), rng.integers(0, rng.integers(1, 6), 31)
        assert adjusted_rand_index(a, b) == adjusted_rand_score(a, b)

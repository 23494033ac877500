"""Clustering methods and partitions, on data whose answer is known."""

import numpy as np
import pandas as pd
import pytest

from ruralrev import clusters as cl


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

"""Clustering and the composite index, on data whose answer is known."""

import numpy as np
import pandas as pd
import pytest

from ruralrev import clusters as cl
from ruralrev import composite as cp


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
        result = cp.coupling_coordination(u1.ravel(), u2.ravel(), corrected=corrected)
        assert ((result["C"] >= 0) & (result["C"] <= 1 + 1e-12)).all()
        assert ((result["D"] >= 0) & (result["D"] <= 1 + 1e-12)).all()
    equal = cp.coupling_coordination([0.2, 0.7], [0.2, 0.7])
    assert equal["C"].tolist() == pytest.approx([1.0, 1.0])
    assert equal["D"].tolist() == pytest.approx([np.sqrt(0.2), np.sqrt(0.7)])
    # The corrected C is never above the classic one and falls with the absolute gap.
    classic = cp.coupling_coordination([0.1, 0.5], [0.2, 1.0], corrected=False)["C"]
    corrected = cp.coupling_coordination([0.1, 0.5], [0.2, 1.0])["C"]
    assert classic[0] == pytest.approx(classic[1]) and corrected[0] > corrected[1]
    assert (corrected <= classic + 1e-12).all()
    assert cp.coupling_coordination([0.5], [0.9])["C"][0] == pytest.approx(np.sqrt((1 - 0.4) * 0.5 / 0.9))


def test_coordination_bands():
    assert cp.coordination_band(0.0) == "extreme imbalance"
    assert cp.coordination_band(0.55) == "barely coordinated"
    assert cp.coordination_band(1.0) == "high-quality coordination"
    with pytest.raises(ValueError):
        cp.coordination_band(1.2)


def test_obstacle_degrees_sum_to_100_and_point_at_the_weak_indicator():
    frame = pd.DataFrame({"a": [1.0, 5.0, 9.0], "b": [9.0, 5.0, 1.0]}, index=["x", "y", "z"])
    weights = pd.Series({"a": 0.5, "b": 0.5})
    obstacles = cp.obstacle_degree(frame, weights)
    assert obstacles.sum(axis=1).tolist() == pytest.approx([100, 100, 100])
    assert obstacles.loc["x", "a"] == pytest.approx(100) and obstacles.loc["z", "b"] == pytest.approx(100)


def test_rank_uncertainty_is_seeded_and_keeps_a_dominant_unit_first():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(rng.uniform(1, 2, (8, 4)), columns=list("abcd"), index=[f"u{i}" for i in range(8)])
    frame.loc["u0"] = 5.0
    first = cp.rank_uncertainty(frame, draws=200, seed=9)
    assert first.index[0] == "u0" and first.loc["u0", "rank_p95"] == 1
    assert first.equals(cp.rank_uncertainty(frame, draws=200, seed=9))


def test_agreement_table_and_top_obstacles():
    a = np.array([1, 1, 2, 2, 3, 3])
    table = cl.agreement_table({"x": a, "y": a[::-1].copy()}, reference=a)
    assert table.set_index("Method").loc["x", "x"] == pytest.approx(1.0)
    assert table.set_index("Method").loc["x", "NBS regions"] == pytest.approx(1.0)
    obstacles = pd.DataFrame({"a": [10.0, 60.0], "b": [30.0, 30.0], "c": [60.0, 10.0]}, index=["p", "q"])
    assert cp.top_obstacles(obstacles, 2).to_dict() == {"p": "c, b", "q": "a, b"}

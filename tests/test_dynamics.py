"""Distribution dynamics: relative values, kernel densities, Markov chains against direct counts and
against giddy's Spatial_Markov (the independent implementation) on the book's data."""

import numpy as np
import pytest

from ruralrev.data import official
from ruralrev.stats.spatial import dynamics, neighbours


@pytest.fixture(scope="module")
def relative(w):
    return dynamics.relative_values(official.load_panel(), "rural_income", range(2016, 2025), list(w.id_order))


@pytest.fixture(scope="module")
def chains(relative, w):
    return dynamics.markov_chains(relative, w, 4)


def test_relative_values_average_one_per_person(relative):
    panel = official.load_panel()
    population = panel.pivot(index="province", columns="year", values="rural_population").loc[relative.index]
    np.testing.assert_allclose((relative * population).sum() / population.sum(), 1.0)
    assert dynamics.population_for("rural_income") == "rural_population"
    assert dynamics.population_for("gdp_per_capita") == "total_population"


@pytest.mark.snapshot
def test_shanghai_stays_far_above_the_mean_and_gansu_below(relative):
    assert relative.loc["Shanghai"].min() > 1.5 and relative.loc["Gansu"].max() < 0.7


def test_kernel_densities_integrate_to_one(relative):
    grid = np.linspace(-1, 4, 2001)
    densities = dynamics.kernel_densities(relative, grid)
    np.testing.assert_allclose(np.trapezoid(densities.to_numpy(), grid, axis=0), 1.0, atol=1e-3)


def test_markov_counts_match_a_direct_count(relative, chains):
    pooled = relative.to_numpy().ravel()
    cutoffs = np.quantile(pooled, [0.25, 0.5, 0.75])
    np.testing.assert_allclose(chains.cutoffs, cutoffs)
    classes = np.searchsorted(cutoffs, relative.to_numpy(), side="left")
    direct = np.zeros((4, 4), int)
    np.add.at(direct, (classes[:, :-1].ravel(), classes[:, 1:].ravel()), 1)
    np.testing.assert_array_equal(chains.counts.to_numpy(), direct)
    assert chains.n_transitions == 31 * 8
    np.testing.assert_allclose(chains.probabilities.sum(axis=1), 1.0)


def test_class_table_adds_up(chains):
    table = chains.class_table()
    assert table.columns.tolist() == ["Class", "upper bound (ratio)", "provinces 2016", "provinces 2024",
                                      "transitions from", "ergodic share (%)"]
    assert table["Class"].tolist() == ["Q1", "Q2", "Q3", "Q4"]
    np.testing.assert_allclose(table["upper bound (ratio)"].iloc[:-1], chains.cutoffs)
    assert np.isnan(table["upper bound (ratio)"].iloc[-1])
    assert table["provinces 2016"].sum() == table["provinces 2024"].sum() == 31
    assert table["transitions from"].sum() == chains.n_transitions == 248
    assert table["ergodic share (%)"].sum() == pytest.approx(100)


def test_ergodic_distribution_is_stationary(chains):
    p = chains.probabilities.to_numpy()
    pi = chains.ergodic.to_numpy()
    np.testing.assert_allclose(pi @ p, pi, atol=1e-10)
    assert pi.sum() == pytest.approx(1.0)


def test_spatial_chain_splits_the_same_transitions(chains):
    total = sum(table.to_numpy() for table in chains.spatial_counts.values())
    np.testing.assert_array_equal(total, chains.counts.to_numpy())
    thin = chains.thin_rows()
    rows = {(r.neighbours, r._2): r.transitions for r in thin.itertuples()}
    for lag, table in chains.spatial_counts.items():
        for origin, n in table.sum(axis=1).items():
            assert ((lag, origin) in rows) == (n < 10)
    # an empty row has no ergodic distribution
    empty = {lag for lag, table in chains.spatial_counts.items() if (table.sum(axis=1) == 0).any()}
    assert set(chains.spatial_ergodic.index[chains.spatial_ergodic.isna().any(axis=1)]) == empty
    assert 0 <= chains.homogeneity["Q_p"] <= 1


def test_markov_refuses_misordered_values(relative, w):
    with pytest.raises(ValueError, match="order of the weights"):
        dynamics.markov_chains(relative.iloc[::-1], w)


@pytest.mark.parametrize("outcome, kind, k", [("rural_income", "queen", 4), ("rural_income", "knn", 3),
                                              ("rural_consumption", "queen", 5), ("gdp_per_capita", "rook", 7),
                                              ("all_income", "knn", 2)])
def test_markov_chains_match_giddy(outcome, kind, k):
    from giddy.ergodic import steady_state
    from giddy.markov import Spatial_Markov

    w = neighbours.province_weights(kind, 5)
    relative = dynamics.relative_values(official.load_panel(), outcome, range(2016, 2025), list(w.id_order))
    ours = dynamics.markov_chains(relative, w, k)
    theirs = Spatial_Markov(relative.to_numpy(), neighbours.province_weights(kind, 5), k=k, m=k, fixed=True)
    np.testing.assert_allclose(ours.cutoffs, theirs.cutoffs, rtol=1e-12)
    np.testing.assert_allclose(ours.lag_cutoffs, theirs.lag_cutoffs, rtol=1e-12)
    np.testing.assert_array_equal(ours.counts.to_numpy(), theirs.transitions)
    np.testing.assert_allclose(ours.probabilities.to_numpy(), theirs.p, rtol=1e-12)
    for index, table in enumerate(ours.spatial_counts.values()):
        np.testing.assert_array_equal(table.to_numpy(), theirs.T[index])
    for key, attribute in [("Q", "Q"), ("LR", "LR"), ("Q_p", "Q_p_value"), ("LR_p", "LR_p_value")]:
        assert ours.homogeneity[key] == pytest.approx(float(getattr(theirs, attribute)), rel=1e-9, abs=1e-12), key
    assert ours.homogeneity["df"] == theirs.dof_hom
    np.testing.assert_allclose(ours.ergodic, steady_state(theirs.p), rtol=1e-9)
    for index, name in enumerate(ours.spatial_counts):
        if ours.spatial_counts[name].sum(axis=1).eq(0).any():      # giddy refuses an empty row
            assert ours.spatial_ergodic.loc[name].isna().all()
            continue
        states = np.atleast_2d(steady_state(theirs.P[index]))
        if len(states) > 1:                                        # several recurrent classes: no single long run
            assert ours.spatial_ergodic.loc[name].isna().all()
        else:
            np.testing.assert_allclose(ours.spatial_ergodic.loc[name], states[0], rtol=1e-8, atol=1e-12)
    assert [list(ours.class_counts[year]) for year in relative.columns] == \
        [list(np.bincount(theirs.class_ids[:, t], minlength=k)) for t in range(relative.shape[1])]


def test_stationary_distribution_of_small_chains():
    # Two states, p(0→1) = a, p(1→0) = b: π = (b, a) / (a + b).
    a, b = 0.2, 0.6
    np.testing.assert_allclose(dynamics.stationary_distribution(np.array([[1 - a, a], [b, 1 - b]])), [0.75, 0.25])
    # One transient state feeding one recurrent class: the transient state gets no mass.
    chain = np.array([[0.5, 0.5, 0.0], [0.0, 0.3, 0.7], [0.0, 0.6, 0.4]])
    np.testing.assert_allclose(dynamics.stationary_distribution(chain), [0, 0.6 / 1.3, 0.7 / 1.3])
    # Two absorbing states: no single long run; an empty row: undefined.
    assert np.isnan(dynamics.stationary_distribution(np.array([[1.0, 0, 0], [0.5, 0, 0.5], [0, 0, 1.0]]))).all()
    assert np.isnan(dynamics.stationary_distribution(np.array([[1.0, 0.0], [0.0, 0.0]]))).all()


def test_homogeneity_is_zero_for_identical_regimes_and_counts_degrees_of_freedom():
    table = np.array([[6, 2], [3, 9]])
    same = dynamics.homogeneity_test(np.stack([table, 2 * table]))
    assert same["Q"] == pytest.approx(0.0) and same["LR"] == pytest.approx(0.0) and same["Q_p"] == pytest.approx(1.0)
    assert same["df"] == 2                                   # (2 regimes − 1) × (2 non-zero cells − 1) per row
    different = dynamics.homogeneity_test(np.stack([[[8, 0], [0, 12]], [[0, 8], [12, 0]]]))
    assert different["Q"] > 30 and different["Q_p"] < 1e-6


@pytest.fixture(scope="module")
def ergodic_boot(relative, chains):
    return dynamics.ergodic_bootstrap(relative, chains.cutoffs, reps=500, seed=1)


def test_ergodic_bootstrap_of_the_book_chain(chains, ergodic_boot):
    """Resampling provinces: the point estimate lies inside each class's interval, and every
    defined long run is a distribution."""
    band = ergodic_boot.interval(0.90)
    assert ((band["low"] <= chains.ergodic) & (chains.ergodic <= band["high"])).all()
    defined = ergodic_boot.shares.dropna()
    np.testing.assert_allclose(defined.sum(axis=1), 1.0)


@pytest.mark.snapshot
def test_ergodic_bootstrap_of_todays_chain_has_thin_moves(ergodic_boot):
    """The lowest class's interval reaches 0 (resamples without a Q1 -> Q2 move) and roughly two in
    five resampled chains have no single long run (Q3 -> Q4 rests on one transition)."""
    band = ergodic_boot.interval(0.90)
    assert band.loc["Q1", "low"] == pytest.approx(0.0, abs=1e-9)
    assert 0.25 < ergodic_boot.n_undefined / ergodic_boot.reps < 0.55


def test_ergodic_bootstrap_of_a_chain_without_moves_has_no_long_run():
    import pandas as pd

    frozen = pd.DataFrame(np.repeat(np.linspace(0.5, 1.5, 8)[:, None], 5, axis=1))
    boot = dynamics.ergodic_bootstrap(frozen, [0.75, 1.0, 1.25], reps=100, seed=2)
    assert boot.n_undefined == 100

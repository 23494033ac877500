"""Distribution dynamics: relative values, kernel densities, Markov chains (giddy) against direct counts."""

import numpy as np
import pytest

from ruralrev import data, dynamics


@pytest.fixture(scope="module")
def relative(w):
    return dynamics.relative_values(data.load_panel(), "rural_income", range(2016, 2025), list(w.id_order))


@pytest.fixture(scope="module")
def chains(relative, w):
    return dynamics.markov_chains(relative, w, 4)


def test_relative_values_average_one_per_person(relative):
    panel = data.load_panel()
    population = panel.pivot(index="province", columns="year", values="rural_population").loc[relative.index]
    np.testing.assert_allclose((relative * population).sum() / population.sum(), 1.0)
    assert dynamics.population_for("rural_income") == "rural_population"
    assert dynamics.population_for("gdp_per_capita") == "total_population"
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

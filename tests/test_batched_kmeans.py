"""Batched k-means (ruralrev.stats.clustering.batched_kmeans) against scikit-learn's KMeans.

Tolerances, and why.

* From the same initial centres Lloyd's algorithm is deterministic: the same partition, and the
  inertia equal to floating-point rounding, 1e-10 absolute on inertias of 10–300 (sums of
  31 × 11 squares in another order differ by a few ulp).
* With the same seed the batched path draws scikit-learn's random numbers, so each fit is
  scikit-learn's except where two k-means++ candidates tie exactly (the module notes say when);
  that choice is arbitrary (scikit-learn's own depends on memory layout). On the book's data the
  typology page's 1,000-start partitions, its bootstrap and its seed spread are untouched by ties
  and agree exactly; of the gap statistic's fits, the tests require at least 99 % to agree to
  1e-10 (on the page: all 808 of the principal-component box, 807 of 808 of the features' box).
* A statistic over many fits may therefore differ by Monte Carlo error only. The tolerance is one
  Monte Carlo standard error of the quantity: for Gap(k) that of the mean of log W*_b over the B
  reference sets, sd_b(log W*_b) / sqrt(B) = s_k / sqrt(B + 1) (about 0.005 at B = 100 on the
  book's data; the observed difference is 4e-6); for a mean Jaccard similarity over B resamples
  sd_b(gamma_b) / sqrt(B) (about 0.01 at B = 200; observed 0). Within that error the two paths are
  the same estimate; the chosen k, which the page prints, must be equal.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans, kmeans_plusplus as sk_kmeans_plusplus

from ruralrev.stats.clustering import batched_kmeans as bk
from ruralrev.stats.clustering import number_of_clusters as gap
from ruralrev.stats.clustering import partitions as cl
from ruralrev.stats.clustering import stability as st

INERTIA_TOL = 1e-10


@pytest.fixture(autouse=True)
def _one_thread():
    """scikit-learn's OpenMP threads only spin on fits this small (and on a busy machine, burn CPU)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def z():
    """The typology page's standardized indicators (31 provinces × 11, its default year)."""
    from ruralrev.data import official

    panel = official.load_panel()
    return cl.feature_matrix(panel, cl.latest_complete_year(panel, cl.DEFAULT_INDICATORS), cl.DEFAULT_INDICATORS)[1]


def _same_partition(a, b) -> bool:
    """Same partition up to the numbering of the clusters."""
    return pd.crosstab(np.asarray(a), np.asarray(b)).gt(0).sum(axis=1).eq(1).all() and len(set(a)) == len(set(b))


def test_seeding_uniforms_are_the_stream_of_a_fresh_random_state():
    drawn = bk.seeding_uniforms([7, 123456789], 3, 5)
    per_init = 1 + 4 * (2 + int(np.log(5)))
    assert drawn.shape == (6, per_init)
    assert np.array_equal(drawn[3:].ravel(), np.random.RandomState(123456789).random_sample(3 * per_init))
    assert np.array_equal(drawn[:3].ravel(), np.random.RandomState(7).random_sample(3 * per_init))


@pytest.mark.parametrize("k", [2, 3, 5, 8])
def test_kmeans_plusplus_picks_scikit_learns_centres(z, k):
    x = z.to_numpy() - z.to_numpy().mean(axis=0)        # scikit-learn seeds on centred data
    for seed in range(5):
        expected, _ = sk_kmeans_plusplus(x, k, random_state=seed)
        ours = bk.kmeans_plusplus(x[None], k, bk.seeding_uniforms([seed], 1, k))[0]
        assert np.array_equal(ours, expected)


@pytest.mark.parametrize("k", [2, 4, 7])
def test_lloyd_from_the_same_centres_reaches_the_same_partition_and_inertia(z, k):
    x = z.to_numpy()
    rng = np.random.default_rng(k)
    starts = np.stack([x[rng.choice(len(x), k, replace=False)] for _ in range(20)])
    ours = bk.lloyd(np.broadcast_to(x, (20, *x.shape)), starts)
    for start, labels, inertia, centres, n_iter in zip(starts, ours.labels, ours.inertia, ours.centers, ours.n_iter):
        model = KMeans(n_clusters=k, init=start, n_init=1).fit(x)
        assert np.array_equal(labels, model.labels_)
        assert inertia == pytest.approx(model.inertia_, abs=INERTIA_TOL)
        assert np.allclose(centres, model.cluster_centers_, rtol=0, atol=1e-12)
        assert n_iter == model.n_iter_
    one = bk.lloyd(x, starts[0])                       # a single data set as an n × d array
    assert one.labels.shape == (len(x),) and one.inertia == pytest.approx(ours.inertia[0], abs=INERTIA_TOL)


def test_an_empty_cluster_takes_the_farthest_point_as_in_scikit_learn():
    rng = np.random.default_rng(3)
    x = np.vstack([rng.normal(0, 1, (15, 2)), rng.normal(6, 1, (15, 2))])
    start = np.array([[0.0, 0.0], [6.0, 6.0], [100.0, 100.0], [-100.0, 50.0]])   # two centres attract no point
    model = KMeans(n_clusters=4, init=start, n_init=1).fit(x)
    ours = bk.lloyd(x, start)
    assert np.array_equal(ours.labels, model.labels_) and len(set(ours.labels)) == 4
    assert ours.inertia == pytest.approx(model.inertia_, abs=INERTIA_TOL)


@pytest.mark.parametrize("k", range(2, 9))
def test_best_of_n_init_is_scikit_learns_fit_with_the_same_seed(z, k):
    x = z.to_numpy()
    seeds = list(range(20261123, 20261133))
    ours = bk.kmeans(np.broadcast_to(x, (len(seeds), *x.shape)), k, 10, seeds)
    for seed, labels, inertia in zip(seeds, ours.labels, ours.inertia):
        model = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x)
        assert np.array_equal(labels, model.labels_)
        assert inertia == pytest.approx(model.inertia_, abs=INERTIA_TOL)


def test_data_sets_of_different_sizes_share_a_batch(z):
    """Bootstrap resamples keep different numbers of distinct provinces; padded rows change nothing."""
    x = z.to_numpy()
    rng = np.random.default_rng(1)
    subsets = [x[np.unique(rng.integers(0, len(x), len(x)))] for _ in range(12)]
    stacked, valid = bk.pad(subsets)
    assert stacked.shape[1] == max(len(s) for s in subsets) and valid.sum() == sum(len(s) for s in subsets)
    ours = bk.kmeans(stacked, 4, 10, list(range(12)), valid=valid)
    for b, subset in enumerate(subsets):
        model = KMeans(n_clusters=4, n_init=10, random_state=b).fit(subset)
        assert np.array_equal(ours.labels[b, :len(subset)], model.labels_)
        assert (ours.labels[b, len(subset):] == -1).all()
        assert ours.inertia[b] == pytest.approx(model.inertia_, abs=INERTIA_TOL)


def test_a_later_start_with_the_same_partition_does_not_replace_the_first():
    """scikit-learn keeps the first of equal partitions (its inertia may differ in the last bits)."""
    x = np.vstack([np.zeros((5, 2)), np.full((5, 2), 10.0)]) + np.arange(10)[:, None] * 1e-3
    ours = bk.kmeans(x, 2, 25, 4)
    model = KMeans(n_clusters=2, n_init=25, random_state=4).fit(x)
    assert np.array_equal(ours.labels, model.labels_) and ours.n_iter == model.n_iter_


def test_bad_arguments():
    x = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ValueError, match="k must be"):
        bk.kmeans(x, 7)
    with pytest.raises(ValueError, match="engine"):
        cl.fit_partition(x, "kmeans", 2, engine="torch")


@pytest.mark.slow
def test_the_page_partitions_are_scikit_learns(z):
    """fit_partition (1,000 starts) and the seed spread (30 seeds of 10 starts) as the page calls them."""
    for k in (2, 4, 8):
        assert np.array_equal(cl.fit_partition(z, "kmeans", k, 20261123),
                              cl.fit_partition(z, "kmeans", k, 20261123, engine="sklearn"))
        ours = cl.seed_spread(z, k, seeds=30, n_init=10)
        theirs = cl.seed_spread(z, k, seeds=30, n_init=10, engine="sklearn")
        assert np.allclose(ours["within_ss"], theirs["within_ss"], rtol=0, atol=INERTIA_TOL)
        assert np.array_equal(ours["ari_best"], theirs["ari_best"])


def _tied_seeding(z):
    """Seed 20261131, k = 7, ten starts on the book's data, in three memory layouts."""
    x = np.ascontiguousarray(z.to_numpy() - z.to_numpy().mean(axis=0))
    uniforms = bk.seeding_uniforms([20261131], 10, 7)
    layouts = [np.broadcast_to(x, (10, *x.shape)), np.repeat(x[None], 10, axis=0),
               np.asfortranarray(np.repeat(x[None], 10, axis=0))]
    return x, [bk.kmeans_plusplus(layout, 7, uniforms) for layout in layouts]


def test_tied_candidates_go_to_the_first_drawn_whatever_the_memory_layout(z):
    """The same numbers in three memory layouts give the same centres (the first candidate drawn)."""
    _, centres = _tied_seeding(z)
    assert all(np.array_equal(c, centres[0]) for c in centres[1:])


@pytest.mark.snapshot
def test_the_tie_of_todays_data_goes_to_beijing(z):
    """Start 2: Beijing and Shanghai tie as the fifth centre's candidates; Beijing is drawn first."""
    x, centres = _tied_seeding(z)
    picked = [int(np.flatnonzero((x == centre).all(axis=1))[0]) for centre in centres[0][1]]
    assert picked == [19, 11, 1, 6, 0, 25, 3]            # 0 = Beijing, drawn before 8 = Shanghai
    assert list(z.index[[0, 8]]) == ["Beijing", "Shanghai"]


@pytest.mark.slow
@pytest.mark.parametrize("box", gap.BOXES)
def test_gap_statistic_on_the_book_data_agrees_with_scikit_learn(z, box):
    """The page's gap statistic (k = 1..8, B = 100 reference sets, 10 starts each), both boxes."""
    x, references, seed = z.to_numpy(), 100, 20261123
    datasets = [x, *gap.reference_sets(x, references, seed, box)]
    seeds = [seed + b for b in range(len(datasets))]
    ours = gap.gap_statistic(z, range(1, 9), references, seed, box=box)
    rows, same, total = [], 0, 0
    for k in range(1, 9):       # scikit-learn's fits, one per data set: log W_k and log W*_kb
        library = gap._log_w_all(datasets, k, 10, seeds, "sklearn")
        batched = gap._log_w_all(datasets, k, 10, seeds, "batched")
        same, total = same + int((np.abs(batched - library) <= INERTIA_TOL).sum()), total + len(datasets)
        rows.append({"k": k, "log_w": library[0], "gap": library[1:].mean() - library[0],
                     "gap_se": library[1:].std(ddof=0) * np.sqrt(1 + 1 / references)})
    theirs = pd.DataFrame(rows)
    assert same >= 0.99 * total
    monte_carlo_se = theirs["gap_se"] / np.sqrt(references + 1)        # sd_b(log W*_b) / sqrt(B)
    assert (np.abs(ours.table["gap"] - theirs["gap"]) <= monte_carlo_se).all()
    assert np.allclose(ours.table["log_w"], theirs["log_w"], rtol=0, atol=1e-12)
    assert (ours.k, ours.rule_met) == (gap.choose_k_gap(theirs), True)


@pytest.mark.snapshot
@pytest.mark.parametrize("box", gap.BOXES)
def test_the_gap_statistic_chooses_the_pages_k(z, box):
    """The page's answers on today's data: k = 1 in the principal-component box, 7 in the features box."""
    ours = gap.gap_statistic(z, range(1, 9), 100, 20261123, box=box)
    assert (ours.k, box) in {(1, "pca"), (7, "features")}


@pytest.mark.slow
def test_cluster_bootstrap_on_the_book_data_agrees_with_scikit_learn(z):
    """The page's Jaccard bootstrap (k = 4, 200 resamples) under both engines."""
    ours = st.cluster_bootstrap(z, "kmeans", 4, 200, 20261123)
    theirs = st.cluster_bootstrap(z, "kmeans", 4, 200, 20261123, engine="sklearn")
    monte_carlo_se = theirs.jaccard.std(ddof=1).to_numpy() / np.sqrt(theirs.reps)
    assert (np.abs(ours.clusters["mean_jaccard"] - theirs.clusters["mean_jaccard"]).to_numpy() <= monte_carlo_se).all()
    assert np.allclose(ours.clusters["mean_jaccard"], theirs.clusters["mean_jaccard"], rtol=0, atol=1e-12)  # no tie here
    assert ours.clusters[["dissolved", "recovered", "reading"]].equals(theirs.clusters[["dissolved", "recovered", "reading"]])
    assert np.allclose(ours.coassignment, theirs.coassignment, rtol=0, atol=1e-12, equal_nan=True)

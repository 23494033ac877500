r"""Many small k-means fits at once: k-means++ seeding and Lloyd iterations on stacked arrays.

The book fits k-means thousands of times on 31 provinces × about 11 features (the gap statistic's
reference sets, the cluster bootstrap's resamples, the spread over seeds). On data this small the
arithmetic of one fit costs microseconds and a library's per-fit overhead (input validation,
thread pools, a Python loop over initialisations) is nearly all of the time. Here every fit of
a batch — B data sets, each with ``n_init`` initialisations — runs at once: each step of the
algorithm is one numpy operation over all the runs still iterating.

* :func:`kmeans` — the best of ``n_init`` greedy k-means++ starts (:func:`kmeans_plusplus`) on
  each of B data sets (of different sizes: :func:`pad`), with scikit-learn's rules and random
  numbers, so it reaches ``KMeans``'s fits (ties aside: its Notes);
* :func:`lloyd` — Lloyd's algorithm from given initial centres.

References
----------
Arthur, D. and Vassilvitskii, S. (2007). k-means++: the advantages of careful seeding. In
*Proceedings of the 18th Annual ACM-SIAM Symposium on Discrete Algorithms*, 1027–1035.
Lloyd, S. P. (1982). Least squares quantization in PCM. *IEEE Transactions on Information Theory*
28(2), 129–137.
Pedregosa, F. et al. (2011). Scikit-learn: machine learning in Python. *Journal of Machine
Learning Research* 12, 2825–2830 (the ``KMeans`` whose rules are followed here).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["KMeansFits", "kmeans", "lloyd", "kmeans_plusplus", "local_trials", "seeding_uniforms", "pad"]

#: Lloyd's stopping rule: relative tolerance on the centres' squared shift, and the iteration cap.
TOL, MAX_ITER = 1e-4, 300
#: Relative difference below which two k-means++ candidates' potentials are a tie (rounding only).
TIE = 1e-12


@dataclass(frozen=True)
class KMeansFits:
    """One k-means fit per data set (or per run of :func:`lloyd`).

    ``labels`` (B × n, 0..k−1; −1 on padding rows), ``inertia`` (B; :math:`W`), ``centers``
    (B × k × d, in the data's own coordinates) and ``n_iter`` (B; Lloyd iterations of the fit kept).
    """

    labels: np.ndarray
    inertia: np.ndarray
    centers: np.ndarray
    n_iter: np.ndarray


def local_trials(k: int) -> int:
    """Candidates per centre in greedy k-means++: :math:`2 + \\lfloor \\ln k \\rfloor`."""
    return 2 + int(np.log(k))


def seeding_uniforms(seeds, n_init: int, k: int) -> np.ndarray:
    """The uniforms k-means++ consumes for ``n_init`` initialisations with ``RandomState(seed)``, for
    each of ``seeds``: ``len(seeds) * n_init`` rows of :math:`1 + (k-1)(2 + \\lfloor\\ln k\\rfloor)`
    numbers, in scikit-learn's order (initialisation after initialisation, seed after seed).

    One generator is re-seeded for every seed (``RandomState.seed(s)`` gives the stream of
    ``RandomState(s)``; building a new generator costs 20 times as much)."""
    generator = np.random.RandomState()
    size = n_init * (1 + (k - 1) * local_trials(k))
    out = np.empty((len(seeds), size))
    for row, seed in zip(out, seeds):
        generator.seed(int(seed))
        row[:] = generator.random_sample(size)
    return out.reshape(len(seeds) * n_init, -1)


def pad(datasets: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Stack data sets of different numbers of rows: (B × n_max × d array, B × n_max mask of real rows).

    Data sets of different sizes (the distinct provinces of bootstrap resamples) share one batch:
    each is padded to the largest size and ``valid`` marks its rows; padding rows are never drawn,
    assigned or counted.
    """
    size = max(len(x) for x in datasets)
    out = np.zeros((len(datasets), size, datasets[0].shape[1]))
    valid = np.zeros((len(datasets), size), dtype=bool)
    for b, x in enumerate(datasets):
        out[b, :len(x)] = x
        valid[b, :len(x)] = True
    return out, valid


def _prepare(x, valid) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centre each data set on its mean (as scikit-learn does before fitting); padding rows set to 0.
    Returns the centred data, the mask, the means and the tolerance unit (mean feature variance)."""
    x = np.asarray(x, dtype=float)
    valid = np.ones(x.shape[:2], dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    count = valid.sum(axis=1)
    means = np.where(valid[..., None], x, 0.0).sum(axis=1) / count[:, None]
    centred = np.where(valid[..., None], x - means[:, None, :], 0.0)
    variance = (centred ** 2).sum(axis=1) / count[:, None]
    return centred, valid, means, variance.mean(axis=1)


def _sq_distances(points: np.ndarray, x: np.ndarray, x_norms: np.ndarray) -> np.ndarray:
    """Squared distances from each of ``points`` (R × m × d) to every row of ``x`` (R × n × d):
    :math:`\\lVert p\\rVert^2 - 2 p^\\top x + \\lVert x\\rVert^2`, clipped at 0 (R × m × n)."""
    out = -2.0 * np.matmul(points, x.transpose(0, 2, 1))
    out += np.einsum("rmd,rmd->rm", points, points)[:, :, None]
    out += x_norms[:, None, :]
    return np.maximum(out, 0.0, out=out)


def kmeans_plusplus(x: np.ndarray, k: int, uniforms: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    r"""Greedy k-means++ centres for R runs at once.

    Parameters
    ----------
    x : array, R × n × d
        The data of each run (already centred when compared with scikit-learn, which centres first).
    k : int
        Number of centres.
    uniforms : array, R × (1 + (k − 1) L)
        Uniform(0, 1) numbers, L = :func:`local_trials`\ (k): the first picks the first centre, each
        next block of L the candidates of the next centre (:func:`seeding_uniforms`).
    valid : array of bool, R × n, optional
        Real rows (default all).

    Returns
    -------
    array, R × k × d

    Notes
    -----
    k-means++ (Arthur and Vassilvitskii 2007), greedy form: the first centre is a point drawn
    uniformly; each next centre is the best of :math:`2 + \lfloor\ln k\rfloor` candidates drawn with
    probability :math:`D(x)^2 / \sum_{x'} D(x')^2` (:math:`D` the distance to the nearest centre
    chosen so far), the one that lowers :math:`\sum_x D(x)^2` most (of candidates whose potentials
    tie to rounding, the first drawn).

    Two points that are each other's nearest neighbour and both farther from every centre than from
    each other (Beijing and Shanghai on the book's data) lower the potential by the same amount,
    and which of them a computation finds lower depends on the order of its floating-point sums —
    in scikit-learn even on where its arrays sit in memory, so its own choice is not reproducible.
    Here potentials within a relative :data:`TIE` of the lowest count as equal and the first
    candidate drawn wins, whatever the rounding.
    """
    runs, n, _ = x.shape
    valid = np.ones((runs, n), dtype=bool) if valid is None else valid
    weight = valid.astype(float)
    last = valid.sum(axis=1) - 1
    trials = local_trials(k)
    rows = np.arange(runs)
    x_norms = np.einsum("rnd,rnd->rn", x, x)
    centres = np.empty((runs, k, x.shape[2]))
    # first centre: RandomState.choice(n, p=1/n each): the cdf searched with side="right"
    cdf = np.cumsum(weight / weight.sum(axis=1, keepdims=True), axis=1)
    cdf /= cdf[np.arange(runs), last][:, None]
    first = np.minimum((cdf <= uniforms[:, :1]).sum(axis=1), last)
    centres[:, 0] = x[rows, first]
    closest = _sq_distances(centres[:, :1], x, x_norms)[:, 0]
    potential = (closest * weight).sum(axis=1)
    for c in range(1, k):
        draws = uniforms[:, 1 + (c - 1) * trials: 1 + c * trials] * potential[:, None]
        cumulative = np.cumsum(closest * weight, axis=1)
        # numpy.searchsorted(cumulative, draws) (side="left") for every run, clipped as scikit-learn clips
        candidates = np.minimum((cumulative[:, None, :] < draws[:, :, None]).sum(axis=2), last[:, None])
        points = x[rows[:, None], candidates]
        distances = np.minimum(closest[:, None, :], _sq_distances(points, x, x_norms))
        potentials = (distances * weight[:, None, :]).sum(axis=2)
        # the first candidate within rounding of the lowest potential: two provinces that are each
        # other's nearest neighbour and far from the rest (Beijing and Shanghai) tie exactly
        best = np.argmax(potentials <= potentials.min(axis=1, keepdims=True) * (1 + TIE), axis=1)
        potential = potentials[rows, best]
        closest = distances[rows, best]
        centres[:, c] = points[rows, best]
    return centres


def _assign(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    r"""Nearest centre of every row: argmin of :math:`\lVert\mu\rVert^2 - 2 x^\top\mu` (R × n),
    the first centre on a tie (a scan over the k centres: faster than ``argmin`` on a short axis)."""
    scores = np.matmul(centres, x.transpose(0, 2, 1))          # R × k × n: each centre's row contiguous
    scores *= -2.0
    scores += np.einsum("rkd,rkd->rk", centres, centres)[:, :, None]
    best = scores[:, 0]
    labels = np.zeros(best.shape, dtype=np.int64)
    for j in range(1, centres.shape[1]):
        lower = scores[:, j] < best
        best = np.where(lower, scores[:, j], best)
        labels = np.where(lower, j, labels)
    return labels


def _relocate_empty(x, valid, old_centres, sums, counts, labels) -> None:
    """scikit-learn's rule for one run whose update left clusters empty: each empty cluster takes
    one of the points farthest from their centre (in place on ``sums`` and ``counts``)."""
    empty = np.flatnonzero(counts == 0)
    real = np.flatnonzero(valid)
    distances = ((x[real] - old_centres[labels[real]]) ** 2).sum(axis=1)
    if distances.max() == 0:
        return
    far = np.argpartition(distances, -len(empty))[:-len(empty) - 1:-1]
    for cluster, point in zip(empty, real[far]):
        sums[labels[point]] -= x[point]
        sums[cluster] = x[point]
        counts[cluster] = 1.0
        counts[labels[point]] -= 1.0


def _lloyd(x, valid, centres, tolerance, max_iter):
    """Lloyd iterations on centred data for R runs; the working set shrinks as runs converge."""
    runs, n, _ = x.shape
    k = centres.shape[1]
    out_labels = np.empty((runs, n), dtype=np.int64)
    out_centres = np.empty_like(centres)
    out_iter = np.zeros(runs, dtype=np.int64)
    active = np.arange(runs)
    xa, va, ca, ta = x, valid, centres.copy(), np.asarray(tolerance, dtype=float)
    padded = not va.all()
    previous = np.full((runs, n), -1)
    for iteration in range(max_iter):
        labels = _assign(xa, ca)
        if padded:
            labels[~va] = k                 # a label no real row has: padding never counts
        # one-hot membership (an extra column k collects the padding), then counts and sums per cluster
        onehot = np.zeros((len(active) * n, k + 1))
        onehot[np.arange(len(active) * n), labels.ravel()] = 1.0
        onehot = onehot.reshape(len(active), n, k + 1)[:, :, :k]
        counts = np.einsum("rnk->rk", onehot)
        sums = np.matmul(onehot.transpose(0, 2, 1), xa)
        for r in np.flatnonzero((counts == 0).any(axis=1)):
            _relocate_empty(xa[r], va[r], ca[r], sums[r], counts[r], labels[r])
        scale = np.divide(1.0, counts, out=np.ones_like(counts), where=counts > 0)
        new = sums * scale[:, :, None]
        shift = np.einsum("rkd->r", (ca - new) ** 2)
        strict = (labels == previous).all(axis=1)
        done = strict | (shift <= ta) | (iteration == max_iter - 1)
        if done.any():
            finished = active[done]
            # not stopped by repeated labels: the labels are recomputed from the final centres
            relabel = done & ~strict
            if relabel.any():
                labels[relabel] = _assign(xa[relabel], new[relabel])
            out_labels[finished] = labels[done]
            out_centres[finished] = new[done]
            out_iter[finished] = iteration + 1
            keep = ~done
            if not keep.any():
                break
            active, xa, va, ta = active[keep], xa[keep], va[keep], ta[keep]
            new, labels = new[keep], labels[keep]
        ca, previous = new, labels
    out_labels = np.where(valid, out_labels, -1)
    residual = x - np.take_along_axis(out_centres, np.maximum(out_labels, 0)[:, :, None], axis=1)
    inertia = np.where(valid, (residual ** 2).sum(axis=2), 0.0).sum(axis=1)
    return out_labels, inertia, out_centres, out_iter


def lloyd(x, centers, valid=None, max_iter: int = MAX_ITER, tol: float = TOL) -> KMeansFits:
    r"""Lloyd's algorithm from given initial centres, one run per data set.

    Parameters
    ----------
    x : array, B × n × d (or n × d for one data set)
    centers : array, B × k × d (or k × d)
        Initial centres, in the data's coordinates.
    valid : array of bool, B × n, optional
        Real rows (see :func:`pad`).
    max_iter, tol : int, float
        Iteration cap and relative tolerance (scikit-learn's defaults).

    Returns
    -------
    KMeansFits
        As ``KMeans(n_clusters=k, init=centers, n_init=1).fit(x)`` reaches.

    Notes
    -----
    Lloyd's algorithm (Lloyd 1982), for run *r* with centres :math:`\mu_1, \dots, \mu_k`, alternates

    .. math::

        c_i^{(t)} = \arg\min_{j} \lVert x_i - \mu_j^{(t)}\rVert^2, \qquad
        \mu_j^{(t+1)} = \frac{1}{|\{i : c_i^{(t)} = j\}|} \sum_{i : c_i^{(t)} = j} x_i,

    and stops when the labels repeat, or when :math:`\sum_j \lVert\mu_j^{(t+1)} - \mu_j^{(t)}\rVert^2
    \le \tau\,\frac1d\sum_{l=1}^d \operatorname{var}(x_{\cdot l})` (:math:`\tau = 10^{-4}`), or after
    300 iterations; in the last two cases the labels are recomputed from the final centres. A
    cluster left empty takes the point farthest from its centre. The fit's inertia is the pooled
    within-cluster sum of squares :math:`W = \sum_i \lVert x_i - \mu_{c_i}\rVert^2`. From the same
    initial centres a fit reaches scikit-learn's partition and its inertia to rounding.
    """
    x, centers = np.asarray(x, dtype=float), np.asarray(centers, dtype=float)
    single = x.ndim == 2
    if single:
        x, centers = x[None], centers[None]
        valid = None if valid is None else np.asarray(valid)[None]
    centred, valid, means, unit = _prepare(x, valid)
    labels, inertia, centres, n_iter = _lloyd(centred, valid, centers - means[:, None, :], unit * tol, max_iter)
    fits = KMeansFits(labels, inertia, centres + means[:, None, :], n_iter)
    return KMeansFits(*(a[0] for a in (fits.labels, fits.inertia, fits.centers, fits.n_iter))) if single else fits


def _refines(labels: np.ndarray, best: np.ndarray, valid: np.ndarray, k: int) -> np.ndarray:
    """scikit-learn's ``_is_same_clustering(labels, best)`` per data set: every cluster of ``labels``
    falls within one cluster of ``best`` (B × n arrays → B booleans)."""
    member = (labels[:, None, :] == np.arange(k)[None, :, None]) & valid[:, None, :]
    low = np.where(member, best[:, None, :], k).min(axis=2)
    high = np.where(member, best[:, None, :], -1).max(axis=2)
    return ((low == high) | (low == k)).all(axis=1)


def kmeans(x, k: int, n_init: int = 10, seeds=0, valid=None, max_iter: int = MAX_ITER,
           tol: float = TOL) -> KMeansFits:
    """k-means with greedy k-means++ starts on each of B data sets at once: the best of ``n_init``.

    Parameters
    ----------
    x : array, B × n × d (or n × d for one data set)
        The data sets (padded, with ``valid``, when their sizes differ: :func:`pad`).
    k : int
        Number of clusters, 2 ≤ k ≤ the rows of the smallest data set.
    n_init : int
        Initialisations per data set.
    seeds : int or sequence of int
        Seed of each data set's random numbers (one for all, or one per data set); the data set
        with seed *s* gets the fit of ``KMeans(n_clusters=k, n_init=n_init, random_state=s)``.
    valid : array of bool, B × n, optional
        Real rows.
    max_iter, tol : int, float
        Lloyd's iteration cap and relative tolerance.

    Returns
    -------
    KMeansFits
        The best fit of each data set (a single one when ``x`` is n × d).

    Notes
    -----
    Each initialisation is seeded by :func:`kmeans_plusplus` and run by Lloyd's algorithm
    (:func:`lloyd`); of ``n_init`` runs the lowest inertia wins (a later run replaces the best only
    with a lower inertia *and* another partition). These are scikit-learn's rules
    (``KMeans(algorithm="lloyd", init="k-means++")``, the data centred first, the tolerance scaled
    by the mean feature variance), and the random numbers are drawn from
    ``numpy.random.RandomState(seed)`` in the order scikit-learn draws them: one uniform for the
    first centre and :math:`2 + \\lfloor\\ln k\\rfloor` per further centre, initialisation after
    initialisation (:func:`seeding_uniforms`). With seed *s* a batch fit reaches the fit of
    ``KMeans(n_clusters=k, n_init=n_init, random_state=s)`` except where two k-means++ candidates
    tie exactly (:func:`kmeans_plusplus`). On the book's data 2 of the 4,242 k-means fits of the
    typology page's six gap statistics end differently from scikit-learn's for that reason (both
    at k = 8, where the tie leads to another local optimum); every other fit, partition and
    inertia agrees. The statistics built on these fits therefore agree with the scikit-learn path
    within their Monte Carlo error, and mostly exactly (``tests/test_batched_kmeans.py`` states the
    tolerances). A point exactly equidistant from two centres, the other possible tie, does not
    occur in continuous data.
    """
    x = np.asarray(x, dtype=float)
    single = x.ndim == 2
    if single:
        x = x[None]
        valid = None if valid is None else np.asarray(valid)[None]
    centred, valid, means, unit = _prepare(x, valid)
    sets, n, _ = centred.shape
    if not 1 <= k <= valid.sum(axis=1).min() or n_init < 1:
        raise ValueError(f"k must be between 1 and the smallest data set's size, n_init at least 1; got k = {k}, "
                         f"n_init = {n_init}")
    seeds = np.broadcast_to(np.asarray(seeds, dtype=np.int64), (sets,))
    uniforms = seeding_uniforms(seeds, n_init, k)
    run_set = np.repeat(np.arange(sets), n_init)
    xr, vr = centred[run_set], valid[run_set]
    labels, inertia, centres, n_iter = _lloyd(xr, vr, kmeans_plusplus(xr, k, uniforms, vr), unit[run_set] * tol,
                                              max_iter)
    labels, inertia = labels.reshape(sets, n_init, n), inertia.reshape(sets, n_init)
    chosen = np.zeros(sets, dtype=np.int64)
    for i in range(1, n_init):   # scikit-learn's choice, in the order of the initialisations
        lower = inertia[:, i] < inertia[np.arange(sets), chosen]
        if lower.any():
            lower[lower] = ~_refines(labels[lower, i], labels[lower, chosen[lower]], valid[lower], k)
            chosen[lower] = i
    picked = np.arange(sets) * n_init + chosen
    fits = KMeansFits(labels[np.arange(sets), chosen], inertia[np.arange(sets), chosen],
                      centres[picked] + means[:, None, :], n_iter[picked])
    return KMeansFits(*(a[0] for a in (fits.labels, fits.inertia, fits.centers, fits.n_iter))) if single else fits

"""The adjusted Rand index of two partitions, without a library's per-call overhead.

:func:`adjusted_rand_index` computes Hubert and Arabie's index as scikit-learn's
``adjusted_rand_score`` does, to the same float, in a few microseconds instead of about a
millisecond per call, which matters in the cluster bootstrap (one index per resample) and the
seed spread. The pair counts and the formula: its Notes.

References
----------
Hubert, L. and Arabie, P. (1985). Comparing partitions. *Journal of Classification* 2(1), 193–218.
Steinley, D. (2004). Properties of the Hubert–Arabie adjusted Rand index. *Psychological
Methods* 9(3), 386–396 (the pair-count form).
"""

from __future__ import annotations

import numpy as np

__all__ = ["adjusted_rand_index"]


def adjusted_rand_index(labels, reference) -> float:
    r"""Adjusted Rand index between two labellings of the same observations.

    Parameters
    ----------
    labels, reference : array_like
        Cluster labels (any hashable values, compared for equality), one per observation.

    Returns
    -------
    float
        1 for identical partitions (up to the numbering), about 0 for unrelated ones.

    Notes
    -----
    For two labellings of the same n observations with contingency table :math:`n_{ij}` (row sums
    :math:`a_i`, column sums :math:`b_j`), count the pairs of observations that both partitions put
    together (:math:`t_p`), that only the first (:math:`f_n`) or only the second (:math:`f_p`) does,
    and that neither does (:math:`t_n`):

    .. math::

        t_p = \sum_{ij} n_{ij}^2 - n,\quad f_n = \sum_i a_i^2 - \sum_{ij} n_{ij}^2,\quad
        f_p = \sum_j b_j^2 - \sum_{ij} n_{ij}^2,\quad t_n = n^2 - t_p - f_n - f_p - n

    (ordered pairs), and

    .. math::

        \mathrm{ARI} = \frac{2\,(t_p t_n - f_n f_p)}{(t_p + f_n)(f_n + t_n) + (t_p + f_p)(f_p + t_n)},

    1 when no pair is split by one partition and joined by the other. This is Hubert and Arabie's
    index corrected for chance, written as scikit-learn's ``adjusted_rand_score`` computes it (the
    counts as exact integers, one division), so the two return the same float; it costs a few
    microseconds instead of about a millisecond per call, which matters in the cluster bootstrap
    (one index per resample) and the seed spread.
    """
    _, first = np.unique(np.asarray(labels), return_inverse=True)
    _, second = np.unique(np.asarray(reference), return_inverse=True)
    first, second = first.ravel(), second.ravel()
    if len(first) != len(second):
        raise ValueError(f"the labellings have {len(first)} and {len(second)} observations")
    n = len(first)
    table = np.bincount(first * (second.max(initial=0) + 1) + second)
    joint = int((table.astype(np.int64) ** 2).sum())
    rows = int((np.bincount(first).astype(np.int64) ** 2).sum())
    columns = int((np.bincount(second).astype(np.int64) ** 2).sum())
    tp, fn, fp = joint - n, rows - joint, columns - joint
    tn = n * n - fp - fn - joint
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))

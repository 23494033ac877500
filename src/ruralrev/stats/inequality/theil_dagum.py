"""Why the Theil and the Dagum decompositions put different shares of inequality "between groups".

Both between-group terms measure the inequality of the group means, each with its own index; what
differs is the *within* part. The Theil index gives the within-group indices weights that sum to
1; the Gini counts only pairs of people in the same group and sends the rest to a third term,
transvariation. So the same group means take a larger share of the Gini than of the Theil index.
:func:`between_shares` (and :func:`between_shares_by_year`) computes the shares that show it; the
derivation is in :class:`BetweenShares`.

References
----------
Dagum, C. (1997). *Empirical Economics* 22(4), 515–531. Pyatt, G. (1976). On the interpretation
and disaggregation of Gini coefficients. *Economic Journal* 86(342), 243–255. Shorrocks, A. F.
(1980). *Econometrica* 48(3), 613–625.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ruralrev.stats.inequality.by_group import grouping
from ruralrev.stats.inequality.measures import dagum_gini, gini, theil_decomposition

__all__ = ["BetweenShares", "between_shares", "between_shares_by_year"]


@dataclass(frozen=True)
class BetweenShares:
    r"""Shares of one distribution's Theil T and Gini (fractions; see the Notes).

    ``theil_between`` :math:`T_b/T`; ``theil_within_weight`` :math:`\sum_j s_j` (= 1);
    ``gini_of_means`` :math:`G(\bar y_{g(i)})/G`; ``dagum_net_between`` :math:`G_{nb}/G` (equal to
    ``gini_of_means``); ``dagum_transvariation`` :math:`G_t/G`; ``dagum_within`` :math:`G_w/G`;
    ``gini_within_weight`` :math:`\sum_j p_js_j`.

    Notes
    -----
    Both between-group terms measure the inequality of the group means, each with its own index.
    Dagum's net between-group Gini is exactly the Gini of the distribution in which every person
    has their group's mean: for groups *j*, *h* with :math:`\mu_j \ge \mu_h`, :math:`G_{jh}(p_js_h +
    p_hs_j) = p_jp_h\,\mathrm E|y_i - y_r|/\mu` and :math:`D_{jh}\,\mathrm E|y_i - y_r| = \mu_j -
    \mu_h`, so

    .. math::

        G_{nb} = \sum_{j>h} G_{jh}(p_js_h + p_hs_j)D_{jh}
               = \sum_{j>h} p_jp_h\frac{\mu_j - \mu_h}{\mu} = G(\bar y_{g(i)}),

    the between-group Gini of Pyatt (1976). What differs is the *within* part. The Theil index is
    additively decomposable: :math:`T_w = \sum_j s_jT_j` gives the within-group indices weights that
    sum to 1. The Gini is not: :math:`G_w = \sum_j G_{jj}\,p_js_j` counts only pairs of people in the
    same group, whose weights :math:`\sum_j p_js_j` are about :math:`1/k` with *k* groups of similar
    size, and the differences between people of different groups that run against the order of the
    group means go to a third term, transvariation :math:`G_t`. So the same group means take a larger
    share of the Gini than of the Theil index.

    References
    ----------
    Dagum (1997); Pyatt (1976); Shorrocks (1980).
    """

    theil_between: float
    theil_within_weight: float
    gini_of_means: float
    dagum_net_between: float
    dagum_transvariation: float
    dagum_within: float
    gini_within_weight: float


def between_shares(y, weights, groups) -> BetweenShares:
    """The shares of :class:`BetweenShares` for ``y`` weighted by ``weights`` and partitioned by ``groups``."""
    y = np.asarray(y, dtype=float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    labels = np.asarray(groups)
    theil = theil_decomposition(y, w, labels)
    dagum = dagum_gini(y, w, labels)
    sums = pd.DataFrame({"wy": w * y, "w": w, "g": labels}).groupby("g")[["wy", "w"]].transform("sum")
    means = (sums["wy"] / sums["w"]).to_numpy()
    parts = dagum.groups
    return BetweenShares(theil_between=theil.between_share,
                         theil_within_weight=float(theil.groups["income_share"].sum()),
                         gini_of_means=gini(means, w) / dagum.total,
                         dagum_net_between=dagum.net_between / dagum.total,
                         dagum_transvariation=dagum.transvariation / dagum.total,
                         dagum_within=dagum.within / dagum.total,
                         gini_within_weight=float((parts["population_share"] * parts["income_share"]).sum()))


def between_shares_by_year(panel: pd.DataFrame, variable: str, weight: str, group: str = "region",
                           years=None) -> pd.DataFrame:
    """:func:`between_shares` of ``variable`` across provinces, one row per year (``year`` plus the shares)."""
    chosen = panel if years is None else panel[panel["year"].isin(list(years))]
    labels = grouping(chosen, group)
    rows = []
    for year, part in chosen.groupby("year"):
        part = part.dropna(subset=[variable, weight])
        if part.empty:
            continue
        shares = between_shares(part[variable], part[weight], labels.loc[part.index])
        rows.append({"year": int(year), **asdict(shares)})
    if not rows:
        raise ValueError(f"no year has {variable} and {weight}")
    return pd.DataFrame(rows)

"""Inequality across provinces of a per-capita variable, with population weights.

Each province counts by its population (or any other weight), so that a measure describes how
unequal incomes are across *people* in the provinces, not across 31 equally weighted units.
With equal weights the measures reduce to the textbook unweighted ones; the tests check them
against pysal ``inequality`` in that case.

Functions
---------
theil_t, theil_decomposition   Theil T and its exact between/within split for any grouping
gini, dagum_gini               Gini and Dagum's (1997) decomposition (within, net between,
                               transvariation; pairwise between-group Gini and D_jh)
coefficient_of_variation       weighted CV
grouping, decomposition_series, dagum_by_year, group_means, weighted_mean_by_year
                               the same measures applied to the province panel, year by year

σ- and β-convergence live in :mod:`ruralrev.stats.convergence`; bootstrap confidence intervals over
provinces in :mod:`ruralrev.stats.inequality.bootstrap`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["theil_t", "theil_decomposition", "TheilDecomposition", "gini", "dagum_gini", "DagumDecomposition", "coefficient_of_variation"]


def _prepare(y, weights) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    if y.ndim != 1 or w.shape != y.shape:
        raise ValueError(f"y and weights must be 1-D of equal length (got {y.shape} and {w.shape})")
    if y.size == 0:
        raise ValueError("no observations")
    if not (np.isfinite(y).all() and np.isfinite(w).all()):
        raise ValueError("y and weights must be finite (drop missing values first)")
    if (y < 0).any():
        raise ValueError("inequality measures need non-negative values")
    if (w <= 0).any():
        raise ValueError("weights must be positive")
    if y.sum() == 0:
        raise ValueError("all values are zero: the mean is zero and the measures are undefined")
    return y, w


def _xlogx_ratio(share: np.ndarray, base: np.ndarray) -> np.ndarray:
    """share · ln(share / base), with the limit 0 · ln 0 = 0."""
    out = np.zeros_like(share)
    positive = share > 0
    out[positive] = share[positive] * np.log(share[positive] / base[positive])
    return out


def theil_t(y, weights=None) -> float:
    r"""Weighted Theil T index.

    .. math::

        T = \sum_i s_i \ln\frac{s_i}{\pi_i},
        \qquad \pi_i = \frac{w_i}{\sum_k w_k},\quad s_i = \frac{w_i y_i}{\sum_k w_k y_k}

    where :math:`\pi_i` is province *i*'s population share and :math:`s_i` its share of the
    total (income). Zero incomes contribute 0 (the limit of :math:`s \ln s`). With equal weights
    this is the unweighted Theil index, :math:`\frac1n\sum (y_i/\bar y)\ln(y_i/\bar y)`.

    Parameters
    ----------
    y : array_like
        Per-capita values (non-negative).
    weights : array_like, optional
        Populations (positive); equal by default.

    References
    ----------
    Theil, H. (1967). *Economics and Information Theory*. North-Holland.
    Shorrocks, A. F. (1980). The class of additively decomposable inequality measures.
    *Econometrica* 48(3), 613–625.

    Examples
    --------
    >>> bool(round(theil_t([0, 0, 0, 10, 10, 10]), 6) == round(float(np.log(2)), 6))
    True
    """
    y, w = _prepare(y, weights)
    pi = w / w.sum()
    s = w * y / (w * y).sum()
    return float(_xlogx_ratio(s, pi).sum())


@dataclass(frozen=True)
class TheilDecomposition:
    """Result of :func:`theil_decomposition`; ``between + within == total``."""

    total: float
    between: float
    within: float
    groups: pd.DataFrame  # per group: population share, income share, mean, theil, within contribution

    @property
    def between_share(self) -> float:
        """Share of total inequality between groups (0 when total is 0)."""
        return self.between / self.total if self.total > 0 else 0.0


def theil_decomposition(y, weights=None, groups=None) -> TheilDecomposition:
    r"""Exact decomposition of the weighted Theil T into between- and within-group parts.

    .. math::

        T = \underbrace{\sum_g S_g \ln\frac{S_g}{\Pi_g}}_{\text{between}}
          + \underbrace{\sum_g S_g\, T_g}_{\text{within}}

    with :math:`\Pi_g` and :math:`S_g` the group's population and income shares and :math:`T_g`
    the weighted Theil index inside group *g*.

    Parameters
    ----------
    y, weights : array_like
        As in :func:`theil_t`.
    groups : array_like
        Group label of each observation (e.g. the NBS region).

    Returns
    -------
    TheilDecomposition

    References
    ----------
    Shorrocks, A. F. (1980). *Econometrica* 48(3), 613–625.
    Akita, T. (2003). Decomposing regional income inequality in China and Indonesia using
    two-stage nested Theil decomposition method. *Annals of Regional Science* 37, 55–77.
    """
    y, w = _prepare(y, weights)
    if groups is None:
        raise ValueError("theil_decomposition needs a group label for each observation")
    labels = pd.Series(np.asarray(groups), name="group")
    if len(labels) != len(y):
        raise ValueError(f"{len(labels)} group labels for {len(y)} observations")
    frame = pd.DataFrame({"y": y, "w": w, "group": labels})
    frame["wy"] = frame["w"] * frame["y"]
    total_w, total_wy = frame["w"].sum(), frame["wy"].sum()
    rows = []
    for group, part in frame.groupby("group", sort=False, observed=True):
        pop_share = part["w"].sum() / total_w
        income_share = part["wy"].sum() / total_wy
        inner = theil_t(part["y"], part["w"]) if part["wy"].sum() > 0 else 0.0
        rows.append({"group": group, "population_share": pop_share, "income_share": income_share,
                     "mean": part["wy"].sum() / part["w"].sum(), "theil": inner,
                     "within_contribution": income_share * inner})
    table = pd.DataFrame(rows).set_index("group")
    between = float(_xlogx_ratio(table["income_share"].to_numpy(), table["population_share"].to_numpy()).sum())
    within = float(table["within_contribution"].sum())
    return TheilDecomposition(total=theil_t(y, w), between=between, within=within, groups=table)


def _abs_diff_sum(a: np.ndarray, wa: np.ndarray, b: np.ndarray, wb: np.ndarray) -> tuple[float, float]:
    """Weighted sums of positive and negative parts of a_i − b_r over all pairs."""
    diff = a[:, None] - b[None, :]
    weight = wa[:, None] * wb[None, :]
    return float((weight * np.clip(diff, 0, None)).sum()), float((weight * np.clip(-diff, 0, None)).sum())


def gini(y, weights=None) -> float:
    r"""Weighted Gini coefficient (mean absolute difference over twice the mean).

    .. math:: G = \frac{\sum_i\sum_r w_i w_r |y_i - y_r|}{2 W^2 \mu},
              \qquad W = \sum_i w_i,\ \mu = \frac{\sum_i w_i y_i}{W}

    Examples
    --------
    >>> gini([0, 0, 0, 10, 10, 10])
    0.5
    """
    y, w = _prepare(y, weights)
    positive, negative = _abs_diff_sum(y, w, y, w)
    mean = (w * y).sum() / w.sum()
    return float((positive + negative) / (2 * w.sum() ** 2 * mean))


@dataclass(frozen=True)
class DagumDecomposition:
    """Result of :func:`dagum_gini`; ``within + net_between + transvariation == total``."""

    total: float
    within: float
    net_between: float
    transvariation: float
    groups: pd.DataFrame     # per group: population share p_j, income share s_j, mean, within Gini G_jj
    pairs: pd.DataFrame      # per pair j, h (mean_j >= mean_h): G_jh, D_jh and contributions

    @property
    def shares(self) -> dict[str, float]:
        """Each component as a share of the total Gini."""
        return {"within": self.within / self.total, "net_between": self.net_between / self.total,
                "transvariation": self.transvariation / self.total}

    def within_table(self) -> pd.DataFrame:
        r"""Per group: :math:`p_j`, :math:`s_j`, mean, within-group Gini :math:`G_{jj}`, its
        contribution :math:`G_{jj}p_js_j` and that contribution's share of G (tidy, one row per group)."""
        table = self.groups.reset_index()
        table["contribution"] = table["gini_within"] * table["population_share"] * table["income_share"]
        table["share_of_gini"] = table["contribution"] / self.total
        return table

    def pairs_table(self) -> pd.DataFrame:
        r"""Per pair (richer *j*, poorer *h*): between-group Gini :math:`G_{jh}`, relative affluence
        :math:`D_{jh}`, the weight :math:`p_js_h + p_hs_j`, the net-between and transvariation
        contributions and their shares of G (tidy, one row per pair)."""
        table = self.pairs.copy()
        p = self.groups["population_share"]
        s = self.groups["income_share"]
        table["weight"] = [p[j] * s[h] + p[h] * s[j] for j, h in zip(table["richer"], table["poorer"])]
        table["net_between_share"] = table["net_between"] / self.total
        table["transvariation_share"] = table["transvariation"] / self.total
        return table

    def contributions(self) -> pd.DataFrame:
        """Every term of :math:`G = G_w + G_{nb} + G_t` as a row: ``component`` (within, net between,
        transvariation), ``part`` (a group, or a pair "richer–poorer"), ``value`` and
        ``share_of_gini``; the values sum to the total Gini."""
        within = self.within_table()
        pairs = self.pairs_table()
        label = pairs["richer"].astype(str) + "–" + pairs["poorer"].astype(str)
        rows = [pd.DataFrame({"component": "within", "part": within["group"].astype(str),
                              "value": within["contribution"]}),
                pd.DataFrame({"component": "net between", "part": label, "value": pairs["net_between"]}),
                pd.DataFrame({"component": "transvariation", "part": label, "value": pairs["transvariation"]})]
        table = pd.concat(rows, ignore_index=True)
        table["share_of_gini"] = table["value"] / self.total
        return table

    def gini_matrix(self) -> pd.DataFrame:
        r"""Groups × groups: :math:`G_{jj}` on the diagonal, :math:`G_{jh}` (symmetric) off it."""
        names = list(self.groups.index)
        matrix = pd.DataFrame(np.diag(self.groups["gini_within"].to_numpy(float)), index=names, columns=names)
        for row in self.pairs.itertuples():
            matrix.loc[row.richer, row.poorer] = matrix.loc[row.poorer, row.richer] = row.gini_between
        return matrix


def dagum_gini(y, weights=None, groups=None) -> DagumDecomposition:
    r"""Dagum's (1997) decomposition of the (weighted) Gini coefficient by groups.

    For groups *j*, *h* with population shares :math:`p_j`, income shares :math:`s_j` and means
    :math:`\mu_j` (ordered so that :math:`\mu_j \ge \mu_h`):

    .. math::

        G_{jh} &= \frac{\sum_{i\in j}\sum_{r\in h} w_i w_r |y_i - y_r|}{W_j W_h (\mu_j + \mu_h)},
        \qquad G_{jj} = \frac{\sum_{i,r\in j} w_i w_r |y_i - y_r|}{2 W_j^2 \mu_j} \\
        D_{jh} &= \frac{d_{jh} - p_{jh}}{d_{jh} + p_{jh}},\quad
        d_{jh} = \frac{\sum\sum w_i w_r (y_i - y_r)_+}{W_j W_h},\quad
        p_{jh} = \frac{\sum\sum w_i w_r (y_r - y_i)_+}{W_j W_h} \\
        G_w &= \sum_j G_{jj}\, p_j s_j,\qquad
        G_{nb} = \sum_{j>h} G_{jh} (p_j s_h + p_h s_j) D_{jh},\qquad
        G_t = \sum_{j>h} G_{jh} (p_j s_h + p_h s_j) (1 - D_{jh})

    and :math:`G = G_w + G_{nb} + G_t`. :math:`D_{jh}` (relative economic affluence) is 1 when
    the two groups do not overlap and 0 when their distributions coincide. With equal weights this
    is Dagum's original decomposition; population weights extend it to inequality among people.

    Parameters
    ----------
    y, weights : array_like
        As in :func:`gini`.
    groups : array_like
        Group label of each observation.

    References
    ----------
    Dagum, C. (1997). A new approach to the decomposition of the Gini income inequality ratio.
    *Empirical Economics* 22(4), 515–531.
    """
    y, w = _prepare(y, weights)
    if groups is None:
        raise ValueError("dagum_gini needs a group label for each observation")
    labels = np.asarray(groups)
    if len(labels) != len(y):
        raise ValueError(f"{len(labels)} group labels for {len(y)} observations")
    order = list(dict.fromkeys(labels.tolist()))
    total_w, total_wy = w.sum(), (w * y).sum()
    parts = {g: (y[labels == g], w[labels == g]) for g in order}
    info = {}
    for g, (yg, wg) in parts.items():
        mean = (wg * yg).sum() / wg.sum()
        positive, negative = _abs_diff_sum(yg, wg, yg, wg)
        info[g] = {"population_share": wg.sum() / total_w, "income_share": (wg * yg).sum() / total_wy,
                   "mean": mean, "gini_within": (positive + negative) / (2 * wg.sum() ** 2 * mean)}
    groups_table = pd.DataFrame(info).T
    groups_table.index.name = "group"
    within = float((groups_table["gini_within"] * groups_table["population_share"]
                    * groups_table["income_share"]).sum())
    pair_rows = []
    for a_index, a in enumerate(order):
        for b in order[a_index + 1:]:
            j, h = (a, b) if info[a]["mean"] >= info[b]["mean"] else (b, a)
            (yj, wj), (yh, wh) = parts[j], parts[h]
            d_jh, p_jh = _abs_diff_sum(yj, wj, yh, wh)
            gini_jh = (d_jh + p_jh) / (wj.sum() * wh.sum() * (info[j]["mean"] + info[h]["mean"]))
            d_jh, p_jh = d_jh / (wj.sum() * wh.sum()), p_jh / (wj.sum() * wh.sum())
            affluence = (d_jh - p_jh) / (d_jh + p_jh) if d_jh + p_jh > 0 else 0.0
            weight = (info[j]["population_share"] * info[h]["income_share"]
                      + info[h]["population_share"] * info[j]["income_share"])
            pair_rows.append({"richer": j, "poorer": h, "gini_between": gini_jh, "d_jh": d_jh, "p_jh": p_jh,
                              "D_jh": affluence, "net_between": gini_jh * weight * affluence,
                              "transvariation": gini_jh * weight * (1 - affluence)})
    pairs = pd.DataFrame(pair_rows, columns=["richer", "poorer", "gini_between", "d_jh", "p_jh", "D_jh",
                                             "net_between", "transvariation"])
    return DagumDecomposition(total=gini(y, w), within=within,
                              net_between=float(pairs["net_between"].sum()),
                              transvariation=float(pairs["transvariation"].sum()),
                              groups=groups_table, pairs=pairs)


def coefficient_of_variation(y, weights=None) -> float:
    r"""Weighted coefficient of variation :math:`\sqrt{\sum_i \pi_i (y_i-\mu)^2}/\mu`.

    References
    ----------
    Williamson, J. G. (1965). Regional inequality and the process of national development.
    *Economic Development and Cultural Change* 13(4), 1–84 (the population-weighted CV).
    """
    y, w = _prepare(y, weights)
    pi = w / w.sum()
    mean = (pi * y).sum()
    return float(np.sqrt((pi * (y - mean) ** 2).sum()) / mean)



"""Inequality measures applied to the province panel: by year, by group of provinces.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ruralrev.stats.inequality.measures import (
    coefficient_of_variation,
    dagum_gini,
    theil_decomposition,
)

__all__ = ["MUNICIPALITIES", "dagum_by_year", "decomposition_series", "group_means", "grouping", "mean_ratio",
           "weighted_mean_by_year"]


#: Province groupings the chapters can decompose by (name -> function of the panel).
MUNICIPALITIES = ("Beijing", "Tianjin", "Shanghai", "Chongqing")



def grouping(panel: pd.DataFrame, name: str) -> pd.Series:
    """Group label of each panel row: ``"region"`` (NBS four regions) or ``"municipality"``
    (the four province-level municipalities against the other 27 provinces)."""
    if name == "region":
        return panel["region"].astype(str)
    if name == "municipality":
        return pd.Series(np.where(panel["province"].isin(MUNICIPALITIES), "Municipality", "Province"),
                         index=panel.index)
    raise ValueError(f"unknown grouping {name!r}; use 'region' or 'municipality'")



def decomposition_series(panel: pd.DataFrame, variable: str, weight: str, group: str = "region",
                         years=None) -> pd.DataFrame:
    """Theil and Dagum decompositions of ``variable`` across provinces, one row per year.

    Columns: ``theil``, ``theil_between``, ``theil_within``, ``theil_between_share``, ``gini``,
    ``gini_within``, ``gini_net_between``, ``gini_transvariation``, ``cv`` and ``n``.
    """
    rows = []
    chosen = panel if years is None else panel[panel["year"].isin(list(years))]
    labels = grouping(chosen, group)
    for year, part in chosen.groupby("year"):
        part = part.dropna(subset=[variable, weight])
        if part.empty:
            continue
        y, w, g = part[variable].to_numpy(float), part[weight].to_numpy(float), labels.loc[part.index]
        theil = theil_decomposition(y, w, g)
        dagum = dagum_gini(y, w, g.to_numpy())
        rows.append({"year": int(year), "n": len(part), "theil": theil.total, "theil_between": theil.between,
                     "theil_within": theil.within, "theil_between_share": theil.between_share,
                     "gini": dagum.total, "gini_within": dagum.within, "gini_net_between": dagum.net_between,
                     "gini_transvariation": dagum.transvariation, "cv": coefficient_of_variation(y, w)})
    return pd.DataFrame(rows)



def dagum_by_year(panel: pd.DataFrame, variable: str, weight: str, group: str = "region",
                  years=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The full Dagum decomposition of each year as two tidy frames, for display.

    Returns ``(within, pairs)``: :meth:`DagumDecomposition.within_table` and
    :meth:`DagumDecomposition.pairs_table` of every year, stacked with a ``year`` column.
    """
    chosen = panel if years is None else panel[panel["year"].isin(list(years))]
    labels = grouping(chosen, group)
    within, pairs = [], []
    for year, part in chosen.groupby("year"):
        part = part.dropna(subset=[variable, weight])
        if part.empty:
            continue
        result = dagum_gini(part[variable].to_numpy(float), part[weight].to_numpy(float),
                            labels.loc[part.index].to_numpy())
        within.append(result.within_table().assign(year=int(year)))
        pairs.append(result.pairs_table().assign(year=int(year)))
    if not within:
        raise ValueError(f"no year has {variable} and {weight}")
    first = ["year"]
    within_frame, pairs_frame = pd.concat(within, ignore_index=True), pd.concat(pairs, ignore_index=True)
    return (within_frame[first + [c for c in within_frame.columns if c != "year"]],
            pairs_frame[first + [c for c in pairs_frame.columns if c != "year"]])



def group_means(panel: pd.DataFrame, variable: str, weight: str, group: str = "region") -> pd.DataFrame:
    """Weighted mean of ``variable`` per group and year (years as rows, groups as columns)."""
    frame = panel.dropna(subset=[variable, weight]).assign(_group=lambda f: grouping(f, group))
    frame = frame.assign(_wy=frame[variable] * frame[weight])
    sums = frame.groupby(["year", "_group"], observed=True)[["_wy", weight]].sum()
    means = (sums["_wy"] / sums[weight]).unstack("_group")
    means.columns.name = group
    return means



def weighted_mean_by_year(panel: pd.DataFrame, variable: str, weight: str) -> pd.Series:
    """Weighted mean of ``variable`` over all provinces, per year: :math:`\\sum_i w_i y_i / \\sum_i w_i`."""
    frame = panel.dropna(subset=[variable, weight])
    sums = frame.assign(_wy=frame[variable] * frame[weight]).groupby("year")[["_wy", weight]].sum()
    return (sums["_wy"] / sums[weight]).rename(variable)


def mean_ratio(panel: pd.DataFrame, numerator: str, numerator_weight: str, denominator: str,
               denominator_weight: str, group: str = "region", total: str = "National") -> pd.DataFrame:
    r"""Ratio of two weighted means per group and year, and over all provinces (column ``total``).

    .. math:: R_{gt} = \frac{\sum_{i\in g} u_{it} y_{it} / \sum_{i\in g} u_{it}}
                            {\sum_{i\in g} v_{it} x_{it} / \sum_{i\in g} v_{it}}

    with *y* the ``numerator`` weighted by *u* and *x* the ``denominator`` weighted by *v*: the
    urban/rural income ratio of a group of provinces is urban income weighted by urban population
    over rural income weighted by rural population, the way the national ratio divides the two
    national per-capita incomes (NBS, *China Statistical Yearbook*, table "Per capita disposable
    income of urban and rural households"). Years as rows, groups then ``total`` as columns.
    """
    by_group = group_means(panel, numerator, numerator_weight, group) / group_means(panel, denominator,
                                                                                    denominator_weight, group)
    overall = weighted_mean_by_year(panel, numerator, numerator_weight) / weighted_mean_by_year(
        panel, denominator, denominator_weight)
    return by_group.assign(**{total: overall})

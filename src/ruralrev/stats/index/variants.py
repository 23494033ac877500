"""The composite index under alternative pools of years and indicator sets.

An entropy weight rewards dispersion across the pooled province-years, so a series break (a
province whose level changes with a definition) enters the weights as if it were information.
This module builds the index on several choices of indicators and of the years pooled with the
year a page ranks (:func:`build_variants`, the pool rules of
:func:`ruralrev.data.breaks.pooling.pool_years`), and compares the results: weights side by side
(:func:`weights_table`) and agreement of the ranks (:func:`rank_agreement`).

References
----------
OECD/JRC (2008). *Handbook on Constructing Composite Indicators: Methodology and User Guide*,
sections 4 (data quality and comparability over time) and 7 (robustness of the ranks to the
construction choices).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruralrev.data.breaks.pooling import pool_years, span
from ruralrev.stats.index.entropy_topsis import CompositeIndex, pooled_index

__all__ = ["build_variants", "weights_table", "rank_agreement", "IndexTracking", "tracking"]


def build_variants(panel: pd.DataFrame, year: int, specs: dict[str, tuple],
                   flags_of: Callable[[str], pd.DataFrame] | None = None) -> dict[str, CompositeIndex]:
    """One :func:`ruralrev.stats.index.entropy_topsis.pooled_index` per entry of ``specs`` (name → (indicators with
    directions, pool rule[, TOPSIS normalisation, ``"minmax"`` by default])), each pooled over
    :func:`pool_years` of its indicators and rule."""
    out = {}
    for name, (indicators, rule, *rest) in specs.items():
        years = pool_years(panel, indicators, year, rule, flags_of)
        out[name] = pooled_index(panel, indicators, years, normalization=rest[0] if rest else "minmax")
    return out


def weights_table(variants: dict[str, CompositeIndex]) -> pd.DataFrame:
    """Entropy weights of every variant (columns) by indicator (rows, in order of first
    appearance); an indicator a variant leaves out is missing (NaN) there."""
    codes = list(dict.fromkeys(code for index in variants.values() for code in index.weights.index))
    return pd.DataFrame({name: index.weights.reindex(codes) for name, index in variants.items()}, index=codes)


def rank_agreement(variants: dict[str, CompositeIndex], year: int, reference: str) -> pd.DataFrame:
    r"""How far each variant's ranks in ``year`` move from those of the ``reference`` variant.

    One row per variant: ``years`` (pooled span), ``indicators`` (count), ``normalization``
    (TOPSIS), ``reversed`` (the indicators entering as costs, comma-separated), ``spearman`` (rank
    correlation with the reference, scipy), ``largest_shift`` (largest absolute rank change),
    ``shifted`` (the province with it; the first in alphabetical order on a tie) and
    ``mean_shift`` (mean absolute rank change).

    Notes
    -----
    Spearman's rank correlation (``scipy.stats.spearmanr``),

    .. math:: \rho = 1 - \frac{6\sum_i d_i^2}{n(n^2-1)}

    (without ties), with :math:`d_i` the difference of province *i*'s ranks under two variants.
    """
    from scipy.stats import spearmanr

    if reference not in variants:
        raise ValueError(f"reference {reference!r} is not among the variants {list(variants)}")
    base = variants[reference].year(year)["rank"]
    rows = []
    for name, index in variants.items():
        ranks = index.year(year)["rank"].reindex(base.index)
        shift = (ranks - base).abs().sort_index()
        rows.append({"variant": name, "years": span(index.years), "indicators": len(index.weights),
                     "normalization": index.normalization,
                     "reversed": ", ".join(c for c, d in index.directions.items() if d < 0) or "none",
                     "spearman": float(spearmanr(ranks, base).statistic), "largest_shift": int(shift.max()),
                     "shifted": shift.idxmax() if shift.max() > 0 else "none",
                     "mean_shift": float(np.mean(shift))})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class IndexTracking:
    """Result of :func:`tracking`: per column of the other scores, the Spearman and Pearson
    correlation with the index (``spearman``, ``pearson``), and the R² of a least-squares
    regression of the index on all those columns with an intercept (``r_squared``)."""

    spearman: pd.Series
    pearson: pd.Series
    r_squared: float


def tracking(closeness: pd.Series, scores: pd.DataFrame) -> IndexTracking:
    r"""How closely an index follows other scores of the same observations (e.g. principal components).

    The observations are matched by index label. Spearman's coefficient is Pearson's correlation of
    the average ranks; the R² is :math:`1 - \sum_i e_i^2 / \sum_i (y_i - \bar y)^2` of the OLS
    fit :math:`y_i = b_0 + \sum_c b_c t_{ic} + e_i`.
    """
    scores = scores.reindex(closeness.index)
    if scores.isna().any().any() or closeness.isna().any():
        raise ValueError("every observation of the index needs a score and a value")
    y = closeness.to_numpy(float)
    ranks_y = closeness.rank().to_numpy(float)
    spearman = pd.Series({c: float(np.corrcoef(ranks_y, scores[c].rank().to_numpy(float))[0, 1]) for c in scores})
    pearson = pd.Series({c: float(np.corrcoef(y, scores[c].to_numpy(float))[0, 1]) for c in scores})
    design = np.column_stack([np.ones(len(y)), scores.to_numpy(float)])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    r_squared = 1 - float(residual @ residual) / float(((y - y.mean()) ** 2).sum())
    return IndexTracking(spearman=spearman, pearson=pearson, r_squared=r_squared)

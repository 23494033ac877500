r"""Two checks of the rural broadband convergence that the operators' reclassifications cannot fake.

* :func:`total_rate_inequality` — the population-weighted Theil T of *total* fixed-broadband
  subscriptions per 100 residents beside that of the rural rate. Moving an account between the
  operators' urban and rural classes changes the rural rate but not the total, so a fall of the
  total's inequality at least as large as the rural rate's says the convergence is not bookkeeping:

  .. math:: T = \sum_i \frac{p_i}{P}\frac{x_i}{\bar x}\ln\frac{x_i}{\bar x},\qquad
            x_i = 100\,\frac{\text{subscriptions}_i}{\text{residents}_i}

* :func:`selection_profile` — how the provinces never flagged differ from the flagged ones at the
  start (median rate) and over the window (median log growth). The quality rule flags changes
  that outrun the province's history, so "never flagged" selects slow growers on the outcome
  itself: agreement between that sample and the full one is not a test of the breaks.

References
----------
Theil, H. (1967). *Economics and Information Theory*. North-Holland, chapter 4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ruralrev.stats.inequality.measures import theil_t

__all__ = ["total_rate_inequality", "selection_profile"]


def total_rate_inequality(panel: pd.DataFrame, provinces, start: int, end: int) -> pd.DataFrame:
    """Theil T of the rural rate (weights: rural population) and of the total rate (total
    subscriptions per 100 residents; weights: total population) in ``start`` and ``end`` on
    ``provinces``. Rows ``rural`` and ``total``; columns ``first``, ``last``, ``change_pct``."""
    part = panel[panel["province"].isin(list(provinces))]
    rows = {}
    for name, rate, weight in (("rural", "rural_broadband_per_100_rural_residents", "rural_population"),
                               ("total", None, "total_population")):
        values = []
        for year in (start, end):
            one = part[part["year"] == year]
            x = one[rate] if rate else 100 * one["broadband_users"] / one["total_population"]
            keep = x.notna() & one[weight].notna()
            if keep.sum() < len(one):
                raise ValueError(f"{name} broadband rate missing in {year} for {sorted(one.loc[~keep, 'province'])}")
            values.append(theil_t(x.to_numpy(float), one[weight].to_numpy(float)))
        rows[name] = {"first": values[0], "last": values[1], "change_pct": 100 * (values[1] / values[0] - 1)}
    return pd.DataFrame(rows).T


def selection_profile(panel: pd.DataFrame, code: str, provinces, never, start: int, end: int) -> pd.DataFrame:
    """Median starting value of ``code`` and median log growth ``start``–``end`` of the never-flagged
    provinces (``never``) and the flagged others among ``provinces``. Rows ``never flagged`` and
    ``flagged``; columns ``provinces``, ``median_first``, ``median_growth``."""
    wide = panel[panel["year"].isin([start, end])].pivot(index="province", columns="year", values=code)
    wide = wide.loc[list(provinces)]
    growth = np.log(wide[end] / wide[start])
    groups = {"never flagged": [p for p in provinces if p in set(never)],
              "flagged": [p for p in provinces if p not in set(never)]}
    return pd.DataFrame({name: {"provinces": len(members), "median_first": float(wide.loc[members, start].median()),
                                "median_growth": float(growth.loc[members].median())}
                         for name, members in groups.items()}).T

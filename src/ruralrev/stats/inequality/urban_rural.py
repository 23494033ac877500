r"""The urban–rural income gap with official urban income: coverage and a Theil decomposition.

Official urban per-capita disposable income by province exists for 2016–2018 (26–27 provinces)
and 2020 (all 31) only (:func:`ruralrev.data.official.load_urban_income`). With it each province
splits into an urban and a rural cell (:func:`cells`), and :func:`urban_rural_theil` decomposes
the population-weighted Theil T over the cells exactly, by residence and by province (Shorrocks
1980; the formulas in its Notes). Compare years only on the same provinces
(:func:`common_urban_income_provinces`): coverage changes from year to year, and a measure over
more provinces is a different measure.

References
----------
Shorrocks, A. F. (1980). The class of additively decomposable inequality measures.
*Econometrica* 48(3), 613–625.
Kanbur, R. and Zhang, X. (1999). Which regional inequality? The evolution of rural–urban and
inland–coastal inequality in China from 1983 to 1995. *Journal of Comparative Economics* 27(4),
686–701.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ruralrev.stats.inequality.measures import theil_decomposition

__all__ = ["URBAN_INCOME_YEARS", "urban_income_coverage", "common_urban_income_provinces", "cells",
           "UrbanRuralTheil", "urban_rural_theil", "urban_rural_theil_series"]

_NEEDED = ["urban_income", "rural_income", "urban_population", "rural_population"]


def urban_income_coverage(panel: pd.DataFrame) -> pd.DataFrame:
    """Provinces with everything a cell needs (official urban income, rural income, both
    populations), by year: ``year``, ``provinces`` (count), ``missing`` (names, text)."""
    rows = []
    for year, part in panel.groupby("year"):
        complete = part.dropna(subset=_NEEDED)
        if complete.empty:
            continue
        rows.append({"year": int(year), "provinces": len(complete),
                     "missing": ", ".join(sorted(set(part["province"]) - set(complete["province"])))})
    return pd.DataFrame(rows, columns=["year", "provinces", "missing"])


#: The years with official urban income in the committed snapshot (see the module docstring).
URBAN_INCOME_YEARS = (2016, 2017, 2018, 2020)


def common_urban_income_provinces(panel: pd.DataFrame, years) -> list[str]:
    """Provinces with complete cells in *every* one of ``years`` (the set to compare them on)."""
    years = [int(y) for y in years]
    complete = panel[panel["year"].isin(years)].dropna(subset=_NEEDED)
    counts = complete.groupby("province")["year"].nunique()
    return sorted(counts[counts == len(years)].index)


def cells(panel: pd.DataFrame, year: int, provinces=None) -> pd.DataFrame:
    """The province × residence cells of one year: ``province``, ``region``, ``residence``
    (``urban``/``rural``), ``income`` (yuan per person) and ``population`` (10,000 persons).

    Without ``provinces``: every province with complete cells that year. With ``provinces``: those,
    and an error naming any that lacks official urban income (never estimated).
    """
    part = panel[panel["year"] == int(year)].set_index("province")
    if provinces is None:
        part = part.dropna(subset=_NEEDED)
    else:
        provinces = list(provinces)
        unknown = sorted(set(provinces) - set(part.index))
        if unknown:
            raise ValueError(f"unknown province(s) {unknown}")
        part = part.loc[provinces]
        lacking = part.index[part[_NEEDED].isna().any(axis=1)].tolist()
        if lacking:
            raise ValueError(f"{year}: no official urban income (or population) for {', '.join(lacking)}")
    if part.empty:
        raise ValueError(f"{year}: no province has official urban income")
    frames = [pd.DataFrame({"province": part.index, "region": part["region"].astype(str).to_numpy(),
                            "residence": residence, "income": part[f"{residence}_income"].to_numpy(float),
                            "population": part[f"{residence}_population"].to_numpy(float)})
              for residence in ("urban", "rural")]
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class UrbanRuralTheil:
    """Result of :func:`urban_rural_theil`:
    ``between_residence + within_residence == between_province + within_province == total``."""

    year: int
    provinces: tuple[str, ...]
    total: float
    between_residence: float
    within_residence: float
    between_province: float
    within_province: float
    residence: pd.DataFrame  # urban and rural: population share, income share, mean, theil across provinces

    @property
    def shares(self) -> dict[str, float]:
        """Each component as a share of the total."""
        return {name: getattr(self, name) / self.total for name in
                ("between_residence", "within_residence", "between_province", "within_province")}


def urban_rural_theil(cell_frame: pd.DataFrame, year: int | None = None) -> UrbanRuralTheil:
    r"""Population-weighted Theil T over province × residence cells, split by residence and by province.

    Parameters
    ----------
    cell_frame : DataFrame
        The output of :func:`cells` (one year).
    year : int, optional
        Stored in the result.

    Returns
    -------
    UrbanRuralTheil
        See the Notes for the formulas; both splits are
        :func:`ruralrev.stats.inequality.measures.theil_decomposition` of the same cells.

    Notes
    -----
    With official urban income each province splits into two cells — its urban residents with
    income :math:`y_{pu}` and weight :math:`P_{pu}` (urban population), its rural residents
    likewise — and the population-weighted Theil T over the :math:`2N` cells decomposes exactly in
    two ways (Shorrocks 1980):

    .. math::

        T = \underbrace{\sum_{g\in\{u,r\}} S_g\ln\frac{S_g}{\Pi_g}}_{\text{between residence}}
          + \underbrace{\sum_{g} S_g T_g}_{\text{across provinces within residence}}
          = \underbrace{\sum_{p} S_p\ln\frac{S_p}{\Pi_p}}_{\text{between province}}
          + \underbrace{\sum_{p} S_p T_p}_{\text{urban–rural within province}}

    with :math:`\Pi`, :math:`S` the population and income shares of a group, :math:`T_g` the Theil
    index across the provinces' cells of residence *g* and :math:`T_p` the urban–rural Theil index of
    province *p*. The first split is the urban–rural ("dual structure") decomposition of the Chinese
    regional-inequality literature (Kanbur and Zhang 1999). The cells carry their means only, so
    this is inequality among cell means — inequality among households inside a cell is not in the
    data and would add to T. The provincial mean implied here (the cells weighted by resident
    population) is not the survey's all-residents income, whose weights differ
    (:func:`ruralrev.data.official.urban_income_share_estimate`).
    """
    y, w = cell_frame["income"].to_numpy(float), cell_frame["population"].to_numpy(float)
    by_residence = theil_decomposition(y, w, cell_frame["residence"].to_numpy())
    by_province = theil_decomposition(y, w, cell_frame["province"].to_numpy())
    return UrbanRuralTheil(year=int(year) if year is not None else -1,
                           provinces=tuple(dict.fromkeys(cell_frame["province"])), total=by_residence.total,
                           between_residence=by_residence.between, within_residence=by_residence.within,
                           between_province=by_province.between, within_province=by_province.within,
                           residence=by_residence.groups)


def urban_rural_theil_series(panel: pd.DataFrame, years, provinces=None) -> pd.DataFrame:
    """:func:`urban_rural_theil` for each year, on ``provinces`` (default: every province with
    complete cells that year — then the rows are **not** comparable with each other).

    Columns: ``year``, ``provinces`` (count), ``total``, the four components and their shares
    (``*_share``, fractions), ``urban_mean``, ``rural_mean`` (population-weighted, yuan) and
    ``mean_ratio`` (urban over rural).
    """
    rows = []
    for year in years:
        result = urban_rural_theil(cells(panel, year, provinces), year)
        groups = result.residence
        row = {"year": int(year), "provinces": len(result.provinces), "total": result.total,
               "between_residence": result.between_residence, "within_residence": result.within_residence,
               "between_province": result.between_province, "within_province": result.within_province}
        row.update({f"{name}_share": share for name, share in result.shares.items()})
        row.update({"urban_mean": float(groups.loc["urban", "mean"]), "rural_mean": float(groups.loc["rural", "mean"]),
                    "mean_ratio": float(groups.loc["urban", "mean"] / groups.loc["rural", "mean"])})
        rows.append(row)
    return pd.DataFrame(rows)

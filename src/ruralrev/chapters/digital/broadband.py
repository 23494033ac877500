"""Broadband in the provincial data: national rates, coverage, and the break flags handled visibly.

The NBS internet indicators count *fixed-broadband subscriptions* (accounts) that the operators
class as urban or rural, at year end. Per 100 residents of the same class they are a proxy of
take-up, not a count of people online: one subscription usually serves a household, businesses
and village institutions subscribe too, and the operators' "rural" is not the census rural
population of the denominator (see ``rural_broadband_per_100_rural_residents`` in
:mod:`ruralrev.data.registry`). Mobile internet subscriptions are not split urban/rural.

* national rates: :func:`rural_broadband_national`, :func:`national_series`; the population a
  per-resident indicator refers to: :func:`population_weight`;
* coverage and the break flags of :mod:`ruralrev.data.breaks.flags` as analysis choices:
  :func:`common_provinces`, :func:`flagged_province_years`, :func:`never_flagged_provinces`,
  :func:`without_flagged`; each flagged change beside the other class's: :func:`broadband_flag_kinds`;
* inequality, convergence and two-way fixed-effects models on those samples:
  :func:`convergence_summary`, :func:`fe_variants`, :func:`fe_grid`, :func:`fe_summary`,
  :func:`fe_tally` (counts only: the chapter words what they mean).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ruralrev.data import registry
from ruralrev.data.breaks import flags as break_flags
from ruralrev.stats.convergence import beta_convergence, sigma_convergence
from ruralrev.stats.inequality.bootstrap import bootstrap_inequality
from ruralrev.stats.regression import models

__all__ = [
    "DIGITAL_OUTCOMES", "population_weight", "NationalBroadband", "rural_broadband_national", "national_series",
    "common_provinces", "flagged_province_years", "never_flagged_provinces", "without_flagged",
    "OFFSET_SMALL", "OFFSET_LARGE", "broadband_flag_kinds", "fe_variants", "fe_grid", "fe_summary", "FeTally",
    "fe_tally", "convergence_summary",
]

#: Per-resident digital indicators a chapter can analyse (registry codes tagged digital and per_capita).
DIGITAL_OUTCOMES = [c for c in registry.codes(tag="digital") if "per_capita" in registry.get(c).tags]


def population_weight(code: str) -> str:
    """The resident population a per-resident indicator divides by: ``rural_population`` for an
    indicator tagged ``rural``, ``urban_population`` for ``urban``, else ``total_population``
    (read from the registry's tags); its weight in inequality measures and weighted regressions.

    >>> population_weight("rural_broadband_per_100_rural_residents")
    'rural_population'
    """
    tags = registry.get(code).tags
    if "rural" in tags and "urban" not in tags:
        return "rural_population"
    if "urban" in tags and "rural" not in tags:
        return "urban_population"
    return "total_population"


@dataclass(frozen=True)
class NationalBroadband:
    """Result of :func:`rural_broadband_national` (subscriptions and populations in 10,000s).

    ``provinces`` counts the provinces whose rural subscriptions are published that year;
    ``not_published`` names the others, left out of the rural numerator *and* denominator.
    """

    year: int
    provinces: int
    not_published: tuple[str, ...]
    rural_subscriptions: float
    rural_population: float
    rural_per_100: float
    urban_subscriptions: float
    urban_population: float
    urban_per_100: float
    urban_rural_ratio: float
    mobile_per_100_residents: float

    def as_dict(self) -> dict:
        """The fields as a plain dictionary (e.g. for a ledger row or a table)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def rural_broadband_national(panel: pd.DataFrame, year: int, provinces=None) -> NationalBroadband:
    r"""National rural (and urban) fixed-broadband subscriptions per 100 residents in one year.

    The provincial sums, which equal the population-weighted means of the provincial rates:

    .. math::

        R_t = 100\,\frac{\sum_i B^{r}_{it}}{\sum_i P^{r}_{it}}
            = \sum_i \frac{P^{r}_{it}}{\sum_k P^{r}_{kt}}\; 100\,\frac{B^{r}_{it}}{P^{r}_{it}},
        \qquad U_t = 100\,\frac{\sum_i B^{u}_{it}}{\sum_i P^{u}_{it}},

    over the provinces that publish rural subscriptions :math:`B^r` (rural residents :math:`P^r`),
    likewise urban; the gap is :math:`U_t / R_t`. Mobile internet subscriptions are not split
    urban/rural; ``mobile_per_100_residents`` is per 100 residents of all 31 provinces.

    ``rural_per_100`` counts fixed-broadband *accounts* (one per household, businesses included,
    classed rural by the operators) per 100 rural residents, not people online: it is a different
    concept from an internet penetration rate such as CNNIC's (people who used the internet by any
    access, as a share of rural residents), which paper 002 quotes.

    Parameters
    ----------
    panel : DataFrame
        The panel (:func:`ruralrev.data.official.load_panel`).
    year : int
        A panel year (2016–2024).
    provinces : list of str, optional
        Sum over these provinces only (e.g. :func:`common_provinces`, to compare years on one set);
        default all 31.

    Returns
    -------
    NationalBroadband

    References
    ----------
    ITU (2020). *Handbook for the Collection of Administrative Data on Telecommunications/ICT*,
    on fixed-broadband subscriptions (accounts, not users) against internet users (persons).

    Examples
    --------
    >>> from ruralrev import data
    >>> round(rural_broadband_national(data.load_panel(), 2023).rural_per_100, 2)
    40.23
    """
    part = panel[panel["year"] == year]
    if part.empty:
        raise ValueError(f"year {year} is outside the panel ({panel['year'].min()}–{panel['year'].max()})")
    if provinces is not None:
        unknown = sorted(set(provinces) - set(part["province"]))
        if unknown:
            raise ValueError(f"unknown province(s) {unknown}")
        part = part[part["province"].isin(list(provinces))]
    rural = part.dropna(subset=["rural_broadband_users", "rural_population"])
    urban = part.dropna(subset=["urban_broadband_users", "urban_population"])
    mobile = part.dropna(subset=["mobile_internet_users", "urban_population", "rural_population"])
    if rural.empty or urban.empty or len(mobile) != len(part):
        raise ValueError(f"broadband or mobile subscriptions are not published for {year}")
    rural_rate = 100 * rural["rural_broadband_users"].sum() / rural["rural_population"].sum()
    urban_rate = 100 * urban["urban_broadband_users"].sum() / urban["urban_population"].sum()
    residents = (mobile["urban_population"] + mobile["rural_population"]).sum()
    missing = tuple(sorted(set(part["province"]) - set(rural["province"])))
    return NationalBroadband(
        year=int(year), provinces=len(rural), not_published=missing,
        rural_subscriptions=float(rural["rural_broadband_users"].sum()),
        rural_population=float(rural["rural_population"].sum()), rural_per_100=float(rural_rate),
        urban_subscriptions=float(urban["urban_broadband_users"].sum()),
        urban_population=float(urban["urban_population"].sum()), urban_per_100=float(urban_rate),
        urban_rural_ratio=float(urban_rate / rural_rate),
        mobile_per_100_residents=float(100 * mobile["mobile_internet_users"].sum() / residents))


def national_series(panel: pd.DataFrame, years, provinces=None) -> pd.DataFrame:
    """:func:`rural_broadband_national` for each year (on ``provinces``), one row per year
    (``not_published`` as text)."""
    rows = [rural_broadband_national(panel, int(year), provinces).as_dict() for year in years]
    frame = pd.DataFrame(rows)
    frame["not_published"] = frame["not_published"].map(lambda names: ", ".join(names))
    return frame


def common_provinces(panel: pd.DataFrame, code: str, years) -> list[str]:
    """Provinces with a value of ``code`` (and of its population weight) in *every* year of
    ``years``: the fixed set on which measures of different years can be compared."""
    years = [int(y) for y in years]
    columns = [code, population_weight(code)] if code in DIGITAL_OUTCOMES else [code]
    part = panel[panel["year"].isin(years)].dropna(subset=columns)
    counts = part.groupby("province")["year"].nunique()
    return sorted(counts[counts == len(years)].index)


def flagged_province_years(code: str, years=None, root: Path | None = None) -> pd.DataFrame:
    """The province-years that close a flagged change of ``code`` (or of a series in its formula).

    A flag (:func:`ruralrev.data.breaks.flags.flags_for`) marks the change from ``year_from`` to
    ``year_to``; the value of ``year_to`` is the one on a new footing, so that province-year is
    the one an analysis drops. With ``years``, only flags whose ``year_to`` lies in them.

    Returns
    -------
    DataFrame
        ``province``, ``year`` (= ``year_to``), ``series``, ``change_pct``; one row per
        province-year (several series flagged the same year are joined).
    """
    flags = break_flags.flags_for(code, root)
    if years is not None:
        flags = flags[flags["year_to"].isin([int(y) for y in years])]
    table = (flags.rename(columns={"year_to": "year"})
             .groupby(["province", "year"], as_index=False)
             .agg(series=("series", lambda s: ", ".join(dict.fromkeys(s))),
                  change_pct=("change_pct", lambda s: float(s.iloc[0]))))
    return table.sort_values(["province", "year"]).reset_index(drop=True)


def never_flagged_provinces(panel: pd.DataFrame, code: str, years, root: Path | None = None) -> list[str]:
    """:func:`common_provinces` without every province that has a flagged change of ``code``
    closing in ``years`` (the strictest choice: a province on one footing throughout)."""
    flagged = set(flagged_province_years(code, years, root)["province"])
    return [p for p in common_provinces(panel, code, years) if p not in flagged]


def without_flagged(panel: pd.DataFrame, code: str, years=None, root: Path | None = None) -> pd.DataFrame:
    """A copy of the panel with ``code`` set to missing in its flagged province-years.

    For ``log_<x>`` the column ``x`` is blanked. Any model or measure then drops those
    province-years as incomplete cases.
    """
    column = code[4:] if code.startswith("log_") and code not in panel.columns else code
    pairs = flagged_province_years(column, years, root)
    out = panel.copy()
    keys = pd.MultiIndex.from_frame(out[["province", "year"]])
    drop = keys.isin(pd.MultiIndex.from_frame(pairs[["province", "year"]])) if len(pairs) else np.zeros(len(out), bool)
    out.loc[drop, column] = np.nan
    return out


#: Bounds of ``offset_share`` (:func:`broadband_flag_kinds`): below ``OFFSET_SMALL`` the other class mirrors
#: too little of the change to account for it (``small``); above ``OFFSET_LARGE`` it moved more than a
#: reclassification alone would move (``large``); in between the sizes match (``matching``).
OFFSET_SMALL, OFFSET_LARGE = 1 / 3, 2.0


def broadband_flag_kinds(panel: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    r"""Each flagged change of rural (or urban) subscribers beside the other class's change.

    For a flag of province *i* from year *s* to *t*, with :math:`\Delta^r`, :math:`\Delta^u` the
    changes of rural and urban subscribers (10,000s) and :math:`\Delta^b` of their total:

    * ``offset by urban`` when :math:`\Delta^u` has the sign opposite to :math:`\Delta^r` for a
      rural flag (or vice versa): subscribers moved between the operators' two classes, a
      reclassification rather than a change of take-up; ``offset_share`` :math:`= -\Delta^u/\Delta^r`
      says how much of the rural change the urban one mirrors, and ``offset_size`` sorts it: ``small``
      below :data:`OFFSET_SMALL` (too little to account for the rural step), ``large`` above
      :data:`OFFSET_LARGE` (more than a reclassification alone would move), ``matching`` in
      between — the size a reclassification of :math:`X` accounts on top of ordinary growth
      :math:`g^r, g^u` gives, :math:`(X - g^u)/(X + g^r)`, for :math:`X` large against the growth;
    * ``same direction`` otherwise: both classes moved together (fast growth, or a change of
      coverage the total shows too).

    Beside them, for reading the flag against the country: the province's rural rate per 100 rural
    residents in year *s* (``rate_from``) and the national one (``national_rate_from``,
    :func:`rural_broadband_national`), and the change of the national total of subscribers
    (``national_total_change_pct``, all provinces).

    Returns
    -------
    DataFrame
        The flag's ``series``, ``province``, ``year_from``, ``year_to``, ``change_pct`` and
        ``rural_change``, ``urban_change``, ``total_change`` (10,000 subscribers),
        ``total_change_pct``, ``national_total_change_pct``, ``rate_from``, ``national_rate_from``,
        ``offset_share``, ``kind`` and ``offset_size`` (empty for ``same direction``).
    """
    wanted = {"rural_broadband_users": "urban_broadband_users", "urban_broadband_users": "rural_broadband_users"}
    chosen = flags[flags["series"].isin(list(wanted))]
    indexed = panel.set_index(["province", "year"])
    totals = panel.groupby("year")["broadband_users"].sum(min_count=1)
    rows = []
    for flag in chosen.itertuples():
        before, after = indexed.loc[(flag.province, flag.year_from)], indexed.loc[(flag.province, flag.year_to)]
        change = {c: float(after[c] - before[c]) for c in ("rural_broadband_users", "urban_broadband_users",
                                                           "broadband_users")}
        own, other = change[flag.series], change[wanted[flag.series]]
        rows.append({"series": flag.series, "province": flag.province, "year_from": int(flag.year_from),
                     "year_to": int(flag.year_to), "change_pct": float(flag.change_pct),
                     "rural_change": change["rural_broadband_users"], "urban_change": change["urban_broadband_users"],
                     "total_change": change["broadband_users"],
                     "total_change_pct": 100 * float(after["broadband_users"] / before["broadband_users"] - 1),
                     "national_total_change_pct": 100 * float(totals[flag.year_to] / totals[flag.year_from] - 1),
                     "rate_from": float(before["rural_broadband_per_100_rural_residents"]),
                     "national_rate_from": rural_broadband_national(panel, int(flag.year_from)).rural_per_100,
                     "offset_share": -other / own if own else np.nan,
                     "kind": "offset by urban" if np.sign(other) == -np.sign(own) != 0 else "same direction"})
    columns = ["series", "province", "year_from", "year_to", "change_pct", "rural_change", "urban_change",
               "total_change", "total_change_pct", "national_total_change_pct", "rate_from", "national_rate_from",
               "offset_share", "kind"]
    table = pd.DataFrame(rows, columns=columns)
    size = np.where(table["offset_share"] < OFFSET_SMALL, "small",
                    np.where(table["offset_share"] > OFFSET_LARGE, "large", "matching"))
    table["offset_size"] = np.where(table["kind"] == "offset by urban", size, "")
    return table


def fe_variants(panel: pd.DataFrame, outcome: str, regressors: list[str], years, *, weights: str | None = None,
                bootstrap_reps: int = 9999, seed: int = 20261123, root: Path | None = None) -> list[models.ModelResult]:
    r"""Two-way FE models of ``outcome`` with and without the province-years its break flags mark.

    .. math:: y_{it} = x_{it}'\beta + \alpha_i + \tau_t + \varepsilon_{it}

    estimated four times by :func:`ruralrev.stats.regression.models.panel_fe` (province-clustered errors, wild
    cluster restricted bootstrap p-values, optional population weights): on every province-year
    with data (``all``); with each flagged province's fixed effect split at its flagged changes
    (``split at flags``: a reclassification is a permanent level shift, which a new effect
    absorbs); without the province-years that close a flagged change of the outcome (``without
    flagged``, :func:`without_flagged`; later years still carry the shift); and on the provinces
    never flagged in ``years`` (``never-flagged provinces``, a sample selected on the outcome's
    path).

    References
    ----------
    Cameron, A. C., Gelbach, J. B. and Miller, D. L. (2008). Bootstrap-based improvements for
    inference with clustered errors. *Review of Economics and Statistics* 90(3), 414–427.
    """
    years = [int(y) for y in years]
    base = outcome[4:] if outcome.startswith("log_") and outcome not in panel.columns else outcome
    kept = never_flagged_provinces(panel, base, years, root)
    common = dict(years=years, bootstrap_reps=bootstrap_reps, seed=seed, weights=weights)
    splits = flagged_province_years(base, years, root).rename(columns={"year": "year_to"})[["province", "year_to"]]
    return [
        models.panel_fe(panel, outcome, regressors, name="all", **common),
        models.panel_fe(panel, outcome, regressors, name="split at flags", split_at=splits if len(splits) else None,
                        **common),
        models.panel_fe(without_flagged(panel, base, years, root), outcome, regressors, name="without flagged",
                        **common),
        models.panel_fe(panel, outcome, regressors, exclude=sorted(set(panel["province"]) - set(kept)),
                        name="never-flagged provinces", **common),
    ]


def fe_grid(panel: pd.DataFrame, outcome: str, regressor: str, years, *, bootstrap_reps: int = 9999,
            seed: int = 20261123, root: Path | None = None) -> dict[tuple[str, str], list[models.ModelResult]]:
    """:func:`fe_variants` of ``outcome`` in levels and in logs, unweighted and weighted by its
    population (:func:`population_weight`): sixteen models, keyed ``(form, weighting)`` with form
    ``"level"`` or ``"log"`` and weighting ``"unweighted"`` or the weight's name."""
    weight = population_weight(outcome)
    grid = {}
    for form, name in (("level", outcome), ("log", f"log_{outcome}")):
        for weighting, weights in (("unweighted", None), (weight, weight)):
            grid[(form, weighting)] = fe_variants(panel, name, [regressor], years, weights=weights,
                                                  bootstrap_reps=bootstrap_reps, seed=seed, root=root)
    return grid


def fe_summary(grid: dict[tuple[str, str], list[models.ModelResult]], regressor: str) -> pd.DataFrame:
    """One row per model of :func:`fe_grid`: ``form``, ``weighting``, ``sample``, ``coef``, ``se``,
    ``p_cluster``, ``p_wild`` (wild cluster bootstrap), ``nobs``, ``clusters``."""
    rows = []
    for (form, weighting), results in grid.items():
        for result in results:
            wild = result.wild_pvalues[regressor] if result.wild_pvalues is not None else np.nan
            rows.append({"form": form, "weighting": weighting.replace("_", " "), "sample": result.name,
                         "coef": float(result.params[regressor]), "se": float(result.se[regressor]),
                         "p_cluster": float(result.pvalues[regressor]), "p_wild": float(wild),
                         "nobs": result.nobs, "clusters": result.n_clusters})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class FeTally:
    """Counts over the estimates of :func:`fe_summary` (result of :func:`fe_tally`).

    ``estimates`` rows in all; ``positive`` with a coefficient above zero; ``significant`` with a
    wild bootstrap p-value below ``level``, of which ``significant_positive`` positive;
    ``significant_samples`` the samples (``sample`` codes of :func:`fe_variants`) of those, each once.
    """

    estimates: int
    positive: int
    significant: int
    significant_positive: int
    significant_samples: tuple[str, ...]
    level: float


def fe_tally(summary: pd.DataFrame, level: float = 0.05) -> FeTally:
    """Count the signs of the estimates of :func:`fe_summary` and those with a wild bootstrap
    p-value below ``level``. Rows without a bootstrap p-value are refused (the count rests on it).

    >>> table = pd.DataFrame({"sample": ["a", "b"], "coef": [1.0, 2.0], "p_wild": [0.5, 0.01]})
    >>> fe_tally(table)
    FeTally(estimates=2, positive=2, significant=1, significant_positive=1, significant_samples=('b',), level=0.05)
    """
    if summary["p_wild"].isna().any():
        raise ValueError("every estimate needs a wild bootstrap p-value (bootstrap_reps > 0)")
    passing = summary[summary["p_wild"] < level]
    return FeTally(estimates=len(summary), positive=int((summary["coef"] > 0).sum()), significant=len(passing),
                   significant_positive=int((passing["coef"] > 0).sum()),
                   significant_samples=tuple(dict.fromkeys(passing["sample"])), level=level)


def convergence_summary(panel: pd.DataFrame, code: str, samples: dict[str, list[str]], start: int, end: int,
                        reps: int = 9999, seed: int = 20261123) -> pd.DataFrame:
    r"""Inequality and convergence of ``code`` between ``start`` and ``end`` on each sample of provinces.

    For each named sample: the population-weighted Theil T and Gini in both years with the paired
    bootstrap interval of their change (:func:`ruralrev.stats.inequality.bootstrap.bootstrap_inequality`),
    the standard deviation of logs in both years (σ-convergence) and the absolute β of

    .. math:: \ln y_{i,\text{end}} - \ln y_{i,\text{start}} = \alpha + \beta \ln y_{i,\text{start}} + \varepsilon_i

    with HC3 standard errors (:func:`ruralrev.stats.convergence.beta_convergence`).

    Returns
    -------
    DataFrame
        One row per sample: ``sample``, ``provinces``, ``theil_first``, ``theil_last``,
        ``theil_change``, ``theil_ci_low``, ``theil_ci_high``, ``gini_first``, ``gini_last``,
        ``gini_change``, ``gini_ci_low``, ``gini_ci_high``, ``sd_log_first``, ``sd_log_last``,
        ``beta``, ``beta_se``, ``beta_p``, and for ``theil`` and ``gini`` whether the interval of
        the change excludes zero (``*_excludes_zero``) and does so only narrowly (``*_marginal``,
        :class:`ruralrev.stats.inequality.bootstrap.ChangeTest`).
    """

    weight = population_weight(code)
    rows = []
    for name, provinces in samples.items():
        part = panel[panel["province"].isin(list(provinces))]
        result = bootstrap_inequality(part, code, weight, start, end, reps=reps, seed=seed)
        boot = result.table
        sigma = sigma_convergence(part, code, years=[start, end]).set_index("year")["sd_log"]
        beta = beta_convergence(part, code, start, end)
        row = {"sample": name, "provinces": len(provinces)}
        for measure in ("theil", "gini"):
            test = result.change_test(measure)
            row.update({f"{measure}_first": boot.loc[f"{measure}_first", "estimate"],
                        f"{measure}_last": boot.loc[f"{measure}_last", "estimate"],
                        f"{measure}_change": test.estimate, f"{measure}_ci_low": test.ci_low,
                        f"{measure}_ci_high": test.ci_high, f"{measure}_excludes_zero": bool(test.excludes_zero),
                        f"{measure}_marginal": bool(test.marginal)})
        row.update({"sd_log_first": float(sigma[start]), "sd_log_last": float(sigma[end]), "beta": beta.beta,
                    "beta_se": beta.se, "beta_p": beta.pvalue})
        rows.append(row)
    return pd.DataFrame(rows)

"""Every indicator of the book, in one place: what it is, where it is printed, how it is derived.

Each entry of :data:`REGISTRY` is one column of ``data/official/panel.csv`` (in panel order).
A *published* indicator names the raw files, the indicator and the unit exactly as printed there
(:class:`Printed`); a *derived* one carries its formula as text **and** as a function, side by side;
``log_<code>`` is a derived indicator for every positive one: the natural log (:func:`get`,
:func:`values`). The rest of the package and the parameters file read labels, units, formulas and
tags from here (:data:`REGISTRY`). How to add an indicator: ``CONTRIBUTING.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

__all__ = [
    "Printed", "Indicator", "UnknownIndicator", "REGISTRY", "NOT_USED", "IDENTITIES", "NBS_FSND",
    "NBS_DIGITAL", "get", "label", "short_label", "unit", "column_label", "label_or_name", "codes", "values", "derive",
    "directions",
]

NBS_FSND = "National Bureau of Statistics of China (NBS), annual data by province (分省年度数据, fsnd)"
NBS_NATIONAL = "NBS, annual data (年度数据), national totals"
NBS_DIGITAL = ("NBS data site (new platform), provincial main internet indicators "
               "(互联网主要指标发展情况), one JSON answer per province")
YEARBOOK_URBAN = ("Xinjiang Production and Construction Corps Statistical Yearbook 2020, appendix table 1-5 "
                  "(2016–2018); table 2-6 '2020年各地区城乡居民收入水平' (2020), numbered as in the China Rural "
                  "Statistical Yearbook 2021, which the recovered file does not name")


class UnknownIndicator(ValueError):
    """A code that is neither in the registry nor ``log_`` of a registry code."""


@dataclass(frozen=True)
class Printed:
    """Where a published series is printed: raw files and the cells' indicator and unit as printed.

    ``files`` are glob patterns relative to the raw folder, in priority order for ties (see the
    conflict rule in ``ruralrev.data.build.snapshot``). ``declared`` lists the patterns of exports that print
    neither indicator nor unit: their cells are taken whole, and an identity check verifies them.
    """

    files: tuple[str, ...]
    indicator: str
    unit: str
    declared: tuple[str, ...] = ()


@dataclass(frozen=True)
class Indicator:
    """One indicator: a published series or a formula of published series."""

    code: str
    label: str
    short_label: str
    unit: str
    definition: str
    source: str
    kind: str  # 'published' | 'derived'
    formula: str | None = None
    compute: Callable[[pd.DataFrame], pd.Series] | None = field(default=None, repr=False, compare=False)
    minimum: float | None = 0.0
    maximum: float | None = None
    decimals: int = 2
    tags: tuple[str, ...] = ()
    direction: int = 0  # +1 more is better, −1 less is better (composite index), 0 not stated
    printed: Printed | None = None
    national: Printed | None = None  # the national total (NBS 年度数据), where the book reads it

    @property
    def inputs(self) -> tuple[str, ...]:
        """The registry codes a derived indicator's formula names (empty for published ones)."""
        if self.formula is None:
            return ()
        names = re.findall(r"[a-z][a-z0-9_]*", self.formula)
        return tuple(dict.fromkeys(n for n in names if n in _BY_CODE or n.startswith("log_")))


def _published(code, label, short, unit, printed, definition, *, decimals, tags=(), direction=0,
               minimum=0.0, maximum=None, source=NBS_FSND, national=None) -> Indicator:
    return Indicator(code, label, short, unit, definition, source, "published", minimum=minimum,
                     maximum=maximum, decimals=decimals, tags=tuple(tags), direction=direction,
                     printed=printed, national=national)


def _derived(code, label, short, unit, formula, compute, definition, *, decimals, tags=(), direction=0,
             minimum=0.0, maximum=None) -> Indicator:
    return Indicator(code, label, short, unit, definition, "derived by the book from the indicators in its formula",
                     "derived", formula=formula, compute=compute, minimum=minimum, maximum=maximum,
                     decimals=decimals, tags=tuple(tags), direction=direction)


def _nat(file: str, indicator: str, unit: str) -> Printed:
    return Printed((f"nbs-exports/national/{file}",), indicator, unit)


_AGRI = "nbs-exports/agri/"
_ECON = "nbs-exports/economy/"
_DIGITAL = ("nbs-exports/digital/分省互联网主要指标_多年期_原始抓取.csv",)
_GDP_TABLES = tuple(_ECON + name for name in (
    "分省年度数据2020.csv", "分省年度数据2021.csv", "分省年度数据2023.csv", "分省年度数据2024.csv",
    "分省年度数据.2019csv.csv", "分省年度数据.2022csv.csv"))
_GDP_SHARE = _AGRI + "第一产业增加值GDP比重/*.csv"
_POP = (_ECON + "分省年度数据人口.csv",)

#: Everything else reads this list: the snapshot builder (which files, which cells, how to derive),
#: the descriptor and its validator (labels, units, ranges), ``data.field_table``, the models and
#: clusters (:func:`values`, with the ``log_`` convention), the composite index (tags ``index_*`` and
#: :attr:`Indicator.direction`), the chapters' labels and units, and the parameter lists in
#: ``notebooks/params.yml`` (``tests/test_indicators.py`` fails when they drift).
REGISTRY: list[Indicator] = [
    # ---- published: NBS annual data by province ------------------------------------------------
    _published("rural_income", "Rural residents' per-capita disposable income", "Rural income", "yuan per person",
               Printed((_AGRI + "农村居民人均可支配收入/*.csv",), "农村居民人均可支配收入", "元"),
               "Per-capita disposable income of rural residents, NBS integrated household survey (since 2013).",
               decimals=0, tags=("income", "living_standards", "per_capita", "rural", "index_living"), direction=1,
               national=_nat("全国农村居民人均可支配收入 (元).csv", "农村居民人均可支配收入", "元")),
    _published("rural_consumption", "Rural residents' per-capita consumption expenditure", "Rural consumption",
               "yuan per person", Printed((_AGRI + "农村居民人均消费支出/*.csv",), "农村居民人均消费支出", "元"),
               "Per-capita consumption expenditure of rural residents, NBS integrated household survey.",
               decimals=0, tags=("consumption", "living_standards", "per_capita", "rural", "index_living"), direction=1,
               national=_nat("全国农村居民人均消费支出 (元).csv", "农村居民人均消费支出", "元")),
    _published("all_income", "All residents' per-capita disposable income", "All-residents income", "yuan per person",
               Printed((_ECON + "分省年度数据可支配收入.csv",), "居民人均可支配收入", "元", declared=(_ECON + "分省年度数据可支配收入.csv",)),
               "Per-capita disposable income of all residents (urban and rural), NBS household survey. The export "
               "prints no indicator or unit; its identity is verified against the Qinghai Statistical Yearbook 2018 "
               "table 23-15 for 2017.", decimals=0, tags=("income", "per_capita")),
    _published("all_consumption", "All residents' per-capita consumption expenditure", "All-residents consumption",
               "yuan per person",
               Printed((_ECON + "分省年度数据消费支出.csv",), "居民人均消费支出", "元", declared=(_ECON + "分省年度数据消费支出.csv",)),
               "Per-capita consumption expenditure of all residents, NBS household survey. The export prints no "
               "indicator or unit; its identity is verified against the Qinghai Statistical Yearbook 2018 table "
               "23-15 for 2017.", decimals=0, tags=("consumption", "per_capita")),
    _published("urban_population", "Urban resident population (year end)", "Urban population", "10,000 persons",
               Printed((_AGRI + "人口/城镇人口 (万人).csv", *_POP), "城镇人口", "万人"),
               "Urban permanent residents at year end (常住人口 definition).", decimals=0,
               tags=("population", "weight", "urban"), national=_nat("全国城镇和农村总人口.csv", "城镇人口", "万人")),
    _published("rural_population", "Rural resident population (year end)", "Rural population", "10,000 persons",
               Printed((_AGRI + "人口/乡村人口 (万人).csv", *_POP), "乡村人口", "万人"),
               "Rural permanent residents at year end (常住人口 definition).", decimals=0,
               tags=("population", "weight", "rural"), national=_nat("全国城镇和农村总人口.csv", "乡村人口", "万人")),
    _published("gdp", "Gross regional product", "GDP", "100 million yuan",
               Printed((_GDP_SHARE, *_GDP_TABLES, _ECON + "按照年份的GDP.csv",
                        "nbs-exports/population-employment/分省年度数据.csv"), "地区生产总值", "亿元",
                       declared=(_ECON + "按照年份的GDP.csv",)),
               "Gross regional product at current prices; 1992–2023 revised after the 5th national economic census.",
               decimals=1, tags=("economy",), national=_nat("全国生产总值和增加值.csv", "国内生产总值", "亿元")),
    _published("primary_va", "Value added of the primary sector", "Primary value added", "100 million yuan",
               Printed((_GDP_SHARE, *_GDP_TABLES, _ECON + "第一产业.csv"), "第一产业增加值", "亿元",
                       declared=(_ECON + "第一产业.csv",)),
               "Value added of agriculture, forestry, animal husbandry and fishery (primary industry), current prices.",
               decimals=1, tags=("economy", "agriculture"),
               national=_nat("全国生产总值和增加值.csv", "第一产业增加值", "亿元")),
    _published("gdp_per_capita", "Per-capita gross regional product", "GDP per capita", "yuan per person",
               Printed((_GDP_SHARE, *_GDP_TABLES), "人均地区生产总值", "元/人"),
               "Gross regional product per resident, current prices.", decimals=0, tags=("economy", "per_capita"),
               national=_nat("全国生产总值和增加值.csv", "人均国内生产总值", "元")),
    _published("machinery_power", "Total power of agricultural machinery", "Machinery power", "10,000 kW",
               Printed((_AGRI + "农业机械总动力/*.csv",), "农业机械总动力", "万千瓦"),
               "Total rated power of machinery used in farming, forestry, animal husbandry and fishery.",
               decimals=2, tags=("agriculture", "production"),
               national=_nat("全国农业机械总动力 (万千瓦).csv", "农业机械总动力", "万千瓦")),
    _published("rural_electricity", "Rural electricity consumption", "Rural electricity", "100 million kWh",
               Printed((_AGRI + "农村用电量/*.csv",), "农村用电量", "亿千瓦小时"),
               "Electricity consumed in rural areas, rural industry included (not household use alone). The "
               "series breaks in 2020 and again in 2022/2023 (see data/official/quality.csv).", decimals=2,
               tags=("infrastructure", "rural")),
    _published("irrigated_area", "Effective irrigated area", "Irrigated area", "1,000 hectares",
               Printed((_AGRI + "有效灌溉面积/*.csv",), "有效灌溉面积", "千公顷"),
               "Area of farmland with irrigation works and water sufficient for normal irrigation.", decimals=2,
               tags=("agriculture", "production"), national=_nat("全国有效灌溉面积 (千公顷).csv", "有效灌溉面积", "千公顷")),
    _published("fertiliser", "Chemical fertiliser applied (pure nutrient)", "Fertiliser", "10,000 tonnes",
               Printed((_AGRI + "农用化肥施用折纯量/农用化肥施用折纯量 (万吨).csv",), "农用化肥施用折纯量", "万吨"),
               "Chemical fertiliser applied in agriculture, converted to pure nutrient content.", decimals=2,
               tags=("agriculture", "environment")),
    _published("sown_area", "Total sown area of crops", "Sown area", "1,000 hectares",
               Printed((_AGRI + "农作物播种面积/*.csv",), "农作物总播种面积", "千公顷"),
               "Total sown area of farm crops (multiple cropping counts each sowing).", decimals=2,
               tags=("agriculture",)),
    _published("grain_output", "Grain output", "Grain output", "10,000 tonnes",
               Printed((_AGRI + "粮食产量/*.csv",), "粮食产量", "万吨"),
               "Total output of grain (cereals, beans and tubers).", decimals=2, tags=("agriculture", "production"),
               national=_nat("全国粮食产量.csv", "粮食产量", "万吨")),
    _published("farm_output", "Gross output value of agriculture, forestry, animal husbandry and fishery",
               "Farm output value", "100 million yuan", Printed((_AGRI + "农林牧渔业/*.csv",), "农林牧渔业总产值", "亿元"),
               "Gross output value of the farm sector at current prices, including farm services.", decimals=2,
               tags=("agriculture", "production")),
    _published("pesticide", "Pesticide use", "Pesticide", "10,000 tonnes",
               Printed((_AGRI + "农药使用量/*.csv",), "农药使用量", "万吨"),
               "Pesticides used in agriculture (published to 2021).", decimals=2, tags=("agriculture", "environment")),
    # ---- published: NBS main internet indicators (JSON answers, see ruralrev.data.build.nbs_json) -------------
    _published("broadband_users", "Fixed broadband subscribers", "Broadband subscribers", "10,000 subscribers",
               Printed(_DIGITAL, "互联网宽带接入用户", "万户"),
               "Internet broadband access subscribers (accounts, not persons) at year end; urban plus rural.",
               decimals=1, tags=("digital", "infrastructure"), source=NBS_DIGITAL),
    _published("urban_broadband_users", "Urban fixed broadband subscribers", "Urban broadband subscribers",
               "10,000 subscribers", Printed(_DIGITAL, "城市宽带接入用户", "万户"),
               "Broadband subscribers the operators class as urban (城市); not defined by the census urban "
               "(城镇) population.", decimals=1, tags=("digital", "infrastructure", "urban"), source=NBS_DIGITAL),
    _published("rural_broadband_users", "Rural fixed broadband subscribers", "Rural broadband subscribers",
               "10,000 subscribers", Printed(_DIGITAL, "农村宽带接入用户", "万户"),
               "Broadband subscribers the operators class as rural (农村); households, businesses and village "
               "institutions alike. Shanghai 2016–2018 not published.", decimals=1,
               tags=("digital", "infrastructure", "rural"), source=NBS_DIGITAL),
    _published("broadband_ports", "Internet broadband access ports", "Broadband ports", "10,000 ports",
               Printed(_DIGITAL, "互联网宽带接入端口", "万个"),
               "Broadband access ports installed (capacity, not use).", decimals=1,
               tags=("digital", "infrastructure"), source=NBS_DIGITAL),
    _published("mobile_internet_users", "Mobile internet subscribers", "Mobile internet subscribers",
               "10,000 subscribers", Printed(_DIGITAL, "移动互联网用户", "万户"),
               "Mobile internet subscriber accounts at year end (one person may hold several).", decimals=2,
               tags=("digital",), source=NBS_DIGITAL),
    _published("mobile_internet_traffic", "Mobile internet access traffic", "Mobile traffic", "10,000 GB",
               Printed(_DIGITAL, "移动互联网接入流量", "万GB"),
               "Mobile internet data traffic during the year.", decimals=2, tags=("digital",), source=NBS_DIGITAL),
    # ---- published: official urban income from yearbook tables (ruralrev.data.build.sources) ----------------
    _published("urban_income", "Urban residents' per-capita disposable income (official)", "Urban income",
               "yuan per person",
               Printed(("yearbook-extracts/urban_disposable_income_2016_2018_xpcc_yb2020.csv",
                        "yearbook-tables/rural-yearbook-2021/2-6 2020年各地区城乡居民收入水平.csv"),
                       "城镇居民人均可支配收入", "元/人"),
               "Per-capita disposable income of urban residents, NBS integrated household survey, as printed in "
               "yearbook tables: 2016–2018 (26 provinces, Shaanxi 2016–2017) and 2020 (31 provinces); other years "
               "missing, never estimated.", decimals=1, tags=("income", "per_capita", "urban"), source=YEARBOOK_URBAN),
    # ---- derived ---------------------------------------------------------------------------------
    _derived("total_population", "Resident population (year end)", "Population", "10,000 persons",
             "urban_population + rural_population", lambda x: x.urban_population + x.rural_population,
             "Urban plus rural permanent residents at year end.", decimals=0, tags=("population", "weight")),
    _derived("urbanization_rate", "Urbanization rate", "Urbanization", "per cent",
             "100 × urban_population / (urban_population + rural_population)",
             lambda x: 100 * x.urban_population / (x.urban_population + x.rural_population),
             "Share of permanent residents living in urban areas.", decimals=4, maximum=100,
             tags=("population", "urbanization")),
    _derived("primary_share", "Primary-sector share of GDP", "Primary share of GDP", "per cent",
             "100 × primary_va / gdp", lambda x: 100 * x.primary_va / x.gdp,
             "Value added of the primary sector as a share of gross regional product.", decimals=4, maximum=100,
             tags=("economy", "structure")),
    _derived("rural_all_income_ratio", "Rural to all-residents income ratio", "Rural / all-residents income",
             "ratio", "rural_income / all_income", lambda x: x.rural_income / x.all_income,
             "Rural per-capita income relative to the all-residents figure (1 = no gap). It moves with "
             "urbanization even when urban and rural incomes do not.", decimals=6, maximum=1.5,
             tags=("income", "gap", "index_living"), direction=1),
    _derived("rural_all_consumption_ratio", "Rural to all-residents consumption ratio",
             "Rural / all-residents consumption", "ratio", "rural_consumption / all_consumption",
             lambda x: x.rural_consumption / x.all_consumption,
             "Rural per-capita consumption relative to the all-residents figure.", decimals=6, maximum=1.5,
             tags=("consumption", "gap")),
    _derived("machinery_per_rural_capita", "Agricultural machinery power per rural resident",
             "Machinery per rural resident", "kW per person", "machinery_power / rural_population",
             lambda x: x.machinery_power / x.rural_population,
             "Machinery power per rural resident (both series in 10,000s, so the ratio is kW per person).",
             decimals=6, tags=("agriculture", "production", "per_capita", "index_production"), direction=1),
    _derived("electricity_per_rural_capita", "Rural electricity use per rural resident",
             "Rural electricity per rural resident", "kWh per person",
             "rural_electricity × 10^8 / (rural_population × 10^4)",
             lambda x: x.rural_electricity * 1e8 / (x.rural_population * 1e4),
             "Rural electricity consumption (rural industry included) per rural resident; inherits the 2020 "
             "break of rural electricity. Not in the composite index: it mixes household use with rural "
             "industry, and it is not comparable across years.", decimals=2,
             tags=("infrastructure", "per_capita"), direction=1),
    _derived("grain_per_rural_capita", "Grain output per rural resident", "Grain per rural resident",
             "kg per person", "grain_output × 10^7 / (rural_population × 10^4)",
             lambda x: x.grain_output * 1e7 / (x.rural_population * 1e4),
             "Grain output per rural resident.", decimals=2,
             tags=("agriculture", "production", "per_capita", "index_production"), direction=1),
    # Not bounded by 100: irrigated orchards and nurseries count in the irrigated area but not in
    # the crop sown area (Beijing exceeds 100 in several years).
    _derived("irrigation_ratio", "Effective irrigated area per sown area", "Irrigated / sown area", "per cent",
             "100 × irrigated_area / sown_area", lambda x: 100 * x.irrigated_area / x.sown_area,
             "Effective irrigated area over crop sown area; can exceed 100 (irrigated orchards and nurseries "
             "are not sown area).", decimals=4, tags=("agriculture", "production", "index_production"), direction=1),
    _derived("fertiliser_per_sown_ha", "Fertiliser per sown hectare", "Fertiliser per sown ha", "kg per hectare",
             "fertiliser × 10^7 / (sown_area × 10^3)", lambda x: x.fertiliser * 1e7 / (x.sown_area * 1e3),
             "Chemical fertiliser (pure nutrient) per hectare of sown area.", decimals=2,
             tags=("agriculture", "environment", "index_production"), direction=-1),
    _derived("farm_output_per_rural_capita", "Farm output value per rural resident", "Farm output per rural resident",
             "yuan per person", "farm_output × 10^8 / (rural_population × 10^4)",
             lambda x: x.farm_output * 1e8 / (x.rural_population * 1e4),
             "Gross output value of the farm sector per rural resident, current prices.", decimals=2,
             tags=("agriculture", "production", "per_capita", "index_production"), direction=1),
    _derived("rural_broadband_per_100_rural_residents", "Rural broadband subscriptions per 100 rural residents",
             "Rural broadband per 100 rural residents", "subscriptions per 100 residents",
             "100 × rural_broadband_users / rural_population",
             lambda x: 100 * x.rural_broadband_users / x.rural_population,
             "A proxy of rural fixed-broadband take-up (both series in 10,000s). It counts subscriptions, not "
             "people: one line usually serves a household, businesses and village institutions subscribe too, "
             "and the operators' 'rural' is not the census rural population of the denominator. It is not the "
             "share of rural residents who use the internet (CNNIC's penetration rate counts users of any "
             "access, mobile included).", decimals=2, tags=("digital", "rural", "per_capita")),
    _derived("urban_broadband_per_100_urban_residents", "Urban broadband subscriptions per 100 urban residents",
             "Urban broadband per 100 urban residents", "subscriptions per 100 residents",
             "100 × urban_broadband_users / urban_population",
             lambda x: 100 * x.urban_broadband_users / x.urban_population,
             "Urban fixed-broadband subscriptions per 100 urban residents; the same caveats as the rural proxy.",
             decimals=2, tags=("digital", "urban", "per_capita")),
    _derived("broadband_urban_rural_ratio", "Urban to rural broadband subscriptions per resident",
             "Urban / rural broadband per resident", "ratio",
             "(urban_broadband_users / urban_population) / (rural_broadband_users / rural_population)",
             lambda x: (x.urban_broadband_users / x.urban_population) / (x.rural_broadband_users / x.rural_population),
             "The urban/rural broadband gap: urban subscriptions per urban resident over rural subscriptions per "
             "rural resident (1 = no gap).", decimals=4, tags=("digital", "gap")),
    _derived("rural_broadband_share", "Rural share of broadband subscribers", "Rural share of broadband",
             "per cent", "100 × rural_broadband_users / broadband_users",
             lambda x: 100 * x.rural_broadband_users / x.broadband_users,
             "Rural subscribers as a share of all broadband subscribers.", decimals=4, maximum=100,
             tags=("digital", "rural")),
    _derived("mobile_internet_per_100_residents", "Mobile internet subscriptions per 100 residents",
             "Mobile internet per 100 residents", "subscriptions per 100 residents",
             "100 × mobile_internet_users / (urban_population + rural_population)",
             lambda x: 100 * x.mobile_internet_users / (x.urban_population + x.rural_population),
             "Mobile internet accounts per 100 residents; above 100 where people hold several accounts or "
             "accounts are registered where residents are not counted.", decimals=2, tags=("digital", "per_capita")),
    _derived("urban_rural_income_ratio", "Urban to rural income ratio (official)", "Urban / rural income", "ratio",
             "urban_income / rural_income", lambda x: x.urban_income / x.rural_income,
             "Official urban per-capita disposable income over rural; only where the yearbook tables print "
             "urban income (2016–2018, 2020).", decimals=4, tags=("income", "gap")),
]

#: Indicators of the digital export the book reads but does not use, with the reason (the reader
#: refuses any indicator that is neither here nor in the registry).
NOT_USED = {
    ("互联网上网人数", "万人"): "internet users: printed for 2016 only",
    ("域名数", "万个"): "domain names: counted where registered, not where used",
    ("网站数", "万个"): "websites: printed 2016–2018 only, counted where registered",
    ("网页数", "万个"): "web pages: counted where hosted",
    ("互联网拨号用户", "万户"): "dial-up subscribers: 2016–2017 only, an obsolete access",
}

#: Accounting identities checked at build: total = sum of parts, within the printed precision
#: (half a unit of the last printed decimal for each of the summed and total figures).
IDENTITIES = {"broadband_users": ("urban_broadband_users", "rural_broadband_users")}

_BY_CODE = {ind.code: ind for ind in REGISTRY}


def _log_of(base: Indicator) -> Indicator:
    short = base.short_label if base.short_label[:2].isupper() else base.short_label[0].lower() + base.short_label[1:]
    return replace(base, code=f"log_{base.code}", label=f"log of {base.label[0].lower()}{base.label[1:]}",
                   short_label=f"log {short}", unit=f"log({base.unit})", kind="derived",
                   formula=f"ln({base.code})", compute=lambda x: np.log(x[base.code]),
                   definition=f"Natural logarithm of {base.code}.", minimum=None, maximum=None, decimals=4,
                   direction=0, printed=None, national=None)


def get(code: str) -> Indicator:
    """The registry entry for ``code`` (``log_<code>`` gives the log of a registry indicator).

    What is ``rural_income``, and where does it come from?

    >>> ind = get("rural_income")
    >>> ind.label, ind.unit, ind.printed.indicator, ind.printed.unit
    ("Rural residents' per-capita disposable income", 'yuan per person', '农村居民人均可支配收入', '元')
    >>> get("urbanization_rate").formula
    '100 × urban_population / (urban_population + rural_population)'
    """
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code.startswith("log_") and code[4:] in _BY_CODE:
        return _log_of(_BY_CODE[code[4:]])
    raise UnknownIndicator(f"unknown indicator {code!r}; known: {', '.join(_BY_CODE)} (and log_<code>)")


def label(code: str) -> str:
    """Full label of ``code``."""
    return get(code).label


def short_label(code: str) -> str:
    """Short label of ``code`` (axes, table columns)."""
    return get(code).short_label


def unit(code: str) -> str:
    """Unit of ``code``."""
    return get(code).unit


def column_label(code: str) -> str:
    """Short label with its unit in brackets, e.g. ``'Urbanization (%)'``; ``log_`` codes have none."""
    ind = get(code)
    if code.startswith("log_") or ind.unit == "ratio":
        return ind.short_label
    return f"{ind.short_label} ({'%' if ind.unit == 'per cent' else ind.unit})"


def label_or_name(code: str) -> str:
    """:func:`column_label` of a registry code, or the code itself when the registry does not know it
    (a model's constant, a split fixed effect)."""
    try:
        return column_label(code)
    except UnknownIndicator:
        return code


def codes(kind: str | None = None, tag: str | None = None) -> list[str]:
    """Registry codes in panel column order, optionally of one kind and carrying one tag."""
    if kind not in (None, "published", "derived"):
        raise ValueError(f"kind must be 'published', 'derived' or None, got {kind!r}")
    return [i.code for i in REGISTRY if (kind is None or i.kind == kind) and (tag is None or tag in i.tags)]


def directions(tag: str) -> dict[str, int]:
    """``{code: direction}`` of the indicators carrying ``tag`` (e.g. ``'index_production'``)."""
    chosen = {code: get(code).direction for code in codes(tag=tag)}
    unstated = [code for code, d in chosen.items() if d not in (1, -1)]
    if unstated:
        raise ValueError(f"indicators tagged {tag!r} without a direction: {unstated}")
    return chosen


def values(frame: pd.DataFrame, code: str) -> pd.Series:
    """A column of ``frame`` as floats; ``log_<column>`` gives its natural log (positive values only).

    Works on any frame (registry codes or not, e.g. simulated data in tests).

    Raises
    ------
    UnknownIndicator
        If ``code`` is neither a column nor ``log_`` of one.
    ValueError
        If a logged column has non-positive values.
    """
    if code in frame.columns:
        return frame[code].astype(float)
    if code.startswith("log_") and code[4:] in frame.columns:
        column = frame[code[4:]].astype(float)
        if (column <= 0).any():
            raise ValueError(f"{code}: {code[4:]} has non-positive values, the log is undefined")
        return np.log(column)
    raise UnknownIndicator(f"unknown indicator {code!r}: not a column of the frame, nor log_ of one")


def derive(published: pd.DataFrame) -> pd.DataFrame:
    """Every derived indicator of the registry, computed from a frame of published columns (floats)."""
    return pd.DataFrame({i.code: i.compute(published) for i in REGISTRY if i.kind == "derived"},
                        index=published.index)

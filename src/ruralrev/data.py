"""The official-statistics snapshot: built from raw NBS exports, validated on every load.

``build_snapshot(raw)`` reads the exports listed in :data:`SERIES` (each file checked against the
sha256 in ``MANIFEST.tsv``), resolves figures that two exports state differently by a written
rule, derives the book's indicators and writes ``data/official/``:

=================================  ===============================================================
``observations.csv``               tidy long table: province, year, indicator, value (as printed),
                                   unit, source file and line
``panel.csv``                      wide province-year panel 2016–2024 with the derived indicators
``conflicts.csv``                  every cell two exports disagree on, and which value was kept
``national.csv``                   national totals (NBS 年度数据) for checking the papers' claims
``urban_income_yearbook.csv``      official urban disposable income 2016–2018 (yearbook extract)
``datapackage.json``               Frictionless descriptor: fields, units, definitions, sources,
                                   years, formulas and the sha256 of each file
=================================  ===============================================================

plus ``data/provinces.csv`` (names, GB/T 2260 codes, NBS regions). Every file is written to a
temporary name and renamed only after all of them have been built, so a failed build leaves the
previous snapshot untouched. The output is sorted and values keep their printed text, so a
rebuild from the same exports is byte-identical.

``load_panel()`` reads the committed snapshot and validates it against its descriptor (types,
ranges, 31 provinces, unique province-year) and its checksums.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import nbs, paths
from .provinces import UnknownProvince, province_table, to_english

__all__ = [
    "Series",
    "Derived",
    "SERIES",
    "DERIVED",
    "PANEL_YEARS",
    "SnapshotError",
    "build_snapshot",
    "load_panel",
    "load_observations",
    "load_provinces",
    "load_conflicts",
    "load_national",
    "load_urban_income",
    "load_descriptor",
    "validate_snapshot",
    "field_table",
    "coverage",
    "indicator_values",
    "urban_income_share_estimate",
    "with_official_urban_rural_ratio",
]

OFFICIAL = "official"
PANEL_YEARS = range(2016, 2025)
NBS_PUBLISHER = "National Bureau of Statistics of China (NBS), database 分省年度数据 (fsnd), data.stats.gov.cn"
RETRIEVAL = ("CSV exports recovered from public repositories; origin repository, commit and path of "
             "each file in ../shared/data/MANIFEST.tsv")
CONFLICT_RULE = ("When two exports state different values for the same province, year and "
                 "indicator, the value from the export whose table reaches the most recent year "
                 "wins (a later download carries the later revision, e.g. GDP revised after the "
                 "5th economic census); ties go to the first export listed for the series.")


class SnapshotError(ValueError):
    """The snapshot is missing, inconsistent with its descriptor, or fails a check."""


@dataclass(frozen=True)
class Series:
    """An indicator taken as published from one or more NBS exports.

    ``files`` are glob patterns relative to the raw folder, in priority order for ties.
    ``indicator`` and ``unit_cn`` select the cells (as printed). ``declared`` is set for exports
    that print no indicator or unit at all: the book then states what the file is (and
    :data:`IDENTITY_CHECKS` verifies the statement against an independent official table).
    """

    code: str
    label: str
    unit: str
    indicator: str
    unit_cn: str
    files: tuple[str, ...]
    definition: str
    minimum: float = 0.0
    maximum: float | None = None
    declared: dict[str, tuple[str, str]] | None = None  # file pattern -> (indicator, unit) printed as


@dataclass(frozen=True)
class Derived:
    """An indicator the book computes from published ones."""

    code: str
    label: str
    unit: str
    formula: str
    decimals: int
    minimum: float = 0.0
    maximum: float | None = None


_GDP_TABLES = ("economy/分省年度数据2020.csv", "economy/分省年度数据2021.csv", "economy/分省年度数据2023.csv",
               "economy/分省年度数据2024.csv", "economy/分省年度数据.2019csv.csv", "economy/分省年度数据.2022csv.csv")

SERIES: list[Series] = [
    Series("rural_income", "Rural residents' per-capita disposable income", "yuan per person",
           "农村居民人均可支配收入", "元", ("agri/农村居民人均可支配收入/*.csv",),
           "Per-capita disposable income of rural residents, NBS integrated household survey (since 2013)."),
    Series("rural_consumption", "Rural residents' per-capita consumption expenditure", "yuan per person",
           "农村居民人均消费支出", "元", ("agri/农村居民人均消费支出/*.csv",),
           "Per-capita consumption expenditure of rural residents, NBS integrated household survey."),
    Series("all_income", "All residents' per-capita disposable income", "yuan per person",
           "居民人均可支配收入", "元", ("economy/分省年度数据可支配收入.csv",),
           "Per-capita disposable income of all residents (urban and rural), NBS household survey. "
           "The export prints no indicator or unit; its identity is verified against the Qinghai "
           "Statistical Yearbook 2018 table 23-15 for 2017.",
           declared={"economy/分省年度数据可支配收入.csv": ("分省年度数据可支配收入", "")}),
    Series("all_consumption", "All residents' per-capita consumption expenditure", "yuan per person",
           "居民人均消费支出", "元", ("economy/分省年度数据消费支出.csv",),
           "Per-capita consumption expenditure of all residents, NBS household survey. The export "
           "prints no indicator or unit; its identity is verified against the Qinghai Statistical "
           "Yearbook 2018 table 23-15 for 2017.",
           declared={"economy/分省年度数据消费支出.csv": ("分省年度数据消费支出", "")}),
    Series("urban_population", "Urban resident population (year end)", "10,000 persons",
           "城镇人口", "万人", ("agri/人口/城镇人口 (万人).csv", "economy/分省年度数据人口.csv"),
           "Urban permanent residents at year end (常住人口 definition)."),
    Series("rural_population", "Rural resident population (year end)", "10,000 persons",
           "乡村人口", "万人", ("agri/人口/乡村人口 (万人).csv", "economy/分省年度数据人口.csv"),
           "Rural permanent residents at year end (常住人口 definition)."),
    Series("gdp", "Gross regional product", "100 million yuan",
           "地区生产总值", "亿元",
           ("agri/第一产业增加值GDP比重/*.csv", *_GDP_TABLES, "economy/按照年份的GDP.csv",
            "population-employment/分省年度数据.csv"),
           "Gross regional product at current prices; 1992–2023 revised after the 5th national economic census.",
           declared={"economy/按照年份的GDP.csv": ("按照年份的GDP", "")}),
    Series("primary_va", "Value added of the primary sector", "100 million yuan",
           "第一产业增加值", "亿元", ("agri/第一产业增加值GDP比重/*.csv", *_GDP_TABLES, "economy/第一产业.csv"),
           "Value added of agriculture, forestry, animal husbandry and fishery (primary industry), current prices.",
           declared={"economy/第一产业.csv": ("第一产业", "")}),
    Series("gdp_per_capita", "Per-capita gross regional product", "yuan per person",
           "人均地区生产总值", "元/人", ("agri/第一产业增加值GDP比重/*.csv", *_GDP_TABLES),
           "Gross regional product per resident, current prices."),
    Series("machinery_power", "Total power of agricultural machinery", "10,000 kW",
           "农业机械总动力", "万千瓦", ("agri/农业机械总动力/*.csv",),
           "Total rated power of machinery used in farming, forestry, animal husbandry and fishery."),
    Series("rural_electricity", "Rural electricity consumption", "100 million kWh",
           "农村用电量", "亿千瓦小时", ("agri/农村用电量/*.csv",),
           "Electricity consumed in rural areas."),
    Series("irrigated_area", "Effective irrigated area", "1,000 hectares",
           "有效灌溉面积", "千公顷", ("agri/有效灌溉面积/*.csv",),
           "Area of farmland with irrigation works and water sufficient for normal irrigation."),
    Series("fertiliser", "Chemical fertiliser applied (pure nutrient)", "10,000 tonnes",
           "农用化肥施用折纯量", "万吨", ("agri/农用化肥施用折纯量/农用化肥施用折纯量 (万吨).csv",),
           "Chemical fertiliser applied in agriculture, converted to pure nutrient content."),
    Series("sown_area", "Total sown area of crops", "1,000 hectares",
           "农作物总播种面积", "千公顷", ("agri/农作物播种面积/*.csv",),
           "Total sown area of farm crops (multiple cropping counts each sowing)."),
    Series("grain_output", "Grain output", "10,000 tonnes",
           "粮食产量", "万吨", ("agri/粮食产量/*.csv",),
           "Total output of grain (cereals, beans and tubers)."),
    Series("farm_output", "Gross output value of agriculture, forestry, animal husbandry and fishery",
           "100 million yuan", "农林牧渔业总产值", "亿元", ("agri/农林牧渔业/*.csv",),
           "Gross output value of the farm sector at current prices, including farm services."),
    Series("pesticide", "Pesticide use", "10,000 tonnes",
           "农药使用量", "万吨", ("agri/农药使用量/*.csv",),
           "Pesticides used in agriculture (published to 2021)."),
]

DERIVED: list[Derived] = [
    Derived("total_population", "Resident population (year end)", "10,000 persons",
            "urban_population + rural_population", 0),
    Derived("urbanization_rate", "Urbanization rate", "per cent",
            "100 × urban_population / (urban_population + rural_population)", 4, 0, 100),
    Derived("primary_share", "Primary-sector share of GDP", "per cent",
            "100 × primary_va / gdp", 4, 0, 100),
    Derived("rural_all_income_ratio", "Rural to all-residents income ratio", "ratio",
            "rural_income / all_income", 6, 0, 1.5),
    Derived("rural_all_consumption_ratio", "Rural to all-residents consumption ratio", "ratio",
            "rural_consumption / all_consumption", 6, 0, 1.5),
    Derived("machinery_per_rural_capita", "Agricultural machinery power per rural resident", "kW per person",
            "machinery_power / rural_population (both in 10,000s)", 6),
    Derived("electricity_per_rural_capita", "Rural electricity use per rural resident", "kWh per person",
            "rural_electricity × 10^8 / (rural_population × 10^4)", 2),
    Derived("grain_per_rural_capita", "Grain output per rural resident", "kg per person",
            "grain_output × 10^7 / (rural_population × 10^4)", 2),
    Derived("fertiliser_per_sown_ha", "Fertiliser per sown hectare", "kg per hectare",
            "fertiliser × 10^7 / (sown_area × 10^3)", 2),
    # Not bounded by 100: irrigated orchards and nurseries count in the irrigated area but not in
    # the crop sown area (Beijing exceeds 100 in several years).
    Derived("irrigation_ratio", "Effective irrigated area per sown area", "per cent",
            "100 × irrigated_area / sown_area", 4),
    Derived("farm_output_per_rural_capita", "Farm output value per rural resident", "yuan per person",
            "farm_output × 10^8 / (rural_population × 10^4)", 2),
]

#: Independent official tables that verify what the book declares unlabeled exports to be:
#: series -> (yearbook extract file, its indicator, year). Export values must equal the yearbook's
#: printed values rounded to whole yuan for every province.
IDENTITY_CHECKS = {
    "all_income": ("all_residents_income_2017_qinghai_yb2018.csv",
                   "all_residents_per_capita_disposable_income", 2017),
    "all_consumption": ("all_residents_income_2017_qinghai_yb2018.csv",
                        "all_residents_per_capita_consumption_expenditure", 2017),
}

#: National totals (database 年度数据) the book checks papers against: code -> (export, indicator, unit).
NATIONAL_SERIES = {
    "rural_income": ("national/全国农村居民人均可支配收入 (元).csv", "农村居民人均可支配收入", "元"),
    "rural_consumption": ("national/全国农村居民人均消费支出 (元).csv", "农村居民人均消费支出", "元"),
    "urban_population": ("national/全国城镇和农村总人口.csv", "城镇人口", "万人"),
    "rural_population": ("national/全国城镇和农村总人口.csv", "乡村人口", "万人"),
    "gdp": ("national/全国生产总值和增加值.csv", "国内生产总值", "亿元"),
    "gdp_per_capita": ("national/全国生产总值和增加值.csv", "人均国内生产总值", "元"),
    "primary_va": ("national/全国生产总值和增加值.csv", "第一产业增加值", "亿元"),
    "machinery_power": ("national/全国农业机械总动力 (万千瓦).csv", "农业机械总动力", "万千瓦"),
    "irrigated_area": ("national/全国有效灌溉面积 (千公顷).csv", "有效灌溉面积", "千公顷"),
    "grain_output": ("national/全国粮食产量.csv", "粮食产量", "万吨"),
}

_URBAN_INCOME_FILE = "urban_disposable_income_2016_2018_xpcc_yb2020.csv"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(raw: Path) -> dict[str, str]:
    """``MANIFEST.tsv`` as ``{relative path: sha256}``."""
    manifest = raw / "MANIFEST.tsv"
    if not manifest.is_file():
        raise SnapshotError(f"{manifest}: manifest not found (is --raw the shared data folder?)")
    table = pd.read_csv(manifest, sep="\t", dtype=str)
    return dict(zip(table["path"], table["sha256"]))


def _verified(raw: Path, relative: str, manifest: dict[str, str]) -> Path:
    path = raw / relative
    expected = manifest.get(relative)
    if expected is None:
        raise SnapshotError(f"{relative}: not listed in {raw / 'MANIFEST.tsv'}")
    actual = _sha256(path)
    if actual != expected:
        raise SnapshotError(f"{relative}: sha256 {actual} does not match the manifest's {expected}")
    return path


def _series_cells(raw: Path, series: Series, manifest: dict[str, str], cache: dict) -> pd.DataFrame:
    frames = []
    for priority, pattern in enumerate(series.files):
        matches = sorted((raw / "nbs-exports").glob(pattern))
        if not matches:
            raise SnapshotError(f"series {series.code}: no export matches nbs-exports/{pattern}")
        for path in matches:
            relative = path.relative_to(raw).as_posix()
            if relative not in cache:
                cache[relative] = nbs.read_export(_verified(raw, relative, manifest), label=relative).cells
            cells = cache[relative]
            indicator, unit = series.indicator, series.unit_cn
            if series.declared and pattern in series.declared:
                indicator, unit = series.declared[pattern]
            chosen = cells[(cells["indicator"] == indicator) & (cells["unit"] == unit)].copy()
            if chosen.empty:
                raise SnapshotError(f"series {series.code}: {relative} has no cells for "
                                    f"{indicator!r} ({unit!r})")
            chosen["priority"] = priority
            chosen["vintage"] = int(cells["year"].max())
            frames.append(chosen)
    cells = pd.concat(frames, ignore_index=True)
    cells["series"] = series.code
    return cells[cells["province"] != nbs.NATIONAL]


def _resolve(cells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep one value per (series, province, year) by :data:`CONFLICT_RULE`; list disagreements."""
    cells = cells.assign(number=cells["value"].astype(float))
    ordered = cells.sort_values(["series", "province", "year", "vintage", "priority", "file", "line"],
                                ascending=[True, True, True, False, True, True, True], kind="mergesort")
    kept = ordered.drop_duplicates(["series", "province", "year"], keep="first")
    spread = cells.groupby(["series", "province", "year"])["number"].agg(["min", "max"])
    disputed = spread[spread["min"] != spread["max"]].index
    records = []
    winners = kept.set_index(["series", "province", "year"])
    for key in disputed:
        group = ordered.set_index(["series", "province", "year"]).loc[[key]]
        winner = winners.loc[key]
        for row in group.itertuples():
            if row.number != winner["number"]:
                records.append({
                    "indicator": key[0], "province": key[1], "year": key[2],
                    "kept_value": winner["value"], "kept_file": winner["file"], "kept_line": winner["line"],
                    "other_value": row.value, "other_file": row.file, "other_line": row.line,
                    "difference_pct": f"{100 * (row.number / winner['number'] - 1):.3f}",
                })
    columns = ["indicator", "province", "year", "kept_value", "kept_file", "kept_line",
               "other_value", "other_file", "other_line", "difference_pct"]
    conflicts = pd.DataFrame(records, columns=columns)
    if not conflicts.empty:
        conflicts = conflicts.sort_values(["indicator", "province", "year", "other_file"], kind="mergesort")
    return kept.drop(columns=["number"]), conflicts


def _national(raw: Path, manifest: dict[str, str]) -> pd.DataFrame:
    frames = []
    for code, (relative, indicator, unit) in NATIONAL_SERIES.items():
        relative = f"nbs-exports/{relative}"
        cells = nbs.read_export(_verified(raw, relative, manifest), label=relative).cells
        chosen = cells[(cells["indicator"] == indicator) & (cells["unit"] == unit)]
        if chosen.empty or set(chosen["province"]) != {nbs.NATIONAL}:
            raise SnapshotError(f"{relative}: no national cells for {indicator!r} ({unit!r})")
        frames.append(chosen.assign(indicator=code))
    national = pd.concat(frames, ignore_index=True)
    return national[["indicator", "year", "value", "unit", "file", "line"]].sort_values(
        ["indicator", "year"], kind="mergesort")


def _check_identity(observations: pd.DataFrame, raw: Path) -> None:
    for code, (filename, indicator, year) in IDENTITY_CHECKS.items():
        reference = pd.read_csv(raw / "yearbook-extracts" / filename, dtype={"value": str})
        reference = reference[(reference["indicator"] == indicator) & (reference["year"] == year)]
        reference = reference[reference["province_en"] != "National"]
        ours = observations[(observations["indicator"] == code) & (observations["year"] == year)]
        ours = ours.set_index("province")["value"].astype(float)
        for row in reference.itertuples():
            province = to_english(row.province_en)
            expected = float(row.value)
            if province not in ours.index or abs(ours[province] - expected) > 0.5:
                raise SnapshotError(
                    f"{code}: the export is declared to be {indicator} but {province} {year} is "
                    f"{ours.get(province)} where {filename} prints {row.value}")


def _regions(raw: Path) -> pd.DataFrame:
    path = raw / "regions_nbs.csv"
    regions = pd.read_csv(path, dtype=str)
    table = province_table()
    try:
        regions["province"] = [to_english(name) for name in regions["province"]]
    except UnknownProvince as exc:
        raise SnapshotError(f"{path}: {exc}") from None
    for name_en, region_en in zip(regions["province"], regions["province_en"]):
        if to_english(region_en) != name_en:
            raise SnapshotError(f"{path}: {region_en!r} does not name the same province as its Chinese name")
    merged = table.merge(regions[["province", "region_en", "region_cn"]], on="province", how="left",
                         validate="one_to_one")
    if merged["region_en"].isna().any():
        missing = ", ".join(merged.loc[merged["region_en"].isna(), "province"])
        raise SnapshotError(f"{path}: no region for {missing}")
    return merged.rename(columns={"region_en": "region"})


def _urban_income(raw: Path) -> pd.DataFrame:
    path = raw / "yearbook-extracts" / _URBAN_INCOME_FILE
    table = pd.read_csv(path, dtype=str)
    table = table[table["province_en"] != "National"].copy()
    table["province"] = [to_english(name) for name in table["province_en"]]
    table["year"] = table["year"].astype(int)
    table = table.rename(columns={"source_url": "source", "source_table": "table"})
    columns = ["province", "year", "value", "unit", "table", "source"]
    return table[columns].sort_values(["province", "year"], kind="mergesort")


def _fmt(value: float, decimals: int) -> str:
    if value is None or not np.isfinite(value):
        return ""
    return f"{value:.{decimals}f}"


def _panel(observations: pd.DataFrame, provinces: pd.DataFrame) -> pd.DataFrame:
    inside = observations[observations["year"].isin(PANEL_YEARS)]
    wide_text = inside.pivot(index=["province", "year"], columns="indicator", values="value")
    grid = pd.MultiIndex.from_product([provinces["province"], list(PANEL_YEARS)], names=["province", "year"])
    wide_text = wide_text.reindex(grid)
    raw_codes = [s.code for s in SERIES]
    wide_text = wide_text.reindex(columns=raw_codes)
    x = wide_text.apply(pd.to_numeric)
    derived = {
        "total_population": x.urban_population + x.rural_population,
        "urbanization_rate": 100 * x.urban_population / (x.urban_population + x.rural_population),
        "primary_share": 100 * x.primary_va / x.gdp,
        "rural_all_income_ratio": x.rural_income / x.all_income,
        "rural_all_consumption_ratio": x.rural_consumption / x.all_consumption,
        "machinery_per_rural_capita": x.machinery_power / x.rural_population,
        "electricity_per_rural_capita": x.rural_electricity * 1e8 / (x.rural_population * 1e4),
        "grain_per_rural_capita": x.grain_output * 1e7 / (x.rural_population * 1e4),
        "fertiliser_per_sown_ha": x.fertiliser * 1e7 / (x.sown_area * 1e3),
        "irrigation_ratio": 100 * x.irrigated_area / x.sown_area,
        "farm_output_per_rural_capita": x.farm_output * 1e8 / (x.rural_population * 1e4),
    }
    assert list(derived) == [d.code for d in DERIVED]
    panel = wide_text.fillna("").reset_index()
    for spec in DERIVED:
        panel[spec.code] = [_fmt(v, spec.decimals) for v in derived[spec.code].to_numpy()]
    panel = panel.merge(provinces[["province", "gb_code", "region"]], on="province", how="left")
    front = ["province", "gb_code", "region", "year"]
    panel = panel[front + raw_codes + [d.code for d in DERIVED]]
    return panel.sort_values(["gb_code", "year"], kind="mergesort").reset_index(drop=True)


def _field(name: str, type_: str, description: str, **extra) -> dict:
    field = {"name": name, "type": type_, "description": description}
    field.update({k: v for k, v in extra.items() if v is not None})
    return field


def _years(observations: pd.DataFrame, code: str) -> str:
    years = observations.loc[observations["indicator"] == code, "year"]
    return f"{years.min()}–{years.max()}" if len(years) else "none"


def _descriptor(observations: pd.DataFrame, files: dict[str, Path], raw_hashes: dict[str, str]) -> dict:
    series_fields = []
    for s in SERIES:
        series_fields.append(_field(
            s.code, "number", s.definition, title=s.label, unit=s.unit,
            source=f"{NBS_PUBLISHER}; indicator {s.indicator} ({s.unit_cn}); exports: {', '.join(s.files)}",
            years=_years(observations, s.code), constraints={"minimum": s.minimum, **(
                {"maximum": s.maximum} if s.maximum is not None else {})}))
    derived_fields = [
        _field(d.code, "number", f"Derived by the book: {d.formula}.", title=d.label, unit=d.unit,
               formula=d.formula, source="derived from the fields named in the formula",
               constraints={"minimum": d.minimum, **({"maximum": d.maximum} if d.maximum is not None else {})})
        for d in DERIVED
    ]
    key_fields = [
        _field("province", "string", "Province (English name)", constraints={"required": True}),
        _field("gb_code", "integer", "GB/T 2260 administrative-division code"),
        _field("region", "string", "NBS four-region classification",
               constraints={"enum": ["East", "Central", "West", "Northeast"]}),
        _field("year", "integer", "Calendar year", constraints={"minimum": min(PANEL_YEARS),
                                                                 "maximum": max(PANEL_YEARS)}),
    ]
    def resource(name: str, title: str, fields: list[dict], description: str, sources: list[dict],
                 primary_key=None) -> dict:
        path = files[name]
        entry = {"name": name, "path": f"{OFFICIAL}/{path.name}" if path.parent.name == OFFICIAL else path.name,
                 "title": title, "description": description, "format": "csv", "encoding": "utf-8",
                 "hash": f"sha256:{_sha256(path)}", "schema": {"fields": fields}, "sources": sources}
        if primary_key:
            entry["schema"]["primaryKey"] = primary_key
        return entry

    nbs_source = {"title": NBS_PUBLISHER, "retrieval": RETRIEVAL, "licence": "Official statistics of the PRC, "
                  "published for public use; cite the NBS as the source"}
    return {
        "name": "ruralrev-official",
        "title": "Provincial statistics for the ruralrev book",
        "description": "Built by `ruralrev data build` from raw NBS exports; do not edit by hand.",
        "conflict_rule": CONFLICT_RULE,
        "raw_inputs_sha256": raw_hashes,
        "resources": [
            resource("provinces", "Provinces", [
                _field("name_cn", "string", "Name as NBS prints it"),
                key_fields[0], key_fields[1],
                _field("hasc", "string", "HASC code used by Natural Earth"),
                key_fields[2], _field("region_cn", "string", "Region, Chinese name")],
                "The 31 provincial-level divisions of mainland China.",
                [{"title": "GB/T 2260 codes; NBS 东西中部和东北地区划分方法 (2011-06-13) for regions"}],
                primary_key=["province"]),
            resource("observations", "Observations as published", [
                key_fields[0], _field("year", "integer", "Calendar year"),
                _field("indicator", "string", "Indicator code (see the panel's fields)"),
                _field("value", "number", "Value exactly as printed in the export"),
                _field("unit", "string", "Unit as printed (Chinese)"),
                _field("file", "string", "Export the value was read from (relative to the raw folder)"),
                _field("line", "integer", "Line of that export")],
                "One row per province, year and indicator, after conflicts were resolved.",
                [nbs_source], primary_key=["province", "year", "indicator"]),
            resource("panel", "Province-year panel 2016–2024",
                     key_fields + series_fields + derived_fields,
                     "Wide panel of the published and derived indicators the book uses.",
                     [nbs_source], primary_key=["province", "year"]),
            resource("conflicts", "Disagreements between exports", [
                _field(c, "string", c) for c in ["indicator", "province", "year", "kept_value", "kept_file",
                                                 "kept_line", "other_value", "other_file", "other_line",
                                                 "difference_pct"]],
                CONFLICT_RULE, [nbs_source]),
            resource("national", "National totals", [
                _field("indicator", "string", "Indicator code (as in the panel)"),
                _field("year", "integer", "Calendar year"),
                _field("value", "number", "Value exactly as printed in the export"),
                _field("unit", "string", "Unit as printed (Chinese)"),
                _field("file", "string", "Export the value was read from"),
                _field("line", "integer", "Line of that export")],
                "National figures of NBS database 年度数据 (annual data), for checking claims.",
                [nbs_source], primary_key=["indicator", "year"]),
            resource("urban_income_yearbook", "Urban disposable income 2016–2018 (26 provinces, Shaanxi 2016–2017)", [
                key_fields[0], _field("year", "integer", "Calendar year"),
                _field("value", "number", "Urban residents' per-capita disposable income", unit="yuan per person"),
                _field("unit", "string", "Unit"), _field("table", "string", "Yearbook table"),
                _field("source", "string", "Address of the yearbook page")],
                "Official urban per-capita disposable income by province, integrated household survey. "
                "Gansu, Qinghai, Ningxia, Xinjiang and Shaanxi 2018 are missing from the source page.",
                [{"title": "Xinjiang Production and Construction Corps Statistical Yearbook 2020, "
                           "appendix table 1-5", "path": "http://tjj.xjbt.gov.cn/2020nj/table/fl1-05.htm"}],
                primary_key=["province", "year"]),
        ],
    }


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def build_snapshot(raw: Path, out: Path | None = None) -> list[Path]:
    """Rebuild the snapshot in ``out`` (default ``data/``) from the raw folder; return the files.

    Raises
    ------
    SnapshotError, ruralrev.nbs.ExportError
        On any malformed, unknown or unverifiable input; nothing in ``out`` is changed then.
    """
    raw, out = Path(raw), Path(out or paths.DATA)
    manifest = read_manifest(raw)
    cache: dict[str, pd.DataFrame] = {}
    cells = pd.concat([_series_cells(raw, s, manifest, cache) for s in SERIES], ignore_index=True)
    kept, conflicts = _resolve(cells)
    observations = kept.rename(columns={"series": "indicator_code"})
    observations = observations[["province", "year", "indicator_code", "value", "unit", "file", "line"]]
    observations = observations.rename(columns={"indicator_code": "indicator"})
    observations = observations.sort_values(["province", "year", "indicator"], kind="mergesort")
    _check_identity(observations, raw)
    provinces = _regions(raw)
    panel = _panel(observations, provinces)
    urban = _urban_income(raw)
    national = _national(raw, manifest)
    raw_hashes = {
        "MANIFEST.tsv": _sha256(raw / "MANIFEST.tsv"),
        "regions_nbs.csv": _sha256(raw / "regions_nbs.csv"),
        f"yearbook-extracts/{_URBAN_INCOME_FILE}": _sha256(raw / "yearbook-extracts" / _URBAN_INCOME_FILE),
        f"yearbook-extracts/{IDENTITY_CHECKS['all_income'][0]}":
            _sha256(raw / "yearbook-extracts" / IDENTITY_CHECKS["all_income"][0]),
    }

    (out / OFFICIAL).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".snapshot-", dir=out))
    try:
        (staging / OFFICIAL).mkdir()
        files = {
            "provinces": staging / "provinces.csv",
            "observations": staging / OFFICIAL / "observations.csv",
            "panel": staging / OFFICIAL / "panel.csv",
            "conflicts": staging / OFFICIAL / "conflicts.csv",
            "national": staging / OFFICIAL / "national.csv",
            "urban_income_yearbook": staging / OFFICIAL / "urban_income_yearbook.csv",
        }
        _write_csv(provinces[["name_cn", "province", "gb_code", "hasc", "region", "region_cn"]], files["provinces"])
        _write_csv(observations, files["observations"])
        _write_csv(panel, files["panel"])
        _write_csv(conflicts, files["conflicts"])
        _write_csv(national, files["national"])
        _write_csv(urban, files["urban_income_yearbook"])
        descriptor = staging / OFFICIAL / "datapackage.json"
        descriptor.write_text(json.dumps(_descriptor(observations, files, raw_hashes), ensure_ascii=False,
                                         indent=2, sort_keys=False) + "\n", encoding="utf-8")
        validate_snapshot(staging)
        written = []
        for path in [*files.values(), descriptor]:
            target = out / path.relative_to(staging)
            os.replace(path, target)
            written.append(target)
    finally:
        for leftover in sorted(staging.rglob("*"), reverse=True):
            leftover.unlink() if leftover.is_file() else leftover.rmdir()
        staging.rmdir()
    return written


# --------------------------------------------------------------------------------------------
# Loading and validation of the committed snapshot
# --------------------------------------------------------------------------------------------

def load_descriptor(root: Path | None = None) -> dict:
    """The snapshot's Frictionless descriptor (``data/official/datapackage.json``)."""
    path = Path(root or paths.DATA) / OFFICIAL / "datapackage.json"
    if not path.is_file():
        raise SnapshotError(f"{path}: no snapshot descriptor; run `ruralrev data build --raw …`")
    return json.loads(path.read_text(encoding="utf-8"))


def _resource_path(root: Path, resource: dict) -> Path:
    return root / resource["path"]


def _check_resource(root: Path, resource: dict) -> pd.DataFrame:
    path = _resource_path(root, resource)
    if not path.is_file():
        raise SnapshotError(f"{path}: missing (listed in the descriptor)")
    expected = resource["hash"].split(":", 1)[1]
    if _sha256(path) != expected:
        raise SnapshotError(f"{path}: sha256 differs from the descriptor's; the file was edited "
                            "by hand or the descriptor is stale (rebuild with `ruralrev data build`)")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    fields = resource["schema"]["fields"]
    names = [f["name"] for f in fields]
    if list(frame.columns) != names:
        raise SnapshotError(f"{path}: columns {list(frame.columns)} differ from the descriptor's {names}")
    for field in fields:
        column = frame[field["name"]]
        present = column[column != ""]
        constraints = field.get("constraints", {})
        if constraints.get("required") and len(present) != len(column):
            raise SnapshotError(f"{path}: {field['name']} has empty cells")
        if field["type"] in {"number", "integer"}:
            numbers = pd.to_numeric(present, errors="coerce")
            bad = present[numbers.isna()]
            if len(bad):
                line = int(bad.index[0]) + 2
                raise SnapshotError(f"{path}:{line}: {field['name']}={bad.iloc[0]!r} is not a {field['type']}")
            low, high = constraints.get("minimum"), constraints.get("maximum")
            too_low = numbers < low if low is not None else pd.Series(False, index=numbers.index)
            too_high = numbers > high if high is not None else pd.Series(False, index=numbers.index)
            outside = numbers[too_low | too_high]
            if len(outside):
                line = int(outside.index[0]) + 2
                raise SnapshotError(f"{path}:{line}: {field['name']}={present[outside.index[0]]} "
                                    f"outside [{low}, {high}]")
        if "enum" in constraints and not set(present) <= set(constraints["enum"]):
            raise SnapshotError(f"{path}: {field['name']} has values outside {constraints['enum']}")
    key = resource["schema"].get("primaryKey")
    if key and frame.duplicated(key).any():
        first = frame[frame.duplicated(key)].iloc[0]
        raise SnapshotError(f"{path}: duplicate {key} {tuple(first[k] for k in key)}")
    return frame


def validate_snapshot(root: Path | None = None) -> dict[str, pd.DataFrame]:
    """Check every resource against the descriptor; return them as text frames.

    Checks: the sha256 of each file, columns, types, ranges and enumerations, primary keys
    (e.g. one row per province-year), 31 provinces each in 4 regions of 10/6/12/3 provinces,
    and a complete province × year grid in the panel.
    """
    root = Path(root or paths.DATA)
    descriptor = load_descriptor(root)
    frames = {r["name"]: _check_resource(root, r) for r in descriptor["resources"]}
    provinces = frames["provinces"]
    if len(provinces) != 31:
        raise SnapshotError(f"provinces.csv has {len(provinces)} provinces, not 31")
    counts = provinces["region"].value_counts().to_dict()
    if counts != {"West": 12, "East": 10, "Central": 6, "Northeast": 3}:
        raise SnapshotError(f"provinces.csv: region sizes {counts}, expected East 10, Central 6, West 12, Northeast 3")
    panel = frames["panel"]
    if set(panel["province"]) != set(provinces["province"]):
        raise SnapshotError("panel.csv: provinces differ from provinces.csv")
    if len(panel) != 31 * len(PANEL_YEARS):
        raise SnapshotError(f"panel.csv: {len(panel)} rows, expected 31 × {len(PANEL_YEARS)}")
    return frames


def _numeric(frame: pd.DataFrame, text_columns: set[str]) -> pd.DataFrame:
    frame = frame.copy()
    for column in frame.columns:
        if column not in text_columns:
            frame[column] = pd.to_numeric(frame[column].replace("", np.nan))
    return frame


def load_panel(root: Path | None = None) -> pd.DataFrame:
    """The validated province-year panel, numbers as floats (missing as NaN), years as int.

    >>> panel = load_panel()
    >>> int(panel.loc[(panel.province == "Shanghai") & (panel.year == 2023), "rural_income"].item())
    42988
    """
    frames = validate_snapshot(root)
    panel = _numeric(frames["panel"], {"province", "region"})
    panel["region"] = pd.Categorical(panel["region"], categories=["East", "Central", "West", "Northeast"])
    return panel


def load_observations(root: Path | None = None) -> pd.DataFrame:
    """The validated long table of published values with their source file and line."""
    frames = validate_snapshot(root)
    return _numeric(frames["observations"], {"province", "indicator", "unit", "file"})


def load_provinces(root: Path | None = None) -> pd.DataFrame:
    """The 31 provinces with names, GB/T 2260 code, HASC and NBS region."""
    return _numeric(validate_snapshot(root)["provinces"], {"name_cn", "province", "hasc", "region", "region_cn"})


def load_conflicts(root: Path | None = None) -> pd.DataFrame:
    """Cells two exports disagree on, with the value kept and the value set aside."""
    return validate_snapshot(root)["conflicts"]


def load_national(root: Path | None = None) -> pd.DataFrame:
    """National totals (NBS 年度数据) by indicator and year, with their source file and line."""
    return _numeric(validate_snapshot(root)["national"], {"indicator", "unit", "file"})


def load_urban_income(root: Path | None = None) -> pd.DataFrame:
    """Official urban per-capita disposable income 2016–2018 (26 provinces complete, Shaanxi
    2016–2017 only), with its source."""
    return _numeric(validate_snapshot(root)["urban_income_yearbook"], {"province", "unit", "table", "source"})


def field_table(root: Path | None = None) -> pd.DataFrame:
    """The panel's variable dictionary from the descriptor: name, label, unit, definition, source, years."""
    descriptor = load_descriptor(root)
    panel = next(r for r in descriptor["resources"] if r["name"] == "panel")
    rows = [{"field": f["name"], "label": f.get("title", f["description"]), "unit": f.get("unit", ""),
             "definition": f["description"], "source": f.get("source", ""), "years": f.get("years", "")}
            for f in panel["schema"]["fields"]]
    return pd.DataFrame(rows)


def coverage(panel: pd.DataFrame) -> pd.DataFrame:
    """Provinces with a value, by indicator (rows, in panel order) and year (columns)."""
    indicators = [s.code for s in SERIES] + [d.code for d in DERIVED]
    counts = panel.groupby("year")[indicators].count().T
    counts.columns = [str(c) for c in counts.columns]
    counts.index.name = "indicator"
    return counts


def indicator_values(panel: pd.DataFrame, indicator: str, year: int) -> pd.Series:
    """One indicator for one year, indexed by province; a clear error for unknown names or years."""
    known = [s.code for s in SERIES] + [d.code for d in DERIVED]
    if indicator not in known:
        raise ValueError(f"unknown indicator {indicator!r}; known: {', '.join(known)}")
    if year not in set(panel["year"]):
        raise ValueError(f"year {year} is outside the panel ({panel['year'].min()}–{panel['year'].max()})")
    return panel.loc[panel["year"] == year].set_index("province")[indicator]


def urban_income_share_estimate(panel: pd.DataFrame, urban: pd.DataFrame) -> pd.DataFrame:
    """Compare official urban income with the population-share estimate the book does *not* use.

    The tempting estimate backs urban income out of the all-residents and rural figures with
    resident-population weights:

    .. math:: \\hat y_u = \\frac{y_a (P_u + P_r) - y_r P_r}{P_u}

    It is wrong because the household survey's weights are not the resident-population shares;
    this function measures how wrong, against the official figures (``load_urban_income``).

    Returns
    -------
    DataFrame
        ``province``, ``year``, ``official``, ``estimate`` and ``error_pct`` = 100 (estimate /
        official − 1), one row per official figure.
    """
    merged = urban[["province", "year", "value"]].rename(columns={"value": "official"}).merge(
        panel[["province", "year", "all_income", "rural_income", "urban_population", "rural_population"]],
        on=["province", "year"], how="left", validate="one_to_one")
    total = merged["urban_population"] + merged["rural_population"]
    merged["estimate"] = (merged["all_income"] * total - merged["rural_income"] * merged["rural_population"]) \
        / merged["urban_population"]
    merged["error_pct"] = 100 * (merged["estimate"] / merged["official"] - 1)
    return merged[["province", "year", "official", "estimate", "error_pct"]]


def with_official_urban_rural_ratio(panel: pd.DataFrame, root: Path | None = None) -> pd.DataFrame:
    """The panel plus ``urban_income_official`` and ``urban_rural_income_ratio`` (official urban
    income / rural income), available for 2016–2018 in the provinces the yearbook covers and
    missing elsewhere (never estimated)."""
    urban = load_urban_income(root)[["province", "year", "value"]].rename(columns={"value": "urban_income_official"})
    merged = panel.merge(urban, on=["province", "year"], how="left", validate="one_to_one")
    merged["urban_rural_income_ratio"] = merged["urban_income_official"] / merged["rural_income"]
    return merged

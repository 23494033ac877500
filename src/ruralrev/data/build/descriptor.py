"""The snapshot's Frictionless Data Package descriptor, generated from the indicator registry.

``datapackage.json`` lists every file of ``data/official/`` with its sha256,
its fields (type, title, unit, definition, source, years covered; formula for derived indicators),
the constraints the validator in :mod:`ruralrev.data.official` enforces, the conflict rule, the quality rules
and the results of the build-time cross-checks.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ruralrev.data import registry
from ruralrev.data.breaks import flags as break_flags
from ruralrev.data.official import KEY_COLUMNS, OFFICIAL, PANEL_YEARS, sha256

__all__ = ["NBS_SOURCE", "CONFLICT_RULE", "build_descriptor"]

NBS_SOURCE = {"title": registry.NBS_FSND + ", data.stats.gov.cn",
              "retrieval": "CSV exports recovered from public repositories; origin repository, commit and path of "
                           "each file in ../shared/data/MANIFEST.tsv",
              "licence": "Official statistics of the PRC, published for public use; cite the NBS as the source"}
DIGITAL_SOURCE = {"title": registry.NBS_DIGITAL,
                  "retrieval": "the site's JSON answers saved by a public repository's download script "
                               "(MANIFEST.tsv: lanyuanzhe1/tongjimodule)",
                  "licence": NBS_SOURCE["licence"]}
CONFLICT_RULE = ("When two exports state different values for the same province, year and indicator, the value "
                 "from the export whose table reaches the most recent year wins (a later download carries the "
                 "later revision, e.g. GDP revised after the 5th economic census); ties go to the first export "
                 "listed for the series in ruralrev.data.registry.")


def _field(name: str, type_: str, description: str, **extra) -> dict:
    field = {"name": name, "type": type_, "description": description}
    field.update({k: v for k, v in extra.items() if v is not None})
    return field


def _constraints(ind: registry.Indicator) -> dict:
    bounds = {"minimum": ind.minimum, "maximum": ind.maximum}
    return {k: v for k, v in bounds.items() if v is not None}


def _years(observations: pd.DataFrame, panel: pd.DataFrame, code: str) -> str:
    """Years with a value in the panel (the field describes ``panel.csv``; ``observations.csv`` may
    hold other years of the same series, e.g. GDP from 2006 read from another export)."""
    years = panel.loc[panel[code] != "", "year"]
    return f"{years.min()}–{years.max()}" if len(years) else "none"


def _indicator_field(ind: registry.Indicator, years: str) -> dict:
    if ind.kind == "published":
        printed = ind.printed
        source = f"{ind.source}; printed as {printed.indicator} ({printed.unit}); files: {', '.join(printed.files)}"
        return _field(ind.code, "number", ind.definition, title=ind.label, shortTitle=ind.short_label, unit=ind.unit,
                      source=source, years=years, tags=list(ind.tags), constraints=_constraints(ind))
    inputs = ", ".join(ind.inputs)
    return _field(ind.code, "number", f"Derived by the book: {ind.formula}. {ind.definition}", title=ind.label,
                  shortTitle=ind.short_label, unit=ind.unit, formula=ind.formula, source=f"derived from {inputs}",
                  years=years, tags=list(ind.tags), constraints=_constraints(ind))


def _text_fields(spec: list[tuple[str, str, str]]) -> list[dict]:
    return [_field(name, type_, description) for name, type_, description in spec]


def build_descriptor(observations: pd.DataFrame, panel: pd.DataFrame, files: dict[str, Path],
                     raw_hashes: dict[str, str], checks: dict[str, str]) -> dict:
    """The descriptor for the staged ``files`` (name -> path), whose hashes it records."""
    province = _field("province", "string", "Province (English name)", constraints={"required": True})
    key_fields = [
        province, _field("gb_code", "integer", "GB/T 2260 administrative-division code"),
        _field("region", "string", "NBS four-region classification",
               constraints={"enum": ["East", "Central", "West", "Northeast"]}),
        _field("year", "integer", "Calendar year", constraints={"minimum": min(PANEL_YEARS), "maximum": max(PANEL_YEARS)}),
    ]
    assert [f["name"] for f in key_fields] == KEY_COLUMNS
    indicator_fields = [_indicator_field(ind, _years(observations, panel, ind.code)) for ind in registry.REGISTRY]

    def resource(name, title, fields, description, sources, primary_key=None) -> dict:
        path = files[name]
        entry = {"name": name, "path": f"{OFFICIAL}/{path.name}" if path.parent.name == OFFICIAL else path.name,
                 "title": title, "description": description, "format": "csv", "encoding": "utf-8",
                 "hash": f"sha256:{sha256(path)}", "schema": {"fields": fields}, "sources": sources}
        if primary_key:
            entry["schema"]["primaryKey"] = primary_key
        return entry

    printed = [("value", "number", "Value exactly as printed"), ("unit", "string", "Unit as printed"),
               ("file", "string", "Raw file the value was read from (relative to the raw folder)"),
               ("line", "integer", "Line of that file")]
    yearbook_source = {"title": registry.YEARBOOK_URBAN,
                       "path": "http://tjj.xjbt.gov.cn/2020nj/table/fl1-05.htm (2016–2018); the 2020 rows name "
                               "their origin"}
    return {
        "name": "ruralrev-official",
        "title": "Provincial statistics for the ruralrev book",
        "description": "Built by `ruralrev data build` from raw NBS exports and yearbook tables; do not edit by hand.",
        "conflict_rule": CONFLICT_RULE,
        "quality_rules": break_flags.RULES,
        "checks": checks,
        "raw_inputs_sha256": raw_hashes,
        "resources": [
            resource("provinces", "Provinces", [
                _field("name_cn", "string", "Name as NBS prints it"), province, key_fields[1],
                _field("hasc", "string", "HASC code used by Natural Earth"), key_fields[2],
                _field("region_cn", "string", "Region, Chinese name")],
                "The 31 provincial-level divisions of mainland China.",
                [{"title": "GB/T 2260 codes; NBS 东西中部和东北地区划分方法 (2011-06-13) for regions"}],
                primary_key=["province"]),
            resource("observations", "Observations as published", [
                province, _field("year", "integer", "Calendar year"),
                _field("indicator", "string", "Indicator code (ruralrev.data.registry)"),
                *_text_fields(printed)],
                "One row per province, year and published indicator, after conflicts were resolved.",
                [NBS_SOURCE, DIGITAL_SOURCE, yearbook_source], primary_key=["province", "year", "indicator"]),
            resource("panel", f"Province-year panel {min(PANEL_YEARS)}–{max(PANEL_YEARS)}",
                     key_fields + indicator_fields,
                     "Wide panel of the published and derived indicators of ruralrev.data.registry, in registry order.",
                     [NBS_SOURCE, DIGITAL_SOURCE, yearbook_source], primary_key=["province", "year"]),
            resource("conflicts", "Disagreements between exports", _text_fields([
                ("indicator", "string", "Indicator code"), ("province", "string", "Province"),
                ("year", "integer", "Calendar year"), ("kept_value", "number", "Value kept (as printed)"),
                ("kept_file", "string", "Export it was read from"), ("kept_line", "integer", "Line of that export"),
                ("other_value", "number", "Value set aside (as printed)"),
                ("other_file", "string", "Export it was read from"), ("other_line", "integer", "Line of that export"),
                ("difference_pct", "number", "100 × (set aside / kept − 1)")]),
                CONFLICT_RULE, [NBS_SOURCE]),
            resource("national", "National totals", [
                _field("indicator", "string", "Indicator code (as in the panel)"),
                _field("year", "integer", "Calendar year"), *_text_fields(printed)],
                "National figures of NBS database 年度数据 (annual data), for checking claims; urban income 2020 "
                "from the national row of table 2-6 (the exports print no national urban income).",
                [NBS_SOURCE], primary_key=["indicator", "year"]),
            resource("urban_income_yearbook", "Official urban disposable income by province (2016–2018, 2020)", [
                province, _field("year", "integer", "Calendar year"),
                _field("value", "number", "Urban residents' per-capita disposable income, as printed",
                       unit="yuan per person"),
                _field("unit", "string", "Unit as printed by the source"),
                _field("table", "string", "Table the value is printed in"),
                _field("source", "string", "Address of the page or file")],
                "Official urban per-capita disposable income by province, NBS integrated household survey, from two "
                "yearbook tables. 2016–2018: Gansu, Qinghai, Ningxia, Xinjiang and Shaanxi 2018 are missing from the "
                "source page. 2020: table 2-6, numbered as in the China Rural Statistical Yearbook 2021, which the "
                "recovered file does not name.", [yearbook_source], primary_key=["province", "year"]),
            resource("quality", "Year-on-year breaks flagged at build (not corrected)", _text_fields([
                ("series", "string", "Published indicator code"), ("province", "string", "Province"),
                ("year_from", "integer", "First year of the change"), ("year_to", "integer", "Second year"),
                ("value_from", "number", "Value in year_from, as printed"),
                ("value_to", "number", "Value in year_to, as printed"),
                ("change_pct", "number", "100 × (value_to / value_from − 1)"),
                ("typical_change_pct", "number", "The province's median change in its other years, per cent"),
                ("national_change_pct", "number", "Change of the sum over all provinces publishing both years "
                                                   "(for per-capita series, of their unweighted mean), per cent")])
                + [_field("rule", "string", "Rule that flagged the change (see quality_rules)",
                          constraints={"enum": list(break_flags.RULES)})],
                "Flags of ruralrev.data.breaks.flags: " + "; ".join(f"{k}: {v}" for k, v in break_flags.RULES.items()) + ".",
                [NBS_SOURCE], primary_key=["series", "province", "year_to", "rule"]),
        ],
    }

"""Official urban income by province from two yearbook tables, cross-checked against the NBS exports.

Urban per-capita disposable income by province is not in the NBS exports. Two official tables give
it: an extract of the Xinjiang Production and Construction Corps Statistical Yearbook 2020
(:data:`EXTRACT`, 2016–2018) and table 2-6 (:data:`TABLE_2_6`, 2020, all 31 provinces).
:func:`urban_income` reads both and checks table 2-6 against the exports (the tables, their
caveats and the checks at build: its Notes); :func:`national_urban_income` reads its national row.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from ruralrev.core.provinces import UnknownProvince, to_english
from ruralrev.data.official import SnapshotError

__all__ = ["EXTRACT", "TABLE_2_6", "TOLERANCE", "read_table_2_6", "urban_income", "national_urban_income"]

EXTRACT = "yearbook-extracts/urban_disposable_income_2016_2018_xpcc_yb2020.csv"
TABLE_2_6 = "yearbook-tables/rural-yearbook-2021/2-6 2020年各地区城乡居民收入水平.csv"
TABLE_2_6_TITLE = "2-6 2020年各地区城乡居民收入水平"
TABLE_2_6_CITATION = ("Table 2-6 2020年各地区城乡居民收入水平 (NBS household income and living-conditions survey), "
                      "numbered as in the China Rural Statistical Yearbook 2021; the recovered file does not name "
                      "the yearbook")
TOLERANCE = 0.55
_COLUMNS = {"居民人均可支配收入": "all_income", "农村居民人均可支配收入": "rural_income",
            "城镇居民人均可支配收入": "urban_income", "城乡居民收入水平对比": "ratio"}


def read_table_2_6(path: Path, label: str = TABLE_2_6) -> pd.DataFrame:
    """Table 2-6 as a frame: ``province`` ('China' for 全国), the four columns (floats), ``line``."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    header = rows[0] if rows else []
    if header != ["Province", *_COLUMNS]:
        raise SnapshotError(f"{label}:1: header {header!r}, expected {['Province', *_COLUMNS]!r}")
    if len(rows) < 3 or rows[1][:5] != ["Unit", "元/人", "元/人", "元/人", "倍"] or rows[2][1] != TABLE_2_6_TITLE:
        raise SnapshotError(f"{label}:2: unit and remark rows differ from 'Unit,元/人,元/人,元/人,倍' and "
                            f"'Remark,{TABLE_2_6_TITLE},…'")
    records, seen = [], {}
    for line, row in enumerate(rows[3:], start=4):
        if not any(cell.strip() for cell in row):
            continue
        try:
            province = "China" if row[0] == "全国" else to_english(row[0])
        except UnknownProvince:
            raise SnapshotError(f"{label}:{line}: unknown province {row[0]!r}") from None
        if province in seen:
            raise SnapshotError(f"{label}:{line}: {province} appears twice (first on line {seen[province]})")
        seen[province] = line
        try:
            numbers = [float(cell) for cell in row[1:5]]
        except ValueError:
            raise SnapshotError(f"{label}:{line}: non-numeric cell in {row[1:5]!r}") from None
        records.append((province, *numbers, line, row[3]))
    table = pd.DataFrame(records, columns=["province", *_COLUMNS.values(), "line", "urban_text"])
    missing = 32 - len(table)
    if missing:
        raise SnapshotError(f"{label}: {len(table)} rows where the national row and 31 provinces are expected "
                            "(rule: completeness)")
    return table


def _cross_check(table: pd.DataFrame, observations: pd.DataFrame, national: pd.DataFrame, label: str) -> float:
    largest = 0.0
    exports = observations[observations["year"] == 2020].pivot(index="province", columns="indicator", values="value")
    national_2020 = national[national["year"] == 2020].set_index("indicator")["value"]
    for row in table.itertuples():
        for code in ("rural_income", "all_income"):
            if row.province == "China":
                if code not in national_2020.index:
                    continue
                theirs = float(national_2020[code])
            else:
                theirs = float(exports.loc[row.province, code])
            gap = getattr(row, code) - theirs
            largest = max(largest, abs(gap))
            if abs(gap) > TOLERANCE:
                raise SnapshotError(f"{label}:{row.line}: {row.province} 2020 {code} = {getattr(row, code)} where the "
                                    f"NBS export prints {theirs:g}; rule: equal within {TOLERANCE} yuan")
        if abs(round(row.urban_income / row.rural_income, 2) - row.ratio) > 0.005 + 1e-9:
            raise SnapshotError(f"{label}:{row.line}: {row.province} ratio {row.ratio} is not urban ÷ rural "
                                f"({row.urban_income} / {row.rural_income})")
    return largest


def _origin(raw: Path, relative: str) -> str:
    manifest = pd.read_csv(raw / "MANIFEST.tsv", sep="\t", dtype=str).set_index("path")
    entry = manifest.loc[relative]
    return (f"https://github.com/{entry['origin_repository']}/blob/{entry['origin_commit']}/"
            f"{entry['origin_path']}")


def urban_income(raw: Path, table_path: Path, observations: pd.DataFrame,
                 national: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Official urban income from both tables.

    Returns
    -------
    (cells, table, largest_gap)
        ``cells``: observations rows (province, year, indicator ``urban_income``, value as printed,
        unit, file, line); ``table``: the rows of ``urban_income_yearbook.csv`` (province, year,
        value, unit, table, source); ``largest_gap``: the largest |table 2-6 − export| in yuan.

    Notes
    -----
    Urban per-capita disposable income by province is not in the NBS exports. Two official tables
    give it:

    * ``yearbook-extracts/urban_disposable_income_2016_2018_xpcc_yb2020.csv`` — the Xinjiang Production
      and Construction Corps Statistical Yearbook 2020, appendix table 1-5, transcribed with the page
      address on every row: 2016–2018, 26 provinces, Shaanxi 2016–2017 (Gansu, Qinghai, Ningxia and
      Xinjiang missing from the source page). Not in ``MANIFEST.tsv``: its sha256 is recorded in the
      descriptor.
    * ``yearbook-tables/rural-yearbook-2021/2-6 2020年各地区城乡居民收入水平.csv`` — table 2-6, 2020,
      all 31 provinces (all residents, rural, urban, and the urban/rural ratio), from the NBS household
      income and living-conditions survey. Its numbering and companion tables are those of the China
      Rural Statistical Yearbook 2021; the file itself does not print the yearbook's name, so the book
      cites it as "table 2-6, numbered as in the China Rural Statistical Yearbook 2021" with that caveat.

    Checks at build (each failure stops it with one message naming file, line and value):
    the table's header, unit and remark rows as printed; its 31 provinces, each once; its rural and
    all-residents columns equal the NBS exports' 2020 values within **0.55 yuan**
    (:data:`TOLERANCE`; the exports print whole yuan, the table one decimal: 0.5 from rounding to
    the yuan plus 0.05 from rounding to the decimal; the largest difference found is 0.5, in six
    cells); its national rural figure equals the national export's the same way; its ratio column
    equals urban ÷ rural within 0.005 (two printed decimals).
    """
    extract = pd.read_csv(raw / EXTRACT, dtype=str)
    extract["line"] = extract.index + 2
    if set(extract["indicator"]) != {"urban_per_capita_disposable_income"}:
        raise SnapshotError(f"{EXTRACT}: indicators {sorted(set(extract['indicator']))}, expected only "
                            "urban_per_capita_disposable_income")
    extract = extract[extract["province_en"] != "National"].copy()
    extract["province"] = [to_english(name) for name in extract["province_en"]]
    extract["year"] = extract["year"].astype(int)
    extract = extract.rename(columns={"source_url": "source", "source_table": "table"})
    extract["file"] = EXTRACT
    table = read_table_2_6(table_path)
    largest = _cross_check(table, observations, national, TABLE_2_6)
    provinces = table[table["province"] != "China"]
    recent = pd.DataFrame({"province": provinces["province"], "year": 2020, "value": provinces["urban_text"],
                           "unit": "元/人", "table": TABLE_2_6_CITATION, "source": _origin(raw, TABLE_2_6),
                           "file": TABLE_2_6, "line": provinces["line"]})
    both = pd.concat([extract[list(recent.columns)], recent], ignore_index=True)
    both = both.sort_values(["province", "year"], kind="mergesort").reset_index(drop=True)
    cells = both.assign(indicator="urban_income")[["province", "year", "indicator", "value", "unit", "file", "line"]]
    return cells, both[["province", "year", "value", "unit", "table", "source"]], largest


def national_urban_income(table_path: Path) -> pd.DataFrame:
    """Table 2-6's national row (全国) for urban income, 2020, as rows of ``national.csv`` (indicator,
    year, value as printed, unit, file, line): NBS's own national figure, which the exports lack.
    Its rural and all-residents cells are checked against the national exports by :func:`urban_income`."""
    table = read_table_2_6(table_path)
    row = table[table["province"] == "China"].iloc[0]
    return pd.DataFrame([{"indicator": "urban_income", "year": 2020, "value": row["urban_text"], "unit": "元/人",
                          "file": TABLE_2_6, "line": int(row["line"])}])

"""Reading the raw inputs of the snapshot: checksums, the registry's cells, and the completeness gate.

Every raw file the builder reads is checked against the sha256 that ``MANIFEST.tsv`` lists for it
(:func:`verified`; files outside the manifest — region list, yearbook extracts — have their sha256
recorded in the descriptor instead). Cells are chosen through :mod:`ruralrev.data.registry`: the
files, indicator and unit each series names, as printed (:func:`series_cells`). Each export must
be complete (:func:`read_raw`) and consistent with independent figures (:func:`check_declared`,
:func:`check_identities`); each failure stops the build with one message naming the file and line.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from ruralrev.core.provinces import UnknownProvince, province_table, to_english
from ruralrev.data import registry
from ruralrev.data.build import nbs_csv, nbs_json
from ruralrev.data.official import REGIONS, SnapshotError, sha256

__all__ = ["read_manifest", "verified", "read_raw", "series_cells", "national", "regions",
           "check_declared", "check_identities", "DECLARED_CHECKS"]

#: Independent official tables that verify what the book declares unlabeled exports to be:
#: series -> (yearbook extract file, its indicator, year). Export values must equal the yearbook's
#: printed values rounded to whole yuan for every province.
DECLARED_CHECKS = {
    "all_income": ("all_residents_income_2017_qinghai_yb2018.csv", "all_residents_per_capita_disposable_income", 2017),
    "all_consumption": ("all_residents_income_2017_qinghai_yb2018.csv",
                        "all_residents_per_capita_consumption_expenditure", 2017),
}
_PROVINCES = list(province_table()["province"])


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _rows(path: Path, delimiter: str, required: list[str]) -> list[tuple[int, dict[str, str]]]:
    """The data rows of a small text table as ``(line, {column: value})``, each line checked: a
    header holding ``required``, as many cells as the header, no empty required cell. Every problem
    is a :class:`SnapshotError` naming the file and the line."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SnapshotError(f"{path}: not UTF-8 (byte {exc.start})") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise SnapshotError(f"{path}:1: empty file: expected a header line with the columns "
                            f"{', '.join(required)} (separated by {'a tab' if delimiter == chr(9) else repr(delimiter)})")
    header = next(csv.reader([lines[0]], delimiter=delimiter))
    missing = [c for c in required if c not in header]
    if missing:
        raise SnapshotError(f"{path}:1: header {header!r} lacks the column(s) {', '.join(missing)}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = next(csv.reader([line], delimiter=delimiter))
        if len(cells) != len(header):
            raise SnapshotError(f"{path}:{number}: {len(cells)} cells where the header has {len(header)}: {line[:80]!r}")
        row = dict(zip(header, (c.strip() for c in cells)))
        empty = [c for c in required if not row[c]]
        if empty:
            raise SnapshotError(f"{path}:{number}: empty {', '.join(empty)}")
        rows.append((number, row))
    if not rows:
        raise SnapshotError(f"{path}:1: a header and no rows")
    return rows


def read_manifest(raw: Path) -> dict[str, str]:
    """``MANIFEST.tsv`` as ``{relative path: sha256}``; a malformed line (empty file, missing column,
    wrong number of cells, a sha256 that is not 64 hex digits, a path listed twice) is an error
    naming the line."""
    manifest = raw / "MANIFEST.tsv"
    if not manifest.is_file():
        raise SnapshotError(f"{manifest}: manifest not found (is --raw the shared data folder?)")
    listed: dict[str, str] = {}
    first: dict[str, int] = {}
    for number, row in _rows(manifest, "\t", ["path", "sha256"]):
        if not _SHA256.match(row["sha256"]):
            raise SnapshotError(f"{manifest}:{number}: sha256 {row['sha256']!r} of {row['path']} is not 64 hex digits")
        if row["path"] in listed:
            raise SnapshotError(f"{manifest}:{number}: {row['path']} is listed twice (first on line {first[row['path']]})")
        listed[row["path"]], first[row["path"]] = row["sha256"], number
    return listed


def verified(raw: Path, relative: str, manifest: dict[str, str]) -> Path:
    """The path of a raw file whose sha256 equals the manifest's; :class:`SnapshotError` otherwise."""
    path = raw / relative
    expected = manifest.get(relative)
    if expected is None:
        raise SnapshotError(f"{relative}: not listed in {raw / 'MANIFEST.tsv'}")
    if not path.is_file():
        raise SnapshotError(f"{relative}: listed in the manifest but missing from {raw}")
    actual = sha256(path)
    if actual != expected:
        raise SnapshotError(f"{relative}: sha256 {actual} does not match the manifest's {expected}")
    return path


def _complete(export: nbs_csv.Export, relative: str) -> None:
    if export.layout == "provinces-json":
        return  # the JSON reader checks its own provinces
    if export.source_line is None:
        last = export.rows[-1][1] if export.rows else "its header"
        raise SnapshotError(f"{relative}: the export ends after line {last} without its closing line "
                            "'数据来源：国家统计局' (rule: completeness; truncated download?)")
    if export.layout in {"provinces-by-years", "provinces-by-indicators"}:
        present = set()
        for head, _ in export.rows:
            try:
                present.add(to_english(head))
            except UnknownProvince:
                continue  # the reader has already refused unknown names; 全国 rows pass here
        missing = [p for p in _PROVINCES if p not in present]
        if missing:
            last = export.rows[-1][1] if export.rows else 0
            raise SnapshotError(f"{relative}: no row for {len(missing)} province(s) ({', '.join(missing)}); the "
                                f"table ends at line {last} (rule: completeness — a cell printed empty is 'not "
                                "published', a missing row is an error)")


def read_raw(raw: Path, relative: str, manifest: dict[str, str], cache: dict) -> nbs_csv.Export:
    """Read one verified raw export (NBS CSV or the JSON internet file), checked for completeness.

    Completeness (each failure stops the build with one message naming the file and line):

    * every NBS export ends with its closing line ``数据来源：国家统计局`` (an export cut short lacks it);
    * a provinces-as-rows table has a row for each of the 31 provinces — a cell printed empty is "not
      published", a missing row is an error (e.g. an export truncated at a row boundary);
    * one-file-per-province exports: 31 files, each with a row for the series' indicator (checked by
      :func:`series_cells`);
    * the JSON internet-indicators file lists all 31 provinces (checked by :mod:`ruralrev.data.build.nbs_json`).
    """
    if relative not in cache:
        path = verified(raw, relative, manifest)
        if relative.startswith("nbs-exports/digital/"):
            export = nbs_json.read_json_export(path, label=relative)
        else:
            export = nbs_csv.read_export(path, label=relative)
        _complete(export, relative)
        cache[relative] = export
    return cache[relative]


def series_cells(raw: Path, ind: registry.Indicator, manifest: dict[str, str], cache: dict) -> pd.DataFrame:
    """The printed cells of one published series from all its exports, with priority and vintage."""
    frames = []
    for priority, pattern in enumerate(ind.printed.files):
        matches = sorted(p.relative_to(raw).as_posix() for p in raw.glob(pattern))
        if not matches:
            raise SnapshotError(f"series {ind.code}: no raw file matches {pattern}")
        per_province = set()
        for relative in matches:
            export = read_raw(raw, relative, manifest, cache)
            cells = export.cells
            indicator, unit = ind.printed.indicator, ind.printed.unit
            if pattern in ind.printed.declared:
                indicator, unit = Path(relative).stem, ""
            if export.layout == "indicators-by-years":
                per_province.add(to_english(Path(relative).stem))
                if not any(nbs_csv.split_indicator(head) == (indicator, unit) for head, _ in export.rows):
                    raise SnapshotError(f"{relative}: no row for {indicator} ({unit}) (rule: completeness)")
            chosen = cells[(cells["indicator"] == indicator) & (cells["unit"] == unit)].copy()
            if chosen.empty and export.layout != "indicators-by-years":
                raise SnapshotError(f"series {ind.code}: {relative} has no cells for {indicator!r} ({unit!r})")
            chosen["priority"] = priority
            chosen["vintage"] = int(cells["year"].max())
            frames.append(chosen)
        if per_province and len(per_province) != 31:
            missing = [p for p in _PROVINCES if p not in per_province]
            raise SnapshotError(f"series {ind.code}: {pattern} has no file for {', '.join(missing)} "
                                "(rule: completeness)")
    cells = pd.concat(frames, ignore_index=True)
    cells["series"] = ind.code
    return cells[cells["province"] != nbs_csv.NATIONAL]


def national(raw: Path, manifest: dict[str, str]) -> pd.DataFrame:
    """National totals of the registry's series that name one (NBS 年度数据)."""
    frames = []
    for ind in registry.REGISTRY:
        if ind.national is None:
            continue
        relative = ind.national.files[0]
        cells = nbs_csv.read_export(verified(raw, relative, manifest), label=relative).cells
        chosen = cells[(cells["indicator"] == ind.national.indicator) & (cells["unit"] == ind.national.unit)]
        if chosen.empty or set(chosen["province"]) != {nbs_csv.NATIONAL}:
            raise SnapshotError(f"{relative}: no national cells for {ind.national.indicator!r} ({ind.national.unit!r})")
        frames.append(chosen.assign(indicator=ind.code))
    table = pd.concat(frames, ignore_index=True)
    return table[["indicator", "year", "value", "unit", "file", "line"]].sort_values(["indicator", "year"],
                                                                                      kind="mergesort")


def regions(raw: Path) -> pd.DataFrame:
    """The 31 provinces with their NBS region, from ``regions_nbs.csv``; every problem (a malformed
    line, an unknown province or region, a province listed twice or missing) names the file and line."""
    path = raw / "regions_nbs.csv"
    if not path.is_file():
        raise SnapshotError(f"{path}: region file not found (is --raw the shared data folder?)")
    records, first = [], {}
    for number, row in _rows(path, ",", ["province", "province_en", "region_cn", "region_en"]):
        try:
            province = to_english(row["province"])
        except UnknownProvince as exc:
            raise SnapshotError(f"{path}:{number}: {exc}") from None
        try:
            same = to_english(row["province_en"]) == province
        except UnknownProvince:
            same = False
        if not same:
            raise SnapshotError(f"{path}:{number}: {row['province_en']!r} does not name the same province as its "
                                f"Chinese name {row['province']!r}")
        if row["region_en"] not in REGIONS:
            raise SnapshotError(f"{path}:{number}: unknown region {row['region_en']!r} (expected one of "
                                f"{', '.join(REGIONS)})")
        if province in first:
            raise SnapshotError(f"{path}:{number}: {province} is listed twice (first on line {first[province]})")
        first[province] = number
        records.append({"province": province, "region_en": row["region_en"], "region_cn": row["region_cn"]})
    table = pd.DataFrame(records)
    merged = province_table().merge(table[["province", "region_en", "region_cn"]], on="province", how="left",
                                    validate="one_to_one")
    if merged["region_en"].isna().any():
        missing = ", ".join(merged.loc[merged["region_en"].isna(), "province"])
        raise SnapshotError(f"{path}:{number + 1}: no row for {missing} (the table ends at line {number})")
    return merged.rename(columns={"region_en": "region"})


def check_declared(observations: pd.DataFrame, raw: Path) -> None:
    """Verify the series read from exports that print no label against :data:`DECLARED_CHECKS`.

    The exports the book declares to be all-residents income and consumption (they print neither
    indicator nor unit) must equal the Qinghai Statistical Yearbook 2018 table 23-15 for 2017 to the
    yuan (|difference| ≤ 0.5)."""
    for code, (filename, indicator, year) in DECLARED_CHECKS.items():
        reference = pd.read_csv(raw / "yearbook-extracts" / filename, dtype={"value": str})
        reference = reference[(reference["indicator"] == indicator) & (reference["year"] == year)]
        reference = reference[reference["province_en"] != "National"]
        ours = observations[(observations["indicator"] == code) & (observations["year"] == year)]
        ours = ours.set_index("province")["value"].astype(float)
        for row in reference.itertuples():
            province = to_english(row.province_en)
            if province not in ours.index or abs(ours[province] - float(row.value)) > 0.5:
                raise SnapshotError(f"{code}: the export is declared to be {indicator} but {province} {year} is "
                                    f"{ours.get(province)} where {filename} prints {row.value}")


def check_identities(observations: pd.DataFrame) -> float:
    """Check :data:`ruralrev.data.registry.IDENTITIES` (total = sum of parts); return the largest gap.

    Urban + rural broadband subscribers must equal the total within the printed precision: half a
    unit of the last printed decimal for each of the three figures, 0.15 × 10,000 subscribers."""
    largest = 0.0
    for total, parts in registry.IDENTITIES.items():
        tolerance = (len(parts) + 1) * 0.5 * 10.0 ** -registry.get(total).decimals + 1e-9
        chosen = observations[observations["indicator"].isin([total, *parts])]
        wide = chosen.pivot(index=["province", "year"], columns="indicator", values="value").astype(float)
        where = chosen.pivot(index=["province", "year"], columns="indicator", values="line")
        wide = wide.dropna(subset=[total, *parts])
        gap = wide[list(parts)].sum(axis=1) - wide[total]
        largest = max(largest, float(gap.abs().max()) if len(gap) else 0.0)
        bad = gap[gap.abs() > tolerance]
        if len(bad):
            (province, year), value = bad.index[0], bad.iloc[0]
            file = chosen["file"].iloc[0]
            printed = ", ".join(f"{c} {wide.loc[(province, year), c]:g}" for c in (*parts, total))
            raise SnapshotError(f"{file}:{int(where.loc[(province, year), total])}: {province} {year}: "
                                f"{' + '.join(parts)} − {total} = {value:+.2f} ({printed}); rule: parts must sum "
                                f"to the total within {tolerance:.2f} (the printed precision)")
    return largest

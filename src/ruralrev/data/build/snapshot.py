"""Building the official-statistics snapshot from the raw exports: ``ruralrev data build --raw …``.

:func:`build_snapshot` reads every published series of :mod:`ruralrev.data.registry` from its raw
files, runs the gates (completeness, identities, the yearbook cross-check, the quality rules of
:mod:`ruralrev.data.breaks.flags`), resolves cells that two exports print differently, derives
the registry's indicators and writes ``data/official/`` as a whole or not at all (the files and
the staging: its Notes). Values keep their printed text and every table is sorted, so a rebuild
from the same raw files is byte-identical.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ruralrev.core import files, paths
from ruralrev.data import registry
from ruralrev.data.breaks import flags as break_flags
from ruralrev.data.breaks.swaps import swapped_pairs
from ruralrev.data.build import sources, yearbook
from ruralrev.data.build.descriptor import build_descriptor
from ruralrev.data.official import OFFICIAL, PANEL_YEARS, sha256, validate_snapshot

__all__ = ["Build", "build_snapshot", "STAGING_PREFIX"]

#: Prefix of the staging folder inside ``data/`` (hidden: never part of the snapshot's digests).
STAGING_PREFIX = ".snapshot-"


@dataclass(frozen=True)
class Build:
    """What a build wrote and what its gates measured."""

    files: tuple[Path, ...]
    n_flags: int
    broadband_identity_gap: float  # largest |urban + rural − total| broadband subscribers, 10,000s
    yearbook_gap: float  # largest |table 2-6 − NBS export| for 2020 rural and all-residents income, yuan
    swapped: tuple[tuple[str, int, int, int], ...] = ()  # (series, year, next year, provinces) flagged swapped-years


def _resolve(cells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep one value per (series, province, year) by the conflict rule; list disagreements."""
    cells = cells.assign(number=cells["value"].astype(float))
    ordered = cells.sort_values(["series", "province", "year", "vintage", "priority", "file", "line"],
                                ascending=[True, True, True, False, True, True, True], kind="mergesort")
    kept = ordered.drop_duplicates(["series", "province", "year"], keep="first")
    spread = cells.groupby(["series", "province", "year"])["number"].agg(["min", "max"])
    disputed = spread[spread["min"] != spread["max"]].index
    records = []
    winners = kept.set_index(["series", "province", "year"])
    indexed = ordered.set_index(["series", "province", "year"])
    for key in disputed:
        winner = winners.loc[key]
        for row in indexed.loc[[key]].itertuples():
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


def _fmt(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}" if np.isfinite(value) else ""


def _panel(observations: pd.DataFrame, provinces: pd.DataFrame) -> pd.DataFrame:
    published = registry.codes(kind="published")
    inside = observations[observations["year"].isin(PANEL_YEARS)]
    text = inside.pivot(index=["province", "year"], columns="indicator", values="value")
    grid = pd.MultiIndex.from_product([provinces["province"], list(PANEL_YEARS)], names=["province", "year"])
    text = text.reindex(grid).reindex(columns=published)
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = registry.derive(text.apply(pd.to_numeric))
    panel = text.fillna("").reset_index()
    for code in derived.columns:
        panel[code] = [_fmt(v, registry.get(code).decimals) for v in derived[code].to_numpy(dtype=float)]
    panel = panel.merge(provinces[["province", "gb_code", "region"]], on="province", how="left")
    panel = panel[["province", "gb_code", "region", "year", *registry.codes()]]
    return panel.sort_values(["gb_code", "year"], kind="mergesort").reset_index(drop=True)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _read(raw: Path) -> dict:
    """Read and check every raw input; return the tables to write (nothing is written here)."""
    manifest = sources.read_manifest(raw)
    provinces = sources.regions(raw)   # small files first: their errors come before the long reads
    cache: dict = {}
    exported = [i for i in registry.REGISTRY if i.kind == "published" and i.printed.files[0].startswith("nbs-exports/")]
    cells = pd.concat([sources.series_cells(raw, i, manifest, cache) for i in exported], ignore_index=True)
    kept, conflicts = _resolve(cells)
    observations = kept.drop(columns=["indicator"]).rename(columns={"series": "indicator"})
    observations = observations[["province", "year", "indicator", "value", "unit", "file", "line"]]
    sources.check_declared(observations, raw)
    identity_gap = sources.check_identities(observations)
    national = sources.national(raw, manifest)
    table_path = sources.verified(raw, yearbook.TABLE_2_6, manifest)
    urban_cells, urban, yearbook_gap = yearbook.urban_income(raw, table_path, observations, national)
    national = pd.concat([national, yearbook.national_urban_income(table_path)], ignore_index=True)
    national = national.sort_values(["indicator", "year"], kind="mergesort").reset_index(drop=True)
    observations = pd.concat([observations, urban_cells], ignore_index=True)
    observations = observations.sort_values(["province", "year", "indicator"], kind="mergesort")
    flags = break_flags.detect(observations)
    raw_hashes = {name: sha256(raw / name) for name in
                  ["MANIFEST.tsv", "regions_nbs.csv", yearbook.EXTRACT,
                   *(f"yearbook-extracts/{f}" for f in sorted({c[0] for c in sources.DECLARED_CHECKS.values()}))]}
    return {"observations": observations, "conflicts": conflicts, "national": national, "urban": urban,
            "flags": flags, "provinces": provinces, "panel": _panel(observations, provinces),
            "raw_hashes": raw_hashes, "identity_gap": identity_gap, "yearbook_gap": yearbook_gap}


def build_snapshot(raw: Path, out: Path | None = None) -> Build:
    """Rebuild the snapshot in ``out`` (default ``data/``) from the raw folder.

    Raises
    ------
    ruralrev.data.official.SnapshotError, ruralrev.data.build.nbs_csv.ExportError
        On any malformed, incomplete, unverifiable or implausible input (one message naming file,
        line, value and rule); nothing in ``out`` is changed then.

    Notes
    -----
    The build reads every published series of :mod:`ruralrev.data.registry` from its raw files (each
    checked against ``MANIFEST.tsv``; :mod:`ruralrev.data.build.sources`,
    :mod:`ruralrev.data.build.nbs_json`, :mod:`ruralrev.data.build.yearbook`), runs the gates —
    completeness, declared-export identities, the broadband accounting identity, the yearbook
    cross-check, the quality rules of :mod:`ruralrev.data.breaks.flags` — resolves cells that two
    exports print differently by :data:`~ruralrev.data.build.descriptor.CONFLICT_RULE`, derives the
    registry's indicators and writes:

    =================================  ===============================================================
    ``official/observations.csv``      every published value as printed, with unit, file and line
    ``official/panel.csv``             the province-year panel 2016–2024, registry columns in order
    ``official/conflicts.csv``         every cell two exports disagree on, and which value was kept
    ``official/national.csv``          national totals (NBS 年度数据)
    ``official/urban_income_yearbook.csv``  official urban income 2016–2018 and 2020, source per row
    ``official/quality.csv``           year-on-year breaks flagged (not corrected)
    ``official/provinces.csv``         names, GB/T 2260 codes, NBS regions
    ``official/datapackage.json``      the descriptor (:mod:`ruralrev.data.build.descriptor`)
    =================================  ===============================================================

    Nothing is written unless every gate passes, and the snapshot is replaced as a whole: the new
    ``official/`` folder is written and validated in a staging folder beside it
    (``data/.snapshot-…``), then exchanged with the old one in a single rename
    (:func:`ruralrev.core.files.replace_folder`), so an interrupt leaves the old snapshot or the new
    one, never a mix. A staging folder left by a build that was killed is removed by the next build
    (:func:`ruralrev.core.files.remove_abandoned_folders`).
    """
    raw, out = Path(raw), Path(out or paths.DATA)
    tables = _read(raw)
    checks = {"broadband_identity_max_abs_gap_10k_subscribers": f"{tables['identity_gap']:.2f}",
              "table_2_6_vs_exports_max_abs_gap_yuan": f"{tables['yearbook_gap']:.2f}",
              "table_2_6_tolerance_yuan": f"{yearbook.TOLERANCE:.2f}"}
    out.mkdir(parents=True, exist_ok=True)
    files.remove_abandoned_folders(STAGING_PREFIX, out)
    with files.scratch_folder(STAGING_PREFIX, out) as staging:
        folder = staging / OFFICIAL
        folder.mkdir()
        written = {name: folder / f"{name}.csv" for name in
                   ["provinces", "observations", "panel", "conflicts", "national", "urban_income_yearbook", "quality"]}
        _write_csv(tables["provinces"][["name_cn", "province", "gb_code", "hasc", "region", "region_cn"]],
                   written["provinces"])
        for name, key in [("observations", "observations"), ("panel", "panel"), ("conflicts", "conflicts"),
                          ("national", "national"), ("urban_income_yearbook", "urban"), ("quality", "flags")]:
            _write_csv(tables[key], written[name])
        descriptor = folder / "datapackage.json"
        content = build_descriptor(tables["observations"], tables["panel"], written, tables["raw_hashes"], checks)
        descriptor.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        validate_snapshot(staging)
        files.replace_folder(folder, out / OFFICIAL)   # one rename: the old snapshot or the new, never a mix
        (out / "provinces.csv").unlink(missing_ok=True)   # where the province list lived before it joined the snapshot
        shutil.rmtree(folder, ignore_errors=True)       # the previous snapshot, now in the staging folder
    written = [out / OFFICIAL / path.name for path in [*written.values(), descriptor]]
    swapped = tuple((r.series, int(r.year_from), int(r.year_to), int(r.provinces))
                    for r in swapped_pairs(tables["flags"]).itertuples())
    return Build(tuple(written), len(tables["flags"]), tables["identity_gap"], tables["yearbook_gap"], swapped)

"""The official-statistics snapshot as the book reads it: validated once per process, typed frames.

``ruralrev data build`` (:mod:`ruralrev.data.build.snapshot`) writes ``data/official/`` and its
Frictionless descriptor ``datapackage.json``; this module reads them. The first load in a process
checks every file against the descriptor (:func:`validate_snapshot`: sha256, columns, types,
ranges, keys, the 31 provinces, a complete panel with the registry's columns), and the loaders
return typed frames (:func:`load_resource`). Break flags (``data/official/quality.csv``) are read
by :mod:`ruralrev.data.breaks.flags`.

=================================  ===============================================================
``load_panel()``                   province-year panel 2016–2024, every indicator of
                                   :mod:`ruralrev.data.registry` as a column
``load_observations()``            every published value with its source file and line
``load_provinces()``               names, GB/T 2260 codes, HASC, NBS regions
``load_conflicts()``               cells two exports state differently, and which value was kept
``load_national()``                national totals (NBS 年度数据)
``load_urban_income()``            official urban income by province (2016–2018, 2020), source per row
``field_table()``                  the panel's variable dictionary (registry + years covered)
=================================  ===============================================================
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ruralrev.core import paths
from ruralrev.data import registry

__all__ = [
    "OFFICIAL", "PANEL_YEARS", "KEY_COLUMNS", "SnapshotError", "sha256", "load_descriptor", "validate_snapshot",
    "load_resource", "load_panel", "load_observations", "load_provinces", "load_conflicts", "load_national",
    "load_urban_income", "field_table", "coverage", "indicator_values", "urban_income_share_estimate",
    "with_official_urban_rural_ratio",
]

OFFICIAL = "official"
PANEL_YEARS = range(2016, 2025)
KEY_COLUMNS = ["province", "gb_code", "region", "year"]
REGIONS = {"East": 10, "Central": 6, "West": 12, "Northeast": 3}


class SnapshotError(ValueError):
    """The snapshot is missing, inconsistent with its descriptor, or a build input fails a check."""


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_descriptor(root: Path | None = None) -> dict:
    """The snapshot's Frictionless descriptor (``data/official/datapackage.json``)."""
    path = Path(root or paths.DATA) / OFFICIAL / "datapackage.json"
    if not path.is_file():
        raise SnapshotError(f"{path}: no snapshot descriptor; run `ruralrev data build --raw …`")
    return json.loads(path.read_text(encoding="utf-8"))


def _check_resource(root: Path, resource: dict) -> pd.DataFrame:
    path = root / resource["path"]
    if not path.is_file():
        raise SnapshotError(f"{path}: missing (listed in the descriptor)")
    if sha256(path) != resource["hash"].split(":", 1)[1]:
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
                raise SnapshotError(f"{path}:{int(bad.index[0]) + 2}: {field['name']}={bad.iloc[0]!r} "
                                    f"is not a {field['type']}")
            low, high = constraints.get("minimum"), constraints.get("maximum")
            outside = numbers[(numbers < (low if low is not None else -np.inf))
                              | (numbers > (high if high is not None else np.inf))]
            if len(outside):
                raise SnapshotError(f"{path}:{int(outside.index[0]) + 2}: {field['name']}="
                                    f"{present[outside.index[0]]} outside [{low}, {high}]")
        if "enum" in constraints and not set(present) <= set(constraints["enum"]):
            raise SnapshotError(f"{path}: {field['name']} has values outside {constraints['enum']}")
    key = resource["schema"].get("primaryKey")
    if key and frame.duplicated(key).any():
        first = frame[frame.duplicated(key)].iloc[0]
        raise SnapshotError(f"{path}: duplicate {key} {tuple(first[k] for k in key)}")
    return frame


def _typed(frame: pd.DataFrame, fields: list[dict]) -> pd.DataFrame:
    frame = frame.copy()
    for field in fields:
        name = field["name"]
        if field["type"] in {"number", "integer"}:
            column = pd.to_numeric(frame[name].replace("", np.nan))
            if field["type"] == "integer":
                column = column.astype("int64") if column.notna().all() else column.astype("Int64")
            else:
                column = column.astype(float)
            frame[name] = column
    return frame


def _check_panel(frames: dict[str, pd.DataFrame]) -> None:
    provinces = frames["provinces"]
    if len(provinces) != 31:
        raise SnapshotError(f"provinces.csv has {len(provinces)} provinces, not 31")
    counts = provinces["region"].value_counts().to_dict()
    if counts != REGIONS:
        raise SnapshotError(f"provinces.csv: region sizes {counts}, expected East 10, Central 6, West 12, Northeast 3")
    panel = frames["panel"]
    expected = KEY_COLUMNS + registry.codes()
    if list(panel.columns) != expected:
        extra = [c for c in panel.columns if c not in expected]
        missing = [c for c in expected if c not in panel.columns]
        raise SnapshotError(f"panel.csv: columns differ from the indicator registry (not in the registry: {extra}; "
                            f"not in the panel: {missing}); rebuild with `ruralrev data build`")
    if set(panel["province"]) != set(provinces["province"]):
        raise SnapshotError("panel.csv: provinces differ from provinces.csv")
    if len(panel) != 31 * len(PANEL_YEARS):
        raise SnapshotError(f"panel.csv: {len(panel)} rows, expected 31 × {len(PANEL_YEARS)}")


_VALIDATED: dict[tuple, dict[str, pd.DataFrame]] = {}


def _cache_key(root: Path, descriptor_text: str, resources: list[dict]) -> tuple:
    stats = []
    for resource in resources:
        path = root / resource["path"]
        stat = path.stat() if path.is_file() else None
        stats.append((resource["path"], stat.st_size if stat else -1, stat.st_mtime_ns if stat else -1))
    return str(root.resolve()), hashlib.sha256(descriptor_text.encode()).hexdigest(), tuple(stats)


def validate_snapshot(root: Path | None = None) -> dict[str, pd.DataFrame]:
    """Check every resource against the descriptor once per process; return them as typed frames.

    Checks the sha256 of each file, columns, types, ranges and enumerations, primary keys (e.g. one
    row per province-year), 31 provinces in regions of 10/6/12/3, a complete province × year panel
    and panel columns equal to the indicator registry. The result is cached under the descriptor's
    text and the files' sizes and modification times; an edited file is checked again, and
    nothing is re-hashed on every load.
    """
    return {name: frame.copy() for name, frame in _validated(root).items()}


def _validated(root: Path | None = None) -> dict[str, pd.DataFrame]:
    """:func:`validate_snapshot`'s cached frames themselves (callers copy what they hand out)."""
    root = Path(root or paths.DATA)
    path = root / OFFICIAL / "datapackage.json"
    if not path.is_file():
        raise SnapshotError(f"{path}: no snapshot descriptor; run `ruralrev data build --raw …`")
    text = path.read_text(encoding="utf-8")
    descriptor = json.loads(text)
    key = _cache_key(root, text, descriptor["resources"])
    if key not in _VALIDATED:
        frames = {r["name"]: _check_resource(root, r) for r in descriptor["resources"]}
        _check_panel(frames)
        _VALIDATED[key] = {r["name"]: _typed(frames[r["name"]], r["schema"]["fields"])
                           for r in descriptor["resources"]}
    return _VALIDATED[key]


def load_resource(name: str, root: Path | None = None) -> pd.DataFrame:
    """One validated resource of the snapshot as a typed frame (e.g. ``"quality"``): numbers as
    floats, missing as NaN, years and lines as integers, following the descriptor's field types.
    A copy: the caller may change it."""
    frames = _validated(root)
    if name not in frames:
        raise SnapshotError(f"the snapshot has no resource {name!r}; it has {sorted(frames)}")
    return frames[name].copy()


def load_panel(root: Path | None = None) -> pd.DataFrame:
    """The validated province-year panel, numbers as floats (missing as NaN), years as int.

    >>> panel = load_panel()
    >>> int(panel.loc[(panel.province == "Shanghai") & (panel.year == 2023), "rural_income"].item())
    42988
    """
    panel = load_resource("panel", root)
    panel["region"] = pd.Categorical(panel["region"], categories=list(REGIONS))
    return panel


def load_observations(root: Path | None = None) -> pd.DataFrame:
    """Every published value with its source file and line (after conflicts were resolved)."""
    return load_resource("observations", root)


def load_provinces(root: Path | None = None) -> pd.DataFrame:
    """The 31 provinces with names, GB/T 2260 code, HASC and NBS region."""
    return load_resource("provinces", root)


def load_conflicts(root: Path | None = None) -> pd.DataFrame:
    """Cells two exports disagree on, with the value kept and the value set aside (numbers typed)."""
    return load_resource("conflicts", root)


def load_national(root: Path | None = None) -> pd.DataFrame:
    """National totals (NBS 年度数据) by indicator and year, with their source file and line."""
    return load_resource("national", root)


def load_urban_income(root: Path | None = None) -> pd.DataFrame:
    """Official urban per-capita disposable income by province, with the source of every row.

    2016–2018 from the XPCC yearbook extract (26 provinces, Shaanxi 2016–2017) and 2020 from table
    2-6 (all 31); 2019 and 2021–2024 are not available and are never estimated.
    """
    return load_resource("urban_income_yearbook", root)


def field_table(root: Path | None = None) -> pd.DataFrame:
    """The panel's variable dictionary: the registry's label, unit, kind, formula, definition and
    source for every indicator, and the years each covers (from the descriptor)."""
    descriptor = load_descriptor(root)
    panel = next(r for r in descriptor["resources"] if r["name"] == "panel")
    rows = []
    for f in panel["schema"]["fields"]:
        if f["name"] in KEY_COLUMNS:
            rows.append({"field": f["name"], "label": f["description"], "short_label": f["description"],
                         "unit": "", "kind": "key", "formula": "", "definition": f["description"], "source": "",
                         "years": ""})
            continue
        ind = registry.get(f["name"])
        rows.append({"field": ind.code, "label": ind.label, "short_label": ind.short_label, "unit": ind.unit,
                     "kind": ind.kind, "formula": ind.formula or "", "definition": ind.definition,
                     "source": ind.source, "years": f.get("years", "")})
    return pd.DataFrame(rows)


def coverage(panel: pd.DataFrame) -> pd.DataFrame:
    """Provinces with a value, by indicator (rows, in panel order) and year (columns)."""
    counts = panel.groupby("year")[registry.codes()].count().T
    counts.columns = [str(c) for c in counts.columns]
    counts.index.name = "indicator"
    return counts


def indicator_values(panel: pd.DataFrame, indicator: str, year: int) -> pd.Series:
    """One indicator for one year, indexed by province; a clear error for unknown names or years."""
    registry.get(indicator)
    if year not in set(panel["year"]):
        raise ValueError(f"year {year} is outside the panel ({panel['year'].min()}–{panel['year'].max()})")
    part = panel.loc[panel["year"] == year].set_index("province")
    return registry.values(part, indicator).rename(indicator)


def urban_income_share_estimate(panel: pd.DataFrame, urban: pd.DataFrame) -> pd.DataFrame:
    """Compare official urban income with the population-share estimate the book does *not* use.

    The tempting estimate backs urban income out of the all-residents and rural figures with
    resident-population weights:

    .. math:: \\hat y_u = \\frac{y_a (P_u + P_r) - y_r P_r}{P_u}

    This function measures how wrong it is, against the official figures (``load_urban_income``),
    and shows where the error sits: the urban share the survey's own three means imply,

    .. math:: \tilde s = \frac{y_a - y_r}{y_u - y_r},

    set beside the resident urban share :math:`s = P_u / (P_u + P_r)`. The estimate is exact when
    :math:`\tilde s = s`; why the survey's implied share differs (its weighting, its urban/rural
    classification or its sampling frame) the figures cannot tell.

    Returns
    -------
    DataFrame
        ``province``, ``year``, ``official``, ``estimate``, ``error_pct`` = 100 (estimate /
        official − 1), ``implied_share`` and ``resident_share`` (per cent) and ``share_gap_pp`` =
        implied − resident (percentage points), one row per official figure.
    """
    merged = urban[["province", "year", "value"]].rename(columns={"value": "official"}).merge(
        panel[["province", "year", "all_income", "rural_income", "urban_population", "rural_population"]],
        on=["province", "year"], how="left", validate="one_to_one")
    total = merged["urban_population"] + merged["rural_population"]
    merged["estimate"] = (merged["all_income"] * total - merged["rural_income"] * merged["rural_population"]) \
        / merged["urban_population"]
    merged["error_pct"] = 100 * (merged["estimate"] / merged["official"] - 1)
    merged["implied_share"] = 100 * (merged["all_income"] - merged["rural_income"]) \
        / (merged["official"] - merged["rural_income"])
    merged["resident_share"] = 100 * merged["urban_population"] / total
    merged["share_gap_pp"] = merged["implied_share"] - merged["resident_share"]
    return merged[["province", "year", "official", "estimate", "error_pct", "implied_share", "resident_share",
                   "share_gap_pp"]]


def with_official_urban_rural_ratio(panel: pd.DataFrame, root: Path | None = None) -> pd.DataFrame:
    """The panel plus ``urban_income_official`` and ``urban_rural_income_ratio`` (official urban
    income / rural income), available for 2016–2018 and 2020 where the yearbook tables print urban
    income and missing elsewhere (never estimated)."""
    urban = load_urban_income(root)[["province", "year", "value"]].rename(columns={"value": "urban_income_official"})
    merged = panel.drop(columns=["urban_income_official"], errors="ignore").merge(
        urban, on=["province", "year"], how="left", validate="one_to_one")
    merged["urban_rural_income_ratio"] = merged["urban_income_official"] / merged["rural_income"]
    return merged

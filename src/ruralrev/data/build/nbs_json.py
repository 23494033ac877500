"""Reader for the NBS data site's provincial "main internet indicators", saved as JSON inside a CSV.

The file (``nbs-exports/digital/分省互联网主要指标_多年期_原始抓取.csv``) is what a download script stored,
unedited: one row per province, the site's JSON answer in its third cell. :func:`read_json_export`
checks it (the file's form and every check: its Notes) and returns the long table of
:mod:`ruralrev.data.build.nbs_csv`, values kept as the printed text.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd

from ruralrev.core.provinces import UnknownProvince, province_table, to_english
from ruralrev.data import registry
from ruralrev.data.build.nbs_csv import Export, ExportError, decode, split_indicator

__all__ = ["HEADER", "read_json_export"]

HEADER = ["省份名称", "省份代码", "JSON数据"]
_YEAR = re.compile(r"^(\d{4})YY$")
_NUMBER = re.compile(r"^-?\d+(?:\.(\d+))?$")


def _known_pairs() -> set[tuple[str, str]]:
    """(indicator, unit) as printed of the registry's series read from this export, and NOT_USED."""
    pairs = {(i.printed.indicator, i.printed.unit) for i in registry.REGISTRY
             if i.printed is not None and any(f.startswith("nbs-exports/digital/") for f in i.printed.files)}
    return pairs | set(registry.NOT_USED)


def _values(name: str, line: int, province: str, answer: dict, known: set) -> list[tuple]:
    if answer.get("success") is not True or not isinstance(answer.get("data"), list):
        raise ExportError(name, line, f"{province}: the site's answer is not a success: {answer.get('message')!r}")
    records, seen = [], set()
    for entry in answer["data"]:
        match = _YEAR.match(str(entry.get("code", "")))
        if not match:
            raise ExportError(name, line, f"{province}: unknown year code {entry.get('code')!r}")
        year = int(match.group(1))
        for item in entry.get("values", []):
            indicator, unit = split_indicator(str(item.get("i_showname", "")))
            if (indicator, unit) not in known:
                raise ExportError(name, line, f"{province} {year}: indicator {item.get('i_showname')!r} is not in "
                                              "ruralrev.data.registry (neither a series nor NOT_USED)")
            if item.get("du_name") != unit:
                raise ExportError(name, line, f"{province} {year}: {indicator} unit {item.get('du_name')!r} differs "
                                              f"from the printed {unit!r}")
            if (year, indicator) in seen:
                raise ExportError(name, line, f"{province} {year}: {indicator} printed twice")
            seen.add((year, indicator))
            value = item.get("value")
            if value == "":
                continue  # not published
            number = _NUMBER.match(str(value))
            decimals = len(number.group(1) or "") if number else None
            if number is None or decimals > int(item.get("accuracy", 0)):
                raise ExportError(name, line, f"{province} {year}: {indicator} value {value!r} is not a number "
                                              f"with at most {item.get('accuracy')} decimals")
            records.append((year, indicator, unit, str(value)))
    return records


def read_json_export(path: Path | str, *, label: str | None = None) -> Export:
    """Parse the provincial internet-indicators file into the long table of :mod:`ruralrev.data.build.nbs_csv`.

    Parameters
    ----------
    path : path-like
        The CSV file.
    label : str, optional
        How to name the file in messages and in the ``file`` column (default: ``path``).

    Returns
    -------
    Export
        ``cells``: ``province``, ``year``, ``indicator``, ``unit`` (as printed), ``value`` (text),
        ``line`` and ``file``, one row per published value (series of the registry and those
        listed in :data:`ruralrev.data.registry.NOT_USED` alike; the builder picks its series).

    Notes
    -----
    The file (``nbs-exports/digital/分省互联网主要指标_多年期_原始抓取.csv``) is what a download script
    stored, unedited: a UTF-8-BOM CSV with columns ``省份名称,省份代码,JSON数据``, one row per province,
    the third cell being the site's JSON answer::

        {"success": true, "data": [{"code": "2024YY", "name": "2024年",
                                    "values": [{"i_showname": "农村宽带接入用户 (万户) ", "du_name": "万户",
                                                "accuracy": "1", "value": "81.1", ...}, ...]}, ...]}

    What the reader checks, each failure one :class:`ruralrev.data.build.nbs_csv.ExportError` naming
    file, line and value: the header; every province once (a province missing from the file stops
    the build), its name known and its 12-digit code equal to its GB/T 2260 code; the JSON well
    formed and a success; year codes ``YYYYYY``; each indicator's name and unit (from
    ``i_showname``, trailing space and all) known to :mod:`ruralrev.data.registry` (a registry
    series or :data:`~ruralrev.data.registry.NOT_USED`) and its unit equal to ``du_name``; each
    value a number with at most ``accuracy`` decimals, or the empty string, which means "not
    published" (all of 2025; Shanghai's rural broadband 2016–2018). Values stay the printed text, as
    in :mod:`ruralrev.data.build.nbs_csv`.
    """
    path = Path(path)
    name = label or str(path)
    reader = csv.reader(io.StringIO(decode(path.read_bytes(), name), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ExportError(name, 1, "empty file") from None
    if header != HEADER:
        raise ExportError(name, 1, f"bad header {header!r}, expected {HEADER!r}")
    codes = dict(zip(province_table()["province"], province_table()["gb_code"]))
    known = _known_pairs()
    records, rows, seen = [], [], {}
    for row in reader:
        line = reader.line_num
        if not row:
            continue
        if len(row) != 3:
            raise ExportError(name, line, f"{len(row)} cells where the header has 3: {str(row)[:60]!r}")
        try:
            province = to_english(row[0])
        except UnknownProvince:
            raise ExportError(name, line, f"unknown province {row[0]!r}") from None
        if province in seen:
            raise ExportError(name, line, f"{province} appears twice (first on line {seen[province]})")
        seen[province] = line
        if row[1] != f"{codes[province]}000000":
            raise ExportError(name, line, f"{province}: code {row[1]!r} is not its GB/T 2260 code {codes[province]}")
        try:
            answer = json.loads(row[2])
        except json.JSONDecodeError as exc:
            raise ExportError(name, line, f"{province}: broken JSON in column JSON数据 ({exc.msg} at "
                                          f"character {exc.pos})") from None
        records += [(province, *r, line) for r in _values(name, line, province, answer, known)]
        rows.append((province, line))
    missing = [p for p in codes if p not in seen]
    if missing:
        raise ExportError(name, None, f"province(s) missing from the file: {', '.join(missing)} "
                                      f"({len(seen)} of 31 present)")
    cells = pd.DataFrame(records, columns=["province", "year", "indicator", "unit", "value", "line"])
    cells["file"] = name
    return Export(path=path, database="互联网主要指标", layout="provinces-json", cells=cells, rows=rows,
                  source_line=None)

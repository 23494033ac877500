"""Reader for CSV exports of the NBS database (data.stats.gov.cn), as users really download them.

:func:`read_export` parses one export into its header and a long table of cells, coping with
everything seen in real exports (two encodings, optional header lines, three layouts, two kinds
of separator, footnotes: its Notes list them). Values are kept as the exact text printed; every
row the reader saw and the export's closing source line come back too, so that the snapshot
builder can tell "not published" from "missing". The year columns must be the span the export
declares (:func:`check_years`); anything else unexpected raises :class:`ExportError` naming the
file, the line and the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ruralrev.core.provinces import UnknownProvince, to_english

__all__ = ["ExportError", "Export", "read_export", "split_indicator", "decode", "declared_span", "check_years"]

NATIONAL = "China"
_YEAR = re.compile(r"^(\d{4})年$")
_SPAN = re.compile(r"^(?P<first>\d{4})年(?:\s*[-–—~至]\s*(?P<last>\d{4})年)?$")
_RECENT = re.compile(r"^最近\d+年$")   # "the latest N years": a span relative to the download date
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_INDICATOR_UNIT = re.compile(r"^(?P<name>.*?)\s*[(（](?P<unit>[^()（）]*)[)）]\s*$")
_FOOTER_PREFIXES = ("注：", "注:", "数据来源：", "数据来源:")
#: Cell texts that mean "no value" in NBS exports.
MISSING_MARKERS = frozenset({"", "…", "...", "—", "-", "--"})


class ExportError(ValueError):
    """A malformed export. The message is ``<file>:<line>: <what> <value>``."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path, self.line = str(path), line


@dataclass
class Export:
    """A parsed export: its header and its cells as a long table."""

    path: Path
    database: str
    layout: str
    cells: pd.DataFrame  # province, year, indicator, unit, value (text), line
    rows: list[tuple[str, int]]  # the head of every table row as printed (province or indicator), line
    source_line: int | None  # line of the closing ``数据来源：…``; None when the export lacks it (truncated?)


def decode(raw: bytes, path: Path | str) -> str:
    """Decode an export: UTF-8 (with or without BOM) first, then GBK."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gbk")
    except UnicodeDecodeError as exc:
        raise ExportError(path, None, f"neither UTF-8 nor GBK (byte {exc.start})") from None


def split_indicator(text: str) -> tuple[str, str]:
    """``"地区生产总值 (亿元)"`` → ``("地区生产总值", "亿元")``; the unit is the last bracket.

    >>> split_indicator("人口数(人口抽样调查)(人)")
    ('人口数(人口抽样调查)', '人')
    """
    match = _INDICATOR_UNIT.match(text.strip())
    if not match or not match["name"]:
        return text.strip(), ""
    return match["name"].strip(), match["unit"].strip()


def _cells(line: str, width: int | None = None) -> list[str]:
    """Split a row on commas (the tab before each comma is stripped with the padding).

    A trailing separator leaves one empty cell too many: it is dropped when the row would
    otherwise be one cell wider than the header (``width``), or always for the header itself.
    Exports without trailing separators keep their trailing empty cells (unpublished years).
    """
    parts = [part.strip() for part in line.split(",")]
    if parts and parts[-1] == "" and (width is None or len(parts) == width + 1):
        parts.pop()
    return parts


def declared_span(time_text: str | None) -> tuple[int, int] | None:
    """The years an export's ``时间：`` line declares: ``"2016年-2025年"`` → ``(2016, 2025)``, ``"2024年"``
    → ``(2024, 2024)``; None when the line is empty or absent, or relative (``最近20年``, the latest 20
    years). ``ValueError`` for any other text."""
    text = (time_text or "").strip()
    if not text or _RECENT.match(text):
        return None
    match = _SPAN.match(text)
    if not match:
        raise ValueError(f"time line {text!r} is not '<year>年' or '<year>年-<year>年'")
    first, last = int(match["first"]), int(match["last"] or match["first"])
    if last < first:
        raise ValueError(f"time line {text!r} ends before it starts")
    return first, last


def check_years(years: list[int], span: tuple[int, int] | None) -> str | None:
    """What is wrong with the year columns of a table, or None: they must be distinct, match the
    declared span when the export declares one, and form one consecutive run in one order (NBS prints
    them newest first)."""
    twice = sorted({year for year in years if years.count(year) > 1})
    if twice:
        return f"{', '.join(map(str, twice))} printed more than once"
    if span is not None:
        expected = set(range(span[0], span[1] + 1))
        missing, outside = sorted(expected - set(years)), sorted(set(years) - expected)
        problems = ([f"{', '.join(map(str, missing))} missing"] if missing else []) + \
                   ([f"{', '.join(map(str, outside))} outside it"] if outside else [])
        if problems:
            return f"the columns do not match the declared span {span[0]}–{span[1]}: {'; '.join(problems)}"
    steps = [b - a for a, b in zip(years, years[1:])]
    if steps and not (all(step == -1 for step in steps) or all(step == 1 for step in steps)):
        if sorted(years) == list(range(min(years), max(years) + 1)):
            return "the years are out of order"
        gaps = [f"{a} to {b}" for a, b in zip(years, years[1:]) if abs(b - a) != 1]
        return f"the years are not one consecutive run ({', '.join(gaps)})"
    return None


def read_export(path: Path | str, *, year: int | None = None, label: str | None = None) -> Export:
    """Parse one NBS export into a long table of printed cells.

    Parameters
    ----------
    path : path-like
        The CSV file.
    year : int, optional
        The year of a provinces × indicators table whose ``时间：`` line is empty (the export says
        nothing; the caller must know it, e.g. from the file's name, and say so).
    label : str, optional
        How to name the file in error messages and in the ``file`` column (default: ``path``).

    Returns
    -------
    Export
        ``cells`` has one row per non-empty cell: ``province`` (English; ``"China"`` for a
        national table), ``year``, ``indicator`` and ``unit`` (Chinese, as printed), ``value``
        (the printed text) and ``line`` (1-based line in the file).

    Notes
    -----
    What the reader copes with (all seen in real exports):

    * encodings: UTF-8 with a byte-order mark, or GBK;
    * header lines ``数据库：<database>``, optionally ``指标：<indicator> (<unit>)``, ``时间：<range>``;
      without a ``指标：`` line a one-indicator table takes indicator and unit from the file name,
      e.g. ``农村居民人均可支配收入 (元).csv``;
    * three layouts, told apart by the table header:

      - ``地区`` + years: provinces as rows, years as columns (one indicator);
      - ``地区`` + indicators: provinces as rows, indicators as columns (one year, from ``时间：``);
      - ``指标`` + years: indicators as rows, years as columns (one file per province, the province
        named by the file; or a national table when the database is ``年度数据``);

    * cells separated by a tab and a comma, or a comma alone; a trailing separator; empty cells for
      years not yet published; footnote lines (``注：``…) and the closing ``数据来源：国家统计局``.

    The reader also returns every row it saw (empty ones included) and the line of the closing source
    line, so that the snapshot builder can tell "not published" (a row printed with empty cells) from
    "missing" (no row, or an export cut short before its closing line).

    **Years.** The year columns of a years layout must be one consecutive run, each year once, in the
    order NBS prints them (descending; ascending is read too), and match the span the export declares
    on its ``时间：`` line (``时间：2016年-2025年``, or one year): a deleted column, a relabelled header
    (``2023年`` printed ``2013年``), a year printed twice or out of order is an error naming the header
    line and what is wrong (:func:`check_years`). A one-year table's ``时间：`` line must name one year.

    Anything else — an unknown layout, a bad header, a cell that is neither a number nor empty, an
    unknown province, the same cell twice — raises :class:`ExportError` naming the file, the line and
    the value. Values are kept as the exact text printed in the export (no float round trip), so a
    snapshot written from them is byte-identical on every rebuild.
    """
    path = Path(path)
    name = label or str(path)
    text = decode(path.read_bytes(), name)
    lines = text.splitlines()
    if not lines or not lines[0].strip().startswith(("数据库：", "数据库:")):
        first = lines[0].strip() if lines else ""
        raise ExportError(name, 1, f"bad header: expected '数据库：…', found {first!r}")
    database = lines[0].split("：", 1)[-1].split(":", 1)[-1].strip()
    indicator_line, time_text, time_at, header_at = None, None, None, None
    for number, line in enumerate(lines[1:], start=2):
        stripped = line.strip()
        if stripped.startswith(("指标：", "指标:")):
            indicator_line = stripped[3:].strip()
        elif stripped.startswith(("时间：", "时间:")):
            time_text, time_at = stripped[3:].strip(), number
        elif stripped.startswith(("地区", "指标")):
            header_at = number
            break
        else:
            raise ExportError(name, number, f"bad header: unexpected line {stripped!r}")
    if header_at is None:
        raise ExportError(name, None, "no table header ('地区…' or '指标…') found")
    header = _cells(lines[header_at - 1])
    row_kind, columns = header[0], header[1:]
    if not columns:
        raise ExportError(name, header_at, "table header has no columns")
    try:
        span = declared_span(time_text)
    except ValueError as exc:
        raise ExportError(name, time_at, str(exc)) from None
    years = [_YEAR.match(c) for c in columns]
    if all(years):
        column_years = [int(m.group(1)) for m in years]
        problem = check_years(column_years, span)
        if problem:
            declared = f" (时间：{time_text}, line {time_at})" if span is not None else ""
            raise ExportError(name, header_at, f"year headers {', '.join(columns)}: {problem}{declared}")
        if row_kind == "地区":
            layout = "provinces-by-years"
        else:
            layout = "indicators-by-years"
    elif row_kind == "地区" and not any(years):
        layout = "provinces-by-indicators"
    else:
        raise ExportError(name, header_at, f"unknown layout: header {header[:4]!r}…")

    if layout == "provinces-by-years":
        source = indicator_line or path.stem
        fixed_indicator, fixed_unit = split_indicator(source)
    if layout == "provinces-by-indicators":
        if span is not None and span[0] != span[1]:
            raise ExportError(name, time_at, f"one-year table but the time line declares {time_text!r}")
        if span is not None and year is not None and span[0] != year:
            raise ExportError(name, time_at, f"the time line declares {time_text!r} where {year} was expected")
        if year is None:
            if span is None:
                raise ExportError(name, header_at, f"one-year table but the time line is {time_text!r}")
            year = span[0]
        column_indicators = [split_indicator(c) for c in columns]
    if layout == "indicators-by-years":
        if database == "年度数据":
            fixed_province = NATIONAL
        else:
            try:
                fixed_province = to_english(path.stem)
            except UnknownProvince:
                raise ExportError(name, None, f"unknown province in file name {path.stem!r}") from None

    records, seen, rows = [], {}, []
    for number in range(header_at + 1, len(lines) + 1):
        line = lines[number - 1]
        stripped = line.strip()
        if not stripped or stripped.startswith(_FOOTER_PREFIXES):
            break  # the table ends; what follows is footnotes
        cells = _cells(line, len(header))
        rows.append((cells[0], number))
        if len(cells) != len(header):
            raise ExportError(name, number, f"{len(cells)} cells where the header has {len(header)}: {stripped[:60]!r}")
        head = cells[0]
        if layout == "indicators-by-years":
            province = fixed_province
            indicator, unit = split_indicator(head)
        else:
            try:
                province = to_english(head)
            except UnknownProvince:
                raise ExportError(name, number, f"unknown province {head!r}") from None
        for position, value in enumerate(cells[1:]):
            if value in MISSING_MARKERS:
                continue
            if not _NUMBER.match(value):
                raise ExportError(name, number, f"non-numeric cell {value!r} in column {columns[position]!r}")
            if layout == "provinces-by-years":
                indicator, unit, cell_year = fixed_indicator, fixed_unit, column_years[position]
            elif layout == "provinces-by-indicators":
                (indicator, unit), cell_year = column_indicators[position], year
            else:
                cell_year = column_years[position]
            key = (province, cell_year, indicator, unit)
            if key in seen:
                raise ExportError(name, number, f"duplicate cell {province} {cell_year} {indicator} "
                                                f"({unit}) (first on line {seen[key]})")
            seen[key] = number
            records.append((province, cell_year, indicator, unit, value, number))
    cells = pd.DataFrame(records, columns=["province", "year", "indicator", "unit", "value", "line"])
    cells["file"] = name
    source_line = next((n for n, text in enumerate(lines, start=1) if text.strip().startswith(("数据来源：", "数据来源:"))),
                       None)
    return Export(path=path, database=database, layout=layout, cells=cells, rows=rows, source_line=source_line)

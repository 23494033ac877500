"""Transcribed tables of the five source papers, and the checks that hold them to the printed text.

Each table lives in ``data/papers/<paper_id-prefix>_<table>.csv`` as one row per printed cell or
item, with the citation columns ``paper_id``, ``table`` and ``section``. Numbers are stored as
the text the paper prints (``"29"`` and ``"29.0"`` differ in what they say about precision); the
loader adds the parsed float and the number of printed decimals.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ruralrev.core import paths

__all__ = [
    "load_papers",
    "load_table",
    "printed_rows",
    "compare_with_printed",
    "items_at_or_above",
    "section_headings",
    "section_text",
    "THREE_BELTS",
    "belt_regions",
]

#: Paper 001 reports three belts (East, Central, West) and no Northeast: the book's mapping of the
#: Northeast's provinces to them (Liaoning to the East, Jilin and Heilongjiang to the Centre).
THREE_BELTS = {"Liaoning": "East", "Jilin": "Central", "Heilongjiang": "Central"}

_CITATION_COLUMNS = ["paper_id", "table", "section"]
_NUMBER_AT_END = re.compile(r"^(?P<label>.*\S)\s+(?P<value>-?\d+(?:\.\d+)?)$")
# A numbered heading as the plain-text papers print it: "2.2 Insufficient …", "2.3.2. Government
# support", "### **2.3. Problems …**" (Markdown marks and a trailing dot allowed).
_HEADING = re.compile(r"^[#* \t]*(?P<number>\d+(?:\.\d+)*)\.?\s+\**[A-Z]", re.M)
_TABLE = re.compile(r"^Table\.?\s*(?P<number>\d+)\b", re.M)


def load_papers(root: Path | None = None) -> pd.DataFrame:
    """The bibliographic register of the five papers (``data/papers/papers.csv``)."""
    base = root or paths.PAPERS_DATA
    return pd.read_csv(base / "papers.csv", dtype=str).set_index("paper_id")


def load_table(name: str, value_column: str = "percent", root: Path | None = None) -> pd.DataFrame:
    """Load a transcribed table and parse its printed numbers.

    Parameters
    ----------
    name : str
        File stem in ``data/papers``, e.g. ``"001_table1"``.
    value_column : str
        The column holding printed numbers; kept as text, with ``value`` (float) and
        ``decimals`` (digits printed after the point) added beside it.

    Raises
    ------
    ValueError
        If a citation column is missing or a printed number does not parse; the message names
        the file, the CSV line and the value.
    """
    base = root or paths.PAPERS_DATA
    path = base / f"{name}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in _CITATION_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing citation column(s) {missing}")
    if value_column in frame.columns:
        values, decimals = [], []
        for line, text in enumerate(frame[value_column], start=2):
            if not re.fullmatch(r"-?\d+(?:\.\d+)?", text):
                raise ValueError(f"{path}:{line}: {value_column}={text!r} is not a printed number")
            values.append(float(text))
            decimals.append(len(text.split(".")[1]) if "." in text else 0)
        frame["value"] = values
        frame["decimals"] = decimals
    return frame


def printed_rows(text: str, start: str, stop: str) -> list[tuple[str, str]]:
    """Rows of a table as printed in a plain-text paper: ``(label, number)`` pairs.

    The block runs from the line after the first line equal to ``start`` to the first line that
    starts with ``stop``. Each non-empty line must end in a number; the label is everything
    before it (for the first item of a group it includes the group's name, as printed).
    """
    lines = text.splitlines()
    try:
        first = next(i for i, line in enumerate(lines) if line.strip() == start) + 1
    except StopIteration:
        raise ValueError(f"table header {start!r} not found") from None
    rows = []
    for line in lines[first:]:
        line = line.strip()
        if line.startswith(stop):
            break
        if not line:
            continue
        match = _NUMBER_AT_END.match(line)
        if match is None:
            raise ValueError(f"printed table line without a trailing number: {line!r}")
        rows.append((match["label"], match["value"]))
    return rows


def compare_with_printed(table: pd.DataFrame, printed: list[tuple[str, str]]) -> list[str]:
    """Differences between a transcription and the printed rows, cell by cell (empty if none).

    Row *i* of the transcription must print as ``[area + " "] + item`` (the area only on the
    first item of its group) with exactly the same number text.
    """
    problems = []
    if len(table) != len(printed):
        problems.append(f"{len(table)} transcribed rows, {len(printed)} printed rows")
    previous_area = None
    for i, (row, (label, value)) in enumerate(zip(table.itertuples(index=False), printed), 1):
        expected = row.item if row.area == previous_area else f"{row.area} {row.item}"
        previous_area = row.area
        if expected != label:
            problems.append(f"row {i}: label {expected!r} printed as {label!r}")
        if row.percent != value:
            problems.append(f"row {i} ({row.item[:30]}…): {row.percent} printed as {value}")
    return problems


def items_at_or_above(table: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Items named by at least ``threshold`` per cent of respondents, largest first."""
    if not 0 <= threshold <= 100:
        raise ValueError(f"threshold must be a percentage in [0, 100], got {threshold}")
    chosen = table[table["value"] >= threshold]
    return chosen.sort_values(["value", "area"], ascending=[False, True], kind="mergesort")


def section_headings(text: str) -> list[tuple[str, int]]:
    """The numbered headings of a paper's text: ``(number, offset)`` in order of appearance."""
    return [(m["number"], m.start()) for m in _HEADING.finditer(text)]


def section_text(text: str, section: str) -> str:
    """The text of one section of a paper, its subsections included.

    ``section`` is a heading number (``"2.2"``), ``"Abstract"`` (the text before the first
    numbered heading) or ``"Table N"`` (from the line that starts the table's caption to the next
    numbered heading). A numbered section runs from its heading to the next heading that is not
    one of its subsections.

    Raises
    ------
    ValueError
        If the text has no such section.
    """
    headings = section_headings(text)
    if section == "Abstract":
        return text[: headings[0][1]] if headings else text
    table = re.fullmatch(r"Table (\d+)", section)
    if table:
        match = next((m for m in _TABLE.finditer(text) if m["number"] == table.group(1)), None)
        if match is None:
            raise ValueError(f"no caption line for {section}")
        end = next((offset for _, offset in headings if offset > match.start()), len(text))
        return text[match.start(): end]
    starts = [offset for number, offset in headings if number == section]
    if not starts:
        raise ValueError(f"no heading numbered {section!r}")
    start = starts[0]
    end = next((offset for number, offset in headings
                if offset > start and not number.startswith(section + ".")), len(text))
    return text[start:end]


def belt_regions(provinces, regions) -> pd.Series:
    """Each province's region on paper 001's three belts: its NBS region (``regions``, one per
    province), with the Northeast's provinces moved as :data:`THREE_BELTS` says. Indexed by
    ``provinces``."""
    provinces = pd.Index(provinces)
    nbs = pd.Series(pd.Series(regions).astype(str).to_numpy(), index=provinces)
    return provinces.to_series(index=provinces).map(THREE_BELTS).fillna(nbs)

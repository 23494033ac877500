"""What an executed chapter publishes, item by item: glued numbers, tables, figures and other outputs.

:func:`read_items` reads them from the executed notebook alone (no kernel) into :class:`Items`:
glued numbers, tables, figures, other outputs and the text of every cell (what each holds: its
class, :class:`Glued`, :class:`Table`, :class:`Figure`, :class:`Other`, :class:`Text`).
:func:`failed_guards` reads the guards (:mod:`ruralrev.present.guards`) a page recorded as false.
Cells are numbered as the source notebook numbers its code cells (papermill's injected cell
is not counted), the numbering the reproducibility page and error messages use.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from ruralrev.book.figure_data import MIME as FIGURE_DATA
from ruralrev.present.guards import PREFIX as GUARD_PREFIX

__all__ = ["Glued", "Table", "Figure", "Other", "Text", "Items", "read_items", "parse_table", "reads_text",
           "failed_guards"]

_STALE_TAG = "ruralrev-stale"   # ruralrev.book.execute.STALE_TAG (not imported: execute imports papermill's world)
_VOLATILE = ("execution", "papermill")   # per-run cell metadata the runner drops

# Options after :name: (``:class: ruralrev-interactive`` for an interactive table) are allowed.
_TABLE = re.compile(r"```\{table\} (?P<caption>.*)\n:name: (?P<label>[a-z0-9-]+)\n(?::[\w-]+:.*\n)*\n"
                    r"(?P<body>(?:\|.*\n?)+)```(?:\s*\*Source:\* (?P<source>.*))?")
_GLUE_PREFIX = "application/papermill.record/"
_IMAGES = ("image/png", "image/jpeg", "image/svg+xml")


@dataclass(frozen=True)
class Glued:
    """A glued number: an output that ``myst_nb.glue`` recorded (``metadata.scrapbook.name``); its
    value is the text the prose shows."""

    name: str
    cell: int
    value: str


@dataclass(frozen=True)
class Table:
    """A Markdown output written by :func:`ruralrev.present.tables.myst_table`: label, caption,
    source line and every cell."""

    label: str
    caption: str
    cell: int
    source: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Figure:
    """A code cell with ``mystnb.figure`` metadata: label, caption, what it reads (the cell's
    ``reads`` metadata, with the page's parameters filled in), the sha256 of its PNG and the data
    the kernel recorded beside it (:mod:`ruralrev.book.figure_data`)."""

    label: str
    caption: str
    cell: int
    reads: str
    png_sha256: str
    data: str  # canonical JSON of the recorded figure data, "" if none was recorded


@dataclass(frozen=True)
class Other:
    """Any other output (printed text, other displays), kept per cell, so that nothing a page shows
    escapes a comparison."""

    cell: int
    text: str


@dataclass(frozen=True)
class Text:
    """The text of one cell: ``kind`` is ``markdown``, ``code`` (its source) or ``metadata``;
    ``place`` names the cell (``markdown cell 3``, ``code cell 5``).

    Each markdown cell (the prose, with its roles and directives), each code cell's source, and
    each cell's metadata (tags that show or hide it, figure captions, alt text), so that an edited
    sentence or line of code is seen as surely as an edited number. The stale banner the build adds
    and removes (``ruralrev-stale``) is not part of the page's text."""

    place: str
    kind: str
    text: str


@dataclass(frozen=True)
class Items:
    """Everything a page publishes, read from the executed notebook alone (no kernel)."""

    glued: tuple[Glued, ...]
    tables: tuple[Table, ...]
    figures: tuple[Figure, ...]
    other: tuple[Other, ...]
    texts: tuple[Text, ...] = ()


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _split_row(line: str) -> tuple[str, ...]:
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return tuple(cell.strip().replace("\\|", "|") for cell in cells)


def parse_table(markdown: str) -> list[Table]:
    """The MyST tables in a Markdown output (cell 0: fill in with :func:`read_items`)."""
    found = []
    for match in _TABLE.finditer(markdown):
        lines = [line for line in match["body"].strip().splitlines() if line.strip()]
        header = _split_row(lines[0]) if lines else ()
        rows = tuple(_split_row(line) for line in lines[2:])
        found.append(Table(match["label"], match["caption"].strip(), 0, (match["source"] or "").strip(), header, rows))
    return found


def reads_text(cell: dict, parameters: dict) -> str:
    """The figure cell's ``reads`` metadata with ``{parameter}`` filled in from the page's parameters
    (a list parameter as its items, comma-separated)."""
    text = cell.get("metadata", {}).get("reads", "")
    text = " ".join(text) if isinstance(text, list) else str(text)
    shown = {name: ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else value
             for name, value in parameters.items()}
    try:
        return text.format(**shown)
    except (KeyError, IndexError, ValueError):
        return text


def _other_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return f"{output.get('name', 'stream')}: {_text(output.get('text', ''))}"
    if output.get("output_type") == "error":
        return f"error: {output.get('ename')}: {output.get('evalue')}"
    data = output.get("data", {})
    parts = []
    for mime in sorted(data):
        if mime == FIGURE_DATA or mime.startswith(_GLUE_PREFIX):
            continue
        value = data[mime]
        if mime in _IMAGES:
            value = hashlib.sha256(_text(value).encode()).hexdigest()
        elif not isinstance(value, str | list):
            value = json.dumps(value, sort_keys=True)
        parts.append(f"{mime}: {_text(value)}")
    return "\n".join(parts)


def _texts(notebook: dict) -> list[Text]:
    """The text of every cell in page order (see :class:`Text`)."""
    texts, markdown, code = [], 0, 0
    for cell in notebook.get("cells", []):
        metadata = {k: v for k, v in cell.get("metadata", {}).items() if k not in _VOLATILE}
        if _STALE_TAG in metadata.get("tags", []):
            continue
        kind = cell.get("cell_type", "")
        if kind == "code":
            if "injected-parameters" in metadata.get("tags", []):
                place = "code cell (injected parameters)"
            else:
                code += 1
                place = f"code cell {code}"
        else:
            markdown += 1
            place = f"{kind} cell {markdown}"
        texts.append(Text(place, "markdown" if kind != "code" else "code", _text(cell.get("source", ""))))
        if metadata:
            texts.append(Text(place, "metadata", json.dumps(metadata, sort_keys=True, ensure_ascii=False)))
    return texts


def failed_guards(notebook: dict) -> list[str]:
    """The names of the guards a page recorded as not holding (glue ``guard_<name>`` = False), in page order."""
    return [g.name[len(GUARD_PREFIX):] for g in read_items(notebook).glued
            if g.name.startswith(GUARD_PREFIX) and g.value.strip("'\"") == "False"]


def read_items(notebook: dict) -> Items:
    """Every glued number, table, figure, other output and cell text of an executed notebook."""
    parameters = notebook.get("metadata", {}).get("ruralrev", {}).get("parameters", {})
    glued, tables, figures, other = [], [], [], []
    number = 0
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" not in tags:
            number += 1
        figure = cell.get("metadata", {}).get("mystnb", {}).get("figure")
        images, data = [], []
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook", {})
            payload = output.get("data", {})
            if meta.get("name"):
                prefix = meta.get("mime_prefix", "")
                value = payload.get(prefix + "text/plain", "")
                glued.append(Glued(meta["name"], number, _text(value)))
                continue
            markdown = payload.get("text/markdown")
            parsed = parse_table(_text(markdown)) if markdown is not None and "```{table}" in _text(markdown) else []
            if parsed:  # a table the parser cannot read stays an "other" output, compared as text
                tables += [Table(t.label, t.caption, number, t.source, t.header, t.rows) for t in parsed]
                continue
            if figure and "image/png" in payload:
                images.append(hashlib.sha256(_text(payload["image/png"]).encode()).hexdigest())
                if FIGURE_DATA in payload:
                    data.append(payload[FIGURE_DATA])
                continue
            text = _other_text(output)
            if text:
                other.append(Other(number, text))
        if figure:
            figures.append(Figure(figure.get("name", ""), _text(figure.get("caption", "")), number,
                                  reads_text(cell, parameters), " ".join(images),
                                  json.dumps(data[0] if len(data) == 1 else data, sort_keys=True) if data else ""))
    return Items(tuple(glued), tuple(tables), tuple(figures), tuple(other), tuple(_texts(notebook)))

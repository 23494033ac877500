"""Numbered, captioned tables for the book, the number-precision policy and Markdown escaping.

:func:`myst_table` makes every table the book prints: numbered, captioned, cross-referenced and
sourced, with every string escaped (:func:`escape_markdown`), numbers at the precision of their
kind (:data:`FORMATS`, :func:`format_value`, :func:`format_by_unit`) and missing values as
:data:`MISSING`; its Notes give the three rules.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping

import pandas as pd
from IPython.display import Markdown

from ruralrev.present.html_classes import INTERACTIVE_CLASS

__all__ = ["MISSING", "FORMATS", "escape_markdown", "unescape_markdown", "format_value", "unit_kind", "format_by_unit", "markdown_table", "myst_table"]

#: What a missing value prints as.
MISSING = "n/a"

#: The precision policy: a named kind → a Python format spec.
FORMATS = {
    "percent": ",.1f",   # per cent: at most one decimal
    "count": ",d",       # whole numbers, thousands separators
    "int": "d",          # whole numbers without separators (years, codes, k)
    "money": ",.0f",     # yuan (or other currency) with thousands separators
    "index": ".3f",      # unit-free indices: Theil, Gini, adjusted Rand, closeness, weights
    "ratio": ".2f",      # ratios of two like quantities
    "coef": ".4f",       # small regression-type numbers that need four decimals
}

_LABEL = re.compile(r"^[a-z][a-z0-9-]*$")
# A code span, optionally preceded by a MyST role name: {numref}`tbl-x`, `ruralrev run data`.
_CODE = re.compile(r"(?:\{[A-Za-z][\w:.-]*\})?(`+)(?:.+?)\1", re.S)
# Characters that Markdown/MyST (or the HTML it may contain) would read as markup; an existing
# backslash escape (backslash + ASCII punctuation) is kept, so escaping twice changes nothing.
_ESCAPED = r"\\[!-/:-@\[-`{-~]"
_SPECIAL = re.compile(rf"({_ESCAPED})|([\\`*_{{}}\[\]<>|$&~])")
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def escape_markdown(text: object, table_cell: bool = False) -> str:
    """Text → MyST Markdown that renders as exactly that text.

    ASCII characters that start markup (``\\ ` * _ { } [ ] < > | $ & ~``) get a backslash,
    except inside code spans and roles (text between backticks, e.g. ``{cite:p}`key` `` or
    ``ruralrev run data`` in backticks), which are deliberate markup and kept. A backslash that
    already escapes a punctuation character is kept, so the function is idempotent:
    ``escape_markdown(escape_markdown(s)) == escape_markdown(s)``.

    Parameters
    ----------
    text : object
        Converted with ``str``.
    table_cell : bool
        Also escape ``|`` inside code spans (a pipe ends a table cell even there) and turn line
        breaks into spaces.

    Examples
    --------
    >>> escape_markdown("agri/<province>.csv")
    'agri/\\\\<province\\\\>.csv'
    >>> escape_markdown("see `ruralrev run data`")
    'see `ruralrev run data`'
    """
    text = str(text)
    if table_cell:
        text = text.replace("\r", " ").replace("\n", " ")
    parts, position = [], 0
    for match in _CODE.finditer(text):
        parts.append(_escape_plain(text[position:match.start()]))
        code = match.group(0)
        parts.append(re.sub(r"(?<!\\)\|", r"\\|", code) if table_cell else code)
        position = match.end()
    parts.append(_escape_plain(text[position:]))
    return "".join(parts)


def _escape_plain(text: str) -> str:
    return _SPECIAL.sub(lambda m: m.group(1) or "\\" + m.group(2), text)


def unescape_markdown(text: str) -> str:
    """Undo :func:`escape_markdown` outside code spans (what a reader sees, markup aside)."""
    return _UNESCAPE.sub(r"\1", text)


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isnan(value)


def format_value(value: object, kind: str | None = None, missing: str = MISSING) -> str:
    """One value as text under the precision policy (no escaping).

    Parameters
    ----------
    value : object
        A number, a string or a missing value (None, NaN, ``pd.NA``, ``NaT``).
    kind : str, optional
        A key of :data:`FORMATS` or a Python format spec (``".2f"``). Without it, integers print
        as they are and floats with two decimals.
    missing : str
        Text for a missing value.

    Raises
    ------
    ValueError
        If ``kind`` is ``"count"`` or ``"int"`` and the value is not a whole number: a count
        with a fraction is a bug upstream, not something to round away.
    """
    if _is_missing(value):
        return missing
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    spec = FORMATS.get(kind, kind) if kind else ("d" if isinstance(value, numbers.Integral) else ",.2f")
    if spec.endswith("d"):
        if float(value) != round(float(value)):
            raise ValueError(f"{value!r} is not a whole number (format {kind!r})")
        value = int(round(float(value)))
    text = format(value, spec)
    return "0" + text[2:] if text.startswith("-0") and float(text.replace(",", "")) == 0 else text


def unit_kind(unit: str) -> str | None:
    """The precision kind suggested by a unit: ``%`` → percent, ``yuan`` → money, counts → count."""
    unit = (unit or "").strip().lower()
    if unit.startswith("log("):   # a log of yuan is not money: whole numbers would hide the differences
        return None
    if unit in {"%", "per cent", "percent"} or unit.startswith("%"):
        return "percent"
    if unit in {"count", "provinces", "number"}:
        return "count"
    if "yuan" in unit and "10,000" not in unit and "100 million" not in unit:
        return "money"
    return None


def format_by_unit(frame: pd.DataFrame, unit_column: str, columns: list[str] | None = None,
                   default: str = ",.2f") -> pd.DataFrame:
    """Format the numeric cells of each row by the row's unit (for tables with one row per indicator).

    Rows whose unit suggests no kind (see :func:`unit_kind`) use ``default``. Returns a copy
    with the formatted columns as text.
    """
    out = frame.copy()
    columns = columns or [c for c in frame.columns if c != unit_column and pd.api.types.is_numeric_dtype(frame[c])]
    for column in columns:
        out[column] = [format_value(v, unit_kind(u) or default)
                       for v, u in zip(frame[column], frame[unit_column])]
    return out


def _column_kinds(frame: pd.DataFrame, formats: Mapping[str, str] | None, float_format: str) -> dict:
    kinds = {}
    for column in frame.columns:
        if formats and column in formats:
            kinds[column] = formats[column]
            continue
        values = frame[column]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            kinds[column] = None  # text or mixed: integers as they are, floats in float_format
        elif pd.api.types.is_integer_dtype(values):
            kinds[column] = "int"
        else:
            present = values.dropna().astype(float)
            whole = len(present) > 0 and bool((present == present.round()).all()) and present.abs().max() < 1e15
            kinds[column] = "int" if whole else float_format
    return kinds


def markdown_table(frame: pd.DataFrame, float_format: str = ",.2f", formats: Mapping[str, str] | None = None,
                   missing: str = MISSING) -> str:
    """Render a frame as a pipe table (index dropped; use ``reset_index`` to keep it).

    Every cell and header is escaped with :func:`escape_markdown`; numbers follow ``formats``
    (column → kind of :data:`FORMATS` or a format spec), else the column's own type (whole
    numbers as integers) and ``float_format``.
    """
    unknown = set(formats or {}) - set(frame.columns)
    if unknown:
        raise ValueError(f"formats for unknown column(s) {sorted(unknown)}")
    kinds = _column_kinds(frame, formats, float_format)

    def cell(value: object, kind: str | None) -> str:
        if kind is None and not isinstance(value, numbers.Integral):
            kind = float_format
        return escape_markdown(format_value(value, kind, missing), table_cell=True)

    header = "| " + " | ".join(escape_markdown(c, table_cell=True) for c in frame.columns) + " |"
    align = "|" + "|".join(
        "---:" if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) else ":---"
        for c in frame.columns) + "|"
    rows = [
        "| " + " | ".join(cell(v, kinds[c]) for v, c in zip(row, frame.columns)) + " |"
        for row in frame.itertuples(index=False, name=None)
    ]
    return "\n".join([header, align, *rows])


def myst_table(
    frame: pd.DataFrame,
    caption: str,
    label: str,
    source: str,
    float_format: str = ",.2f",
    formats: Mapping[str, str] | None = None,
    interactive: bool = False,
) -> Markdown:
    """A numbered MyST table with a caption, a cross-reference label and a source line.

    Parameters
    ----------
    frame : DataFrame
        The cells, already in display order and units.
    caption : str
        One sentence saying what the table holds, with units. Escaped; roles in backticks kept.
    label : str
        Lower-case anchor (``tbl-...``) used by ``{numref}`` in the prose.
    source : str
        Where the numbers come from (paper and table, or publisher and database). Escaped;
        roles such as ``{cite:p}`key` `` kept.
    float_format : str
        Format spec (or a kind of :data:`FORMATS`) for float columns not named in ``formats``.
    formats : mapping, optional
        Column → kind of :data:`FORMATS` (``"percent"``, ``"count"``, ``"money"``, ...) or spec.
    interactive : bool
        Let readers sort and filter the table in the browser (ledgers, dictionaries, member
        lists). The table stays a numbered MyST table; the site's script enhances it.

    Notes
    -----
    A notebook displays the value returned by this function; the book renders Markdown outputs
    as MyST (``nb_render_markdown_format: myst``), so the table gets a number, a caption, an anchor
    that prose can reference with ``{numref}`` and a source line underneath.

    Three rules hold for every table the book prints:

    * **Escaping.** Every string written into Markdown goes through :func:`escape_markdown`, so a
      value such as ``agri/<province>.csv`` or ``0.12***`` renders as itself instead of being read
      as HTML or emphasis. Code spans and MyST roles (text between backticks) are kept as markup.
    * **Precision.** Numbers are formatted per column by a named kind (:data:`FORMATS`):
      percentages with one decimal, counts as integers, money with thousands separators, indices
      with three decimals. A float column whose values are all whole numbers prints as integers.
    * **Missing values** print as :data:`MISSING` (``n/a``) — by design, never ``nan`` or ``None``.
    """
    if not _LABEL.match(label):
        raise ValueError(f"table label {label!r} must be lower-case letters, digits and dashes")
    if "\n" in caption:
        raise ValueError("a table caption is one line")
    body = markdown_table(frame, float_format, formats)
    options = f":name: {label}\n" + (f":class: {INTERACTIVE_CLASS}\n" if interactive else "")
    text = (f"```{{table}} {escape_markdown(caption)}\n{options}\n{body}\n```\n\n"
            f"*Source:* {escape_markdown(source)}\n")
    return Markdown(text)

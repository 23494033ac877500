"""Numbered, captioned tables for the book.

A notebook displays the value returned by :func:`myst_table`; the book renders Markdown outputs
as MyST (``nb_render_markdown_format: myst``), so the table gets a number, a caption, an anchor
that prose can reference with ``{numref}`` and a source line underneath.
"""

from __future__ import annotations

import re

import pandas as pd
from IPython.display import Markdown

_LABEL = re.compile(r"^[a-z][a-z0-9-]*$")


def _cell(value: object, float_format: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, float):
        text = format(value, float_format)
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame, float_format: str = ",.2f") -> str:
    """Render a frame as a pipe table (index dropped; use ``reset_index`` to keep it)."""
    header = "| " + " | ".join(_cell(c, float_format) for c in frame.columns) + " |"
    align = "|" + "|".join(
        "---:" if pd.api.types.is_numeric_dtype(frame[c]) else ":---" for c in frame.columns
    ) + "|"
    rows = [
        "| " + " | ".join(_cell(v, float_format) for v in row) + " |"
        for row in frame.itertuples(index=False, name=None)
    ]
    return "\n".join([header, align, *rows])


def myst_table(
    frame: pd.DataFrame,
    caption: str,
    label: str,
    source: str,
    float_format: str = ",.2f",
) -> Markdown:
    """A numbered MyST table with a caption, a cross-reference label and a source line.

    Parameters
    ----------
    frame : DataFrame
        The cells, already in display order and units.
    caption : str
        One sentence saying what the table holds, with units.
    label : str
        Lower-case anchor (``tbl-...``) used by ``{numref}`` in the prose.
    source : str
        Where the numbers come from (paper and table, or publisher and database).
    float_format : str
        Python format spec for float cells.
    """
    if not _LABEL.match(label):
        raise ValueError(f"table label {label!r} must be lower-case letters, digits and dashes")
    if "\n" in caption:
        raise ValueError("a table caption is one line")
    body = markdown_table(frame, float_format)
    text = f"```{{table}} {caption}\n:name: {label}\n\n{body}\n```\n\n*Source:* {source}\n"
    return Markdown(text)

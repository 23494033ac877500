"""``{csv-html-table}``: a numbered, captioned table written straight to HTML from a CSV file.

For the book's long generated listings (the reproducibility page's list of every number quoted
in the text, about 800 rows). A MyST table of that size becomes tens of thousands of docutils
nodes that Sphinx parses, transforms, pickles and unpickles whenever the page changes — every
time a chapter is re-run, seconds of the one-chapter rebuild. This directive (:func:`directive`,
its usage there) makes one table node whose rows are one raw HTML node.
"""

from __future__ import annotations

import csv
import html
from pathlib import Path

__all__ = ["rows_html", "directive"]


def rows_html(header: list[str], rows: list[list[str]], code_columns=()) -> str:
    """``<thead>`` and ``<tbody>`` of a table, every cell escaped; a column whose header is in
    ``code_columns`` is wrapped in ``<code>``. Columns whose every cell reads as a number are
    right-aligned."""
    def numeric(column: int) -> bool:
        cells = [row[column] for row in rows if column < len(row) and row[column] != ""]
        return bool(cells) and all(cell.replace(",", "").replace(".", "", 1).lstrip("-").isdigit() for cell in cells)

    align = [' class="text-right"' if numeric(c) else "" for c in range(len(header))]
    code = {c for c, name in enumerate(header) if name in set(code_columns)}

    def cell(tag: str, c: int, value: str) -> str:
        text = html.escape(value, quote=False)
        return f"<{tag}{align[c]}>" + (f"<code>{text}</code>" if c in code and tag == "td" and text else text) + f"</{tag}>"

    head = "<tr>" + "".join(cell("th", c, name.capitalize()) for c, name in enumerate(header)) + "</tr>"
    body = "\n".join("<tr>" + "".join(cell("td", c, row[c] if c < len(row) else "") for c in range(len(header)))
                     + "</tr>" for row in rows)
    return f"<thead>\n{head}\n</thead>\n<tbody>\n{body}\n</tbody>\n"


def directive():
    """The ``{csv-html-table}`` directive class: one table node (so Sphinx still numbers it,
    ``Table N``, and ``{numref}`` reaches it by its ``:name:``) whose caption is a title node and
    whose rows are one raw HTML node (:func:`rows_html`): every cell escaped, nothing read as
    markup. Only the HTML builders show the rows.

    Usage, in a MyST page::

        ```{csv-html-table} Caption, one sentence with units.
        :name: tbl-label
        :file: listing.csv
        :code-columns: name
        ```

    ``:file:`` is relative to the page; ``:code-columns:`` (comma-separated) are shown as code.
    The caption and the cells are plain text: roles, maths and markup in them are shown as written.
    The page is re-read when the CSV changes.
    """
    from docutils import nodes
    from docutils.parsers.rst import Directive, directives

    class CsvHtmlTable(Directive):
        required_arguments = 1
        final_argument_whitespace = True
        has_content = False
        option_spec = {"name": directives.unchanged_required, "file": directives.path,
                       "code-columns": directives.unchanged, "class": directives.class_option}

        def run(self):
            env = self.state.document.settings.env
            if "file" not in self.options:
                raise self.error("csv-html-table needs a :file: option")
            relative, absolute = env.relfn2path(self.options["file"], env.docname)
            path = Path(absolute)
            if not path.is_file():
                raise self.error(f"csv-html-table: no file {relative}")
            env.note_dependency(relative)
            with path.open(encoding="utf-8-sig", newline="") as handle:
                data = list(csv.reader(handle))
            if not data:
                raise self.error(f"csv-html-table: {relative} is empty (it needs at least a header line)")
            header, *rows = data
            code_columns = [c.strip() for c in self.options.get("code-columns", "").split(",") if c.strip()]
            caption = self.arguments[0]
            table = nodes.table(classes=["ruralrev-csv-table", *self.options.get("class", [])])
            table += nodes.title(caption, caption)
            table += nodes.raw("", rows_html(header, rows, code_columns), format="html")
            self.add_name(table)
            return [table]

    return CsvHtmlTable

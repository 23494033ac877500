"""``ruralrev verify``: re-execute every chapter from a clean state and compare it with the published book.

:func:`verify_book` re-executes each chapter, with no cache and the parameters its published page
records, into a scratch folder (the published copies are never touched), and compares the two
pages item by item (:mod:`ruralrev.book.page_items`; what is compared: its Notes). The report is
printed, written as a CSV and as a page of the book (:func:`write_report`), and that page is
marked out of date when a page it compared is re-executed (:func:`refresh_page`); any difference
makes the command exit non-zero.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import re
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ruralrev.book.execute import BOX_TAG, page_edited, read_notebook
from ruralrev.book.page_items import Items, read_items
from ruralrev.book.params import Chapter, format_value, load_plan, parse_overrides
from ruralrev.book.publish import guard_lines
from ruralrev.core import files, paths
from ruralrev.core.errors import UsageError
from ruralrev.present.guards import PREFIX as GUARD_PREFIX

__all__ = ["Row", "page_command", "command_parameters", "compare", "verify_book", "page_keys", "write_report",
           "refresh_page", "failed_guards", "REPORT_NAME", "SCRATCH_PREFIX"]

#: Prefix of verify's own scratch folder in the temporary directory (when ``--keep`` is not given).
SCRATCH_PREFIX = "ruralrev-verify-"
_AS_EXECUTED = "page as executed (content hash recorded at execution)"
_KINDS = {"markdown": "text", "code": "source", "metadata": "metadata"}
_TEXT_ITEMS = tuple(f": {kind}" for kind in _KINDS.values())

REPORT_NAME = "verification"
_MISSING = "(missing)"
_MAX_FIGURE_ROWS = 25


@dataclass(frozen=True)
class Row:
    """One compared item: ``published`` and ``recomputed`` as the page shows them."""

    chapter: str
    item: str
    published: str
    recomputed: str

    @property
    def equal(self) -> bool:
        return self.published == self.recomputed


def page_command(notebook: dict) -> str:
    """The ``ruralrev build NAME …`` (or ``ruralrev run NAME …``) line of a page's parameters box."""
    for cell in notebook.get("cells", []):
        if BOX_TAG in cell.get("metadata", {}).get("tags", []):
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
            for line in source.splitlines():
                if line.strip().startswith(("ruralrev build ", "ruralrev run ")):
                    return line.strip()
    raise UsageError("the page has no parameters box with a 'ruralrev build' command")


def command_parameters(command: str, chapter: Chapter) -> dict:
    """The parameters a page's command gives, read as the ``ruralrev`` command line reads them."""
    from ruralrev.book.arguments import parser

    args = parser().parse_args(shlex.split(command)[1:])
    if args.command not in {"run", "build"} or getattr(args, "no_run", False) or args.chapters != [chapter.name]:
        raise UsageError(f"{chapter.name}: the page's command {command!r} does not run this chapter alone")
    return {**chapter.parameters, **parse_overrides(args.parameter, chapter)}


def _figure_leaves(value, path: str = ""):
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _figure_leaves(value[key], f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _figure_leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def _figure_rows(chapter: str, label: str, published: str, recomputed: str) -> list[Row]:
    if published == recomputed:
        return [Row(chapter, f"figure {label}: data", f"{published.count(',') + 1} values" if published else "none",
                    f"{recomputed.count(',') + 1} values" if recomputed else "none")]
    old = dict(_figure_leaves(json.loads(published) if published else []))
    new = dict(_figure_leaves(json.loads(recomputed) if recomputed else []))
    moved = [key for key in dict.fromkeys([*old, *new]) if old.get(key, _MISSING) != new.get(key, _MISSING)]
    rows = [Row(chapter, f"figure {label}: data {key}", str(old.get(key, _MISSING)), str(new.get(key, _MISSING)))
            for key in moved[:_MAX_FIGURE_ROWS]]
    if len(moved) > _MAX_FIGURE_ROWS:
        rows.append(Row(chapter, f"figure {label}: data", f"{len(moved) - _MAX_FIGURE_ROWS} more values",
                        "differ"))
    return rows or [Row(chapter, f"figure {label}: data", published, recomputed)]


def compare(chapter: str, published: Items, recomputed: Items) -> list[Row]:
    """Rows for every item of a chapter, in page order within each kind."""
    rows = []
    new_texts = {(t.place, t.kind): t for t in recomputed.texts}
    for text in published.texts:
        other = new_texts.pop((text.place, text.kind), None)
        rows.append(Row(chapter, f"{text.place}: {_KINDS[text.kind]}", text.text,
                        other.text if other is not None else _MISSING))
    rows += [Row(chapter, f"{t.place}: {_KINDS[t.kind]}", _MISSING, t.text) for t in new_texts.values()]
    new_glued = {g.name: g for g in recomputed.glued}
    for glued in published.glued:
        value = new_glued.pop(glued.name).value if glued.name in new_glued else _MISSING
        rows.append(Row(chapter, f"number {glued.name} (cell {glued.cell})", glued.value, value))
    rows += [Row(chapter, f"number {g.name} (cell {g.cell})", _MISSING, g.value) for g in new_glued.values()]
    new_tables = {t.label: t for t in recomputed.tables}
    for table in published.tables:
        other = new_tables.pop(table.label, None)
        name = f"table {table.label}"
        if other is None:
            rows.append(Row(chapter, name, f"{len(table.rows)} rows", _MISSING))
            continue
        rows.append(Row(chapter, f"{name}: caption", table.caption, other.caption))
        rows.append(Row(chapter, f"{name}: source", table.source, other.source))
        rows.append(Row(chapter, f"{name}: columns", " | ".join(table.header), " | ".join(other.header)))
        rows.append(Row(chapter, f"{name}: rows", str(len(table.rows)), str(len(other.rows))))
        for r, (row, new_row) in enumerate(zip(table.rows, other.rows), start=1):
            for c, column in enumerate(table.header):
                old_cell = row[c] if c < len(row) else _MISSING
                new_cell = new_row[c] if c < len(new_row) else _MISSING
                rows.append(Row(chapter, f"{name} [row {r}, {column}]", old_cell, new_cell))
    rows += [Row(chapter, f"table {t.label}", _MISSING, f"{len(t.rows)} rows") for t in new_tables.values()]
    new_figures = {f.label: f for f in recomputed.figures}
    for figure in published.figures:
        other = new_figures.pop(figure.label, None)
        if other is None:
            rows.append(Row(chapter, f"figure {figure.label}", "present", _MISSING))
            continue
        rows.append(Row(chapter, f"figure {figure.label}: image sha256", figure.png_sha256[:16], other.png_sha256[:16]))
        rows += _figure_rows(chapter, figure.label, figure.data, other.data)
    rows += [Row(chapter, f"figure {f.label}", _MISSING, "present") for f in new_figures.values()]
    old_other = [o.text for o in published.other]
    new_other = [o.text for o in recomputed.other]
    for index in range(max(len(old_other), len(new_other))):
        cell = (published.other[index] if index < len(old_other) else recomputed.other[index]).cell
        rows.append(Row(chapter, f"other output {index + 1} (cell {cell})",
                        old_other[index] if index < len(old_other) else _MISSING,
                        new_other[index] if index < len(new_other) else _MISSING))
    return rows


def verify_book(*, root: Path | None = None, params_file: Path | None = None, jobs: int = 1,
                scratch: Path | None = None, stream=sys.stderr, names: list[str] | None = None,
                published: Path | None = None) -> list[Row]:
    """Re-execute the chapters (all by default) into ``scratch`` and compare them with their pages.

    ``published`` is the folder of the published pages (default: each chapter's ``output``).
    Raises :class:`UsageError` if a chapter has no published page (build the book first).

    Notes
    -----
    For each chapter the published page (``book/executed/<name>.ipynb``) gives the command that
    reproduces it (its parameters box); the command is read back exactly as the CLI reads it, and
    the chapter is re-executed with those parameters, with no cache, from its source
    ``notebooks/<name>.md`` into a scratch folder. The published copies are never touched: ``--keep``
    naming the folder of the published pages is refused before anything runs. Then, item by item
    (:mod:`ruralrev.book.page_items`):

    * whether the page is as it was executed (the content hash it records, :func:`ruralrev.book.execute.page_edited`),
    * the text of every cell: each markdown cell, each code cell's source and each cell's metadata,
    * every glued number (the numbers quoted in the prose; guards included),
    * every table: caption, source line and each cell,
    * every figure: its PNG bytes and the data it draws (:mod:`ruralrev.book.figure_data`), a moved value
      named by its place in the figure,
    * every other output, and the parameters the page's command gives against those it records.
    """
    from ruralrev.book.runner import retarget, run_chapters, select

    root = root or paths.ROOT
    plan = load_plan(params_file, root)
    chapters = select(plan, names or [], root)
    if published is not None:
        chapters = retarget(chapters, published)
    if scratch is not None:
        _refuse_published_folder(Path(scratch), [*plan, *chapters])
    rows, parameters = [], {}
    for chapter in chapters:
        if not chapter.output.is_file():
            raise UsageError(f"{chapter.name}: no published page at {chapter.output}; build the book first "
                             "(python3.11 tasks.py book)")
        notebook = read_notebook(chapter.output)
        rows.append(Row(chapter.name, _AS_EXECUTED, "edited after its execution" if page_edited(chapter.output)
                        else "unchanged", "unchanged"))
        recorded = notebook.get("metadata", {}).get("ruralrev", {}).get("parameters", {})
        command = page_command(notebook)
        parameters[chapter.name] = command_parameters(command, chapter)
        shown = lambda values: " ".join(f"{k}={format_value(values[k], chapter.spec(k))}"  # noqa: E731
                                        for k in sorted(values))
        rows.append(Row(chapter.name, "parameters given by the page's command", shown(recorded),
                        shown(parameters[chapter.name])))
    with contextlib.ExitStack() as stack:
        scratch = Path(scratch) if scratch is not None else stack.enter_context(files.scratch_folder(SCRATCH_PREFIX))
        stream.write(f"verify: re-executing {len(chapters)} chapters from a clean state into {scratch}\n")
        results = {r.name: r for r in run_chapters([c.name for c in chapters], params_file=params_file, root=root,
                                                   jobs=jobs, force=True, into=scratch, stream=stream,
                                                   parameters=parameters)}
        for chapter in chapters:
            if results[chapter.name].state == "failed":
                rows.append(Row(chapter.name, "execution", "succeeded", results[chapter.name].error))
                continue
            published = read_items(read_notebook(chapter.output))
            recomputed = read_items(read_notebook(scratch / chapter.output.name))
            rows += compare(chapter.name, published, recomputed)
    return rows


def _refuse_published_folder(scratch: Path, chapters: list[Chapter]) -> None:
    """:class:`UsageError` when ``scratch`` is a folder the book publishes executed pages into."""
    try:
        target = scratch.resolve()
    except OSError:
        return
    for folder in dict.fromkeys(c.output.parent for c in chapters):
        try:
            same = folder.resolve() == target
        except OSError:
            continue
        if same:
            raise UsageError(f"--keep {scratch}: that is the folder of the published pages; verify never writes "
                             "there (it would replace the pages it compares). Keep the re-executed notebooks "
                             "elsewhere, e.g. --keep _build/verify")


def failed_guards(rows: list[Row]) -> dict[str, list[str]]:
    """Per chapter, the guards the published page records as not holding (read from the compared
    glued values ``guard_<name>``), in page order; chapters whose guards all hold are left out."""
    found: dict[str, list[str]] = {}
    prefix = f"number {GUARD_PREFIX}"
    for row in rows:
        if row.item.startswith(prefix) and row.published.strip("'\"") == "False":
            found.setdefault(row.chapter, []).append(row.item[len(prefix):].split(" (cell ")[0])
    return found


def summary(rows: list[Row]) -> list[dict]:
    """Per chapter: cell texts, numbers, table cells, figures, other outputs compared, and differences."""
    out = {}
    for row in rows:
        entry = out.setdefault(row.chapter, {"chapter": row.chapter, "cell texts": 0, "numbers": 0, "table cells": 0,
                                             "figures": 0, "other outputs": 0, "differences": 0})
        if row.item.endswith((": text", ": source")):
            entry["cell texts"] += 1
        elif row.item.startswith("number "):
            entry["numbers"] += 1
        elif row.item.startswith("table ") and " [row " in row.item:
            entry["table cells"] += 1
        elif row.item.startswith("figure ") and row.item.endswith("image sha256"):
            entry["figures"] += 1
        elif row.item.startswith("other output"):
            entry["other outputs"] += 1
        entry["differences"] += not row.equal
    return list(out.values())


def page_keys(chapters: list[Chapter]) -> dict[str, str | None]:
    """Each chapter's published page as the inputs key it records (:func:`ruralrev.book.execute.cached_key`),
    in book order: what a report compared, and what the book holds now."""
    from ruralrev.book.execute import cached_key

    return {c.name: cached_key(c.output) for c in chapters}


def write_report(rows: list[Row], verified: dict[str, str | None], book: dict[str, str | None],
                 folder: Path | None = None, elapsed: float | None = None) -> tuple[Path, Path]:
    """Write ``verification.csv``, ``verification.json`` (the chapters compared, each with the inputs
    key of the page compared, and the time) and the book page ``verification.md``; return the page
    and the CSV. ``verified`` are the chapters this run compared, ``book`` every chapter's page now
    (:func:`page_keys`).

    The report is printed, written as a CSV (chapter, item, published, recomputed, equal; a cell's
    text that is equal is written as its sha256, a differing one in full) and as a page of the book,
    with the statements each page marks as not holding for its parameters (its guards that are
    false, :func:`failed_guards`); any difference makes the command exit non-zero. The page says
    which chapters were compared (the book "reproduces" only when all were) and is marked out of
    date when a page it compared has been re-executed since (:func:`refresh_page`, on every build).
    """
    folder = Path(folder or paths.ROOT / "book" / "executed")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["chapter", "item", "published", "recomputed", "equal"])
    for row in rows:
        published, recomputed = row.published, row.recomputed
        if row.equal and row.item.endswith(_TEXT_ITEMS):   # a whole cell's text: its digest says it is equal
            published = recomputed = "sha256:" + hashlib.sha256(row.published.encode()).hexdigest()
        writer.writerow([row.chapter, row.item, published, recomputed, "yes" if row.equal else "no"])
    csv_path = files.write_text(folder / f"{REPORT_NAME}.csv", buffer.getvalue())
    files.write_text(folder / f"{REPORT_NAME}.json", json.dumps({"chapters": verified, "seconds": elapsed}, indent=1) + "\n")
    return refresh_page(book, folder), csv_path


def refresh_page(book: dict[str, str | None], folder: Path | None = None) -> Path:
    """Write the verification page from the last report (CSV and JSON) and the book as it is now.

    ``book`` maps every chapter, in book order, to the inputs key its published page records. The
    verdict "the book reproduces" needs every chapter compared and no difference; a run on some
    chapters says which it compared; a page whose inputs key differs from the one compared (it was
    re-run since, with other parameters or inputs) makes the report **out of date**, said in a
    warning at the top. Without a report, the page says verify has not been run. Rewritten only
    when its text changes (every build calls this)."""
    folder = Path(folder or paths.ROOT / "book" / "executed")
    target = folder / f"{REPORT_NAME}.md"
    try:
        state = json.loads((folder / f"{REPORT_NAME}.json").read_text(encoding="utf-8"))
        with open(folder / f"{REPORT_NAME}.csv", encoding="utf-8", newline="") as handle:
            rows = [Row(r["chapter"], r["item"], r["published"], r["recomputed"]) for r in csv.DictReader(handle)]
        verified = dict(state["chapters"])
    except (OSError, ValueError, KeyError, TypeError):
        return files.write_if_changed(target, "# Verification\n\n`ruralrev verify` has not been run on this build "
                                      "yet. It re-executes every chapter from a clean state and compares every glued "
                                      "number, table cell and figure with the published pages; its report appears "
                                      "here.\n")
    return files.write_if_changed(target, _page_text(rows, verified, book, state.get("seconds")))


def _page_text(rows: list[Row], verified: dict, book: dict, elapsed: float | None) -> str:
    import pandas as pd

    from ruralrev.present.tables import markdown_table

    unchecked = [name for name in book if name not in verified]
    changed = [name for name in verified if book.get(name) != verified[name]]
    differences = [r for r in rows if not r.equal]
    if differences:
        verdict = f"{len(differences)} item(s) differ: the book does not reproduce as published"
    elif unchecked:
        verdict = (f"every item of the {len(verified)} chapter(s) compared is equal; the other {len(unchecked)} "
                   f"({', '.join(unchecked)}) were not compared by this run")
    else:
        verdict = "every item equal: the book reproduces"
    which = "every chapter" if not unchecked else f"{len(verified)} of the {len(book)} chapters ({', '.join(verified)})"
    lines = ["# Verification", ""]
    if changed:
        lines += ["```{warning}",
                  f"**This report is out of date.** The published page of {', '.join(changed)} was re-executed "
                  "after the report was written (other parameters or inputs), so what is compared below is not "
                  "the page the book shows now. Run `ruralrev verify` again.",
                  "```", ""]
    lines += [
        f"`ruralrev verify` re-executed {which} from its source (`notebooks/*.md`) and a clean state (no",
        "cache, fresh kernels) into a scratch folder, with the parameters read back from each page's own",
        "*Reproduce this page* command, and compared the result with the published page: the text of",
        "every cell (prose, code and cell settings), every glued number, every table cell, every figure",
        "(image bytes and the data it draws) and every other output.",
        "",
        f"**Verdict: {verdict}.** {len(rows)} items compared"
        + (f" in {elapsed:.0f} s" if elapsed else "") + f"; all of them in {{download}}`{REPORT_NAME}.csv`.",
        "",
        "```{table} Items compared per chapter and differences found.",
        ":name: tbl-verify-chapters",
        "",
        markdown_table(pd.DataFrame(summary(rows)).rename(columns=str.capitalize), float_format=",.0f"),
        "```",
        "",
        "## Differences",
        "",
    ]
    if differences:
        frame = pd.DataFrame([{"chapter": r.chapter, "item": r.item,
                               "published": _literal(_excerpt(r.published, r.recomputed, 120)),
                               "recomputed": _literal(_excerpt(r.recomputed, r.published, 120))}
                              for r in differences[:500]])
        lines += ["```{table} Items whose recomputed value differs from the published one.",
                  ":name: tbl-verify-differences", "", markdown_table(frame.rename(columns=str.capitalize)), "```", ""]
    else:
        lines += ["None.", ""]
    from ruralrev.present.tables import escape_markdown

    lines += ["## Statements that do not hold with the pages' parameters", "",
              "A sentence written for a chapter's default parameters is guarded by a check of the numbers it",
              "needs; where the check fails, the page marks the sentence \"Does not hold with these parameters\".",
              ""]
    failed = failed_guards(rows)
    lines += [f"- {escape_markdown(chapter)}{line[len(chapter):]}" for chapter, line in
              zip(failed, guard_lines(failed, shown="`{}`"))] or ["None: every guarded statement holds."]
    lines.append("")
    return "\n".join(lines)


def _literal(text: str) -> str:
    """``text`` as an inline code span, so that the page shows it as it is: an excerpt of a cell's
    Markdown (its roles, directives and backticks included) must not be rendered as MyST."""
    text = " ".join(text.split())
    if not text:
        return text
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def _excerpt(value: str, other: str, width: int = 60) -> str:
    """``value`` cut to ``width`` characters around where it first differs from ``other`` (with …
    where text is left out), so that two long values that differ near their end look different."""
    if len(value) <= width:
        return value
    at = next((i for i, (a, b) in enumerate(zip(value, other)) if a != b), min(len(value), len(other)))
    start = max(0, min(at - width // 3, len(value) - width))
    return ("…" if start else "") + value[start:start + width] + ("…" if start + width < len(value) else "")


def print_report(rows: list[Row], stream=sys.stderr, limit: int = 30) -> None:
    for entry in summary(rows):
        state = "all equal" if not entry["differences"] else f"{entry['differences']} DIFFERENT"
        stream.write(f"verify: {entry['chapter']:<12} {entry['cell texts']:4d} cells, {entry['numbers']:4d} numbers, "
                     f"{entry['table cells']:5d} table cells, {entry['figures']:2d} figures, {entry['other outputs']:2d} "
                     f"other: {state}\n")
    differences = [r for r in rows if not r.equal]
    for row in differences[:limit]:
        stream.write(f"  {row.chapter}: {row.item}: published {_excerpt(row.published, row.recomputed)!r}, "
                     f"recomputed {_excerpt(row.recomputed, row.published)!r}\n")
    if len(differences) > limit:
        stream.write(f"  … and {len(differences) - limit} more (see the CSV)\n")
    for line in guard_lines(failed_guards(rows)):
        stream.write(f"verify: {line}\n")
    stream.flush()


def timed_verify(**kwargs) -> tuple[list[Row], float]:
    started = time.perf_counter()
    rows = verify_book(**kwargs)
    return rows, time.perf_counter() - started

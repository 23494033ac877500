"""The student edition: the book, its downloads and notebooks for JupyterLab, with no solution anywhere.

:func:`build_student` (``ruralrev student``) writes a copy of the book's sources with every
solution cut out (:func:`student_sources`, :func:`strip_solutions`), builds its HTML, and writes
the chapters as notebooks for JupyterLab (:func:`lab_notebooks`); its Notes say what goes where.
Sphinx never sees a solution, so none reaches the HTML, the downloads or the search index.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ruralrev.book.execute import read_notebook
from ruralrev.book.lab_markdown import lab_notebook, read_bibliography
from ruralrev.book.params import load_plan
from ruralrev.core import files, paths
from ruralrev.core.errors import RunError

__all__ = ["strip_solutions", "strip_notebook", "solution_texts", "student_sources", "lab_notebooks",
           "build_student", "STUDENT_DIR", "EDITION_ENV"]

#: Where the student edition goes, under the project root.
STUDENT_DIR = Path("_build") / "student"
#: The variable that tells the Sphinx extension to build the student edition (its title, and a
#: last removal of any solution node).
EDITION_ENV = "RURALREV_EDITION"
_FENCE = re.compile(r"^\s*(?P<fence>`{3,}|:{3,})\s*\{(?P<name>solution-start|solution-end)\}")
_COPIED = ("_config.yml", "_toc.yml")


def _solution_spans(lines: list[str]) -> list[tuple[int, int]]:
    """``(first, last)`` line indices (inclusive) of every solution: from its ``{solution-start}``
    fence to the closing fence of its ``{solution-end}`` directive."""
    spans, index = [], 0
    while index < len(lines):
        start = _FENCE.match(lines[index])
        if not start or start["name"] != "solution-start":
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not (_FENCE.match(lines[end]) and _FENCE.match(lines[end])["name"] == "solution-end"):
            end += 1
        fence = _FENCE.match(lines[end])["fence"] if end < len(lines) else ""
        close = next((k for k in range(end + 1, len(lines)) if lines[k].strip() == fence), min(end, len(lines) - 1))
        spans.append((index, close))
        index = close + 1
    return spans


def solution_texts(text: str) -> list[str]:
    """The text of every solution in a MyST document (what :func:`strip_solutions` removes)."""
    lines = text.split("\n")
    return ["\n".join(lines[first:last + 1]) for first, last in _solution_spans(lines)]


def strip_solutions(text: str) -> str:
    """A MyST document (or a notebook's markdown cell) with every solution removed, the blank lines
    around it collapsed."""
    lines = text.split("\n")
    spans = _solution_spans(lines)
    if not spans:
        return text
    kept, previous = [], 0
    for first, last in spans:
        kept += lines[previous:first]
        previous = last + 1
    kept += lines[previous:]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept))


def strip_notebook(notebook: dict) -> dict:
    """An executed notebook with the solutions removed from its markdown cells (a copy)."""
    result = json.loads(json.dumps(notebook))
    for cell in result.get("cells", []):
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
            cell["source"] = strip_solutions(source)
    return result


def _strip_csv(text: str) -> str:
    """A CSV file with the solutions cut out of every field (verify's report quotes whole cells)."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([[strip_solutions(field) for field in row] for row in rows])
    return buffer.getvalue()


def _write_notebook(notebook: dict, target: Path) -> None:
    files.write_if_changed(target, json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n")


def _copy_if_changed(source: Path, target: Path) -> None:
    if target.is_file() and target.stat().st_size == source.stat().st_size and target.read_bytes() == source.read_bytes():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def student_sources(root: Path, target: Path) -> Path:
    """Write the student copy of the book's sources into ``target`` (see :func:`build_student`)."""
    chapters = load_plan(root / "notebooks" / "params.yml", root)
    executed = {c.output.resolve() for c in chapters}
    wanted = set()
    for name in _COPIED:
        _copy_if_changed(root / name, target / name)
        wanted.add(target / name)
    for path in sorted((root / "book").rglob("*")):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        out = target / path.relative_to(root)
        wanted.add(out)
        if path.resolve() in executed:
            _write_notebook(strip_notebook(read_notebook(path)), out)
        elif path.suffix == ".csv":   # verify's report holds the text of cells that differ
            files.write_if_changed(out, _strip_csv(path.read_text(encoding="utf-8")))
        elif path.suffix in {".md", ".ipynb"}:
            text = path.read_text(encoding="utf-8")
            files.write_if_changed(out, strip_solutions(text) if path.suffix == ".md" else
                                   json.dumps(strip_notebook(json.loads(text)), indent=1, ensure_ascii=False))
        else:
            _copy_if_changed(path, out)
    for chapter in chapters:
        out = target / chapter.source.relative_to(root)
        files.write_if_changed(out, strip_solutions(chapter.source.read_text(encoding="utf-8")))
        wanted.add(out)
    for path in sorted(target.rglob("*"), reverse=True):   # a page dropped from the book goes too
        if path.is_file() and path not in wanted and not path.name.startswith("."):
            path.unlink()
    return target


def lab_notebooks(root: Path, target: Path) -> list[Path]:
    """Write each executed chapter, without solutions and with its MyST rendered, into ``target``."""
    bibliography = read_bibliography(root / "book" / "references.bib")
    written = []
    for chapter in load_plan(root / "notebooks" / "params.yml", root):
        if not chapter.output.is_file():
            raise RunError(f"no executed copy of {chapter.name}: run `ruralrev build` first")
        out = target / f"{chapter.name}.ipynb"
        _write_notebook(lab_notebook(strip_notebook(read_notebook(chapter.output)), bibliography), out)
        written.append(out)
    for stale in sorted(target.glob("*.ipynb")):
        if stale not in written:
            stale.unlink()
    return written


def build_student(root: Path | None = None, html: bool = True, stream=sys.stderr, folder: Path | None = None) -> list[str]:
    """Build the student edition (see the Notes) into ``folder`` (default ``_build/student``);
    return one line per thing made.

    Notes
    -----
    ``ruralrev student`` (``python3.11 tasks.py student``), after ``ruralrev build``:

    1. **A student copy of the book's sources** in ``_build/student/source``: the configuration, the
       hand-written pages and the executed chapters (``book/``), and the chapters' MyST sources
       (``notebooks/``, which the pages offer as downloads), every one with its solutions cut out
       (:func:`strip_solutions`: each ``{solution-start}`` … ``{solution-end}`` block). Sphinx then
       never sees a solution, so none reaches the HTML, the page downloads (``_downloads/…``), the
       page sources (``_sources/``), Sphinx's search index or the search snippets
       (``_static/ruralrev-search-text.js``).
    2. **The HTML** of that copy, built by Jupyter Book into ``_build/student/_build/html`` with
       ``RURALREV_EDITION=student`` (the title says which edition it is; the Sphinx extension would
       still drop any solution node it met), started as the book's own HTML step is
       (:mod:`ruralrev.book.sphinx.warm_start`, with no wait).
    3. **Notebooks for JupyterLab** in ``_build/student/lab``: each executed chapter, without its
       solutions, with MyST rendered as plain Markdown (:mod:`ruralrev.book.lab_markdown`) so that
       the prose shows its numbers and the exercises read as text. ``python3.11 tasks.py lab
       --student`` opens JupyterLab there.

    Files are rewritten only when their content changes, so a second ``ruralrev student`` after a
    one-chapter re-run rebuilds one page.
    """
    root = Path(root or paths.ROOT)
    folder = Path(folder or root / STUDENT_DIR)
    made = []
    notebooks = lab_notebooks(root, folder / "lab")
    made.append(f"{len(notebooks)} notebooks for JupyterLab, without solutions → {folder / 'lab'}")
    if html:
        from ruralrev.book.sphinx.warm_start import GO

        source = student_sources(root, folder / "source")
        # Jupyter Book's build as the book's own runs it (ruralrev.book.sphinx.warm_start, told to go at once):
        # the same skipped import, collector setting and exit as the book's HTML step
        command = [sys.executable, "-m", "ruralrev.book.sphinx.warm_start", "build", str(source), "--path-output",
                   str(folder), "--warningiserror", "--keep-going", "--quiet"]
        print("student: jupyter-book build of the student edition (warnings are errors) …", file=stream, flush=True)
        done = subprocess.run(command, cwd=root, env={**os.environ, EDITION_ENV: "student"}, input=GO + "\n",
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RunError("jupyter-book build of the student edition failed:\n" + (done.stdout + done.stderr)[-6000:])
        made.append(f"the HTML book without solutions → {folder / '_build' / 'html' / 'index.html'}")
    return made

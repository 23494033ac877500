"""From executed notebooks to the HTML book: stale-page banners, and Sphinx only when a page changed.

The book does not hide a page whose executed copy no longer matches its inputs: :func:`mark_stale`
puts a banner on it. A page edited by hand after its execution is never published
(:func:`edited_pages`); :func:`failed_guards` lists the statements a page marks as not holding
with its parameters. :func:`build_book` renders the HTML, with a Sphinx process started ahead
(:func:`start_sphinx`), and skips Sphinx when no page source changed since its last success.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from ruralrev.book.execute import (
    BOX_TAG,
    STALE_TAG,
    inputs_key,
    page_edited,
    read_notebook,
    tree_digest,
    write_notebook,
)
from ruralrev.book.page_items import failed_guards as guards_on_page
from ruralrev.book.params import Chapter
from ruralrev.core import files, paths
from ruralrev.core.errors import RunError

__all__ = ["STALE_TAG", "is_stale", "mark_stale", "edited_pages", "failed_guards", "guard_lines", "pages_digest",
           "start_sphinx", "build_book"]

_DIGEST = ".ruralrev-pages.sha256"
_BANNER = ("```{warning}\n**This page is stale.** Its inputs (the notebook, the data snapshot, the `ruralrev` "
           "package or the pinned versions) changed after it was executed, and it has not been re-executed "
           "successfully since: the results below are those of its last successful run. `ruralrev build` "
           "re-runs it; the reproducibility page lists every chapter's state.\n```")


def is_stale(chapter: Chapter, notebook: dict, environment: str) -> bool:
    """True when the executed copy's recorded inputs key differs from its inputs now."""
    meta = notebook.get("metadata", {}).get("ruralrev", {})
    if "inputs_sha256" not in meta:
        return True
    return inputs_key(chapter, meta.get("parameters", chapter.parameters), environment) != meta["inputs_sha256"]


def mark_stale(chapters: list[Chapter], environment: str) -> list[str]:
    """Add the stale banner to stale pages, remove it from current ones; return the stale chapters.

    A page is *stale* when its executed copy no longer matches its inputs: the notebook source, the
    data snapshot, the package or the pinned versions changed since it ran (its own recorded
    parameters are kept: a page run with ``-p`` is not stale for that). This happens when a
    chapter's re-run failed, or was interrupted, or the HTML is rendered with ``build --no-run``
    after a change. The book does not hide it: the banner is at the top of every stale page, and
    the reproducibility page lists each chapter as current or stale. The build still publishes the
    book, so the other pages are up to date, and ``ruralrev build`` exits 1 when a chapter failed."""
    stale = []
    for chapter in chapters:
        if not chapter.output.is_file():
            continue
        notebook = read_notebook(chapter.output)
        cells = notebook["cells"]
        has_banner = any(STALE_TAG in c.get("metadata", {}).get("tags", []) for c in cells)
        if is_stale(chapter, notebook, environment):
            stale.append(chapter.name)
            if not has_banner:
                at = next((i for i, c in enumerate(cells) if BOX_TAG in c.get("metadata", {}).get("tags", [])), 1)
                cells.insert(at, {"cell_type": "markdown", "id": "ruralrev-stale", "metadata": {"tags": [STALE_TAG]},
                                  "source": _BANNER})
                write_notebook(notebook, chapter.output)
        elif has_banner:
            cells[:] = [c for c in cells if STALE_TAG not in c.get("metadata", {}).get("tags", [])]
            write_notebook(notebook, chapter.output)
    return stale


def edited_pages(chapters: list[Chapter]) -> list[Chapter]:
    """The chapters whose executed copy was edited after its execution (its content hash differs).

    Such a page (:func:`ruralrev.book.execute.page_edited`) is never published: the runner
    re-executes it, and any left here (a chapter not selected, or ``build --no-run``) the build
    refuses to render."""
    return [c for c in chapters if page_edited(c.output)]


def failed_guards(chapters: list[Chapter]) -> dict[str, list[str]]:
    """Per chapter (book order), the guards its executed page recorded as not holding; chapters whose
    guards all hold are left out. These (:mod:`ruralrev.present.guards`) are the sentences the page
    marks "does not hold with these parameters"; ``ruralrev build`` prints them after building."""
    found = {}
    for chapter in chapters:
        if chapter.output.is_file():
            names = guards_on_page(read_notebook(chapter.output))
            if names:
                found[chapter.name] = names
    return found


def guard_lines(failed: dict[str, list[str]], shown: str = "{}") -> list[str]:
    """``paper_001: 2 statements do not hold with these parameters: a, b``, one line per chapter;
    ``shown`` formats each guard's name (e.g. ``"`{}`"`` for Markdown)."""
    return [f"{name}: {len(names)} statement{'s' if len(names) != 1 else ''} "
            f"{'do' if len(names) != 1 else 'does'} not hold with these parameters: "
            + ", ".join(shown.format(guard) for guard in names) for name, names in failed.items()]


def pages_digest(root: Path) -> str:
    """sha256 over every page source: ``book/`` (executed copies included), ``_toc.yml``,
    ``_config.yml``, the package source (the Sphinx extension ``ruralrev.book.sphinx.extension`` and what it reads;
    a package change re-runs every chapter anyway) and the edition (``RURALREV_EDITION``)."""
    digest = hashlib.sha256(tree_digest(root / "book").encode())
    for name in ("_toc.yml", "_config.yml"):
        path = root / name
        digest.update(path.read_bytes() if path.exists() else b"")
    digest.update(tree_digest(Path(__file__).resolve().parents[1], "*.py").encode())   # the whole package
    digest.update(os.environ.get("RURALREV_EDITION", "").encode())
    return digest.hexdigest()


def start_sphinx(root: Path | None = None, builder: str = "html") -> subprocess.Popen:
    """Start ``jupyter-book build`` now (:mod:`ruralrev.book.sphinx.warm_start`): it loads Sphinx, warms up
    and waits until :func:`build_book` says go."""
    root = root or paths.ROOT
    command = [sys.executable, "-m", "ruralrev.book.sphinx.warm_start", "build", str(root), "--builder", builder,
               "--warningiserror", "--keep-going", "--quiet"]
    return subprocess.Popen(command, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def build_book(root: Path | None = None, stream=sys.stderr, builder: str = "html", force: bool = False,
               started_sphinx: subprocess.Popen | None = None) -> Path:
    """Render the executed notebooks into static HTML with warnings as errors; return the HTML dir.

    Sphinx is skipped when no page source changed since the last successful HTML build (unless
    ``force``): the digest of every page source (:func:`pages_digest`: ``book/``, ``_toc.yml``,
    ``_config.yml``, the ``ruralrev`` package that holds the book's Sphinx extension
    ``ruralrev.book.sphinx.extension``, and the edition chosen by ``RURALREV_EDITION``) is recorded
    after a successful Sphinx build. ``started_sphinx`` is a :func:`start_sphinx` process to use
    (stopped if Sphinx is skipped). ``builder="linkcheck"`` checks the external links instead
    (needs the network)."""
    from ruralrev.book.runner import kill_tree
    from ruralrev.book.sphinx.warm_start import GO

    root = root or paths.ROOT
    html = root / "_build" / builder
    stamp = root / "_build" / _DIGEST
    if builder == "html":   # the instructors page shows (and depends on) these times
        from ruralrev.book.params import load_plan
        from ruralrev.book.sphinx.extension import write_run_times

        write_run_times([c for c in load_plan(root / "notebooks" / "params.yml", root) if c.output.is_file()])
    digest = pages_digest(root) if builder == "html" else ""
    if builder == "html" and not force and (html / "index.html").is_file() and stamp.is_file() \
            and stamp.read_text(encoding="utf-8").strip() == digest:
        if started_sphinx is not None:
            kill_tree(started_sphinx)
        print(f"book: no page changed since the last build; HTML kept → {html / 'index.html'}", file=stream, flush=True)
        return html
    print("book: jupyter-book build (warnings are errors) …", file=stream, flush=True)
    started = time.perf_counter()
    process = started_sphinx or start_sphinx(root, builder)
    try:
        output, _ = process.communicate(GO + "\n")
    except BaseException:  # Ctrl-C or SIGTERM: stop Sphinx before returning, so nothing is written after
        kill_tree(process)
        stamp.unlink(missing_ok=True)
        raise
    if process.returncode != 0:
        stamp.unlink(missing_ok=True)
        raise RunError("jupyter-book build failed:\n" + output[-6000:])
    if builder == "html":
        files.write_text(stamp, digest + "\n")
    print(f"book: built in {time.perf_counter() - started:.1f} s → {html / 'index.html'}", file=stream, flush=True)
    return html

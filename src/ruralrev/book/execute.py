"""Execute one chapter: papermill from the MyST source, the page's parameters box, the cache key.

:func:`run_chapter` executes a notebook into a scratch folder (:func:`execute`, which also adds
the page's parameters box) and then replaces the previous executed copy in one rename, so a
failing chapter never destroys the last good page. The finished notebook records the sha256 of
its own content (:func:`content_digest`), and :func:`cached_key` accepts a page only while it
matches. Many chapters at once, with worker processes, progress and interruption:
:mod:`ruralrev.book.runner`. The parameters file and its schema: :mod:`ruralrev.book.params`.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from ruralrev.book import warm_kernels
from ruralrev.book.params import (
    Chapter,
    command_line,
    format_value,
    validate_parameters,
)
from ruralrev.core import files, paths
from ruralrev.core.errors import RunError

__all__ = ["RunError", "run_chapter", "execute", "environment_digest", "tree_digest", "inputs_key", "cached_key",
           "read_notebook", "write_notebook", "content_digest", "page_state", "page_edited", "non_default", "BOX_TAG", "STALE_TAG",
           "NON_DEFAULT_CLASS", "KERNEL_ENV", "SCRATCH_PREFIX"]

_HIDDEN = "remove-cell"
#: Kernels run single-threaded (reproducible floating-point sums in BLAS/OpenMP code, no
#: oversubscription when chapters run in parallel) and record their figures' data (ruralrev.book.figure_data).
KERNEL_ENV = {**{name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                        "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")},
              "RURALREV_FIGURE_DATA": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
BOX_TAG = "ruralrev-parameters"
#: The tag of the stale banner :func:`ruralrev.book.publish.mark_stale` adds and removes.
STALE_TAG = "ruralrev-stale"
#: The class of the note under the title of a page run with non-default parameters.
NON_DEFAULT_CLASS = "ruralrev-non-default"
#: Prefix of the runner's scratch folders in the temporary directory (:func:`ruralrev.core.files.scratch_folder`).
SCRATCH_PREFIX = "ruralrev-run-"


def read_notebook(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_notebook(data: dict, target: Path) -> Path:
    """Write a notebook atomically (temporary file, then rename), readable by everyone."""
    return files.write_text(target, json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n")


def _to_ipynb(source: Path) -> dict:
    import jupytext

    if source.suffix == ".ipynb":
        return read_notebook(source)
    notebook = jupytext.read(source)
    return json.loads(jupytext.writes(notebook, fmt="ipynb"))


def _parameters_box(chapter: Chapter, parameters: dict[str, Any], source: str = "") -> dict:
    lines = [f"- `{key}` = `{format_value(value, chapter.spec(key))}`" for key, value in parameters.items()] or ["- (none)"]
    name = chapter.name
    text = [
        "````{admonition} Run this page yourself",
        ":class: tip dropdown ruralrev-run-box",
        "",
        "This page was executed with these parameters:",
        "",
        *lines,
        "",
        "**Reproduce this page** from a clone of the project, in its environment "
        "(`python3.11 tasks.py env`, then `source .venv/bin/activate`): this command re-executes it with "
        "exactly these parameters and re-renders the book.",
        "",
        "```bash",
        command_line(chapter, parameters),
        "```",
        "",
        f"The {{download}}`executed notebook <{name}.ipynb>` re-runs with these parameters from any folder "
        f"in that environment: `jupyter nbconvert --to notebook --execute {name}.ipynb`.",
    ]
    if source:
        text.append(f"The {{download}}`source notebook <../../{source}>` is MyST text: it opens as a notebook in "
                    "JupyterLab with jupytext (`python3.11 tasks.py lab`). Both need the `ruralrev` package "
                    "and its data, so neither runs in a bare Jupyter installation.")
    text.append("````")
    return {"cell_type": "markdown", "id": "ruralrev-parameters", "metadata": {"tags": [BOX_TAG]},
            "source": "\n".join(text)}


def non_default(chapter: Chapter, parameters: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The parameters whose value differs from the chapter's default: ``{name: (value, default)}``,
    in the order of ``parameters``."""
    return {name: (value, chapter.parameters[name]) for name, value in parameters.items()
            if name in chapter.parameters and value != chapter.parameters[name]}


def _non_default_note(chapter: Chapter, changed: dict[str, tuple[Any, Any]]) -> str:
    shown = "; ".join(f"`{name}` = `{format_value(value, chapter.spec(name))}` (default "
                      f"`{format_value(default, chapter.spec(name))}`)" for name, (value, default) in changed.items())
    return "\n".join([
        "```{admonition} Run with other parameters",
        f":class: warning {NON_DEFAULT_CLASS}",
        "",
        f"This page was executed with parameters that differ from the book's defaults: {shown}. Its numbers, "
        "and which of its statements hold, are those of this run; a statement that does not hold with these "
        f"parameters is marked. `ruralrev build {chapter.name}` runs it with the defaults again.",
        "```"])


def _add_non_default_note(cells: list[dict], note: str) -> None:
    """Put ``note`` under the page title (the first level-1 heading of the first markdown cell
    that has one), or in a cell of its own at the top when the notebook has no title."""
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        lines = ("".join(source) if isinstance(source, list) else source).split("\n")
        at = next((i for i, line in enumerate(lines) if line.startswith("# ")), None)
        if at is not None:
            rest = lines[at + 1:]
            cell["source"] = "\n".join([*lines[:at + 1], "", note, *([""] if rest and rest[0].strip() else []), *rest])
            return
    cells.insert(0, {"cell_type": "markdown", "id": NON_DEFAULT_CLASS, "metadata": {}, "source": note})


def _finish(notebook: dict, parameters: dict[str, Any], chapter: Chapter, source: str = "") -> dict:
    """Hide the parameter cells, add the parameters box after them (and, for a run with other
    parameters than the defaults, a note under the title), drop run-specific metadata."""
    cells = notebook["cells"]
    insert_at = 0
    for index, cell in enumerate(cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            if _HIDDEN not in tags:
                cell["metadata"]["tags"] = [*tags, _HIDDEN]
            insert_at = index + 1
    cells[:] = [c for c in cells if BOX_TAG not in c.get("metadata", {}).get("tags", [])]
    cells.insert(insert_at, _parameters_box(chapter, parameters, source))
    # papermill records times and scratch paths: keep them out of the page so reruns compare equal.
    record = notebook.get("metadata", {}).get("papermill", {})
    for key in ("start_time", "end_time", "duration"):
        record.pop(key, None)
    if "input_path" in record:
        record["input_path"] = record["output_path"] = source or chapter.source.name
    for cell in cells:
        cell.get("metadata", {}).pop("papermill", None)
        cell.get("metadata", {}).pop("execution", None)
    changed = non_default(chapter, parameters)
    if changed:
        _add_non_default_note(cells, _non_default_note(chapter, changed))
    return notebook


def content_digest(notebook: dict) -> str:
    """sha256 of a notebook's content as published: every cell (source, metadata, outputs) and the
    notebook's metadata, leaving out the recorded digest itself and the stale banner (a cell tagged
    :data:`STALE_TAG`, which the build adds and removes)."""
    metadata = dict(notebook.get("metadata", {}))
    record = dict(metadata.get("ruralrev", {}))
    record.pop("content_sha256", None)
    metadata["ruralrev"] = record
    cells = [c for c in notebook.get("cells", []) if STALE_TAG not in c.get("metadata", {}).get("tags", [])]
    content = {**{k: v for k, v in notebook.items() if k not in {"cells", "metadata"}}, "cells": cells,
               "metadata": metadata}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _intact(notebook: dict) -> bool:
    recorded = notebook.get("metadata", {}).get("ruralrev", {}).get("content_sha256")
    return recorded is not None and recorded == content_digest(notebook)


def page_state(output: Path) -> str:
    """``"missing"``, ``"intact"`` (its content matches the hash recorded at its execution),
    ``"edited"`` (it does not, or the file is no longer a notebook) or ``"unrecorded"`` (no hash:
    executed by an earlier version of the runner)."""
    try:
        notebook = read_notebook(output)
    except FileNotFoundError:
        return "missing"
    except (OSError, ValueError):
        return "edited"
    if not isinstance(notebook, dict) or "content_sha256" not in notebook.get("metadata", {}).get("ruralrev", {}):
        return "unrecorded" if isinstance(notebook, dict) else "edited"
    return "intact" if _intact(notebook) else "edited"


def page_edited(output: Path) -> bool:
    """True when the executed copy at ``output`` exists but is not as it was executed: its content no
    longer matches the hash recorded then (edited by hand since), or it records none."""
    return page_state(output) in {"edited", "unrecorded"}


def _describe_failure(exc: Exception, notebook: dict, chapter: Chapter) -> str:
    """One line: which notebook, which cell (number among the source's code cells and its first
    line), which error. Papermill prepends an error banner to the notebook, so the failing cell is
    found by its error output rather than by papermill's index."""
    failing, number = None, 0
    for cell in notebook["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") != "code" or "injected-parameters" in tags:
            continue
        number += 1
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            failing = cell
            break
    error = f"{getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', exc)}"
    if failing is None:
        where = "before any cell ran"
    else:
        source = failing.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        lines = [line for line in source.strip().splitlines() if line.strip()]
        where = f"code cell {number}" + (f" ({lines[0][:70]!r})" if lines else "")
    try:
        shown = chapter.source.relative_to(paths.ROOT)
    except ValueError:
        shown = chapter.source
    return f"notebook {shown} failed in {where}: {error}"


def tree_digest(root: Path, pattern: str = "*") -> str:
    """sha256 over the files below ``root`` matching ``pattern`` (relative path and content), in
    sorted order; hidden files and folders (temporaries, a staging folder) and ``__pycache__`` are
    left out."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(root).rglob(pattern) if p.is_file() and "__pycache__" not in p.parts
                       and not any(part.startswith(".") for part in p.relative_to(root).parts)):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def environment_digest() -> str:
    """Digest of everything a chapter reads besides its own source and parameters: the data
    snapshot (every file under ``data/``), the ``ruralrev`` package source and the pinned
    versions (``constraints.txt``). A change to any of them re-runs every chapter."""
    digest = hashlib.sha256()
    digest.update(tree_digest(paths.DATA, "*").encode())
    digest.update(tree_digest(Path(__file__).resolve().parents[1], "*.py").encode())   # the whole package
    constraints = paths.ROOT / "constraints.txt"
    if constraints.exists():
        digest.update(constraints.read_bytes())
    return digest.hexdigest()


def inputs_key(chapter: Chapter, parameters: dict[str, Any], environment: str) -> str:
    """Cache key of one execution: notebook source, parameters and :func:`environment_digest`."""
    digest = hashlib.sha256()
    digest.update(chapter.source.read_bytes())
    digest.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    digest.update(environment.encode())
    return digest.hexdigest()


def cached_key(output: Path) -> str | None:
    """The inputs key recorded in an executed notebook, or None: missing, unreadable, or edited
    since its execution (its content no longer matches the hash it records; :func:`content_digest`):
    a page edited by hand after its execution is never counted as unchanged, so ``ruralrev build``
    re-executes it (and renders nothing from a page it could not re-execute)."""
    try:
        notebook = read_notebook(output)
        key = notebook["metadata"]["ruralrev"]["inputs_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return key if _intact(notebook) else None


def execute(chapter: Chapter, parameters: dict[str, Any], key: str, target: Path,
            failed_copy: Path | None = None) -> float:
    """Execute ``chapter`` with ``parameters`` and write the finished notebook to ``target``.

    Returns the seconds the execution took. If a cell raises, :class:`RunError` names the
    notebook, the cell and the error; the executed copy with the traceback goes to
    ``failed_copy`` when given, and ``target`` is not written.

    The notebook is executed from its MyST text source. After execution papermill's
    injected-parameters cell and the notebook's own ``parameters`` cell are hidden and a box shows
    the parameters the page was run with, the command that reproduces it and what its downloads
    need. A page run with parameters other than the chapter's defaults says so under its title
    (which parameters, their values and defaults; :func:`non_default`), and records them in its
    metadata for the landing page.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    if not chapter.source.exists():
        raise RunError(f"{chapter.name}: source notebook {chapter.source} does not exist")
    started = time.perf_counter()
    source_nb = _to_ipynb(chapter.source)
    os.environ.update(KERNEL_ENV)        # inherited by the kernel papermill starts
    os.environ.pop("MPLBACKEND", None)  # the kernel must use the inline backend so figures reach the page
    # a kernel forked from the run's warm server when the runner started one (ruralrev.book.warm_kernels)
    engine = {"kernel_manager_class": warm_kernels.kernel_manager_class()} if warm_kernels.address() else {}
    with files.scratch_folder(SCRATCH_PREFIX) as scratch:
        scratch_in = Path(scratch) / f"{chapter.name}.in.ipynb"
        scratch_out = Path(scratch) / f"{chapter.name}.ipynb"
        scratch_in.write_text(json.dumps(source_nb), encoding="utf-8")
        try:
            for attempt in (1, 2):
                try:
                    # request_save_on_cell_execute=False: papermill would otherwise serialise, copy and
                    # validate the whole notebook after every cell (2-4 s of the worker's CPU per chapter);
                    # it still writes the notebook once at the end, or when a cell fails
                    papermill.execute_notebook(str(scratch_in), str(scratch_out), parameters=parameters,
                                               kernel_name="python3", cwd=str(chapter.source.parent),
                                               progress_bar=False, log_output=False, report_mode=False,
                                               request_save_on_cell_execute=False, **engine)
                    break
                except RuntimeError as exc:
                    # A kernel that died while starting (e.g. a port taken between jupyter_client
                    # choosing it and the kernel binding it, on a busy machine) ran no code: retry once.
                    if attempt == 2 or "died before replying to kernel_info" not in str(exc):
                        raise
        except PapermillExecutionError as exc:
            executed = read_notebook(scratch_out)
            if failed_copy is not None:
                write_notebook(executed, failed_copy)
            raise RunError(_describe_failure(exc, executed, chapter)) from None
        executed = read_notebook(scratch_out)
    try:
        source = chapter.source.relative_to(paths.ROOT).as_posix()
    except ValueError:
        source = ""
    finished = _finish(executed, parameters, chapter, source)
    seconds = time.perf_counter() - started
    record = {"inputs_sha256": key, "parameters": parameters, "seconds": round(seconds, 1)}
    changed = non_default(chapter, parameters)
    if changed:
        record["non_default"] = {name: {"value": value, "default": default} for name, (value, default) in changed.items()}
    finished.setdefault("metadata", {})["ruralrev"] = record
    record["content_sha256"] = content_digest(finished)
    write_notebook(finished, target)
    return seconds


def run_chapter(chapter: Chapter, overrides: dict[str, Any] | None = None, force: bool = False,
                environment: str | None = None) -> tuple[float, bool]:
    """Execute one chapter in this process and atomically replace its executed copy.

    Skipped (a cache hit) when the executed copy records the same inputs key — same notebook
    source, parameters, data snapshot, package source and pinned versions — unless ``force``.
    Returns ``(seconds, executed)``. :mod:`ruralrev.book.runner` runs many chapters in workers.

    Raises
    ------
    RunError
        If the notebook raises; the previous executed copy is left as it was.
    """
    parameters = {**chapter.parameters, **(overrides or {})}
    validate_parameters(chapter, parameters)
    key = inputs_key(chapter, parameters, environment or environment_digest())
    started = time.perf_counter()
    if not force and cached_key(chapter.output) == key:
        return time.perf_counter() - started, False
    return execute(chapter, parameters, key, chapter.output), True

"""The runner: execute the book's notebooks with papermill, one parameters file for all.

``notebooks/params.yml`` lists every chapter notebook with its source, where its executed copy
goes (the path the table of contents names) and its default parameters. Parameters merge as
``global < notebook defaults < command line``. Each notebook is executed from its MyST text
source into a temporary file and renamed over the previous output only when the run succeeds,
so a failing chapter never destroys the last good page.

After execution the runner hides papermill's injected-parameters cell and the notebook's own
``parameters`` cell, and inserts a small box that shows the parameters the page was run with.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import files, paths

__all__ = [
    "Chapter",
    "RunError",
    "load_plan",
    "parse_overrides",
    "run_chapter",
    "run_chapters",
    "validate_parameters",
    "environment_digest",
    "tree_digest",
    "inputs_key",
    "cached_key",
    "build_book",
]

_HIDDEN = "remove-cell"
#: Kernels run single-threaded: reproducible floating-point sums in BLAS/OpenMP code, and no
#: oversubscription when chapters run in parallel.
_KERNEL_THREADS = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                           "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}
_BOX_TAG = "ruralrev-parameters"


class RunError(RuntimeError):
    """A chapter could not run: the message names the notebook, the cell and the error."""


@dataclass(frozen=True)
class Chapter:
    """One executable notebook of the book."""

    name: str
    source: Path
    output: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    schema: dict[str, dict] = field(default_factory=dict)


def load_plan(params_file: Path | None = None, root: Path | None = None) -> list[Chapter]:
    """Read the parameters file into chapters (in book order), defaults merged with ``global``."""
    params_file = params_file or paths.PARAMS_FILE
    root = root or paths.ROOT
    try:
        spec = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RunError(f"{params_file}: not valid YAML: {exc}") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("notebooks"), dict):
        raise RunError(f"{params_file}: expected a mapping with a 'notebooks' mapping")
    common = spec.get("global") or {}
    chapters = []
    for name, entry in spec["notebooks"].items():
        for key in ("source", "output"):
            if key not in entry:
                raise RunError(f"{params_file}: notebook {name!r} has no {key!r}")
        merged = {**common, **(entry.get("parameters") or {})}
        schema = entry.get("schema") or {}
        unknown = set(schema) - set(merged)
        if unknown:
            raise RunError(f"{params_file}: notebook {name!r} declares a schema for unknown parameter(s) {sorted(unknown)}")
        chapter = Chapter(name, root / entry["source"], root / entry["output"], merged, schema)
        validate_parameters(chapter, merged)
        chapters.append(chapter)
    return chapters


def validate_parameters(chapter: Chapter, values: dict[str, Any]) -> None:
    """Check values against the chapter's declared schema before anything runs.

    A schema entry may give ``min`` and ``max`` (numbers), ``choices`` (allowed values) and
    ``item_choices`` (allowed items of a list). ``None`` passes when the default is ``None``.
    Raises :class:`RunError` with one message naming the notebook, the parameter and the value.
    """
    for name, rules in chapter.schema.items():
        value = values.get(name)
        if value is None and chapter.parameters.get(name) is None:
            continue
        where = f"{chapter.name}: parameter {name}={value!r}"
        if "choices" in rules and value not in rules["choices"]:
            raise RunError(f"{where} is not one of {rules['choices']}")
        if "min" in rules and value < rules["min"]:
            raise RunError(f"{where} is below the minimum {rules['min']}")
        if "max" in rules and value > rules["max"]:
            raise RunError(f"{where} is above the maximum {rules['max']}")
        if "item_choices" in rules:
            bad = [item for item in value if item not in rules["item_choices"]]
            if bad:
                raise RunError(f"{where}: {bad} not among {rules['item_choices']}")


def parse_overrides(pairs: list[str], chapter: Chapter) -> dict[str, Any]:
    """Turn ``["year=2020", "k=auto"]`` into typed values checked against the chapter's defaults.

    A value is read as YAML (``2020`` is an int, ``[a, b]`` a list). An unknown name, or a value
    whose type differs from the default's (an int where a float is expected is accepted), is a
    :class:`RunError` naming the notebook, the parameter and the value.
    """
    overrides: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise RunError(f"parameter {pair!r}: write it as name=value")
        if name not in chapter.parameters:
            known = ", ".join(sorted(chapter.parameters)) or "none"
            raise RunError(f"{chapter.name}: unknown parameter {name!r} (known: {known})")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            value = text
        default = chapter.parameters[name]
        if not _same_kind(default, value):
            raise RunError(
                f"{chapter.name}: parameter {name}={text!r} is {type(value).__name__}, "
                f"expected {type(default).__name__} like the default {default!r}"
            )
        overrides[name] = float(value) if isinstance(default, float) else value
    return overrides


def _same_kind(default: Any, value: Any) -> bool:
    if default is None or value is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def _to_ipynb(source: Path) -> dict:
    import jupytext

    if source.suffix == ".ipynb":
        return json.loads(source.read_text(encoding="utf-8"))
    notebook = jupytext.read(source)
    return json.loads(jupytext.writes(notebook, fmt="ipynb"))


def _parameters_box(parameters: dict[str, Any], name: str, source: str = "") -> dict:
    lines = [f"- `{key}` = `{value!r}`" for key, value in parameters.items()] or ["- (none)"]
    overrides = " ".join(f"-p {key}={value!r}".replace("'", "") for key, value in parameters.items()
                         if not isinstance(value, (list, dict)))
    downloads = ""
    if source:
        downloads = (f"\n\nDownload the {{download}}`source notebook <../../{source}>` (MyST text; open it "
                     f"with Jupyter and jupytext) or the {{download}}`executed notebook <{name}.ipynb>`; both run "
                     "in the project's environment from any folder.")
    text = (
        "```{admonition} Parameters of this page\n:class: tip\n\n"
        + "\n".join(lines)
        + f"\n\n**Reproduce this page:** `ruralrev run {name} {overrides}` then `ruralrev build --no-run` "
        + f"(or `python3.11 tasks.py book` for the whole book).{downloads}\n```"
    )
    return {"cell_type": "markdown", "id": "ruralrev-parameters", "metadata": {"tags": [_BOX_TAG]},
            "source": text}


def _finish(notebook: dict, parameters: dict[str, Any], name: str, source: str = "") -> dict:
    """Hide the parameter cells, add the parameters box after them, drop run-specific metadata."""
    cells = notebook["cells"]
    insert_at = 0
    for index, cell in enumerate(cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            if _HIDDEN not in tags:
                cell["metadata"]["tags"] = [*tags, _HIDDEN]
            insert_at = index + 1
    cells[:] = [c for c in cells if _BOX_TAG not in c.get("metadata", {}).get("tags", [])]
    cells.insert(insert_at, _parameters_box(parameters, name, source))
    # papermill records timestamps and durations: keep them out of the page so reruns diff cleanly.
    notebook.get("metadata", {}).get("papermill", {}).pop("start_time", None)
    notebook.get("metadata", {}).get("papermill", {}).pop("end_time", None)
    notebook.get("metadata", {}).get("papermill", {}).pop("duration", None)
    for cell in cells:
        cell.get("metadata", {}).pop("papermill", None)
        cell.get("metadata", {}).pop("execution", None)
    return notebook


def _atomic_write_json(data: dict, target: Path) -> None:
    files.write_text(target, json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n")


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
    sorted order; hidden files (temporaries) and ``__pycache__`` are left out."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob(pattern) if p.is_file() and not p.name.startswith(".")
                       and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def environment_digest() -> str:
    """Digest of everything a chapter reads besides its own source and parameters: the data
    snapshot (every file under ``data/``), the ``ruralrev`` package source and the pinned
    versions (``constraints.txt``). A change to any of them re-runs every chapter."""
    digest = hashlib.sha256()
    digest.update(tree_digest(paths.DATA, "*").encode())
    digest.update(tree_digest(Path(__file__).resolve().parent, "*.py").encode())
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
    """The inputs key recorded in an executed notebook, or None (missing or unreadable)."""
    try:
        return json.loads(output.read_text(encoding="utf-8"))["metadata"]["ruralrev"]["inputs_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def run_chapter(chapter: Chapter, overrides: dict[str, Any] | None = None, force: bool = False,
                environment: str | None = None) -> tuple[float, bool]:
    """Execute one chapter and atomically replace its executed copy.

    Skipped (a cache hit) when the executed copy records the same inputs key — same notebook
    source, parameters, data snapshot, package source and pinned versions — unless ``force``.
    Returns ``(seconds, executed)``.

    Raises
    ------
    RunError
        If the notebook raises; the previous executed copy is left as it was.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    if not chapter.source.exists():
        raise RunError(f"{chapter.name}: source notebook {chapter.source} does not exist")
    parameters = {**chapter.parameters, **(overrides or {})}
    validate_parameters(chapter, parameters)
    key = inputs_key(chapter, parameters, environment or environment_digest())
    started = time.perf_counter()
    if not force and cached_key(chapter.output) == key:
        return time.perf_counter() - started, False
    source_nb = _to_ipynb(chapter.source)
    os.environ.update(_KERNEL_THREADS)  # inherited by the kernel papermill starts
    os.environ.pop("MPLBACKEND", None)  # the kernel must use the inline backend so figures reach the page
    with tempfile.TemporaryDirectory(prefix="ruralrev-run-") as scratch:
        scratch_in = Path(scratch) / f"{chapter.name}.in.ipynb"
        scratch_out = Path(scratch) / f"{chapter.name}.ipynb"
        scratch_in.write_text(json.dumps(source_nb), encoding="utf-8")
        try:
            papermill.execute_notebook(
                str(scratch_in),
                str(scratch_out),
                parameters=parameters,
                kernel_name="python3",
                cwd=str(chapter.source.parent),
                progress_bar=False,
                log_output=False,
                report_mode=False,
            )
        except PapermillExecutionError as exc:
            executed = json.loads(scratch_out.read_text(encoding="utf-8"))
            raise RunError(_describe_failure(exc, executed, chapter)) from None
        executed = json.loads(scratch_out.read_text(encoding="utf-8"))
    try:
        source = chapter.source.relative_to(paths.ROOT).as_posix()
    except ValueError:
        source = ""
    finished = _finish(executed, parameters, chapter.name, source)
    finished.setdefault("metadata", {})["ruralrev"] = {
        "inputs_sha256": key, "parameters": parameters, "seconds": round(time.perf_counter() - started, 1)}
    _atomic_write_json(finished, chapter.output)
    return time.perf_counter() - started, True


def _select(chapters: list[Chapter], names: list[str], root: Path) -> list[Chapter]:
    if not names:
        return chapters
    by_key = {}
    for chapter in chapters:
        by_key[chapter.name] = chapter
        relative = chapter.source.relative_to(root)
        by_key[str(relative)] = chapter
        by_key[str(relative.with_suffix(""))] = chapter
    chosen = []
    for name in names:
        key = name.rstrip("/")
        if key not in by_key:
            known = ", ".join(c.name for c in chapters)
            raise RunError(f"no chapter {name!r} in {paths.PARAMS_FILE.name} (chapters: {known})")
        chosen.append(by_key[key])
    return chosen


def _clean_stale_temporaries(chapters: list[Chapter]) -> None:
    """Remove temporary files a killed run left beside the outputs (never a finished output)."""
    for folder in {c.output.parent for c in chapters}:
        if folder.is_dir():
            for stale in folder.glob(".*.tmp"):
                stale.unlink(missing_ok=True)


def run_chapters(names: list[str] | None = None, overrides: list[str] | None = None,
                 params_file: Path | None = None, stream=sys.stderr, jobs: int = 1,
                 force: bool = False, root: Path | None = None) -> list[tuple[str, float, bool]]:
    """Run the named chapters (all by default), up to ``jobs`` at a time, printing progress.

    Overrides (``name=value``) apply to every selected chapter, so they are only allowed when
    each selected chapter declares those parameters; all are checked against each chapter's
    schema before anything runs. Unchanged chapters are skipped (see :func:`run_chapter`). On
    a failure the remaining chapters are not started and the error names the notebook and cell.
    Returns ``(name, seconds, executed)`` in book order. Paths in the parameters file are
    relative to ``root`` (default: the project root).
    """
    from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
    import multiprocessing

    chosen = _select(load_plan(params_file, root), names or [], root or paths.ROOT)
    checked = {}
    for chapter in chosen:
        checked[chapter.name] = parse_overrides(overrides or [], chapter)
        validate_parameters(chapter, {**chapter.parameters, **checked[chapter.name]})
    _clean_stale_temporaries(chosen)
    environment = environment_digest()
    results: dict[str, tuple[float, bool]] = {}
    total = len(chosen)

    def report(chapter: Chapter, seconds: float, executed: bool) -> None:
        results[chapter.name] = (seconds, executed)
        state = f"done in {seconds:.1f} s" if executed else "unchanged, skipped"
        print(f"[{len(results)}/{total}] {chapter.name}: {state}", file=stream, flush=True)

    if jobs <= 1 or len(chosen) <= 1:
        for chapter in chosen:
            try:
                report(chapter, *run_chapter(chapter, checked[chapter.name], force, environment))
            except RunError:
                print(f"[{len(results) + 1}/{total}] {chapter.name}: FAILED", file=stream, flush=True)
                raise
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {pool.submit(run_chapter, c, checked[c.name], force, environment): c for c in chosen}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in done:
                    chapter = futures[future]
                    error = future.exception()
                    if error is not None:
                        for other in pending:
                            other.cancel()
                        print(f"{chapter.name}: FAILED", file=stream, flush=True)
                        raise error if isinstance(error, RunError) else RunError(f"{chapter.name}: {error}")
                    report(chapter, *future.result())
    return [(c.name, *results[c.name]) for c in chosen]


def build_book(root: Path | None = None, stream=sys.stderr, builder: str = "html") -> Path:
    """Render the executed notebooks into static HTML with warnings as errors; return the HTML dir.

    ``builder="linkcheck"`` checks the external links instead (needs the network)."""
    import subprocess

    root = root or paths.ROOT
    command = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(root), "--builder", builder,
               "--warningiserror", "--keep-going", "--quiet"]
    print("book: jupyter-book build (warnings are errors) …", file=stream, flush=True)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        raise RunError("jupyter-book build failed:\n" + (result.stdout + result.stderr)[-6000:])
    html = root / "_build" / builder
    print(f"book: built in {time.perf_counter() - started:.1f} s → {html / 'index.html'}",
          file=stream, flush=True)
    return html

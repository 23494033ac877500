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

import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import paths

__all__ = [
    "Chapter",
    "RunError",
    "load_plan",
    "parse_overrides",
    "run_chapter",
    "run_chapters",
    "build_book",
]

_HIDDEN = "remove-cell"
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
        chapters.append(Chapter(name, root / entry["source"], root / entry["output"], merged))
    return chapters


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


def _parameters_box(parameters: dict[str, Any], name: str) -> dict:
    lines = [f"- `{key}` = `{value!r}`" for key, value in parameters.items()] or ["- (none)"]
    text = (
        "```{admonition} Parameters of this page\n:class: tip\n\n"
        + "\n".join(lines)
        + f"\n\nRe-run with other values: `ruralrev run {name} -p name=value`.\n```"
    )
    return {"cell_type": "markdown", "id": "ruralrev-parameters", "metadata": {"tags": [_BOX_TAG]},
            "source": text}


def _finish(notebook: dict, parameters: dict[str, Any], name: str) -> dict:
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
    cells.insert(insert_at, _parameters_box(parameters, name))
    # papermill records timestamps and durations: keep them out of the page so reruns diff cleanly.
    notebook.get("metadata", {}).get("papermill", {}).pop("start_time", None)
    notebook.get("metadata", {}).get("papermill", {}).pop("end_time", None)
    notebook.get("metadata", {}).get("papermill", {}).pop("duration", None)
    for cell in cells:
        cell.get("metadata", {}).pop("papermill", None)
        cell.get("metadata", {}).pop("execution", None)
    return notebook


def _atomic_write_json(data: dict, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, indent=1, ensure_ascii=False, sort_keys=True)
            stream.write("\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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


def run_chapter(chapter: Chapter, overrides: dict[str, Any] | None = None) -> float:
    """Execute one chapter and atomically replace its executed copy; return seconds taken.

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
    started = time.perf_counter()
    source_nb = _to_ipynb(chapter.source)
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
    _atomic_write_json(_finish(executed, parameters, chapter.name), chapter.output)
    return time.perf_counter() - started


def _select(chapters: list[Chapter], names: list[str]) -> list[Chapter]:
    if not names:
        return chapters
    by_key = {}
    for chapter in chapters:
        by_key[chapter.name] = chapter
        by_key[str(chapter.source.relative_to(paths.ROOT))] = chapter
        by_key[str(chapter.source.relative_to(paths.ROOT).with_suffix(""))] = chapter
    chosen = []
    for name in names:
        key = name.rstrip("/")
        if key not in by_key:
            known = ", ".join(c.name for c in chapters)
            raise RunError(f"no chapter {name!r} in {paths.PARAMS_FILE.name} (chapters: {known})")
        chosen.append(by_key[key])
    return chosen


def run_chapters(names: list[str] | None = None, overrides: list[str] | None = None,
                 params_file: Path | None = None, stream=sys.stderr) -> list[tuple[str, float]]:
    """Run the named chapters (all by default), printing progress; stop at the first failure.

    Overrides (``name=value``) apply to every selected chapter, so they are only allowed when
    each selected chapter declares those parameters. All overrides are checked before anything
    runs.
    """
    chosen = _select(load_plan(params_file), names or [])
    checked = {c.name: parse_overrides(overrides or [], c) for c in chosen}
    timings = []
    for number, chapter in enumerate(chosen, 1):
        print(f"[{number}/{len(chosen)}] {chapter.name} …", end=" ", file=stream, flush=True)
        try:
            seconds = run_chapter(chapter, checked[chapter.name])
        except RunError:
            print("FAILED", file=stream, flush=True)
            raise
        print(f"done in {seconds:.1f} s", file=stream, flush=True)
        timings.append((chapter.name, seconds))
    return timings


def build_book(root: Path | None = None, stream=sys.stderr) -> Path:
    """Render the executed notebooks into static HTML with warnings as errors; return the HTML dir."""
    import subprocess

    root = root or paths.ROOT
    command = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(root), "--builder", "html",
               "--warningiserror", "--keep-going", "--quiet"]
    print("book: jupyter-book build (warnings are errors) …", file=stream, flush=True)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        raise RunError("jupyter-book build failed:\n" + (result.stdout + result.stderr)[-6000:])
    html = root / "_build" / "html"
    print(f"book: built in {time.perf_counter() - started:.1f} s → {html / 'index.html'}",
          file=stream, flush=True)
    return html

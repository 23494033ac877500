"""Run many chapters: worker processes, progress in book order, failures, and a clean stop.

Each chapter that must run executes in its own worker process (:mod:`ruralrev.book.worker`),
started in a new session with its output sent to a log file, so no kernel message reaches the
terminal and Ctrl-C reaches only the runner. The runner moves each finished notebook into
place itself, in one rename. :func:`run_chapters` is the entry point; its Notes say how it
reports progress and failures, stops, and cleans up after a run that was killed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ruralrev.book import warm_kernels
from ruralrev.book.execute import (
    KERNEL_ENV,
    SCRATCH_PREFIX,
    cached_key,
    environment_digest,
    inputs_key,
    page_state,
    read_notebook,
)
from ruralrev.book.params import (
    Chapter,
    load_plan,
    parse_overrides,
    validate_parameters,
)
from ruralrev.core import files, paths
from ruralrev.core.errors import Interrupted, ParameterError, UsageError

__all__ = ["ChapterResult", "run_chapters", "kernel_environment", "select", "retarget", "summary_line", "kill_tree", "STOP_SIGNALS",
           "PROBE_NAME"]

_POLL = 0.05
#: The signals that stop a run cleanly (SIGHUP: the terminal was closed; not on Windows).
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
#: The file :func:`_writable` writes to test an output folder (as a temporary of :func:`files.atomic_path`).
PROBE_NAME = "ruralrev-probe"
#: Scratch folders of the book's commands in the temporary directory, cleaned up after a killed run.
_SCRATCH_PREFIXES = (SCRATCH_PREFIX, "ruralrev-verify-")


@dataclass(frozen=True)
class ChapterResult:
    """What happened to one chapter: ``state`` is re-executed, unchanged, failed or kept."""

    name: str
    state: str
    seconds: float = 0.0
    error: str = ""


def select(chapters: list[Chapter], names: list[str], root: Path) -> list[Chapter]:
    """The chapters named (by name or source path), in book order; all when ``names`` is empty."""
    if not names:
        return chapters
    by_key = {}
    for chapter in chapters:
        by_key[chapter.name] = chapter
        try:
            relative = chapter.source.relative_to(root)
        except ValueError:
            continue
        by_key[relative.as_posix()] = by_key[relative.with_suffix("").as_posix()] = chapter
    unknown = [name for name in names if name.rstrip("/") not in by_key]
    if unknown:
        known = ", ".join(c.name for c in chapters)
        raise UsageError(f"no chapter {unknown[0]!r} in {paths.PARAMS_FILE.name} (chapters: {known})")
    wanted = {by_key[name.rstrip("/")].name for name in names}
    return [c for c in chapters if c.name in wanted]


def retarget(chapters: list[Chapter], into: Path) -> list[Chapter]:
    """The same chapters writing their executed copies into another folder."""
    return [replace(c, output=Path(into) / c.output.name) for c in chapters]


def _writable(folder: Path) -> None:
    """Refuse, before anything runs, a folder that cannot take the executed copies."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with files.atomic_path(folder / PROBE_NAME) as probe:   # a temporary, named as the runner's own
            probe.unlink()
            raise _Probed
    except _Probed:
        pass
    except OSError as exc:
        raise UsageError(f"cannot write the executed notebooks to {folder}: {exc.strerror or exc}; "
                         "nothing was run") from None


class _Probed(Exception):
    """Ends the write test of :func:`_writable` without renaming the probe into place."""


def _clean_leftovers(chapters: list[Chapter]) -> None:
    """Remove what a killed run left: its temporaries beside these chapters' outputs and the
    scratch folders of the book's commands in the temporary directory — only files and folders
    named as the runner's own whose process has ended (:mod:`ruralrev.core.files`)."""
    for folder in dict.fromkeys(c.output.parent for c in chapters):
        files.remove_abandoned_temporaries(folder, [c.output.name for c in chapters if c.output.parent == folder]
                                           + [PROBE_NAME])
    for prefix in _SCRATCH_PREFIXES:
        files.remove_abandoned_folders(prefix)


def _expected_seconds(output: Path) -> float | None:
    try:
        return float(read_notebook(output)["metadata"]["ruralrev"]["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def kill_tree(process: subprocess.Popen) -> None:
    """Stop a worker and everything it started (its kernel runs in a session of its own)."""
    import psutil

    try:
        top = psutil.Process(process.pid)
    except psutil.NoSuchProcess:
        process.wait()
        return
    tree = {top.pid: top}
    for _ in range(5):  # freeze, then look again, until no new process appears
        try:
            found = top.children(recursive=True)
        except psutil.NoSuchProcess:
            found = []
        new = [p for p in found if p.pid not in tree]
        tree.update({p.pid: p for p in new})
        for proc in tree.values():
            try:
                proc.suspend()
            except psutil.Error:
                pass
        if not new:
            break
    for proc in tree.values():
        try:
            proc.kill()
        except psutil.Error:
            pass
    process.wait()
    others = [p for p in tree.values() if p.pid != process.pid]
    deadline = time.monotonic() + 2
    while others and time.monotonic() < deadline:  # gone, or a zombie waiting for its new parent
        others = [p for p in others if _alive(p)]
        if others:
            time.sleep(0.02)


def _alive(proc) -> bool:
    import psutil

    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


class _Progress:
    """Permanent lines in book order; a live line for running chapters on a terminal."""

    def __init__(self, chapters: list[Chapter], stream):
        self.chapters, self.stream = chapters, stream
        self.width = max((len(c.name) for c in chapters), default=0)
        self.live = bool(getattr(stream, "isatty", lambda: False)())
        self.printed = 0
        self.shown_live = False
        self.last_live = 0.0

    def _clear(self) -> None:
        if self.shown_live:
            self.stream.write("\r\033[K")
            self.shown_live = False

    def flush_done(self, results: dict[str, ChapterResult]) -> None:
        total = len(self.chapters)
        while self.printed < total and self.chapters[self.printed].name in results:
            result = results[self.chapters[self.printed].name]
            state = {"re-executed": f"re-executed {result.seconds:6.1f} s", "unchanged": "unchanged",
                     "failed": f"FAILED after {result.seconds:.1f} s"}.get(result.state, result.state)
            self._clear()
            self.stream.write(f"[{self.printed + 1}/{total}] {result.name:<{self.width}}  {state}\n")
            self.printed += 1
        self.stream.flush()

    def show_running(self, running: dict[str, tuple[float, float | None]]) -> None:
        now = time.monotonic()
        if not self.live or not running or now - self.last_live < 0.5:
            return
        self.last_live = now
        parts = []
        for name, (started, expected) in running.items():
            elapsed = now - started
            if expected:
                filled = min(10, int(10 * elapsed / expected))
                parts.append(f"{name} {'█' * filled}{'░' * (10 - filled)} {elapsed:.0f}/{expected:.0f} s")
            else:
                parts.append(f"{name} {elapsed:.0f} s")
        self._clear()
        self.stream.write("  running: " + ", ".join(parts))
        self.shown_live = True
        self.stream.flush()

    def close(self) -> None:
        self._clear()
        self.stream.flush()


def summary_line(results: list[ChapterResult]) -> str:
    """``summary: 2 re-executed (a, b), 5 unchanged (…), 1 failed (c)``, every chapter named."""
    parts = []
    for state in ("re-executed", "unchanged", "failed", "kept"):
        names = [r.name for r in results if r.state == state]
        if names:
            parts.append(f"{len(names)} {state} ({', '.join(names)})")
    return "summary: " + ", ".join(parts)


def kernel_environment(scratch: Path) -> dict[str, str]:
    """The environment of a worker and its kernel. TMPDIR: what they put in the temporary directory
    (the worker's own scratch folder, the kernel's connection file) lands in the runner's scratch
    folder, which the runner removes even when it has to kill them."""
    env = {**os.environ, **KERNEL_ENV, "PYTHONUNBUFFERED": "1", "TMPDIR": str(scratch)}
    env.pop("MPLBACKEND", None)
    return env


def _start(chapter: Chapter, parameters: dict, key: str, scratch: Path, reports: Path,
           warm: dict[str, str]) -> subprocess.Popen:
    job = {"name": chapter.name, "source": str(chapter.source), "output": str(chapter.output),
           "defaults": chapter.parameters, "schema": chapter.schema, "rules": list(chapter.rules),
           "parameters": parameters, "key": key, "target": str(scratch / f"{chapter.name}.ipynb"),
           "failed_copy": str(reports / f"{chapter.name}.ipynb"), "result": str(scratch / f"{chapter.name}.json"),
           "parent": os.getpid()}
    job_file = scratch / f"{chapter.name}.job.json"
    job_file.write_text(json.dumps(job), encoding="utf-8")
    env = {**kernel_environment(scratch), **warm}
    with open(scratch / f"{chapter.name}.log", "wb") as log:
        return subprocess.Popen([sys.executable, "-m", "ruralrev.book.worker", str(job_file)], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)


def _collect(chapter: Chapter, process: subprocess.Popen, scratch: Path, started: float) -> ChapterResult:
    result_file = scratch / f"{chapter.name}.json"
    try:
        outcome = json.loads(result_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log = (scratch / f"{chapter.name}.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return ChapterResult(chapter.name, "failed", time.monotonic() - started,
                             f"{chapter.name}: the worker stopped (exit code {process.returncode}): "
                             + (log[-1] if log else "no output"))
    if not outcome["ok"]:
        return ChapterResult(chapter.name, "failed", outcome["seconds"], outcome["error"])
    target = chapter.output
    with files.atomic_path(target) as tmp:
        shutil.copyfile(scratch / f"{chapter.name}.ipynb", tmp)
    return ChapterResult(chapter.name, "re-executed", outcome["seconds"])


def run_chapters(names: list[str] | None = None, overrides: list[str] | None = None, *,
                 params_file: Path | None = None, root: Path | None = None, jobs: int = 1,
                 force: bool = False, into: Path | None = None, stream=sys.stderr,
                 parameters: dict[str, dict[str, Any]] | None = None,
                 before_execute=None) -> list[ChapterResult]:
    """Run the named chapters (all by default), up to ``jobs`` at a time, in worker processes.

    Parameters
    ----------
    names, overrides
        Chapters (names or source paths) and ``name=value`` overrides; overrides apply to every
        selected chapter, so each must declare them.
    params_file, root
        The parameters file and the folder its paths are relative to (default: the project's).
    force
        Re-run chapters whose inputs have not changed (otherwise they are cache hits).
    into
        Write the executed copies into this folder instead of their ``output`` paths.
    parameters
        Full parameter values per chapter name (instead of defaults and ``overrides``).
    before_execute
        Called once, without arguments, when some chapter must run, just before it starts.

    Returns the results in book order. Every parameter of every chapter is checked before
    anything runs (:class:`ParameterError`); an unwritable output folder is a
    :class:`UsageError`; SIGINT or SIGTERM stop the run with :class:`Interrupted`.

    Notes
    -----
    * **Progress**: one line per chapter, in book order, with its state (``re-executed`` and its
      time, ``unchanged`` for a cache hit, ``FAILED``); on a terminal, a live line shows the chapters
      running, with a bar against the time their last run took.
    * **Failures**: the other chapters still run; the summary lists every chapter as re-executed,
      unchanged or failed. A failed chapter keeps its last good page, which the build marks stale
      (:mod:`ruralrev.book.publish`).
    * **Stopping**: on SIGINT, SIGTERM or SIGHUP (the terminal closed) every worker and its kernel are
      killed (the whole process tree, found before killing), the scratch folder is removed, and
      :class:`Interrupted` says how many chapters were kept as they were. Nothing is written after
      this function returns. Workers and their kernels use the runner's scratch folder as their
      temporary directory, so nothing of theirs is left elsewhere.
    * **Leftovers**: a run killed outright (SIGKILL) cannot clean up. Its scratch folders in the
      temporary directory and its temporary files beside the outputs carry a lock that died with it
      (:mod:`ruralrev.core.files`); the next run removes exactly those, and nothing else — not a
      user's own files in an ``--into`` folder, not another run's live files.
    * **Pages edited by hand**: an executed copy whose content no longer matches the hash recorded at
      its execution is never a cache hit; the runner says so and re-executes it.
    * **Warm kernels**: with more than one chapter to execute (and no server given in
      ``RURALREV_WARM_KERNELS``), the kernels are forks of one process that imported the scientific
      stack once (:mod:`ruralrev.book.warm_kernels`); it is killed, with whatever it still runs,
      when the run ends or stops.
    """
    root = root or paths.ROOT
    chosen = select(load_plan(params_file, root), names or [], root)
    expected = {c.name: _expected_seconds(c.output) for c in chosen}   # from the book's pages, even with --into
    if into is not None:
        chosen = retarget(chosen, into)
    values, problems = {}, []
    for chapter in chosen:
        try:
            if parameters is not None and chapter.name in parameters:
                given = parameters[chapter.name]
                order = [*[k for k in chapter.parameters if k in given], *[k for k in given if k not in chapter.parameters]]
                values[chapter.name] = {k: given[k] for k in order}  # the page lists them in params.yml order
                validate_parameters(chapter, values[chapter.name])
            else:
                values[chapter.name] = {**chapter.parameters, **parse_overrides(overrides or [], chapter)}
        except ParameterError as exc:
            problems += exc.problems
    if problems:
        raise ParameterError(list(dict.fromkeys(problems)))
    folders = list(dict.fromkeys(c.output.parent for c in chosen))
    for folder in folders:
        _writable(folder)
    _clean_leftovers(chosen)
    environment = environment_digest()
    keys = {c.name: inputs_key(c, values[c.name], environment) for c in chosen}
    results: dict[str, ChapterResult] = {}
    progress = _Progress(chosen, stream)
    queue = []
    for chapter in chosen:
        if not force and cached_key(chapter.output) == keys[chapter.name]:
            results[chapter.name] = ChapterResult(chapter.name, "unchanged")
        else:
            if page_state(chapter.output) == "edited":
                stream.write(f"{chapter.name}: {chapter.output} was edited after its execution (its content no "
                             "longer matches the hash recorded then); re-executing it\n")
            queue.append(chapter)
    progress.flush_done(results)
    if queue:
        if before_execute is not None:
            before_execute()
        order = longest_first(queue, expected) if jobs > 1 else queue   # one at a time: book order
        _execute(order, values, keys, results, progress, max(1, jobs),
                 Path(into or root / "_build") / "reports", len(chosen), expected)
    progress.close()
    ordered = [results[c.name] for c in chosen]
    if len(ordered) > 1:
        stream.write(summary_line(ordered) + "\n")
    for result in ordered:
        if result.state == "failed":
            stream.write(f"{result.error}\n")
    stream.flush()
    return ordered


def longest_first(queue: list[Chapter], expected: dict[str, float | None]) -> list[Chapter]:
    """The order chapters start in: longest last run first (so that with several workers a long
    chapter does not start last and run alone), chapters never run before keep their book order
    after them. Progress lines stay in book order whatever the start order."""
    known = sorted((c for c in queue if expected.get(c.name)), key=lambda c: -expected[c.name])
    return known + [c for c in queue if not expected.get(c.name)]


def _execute(queue: list[Chapter], values: dict, keys: dict, results: dict, progress: _Progress, jobs: int,
             reports: Path, total: int, expected: dict[str, float | None]) -> None:
    """Run the queued chapters in workers; on a stop signal kill them all and raise Interrupted."""
    stop = []
    handlers = {}
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            handlers[signum] = signal.signal(signum, lambda number, frame: stop.append(number))
    running: dict[str, tuple[Chapter, subprocess.Popen, float, float | None]] = {}
    pending = list(queue)
    try:
        with files.scratch_folder(SCRATCH_PREFIX) as scratch:
            server = None
            try:
                # more than one chapter: their kernels fork from one process that imported the stack once
                if len(queue) > 1 and warm_kernels.available() and warm_kernels.ENV not in os.environ:
                    server = warm_kernels.start_server(scratch, kernel_environment(scratch))
                warm = {warm_kernels.ENV: server[1]} if server else {}
                while (pending or running) and not stop:
                    while pending and len(running) < jobs and not stop:
                        chapter = pending.pop(0)
                        process = _start(chapter, values[chapter.name], keys[chapter.name], scratch, reports, warm)
                        running[chapter.name] = (chapter, process, time.monotonic(), expected.get(chapter.name))
                    time.sleep(_POLL)
                    for name, (chapter, process, started, _) in list(running.items()):
                        if stop:
                            break
                        if process.poll() is not None:
                            results[name] = _collect(chapter, process, scratch, started)
                            del running[name]
                    progress.flush_done(results)
                    progress.show_running({name: (started, expected)
                                           for name, (_, _, started, expected) in running.items()})
            finally:
                for _, process, _, _ in running.values():  # stopped, or an unexpected error: leave nothing behind
                    kill_tree(process)
                if server:
                    kill_tree(server[0])                  # and the kernels it may still run
        if stop:
            kept = total - sum(r.state == "re-executed" for r in results.values())
            progress.close()
            raise Interrupted(kept)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)

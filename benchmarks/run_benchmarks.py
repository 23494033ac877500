#!/usr/bin/env python3
"""Build-time benchmarks, run by hand (never by the test suite or CI).

    .venv/bin/python benchmarks/run_benchmarks.py [--repeat 3] [--jobs 2]

Scenarios, each repeated and reported as the median (and min–max) wall time:

(a) clean full build: executed notebooks and HTML removed, then ``ruralrev build``;
(b) no-change rebuild: ``ruralrev build`` again (every chapter a cache hit);
(c) one chapter re-run with a new parameter and the HTML re-rendered, the command a page's
    parameters box gives: ``ruralrev build paper_001 -p threshold=40``;
(d) the same chapters built by Jupyter Book's own execution (``execute_notebooks: force``) in a
    scratch copy of the book, the notebooks run with their default parameters;
(e) ``ruralrev verify`` (re-execute everything into a scratch folder and compare);
(f) installing the lock into a fresh virtual environment with cold caches, with pip and with uv
    (``--install``; the slow part of a fresh machine);
(g) the neighbours chapter alone, re-executed with its defaults (9,999 permutations):
    ``ruralrev run spatial --force`` (wall time, and the CPU time of the runner and its kernel,
    which a busy machine inflates less than the wall time).

``--only g`` (any letters) runs just those scenarios and updates their rows and notes in the
results file (and the README's copy), leaving the others as they were.

Ratios recorded against the issue's goals: (b)/(a) under 10 %; (c) minus paper_001's own
execution time (recorded in its page) under 3 s; (e)/(a) about 1. Also the import time of
``ruralrev`` and ``ruralrev.data.official``. Results go to ``benchmarks/results.md`` with the machine
described. The book is rebuilt with default parameters at the end, so the working tree is
left as a normal build leaves it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(command: list[str], cwd: Path = ROOT) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(command)}\n{(result.stdout + result.stderr)[-3000:]}")
    return elapsed


def _clean() -> None:
    shutil.rmtree(ROOT / "book" / "executed", ignore_errors=True)
    shutil.rmtree(ROOT / "_build", ignore_errors=True)


def scenario_clean(jobs: int) -> float:
    _clean()
    return _run([str(BIN / "ruralrev"), "build", "-j", str(jobs)])


def scenario_nochange(jobs: int) -> float:
    _run([str(BIN / "ruralrev"), "build", "-j", str(jobs)])  # make sure everything is current
    return _run([str(BIN / "ruralrev"), "build", "-j", str(jobs)])


ONE_CHAPTER_EXECUTION: list[float] = []


ONE_CHAPTER_RUN_ALONE: list[float] = []


def scenario_one_chapter(jobs: int) -> float:
    _run([str(BIN / "ruralrev"), "build", "-j", str(jobs)])
    elapsed = _run([str(BIN / "ruralrev"), "build", "paper_001", "-p", "threshold=40"])
    page = json.loads((ROOT / "book" / "executed" / "paper_001.ipynb").read_text(encoding="utf-8"))
    ONE_CHAPTER_EXECUTION.append(float(page["metadata"]["ruralrev"]["seconds"]))
    # the same kind of re-run without the HTML: what executing the chapter costs as a reader runs it
    ONE_CHAPTER_RUN_ALONE.append(_run([str(BIN / "ruralrev"), "run", "paper_001", "-p", "threshold=41"]))
    return elapsed


def scenario_verify(jobs: int) -> float:
    _run([str(BIN / "ruralrev"), "build", "-j", str(jobs)])
    return _run([str(BIN / "ruralrev"), "verify", "-j", str(jobs)])


CPU_SECONDS: dict[str, list[float]] = {}


def scenario_spatial(jobs: int) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = _run([str(BIN / "ruralrev"), "run", "spatial", "--force"])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_SECONDS.setdefault("spatial", []).append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return elapsed


def _spatial_note(repeat: int) -> str:
    cpu = statistics.median(CPU_SECONDS["spatial"])
    load = os.getloadavg()[0]
    return (f"- (g) CPU time (runner + kernel, median of {repeat}): {cpu:.1f} s; load average when it ended "
            f"{load:.1f} on {os.cpu_count()} cores (goal for (g): under about 15 s)")


def _install_note(installs: dict[str, float]) -> str:
    return (f"- (f) install of constraints.txt into a fresh venv, cold caches: uv {installs['uv']:.0f} s, "
            f"pip {installs['pip']:.0f} s (uv / pip = {installs['uv'] / installs['pip']:.2f})")


def _update_rows(results: dict[str, list[float]], notes: list[str]) -> list[str]:
    """The results file's lines with the rows of ``results`` replaced (or added below the table)
    and ``notes`` replacing bullets that start the same way (or added after the last one)."""
    lines = (ROOT / "benchmarks" / "results.md").read_text(encoding="utf-8").splitlines()
    for label, times in results.items():
        row = f"| {label} | {statistics.median(times):.1f} | {min(times):.1f}–{max(times):.1f} |"
        found = [i for i, line in enumerate(lines) if line.startswith(f"| {label} |")]
        if found:
            lines[found[0]] = row
        else:
            lines.insert(max(i for i, line in enumerate(lines) if line.startswith("| (")) + 1, row)
    for note in notes:
        found = [i for i, line in enumerate(lines) if line.startswith("- ") and _key(line) == _key(note)]
        if found:
            lines[found[0]] = note
        else:
            lines.insert(max(i for i, line in enumerate(lines) if line.startswith("- ")) + 1, note)
    return lines + [""]


def _key(note: str) -> str:
    """What a note is about: its first three words ("- (g) CPU", "- (b) /", "- import of")."""
    return " ".join(note.split()[:3])


def _earlier_notes(new: list[str]) -> list[str]:
    """Notes of the results file that this run does not write again (a scenario not run, such as
    (f) without ``--install``, or a note written by hand), kept and marked as from an earlier run."""
    path = ROOT / "benchmarks" / "results.md"
    old = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("- ")] if path.is_file() else []
    keys, tag = {_key(note) for note in new}, " (an earlier run)"
    return [line if line.endswith(tag) else line + tag for line in old if _key(line) not in keys]


def install_time(installer: str) -> float:
    """A fresh venv and the lock installed into it with cold caches (pip: no cache; uv: an empty one)."""
    with tempfile.TemporaryDirectory(prefix=f"ruralrev-install-{installer}-") as scratch:
        scratch = Path(scratch)
        python = scratch / "venv" / "bin" / "python"
        env = dict(os.environ, PIP_NO_CACHE_DIR="1", UV_CACHE_DIR=str(scratch / "uv-cache"))
        started = time.perf_counter()
        subprocess.run(["python3.11", "-m", "venv",
                        str(scratch / "venv")], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        if installer == "uv":
            subprocess.run(pip + ["-c", "constraints.txt", "uv"], cwd=ROOT, env=env, check=True)
            subprocess.run([str(scratch / "venv" / "bin" / "uv"), "pip", "install", "-q", "--compile-bytecode",
                            "--python", str(python),
                            "-c", "constraints.txt", "-e", ".[test]"], cwd=ROOT, env=env, check=True)
        else:
            subprocess.run(pip + ["-c", "constraints.txt", "-e", ".[test]"], cwd=ROOT, env=env, check=True)
        elapsed = time.perf_counter() - started
        subprocess.run([str(python), "-c", "import ruralrev.data.official, papermill, jupyterlab"], check=True)
        return elapsed


def scenario_jupyter_book(jobs: int) -> float:
    """Jupyter Book executes the MyST sources itself (default parameters), same TOC and pages."""
    with tempfile.TemporaryDirectory(prefix="ruralrev-jb-") as scratch:
        scratch = Path(scratch)
        shutil.copytree(ROOT / "book", scratch / "book", ignore=shutil.ignore_patterns("executed"))
        (scratch / "book" / "executed").mkdir()
        for source in (ROOT / "notebooks").glob("*.md"):
            shutil.copy(source, scratch / "book" / "executed" / source.name)
        config = (ROOT / "_config.yml").read_text(encoding="utf-8")
        config = config.replace('execute_notebooks: "off"', 'execute_notebooks: force\n  timeout: 1200')
        (scratch / "_config.yml").write_text(config, encoding="utf-8")
        shutil.copy(ROOT / "_toc.yml", scratch / "_toc.yml")
        env = dict(os.environ)
        return _run([str(BIN / "jupyter-book"), "build", str(scratch), "--builder", "html", "--quiet"], cwd=scratch)


def import_time() -> float:
    code = "import time; t = time.perf_counter(); import ruralrev, ruralrev.data.official; print(time.perf_counter() - t)"
    values = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
              for _ in range(5)]
    return statistics.median(values)


README_START, README_END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"


def update_readme(lines: list[str]) -> None:
    """Copy the results (machine line, table and ratios) into the README between its markers."""
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(README_START)
    _, _, tail = rest.partition(README_END)
    body = "\n".join(line for line in lines[2:] if line is not None).strip()
    readme.write_text(f"{head}{README_START}\n{body}\n{README_END}{tail}", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--install", action="store_true", help="also time installing the lock with pip and with uv (f)")
    parser.add_argument("--only", default="", help="letters of the scenarios to run (e.g. 'g'); default all")
    args = parser.parse_args()
    scenarios = [("(a) clean full build (execute all + HTML)", scenario_clean),
                 ("(b) no-change rebuild", scenario_nochange),
                 ("(c) one chapter re-run with a new parameter + HTML", scenario_one_chapter),
                 ("(d) Jupyter Book's own execution (execute_notebooks: force)", scenario_jupyter_book),
                 ("(e) ruralrev verify (re-execute all from a clean state and compare)", scenario_verify),
                 ("(g) the neighbours chapter alone, re-executed (ruralrev run spatial --force)", scenario_spatial)]
    chosen = [(label, f) for label, f in scenarios if not args.only or label[1] in args.only]
    installs = {}
    if args.install or "f" in args.only:
        for installer in ("uv", "pip"):
            installs[installer] = install_time(installer)
            print(f"(f) install with {installer}: {installs[installer]:.1f} s", file=sys.stderr, flush=True)
    results = {}
    for label, function in chosen:
        times = []
        for repeat in range(1 if label.startswith(("(d)", "(e)")) else args.repeat):
            times.append(function(args.jobs))
            print(f"{label}: run {repeat + 1}: {times[-1]:.1f} s", file=sys.stderr, flush=True)
        results[label] = times
    notes = ([_install_note(installs)] if installs else []) + \
        ([_spatial_note(args.repeat)] if "spatial" in CPU_SECONDS else [])
    if args.only:  # the scenarios run leave their chapters with default parameters
        lines = _update_rows(results, notes)
        _write(lines)
        return 0
    _run([str(BIN / "ruralrev"), "build", "-j", str(args.jobs)])  # leave the default book behind
    median = {label: statistics.median(times) for label, times in results.items()}
    a, b, c, d, e = (median[label] for label, _ in scenarios[:5])
    own = statistics.median(ONE_CHAPTER_EXECUTION)
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores; "
        f"runner -j {args.jobs}; median of {args.repeat} runs (min–max); (d) and (e) run once. The machine is "
        "shared, so absolute times are noisy; the ratios are the result.",
        "",
        "| scenario | median (s) | min–max (s) |",
        "| --- | ---: | ---: |",
        *[f"| {label} | {median[label]:.1f} | {min(times):.1f}–{max(times):.1f} |" for label, times in results.items()],
        "",
        f"- (b) / (a) = {b / a:.1%} (goal: under 10 %)",
        f"- (c) − paper_001's own execution ({own:.1f} s, recorded in its page) = {c - own:.1f} s (goal: under 3 s)",
        f"- (c) − the same re-run without the HTML (`ruralrev run paper_001 -p threshold=41`, "
        f"{statistics.median(ONE_CHAPTER_RUN_ALONE):.1f} s) = {c - statistics.median(ONE_CHAPTER_RUN_ALONE):.1f} s: "
        "what rendering the book adds",
        f"- (e) / (a) = {e / a:.2f} (goal: about 1)",
        f"- (a) / (d) = {a / d:.2f} (goal: at most 1, i.e. no slower than Jupyter Book's own execution)",
        f"- import of ruralrev and ruralrev.data.official: {import_time():.2f} s (goal: under 1 s)",
        *notes,
    ]
    lines += [*_earlier_notes([line for line in lines if line.startswith("- ")]), ""]
    _write(lines)
    return 0


def _write(lines: list[str]) -> None:
    """The results file, its copy in the README, and the same on the terminal."""
    (ROOT / "benchmarks" / "results.md").write_text("\n".join(lines), encoding="utf-8")
    update_readme(lines)
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())

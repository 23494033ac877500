#!/usr/bin/env python3
"""Build-time benchmarks, run by hand (never by the test suite or CI).

    .venv/bin/python benchmarks/run_benchmarks.py [--repeat 3] [--jobs 2]

Scenarios, each repeated and reported as the median (and min–max) wall time:

(a) clean full build: executed notebooks and HTML removed, then ``ruralrev build``;
(b) no-change rebuild: ``ruralrev build`` again (every chapter a cache hit);
(c) one chapter re-run with a new parameter: ``ruralrev run paper_001 -p threshold=40``
    then ``ruralrev build --no-run``;
(d) the same chapters built by Jupyter Book's own execution (``execute_notebooks: force``) in a
    scratch copy of the book, the notebooks run with their default parameters;
(e) the neighbours chapter alone, re-executed with its defaults (9,999 permutations):
    ``ruralrev run spatial --force`` (wall time, and the CPU time of the runner and its kernel,
    which a busy machine inflates less than the wall time).

``--only e`` (any letters) runs just those scenarios and updates their rows of the results file,
leaving the others as they were.

Also the import time of ``ruralrev`` and ``ruralrev.data``. Results go to
``benchmarks/results.md`` with the machine described. The book is rebuilt with default
parameters at the end, so the working tree is left as a normal build leaves it.
"""

from __future__ import annotations

import argparse
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


def scenario_one_chapter(jobs: int) -> float:
    _run([str(BIN / "ruralrev"), "build", "-j", str(jobs)])
    started = time.perf_counter()
    _run([str(BIN / "ruralrev"), "run", "paper_001", "-p", "threshold=40"])
    _run([str(BIN / "ruralrev"), "build", "--no-run"])
    return time.perf_counter() - started


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


CPU_SECONDS: dict[str, list[float]] = {}


def scenario_spatial(jobs: int) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = _run([str(BIN / "ruralrev"), "run", "spatial", "--force"])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_SECONDS.setdefault("spatial", []).append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return elapsed


def _update_rows(results: dict[str, list[float]], notes: list[str]) -> str:
    """The results file with the rows of ``results`` replaced (or added below the table) and ``notes``
    replacing bullets that start the same way."""
    path = ROOT / "benchmarks" / "results.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    for label, times in results.items():
        row = f"| {label} | {statistics.median(times):.1f} | {min(times):.1f}–{max(times):.1f} |"
        found = [i for i, line in enumerate(lines) if line.startswith(f"| {label} |")]
        if found:
            lines[found[0]] = row
        else:
            last = max(i for i, line in enumerate(lines) if line.startswith("| ("))
            lines.insert(last + 1, row)
    for note in notes:
        key = note.split(":")[0]
        found = [i for i, line in enumerate(lines) if line.startswith(key)]
        if found:
            lines[found[0]] = note
        else:
            lines.insert(max(i for i, line in enumerate(lines) if line.startswith("- ")) + 1, note)
    text = "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def _spatial_note(repeat: int) -> str:
    cpu = statistics.median(CPU_SECONDS["spatial"])
    load = os.getloadavg()[0]
    return (f"- (e) CPU time (runner + kernel, median of {repeat}): {cpu:.1f} s; load average when it ended "
            f"{load:.1f} on {os.cpu_count()} cores (goal for (e): under about 15 s)")


def import_time() -> float:
    code = "import time; t = time.perf_counter(); import ruralrev, ruralrev.data; print(time.perf_counter() - t)"
    values = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
              for _ in range(5)]
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", default="", help="letters of the scenarios to run (e.g. 'e'); default all")
    args = parser.parse_args()
    scenarios = [("(a) clean full build (execute all + HTML)", scenario_clean),
                 ("(b) no-change rebuild", scenario_nochange),
                 ("(c) one chapter re-run with a new parameter + HTML", scenario_one_chapter),
                 ("(d) Jupyter Book's own execution (execute_notebooks: force)", scenario_jupyter_book),
                 ("(e) the neighbours chapter alone, re-executed (ruralrev run spatial --force)", scenario_spatial)]
    chosen = [(label, f) for label, f in scenarios if not args.only or label[1] in args.only]
    results = {}
    for label, function in chosen:
        times = []
        for repeat in range(args.repeat):
            times.append(function(args.jobs))
            print(f"{label}: run {repeat + 1}: {times[-1]:.1f} s", file=sys.stderr, flush=True)
        results[label] = times
    if args.only:  # the scenarios run leave their chapters with default parameters
        print(_update_rows(results, [_spatial_note(args.repeat)] if "spatial" in CPU_SECONDS else []))
        return 0
    _run([str(BIN / "ruralrev"), "build", "-j", str(args.jobs)])  # leave the default book behind
    median = {label: statistics.median(times) for label, times in results.items()}
    a, b, c, d = (median[label] for label, _ in scenarios[:4])
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores; "
        f"runner -j {args.jobs}; median of {args.repeat} runs (min–max).",
        "",
        "| scenario | median (s) | min–max (s) |",
        "| --- | ---: | ---: |",
        *[f"| {label} | {median[label]:.1f} | {min(times):.1f}–{max(times):.1f} |" for label, times in results.items()],
        "",
        f"- (b) / (a) = {b / a:.1%} (goal: under 10 %)",
        f"- (a) / (d) = {a / d:.2f} (goal: at most 1, i.e. no slower than Jupyter Book's own execution)",
        f"- (c) / (a) = {c / a:.1%}",
        _spatial_note(args.repeat),
        f"- import of ruralrev and ruralrev.data: {import_time():.2f} s (goal: under 1 s)",
        "",
    ]
    (ROOT / "benchmarks" / "results.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

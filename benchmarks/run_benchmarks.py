#!/usr/bin/env python3
"""Build-time benchmarks, run by hand (never by the test suite or CI).

    .venv/bin/python benchmarks/run_benchmarks.py [--repeat 3] [--jobs 2] [--only LETTERS] [--install] [--tests]

Scenarios, each repeated and reported as the median (and min–max) wall time and the median CPU
time (user + system of every process it starts: runner, workers, kernels, Sphinx), which a busy
machine inflates less than the wall time:

(a) clean full build: executed notebooks and HTML removed, then ``ruralrev build``;
(b) no-change rebuild: ``ruralrev build`` again (every chapter a cache hit);
(c) one chapter re-run with a new parameter and the HTML re-rendered, the command a page's
    parameters box gives: ``ruralrev build paper_001 -p threshold=40``;
(d) the same chapters built by Jupyter Book's own execution (``execute_notebooks: force``) in a
    scratch copy of the book, the notebooks run with their default parameters;
(e) ``ruralrev verify`` (re-execute everything into a scratch folder and compare);
(f) installing the lock into a fresh virtual environment with cold caches, with pip and with uv
    (``--install``; the slow part of a fresh machine);
(g) the neighbours chapter alone, re-executed with its defaults: ``ruralrev run spatial --force``;
(h) every chapter alone, re-executed with its defaults (``ruralrev run NAME --force --into DIR``):
    the per-chapter table of CPU and wall time;
(t) the test suite (``--tests``): ``python3.11 tasks.py test`` and its ``-m "not slow"`` subset,
    each once.

Every measurement is kept in ``benchmarks/results.json`` with the date, commit and load average
of its run; ``--only ad`` (any letters) re-runs those scenarios and replaces only their entries.
``benchmarks/results.md`` (and its summary in the README) is then written from the whole record:
every derived line is computed from the rows the file shows, and a line whose inputs come from
runs of different dates says so. The book is rebuilt with default parameters at the end, so the
working tree is left as a normal build leaves it.
"""

from __future__ import annotations

import argparse
import datetime
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
RECORD = ROOT / "benchmarks" / "results.json"
RESULTS = ROOT / "benchmarks" / "results.md"
CHAPTERS = ("data", "paper_001", "disparities", "digital", "typology", "spatial", "paper_000", "paper_002",
            "paper_003", "paper_004")
LABELS = {
    "a": "(a) clean full build (execute all + HTML)",
    "b": "(b) no-change rebuild",
    "c": "(c) one chapter re-run with a new parameter + HTML",
    "d": "(d) Jupyter Book's own execution (execute_notebooks: force)",
    "e": "(e) ruralrev verify (re-execute all from a clean state and compare)",
    "g": "(g) the neighbours chapter alone, re-executed (ruralrev run spatial --force)",
    "t1": "(t) python3.11 tasks.py test (whole suite, two workers)",
    "t2": "(t) python3.11 tasks.py test -m \"not slow\"",
}
#: The goals of issue 22 (seconds of CPU per chapter; typology has its own).
CHAPTER_CPU_GOAL, TYPOLOGY_CPU_GOAL = 10.0, 8.0


def _run(command: list[str], cwd: Path = ROOT, env: dict | None = None) -> tuple[float, float]:
    """Run a command; (wall seconds, CPU seconds of it and every process it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(command)}\n{(result.stdout + result.stderr)[-3000:]}")
    return elapsed, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def _ruralrev(*args: str) -> list[str]:
    return [str(BIN / "ruralrev"), *args]


def _clean() -> None:
    shutil.rmtree(ROOT / "book" / "executed", ignore_errors=True)
    shutil.rmtree(ROOT / "_build", ignore_errors=True)


def scenario_a(jobs: int, extra: dict) -> tuple[float, float]:
    _clean()
    return _run(_ruralrev("build", "-j", str(jobs)))


def scenario_b(jobs: int, extra: dict) -> tuple[float, float]:
    _run(_ruralrev("build", "-j", str(jobs)))  # make sure everything is current
    return _run(_ruralrev("build", "-j", str(jobs)))


def scenario_c(jobs: int, extra: dict) -> tuple[float, float]:
    _run(_ruralrev("build", "-j", str(jobs)))
    measured = _run(_ruralrev("build", "paper_001", "-p", "threshold=40"))
    page = json.loads((ROOT / "book" / "executed" / "paper_001.ipynb").read_text(encoding="utf-8"))
    extra.setdefault("own_execution", []).append(float(page["metadata"]["ruralrev"]["seconds"]))
    # the same kind of re-run without the HTML: what executing the chapter costs as a reader runs it
    extra.setdefault("run_alone", []).append(_run(_ruralrev("run", "paper_001", "-p", "threshold=41"))[0])
    return measured


def scenario_d(jobs: int, extra: dict) -> tuple[float, float]:
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
        return _run([str(BIN / "jupyter-book"), "build", str(scratch), "--builder", "html", "--quiet"], cwd=scratch)


def scenario_e(jobs: int, extra: dict) -> tuple[float, float]:
    _run(_ruralrev("build", "-j", str(jobs)))
    return _run(_ruralrev("verify", "-j", str(jobs)))


def scenario_g(jobs: int, extra: dict) -> tuple[float, float]:
    return _run(_ruralrev("run", "spatial", "--force"))


def chapter_times(repeat: int) -> dict[str, dict[str, list[float]]]:
    """(h): each chapter alone, ``repeat`` rounds over the chapters in book order."""
    out = {name: {"wall": [], "cpu": []} for name in CHAPTERS}
    with tempfile.TemporaryDirectory(prefix="ruralrev-chapters-") as scratch:
        for _ in range(repeat):
            for name in CHAPTERS:
                wall, cpu = _run(_ruralrev("run", name, "--force", "--into", scratch))
                out[name]["wall"].append(wall)
                out[name]["cpu"].append(cpu)
                print(f"(h) {name}: {wall:.1f} s wall, {cpu:.1f} s CPU", file=sys.stderr, flush=True)
    return out


def test_times() -> dict[str, tuple[float, float]]:
    """(t): the whole suite and the not-slow subset, once each (PYTHONDONTWRITEBYTECODE unset)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {"t1": _run(["python3.11", "tasks.py", "test"], env=env),
            "t2": _run(["python3.11", "tasks.py", "test", "-m", "not slow"], env=env)}


def install_time(installer: str) -> float:
    """A fresh venv and the lock installed into it with cold caches (pip: no cache; uv: an empty one)."""
    with tempfile.TemporaryDirectory(prefix=f"ruralrev-install-{installer}-") as scratch:
        scratch = Path(scratch)
        python = scratch / "venv" / "bin" / "python"
        env = dict(os.environ, PIP_NO_CACHE_DIR="1", UV_CACHE_DIR=str(scratch / "uv-cache"))
        started = time.perf_counter()
        subprocess.run(["python3.11", "-m", "venv", str(scratch / "venv")], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        if installer == "uv":
            subprocess.run(pip + ["-c", "constraints.txt", "uv"], cwd=ROOT, env=env, check=True)
            subprocess.run([str(scratch / "venv" / "bin" / "uv"), "pip", "install", "-q", "--compile-bytecode",
                            "--python", str(python), "-c", "constraints.txt", "-e", ".[test]"],
                           cwd=ROOT, env=env, check=True)
        else:
            subprocess.run(pip + ["-c", "constraints.txt", "-e", ".[test]"], cwd=ROOT, env=env, check=True)
        elapsed = time.perf_counter() - started
        subprocess.run([str(python), "-c", "import ruralrev.data.official, papermill, jupyterlab"], check=True)
        return elapsed


def import_time() -> float:
    code = "import time; t = time.perf_counter(); import ruralrev, ruralrev.data.official; print(time.perf_counter() - t)"
    return statistics.median(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                  check=True).stdout) for _ in range(5))


def _stamp() -> dict:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    return {"date": datetime.date.today().isoformat(), "commit": commit.strip(), "load": round(os.getloadavg()[0], 1)}


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _row(key: str, entry: dict) -> str:
    wall, cpu = entry["wall"], entry.get("cpu") or []
    cpu_text = f"{_median(cpu):.1f}" if cpu else "n/a"
    return (f"| {LABELS[key]} | {_median(wall):.1f} | {min(wall):.1f}–{max(wall):.1f} | {cpu_text} | "
            f"{entry['date']}, {entry['commit']}, load {entry['load']} |")


def _dates(record: dict, *keys: str) -> str:
    """'' when the entries come from one run date, else a note naming the dates."""
    dates = sorted({record[k]["date"] for k in keys if k in record})
    return "" if len(dates) <= 1 else f" (inputs from runs of {' and '.join(dates)})"


def render(record: dict, jobs: int) -> list[str]:
    """The results file from the record: summary (copied into the README), then the per-chapter table."""
    s = record["scenarios"]
    shown = [k for k in LABELS if k in s]
    lines = [
        "# Benchmark results", "",
        f"Machine: {record['machine']}, {os.cpu_count()} cores; runner -j {jobs}; median of the runs shown "
        "(min–max); (d), (e) and (t) run once. CPU is user + system time of every process the step started "
        "(runner, workers, kernels, Sphinx). The machine is shared: each row gives the date, commit and load "
        "average of its run, and every line below is computed from the rows shown.", "",
        "| scenario | wall, median (s) | wall, min–max (s) | CPU, median (s) | run |",
        "| --- | ---: | ---: | ---: | --- |",
        *[_row(k, s[k]) for k in shown], "",
    ]
    m = {k: _median(s[k]["wall"]) for k in shown}
    notes = []
    if {"a", "b"} <= m.keys():
        notes.append(f"- (b) / (a) = {m['b'] / m['a']:.1%} (goal: under 10 %){_dates(s, 'a', 'b')}")
    if "c" in m and s["c"].get("own_execution"):
        own, alone = _median(s["c"]["own_execution"]), _median(s["c"]["run_alone"])
        notes.append(f"- (c) − paper_001's own execution ({own:.1f} s, recorded in its page) = {m['c'] - own:.1f} s "
                     "(goal: under 3 s)")
        notes.append(f"- (c) − the same re-run without the HTML (`ruralrev run paper_001 -p threshold=41`, {alone:.1f} s) "
                     f"= {m['c'] - alone:.1f} s: what rendering the book adds")
    if {"a", "e"} <= m.keys():
        notes.append(f"- (e) / (a) = {m['e'] / m['a']:.2f} (goal: about 1){_dates(s, 'a', 'e')}")
    if {"a", "d"} <= m.keys():
        notes.append(f"- (a) / (d) = {m['a'] / m['d']:.2f} (goal: at most 0.35, issue 22){_dates(s, 'a', 'd')}")
    if "a" in m:
        notes.append(f"- (a) clean full build: {m['a']:.1f} s wall (goal: at most 40 s, issue 22)")
    if {"t1", "t2"} <= m.keys():
        notes.append(f"- (t) whole suite {m['t1']:.0f} s (goal: at most 180 s on an idle machine), not-slow subset "
                     f"{m['t2']:.0f} s (goal: at most 60 s); load {s['t1']['load']} when the suite ended"
                     f"{_dates(s, 't1', 't2')}")
    if "import" in record:
        notes.append(f"- import of ruralrev and ruralrev.data.official: {record['import']['seconds']:.2f} s "
                     f"(goal: under 1 s)")
    if "install" in record:
        i = record["install"]
        notes.append(f"- (f) install of constraints.txt into a fresh venv, cold caches: uv {i['uv']:.0f} s, pip "
                     f"{i['pip']:.0f} s (uv / pip = {i['uv'] / i['pip']:.2f}); run of {i['date']}")
    lines += notes
    lines += [f"- {note}" for note in record.get("earlier_notes", [])]
    lines += ["", *chapter_table(record), ""]
    return lines


def chapter_table(record: dict) -> list[str]:
    """(h) per chapter: CPU and wall now, and the CPU before issue 22 when recorded."""
    h = record["scenarios"].get("h")
    if not h:
        return []
    before = record.get("before_h", {})
    lines = ["## Per-chapter CPU (h)", "",
             f"Each chapter alone, `ruralrev run NAME --force --into DIR`, {len(next(iter(h['chapters'].values()))['cpu'])} "
             f"rounds ({h['date']}, {h['commit']}, load {h['load']} at the end); CPU of the runner, its worker and the "
             f"kernel. Goal (issue 22): at most {CHAPTER_CPU_GOAL:.0f} s each, typology at most {TYPOLOGY_CPU_GOAL:.0f} s."
             + (f" Before: {before['note']}." if before else ""), "",
             "| chapter | CPU, median (s) | wall, median (s) | CPU before (s) | goal met |", "| --- | ---: | ---: | ---: | --- |"]
    for name, entry in h["chapters"].items():
        cpu = _median(entry["cpu"])
        goal = TYPOLOGY_CPU_GOAL if name == "typology" else CHAPTER_CPU_GOAL
        old = before.get("cpu", {}).get(name)
        lines.append(f"| {name} | {cpu:.1f} | {_median(entry['wall']):.1f} | {'n/a' if old is None else f'{old:.1f}'} | "
                     f"{'yes' if cpu <= goal else 'no'} |")
    total = sum(_median(e["cpu"]) for e in h["chapters"].values())
    lines.append(f"| all chapters | {total:.1f} | {sum(_median(e['wall']) for e in h['chapters'].values()):.1f} | "
                 f"{sum(before.get('cpu', {}).values()) or float('nan'):.1f} | |")
    return lines


README_START, README_END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"


def summary(lines: list[str]) -> list[str]:
    """The part of the results the README quotes: everything before the per-chapter section."""
    end = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    return lines[2:end]


def update_readme(lines: list[str]) -> None:
    """Copy the summary into the README between its markers."""
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(README_START)
    _, _, tail = rest.partition(README_END)
    body = "\n".join(summary(lines)).strip()
    readme.write_text(f"{head}{README_START}\n{body}\n{README_END}{tail}", encoding="utf-8")


def _save(record: dict, jobs: int) -> list[str]:
    """Write the record and, from it, results.md and the README's summary: they agree after every
    step, so the test suite timed by (t) finds them agreeing (``tests/test_benchmarks.py``)."""
    RECORD.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    lines = render(record, jobs)
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    update_readme(lines)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--install", action="store_true", help="also time installing the lock with pip and with uv (f)")
    parser.add_argument("--tests", action="store_true", help="also time the test suite (t)")
    parser.add_argument("--only", default="", help="letters of the scenarios to run (e.g. 'ad'); default all")
    parser.add_argument("--render", action="store_true", help="run nothing: write the results from the record")
    args = parser.parse_args()
    record = json.loads(RECORD.read_text(encoding="utf-8")) if RECORD.is_file() else {"scenarios": {}}
    record["machine"] = f"{platform.platform()}, Python {platform.python_version()}"
    chosen = "" if args.render else args.only or "abcdegh" + ("f" if args.install else "") + ("t" if args.tests else "")
    functions = {"a": scenario_a, "b": scenario_b, "c": scenario_c, "d": scenario_d, "e": scenario_e, "g": scenario_g}
    if "f" in chosen:
        record["install"] = {**{name: install_time(name) for name in ("uv", "pip")}, **_stamp()}
    for key, function in functions.items():
        if key not in chosen:
            continue
        entry, extra = {"wall": [], "cpu": []}, {}
        for repeat in range(1 if key in "de" else args.repeat):
            wall, cpu = function(args.jobs, extra)
            entry["wall"].append(wall)
            entry["cpu"].append(cpu)
            print(f"{LABELS[key]}: run {repeat + 1}: {wall:.1f} s wall, {cpu:.1f} s CPU", file=sys.stderr, flush=True)
        record["scenarios"][key] = {**entry, **extra, **_stamp()}
        _save(record, args.jobs)
    if "h" in chosen:
        record["scenarios"]["h"] = {"chapters": chapter_times(args.repeat), **_stamp()}
        _save(record, args.jobs)
    if "t" in chosen:
        for key, (wall, cpu) in test_times().items():
            record["scenarios"][key] = {"wall": [wall], "cpu": [cpu], **_stamp()}
    if set(chosen) & set("abcdeg"):
        _run(_ruralrev("build", "-j", str(args.jobs)))  # leave the default book behind
    if chosen:
        record["import"] = {"seconds": import_time(), **_stamp()}
    lines = _save(record, args.jobs)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

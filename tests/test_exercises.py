"""Every exercise has a collapsed solution, and every solution runs, so none can rot.

Solutions are read from the chapters' MyST sources by :mod:`ruralrev.book.exercises`. Python blocks
run in a fresh interpreter against the installed package (each solution's blocks in order, in
an empty scratch folder). ``ruralrev run CHAPTER -p …`` commands run as written, through the
``ruralrev`` command, with ``--into`` a scratch folder so that they never write over the book's
own executed pages; they take a chapter's execution time each, so they are marked ``slow`` and
run two at a time. Each command keeps every parameter it sets; the replication counts it does
not set (bootstrap draws, permutations, gap reference sets: :data:`FEWER_DRAWS`) are lowered, since
a solution breaks by the parameters it chooses, not by how many draws a test waits for. The
default counts run in ``test_verify.py``, which re-executes every chapter as published; so a
wording that appears only at the default counts *and* only under a solution's parameters is not
run by any test. (The digital chapter's solutions set their bootstrap count themselves.)
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ruralrev.book import exercises, params

CHAPTERS = params.load_plan()
EXERCISES = [e for chapter in CHAPTERS for e in exercises.read_exercises(chapter.source, chapter.name)]
PYTHON = [e for e in EXERCISES if any(b.language == "python" for b in e.blocks)]
COMMANDS = [(e.label, argv) for e in EXERCISES for b in e.blocks if b.language == "bash"
            for argv in exercises.commands(b)]
SETTINGS = dict(MPLBACKEND="Agg", PYTHONHASHSEED="0",
                **{name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})


def _env() -> dict[str, str]:
    """The environment of a solution's process, read when it starts (with the session's warm server)."""
    return dict(os.environ, **SETTINGS)

#: Replication counts a command solution runs with when it does not set them itself (see the
#: module docstring); each is a valid value of its chapter's schema (tested below).
FEWER_DRAWS = {"disparities": {"bootstrap_reps": 199, "inequality_reps": 199},
               "typology": {"bootstrap_reps": 20, "gap_references": 10, "mc_draws": 50},
               "spatial": {"permutations": 99}}

RURALREV = str(Path(sys.executable).parent / "ruralrev")  # the command a reader types, from this environment


def test_every_chapter_has_exercises_with_unique_labels():
    by_chapter = {chapter.name: [e for e in EXERCISES if e.chapter == chapter.name] for chapter in CHAPTERS}
    assert [name for name, found in by_chapter.items() if not found] == []
    labels = [e.label for e in EXERCISES]
    assert len(labels) == len(set(labels))
    assert [e.label for e in EXERCISES if not e.label.startswith(f"{e.chapter}-ex-")] == []


def test_parser_refuses_an_exercise_without_a_collapsed_runnable_solution(tmp_path):
    exercise = "```{exercise}\n:label: x-ex-1\n\nDo it.\n```\n\n"
    cases = {
        "no solution": exercise,
        "not collapsed": exercise + "```{solution-start} x-ex-1\n```\n\n```python\nprint(1)\n```\n\n```{solution-end}\n```\n",
        "no code": exercise + "```{solution-start} x-ex-1\n:class: dropdown\n```\n\nProse only.\n\n```{solution-end}\n```\n",
        "in R": exercise + "```{solution-start} x-ex-1\n:class: dropdown\n```\n\n```r\n1\n```\n\n```{solution-end}\n```\n",
    }
    for name, text in cases.items():
        source = tmp_path / "x.md"
        source.write_text(text)
        with pytest.raises(exercises.ExerciseError, match=r"x\.md:\d+"):
            exercises.read_exercises(source)
    good = exercise + "```{solution-start} x-ex-1\n:class: dropdown\n```\n\n```python\nprint(1)\n```\n\n```{solution-end}\n```\n"
    source.write_text(good)
    [found] = exercises.read_exercises(source)
    assert (found.label, found.blocks[0].language, found.blocks[0].code) == ("x-ex-1", "python", "print(1)\n")


def _with_fewer_draws(argv: list[str]) -> list[str]:
    """``argv`` with ``-p name=value`` added for each replication count it does not set."""
    given = {pair.split("=", 1)[0] for pair in argv[4::2]}
    extra = [part for name, value in FEWER_DRAWS.get(argv[2], {}).items() if name not in given
             for part in ("-p", f"{name}={value}")]
    return [*argv, *extra]


def test_fewer_draws_are_valid_and_only_fill_in_what_a_command_leaves_out():
    chapters = {chapter.name: chapter for chapter in CHAPTERS}
    for name, values in FEWER_DRAWS.items():
        chapter = chapters[name]
        assert set(values) <= set(chapter.parameters), name
        params.validate_parameters(chapter, {**chapter.parameters, **values})
        assert all(values[key] < chapter.parameters[key] for key in values), name   # cheaper than the defaults
    assert _with_fewer_draws(["ruralrev", "run", "disparities", "-p", "bootstrap_reps=999"]) == [
        "ruralrev", "run", "disparities", "-p", "bootstrap_reps=999", "-p", "inequality_reps=199"]
    assert _with_fewer_draws(["ruralrev", "run", "spatial", "-p", "weights=knn"]) == [
        "ruralrev", "run", "spatial", "-p", "weights=knn", "-p", "permutations=99"]


def test_command_solutions_are_chapter_runs_with_valid_parameters():
    chapters = {chapter.name: chapter for chapter in CHAPTERS}
    for label, argv in COMMANDS:
        assert argv[:2] == ["ruralrev", "run"] and argv[2] in chapters, (label, argv)
        pairs = argv[3:]
        assert all(flag == "-p" for flag in pairs[0::2]) and len(pairs) % 2 == 0, (label, argv)
        chapter = chapters[argv[2]]
        overrides = params.parse_overrides(pairs[1::2], chapter)
        params.validate_parameters(chapter, {**chapter.parameters, **overrides})


# Runs every Python solution in one interpreter (imports are paid once), each in a fresh namespace
# so that a solution cannot lean on another's names; reports output or traceback per exercise.
_RUN_PYTHON = """
import contextlib, io, json, sys, traceback
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
results = {}
for label, code in json.load(sys.stdin).items():
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, label, "exec"), {"__name__": "__main__"})
        results[label] = [True, out.getvalue()]
    except BaseException:
        results[label] = [False, out.getvalue() + traceback.format_exc()]
    plt.close("all")
json.dump(results, sys.__stdout__)
"""


@pytest.fixture(scope="module")
def python_runs(tmp_path_factory):
    solutions = {e.label: "".join(b.code for b in e.blocks if b.language == "python") for e in PYTHON}
    result = subprocess.run([sys.executable, "-c", _RUN_PYTHON], input=json.dumps(solutions), cwd=tmp_path_factory.mktemp("python"),
                            env=_env(), capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.mark.parametrize("exercise", PYTHON, ids=[e.label for e in PYTHON])
def test_python_solution_runs(python_runs, exercise):
    ok, output = python_runs[exercise.label]
    assert ok, f"{exercise.label} (line {exercise.line}):\n{output[-3000:]}"
    assert output.strip(), f"{exercise.label}: the solution prints nothing"


def _digest(paths) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes() if path.exists() else b"missing")
    return digest.hexdigest()


@pytest.fixture(scope="module")
def command_runs(tmp_path_factory):
    """Run every command solution (two at a time), each into its own scratch folder."""
    book = [chapter.output for chapter in CHAPTERS]
    before = _digest(book)

    def run(index_argv):
        index, (label, argv) = index_argv
        folder = tmp_path_factory.mktemp(f"{label}-{index}")
        started = time.perf_counter()
        result = subprocess.run([RURALREV, *_with_fewer_draws(argv)[1:], "--into", str(folder)],
                                env=_env(), capture_output=True, text=True, timeout=900)
        made = folder / f"{argv[2]}.ipynb"
        return result.returncode, result.stderr[-3000:], made if made.is_file() else None, time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, enumerate(COMMANDS)))
    assert _digest(book) == before, "a solution command changed the book's executed pages"
    return results


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(COMMANDS)), ids=[f"{label}:{' '.join(argv[2:])}" for label, argv in COMMANDS])
def test_command_solution_runs(command_runs, index):
    returncode, stderr, made, _ = command_runs[index]
    assert returncode == 0, f"{COMMANDS[index]}:\n{stderr}"
    assert made, f"{COMMANDS[index]} wrote no executed notebook"


def _glued_of(command_runs, label: str) -> dict:
    """The glued values of the page a command solution wrote (its first command)."""
    from notebook_helpers import glued_values

    index = next(i for i, (found, _) in enumerate(COMMANDS) if found == label)
    returncode, stderr, made, _ = command_runs[index]
    assert returncode == 0 and made is not None, stderr
    return glued_values(json.loads(made.read_text(encoding="utf-8")))


# What the chapters say under these solutions' parameters (the runs above, read once more).

@pytest.mark.slow
def test_data_chapter_for_another_indicator_and_year(command_runs):
    assert COMMANDS[[label for label, _ in COMMANDS].index("data-ex-1")][1][3:] == [
        "-p", "indicator=urbanization_rate", "-p", "year=2016"]
    glued = _glued_of(command_runs, "data-ex-1")
    assert glued["map_label"] == "urbanization" and glued["map_year"] == "2016"


@pytest.mark.slow
@pytest.mark.snapshot
def test_data_chapter_for_another_indicator_and_year_on_todays_data(command_runs):
    glued = _glued_of(command_runs, "data-ex-1")
    assert glued["rural_income_2023"] == "21,691"
    assert glued["n_conflicts"] == "31"


@pytest.mark.slow
def test_paper_001_with_a_non_default_threshold(command_runs):
    assert dict(COMMANDS)["paper_001-ex-1"][3:] == ["-p", "threshold=40"]
    glued = _glued_of(command_runs, "paper_001-ex-1")
    assert glued["n_above"] == "9" and glued["threshold"] == "40"   # nine items of Table 1 print 40 % or more
    index = [label for label, _ in COMMANDS].index("paper_001-ex-1")
    notebook = json.loads(command_runs[index][2].read_text(encoding="utf-8"))
    figure_cells = [c for c in notebook["cells"] if "figure" in c["metadata"].get("mystnb", {})]
    assert any("image/png" in o.get("data", {}) for c in figure_cells for o in c["outputs"])
    box = next(c for c in notebook["cells"] if "ruralrev-parameters" in c["metadata"].get("tags", []))
    assert "`threshold` = `40.0`" in "".join(box["source"])


@pytest.mark.slow
def test_typology_chapter_with_ward_and_four_clusters(command_runs):
    from ruralrev.data import official
    from ruralrev.stats.clustering import partitions

    assert dict(COMMANDS)["typology-ex-1"][3:] == ["-p", "method=ward", "-p", "k=4"]
    glued = _glued_of(command_runs, "typology-ex-1")
    panel = official.load_panel()
    indicators = {c.name: c for c in CHAPTERS}["typology"].parameters["indicators"]
    year = partitions.latest_complete_year(panel, indicators)
    assert glued["k"] == "4" and glued["year"] == str(year) and glued["k_rule"] == "parameter"
    assert glued["guard_k_by_silhouette"] == "False"    # the page marks its sentence on the silhouette's k
    raw, z = partitions.feature_matrix(panel, year, indicators)
    labels = partitions.fit_partition(z, "ward", 4)
    regions = panel[panel["year"] == year].set_index("province").loc[z.index, "region"].astype(str)
    assert glued["ari_regions"] == f"{partitions.agreement(labels, regions):.2f}"

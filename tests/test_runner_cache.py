"""Execution cache, parallel runs, a killed run, parameter schemas and determinism."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from notebook_helpers import write_notebook
from process_helpers import HANG_GUARD_SECONDS, own_env, wait_until_gone

from ruralrev.book import execute, params, runner
from ruralrev.core import paths
from ruralrev.core.errors import RunError


def _notebook(path: Path, body: str = "print(n * 2)") -> Path:
    return write_notebook(path, body)


def _plan(tmp_path: Path, names=("one", "two"), body="print(n * 2)",
          schema="    schema:\n      n: {type: int}\n") -> Path:
    entries = []
    for name in names:
        _notebook(tmp_path / f"{name}.md", body)
        entries.append(f"  {name}:\n    source: {name}.md\n    output: out/{name}.ipynb\n"
                       f"    parameters:\n      n: 1\n{schema}")
    plan = tmp_path / "params.yml"
    plan.write_text("notebooks:\n" + "".join(entries), encoding="utf-8")
    return plan


def _chapters(plan: Path):
    return params.load_plan(plan, root=plan.parent)


def _outputs(path: Path) -> list:
    notebook = json.loads(path.read_text())
    return [c.get("outputs") for c in notebook["cells"] if c["cell_type"] == "code"]


@pytest.mark.slow
def test_cache_hits_and_misses(tmp_path):
    chapter = _chapters(_plan(tmp_path, names=("one",)))[0]
    environment = "env-1"
    assert execute.run_chapter(chapter, environment=environment)[1] is True
    assert execute.run_chapter(chapter, environment=environment)[1] is False          # nothing changed
    assert execute.run_chapter(chapter, {"n": 2}, environment=environment)[1] is True  # parameter
    assert execute.run_chapter(chapter, {"n": 2}, environment=environment)[1] is False
    assert execute.run_chapter(chapter, {"n": 2}, environment="env-2")[1] is True      # data or package
    _notebook(chapter.source, "print(n * 3)")
    assert execute.run_chapter(chapter, {"n": 2}, environment="env-2")[1] is True      # notebook source
    assert execute.run_chapter(chapter, {"n": 2}, environment="env-2", force=True)[1] is True


def test_environment_digest_follows_data_and_package_files(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "official").mkdir(parents=True)
    (data / "official" / "panel.csv").write_text("a,b\n1,2\n")
    monkeypatch.setattr(paths, "DATA", data)
    before = execute.environment_digest()
    assert execute.environment_digest() == before                    # stable
    (data / "official" / ".panel.csv.tmp").write_text("junk")         # temporaries do not count
    assert execute.environment_digest() == before
    (data / "official" / "panel.csv").write_text("a,b\n1,3\n")        # a data change does
    assert execute.environment_digest() != before
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text("x = 1\n")
    first = execute.tree_digest(package, "*.py")
    (package / "m.py").write_text("x = 2\n")
    assert execute.tree_digest(package, "*.py") != first            # a package change does


@pytest.mark.slow
def test_parallel_equals_serial(tmp_path):
    (tmp_path / "s").mkdir(); (tmp_path / "p").mkdir()
    serial_plan = _plan(tmp_path / "s", names=("a", "b", "c"))
    parallel_plan = _plan(tmp_path / "p", names=("a", "b", "c"))
    serial = runner.run_chapters(params_file=serial_plan, jobs=1, root=serial_plan.parent)
    parallel = runner.run_chapters(params_file=parallel_plan, jobs=2, root=parallel_plan.parent)
    assert [r.name for r in serial] == [r.name for r in parallel] == ["a", "b", "c"]
    assert {r.state for r in serial + parallel} == {"re-executed"}
    for name in "abc":
        assert _outputs(tmp_path / "s" / "out" / f"{name}.ipynb") == _outputs(tmp_path / "p" / "out" / f"{name}.ipynb")


def test_parameters_are_checked_against_the_schema_before_running(tmp_path):
    plan = _plan(tmp_path, names=("one",), schema="    schema:\n      n: {type: int, min: 0, max: 5}\n")
    with pytest.raises(RunError, match=r"one: parameter n=9: above the maximum 5"):
        runner.run_chapters(["one"], ["n=9"], params_file=plan, root=tmp_path)
    assert not (tmp_path / "out").exists()                           # nothing ran
    real = {c.name: c for c in params.load_plan()}
    with pytest.raises(RunError, match=r"typology: parameter method=dbscan: expected one of kmeans, ward, gmm"):
        params.validate_parameters(real["typology"], {**real["typology"].parameters, "method": "dbscan"})
    with pytest.raises(RunError, match=r"disparities: parameter ratio_year=2019: expected one of 2016, 2017, 2018, 2020"):
        params.validate_parameters(real["disparities"], {**real["disparities"].parameters, "ratio_year": 2019})
    params.validate_parameters(real["disparities"], {**real["disparities"].parameters, "ratio_year": 2020})
    params.validate_parameters(real["typology"], real["typology"].parameters)  # None defaults pass


@pytest.mark.slow
def test_a_killed_run_leaves_the_previous_output_and_cache_intact(tmp_path):
    plan = _plan(tmp_path, names=("slow",), body="import time\ntime.sleep(n)\nprint('finished')")
    chapters = _chapters(plan)
    execute.run_chapter(chapters[0], {"n": 0})
    output = chapters[0].output
    good = output.read_bytes()
    good_key = execute.cached_key(output)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    code = (f"from pathlib import Path; from ruralrev.book import runner; "
            f"runner.run_chapters(['slow'], ['n=60'], params_file=Path({str(plan)!r}), root=Path({str(tmp_path)!r}))")
    process = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, env=own_env(TMPDIR=str(scratch)),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import psutil

    parent = psutil.Process(process.pid)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any("ipykernel" in " ".join(p.cmdline())
                                                  for p in parent.children(recursive=True)):
        time.sleep(0.2)
    time.sleep(2)                                                     # the kernel is sleeping in the cell
    assert process.poll() is None, "the run ended before it could be killed"
    family = parent.children(recursive=True)
    os.killpg(process.pid, signal.SIGKILL)                            # no chance to clean up
    process.wait(timeout=HANG_GUARD_SECONDS)
    assert wait_until_gone(family) == []                              # workers die with the runner, kernels after
    assert output.read_bytes() == good                               # previous output untouched
    assert json.loads(output.read_text())["cells"]                   # and readable
    assert execute.cached_key(output) == good_key                   # cache still describes it
    assert [p.name for p in output.parent.iterdir()] == [output.name]
    left = [p.name for p in scratch.iterdir()]
    assert left and all(name.startswith("ruralrev-run-") for name in left)   # SIGKILL: nothing could clean up
    again = subprocess.run([sys.executable, "-c", code.replace("'n=60'", "'n=0'")], env=own_env(TMPDIR=str(scratch)),
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert list(scratch.iterdir()) == []                             # the next run removed the leftovers

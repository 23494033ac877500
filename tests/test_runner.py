"""The runner as a user meets it: a clean stop, failures that list every chapter, a lock, tidy output."""

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from notebook_helpers import write_notebook
from process_helpers import HANG_GUARD_SECONDS, own_env, wait_until_gone

from ruralrev.book import cli, params, publish, runner
from ruralrev.book.execute import environment_digest
from ruralrev.book.lock import checkout_lock
from ruralrev.core import paths
from ruralrev.core.errors import BuildLocked, UsageError


def _project(root: Path, bodies: dict[str, str]) -> Path:
    """A small project root: notebooks/params.yml, one notebook per body, outputs in book/executed."""
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    entries = []
    for name, body in bodies.items():
        write_notebook(root / "notebooks" / f"{name}.md", body)
        entries.append(f"  {name}:\n    source: notebooks/{name}.md\n    output: book/executed/{name}.ipynb\n"
                       "    parameters:\n      n: 1\n    schema:\n      n: {type: int, min: 0}\n")
    (root / "notebooks" / "params.yml").write_text("notebooks:\n" + "".join(entries), encoding="utf-8")
    return root


def _ruralrev(root: Path, *args: str, tmpdir: Path | None = None, own_kernels: bool = False,
              **popen) -> subprocess.Popen:
    """The command in a subprocess; with ``own_kernels``, without the test session's warm server
    (:func:`process_helpers.own_env`)."""
    env = {**(own_env() if own_kernels else os.environ), "RURALREV_ROOT": str(root),
           **({"TMPDIR": str(tmpdir)} if tmpdir else {})}
    return subprocess.Popen([sys.executable, "-m", "ruralrev.book.cli", *args], cwd=root, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def _cmdline(process) -> str:
    """A child's command line, or '' when it has just exited (a zombie or gone)."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def _kernel(process) -> str:
    """``"cold"`` for an ipykernel started as its own program, ``"warm"`` for one forked from the
    runner's warm server (named so by it), else ``""``."""
    try:
        if process.name() == "ipykernel-warm":
            return "warm"
    except psutil.Error:
        return ""
    return "cold" if "ipykernel" in _cmdline(process) else ""


def _snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def sleepers(tmp_path_factory):
    """A project of three chapters that sleep ``n`` seconds, run once with ``n=0``: the pages a
    stopped run must leave as they were (each test stops a run in its own copy)."""
    root = _project(tmp_path_factory.mktemp("sleepers"),
                    {name: "import time\ntime.sleep(n)\nprint('slept', n)" for name in ("a", "b", "c")})
    first = _ruralrev(root, "run", "-j", "2", "-p", "n=0")
    assert first.wait(timeout=300) == 0, first.stderr.read()
    return root


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGINT to the process group", "SIGTERM", "SIGHUP"])
def test_a_stopped_run_leaves_no_process_and_no_change(sleepers, tmp_path, how):
    root = tmp_path / "project"
    shutil.copytree(sleepers, root)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    before = _snapshot(root / "book" / "executed")
    assert sorted(before) == ["a.ipynb", "b.ipynb", "c.ipynb"]
    # The cells sleep an hour: a run that waited for them instead of stopping would hit the hang guard.
    process = _ruralrev(root, "run", "-j", "2", "--force", "-p", "n=3600", start_new_session=True, tmpdir=scratch,
                        own_kernels=True)
    try:
        _stop_and_check(process, how, root / "book" / "executed", before, scratch)
    finally:                                                  # after a failure, nothing sleeps on for an hour
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:                            # the run and its process group have ended
            pass
        process.wait()


def _stop_and_check(process, how, executed, before, scratch):
    parent = psutil.Process(process.pid)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until both kernels are executing their cells
        kernels = [p for p in parent.children(recursive=True) if _kernel(p)]
        if len(kernels) == 2:
            break
        time.sleep(0.2)
    assert len(kernels) == 2, "the kernels did not start"
    assert [_kernel(p) for p in kernels] == ["warm", "warm"]   # forked from the run's own server
    time.sleep(3)
    family = parent.children(recursive=True)
    assert len(family) >= 7        # two workers, their kernels' stubs, the server and the two kernels
    if how in {"SIGTERM", "SIGHUP"}:                          # SIGHUP: the terminal was closed
        process.send_signal(getattr(signal, how))
    else:
        os.killpg(process.pid, signal.SIGINT)                 # what Ctrl-C in a terminal does
    code = process.wait(timeout=HANG_GUARD_SECONDS)         # a guard against a hang, not a speed limit
    err = process.stderr.read()
    assert code == 130, err
    assert err.strip().splitlines()[-1] == "interrupted; 3 chapters kept as they were"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert wait_until_gone(family) == []                      # every worker and kernel ended
    assert _snapshot(executed) == before                      # nothing replaced, no temporary left
    assert list(scratch.iterdir()) == []                       # no scratch folder of the run or its workers


@pytest.mark.slow
def test_a_failing_chapter_is_listed_with_the_others_and_its_page_goes_stale(tmp_path, monkeypatch):
    root = _project(tmp_path, {"a": "print('a', n)", "b": "print('b', n)"})
    first = _ruralrev(root, "run", "-j", "2")
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert [line.split()[:3] for line in err.splitlines()[:2]] == [["[1/2]", "a", "re-executed"],
                                                                   ["[2/2]", "b", "re-executed"]]
    assert "Kernel is running" not in err and "[IPKernelApp]" not in err
    page = root / "book" / "executed" / "b.ipynb"
    assert stat.S_IMODE(page.stat().st_mode) & 0o044 == 0o044    # readable by group and others
    good = page.read_bytes()
    write_notebook(root / "notebooks" / "b.md", "value = 1 / (n - 1)")
    second = _ruralrev(root, "run", "-j", "2")
    out, err = second.communicate(timeout=300)
    assert second.returncode == 1
    lines = err.strip().splitlines()
    assert lines[0].split()[:3] == ["[1/2]", "a", "unchanged"]
    assert lines[1].split()[:3] == ["[2/2]", "b", "FAILED"]
    assert lines[2] == "summary: 1 unchanged (a), 1 failed (b)"
    assert "notebooks/b.md failed in code cell 2 ('value = 1 / (n - 1)'): ZeroDivisionError" in lines[3]
    assert "Traceback" not in err
    assert page.read_bytes() == good                              # the last good page is kept
    assert (root / "_build" / "reports" / "b.ipynb").is_file()   # with the failed run beside it
    monkeypatch.setattr(paths, "ROOT", root)
    monkeypatch.setattr(paths, "DATA", root / "data")
    chapters = params.load_plan(root / "notebooks" / "params.yml", root)

    assert publish.mark_stale(chapters, environment_digest()) == ["b"]
    cells = json.loads(page.read_text())["cells"]
    assert sum(publish.STALE_TAG in c["metadata"].get("tags", []) for c in cells) == 1
    write_notebook(root / "notebooks" / "b.md", "print('b', n)")
    assert publish.mark_stale(chapters, environment_digest()) == []  # the old source again: current
    assert page.read_bytes() == good


def test_a_second_build_in_the_same_checkout_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    with checkout_lock(tmp_path, "ruralrev build"):
        with pytest.raises(BuildLocked, match=r"another build is running in this checkout \(pid \d+: ruralrev build"):
            with checkout_lock(tmp_path):
                pass
        assert cli.main(["build", "--no-run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ruralrev: another build is running in this checkout") and "Traceback" not in err
    with checkout_lock(tmp_path):                                 # released with its holder
        pass


def test_an_unwritable_output_folder_is_one_message_before_anything_runs(tmp_path):
    root = _project(tmp_path, {"a": "print(n)"})
    (root / "book").write_text("a file where the output folder should be")
    with pytest.raises(UsageError, match=r"cannot write the executed notebooks to .*book/executed: .*nothing was run"):
        runner.run_chapters(params_file=root / "notebooks" / "params.yml", root=root)
    if os.geteuid() != 0:                                         # permissions do not bind root
        (root / "book").unlink()
        (root / "book" / "executed").mkdir(parents=True)
        (root / "book" / "executed").chmod(0o500)
        with pytest.raises(UsageError, match="cannot write"):
            runner.run_chapters(params_file=root / "notebooks" / "params.yml", root=root)


def test_the_summary_names_every_chapter():
    results = [runner.ChapterResult("a", "re-executed", 1.0), runner.ChapterResult("b", "unchanged"),
               runner.ChapterResult("c", "failed", 2.0, "boom"), runner.ChapterResult("d", "unchanged")]
    assert runner.summary_line(results) == "summary: 1 re-executed (a), 2 unchanged (b, d), 1 failed (c)"


def test_chapters_start_longest_first_and_unknown_ones_in_book_order():
    from dataclasses import replace

    plan = params.load_plan()
    queue = [replace(plan[0], name=name) for name in ["a", "b", "c", "d", "e"]]
    expected = {"a": 5.0, "b": None, "c": 41.5, "d": 13.1, "e": None}
    assert [c.name for c in runner.longest_first(queue, expected)] == ["c", "d", "a", "b", "e"]
    assert [c.name for c in runner.longest_first(queue, {})] == ["a", "b", "c", "d", "e"]   # a clean build


def _plan_paths(monkeypatch, root: Path) -> None:
    monkeypatch.setattr(paths, "ROOT", root)
    monkeypatch.setattr(paths, "DATA", root / "data")
    monkeypatch.setattr(paths, "PARAMS_FILE", root / "notebooks" / "params.yml")


def test_run_into_the_published_folder_takes_the_checkout_lock(tmp_path, monkeypatch, capsys):
    """`run --into book/executed` is a writer into the published folder like `run` and `build`."""
    root = _project(tmp_path, {"a": "print(n)"})
    _plan_paths(monkeypatch, root)
    published = root / "book" / "executed"
    published.mkdir(parents=True)
    with checkout_lock(root, "ruralrev build"):
        for into in (published, root / "book" / "other" / ".." / "executed"):
            assert cli.main(["run", "--into", str(into)]) == 2
            err = capsys.readouterr().err
            assert err.startswith("ruralrev: another build is running in this checkout (pid") and "Traceback" not in err
    assert list(published.iterdir()) == []                     # nothing was written


@pytest.mark.slow
def test_a_run_into_a_folder_cleans_only_what_a_killed_run_of_its_own_left(tmp_path, monkeypatch):
    """A user's own `.*.tmp` files in the --into folder stay; so do another live run's temporaries and
    scratch folders not made by the runner. Leftovers of a killed run (their lock died with it) go."""
    import fcntl

    from ruralrev.core import files

    root = _project(tmp_path, {"a": "print(n)"})
    into, scratch = tmp_path / "thesis", tmp_path / "tmp"
    into.mkdir()
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr("tempfile.tempdir", None)
    mine = [into / ".thesis.tmp", into / ".a.ipynb.tmp", into / ".draft.ruralrev-abcdefgh.tmp"]
    for path in mine:
        path.write_text("my own work")
    killed = into / ".a.ipynb.ruralrev-k1ll3d00.tmp"            # named as the runner's own, nobody holds it
    killed.write_text("half a page")
    live = into / ".a.ipynb.ruralrev-l1ve0000.tmp"              # another run still writing it
    live.write_text("being written")
    dead_folder, live_folder, foreign = scratch / "ruralrev-run-d3ad", scratch / "ruralrev-run-l1ve", scratch / "ruralrev-run-x"
    for folder in (dead_folder, live_folder, foreign):
        folder.mkdir()
        (folder / "a.job.json").write_text("{}")
    (dead_folder / files.OWNER_FILE).write_text("")
    (live_folder / files.OWNER_FILE).write_text("")
    holds = [os.open(live, os.O_RDONLY), os.open(live_folder / files.OWNER_FILE, os.O_RDONLY)]
    try:
        for fd in holds:
            fcntl.flock(fd, fcntl.LOCK_EX)
        results = runner.run_chapters(params_file=root / "notebooks" / "params.yml", root=root, into=into)
        assert [r.state for r in results] == ["re-executed"]
        assert all(path.read_text() == "my own work" for path in mine)
        assert not killed.exists() and live.exists()
        assert not dead_folder.exists() and live_folder.is_dir() and foreign.is_dir()
        assert sorted(p.name for p in scratch.iterdir()) == ["ruralrev-run-l1ve", "ruralrev-run-x"]
    finally:
        for fd in holds:
            os.close(fd)

"""Warm kernels (ruralrev.book.warm_kernels): forked kernels give the pages cold ones give.

The runner's stop tests (tests/test_runner.py) check that a stopped run ends its warm server and
the kernels forked from it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from notebook_helpers import write_notebook

from ruralrev.book import runner, warm_kernels

pytestmark = pytest.mark.skipif(not warm_kernels.available(), reason="warm kernels need Linux (fork, prctl)")

PROBE = """import os, sys, tempfile
import matplotlib.pyplot as plt
print(open('/proc/self/comm').read().strip())
print(os.getcwd().endswith('notebooks'), sys.path)
print(tempfile.gettempdir() == os.environ['TMPDIR'], os.path.basename(os.environ['TMPDIR']).startswith('ruralrev-run-'))
print(os.environ.get('PROBE_VALUE'))
plt.plot([0, 1], [1, 0])
plt.show()"""


def _probe_project(root: Path, names=("a", "b")) -> Path:
    (root / "notebooks").mkdir(parents=True)
    entries = []
    for name in names:
        write_notebook(root / "notebooks" / f"{name}.md", PROBE)
        entries.append(f"  {name}:\n    source: notebooks/{name}.md\n    output: book/executed/{name}.ipynb\n"
                       "    parameters:\n      n: 1\n    schema:\n      n: {type: int, min: 0}\n")
    (root / "notebooks" / "params.yml").write_text("notebooks:\n" + "".join(entries), encoding="utf-8")
    return root


def _outputs(notebook: Path) -> list:
    return [cell.get("outputs") for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]]


def _probe_lines(notebook: Path) -> tuple[list[str], bool]:
    outputs = _outputs(notebook)[-1]
    text = "".join("".join(o.get("text", "")) for o in outputs if o.get("output_type") == "stream")
    return text.split("\n")[:4], any("image/png" in o.get("data", {}) for o in outputs)


def _run(names: list[str], **options) -> list[runner.ChapterResult]:
    with open(os.devnull, "w") as quiet:
        return runner.run_chapters(names, force=True, stream=quiet, **options)


def _run_probes(root: Path, names: list[str], jobs: int = 1) -> dict[str, tuple[list[str], bool]]:
    results = _run(names, root=root, params_file=root / "notebooks" / "params.yml", jobs=jobs)
    assert [r.state for r in results] == ["re-executed"] * len(names), [r.error for r in results]
    return {name: _probe_lines(root / "book" / "executed" / f"{name}.ipynb") for name in names}


@pytest.mark.slow
def test_a_forked_kernel_has_a_cold_kernels_folder_path_environment_and_inline_figures(tmp_path, monkeypatch):
    """Two chapters: the runner starts a server and each kernel is a fork of it (its process name).
    Its working folder, ``sys.path``, environment (a variable set for this run only; the run's
    scratch folder as its temporary folder, though the server's was another) and inline figures are
    those of a kernel started cold (no server reachable, or warm kernels off)."""
    root = _probe_project(tmp_path / "project")
    monkeypatch.setenv("PROBE_VALUE", "set for this run")
    monkeypatch.delenv(warm_kernels.ENV, raising=False)
    warm = _run_probes(root, ["a", "b"], jobs=2)
    assert [lines[0] for lines, _ in warm.values()] == ["ipykernel-warm"] * 2
    assert warm["a"][0][2:] == ["True True", "set for this run"] and warm["a"][1]   # a figure, inline
    for value in ("ruralrev-warm-no-such-server@1", warm_kernels.OFF):
        monkeypatch.setenv(warm_kernels.ENV, value)
        (lines, figure), = _run_probes(root, ["a"]).values()
        assert lines[0] == "python"
        assert (lines[1:], figure) == (warm["a"][0][1:], warm["a"][1])
    # A server of this environment forks the kernel; one that has a variable more serves it cold.
    for extra, kind in (({}, "ipykernel-warm"), ({"ONLY_THE_SERVER_HAS_THIS": "1"}, "python")):
        scratch = tmp_path / f"server-{kind}"
        scratch.mkdir()
        process, address = warm_kernels.start_server(scratch, {**runner.kernel_environment(scratch), **extra})
        try:
            monkeypatch.setenv(warm_kernels.ENV, address)
            (lines, figure), = _run_probes(root, ["a"]).values()
        finally:
            runner.kill_tree(process)
        log = (scratch / "warm-kernels.log").read_text()
        assert lines[0] == kind, log
        assert ("cold: ONLY_THE_SERVER_HAS_THIS" in log) == bool(extra), log
        assert (lines[1:], figure) == (warm["a"][0][1:], warm["a"][1])


@pytest.mark.slow
def test_forked_kernels_give_every_output_cold_kernels_give(tmp_path, monkeypatch):
    """Two chapters of the book (text, tables, four figures and their records), warm and cold."""
    outputs = {}
    for mode in ("warm", "cold"):
        if mode == "warm":
            monkeypatch.delenv(warm_kernels.ENV, raising=False)   # the runner's own server
        else:
            monkeypatch.setenv(warm_kernels.ENV, warm_kernels.OFF)
        into = tmp_path / mode
        results = _run(["paper_001", "paper_004"], jobs=2, into=into)
        assert [r.state for r in results] == ["re-executed", "re-executed"], [r.error for r in results]
        outputs[mode] = {name: _outputs(into / f"{name}.ipynb") for name in ("paper_001", "paper_004")}
    assert sum(json.dumps(o).count("image/png") for o in outputs["warm"]["paper_001"]) == 4
    assert outputs["warm"] == outputs["cold"]


@pytest.mark.slow
def test_the_server_imports_the_stack_but_not_the_inline_backend_and_runs_no_thread(tmp_path):
    """And its imports show no warning (a cold kernel would show it on the page; the server would
    then serve every kernel cold)."""
    code = ("from ruralrev.book import warm_kernels as w\nimport sys\nmissing, shown = w.preimport()\n"
            "print(missing, shown, 'matplotlib_inline.backend_inline' in sys.modules, 'sklearn.cluster' in sys.modules, "
            "w._threads())")
    env = {**runner.kernel_environment(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                          check=False, cwd=tmp_path)
    assert done.stdout.split() == ["[]", "[]", "False", "True", "1"], done.stderr


def test_a_request_from_another_interpreter_or_environment_is_served_cold():
    """Any variable but the per-kernel ones must be the server's (PYTHONHASHSEED, a locale, a
    library's setting: each may have been read at import)."""
    start = {"OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": warm_kernels.INLINE_BACKEND, "PYTHONHASHSEED": "0",
             "TMPDIR": "/tmp/a", "JPY_PARENT_PID": "1"}
    same = {"executable": sys.executable, "env": {"OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0",
                                                  "TMPDIR": "/tmp/b", "JPY_PARENT_PID": "2", "JPY_SESSION_NAME": "x"}}
    assert warm_kernels._differences(same, start) == []
    assert warm_kernels._differences({**same, "env": {**same["env"], "PYTEST_CURRENT_TEST": "t (call)"}}, start) == []
    assert warm_kernels._differences({**same, "executable": "/usr/bin/python3"}, start) == ["another interpreter"]
    for changed, name in (({"PYTHONHASHSEED": "1"}, "PYTHONHASHSEED"), ({"LANG": "C"}, "LANG"),
                          ({"MPLBACKEND": "Agg"}, "MPLBACKEND"), ({"SCIPY_ARRAY_API": "1"}, "SCIPY_ARRAY_API")):
        assert warm_kernels._differences({**same, "env": {**same["env"], **changed}}, start) == [name]
    assert warm_kernels._differences({**same, "env": {"OPENBLAS_NUM_THREADS": "1"}}, start) == ["PYTHONHASHSEED"]
    # a variable the server's imports set (pyproj: PROJ_CURL_CA_BUNDLE): the request may carry the same value
    imported = {"PROJ_CURL_CA_BUNDLE": "/etc/ssl/certs/ca.crt"}
    assert warm_kernels._differences({**same, "env": {**same["env"], **imported}}, start, imported) == []
    other = {"PROJ_CURL_CA_BUNDLE": "/elsewhere.crt"}
    assert warm_kernels._differences({**same, "env": {**same["env"], **other}}, start, imported) == ["PROJ_CURL_CA_BUNDLE"]


@pytest.mark.slow
def test_the_test_sessions_chapter_runs_fork_from_its_server(tmp_path, warm_kernel_server):
    """The suite's runs use the session's server (tests/conftest.py): neither a variable pytest sets
    per test (``PYTEST_CURRENT_TEST``) nor those pyproj and pyogrio set when the test process imports
    them (as the server's imports did) send them cold."""
    if warm_kernel_server is None:
        pytest.skip("this session started no warm server (no slow test selected, or not Linux)")
    import pyogrio  # noqa: F401
    import pyproj  # noqa: F401
    root = _probe_project(tmp_path / "project", names=("a",))
    (lines, figure), = _run_probes(root, ["a"]).values()
    assert lines[0] == "ipykernel-warm" and figure

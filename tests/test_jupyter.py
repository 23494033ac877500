"""Jupyter in the box: a downloaded executed chapter runs with nbconvert anywhere; JupyterLab opens MyST chapters."""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ruralrev.book import execute, params
from ruralrev.book.page_items import read_items
from ruralrev.core import paths

BIN = Path(sys.executable).parent


def _glued(notebook: dict) -> dict:
    return {g.name: g.value for g in read_items(notebook).glued}


@pytest.mark.slow
def test_a_downloaded_executed_notebook_runs_with_nbconvert_from_an_unrelated_folder(tmp_path):
    """What the page's download box promises: `jupyter nbconvert --to notebook --execute NAME.ipynb`."""
    chapter = {c.name: c for c in params.load_plan()}["paper_003"]
    executed = tmp_path / "book" / "paper_003.ipynb"
    execute.run_chapter(params.Chapter(chapter.name, chapter.source, executed, chapter.parameters, chapter.schema),
                         params.parse_overrides(["start_year=2018"], chapter), force=True)
    downloads = tmp_path / "elsewhere" / "downloads"
    downloads.mkdir(parents=True)
    (downloads / "paper_003.ipynb").write_bytes(executed.read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("RURALREV_")}
    result = subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "notebook", "--execute", "paper_003.ipynb",
                             "--output", "again.ipynb"], cwd=downloads, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    again = json.loads((downloads / "again.ipynb").read_text())
    assert _glued(again) == _glued(json.loads(executed.read_text()))   # the page's parameters, same numbers
    assert _glued(again)["start"] == "'2018'"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_jupyterlab_opens_a_myst_chapter_as_a_notebook(tmp_path):
    spec = importlib.util.spec_from_file_location("tasks", paths.ROOT / "tasks.py")
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    tasks._lab_settings()                                        # what `python3.11 tasks.py lab` writes first
    port, token = _free_port(), "ruralrev-test"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "ws")}
    # the command `python3.11 tasks.py lab` runs (with --allow-root when run as root), plus a port and token
    server = subprocess.Popen(tasks.lab_command(["--no-browser", f"--port={port}", "--ip=127.0.0.1",
                                                 f"--IdentityProvider.token={token}"]),
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def get(path: str) -> dict:
        request = urllib.request.Request(base + path, headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                get("/api/status")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
        model = get("/api/contents/notebooks/paper_001.md?type=notebook&content=1")
        assert model["type"] == "notebook"
        tags = [cell["metadata"].get("tags", []) for cell in model["content"]["cells"]]
        assert ["parameters"] in tags
        settings = get("/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
        viewers = settings["schema"]["properties"]["defaultViewers"]["default"]   # overrides.json sets defaults
        assert viewers["myst"] == viewers["markdown"] == "Jupytext Notebook"
    finally:
        server.terminate()
        server.wait(timeout=20)

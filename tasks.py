#!/usr/bin/env python3
"""The project's entry points, runnable with nothing but Python 3.11.

    python3.11 tasks.py book     # install into .venv (once), execute every notebook, build the HTML book
    python3.11 tasks.py test     # install into .venv (once), run the test suite
    python3.11 tasks.py student  # the book, then the student edition without solutions (_build/student)
    python3.11 tasks.py lab      # install into .venv (once), start JupyterLab on the chapters
    python3.11 tasks.py lab --student  # JupyterLab on the student notebooks (no solutions, numbers in the prose)
    python3.11 tasks.py env      # only install (or update) .venv

The first run creates ``.venv`` with the exact versions in ``constraints.txt`` (and again
whenever ``pyproject.toml`` or ``constraints.txt`` change), so a fresh machine needs no other
setup. The installer is uv (installed first from PyPI with pip, at the version the lock pins),
which installs the lock several times faster than pip; ``RURALREV_INSTALLER=pip`` uses pip
alone, and a failing uv falls back to pip. Extra arguments after ``test`` go to pytest; after
``book`` to ``ruralrev build``; after ``lab`` to ``jupyter lab``.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".ruralrev-install-stamp"
#: JupyterLab opens the MyST chapters (.md) as notebooks through jupytext.
LAB_SETTINGS = {"@jupyterlab/docmanager-extension:plugin": {
    "defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}}


#: Changing how the lock is installed re-installs an existing .venv once (part of its stamp).
INSTALL_VERSION = b"2: bytecode compiled at install"


def _install_key() -> str:
    digest = hashlib.sha256(INSTALL_VERSION)
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _pip(*args: str) -> list[str]:
    return [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q", *args]


def _install_with_uv() -> bool:
    """Install the lock with uv; False (after saying why) if uv cannot be used here."""
    try:
        subprocess.run(_pip("-c", "constraints.txt", "uv"), cwd=ROOT, check=True)
        # --compile-bytecode: pip writes the .pyc files at install, uv only on request. Without them
        # every process compiles the scientific stack again wherever PYTHONDONTWRITEBYTECODE is set
        # (as in CI containers): importing pandas, scipy, scikit-learn and matplotlib took 6.1 s
        # instead of 2.2 s, in every worker, kernel and test process.
        subprocess.run([str(BIN / "uv"), "pip", "install", "--quiet", "--compile-bytecode", "--python",
                        str(BIN / "python"), "-c", "constraints.txt", "-e", ".[test]"], cwd=ROOT, check=True)
        return True
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"tasks: uv could not install the lock ({exc}); installing with pip instead", flush=True)
        return False


def ensure_environment(installer: str | None = None) -> None:
    """Create ``.venv`` and install the pinned environment unless it is already current."""
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"ruralrev needs Python 3.11 (this is {sys.version.split()[0]}); run it with python3.11")
    key = _install_key()
    if STAMP.exists() and STAMP.read_text() == key:
        return
    installer = installer or os.environ.get("RURALREV_INSTALLER", "uv")
    if installer not in {"uv", "pip"}:
        sys.exit(f"RURALREV_INSTALLER must be 'uv' or 'pip', not {installer!r}")
    started = time.perf_counter()
    if not (BIN / "python").exists():
        print("tasks: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print(f"tasks: installing pinned dependencies (constraints.txt) with {installer}", flush=True)
    if installer == "pip" or not _install_with_uv():
        subprocess.run(_pip("-c", "constraints.txt", "-e", ".[test]"), cwd=ROOT, check=True)
    STAMP.write_text(key)
    print(f"tasks: environment ready in {time.perf_counter() - started:.0f} s", flush=True)


def _lab_settings() -> None:
    """JupyterLab settings of this environment only (never the user's): .md chapters open as notebooks."""
    folder = VENV / "share" / "jupyter" / "lab" / "settings"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overrides.json").write_text(json.dumps(LAB_SETTINGS, indent=2) + "\n", encoding="utf-8")


#: Where ``ruralrev student`` writes the student notebooks that ``tasks.py lab --student`` opens.
STUDENT_LAB = Path("_build") / "student" / "lab"


def student_edition(env: dict) -> int:
    """Build the book, then the student edition (``ruralrev student``, ruralrev.book.student): the
    pages, their downloads and the search index without any solution (_build/student/_build/html),
    and notebooks for JupyterLab without solutions (_build/student/lab)."""
    built = _run([str(BIN / "ruralrev"), "build"], env)
    if built:
        return built
    return _run([str(BIN / "ruralrev"), "student"], env)


def _run(cmd: list[str], env: dict) -> int:
    """Run a command in the project folder and return its exit code.

    Ctrl-C reaches the command too (same process group); SIGINT or SIGTERM sent to this script
    alone are passed on. Either way the command stops itself cleanly and its exit code is returned.
    """
    process = subprocess.Popen(cmd, cwd=ROOT, env=env)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda number, frame: process.send_signal(number))
    return process.wait()


def lab_command(extra: list[str], student: bool = False) -> list[str]:
    """``jupyter lab`` on the chapters (``student``: on the student notebooks, opened at their
    folder); as root (a container's usual user) with ``--allow-root``, without which Jupyter
    refuses to start."""
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    folder = ROOT / STUDENT_LAB if student else ROOT
    start = "/lab/tree" if student else "/lab/tree/notebooks"
    return [str(BIN / "jupyter"), "lab", f"--notebook-dir={folder}", f"--ServerApp.default_url={start}",
            *as_root, *extra]


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"book", "test", "env", "student", "lab"}:
        print(__doc__)
        return 2
    ensure_environment()
    task, rest = argv[0], argv[1:]
    env = dict(os.environ, PYTHONHASHSEED="0")
    if task == "env":
        return 0
    if task == "student":
        return student_edition(env)
    if task == "book":
        cmd = [str(BIN / "ruralrev"), "build", *rest]
    elif task == "lab":
        _lab_settings()
        student = "--student" in rest
        rest = [arg for arg in rest if arg != "--student"]
        if student:   # the notebooks from the book's executed pages (run `tasks.py book` first)
            made = _run([str(BIN / "ruralrev"), "student", "--no-html"], env)
            if made:
                return made
        cmd = lab_command(rest, student=student)
    else:
        # two pytest workers, each test file whole on one of them (files share module fixtures
        # that execute chapters), the longest files first (tests/conftest.py orders them; xdist's
        # own reordering by test count is off); `-n 0` after `test` runs in one process
        workers = os.environ.get("RURALREV_TEST_WORKERS", "2")
        cmd = [str(BIN / "python"), "-m", "pytest", "-n", workers, "--dist", "loadfile", "--no-loadscope-reorder", *rest]
    return _run(cmd, env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""The project's two entry points, runnable with nothing but Python 3.11.

    python3 tasks.py book   # install into .venv (once), execute every notebook, build the HTML book
    python3 tasks.py test   # install into .venv (once), run the test suite
    python3 tasks.py student  # the book, then the student edition without solutions (_build/student)

Both create ``.venv`` with the exact versions in ``constraints.txt`` the first time (and again
whenever ``pyproject.toml`` or ``constraints.txt`` change), so a fresh machine needs no other
setup. Extra arguments after ``test`` go to pytest; after ``book`` to ``ruralrev build``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".ruralrev-install-stamp"


def _install_key() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    """Create ``.venv`` and install the pinned environment unless it is already current."""
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"ruralrev needs Python 3.11 (this is {sys.version.split()[0]}); run it with python3.11")
    key = _install_key()
    if STAMP.exists() and STAMP.read_text() == key:
        return
    if not (BIN / "python").exists():
        print("tasks: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("tasks: installing pinned dependencies (constraints.txt)", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["-c", "constraints.txt", "-e", ".[test]"], cwd=ROOT, check=True)
    STAMP.write_text(key)


def student_edition(env: dict) -> int:
    """Build the book, then the student edition: the same pages with every solution removed
    (sphinx-exercise's hide_solutions, switched on by RURALREV_EDITION=student in ruralrev.site)."""
    built = subprocess.run([str(BIN / "ruralrev"), "build"], cwd=ROOT, env=env).returncode
    if built:
        return built
    print("tasks: building the student edition (no solutions) into _build/student/_build/html", flush=True)
    return subprocess.run([str(BIN / "jupyter-book"), "build", ".", "--path-output", "_build/student",
                           "--warningiserror", "--keep-going", "--quiet"],
                          cwd=ROOT, env=dict(env, RURALREV_EDITION="student")).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"book", "test", "env", "student"}:
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
    else:
        cmd = [str(BIN / "python"), "-m", "pytest", *rest]
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

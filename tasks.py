#!/usr/bin/env python3
"""The project's two entry points, runnable with nothing but Python 3.11.

    python3 tasks.py book   # install into .venv (once), execute every notebook, build the HTML book
    python3 tasks.py test   # install into .venv (once), run the test suite

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


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"book", "test", "env"}:
        print(__doc__)
        return 2
    ensure_environment()
    task, rest = argv[0], argv[1:]
    env = dict(os.environ, PYTHONHASHSEED="0")
    if task == "env":
        return 0
    if task == "book":
        cmd = [str(BIN / "ruralrev"), "build", *rest]
    else:
        cmd = [str(BIN / "python"), "-m", "pytest", *rest]
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Sphinx builds of the tests' small projects, each in a fresh process forked from the test's.

``python -m sphinx`` in a subprocess imports Sphinx, MyST, myst-nb, the theme and the book's
extension again for each build (about 3 s of CPU), for a project that then builds in 0.2 s.
:func:`build_html` imports them once in the test worker and runs the same entry point
(``sphinx.cmd.build.build_main``, what ``python -m sphinx`` runs) in a child forked from it. Each
build is still a process of its own, started with the test's environment and folder: extensions'
setup state and Sphinx's and docutils' registries are never shared between two builds (in one
process they are, and a myst-nb project built after a MyST one fails with "Source parser for
markdown not registered"). Without ``os.fork`` (not Linux) it runs ``python -m sphinx``.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import subprocess
import sys
import traceback
from pathlib import Path

#: Imported in the test worker before its first build. The worker then imports every module a build
#: imported (:data:`_IMPORTED_BY_BUILDS`), so the next builds find them loaded. Extensions are
#: imported there, never set up: setting them up is the build's, in its own process.
PRELOAD = ["sphinx.cmd.build", "myst_parser", "myst_nb", "sphinx_book_theme", "ruralrev.book.sphinx.extension"]
_IMPORTED_BY_BUILDS: dict[str, None] = {}


def _preload() -> None:
    for name in [*PRELOAD, *_IMPORTED_BY_BUILDS]:
        if name not in sys.modules:
            with contextlib.suppress(Exception):   # a module that only imports inside its package's import
                importlib.import_module(name)


def _child(argv: list[str], pipe: int) -> None:
    """In the forked process: Sphinx's command; its exit status, its output and the modules it
    imported written to ``pipe``."""
    code = 1
    try:
        from sphinx.cmd.build import build_main

        loaded = set(sys.modules)

        stdout, stderr = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                code = build_main(argv)
        except BaseException:   # noqa: BLE001 - reported to the test as the command's own error would be
            stderr.write(traceback.format_exc())
            code = 1
        with os.fdopen(pipe, "w", encoding="utf-8") as out:
            json.dump([code, stdout.getvalue(), stderr.getvalue(), [m for m in sys.modules if m not in loaded]], out)
    finally:
        os._exit(0)   # never back into pytest; the status travels in the pipe


def build_html(source: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    """``sphinx -q [options] -b html source out``, in a fresh process: its exit status and output.

    Returns the result as :func:`subprocess.run` would, so a test reads ``returncode`` and
    ``stderr`` (Sphinx's warnings and errors) as it would from the command."""
    argv = ["-q", *options, "-b", "html", str(source), str(out)]
    if not hasattr(os, "fork"):
        return subprocess.run([sys.executable, "-m", "sphinx", *argv], capture_output=True, text=True, timeout=300)
    _preload()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _child(argv, write_end)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    returncode, stdout, stderr, imported = json.loads(text) if text else (1, "", "the Sphinx process ended without a result", [])
    _IMPORTED_BY_BUILDS.update(dict.fromkeys(imported))
    return subprocess.CompletedProcess(["sphinx", *argv], returncode, stdout, stderr)

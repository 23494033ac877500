"""Sphinx builds of the tests' small projects, each in a fresh process forked from a warm one.

``python -m sphinx`` in a subprocess imports Sphinx, MyST, myst-nb, the theme and the book's
extension again for each build (about 3 s of CPU), for a project that then builds in 0.2 s.
:func:`build_html` sends the build to a small server, started once per test worker, that has
imported them and forks a child for each build; the child runs the same entry point
(``sphinx.cmd.build.build_main``, what ``python -m sphinx`` runs) with the test's environment,
folder and ``sys.path[0]``. The server never builds anything itself, so every build starts from a
process that only imported modules: no extension's setup, no registry of Sphinx or docutils, no
patch a test made in its own process (``test_sphinx_numref`` builds in-process) reaches a build.
After each build the server imports the modules that build imported, so the next one finds them
loaded.

Limits, against a real ``python -m sphinx``: what a module reads from the environment when it is
imported comes from the server's start, so the server is started again when a ``RURALREV_*`` or
``PYTHON*`` variable differs from then (:data:`IMPORT_TIME`); and output written straight to the
file descriptors (by C code or a subprocess) goes to the test worker's stderr, not to the
result's ``stderr``. Elsewhere than Linux it runs ``python -m sphinx``.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import select
import signal
import subprocess
import sys
import traceback
from pathlib import Path

#: Imported by the server before its first fork.
PRELOAD = ["sphinx.cmd.build", "myst_parser", "myst_nb", "sphinx_book_theme", "ruralrev.book.sphinx.extension"]
#: Prefixes of the variables a module may read when it is imported (the book's root, Python's own).
IMPORT_TIME = ("RURALREV_", "PYTHON")
#: How long a build may take before the test fails (a hang guard: the tests' projects build in a second).
TIMEOUT = 300
_server: subprocess.Popen | None = None
_server_env: dict[str, str] = {}


def _import(names) -> None:
    for name in names:
        if name not in sys.modules:
            with contextlib.suppress(Exception):   # a module that only imports inside its package's import
                importlib.import_module(name)


def _build_in_child(request: dict, pipe: int) -> None:
    """In the forked child: the test's environment and folder, then Sphinx's command; its exit
    status, its output and the modules it imported go to ``pipe`` as one line of JSON."""
    try:
        from sphinx.cmd.build import build_main

        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        sys.path[0] = request["cwd"]               # as for ``python -m sphinx`` started there
        loaded = set(sys.modules)
        stdout, stderr = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                code = build_main(request["argv"])
        except BaseException:   # noqa: BLE001 - reported as the command's own error would be
            stderr.write(traceback.format_exc())
            code = 1
        with os.fdopen(pipe, "w", encoding="utf-8") as out:
            json.dump([code, stdout.getvalue(), stderr.getvalue(), [m for m in sys.modules if m not in loaded]], out)
    finally:
        os._exit(0)


def serve() -> None:
    """The server: one JSON request per line on its input, one JSON answer per line on its output."""
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)                      # whatever a build prints to fd 1 must not mix with the answers
    _import(PRELOAD)
    for line in sys.stdin:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            _build_in_child(json.loads(line), write_end)
        os.close(write_end)
        with os.fdopen(read_end, encoding="utf-8") as pipe:
            text = pipe.read()
        _, status = os.waitpid(pid, 0)
        try:
            answer = json.loads(text)
        except ValueError:             # the child died before it had written its whole answer
            answer = [1, "", f"the Sphinx process ended without a result (wait status {status})", []]
        answers.write(json.dumps(answer) + "\n")
        answers.flush()
        _import(answer[3])


def _stop_server() -> None:
    """Kill the server and a build it still runs (its own process group), and reap it."""
    global _server
    if _server is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(_server.pid, signal.SIGKILL)
        _server.wait()
        _server = None


def build_html(source: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    """``sphinx -q [options] -b html source out``, in a fresh process: its exit status and output.

    Returns the result as :func:`subprocess.run` would, so a test reads ``returncode`` and
    ``stderr`` (Sphinx's warnings and errors) as it would from the command."""
    global _server, _server_env
    argv = ["-q", *options, "-b", "html", str(source), str(out)]
    if not sys.platform.startswith("linux"):
        return subprocess.run([sys.executable, "-m", "sphinx", *argv], capture_output=True, text=True, timeout=TIMEOUT)
    env = {name: value for name, value in os.environ.items() if name.startswith(IMPORT_TIME)}
    if _server is not None and (_server.poll() is not None or env != _server_env):
        _stop_server()
    if _server is None:
        # its own process group, so that a hung build goes with it; it ends when the worker does (its input closes)
        _server = subprocess.Popen([sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   text=True, start_new_session=True)
        _server_env = env
    try:
        _server.stdin.write(json.dumps({"argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}) + "\n")
        _server.stdin.flush()
        ready, _, _ = select.select([_server.stdout], [], [], TIMEOUT)
        if not ready:
            raise TimeoutError(f"sphinx {' '.join(argv)} did not end within {TIMEOUT} s")
        line = _server.stdout.readline()
        if not line:
            raise RuntimeError(f"the Sphinx build server ended (status {_server.poll()}) during sphinx {' '.join(argv)}")
    except BaseException:
        _stop_server()                 # a request half-served must not answer the next one
        raise
    returncode, stdout, stderr, _ = json.loads(line)
    return subprocess.CompletedProcess(["sphinx", *argv], returncode, stdout, stderr)


if __name__ == "__main__":
    serve()

"""What the book's own processes (runner workers, kernels, the Sphinx build) do as they start and end.

Never run on a reader's ``import ruralrev``.
"""

import importlib.abc
import importlib.util
import os
import sys

__all__ = ["DOCSTRING_NOTES", "KERNEL_UNUSED_IMPORTS", "UNUSED_IMPORT", "die_with", "exit_code", "exit_without_teardown",
           "keep_docstrings", "skip_unused_import"]

#: An optional package that jsonschema imports (when installed, as JupyterLab's dependencies
#: install it) only to offer an IRI format check; building its grammar costs about a second per
#: process, and nbformat (papermill, ``myst_nb.glue``, Sphinx) never asks for that check.
UNUSED_IMPORT = "rfc3987_syntax"

#: Optional packages a library imports in the book's kernels only to offer what no chapter uses:
#: libpysal opens SQL databases through sqlalchemy when it is installed (jupyter-cache installs it
#: for the Sphinx build), at about 0.2 s of every import of libpysal.
KERNEL_UNUSED_IMPORTS = ("sqlalchemy",)


def skip_unused_import(kernel: bool = False) -> None:
    """Make ``import rfc3987_syntax`` fail fast in this process (jsonschema then leaves out the IRI
    format check it would offer, and nothing else changes); a no-op once it has been imported.
    Called by the book's own processes only: the runner's workers and kernels and the Sphinx
    build, never on a reader's import of the package. With ``kernel``, also
    :data:`KERNEL_UNUSED_IMPORTS` (a kernel of the runner: the Sphinx build needs them)."""
    for name in (UNUSED_IMPORT, *(KERNEL_UNUSED_IMPORTS if kernel else ())):
        sys.modules.setdefault(name, None)


#: The module (and the name in it) whose ``xp_capabilities`` decorator parses the docstring of each
#: function it decorates as the module that defines it is imported — about 600 when scipy.stats is
#: imported, 0.15–0.2 s of CPU per process — only to append a table of the array libraries the function supports.
DOCSTRING_NOTES = ("scipy._lib._array_api", "FunctionDoc")


class _DocstringKept:
    """Stands in for the docstring parser where scipy appends its note: the note goes to a list
    nothing reads, and the docstring comes back as written (scipy drops its first line, the
    signature a parser would have put there)."""

    def __init__(self, function):
        self._doc = getattr(function, "__doc__", None) or ""

    def __getitem__(self, section: str) -> list:
        return []

    def __str__(self) -> str:
        return "\n" + self._doc


class _AfterImport(importlib.abc.MetaPathFinder):
    """Replaces ``DOCSTRING_NOTES`` once its module has run, before any module it decorates is
    imported; then steps aside (a no-op if scipy's internals no longer have that name)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != DOCSTRING_NOTES[0]:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            if hasattr(module, DOCSTRING_NOTES[1]):
                setattr(module, DOCSTRING_NOTES[1], _DocstringKept)

        spec.loader.exec_module = exec_module
        return spec


def keep_docstrings() -> None:
    """In this process, scipy leaves its functions' docstrings as written instead of parsing each
    at import to append a note on array-library support (:data:`DOCSTRING_NOTES`); nothing else
    changes. Called in the runner's kernels (and its warm server) before scipy is imported: no
    chapter reads a docstring. A no-op once scipy has loaded that module."""
    if DOCSTRING_NOTES[0] not in sys.modules and not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport())


def die_with(parent: int) -> None:
    """On Linux, end this process (SIGKILL) when ``parent`` ends, even by SIGKILL
    (``PR_SET_PDEATHSIG``); at once if it has ended already (this process then has another parent).
    A no-op elsewhere. Used by the runner's workers, the warm-kernel server, its kernels and stubs."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def exit_code(exc: SystemExit) -> int:
    """The exit status ``sys.exit(code)`` gives: 0 for None, the number itself, else 1 (Python
    prints any other object on standard error)."""
    return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)


def exit_without_teardown(code: int = 0) -> None:
    """End this process now with ``code``, after flushing its standard streams, without Python's
    teardown (``os._exit``).

    A process with the scientific stack loaded spends most of a second of CPU at exit freeing its
    modules and objects one by one (measured: 3.0 s of CPU at the end of a script, 3.9 s in all),
    and the Sphinx build's heap of doctrees more. The book's own processes have written and closed
    everything by the time they end (a worker its ``result.json``, the Sphinx build its pages, a
    kernel its last output, sent before the shutdown reply), so the operating system can take the
    memory back at once. Called by the runner's workers, by its kernels at exit (registered when
    ``ruralrev`` is imported there) and by the Sphinx build; never on a reader's import.

    References
    ----------
    Python Software Foundation. *The Python Standard Library*, ``os._exit``: exit "without calling
    cleanup handlers, flushing stdio buffers, etc."; the normal way for a child process to end.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a closed stream or a reader gone: nothing left to say
            pass
    os._exit(code)

"""``jupyter-book build`` started ahead of time, warmed up while a chapter runs.

``python -m ruralrev.book.sphinx.warm_start build <book> --builder html …`` runs Jupyter Book's own command
line with one change (:func:`main`): :meth:`sphinx.application.Sphinx.build` first does what does not
depend on which pages changed (:func:`warm_up`), then waits for a line ``go`` on its input.
:func:`ruralrev.book.publish.start_sphinx` starts it before the runner executes the chapters,
so Python start-up, imports, Sphinx's application set-up (configuration, extensions, the saved
environment) and the warm-up overlap a chapter's execution on the other core.
"""

from __future__ import annotations

import gc
import importlib
import os
import pickle
import sys

__all__ = ["GO", "LATE_IMPORTS", "warm_up", "main"]

GO = "go"

#: Modules the book's Sphinx build imports only after reading pages (found by comparing
#: ``sys.modules`` before and after a one-chapter build); imported during the warm-up instead.
LATE_IMPORTS = ("pybtex.style.formatting.unsrt", "pybtex.style.labels.alpha", "latexcodec", "a11y_pygments")


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def warm_up(app) -> dict[str, tuple[tuple[int, int], object]]:
    """Import :data:`LATE_IMPORTS` and unpickle every saved doctree of ``app``'s environment.

    Returns ``{docname: (stamp, doctree)}``, where ``stamp`` is the doctree file's
    ``(st_mtime_ns, st_size)`` when it was read; :func:`_one_shot_get_doctree` serves from it.

    Notes
    -----
    After reading the changed pages, Sphinx numbers figures and tables across **all** pages
    (``numfig``), unpickling every doctree — about 0.7 s for this book, the largest single cost of
    a one-chapter rebuild. A doctree unpickled ahead is handed to Sphinx once, and only when its
    file is unchanged since (same size and modification time); a page re-read in this build, or
    asked for a second time, is unpickled from disk as usual, so no caller ever shares a tree with
    another. A doctree that does not unpickle (a write cut short) is skipped and left to Sphinx, as
    a build without the warm-up would. The modules Sphinx would otherwise import only while
    writing pages (the bibliography styles, the theme's syntax-highlighting styles) are imported.

    References
    ----------
    Sphinx developers. *Sphinx API: Sphinx core events* (``env-get-updated``; ``numfig`` numbering
    is assigned after all documents are read).
    """
    for name in LATE_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional extra not installed: Sphinx will not need it either
            pass
    env, ready = app.env, {}
    for docname in sorted(env.all_docs):
        path = os.path.join(env.doctreedir, docname + ".doctree")
        stamp = _stamp(path)
        if stamp is None:
            continue
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:                 # removed since it was stamped: left to Sphinx
            continue
        if _stamp(path) != stamp:       # rewritten while it was read
            continue
        try:
            ready[docname] = (stamp, pickle.loads(data))
        except Exception:  # noqa: BLE001 - a truncated or foreign file: left to Sphinx, which re-reads the page
            continue
    return ready


def _one_shot_get_doctree(original, ready):
    """``BuildEnvironment.get_doctree`` that hands out each warmed-up doctree at most once, and
    only if its file still has the stamp it had when read; otherwise Sphinx's own method."""

    def get_doctree(self, docname):
        entry = ready.pop(docname, None)
        if entry is None or _stamp(os.path.join(self.doctreedir, docname + ".doctree")) != entry[0]:
            return original(self, docname)
        from sphinx.util.docutils import LoggingReporter

        doctree = entry[1]
        doctree.settings.env = self                       # as Sphinx's own get_doctree does
        doctree.reporter = LoggingReporter(self.doc2path(docname))
        return doctree

    return get_doctree


def main(argv: list[str]) -> None:
    """Jupyter Book's ``main(argv)``, its Sphinx build warmed up and held until :data:`GO`.

    Notes
    -----
    The build warms up (:func:`warm_up`), then ``gc.freeze()``: the cyclic garbage collector no
    longer walks this large, long-lived heap on every collection (it made unpickling three times
    slower); the price is that warmed trees stay in memory until the build ends. Then it waits for
    the line ``go`` on its input (anything else: exit 3, nothing built). Which pages are outdated
    is decided by Sphinx after ``go``, from the files as they are then. The Sphinx process also
    skips an import it never uses (:func:`ruralrev.book.startup.skip_unused_import`).

    References
    ----------
    Python Software Foundation. *The Python Standard Library*, ``gc.freeze`` (Python 3.7+): objects
    moved to the permanent generation are ignored by future collections.
    """
    from ruralrev.book.startup import (
        exit_code,
        exit_without_teardown,
        skip_unused_import,
    )

    skip_unused_import()
    import jupyter_book.cli.main
    import sphinx.application
    import sphinx.environment

    build = sphinx.application.Sphinx.build

    def warmed_build(self, *args, **kwargs):
        ready = warm_up(self)
        # collections no longer walk what is loaded by now (Sphinx, its extensions, the environment, the
        # warmed trees); a warmed tree Sphinx has done with is then freed only when the process ends
        gc.freeze()
        if sys.stdin.readline().strip() != GO:
            raise SystemExit(3)
        environment = sphinx.environment.BuildEnvironment
        environment.get_doctree = _one_shot_get_doctree(environment.get_doctree, ready)
        return build(self, *args, **kwargs)

    sphinx.application.Sphinx.build = warmed_build
    try:
        jupyter_book.cli.main.main(args=argv, prog_name="jupyter-book")
    except SystemExit as exc:   # click ends with sys.exit: keep its code, skip freeing the doctrees
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
        exit_without_teardown(exit_code(exc))
    exit_without_teardown(0)


if __name__ == "__main__":
    main(sys.argv[1:])

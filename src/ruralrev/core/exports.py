"""Public namespaces of the subpackages, filled on first use.

``from ruralrev.stats import spatial`` followed by ``spatial.global_moran(...)`` imports
:mod:`ruralrev.stats.spatial.autocorrelation` only when the name is first asked for, so a process
that needs one module (the Sphinx build, a worker) does not pay for its siblings' imports. A
namespace holds the ``__all__`` of each of its modules; each module's ``__all__`` is the one place
that says what it exports (read from the source, not by importing it). A name exported by two
modules is an error.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

__all__ = ["lazy_namespace"]

#: A line that starts a module-level ``__all__ = ...`` assignment.
_ALL_LINE = re.compile(r"^__all__\s*=", re.MULTILINE)


def _all_of(statement: ast.stmt) -> list[str] | None:
    """The names ``statement`` assigns to ``__all__`` when it is ``__all__ = [literal strings]``."""
    if (isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in statement.targets)
            and isinstance(statement.value, (ast.List, ast.Tuple))
            and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in statement.value.elts)):
        return [element.value for element in statement.value.elts]
    return None


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    return True


def _declared_all(path: Path) -> list[str]:
    """The names in a module's literal ``__all__``, read without importing the module.

    Usually only the module's head and the assignment are parsed: the text before the first line
    that starts with ``__all__ =`` must parse (so the line is not inside a string), then the lines
    from it, one more at a time (up to 40), until they parse. Anything else (no such line, a line
    in a docstring, a chained assignment) falls back to the module's whole syntax tree, which is
    what every chapter's kernel parsed before, for each module of each namespace it used.
    ``tests/test_architecture.py`` checks that both readings agree on every module of the package.
    """
    text = path.read_text(encoding="utf-8")
    match = _ALL_LINE.search(text)
    if match is not None and _parses(text[:match.start()]):      # the line is not inside a string
        lines = text[match.start():].splitlines(keepends=True)
        for end in range(1, min(len(lines), 40) + 1):
            try:
                body = ast.parse("".join(lines[:end])).body
            except SyntaxError:
                continue
            found = _all_of(body[0]) if body else None
            if found is not None:
                return found
            break
    for statement in ast.parse(text).body:
        found = _all_of(statement)
        if found is not None:
            return found
    return []


def lazy_namespace(package: str, init_file: str, modules: list[str] | None = None):
    """``(__getattr__, __dir__)`` for a package ``__init__``: every name in the ``__all__`` of
    ``modules`` (default: every public module of the folder), imported from its module on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    init_file : str
        The package's ``__file__``.
    modules : list of str, optional
        Module names (without ``.py``) whose exports the namespace holds.

    Raises
    ------
    ImportError
        When two modules export the same name, or a name is also a submodule's (raised on the
        first lookup).
    """
    folder = Path(init_file).parent
    table: dict[str, str] = {}

    def exports() -> dict[str, str]:
        if not table:
            submodules = {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")} | {
                p.parent.name for p in folder.glob("*/__init__.py")}
            stems = modules or sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))
            for stem in stems:
                for name in _declared_all(folder / f"{stem}.py"):
                    if name in table:
                        raise ImportError(f"{package}: {name!r} is exported by both {table[name]} and {stem}")
                    if name in submodules:   # importing the submodule would replace the name with the module
                        raise ImportError(f"{package}: {name!r} is both an export of {stem} and a submodule")
                    table[name] = stem
        return table

    def __getattr__(name: str):
        home = exports().get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{home}"), name)

    def __dir__() -> list[str]:
        submodules = [p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")]
        return sorted(set(exports()) | set(submodules))

    return __getattr__, __dir__

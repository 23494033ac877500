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


def _declared_all(path: Path) -> list[str]:
    """The names in a module's literal ``__all__``, read without importing the module.

    Only the assignment is parsed: from the first line that starts with ``__all__ =``, one line
    more at a time until the lines parse. Parsing whole modules cost about 0.2 s of CPU in every
    chapter's kernel (37 modules); ``tests/test_architecture.py`` checks that this reads the
    same names as the module's full syntax tree, for every module of the package.
    """
    text = path.read_text(encoding="utf-8")
    match = _ALL_LINE.search(text)
    if match is None:
        return []
    lines = text[match.start():].splitlines(keepends=True)
    for end in range(1, len(lines) + 1):
        try:
            statement = ast.parse("".join(lines[:end])).body[0]
        except SyntaxError:
            continue
        return [element.value for element in statement.value.elts]
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

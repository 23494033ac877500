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
from pathlib import Path

__all__ = ["lazy_namespace"]


def _declared_all(path: Path) -> list[str]:
    """The names in a module's literal ``__all__``, read without importing the module."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return [element.value for element in node.value.elts]
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

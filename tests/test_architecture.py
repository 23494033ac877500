"""The package's architecture: layers imported one way only, no cycles, notebooks above the package
but beside the book machinery, modules of a readable size, namespaces without clashes.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``) and are run here with
import-linter; two tests add a forbidden import to the real graph and check that the same layer
list and cycle check catch it, so the contracts are shown to be able to fail.
"""

import ast
import importlib
import tomllib

import grimp
import pytest
from importlinter.cli import lint_imports

from ruralrev.core import paths

SRC = paths.ROOT / "src" / "ruralrev"
MAX_LINES = 460
NAMESPACES = ["ruralrev.data", "ruralrev.data.breaks", "ruralrev.stats.inequality", "ruralrev.stats.regression",
              "ruralrev.stats.clustering", "ruralrev.stats.index", "ruralrev.stats.spatial", "ruralrev.present.figures",
              "ruralrev.chapters.claims", "ruralrev.chapters.digital", "ruralrev.chapters.disparities"]


def _contracts() -> list[dict]:
    return tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def _layers() -> list[str]:
    return next(c for c in _contracts() if c["type"] == "layers")["layers"]


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("ruralrev", cache_dir=None)


def test_the_import_linter_contracts_are_kept():
    assert {c["type"] for c in _contracts()} == {"layers", "acyclic_siblings"}
    assert lint_imports(config_filename=str(paths.ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0


def test_every_subpackage_is_a_layer(graph):
    top = {m for m in graph.find_children("ruralrev") if (SRC / m.split(".")[1]).is_dir()}
    assert top == set(_layers())


def test_the_layer_check_catches_an_upward_import(graph):
    assert graph.find_illegal_dependencies_for_layers(layers=_layers()) == set()
    graph.add_import(importer="ruralrev.stats.convergence", imported="ruralrev.present.tables")
    illegal = graph.find_illegal_dependencies_for_layers(layers=_layers())
    assert {(d.importer, d.imported) for d in illegal} == {("ruralrev.stats", "ruralrev.present")}
    graph.remove_import(importer="ruralrev.stats.convergence", imported="ruralrev.present.tables")


def test_the_cycle_check_catches_a_cycle(graph):
    assert graph.nominate_cycle_breakers("ruralrev.book") == set()
    graph.add_import(importer="ruralrev.book.params", imported="ruralrev.book.cli")    # cli imports params
    assert graph.nominate_cycle_breakers("ruralrev.book") != set()
    graph.remove_import(importer="ruralrev.book.params", imported="ruralrev.book.cli")


def _notebook_code(path) -> list[str]:
    """The code cells of a chapter (jupytext) and the Python blocks of its solutions."""
    import jupytext

    from ruralrev.book.exercises import read_exercises

    cells = [c.source for c in jupytext.read(path).cells if c.cell_type == "code"]
    blocks = [b.code for e in read_exercises(path) for b in e.blocks if b.language == "python"]
    return cells + blocks


@pytest.mark.parametrize("notebook", sorted((paths.ROOT / "notebooks").glob("*.md")), ids=lambda p: p.stem)
def test_notebooks_never_import_the_book_machinery(notebook):
    imported = set()
    for code in _notebook_code(notebook):
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
    assert any(m.startswith("ruralrev") for m in imported), "no ruralrev import found: the cells were not read"
    assert {m for m in imported if m == "ruralrev.book" or m.startswith("ruralrev.book.")} == set()


def test_modules_stay_readable_in_size():
    sizes = {p.relative_to(SRC).as_posix(): len(p.read_text().splitlines()) for p in SRC.rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_namespaces_resolve_every_export_without_clashes(namespace):
    """Every name a namespace lists imports from its module, and is the module's own object."""
    package = importlib.import_module(namespace)
    names = [n for n in dir(package) if not (SRC / namespace.split(".", 1)[1].replace(".", "/") / f"{n}.py").exists()]
    assert names
    for name in names:
        assert getattr(package, name) is not None


def _all_from_syntax_tree(path) -> list[str]:
    """A module's ``__all__`` read from its whole syntax tree (the independent reading)."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return [element.value for element in node.value.elts]
    return []


def test_exports_read_only_the_all_assignment_and_find_what_the_syntax_tree_finds(tmp_path):
    from ruralrev.core.exports import _declared_all

    modules = sorted(SRC.rglob("*.py"))
    found = {p.relative_to(SRC).as_posix(): _declared_all(p) for p in modules}
    assert found == {p.relative_to(SRC).as_posix(): _all_from_syntax_tree(p) for p in modules}
    assert sum(map(len, found.values())) > 300 and max(map(len, found.values())) > 10   # real lists, several lines
    cases = {'"""Doc."""\n\n__all__ = [\n    "a",  # first\n    "b",\n]\nx = 1\n': ["a", "b"],
             "import os\n\ndef f():\n    __all__ = ['no']\n": [],
             "__all__ = ['a', 'b']; y = 2\n": ["a", "b"],
             '"""Doc.\n\n__all__ = ["fake"]\n"""\n__all__ = ["real"]\n': ["real"],          # a docstring line
             '"""Doc.\n__all__ = is read first\n"""\n__all__ = ["real"]\n': ["real"],
             "x = __all__ = ['a']\n": ["a"],                                               # chained
             "__all__ == 1\n__all__ = ['a']\n": ["a"],
             "items = [\n__all__ == 1]\n__all__ = ['a']\n": ["a"]}                          # inside brackets
    for index, (text, names) in enumerate(cases.items()):
        module = tmp_path / f"m{index}.py"
        module.write_text(text)
        assert _declared_all(module) == _all_from_syntax_tree(module) == names, text


def test_a_name_that_is_also_a_submodule_is_refused(tmp_path, monkeypatch):
    (tmp_path / "clash").mkdir()
    (tmp_path / "clash" / "__init__.py").write_text(
        "from ruralrev.core.exports import lazy_namespace\n__getattr__, __dir__ = lazy_namespace(__name__, __file__)\n")
    (tmp_path / "clash" / "tool.py").write_text('__all__ = ["tool"]\n\ndef tool():\n    return 1\n')
    (tmp_path / "clash" / "other.py").write_text('__all__ = ["helper"]\n\ndef helper():\n    return 2\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    clash = importlib.import_module("clash")
    with pytest.raises(ImportError, match="both an export of tool and a submodule"):
        clash.helper


#: Libraries a function may import where it needs them instead of at the top of its module, with
#: the reason: CPU seconds to import each in a fresh process (``resource.getrusage`` around the
#: import, development machine, 2026-12), or the one process that has it.
LAZY_IMPORTS = {
    "libpysal": "2.3 s", "esda": "2.2 s", "spreg": "2.2 s", "spopt": "2.6 s", "sklearn": "1.4 s",
    "statsmodels": "1.4 s", "linearmodels": "1.1 s", "papermill": "1.4 s (runner and workers only)",
    "jupytext": "1.5 s", "scipy": "0.8 s (scipy.stats)", "matplotlib": "0.45 s (pyplot)", "geopandas": "0.4 s",
    "seaborn": "imports matplotlib and scipy", "mapclassify": "imports scipy",
    "sphinx": "the Sphinx process only", "docutils": "the Sphinx process only",
    "sphinx_exercise": "the Sphinx process only", "jupyter_book": "the Sphinx process only",
    "myst_nb": "a kernel or the Sphinx process only", "IPython": "a kernel only", "traitlets": "a kernel only",
    "matplotlib_inline": "a kernel only", "ipykernel": "a kernel forked by the warm server only",
    "jupyter_client": "the runner's workers only",
    "psutil": "the runner only", "fcntl": "POSIX only", "ctypes": "Linux only (prctl)",
}
#: The book layer's own deferred imports: the command answers a bad argument or parameter before it
#: loads the runner, Sphinx helpers or pandas (``ruralrev run`` with a typo exits in well under a
#: second); the Sphinx extension loads what a page needs when it is built.
BOOK_DEFERRED = ("ruralrev", "pandas", "numpy", "importlib", "threading", "signal", "shutil", "hashlib",
                 "inspect", "traceback", "os")


def _function_level_imports():
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(function):
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        name = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                        yield path.relative_to(SRC).as_posix(), function.name, (name or "").split(".")[0]


def test_function_level_imports_are_the_measured_ones():
    """A function imports at its own level only a library whose import cost (or process) is listed
    in :data:`LAZY_IMPORTS`; the book layer may also defer its own modules and the few listed."""
    unexpected = sorted({(path, function, top) for path, function, top in _function_level_imports()
                         if top not in LAZY_IMPORTS and not (path.startswith("book/") and top in BOOK_DEFERRED)})
    assert unexpected == []


#: Declared dependencies the code never imports, each with the reason it is needed.
USED_WITHOUT_IMPORT = {
    "jupyterlab": "tasks.py lab, for readers who run the chapters",
    "nbconvert": "the documented way to execute a downloaded .ipynb (docs/guide.md)",
    "itables": "its DataTables bundle, read from its files by the Sphinx extension",
    "jupyter-server-mathjax": "MathJax served offline to JupyterLab",
    "pyogrio": "geopandas' engine for reading the province map",
}


def _imported_distributions() -> set[str]:
    """Distributions of every third-party module imported by the package or a notebook: import
    statements, plus ``quiet_import("x")`` / ``importlib.import_module("x")`` calls."""
    import re
    import sys
    from importlib.metadata import packages_distributions

    modules = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
            elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
                  in {"quiet_import", "import_module"} and node.args and isinstance(node.args[0], ast.Constant)):
                modules.add(str(node.args[0].value).split(".")[0])
    for page in (paths.ROOT / "notebooks").glob("*.md"):
        modules |= set(re.findall(r"^\s*(?:from|import)\s+(\w+)", page.read_text(), re.M))
    owners = packages_distributions()
    third_party = {m for m in modules if m not in sys.stdlib_module_names and m != "ruralrev"}
    return {dist.lower() for m in third_party for dist in owners.get(m, [])}


def _declared() -> set[str]:
    import re

    deps = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {re.split(r"[<>=!~\[ ;]", d)[0].lower() for d in deps}


def test_dependencies_match_what_the_code_imports():
    """Every third-party module the package or a notebook imports belongs to a declared runtime
    dependency, and every declared one is imported or listed in USED_WITHOUT_IMPORT with a reason
    (test-only libraries live in the ``test`` extra)."""
    imported, declared = _imported_distributions(), _declared()
    assert imported - declared == set(), "imported but not declared in pyproject.toml"
    assert declared - imported - set(USED_WITHOUT_IMPORT) == set(), "declared but never imported"
    assert set(USED_WITHOUT_IMPORT) <= declared
    assert {"numpy", "esda", "spreg", "spopt", "seaborn", "mapclassify", "threadpoolctl"} <= imported

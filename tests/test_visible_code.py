"""Readers can see how every result is made: analysis cells are hidden behind a toggle, not removed.

The rule (CONTRIBUTING.md, "Code cells"): every code cell of a chapter is one of

* a **parameters** cell (``parameters`` tag; the runner hides it and shows a parameters box);
* a **plumbing** cell, tagged ``remove-cell``: imports, loading data, checking parameters, and
  ``glue`` and ``guard`` bookkeeping. It may call no ``ruralrev`` function other than the loaders and
  formatters in :data:`PLUMBING_FUNCTIONS`, and it displays nothing;
* an **analysis** cell, tagged ``hide-input``: everything else. Its code is one click away and
  its output (table, figure) shows. It stays short (at most :data:`MAX_LINES` lines of code):
  longer logic belongs in the package.

The tests check the sources, the executed notebooks (no removed cell displayed anything) and the
built pages (one code toggle per analysis cell).
"""

from __future__ import annotations

import ast
import json
import re

import pytest

from ruralrev.book import params
from ruralrev.core import paths

PLUMBING_FUNCTIONS = re.compile(r"^(load_\w+|field_table|summary|guard)$")   # guard: CONTRIBUTING, "Guards"
MAX_LINES = 15
REMOVED = {"remove-cell", "remove-input"}
CHAPTERS = params.load_plan()
HTML = paths.ROOT / "_build" / "html"


def _cells(chapter):
    import jupytext

    notebook = jupytext.read(chapter.source)
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _ruralrev_names(cells) -> tuple[dict[str, str], dict[str, str]]:
    """Module aliases (``ineq`` → ``inequality``) and functions imported from ruralrev."""
    modules, functions = {}, {}
    for cell in cells:
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "ruralrev":
                for alias in node.names:
                    target = modules if node.module == "ruralrev" else functions
                    target[alias.asname or alias.name] = alias.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "ruralrev":
                        modules[alias.asname or alias.name] = alias.name
    return modules, functions


def package_calls(source: str, modules: dict[str, str], functions: dict[str, str]) -> list[str]:
    """Names of the ruralrev functions a cell calls (``inequality.beta_convergence``, ...)."""
    calls = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in functions:
            calls.append(functions[func.id])
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in modules:
            calls.append(f"{modules[func.value.id]}.{func.attr}")
    return calls


def code_lines(source: str) -> int:
    return sum(1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#"))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.name for c in CHAPTERS])
def test_removed_cells_are_plumbing_and_analysis_cells_are_hidden_not_removed(chapter):
    cells = _cells(chapter)
    modules, functions = _ruralrev_names(cells)
    problems = []
    for number, cell in enumerate(cells, start=1):
        tags = _tags(cell)
        first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        where = f"{chapter.source.name} code cell {number} ({first[:50]!r})"
        if "parameters" in tags:
            continue
        if tags & REMOVED:
            if "remove-input" in tags:
                problems.append(f"{where}: remove-input hides the code of an output; use hide-input")
            analysis = [c for c in package_calls(cell.source, modules, functions)
                        if not PLUMBING_FUNCTIONS.match(c.rsplit(".", 1)[-1])]
            if analysis:
                problems.append(f"{where}: removed but calls {analysis}; make it a hide-input cell")
        elif "hide-input" not in tags:
            problems.append(f"{where}: an analysis cell needs the hide-input tag (code behind a toggle)")
        elif code_lines(cell.source) > MAX_LINES:
            problems.append(f"{where}: {code_lines(cell.source)} lines of code; move the logic into ruralrev")
    assert problems == [], "\n".join(problems)


def test_the_rule_catches_a_removed_analysis_cell():
    modules, functions = {"ineq": "inequality", "data": "data"}, {"myst_table": "myst_table"}
    removed = "panel = data.load_panel()\nglue('x', ineq.beta_convergence(panel, 'y', 1, 2).beta)"
    calls = package_calls(removed, modules, functions)
    assert [c for c in calls if not PLUMBING_FUNCTIONS.match(c.rsplit(".", 1)[-1])] == ["inequality.beta_convergence"]
    assert package_calls("myst_table(frame, 'c', 'tbl-x', 's')", modules, functions) == ["myst_table"]


def _executed(chapter) -> dict:
    if not chapter.output.is_file():
        pytest.skip(f"{chapter.output} not executed yet (python3.11 tasks.py book)")
    return json.loads(chapter.output.read_text(encoding="utf-8"))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.name for c in CHAPTERS])
def test_executed_chapter_shows_its_code_on_demand_and_removed_cells_display_nothing(chapter):
    notebook = _executed(chapter)
    hidden, shown = 0, []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        tags = set(cell.get("metadata", {}).get("tags", []))
        if "hide-input" in tags:
            hidden += 1
        if tags & REMOVED and not tags & {"parameters", "injected-parameters"}:
            for output in cell.get("outputs", []):
                kinds = [k for k in output.get("data", {}) if not k.startswith("application/papermill.record/")]
                if output.get("output_type") in {"display_data", "execute_result"} and kinds:
                    shown.append((cell["source"][:60], kinds))
    assert hidden >= 1, f"{chapter.name}: no analysis code to show"
    assert shown == [], f"{chapter.name}: removed cells displayed {shown}"


@pytest.mark.skipif(not (HTML / "index.html").is_file(), reason="no built book (python3.11 tasks.py book)")
@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.name for c in CHAPTERS])
def test_built_page_has_one_code_toggle_per_analysis_cell(chapter):
    notebook = _executed(chapter)
    expected = sum("hide-input" in c.get("metadata", {}).get("tags", []) for c in notebook["cells"]
                   if c["cell_type"] == "code")
    page = HTML / chapter.output.relative_to(paths.ROOT).with_suffix(".html")
    text = page.read_text(encoding="utf-8")
    toggles = len(re.findall(r'<details class="[^"]*\bhide above-input\b[^"]*"', text))
    assert toggles == expected, f"{page.name}: {toggles} code toggles, {expected} hide-input cells"

"""The student edition: no solution text anywhere in what it builds; notebooks that read cleanly in JupyterLab.

Every solution's text is looked for line by line, in every file the edition writes (HTML, page
downloads, ``_sources/``, Sphinx's search index, the search snippets, the notebooks for JupyterLab),
compared by its letters and digits only, so that syntax highlighting, HTML or JSON escaping and
typographic quotes cannot hide a leak. The same lines are found in the full book, so the search
would see one. These tests read the book's executed pages and skip when the book is not built.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from ruralrev.book import exercises, page_items, params, student
from ruralrev.core import paths

HTML = paths.ROOT / "_build" / "html"
CHAPTERS = params.load_plan()
built = pytest.mark.skipif(not all(c.output.is_file() for c in CHAPTERS),
                           reason="the book's chapters are not executed (run `python3.11 tasks.py book` first)")
_TEXT = (".html", ".js", ".json", ".ipynb", ".md", ".txt", ".csv", ".py")
_MYST = re.compile(r"\{[a-z][\w:-]*\}`|`{3,}\s*\{|:{3,}\s*\{|^\s*:(label|class|name):|^\s*\([\w:.-]+\)=\s*$", re.M)


def _skeleton(text: str) -> str:
    """Letters, digits and underscores only: what survives highlighting, escaping and smart quotes."""
    return re.sub(r"[^0-9A-Za-z_]", "", text)


def _split(source: Path) -> tuple[list[str], list[str]]:
    """(solution lines, other lines) of a MyST chapter, read independently of the code under test."""
    inside, solutions, other = False, [], []
    for line in source.read_text(encoding="utf-8").splitlines():
        if "{solution-start}" in line:
            inside = True
        elif "{solution-end}" in line:
            inside = False
        elif inside:
            solutions.append(line)
        else:
            other.append(line)
    return solutions, other


def _needles() -> list[tuple[str, str, str]]:
    """(chapter, line, skeleton) for every telling line of every solution: at least 24 letters and
    digits long and found nowhere else in the chapters or the hand-written pages."""
    elsewhere = [line for c in CHAPTERS for line in _split(c.source)[1]]
    elsewhere += [p.read_text(encoding="utf-8") for p in (paths.ROOT / "book").glob("*.md")]
    rest = _skeleton("\n".join(elsewhere))
    found = []
    for chapter in CHAPTERS:
        for line in _split(chapter.source)[0]:
            skeleton = _skeleton(line)
            if len(skeleton) >= 24 and skeleton not in rest:
                found.append((chapter.name, line.strip(), skeleton))
    return found


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _haystack(folder: Path) -> dict[str, str]:
    """Every text file under ``folder`` as its skeleton (HTML without tags, JSON as its strings, too)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in _TEXT or "mathjax" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        views = [text]
        if path.suffix == ".html":
            views.append(html.unescape(re.sub(r"<[^>]+>", "", text)))
        start, end = text.find("{"), text.rfind("}")
        if path.suffix in {".js", ".json", ".ipynb"} and 0 <= start < end:
            try:
                views.append("\n".join(_strings(json.loads(text[start:end + 1]))))
            except ValueError:
                pass
        found[str(path.relative_to(folder))] = "\n".join(_skeleton(view) for view in views)
    return found


def _leaks(folder: Path, needles, files: dict[str, str] | None = None) -> list[str]:
    """Every (file, solution line) where a file under ``folder`` holds the line; ``files``: the
    folder's :func:`_haystack` when the caller has it already."""
    files = _haystack(folder) if files is None else files
    return [f"{name}: {chapter}: {line[:70]!r}" for chapter, line, skeleton in needles
            for name, text in files.items() if skeleton in text]


def test_every_solution_has_lines_to_look_for():
    needles = _needles()
    per_chapter = {name for name, _, _ in needles}
    assert len(needles) >= 60 and per_chapter == {c.name for c in CHAPTERS}


@built
def test_the_student_sources_hold_no_solution_and_every_exercise(tmp_path):
    """What Sphinx reads for the edition (pages, executed notebooks, the MyST downloads) has no
    solution; the book's own sources hold every one of the lines looked for."""
    needles = _needles()
    tree = student.student_sources(paths.ROOT, tmp_path / "source")
    assert _leaks(tree, needles) == []
    originals = {**_haystack(paths.ROOT / "notebooks"), **_haystack(paths.ROOT / "book" / "executed")}
    assert all(any(skeleton in text for text in originals.values()) for _, _, skeleton in needles)
    for chapter in CHAPTERS:
        stripped = (tree / chapter.source.relative_to(paths.ROOT)).read_text(encoding="utf-8")
        labels = [e.label for e in exercises.read_exercises(chapter.source, chapter.name)]
        assert [label for label in labels if f":label: {label}" in stripped] == labels
        assert "{solution-start}" not in stripped and "{solution-end}" not in stripped


@built
def test_student_notebooks_for_jupyterlab_have_no_solutions_and_read_cleanly(tmp_path):
    """In JupyterLab the prose shows its numbers (no `{glue:text}`), exercises read as
    "**Exercise N**" and their text, and no MyST option, label or directive line is left."""
    needles = _needles()
    written = student.lab_notebooks(paths.ROOT, tmp_path)
    assert [p.stem for p in written] == [c.name for c in CHAPTERS]
    assert _leaks(tmp_path, needles) == []
    for chapter in CHAPTERS:
        page = json.loads(chapter.output.read_text(encoding="utf-8"))
        lab = json.loads((tmp_path / f"{chapter.name}.ipynb").read_text(encoding="utf-8"))
        prose = "\n\n".join(c["source"] for c in lab["cells"] if c["cell_type"] == "markdown")
        assert _MYST.findall(prose) == [], chapter.name
        glued = {g.name: g.value.strip("'") for g in page_items.read_items(page).glued}
        source = "\n".join("".join(c["source"]) for c in page["cells"] if c["cell_type"] == "markdown")
        quoted = [(m["before"], m["key"]) for m in re.finditer(r"(?P<before>[A-Za-z]+ [A-Za-z]+ )\{glue:text\}`(?P<key>\w+)`",
                                                               source) if m["key"] in glued]
        assert quoted, chapter.name
        shown = [before + glued[key] for before, key in quoted]
        assert sum(text in prose for text in shown) >= 0.9 * len(shown), [t for t in shown if t not in prose][:5]
        count = len(exercises.read_exercises(chapter.source, chapter.name))
        assert [n for n in range(1, count + 1) if f"**Exercise {n}**" in prose] == list(range(1, count + 1))
        tags = [c["metadata"].get("tags", []) for c in lab["cells"] if c["cell_type"] == "code"]
        assert ["parameters"] in tags and not any("injected-parameters" in t for t in tags)


@pytest.mark.slow
@built
def test_the_student_edition_gives_no_answer_away(tmp_path):
    """The whole student build — HTML, `_downloads/`, `_sources/`, the search index and snippets, the
    notebooks for JupyterLab — holds no line of any solution, and still every exercise."""
    needles = _needles()
    student.build_student(paths.ROOT, folder=tmp_path)
    site = tmp_path / "_build" / "html"
    files = _haystack(tmp_path)
    assert any(name.startswith("_build/html/_downloads/") for name in files)
    assert "_build/html/_static/ruralrev-search-text.js" in files and "_build/html/searchindex.js" in files
    assert any(name.startswith("_build/html/_sources/") for name in files)
    assert _leaks(tmp_path, needles, files) == []
    assert "student edition" in (site / "book" / "intro.html").read_text(encoding="utf-8")
    if (HTML / "index.html").is_file():   # the same search finds the solutions in the full book
        full = _haystack(HTML)
        seen = [n for n in needles if any(n[2] in text for text in full.values())]
        assert len(seen) >= 0.9 * len(needles)
    for chapter in CHAPTERS:
        relative = chapter.output.relative_to(paths.ROOT).with_suffix(".html")
        page = (site / relative).read_text(encoding="utf-8")
        count = len(exercises.read_exercises(chapter.source, chapter.name))
        assert page.count('class="exercise admonition"') == count >= 1 and 'class="solution' not in page


def test_tasks_lab_student_opens_jupyterlab_on_the_student_notebooks():
    import importlib.util

    spec = importlib.util.spec_from_file_location("tasks", paths.ROOT / "tasks.py")
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    command = tasks.lab_command(["--no-browser"], student=True)
    assert f"--notebook-dir={paths.ROOT / student.STUDENT_DIR / 'lab'}" in command and command[-1] == "--no-browser"
    assert f"--notebook-dir={paths.ROOT}" in tasks.lab_command([])          # the MyST sources, as before

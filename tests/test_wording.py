"""Words live in the Markdown: no glued value is a phrase, no package function returns a sentence.

A chapter's sentences are written in its Markdown, for its default parameters, and guarded where
they hold only for some values (``ruralrev.present.guards``). The package returns numbers and
result objects; glue carries numbers and at most a word or two. Two checks keep it so: the glued
values of every executed chapter, and a scan of the package's source for functions that return
sentences.
"""

import ast
import re

import pytest

from notebook_helpers import run_chapter_with
from ruralrev.book import params
from ruralrev.core import paths

#: A glued value or a returned string with this many words or more is a phrase.
PHRASE_WORDS = 5
_WORD = re.compile(r"[A-Za-z]{2,}")

#: Layers whose functions must not return sentences (the book machinery writes pages and messages).
LAYERS = ("stats", "present", "chapters")

#: Functions that may return text of five words or more, with the reason. Table cells are not
#: prose: a claims ledger's "what the check found" column is a sentence per row by design.
ALLOWED = {
    "chapters/claims/checks.py": "the claims ledger's cells: what each check compared and found, one row per claim",
    "chapters/claims/cells.py": "the claims ledger's cells: what a granularity check could detect, one row per claim",
    "chapters/claims/ledger.py::ledger_table": "the claims ledger's printed columns",
}


def words(text: str) -> int:
    return len(_WORD.findall(text))


def _texts(node) -> list[str]:
    """The pieces of text an expression builds: each f-string whole, each literal, and each chain of
    ``+`` between them whole (a column name beside another in a dict is two pieces, not one)."""
    if isinstance(node, ast.JoinedStr):
        return [" ".join(n.value for n in node.values if isinstance(n, ast.Constant) and isinstance(n.value, str))]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _texts(node.left), _texts(node.right)
        if left and right:
            return [" ".join(left + right)]
    pieces = []
    for child in ast.iter_child_nodes(node):
        pieces += _texts(child)
    return pieces


def sentence_builders(source: str) -> list[tuple[str, int]]:
    """``(function, line)`` of every ``return`` that builds a text of :data:`PHRASE_WORDS` words or
    more (an f-string, a literal or a ``+`` chain of them), and of module constants (dicts, lists,
    tuples) holding such text. Docstrings do not count."""
    tree = ast.parse(source)
    found = []
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                if isinstance(node, ast.Return) and node.value is not None and any(
                        words(text) >= PHRASE_WORDS for text in _texts(node.value)):
                    found.append((function.name, node.lineno))
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Dict, ast.List, ast.Tuple)):
            if any(words(text) >= PHRASE_WORDS for text in _texts(node.value)):
                found.append((ast.unparse(node.targets[0]), node.lineno))
    return found


def test_the_scan_finds_a_sentence_builder():
    source = ('def verdict(x):\n    return f"the gap statistic picks k = {x}: no evidence of structure"\n\n'
              'def code(x):\n    return "fell" if x < 0 else "rose"\n\n'
              'def frame(x):\n    return dict(x=x, **{"Model name": 1, "Half life (years)": 2, "Speed (% a year)": 3})\n\n'
              'def joined(x):\n    return "no evidence " + "of cluster " + f"structure at k = {x}"\n\n'
              'READINGS = {"above": "the coefficient lies above the composition effect"}\n')
    assert sentence_builders(source) == [("verdict", 2), ("joined", 11), ("READINGS", 13)]


def test_no_package_function_returns_a_sentence():
    root = paths.ROOT / "src" / "ruralrev"
    found = {}
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel in ALLOWED:
                continue
            hits = [f"{name} (line {line})" for name, line in sentence_builders(path.read_text(encoding="utf-8"))
                    if f"{rel}::{name}" not in ALLOWED]
            if hits:
                found[rel] = hits
    assert found == {}


@pytest.mark.slow
@pytest.mark.parametrize("chapter", [c.name for c in params.load_plan()])
def test_no_glued_value_is_a_phrase(tmp_path, chapter):
    """Every value a chapter glues, run with its defaults, has fewer than five words."""
    glued = run_chapter_with(tmp_path, chapter, [])
    assert glued, "the chapter glued nothing"
    assert {key: value for key, value in glued.items() if words(value) >= PHRASE_WORDS} == {}

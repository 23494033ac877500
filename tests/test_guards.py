"""Guards: a sentence written for the default parameters is marked on the page when its check fails.

A one-notebook Sphinx project with myst-nb: the notebook records two guards (one holds, one
fails, as ``ruralrev.present.guards.guard`` records them), its Markdown puts the ``{guard}`` role
in front of two sentences, and a second page reads a guard of the notebook across pages.
"""

import json

import pytest
from sphinx_helpers import build_html

from ruralrev.present.guards import PREFIX, guard_key

CONF = ("extensions = ['myst_nb', 'ruralrev.book.sphinx.extension']\nnb_execution_mode = 'off'\n"
        "exclude_patterns = ['html']\n")


def _glue(name: str, value: bool) -> dict:
    """A cell output as myst_nb.glue(name, value, display=False) writes it."""
    prefix = "application/papermill.record/"
    return {"output_type": "display_data", "metadata": {"scrapbook": {"name": name, "mime_prefix": prefix}},
            "data": {prefix + "text/plain": repr(value)}}


def _project(tmp_path, markdown: str) -> None:
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                               "language": "python"}},
                "cells": [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": markdown},
                          {"cell_type": "code", "id": "b", "metadata": {}, "execution_count": 1, "source": "guard(...)",
                           "outputs": [_glue(guard_key("holds"), True), _glue(guard_key("fails"), False)]}]}
    (tmp_path / "conf.py").write_text(CONF)
    (tmp_path / "chapter.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    (tmp_path / "index.md").write_text("# Landing\n\n```{toctree}\nchapter\n```\n\n"
                                       "- {guard}`chapter.ipynb::fails` A finding quoted from the chapter.\n",
                                       encoding="utf-8")


def _build(tmp_path):
    return build_html(tmp_path, tmp_path / "html", "-W")


def test_guard_names_are_checked():
    assert guard_key("theil_fell") == PREFIX + "theil_fell"
    with pytest.raises(ValueError, match="lower-case letters"):
        guard_key("Theil fell")


def test_a_failed_guard_marks_its_sentence_and_a_held_one_leaves_no_trace(tmp_path):
    _project(tmp_path, "# Chapter\n\n{guard}`holds` Inequality fell.\n\n- {guard}`fails` Most provinces converged.\n"
                       "- A plain sentence.\n")
    run = _build(tmp_path)
    assert run.returncode == 0, run.stderr
    page = (tmp_path / "html" / "chapter.html").read_text(encoding="utf-8")
    assert page.count("Does not hold with these parameters:") == 1
    before, _, after = page.partition("Does not hold with these parameters:")
    assert "Most provinces converged" in after and "Inequality fell" in before
    assert page.count("ruralrev-guarded-failed") == 1 and 'class="ruralrev-guard"' in page
    landing = (tmp_path / "html" / "index.html").read_text(encoding="utf-8")
    assert "Does not hold with these parameters:" in landing and "ruralrev-guarded-failed" in landing


def test_a_guard_the_notebook_never_recorded_fails_the_build(tmp_path):
    _project(tmp_path, "# Chapter\n\n{guard}`misspelt` Inequality fell.\n")
    run = _build(tmp_path)
    assert run.returncode != 0 and "guard 'misspelt' was not recorded" in run.stderr

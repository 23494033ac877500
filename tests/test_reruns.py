"""A page re-run with other parameters says so, the pages that quote it mark what they quote, and
the statements that no longer hold are listed by `ruralrev build` and `ruralrev verify`."""

import io
import json
import re
from dataclasses import replace

import pytest
from sphinx_helpers import build_html

from ruralrev.book import cli, page_items, params, publish, report, runner, verify
from ruralrev.book.execute import NON_DEFAULT_CLASS, page_edited, read_notebook
from ruralrev.book.sphinx import reruns

PLAN = {c.name: c for c in params.load_plan()}


@pytest.fixture(scope="module")
def small_sample_run(tmp_path_factory):
    """paper_001 with max_n=999: the granularity search stops short, so several guards fail."""
    folder = tmp_path_factory.mktemp("published")
    [result] = runner.run_chapters(["paper_001"], ["max_n=999"], into=folder, stream=io.StringIO())
    assert result.state == "re-executed", result.error
    return folder


@pytest.mark.slow
def test_a_page_run_with_other_parameters_says_so_under_its_title(small_sample_run):
    page = read_notebook(small_sample_run / "paper_001.ipynb")
    title = page["cells"][0]["source"]
    assert title.startswith("# ") and NON_DEFAULT_CLASS in title
    note = title.split("```{admonition} Run with other parameters", 1)[1].split("```", 1)[0]
    assert "`max_n` = `999` (default `5000`)" in note and "threshold" not in note
    assert page["metadata"]["ruralrev"]["non_default"] == {"max_n": {"value": 999, "default": 5000}}
    assert not page_edited(small_sample_run / "paper_001.ipynb")     # the note is part of the page as executed


@pytest.mark.slow
def test_build_lists_the_statements_that_do_not_hold(small_sample_run, monkeypatch):
    failed = page_items.failed_guards(read_notebook(small_sample_run / "paper_001.ipynb"))
    assert len(failed) >= 2
    chapter = replace(PLAN["paper_001"], output=small_sample_run / "paper_001.ipynb")
    for module, name in [(publish, "build_book"), (report, "write_reproducibility_page"),
                         (report, "write_headline_map"), (verify, "refresh_page")]:
        monkeypatch.setattr(module, name, lambda *args, **kwargs: None)   # no HTML: only what build prints
    stream = io.StringIO()
    cli._publish([chapter], stream)
    assert f"book: paper_001: {len(failed)} statements do not hold with these parameters: {', '.join(failed)}" \
        in stream.getvalue().splitlines()
    assert publish.failed_guards([PLAN["paper_001"]]) == {} or PLAN["paper_001"].output.is_file()


@pytest.mark.slow
def test_verify_lists_the_statements_that_do_not_hold(small_sample_run, tmp_path):
    failed = page_items.failed_guards(read_notebook(small_sample_run / "paper_001.ipynb"))
    rows = verify.verify_book(names=["paper_001"], published=small_sample_run, scratch=tmp_path / "again",
                              stream=io.StringIO())
    assert [r for r in rows if not r.equal] == []
    assert verify.failed_guards(rows) == {"paper_001": failed}
    printed = io.StringIO()
    verify.print_report(rows, printed)
    line = f"paper_001: {len(failed)} statements do not hold with these parameters: {', '.join(failed)}"
    assert f"verify: {line}" in printed.getvalue().splitlines()
    page, _ = verify.write_report(rows, {"paper_001": "k"}, {"paper_001": "k"}, folder=tmp_path)
    text = page.read_text(encoding="utf-8")
    names = ", ".join(f"`{name}`" for name in failed)
    assert "## Statements that do not hold with the pages' parameters" in text
    assert f"- paper\\_001: {len(failed)} statements do not hold with these parameters: {names}" in text


def test_the_guard_lines_count_and_name_each_chapters_failures():
    assert publish.guard_lines({"a": ["x"], "b": ["x", "y"]}) == [
        "a: 1 statement does not hold with these parameters: x",
        "b: 2 statements do not hold with these parameters: x, y"]
    rows = [verify.Row("a", "number guard_x (cell 3)", "False", "False"),
            verify.Row("a", "number guard_y (cell 4)", "True", "True"),
            verify.Row("a", "number total (cell 4)", "'False'", "'False'")]
    assert verify.failed_guards(rows) == {"a": ["x"]}


# ---- the landing page's marks (a small Sphinx project) ----------------------------------------

def _glue(name: str, value: str) -> dict:
    return {"output_type": "display_data", "data": {"application/papermill.record/text/plain": value},
            "metadata": {"scrapbook": {"name": name, "mime_prefix": "application/papermill.record/"}}}


def _chapter(non_default: dict | None) -> dict:
    record = {"parameters": {"k": 4 if non_default else None}}
    if non_default:
        record["non_default"] = non_default
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                         "ruralrev": record},
            "cells": [{"cell_type": "markdown", "id": "t", "metadata": {}, "source": "# A chapter\n\nText."},
                      {"cell_type": "code", "id": "c", "metadata": {}, "execution_count": 1, "source": "glue(...)",
                       "outputs": [_glue("total", "'12.5'"), _glue("guard_rose", "True")]}]}


def _build(root, out):
    return build_html(root, out, "-W")


def test_the_landing_page_marks_a_finding_quoted_from_a_page_run_with_other_parameters(tmp_path):
    (tmp_path / "conf.py").write_text("extensions = ['myst_nb', 'ruralrev.book.sphinx.extension']\n"
                                      "nb_execution_mode = 'off'\nsuppress_warnings = ['mystnb.unknown_mime_type']\n"
                                      "exclude_patterns = ['_build']\n")
    (tmp_path / "index.md").write_text("# Book\n\n```{toctree}\nlanding\nexecuted/x\n```\n", encoding="utf-8")
    (tmp_path / "landing.md").write_text(      # quotes the chapter, but its toctree does not hold it
        "# Findings\n\n"
        "- {guard}`executed/x.ipynb::rose` Income rose to {glue:text}`executed/x.ipynb::total:s` yuan.\n"
        "- A finding that quotes nothing.\n", encoding="utf-8")
    (tmp_path / "executed").mkdir()
    chapter = tmp_path / "executed" / "x.ipynb"
    chapter.write_text(json.dumps(_chapter({"k": {"value": 4, "default": None}})), encoding="utf-8")
    out = tmp_path / "_build" / "html"        # myst-nb's jupyter_execute goes beside it, outside the sources
    run = _build(tmp_path, out)
    assert run.returncode == 0, run.stderr
    page = (out / "landing.html").read_text(encoding="utf-8")
    badge = reruns.badge_text("executed/x", {"k": {"value": 4, "default": None}})
    assert badge == "From a run with other parameters (x: k = 4):"
    assert page.count(badge) == 1 and page.count(reruns.BLOCK_CLASS) == 1
    assert re.search(rf'class="{reruns.VALUE_CLASS}">(<[^>]+>)*12\.5<', page)
    chapter.write_text(json.dumps(_chapter(None)), encoding="utf-8")   # the chapter run with its defaults again
    run = _build(tmp_path, out)                                         # an incremental build
    assert run.returncode == 0, run.stderr
    page = (out / "landing.html").read_text(encoding="utf-8")
    assert reruns.BADGE not in page and reruns.BLOCK_CLASS not in page and "12.5" in page

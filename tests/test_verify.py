"""``ruralrev verify`` on a small book (passes untouched, names what moved after a data change) and on the real one."""

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from notebook_helpers import HEADER
from sphinx_helpers import build_html

from ruralrev.book import page_items, params, runner, verify
from ruralrev.book.execute import read_notebook

BODY = '''
# A small page

Its values add up to {glue:text}`total` units.

```{code-cell} ipython3
:tags: [parameters]

label = "two words"
scale = 1.0
names = ["a", "b", "c"]
limit = None
```

```{code-cell} ipython3
import csv
import pandas as pd
from myst_nb import glue
from ruralrev.present.tables import myst_table

rows = [r for r in csv.DictReader(open("../data/values.csv")) if r["name"] in names]
values = [scale * float(r["value"]) for r in rows]
glue("total", f"{sum(values):.1f}", display=False)
glue("largest", rows[values.index(max(values))]["name"], display=False)
glue("label", label, display=False)
myst_table(pd.DataFrame({"name": [r["name"] for r in rows], "value": values}), caption="Values (units).",
           label="tbl-demo", source="data/values.csv")
```

```{code-cell} ipython3
---
mystnb:
  figure:
    caption: The values.
    name: fig-demo
reads: "data/values.csv: names {names}"
---
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(3, 2))
ax.bar([r["name"] for r in rows], values)
ax.set_ylabel("value (units)")
```
'''


def _small_book(root: Path) -> Path:
    (root / "notebooks").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "data" / "values.csv").write_text("name,value\na,1.5\nb,2.5\nc,4.0\n", encoding="utf-8")
    (root / "notebooks" / "demo.md").write_text(HEADER + BODY, encoding="utf-8")
    (root / "notebooks" / "params.yml").write_text(
        "notebooks:\n  demo:\n    source: notebooks/demo.md\n    output: book/executed/demo.ipynb\n"
        "    parameters:\n      label: two words\n      scale: 1.0\n      names: [a, b, c]\n      limit: null\n"
        "    schema:\n      label: {type: str}\n      scale: {type: float, min: 0}\n"
        "      names: {type: list, items: {type: str, choices: [a, b, c]}}\n"
        "      limit: {type: int, nullable: true}\n", encoding="utf-8")
    return root / "notebooks" / "params.yml"


@pytest.mark.slow
def test_verify_passes_untouched_and_names_the_numbers_a_data_change_moves(tmp_path):
    plan = _small_book(tmp_path)
    runner.run_chapters(params_file=plan, root=tmp_path, parameters={
        "demo": {"label": "other words", "scale": 2.0, "names": ["a", "c"], "limit": None}})
    page = read_notebook(tmp_path / "book" / "executed" / "demo.ipynb")
    assert verify.page_command(page) == ("ruralrev build demo -p 'label=other words' -p scale=2.0 -p names=a,c "
                                         "-p limit=null")
    found = page_items.read_items(page)
    assert [(g.name, g.value) for g in found.glued] == [("total", "'11.0'"), ("largest", "'c'"),
                                                        ("label", "'other words'")]
    assert found.figures[0].reads == "data/values.csv: names a, c" and found.figures[0].data

    rows = verify.verify_book(root=tmp_path, params_file=plan, jobs=1, stream=io.StringIO())
    assert [r for r in rows if not r.equal] == []
    kinds = {r.item.split()[0] for r in rows}
    assert {"number", "table", "figure", "parameters"} <= kinds
    assert len([r for r in rows if r.item.startswith("table tbl-demo [row")]) == 4   # 2 rows × 2 columns

    (tmp_path / "data" / "values.csv").write_text("name,value\na,1.5\nb,2.5\nc,4.5\n", encoding="utf-8")
    env = {**os.environ, "RURALREV_ROOT": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "ruralrev.book.cli", "verify", "--no-html", "-j", "1"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    with open(tmp_path / "book" / "executed" / "verification.csv", encoding="utf-8") as handle:
        moved = {(r["item"], r["published"], r["recomputed"]) for r in csv.DictReader(handle) if r["equal"] == "no"}
    assert ("number total (cell 2)", "'11.0'", "'12.0'") in moved
    assert ("table tbl-demo [row 2, value]", "8", "9") in moved   # whole numbers print as such (tables.FORMATS)
    assert any(item.startswith("figure fig-demo: data axes[0].bars[1]") and (old, new) == ("8.0", "9.0")
               for item, old, new in moved)
    assert not any(item.startswith("number largest") or item.startswith("number label") for item, _, _ in moved)
    assert "demo: number total (cell 2): published \"'11.0'\", recomputed \"'12.0'\"" in result.stderr
    assert (tmp_path / "book" / "executed" / "verification.md").read_text().count("does not reproduce") == 1


def _current_book() -> bool:
    from ruralrev.book import params, publish
    from ruralrev.book.execute import environment_digest

    chapters = params.load_plan()
    if not all(c.output.is_file() for c in chapters):
        return False
    environment = environment_digest()
    return not any(publish.is_stale(c, read_notebook(c.output), environment) for c in chapters)


@pytest.mark.slow
def test_the_whole_book_verifies_and_every_page_command_round_trips(tmp_path):
    """Every chapter's page command, read back by the CLI, re-run from a clean state: every item equal.

    This is also the book's determinism test: every chapter executed twice from a clean state
    (the published run and this one) gives the same text, glued values, table cells, figure data
    and PNG bytes.

    Uses the published book when it is current (``.ci/run`` builds it first); otherwise builds
    a published copy into a scratch folder first."""
    published = None
    if not _current_book():
        published = tmp_path / "published"
        results = runner.run_chapters(jobs=os.cpu_count() or 1, into=published, stream=io.StringIO())
        assert all(r.state == "re-executed" for r in results)
    rows = verify.verify_book(jobs=os.cpu_count() or 1, scratch=tmp_path / "again", published=published,
                              stream=io.StringIO())
    different = [r for r in rows if not r.equal]
    assert different == []
    per_chapter = {entry["chapter"]: entry for entry in verify.summary(rows)}
    assert set(per_chapter) == {c.name for c in params.load_plan()}
    assert all(entry["numbers"] > 0 for entry in per_chapter.values())
    assert sum(entry["figures"] for entry in per_chapter.values()) >= 16
    commands = [r for r in rows if r.item == "parameters given by the page's command"]
    assert len(commands) == len(per_chapter) and all(r.equal for r in commands)
    # ... and each page's command is the one its schema writes (the worker knows the schema: a
    # choice such as correction=none is written bare, not quoted as if it could be null)
    for chapter in params.load_plan():
        page = read_notebook(published / chapter.output.name if published else chapter.output)
        recorded = page["metadata"]["ruralrev"]["parameters"]   # written with sorted keys
        assert verify.page_command(page) == params.command_line(chapter, {k: recorded[k] for k in chapter.parameters})


def test_every_table_myst_table_writes_is_read_back_cell_by_cell():
    """Plain and interactive tables (an extra ``:class:`` option) alike: none escapes the comparison."""
    import pandas as pd

    from ruralrev.present.tables import myst_table

    frame = pd.DataFrame({"name": ["a", "b|c"], "value": [1.5, 2.25]})
    for interactive in (False, True):
        markdown = myst_table(frame, caption="Values (units).", label="tbl-x", source="data/x.csv",
                              interactive=interactive).data
        [table] = page_items.parse_table(markdown)
        assert (table.label, table.caption, table.source) == ("tbl-x", "Values (units).", "data/x.csv")
        assert table.header == ("name", "value") and len(table.rows) == 2 and table.rows[1][0] == "b|c"


def test_a_categorical_map_records_which_provinces_take_each_colour():
    """A category map has no colour values to record: each category's colour, its number of
    provinces and a digest of their outlines stand for them, so a province that moves is seen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from ruralrev.book import figure_data
    from ruralrev.present import maps

    def record(values):
        ax = maps.choropleth(pd.Series(values), "Clusters", "", categorical=True)
        try:
            return figure_data.extract(ax.figure)["axes"][0]
        finally:
            plt.close(ax.figure)

    before = record({"Beijing": "cluster 1", "Hebei": "cluster 2", "Shanxi": "cluster 1"})
    after = record({"Beijing": "cluster 1", "Hebei": "cluster 1", "Shanxi": "cluster 2"})
    assert before["title_left"] == "Clusters" and before["legend"][:2] == ["cluster 1", "cluster 2"]
    assert [c["paths"] for c in before["collections"][:2]] == [2, 1]
    assert before["collections"][0]["facecolors"] == after["collections"][0]["facecolors"]
    assert before["collections"][0]["outline_sha256"] != after["collections"][0]["outline_sha256"]


def test_the_verification_page_says_what_it_compared_and_goes_out_of_date(tmp_path):
    """A report on every chapter says the book reproduces; on some, which it compared and that the
    rest were not; a compared page re-executed since makes it out of date; no report, no verdict."""
    from ruralrev.book.verify import Row, refresh_page, write_report

    page = tmp_path / "verification.md"
    refresh_page({"a": "k1", "b": "k2"}, tmp_path)
    assert "has not been run" in page.read_text() and "Verdict" not in page.read_text()
    rows = [Row("a", "number x (cell 1)", "'1'", "'1'"), Row("b", "number y (cell 2)", "'2'", "'2'")]
    write_report(rows, {"a": "k1", "b": "k2"}, {"a": "k1", "b": "k2"}, folder=tmp_path, elapsed=3)
    text = page.read_text()
    assert "re-executed every chapter" in text and "the book reproduces" in text and "out of date" not in text
    refresh_page({"a": "k1", "b": "k2-other-parameters"}, tmp_path)      # b re-run with other parameters
    text = page.read_text()
    assert "**This report is out of date.** The published page of b was re-executed" in text
    refresh_page({"a": "k1", "b": "k2"}, tmp_path)                      # b back as it was compared
    assert "out of date" not in page.read_text()
    write_report(rows[1:], {"b": "k2"}, {"a": "k1", "b": "k2"}, folder=tmp_path)
    text = page.read_text()
    assert "re-executed 1 of the 2 chapters (b)" in text and "the other 1 (a) were not compared" in text
    assert "the book reproduces" not in text


def test_printed_differences_show_where_two_long_values_differ():
    from ruralrev.book.verify import _excerpt

    published, recomputed = "x" * 90 + "claims: 7 in", "x" * 90 + "claims: 8 in"
    shown = _excerpt(published, recomputed), _excerpt(recomputed, published)
    assert shown[0] != shown[1] and "7" in shown[0] and "8" in shown[1]
    assert all(len(s) <= 62 for s in shown) and shown[0].startswith("…")
    assert _excerpt("short", "other") == "short"


def _ruralrev(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RURALREV_ROOT": str(root)}
    return subprocess.run([sys.executable, "-m", "ruralrev.book.cli", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=600)


def test_verify_refuses_to_keep_its_runs_in_the_published_folder(tmp_path):
    """`--keep book/executed` would re-execute over the pages verify compares (and compare each
    with itself): refused before anything runs, one message, exit 2, the page untouched."""
    plan = _small_book(tmp_path)
    chapter = params.load_plan(plan, tmp_path)[0]
    published = tmp_path / "book" / "executed"
    published.mkdir(parents=True)
    page = {"cells": [{"cell_type": "markdown", "id": "box", "metadata": {"tags": ["ruralrev-parameters"]},
                       "source": "```bash\n" + params.command_line(chapter, chapter.parameters) + "\n```"}],
            "metadata": {"ruralrev": {"parameters": chapter.parameters}}, "nbformat": 4, "nbformat_minor": 5}
    (published / "demo.ipynb").write_text(json.dumps(page))
    before = (published / "demo.ipynb").read_bytes()
    for keep in ("book/executed", str(published), "book/./executed"):
        result = _ruralrev(tmp_path, "verify", "demo", "--keep", keep, "--no-html")
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"ruralrev: --keep {Path(keep)}: that is the folder of the published "
                                                       "pages; verify never writes there"), lines
    assert (published / "demo.ipynb").read_bytes() == before
    assert sorted(p.name for p in published.iterdir()) == ["demo.ipynb"]


def _edit_page(path: Path, edit) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    edit(notebook["cells"])
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False), encoding="utf-8")


@pytest.mark.slow
def test_an_edited_sentence_or_line_of_code_is_caught_by_verify_and_by_build(tmp_path):
    """A sentence slipped into the prose of an executed page, and a comment into its code: verify
    names both cells, `build --no-run` refuses to publish the page, and a run re-executes it."""
    plan = _small_book(tmp_path)
    runner.run_chapters(params_file=plan, root=tmp_path, stream=io.StringIO())
    page = tmp_path / "book" / "executed" / "demo.ipynb"

    def tamper(cells):
        prose = next(c for c in cells if c["cell_type"] == "markdown" and "add up to" in "".join(c["source"]))
        prose["source"] = "".join(prose["source"]) + "\n\nRural income fell by 90 % in every province."
        code = next(c for c in cells if c["cell_type"] == "code" and "glue(" in "".join(c["source"]))
        code["source"] = "# the numbers below were checked by hand\n" + "".join(code["source"])

    _edit_page(page, tamper)
    rows = verify.verify_book(root=tmp_path, params_file=plan, jobs=1, stream=io.StringIO())
    different = {r.item: (r.published, r.recomputed) for r in rows if not r.equal}
    assert set(different) == {"page as executed (content hash recorded at execution)", "markdown cell 1: text",
                              "code cell 2: source"}, different
    assert different["markdown cell 1: text"][0].endswith("fell by 90 % in every province.")
    assert different["code cell 2: source"][0].startswith("# the numbers below were checked by hand")
    assert verify.summary(rows)[0]["cell texts"] >= 4

    refused = _ruralrev(tmp_path, "build", "--no-run")
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.startswith("ruralrev: book/executed/demo.ipynb: edited after its execution")
    assert "Traceback" not in refused.stderr
    again = io.StringIO()
    [result] = runner.run_chapters(params_file=plan, root=tmp_path, stream=again)
    assert result.state == "re-executed" and "demo: " in again.getvalue() and "was edited after its execution" in again.getvalue()
    assert "every province" not in page.read_text(encoding="utf-8")
    assert [r.state for r in runner.run_chapters(params_file=plan, root=tmp_path, stream=io.StringIO())] == ["unchanged"]


def test_the_report_shows_a_differing_cell_as_written_and_keeps_equal_cells_as_digests(tmp_path):
    """A cell's text is MyST: on the Verification page its excerpt must read literally (a role in it
    is not rendered, a pipe does not split the table), and the page must build with warnings as
    errors. Equal cells go to the CSV as digests (the CSV is a download of the book)."""
    rows = [verify.Row("a", "markdown cell 3: text", "We ran in {glue:text}`survey_year` | here.", "We ran in 2020."),
            verify.Row("a", "code cell 2: source", "print('solution')", "print('solution')")]
    verify.write_report(rows, {"a": "k"}, {"a": "k"}, folder=tmp_path / "executed")
    with open(tmp_path / "executed" / "verification.csv", encoding="utf-8") as handle:
        stored = {r["item"]: r["published"] for r in csv.DictReader(handle)}
    assert stored["markdown cell 3: text"].startswith("We ran in {glue:text}")
    assert stored["code cell 2: source"].startswith("sha256:") and "solution" not in stored["code cell 2: source"]
    (tmp_path / "conf.py").write_text("extensions = ['myst_parser']\nnumfig = True\n", encoding="utf-8")
    (tmp_path / "index.md").write_text("# Book\n\n```{toctree}\nexecuted/verification\n```\n", encoding="utf-8")
    out = tmp_path / "_build"
    run = build_html(tmp_path, out, "-W")
    assert run.returncode == 0, run.stderr
    page = (out / "executed" / "verification.html").read_text(encoding="utf-8")
    assert "We ran in {glue:text}`survey_year` | here." in re.sub(r"<[^>]+>", "", page).replace("&#96;", "`")

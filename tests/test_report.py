import json

from ruralrev.book import page_items, report
from ruralrev.book.params import Chapter


def test_tables_and_figures_are_listed_with_their_cell_and_source(tmp_path):
    table = "```{table} Rural income (yuan).\n:name: tbl-demo\n\n| a |\n|---|\n| 1 |\n```\n\n*Source:* NBS panel.\n"
    notebook = {"metadata": {"ruralrev": {"parameters": {"year": 2023}, "seconds": 1.5, "inputs_sha256": "ab" * 32}},
                "cells": [
                    {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "outputs": [], "source": ""},
                    {"cell_type": "markdown", "metadata": {}, "source": "text"},
                    {"cell_type": "code", "metadata": {}, "source": "",
                     "outputs": [{"output_type": "execute_result", "data": {"text/markdown": table}}]},
                    {"cell_type": "code", "metadata": {"mystnb": {"figure": {"caption": "A map.", "name": "fig-demo"}}},
                     "outputs": [], "source": ""}]}
    output = tmp_path / "demo.ipynb"
    output.write_text(json.dumps(notebook))
    chapter = Chapter("demo", tmp_path / "demo.md", output, {"year": 2023})
    listing = report.tables_and_figures([chapter])
    assert listing.to_dict("records") == [
        {"chapter": "demo", "kind": "table", "label": "tbl-demo", "caption": "Rural income (yuan).", "cell": 1,
         "reads": "NBS panel."},
        {"chapter": "demo", "kind": "figure", "label": "fig-demo", "caption": "A map.", "cell": 2,
         "reads": "(not declared)"}]


def test_every_figure_cell_declares_the_data_it_reads():
    """The reproducibility page's 'reads' column comes from each figure cell's ``reads`` metadata."""
    import jupytext

    from ruralrev.book import params

    missing = []
    for chapter in params.load_plan():
        for cell in jupytext.read(chapter.source).cells:
            figure = cell.metadata.get("mystnb", {}).get("figure")
            if figure and not str(cell.metadata.get("reads", "")).strip():
                missing.append(f"{chapter.name}: {figure.get('name')}")
            # every {parameter} is filled in from the chapter's parameters, lists as their items
            if figure and "{" in page_items.reads_text({"metadata": dict(cell.metadata)}, chapter.parameters):
                missing.append(f"{chapter.name}: {figure.get('name')} leaves a placeholder")
    assert missing == []
    cell = {"metadata": {"reads": "log income on {fe_regressors}, {start_year}"}}
    assert page_items.reads_text(cell, {"fe_regressors": ["urbanization_rate", "primary_share"], "start_year": 2016}) == \
        "log income on urbanization_rate, primary_share, 2016"

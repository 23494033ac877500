import html
import re

import numpy as np
import pandas as pd
import pytest

from ruralrev.present.html_classes import INTERACTIVE_CLASS
from ruralrev.present.tables import (
    FORMATS,
    MISSING,
    escape_markdown,
    format_by_unit,
    format_value,
    markdown_table,
    myst_table,
    unescape_markdown,
    unit_kind,
)


@pytest.fixture(scope="module")
def render():
    """MyST's own Markdown parser (the one the book uses), rendering inline text to HTML text."""
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    parser = create_md_parser(MdParserConfig(enable_extensions={"colon_fence", "dollarmath", "amsmath", "deflist",
                                                                "substitution"}), RendererHTML)
    return lambda text: html.unescape(re.sub(r"<[^>]+>", "", parser.render(text))).strip()


HOSTILE = ["agri/第一产业增加值GDP比重/<province>.csv", "0.123*** and _x_ and **y**", "a|b", "$5 & <b>bold</b>",
           "[link](http://x) ![img](y)", "~~struck~~ {{ sub }} {role}", "C:\\data\\file", "&lt; &amp;", "#1 <!-- c -->"]


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_itself(render, text):
    assert render(escape_markdown(text)) == text


def test_code_spans_and_roles_are_kept_as_markup(render):
    text = "see `ruralrev run <chapter>` and {cite:p}`key_2020` in data/<x>.csv"
    escaped = escape_markdown(text)
    assert "`ruralrev run <chapter>`" in escaped and "{cite:p}`key_2020`" in escaped
    assert "data/\\<x\\>.csv" in escaped
    assert render(escape_markdown("run `a <b>`")) == "run a <b>"


@pytest.mark.parametrize("text", HOSTILE + ["`code | pipe`", "already \\<escaped\\>"])
def test_escaping_is_idempotent(text):
    once = escape_markdown(text)
    assert escape_markdown(once) == once
    assert escape_markdown(once, table_cell=True) == escape_markdown(text, table_cell=True)


def test_unescape_undoes_escape_outside_code():
    for text in HOSTILE:
        assert unescape_markdown(escape_markdown(text)) == text


def test_table_cells_escape_pipes_even_in_code_and_drop_line_breaks():
    assert escape_markdown("`a|b`\nc", table_cell=True) == "`a\\|b` c"


def test_precision_policy():
    assert format_value(58.2919, "percent") == "58.3"
    assert format_value(7.0, "count") == "7"
    assert format_value(1234567.4, "money") == "1,234,567"
    assert format_value(0.01234, "index") == "0.012"
    assert format_value(-0.04, "percent") == "0.0"            # no negative zero
    assert format_value(2016) == "2016" and format_value(3.14159) == "3.14"
    assert format_value("text", "money") == "text"
    with pytest.raises(ValueError, match="not a whole number"):
        format_value(7.5, "count")
    assert set(FORMATS) >= {"percent", "count", "money", "index"}


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, pd.NaT])
def test_missing_values_print_as_n_a(missing):
    assert format_value(missing, "percent") == MISSING == "n/a"


def test_markdown_table_formats_by_column_and_never_prints_nan():
    frame = pd.DataFrame({"Year": [2016, 2024], "Provinces": [7.0, 24.0], "Share (%)": [58.2919, np.nan],
                          "Income (yuan)": [21578.5, 1234567.0], "Mixed": ["none ≤ 2000", 33]})
    text = markdown_table(frame, formats={"Share (%)": "percent", "Income (yuan)": "money"})
    rows = text.splitlines()
    assert rows[2] == "| 2016 | 7 | 58.3 | 21,578 | none ≤ 2000 |"   # whole-number floats print as integers
    assert rows[3] == "| 2024 | 24 | n/a | 1,234,567 | 33 |"
    assert "nan" not in text.lower() and "None" not in text
    with pytest.raises(ValueError, match="unknown column"):
        markdown_table(frame, formats={"Nope": "count"})


def test_markdown_table_escapes_cells_and_headers():
    frame = pd.DataFrame({"a|b": ["x|y"], "<c>": ["0.1**"]})
    assert markdown_table(frame).splitlines() == ["| a\\|b | \\<c\\> |", "|:---|:---|", "| x\\|y | 0.1\\*\\* |"]


def test_format_by_unit_uses_each_rows_unit():
    frame = pd.DataFrame({"Indicator": ["provinces", "urbanization_rate", "rural_income", "grain"],
                          "Unit": ["count", "per cent", "yuan per person", "tonnes per person"],
                          "Cluster 1": [7.0, 58.2919, 21578.5, 1.23456]})
    out = format_by_unit(frame, "Unit")
    assert out["Cluster 1"].tolist() == ["7", "58.3", "21,578", "1.23"]
    assert unit_kind("100 million yuan") is None and unit_kind("%") == "percent"
    assert unit_kind("log(yuan per person)") is None     # a log is not money (12 vs 11 would hide the gap)


def test_myst_table_is_numbered_captioned_and_sourced():
    frame = pd.DataFrame({"Province": ["Beijing", "Tibet"], "Income (yuan)": [39856.0, 21578.5]})
    text = myst_table(frame, "Rural income, 2024 (yuan).", "tbl-income", "NBS.").data
    assert text.startswith("```{table} Rural income, 2024 (yuan).\n:name: tbl-income\n")
    assert "| Beijing | 39,856.00 |" in text
    assert text.rstrip().endswith("*Source:* NBS.")


def test_myst_table_escapes_caption_and_source_and_marks_interactive_tables():
    frame = pd.DataFrame({"a": [1]})
    text = myst_table(frame, "Files <province>.csv", "tbl-x", "kept from agri/<province>.csv; {cite:p}`k`",
                      interactive=True).data
    assert text.startswith("```{table} Files \\<province\\>.csv\n:name: tbl-x\n" f":class: {INTERACTIVE_CLASS}\n")
    assert "*Source:* kept from agri/\\<province\\>.csv; {cite:p}`k`" in text


def test_bad_label_is_refused():
    with pytest.raises(ValueError, match="label"):
        myst_table(pd.DataFrame({"a": [1]}), "c", "Bad Label", "s")

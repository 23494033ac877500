"""The readability measure of the book's main text (benchmarks/readability.py) on known answers."""

import importlib.util
import sys

import pytest

from ruralrev.core import paths

_spec = importlib.util.spec_from_file_location("readability", paths.ROOT / "benchmarks" / "readability.py")
readability = importlib.util.module_from_spec(_spec)
sys.modules["readability"] = readability    # dataclasses look their module up there
_spec.loader.exec_module(readability)

PAGE = """<html><body><article class="bd-article">
<h1>Title</h1>
<div class="admonition key-findings"><p class="admonition-title">Key findings</p>
<ul><li><p>Inequality fell by 4.5 % (<a><span class="std std-numref">Fig. 2.1</span></a>).</p></li><li><p>Poorer provinces grew faster.</p></li></ul></div>
<p>The Theil index fell from 0.0123 to 0.0117, e.g. in the East. It fell in 2024 too.</p>
<table><tr><td><p>a cell with many words that are not main text at all</p></td></tr></table>
<div class="highlight"><pre>print("code")</pre></div>
<figure><figcaption><p>A caption is not main text.</p></figcaption></figure>
<details><summary>Show</summary><p>Hidden words inside a collapsed block.</p></details>
<div class="admonition dropdown"><p>Details: procedure-by-procedure p-values here.</p></div>
<section id="technical-notes"><h2>Technical notes</h2><p>Long technical note.</p></section>
<div class="toctree-wrapper compound"><ul><li><p>1. A chapter title</p></li></ul></div>
</article></body></html>"""


def test_main_text_keeps_paragraphs_and_list_items_only():
    blocks = readability.main_text(PAGE)
    assert blocks == ["Key findings", "Inequality fell by 4.5 % ( the figure ).", "Poorer provinces grew faster.",
                      "The Theil index fell from 0.0123 to 0.0117, e.g. in the East. It fell in 2024 too."]


def test_sentences_are_not_cut_at_decimals_or_abbreviations():
    assert readability.sentences("The Theil index fell from 0.0123 to 0.0117, e.g. in the East. It fell in 2024 "
                                 "too.") == ["The Theil index fell from 0.0123 to 0.0117, e.g. in the East.",
                                             "It fell in 2024 too."]


def test_measure_counts_words_numbers_and_parentheses():
    figures = readability.measure(["One two three four. Five six (seven) 8 and 9.5 %."])
    assert (figures.words, figures.sentences) == (11, 2)
    assert figures.mean == pytest.approx(5.5) and figures.p90 == 7
    assert figures.numbers_per_100 == pytest.approx(100 * 2 / 11)
    assert figures.parentheses_per_100 == pytest.approx(100 / 11)
    assert figures.share_over_40 == 0


def test_numbers_that_name_a_section_or_table_are_not_counted():
    figures = readability.measure(["Paper 003 says in section 2.1 and Table 1 that 45 % of sections 3 and 4 agree."])
    assert figures.numbers_per_100 == pytest.approx(100 * 1 / figures.words)


def test_goals_are_checked_book_wide():
    long = " ".join(["word"] * 45) + "."
    figures = readability.measure([long, "Short one."])
    assert figures.share_over_40 == 50 and readability.missed(figures) == ["share_over_40", "p90"]

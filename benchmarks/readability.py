"""Readability of the built book's main text, chapter by chapter.

    python benchmarks/readability.py              # reads _build/html, writes benchmarks/readability.md
    python benchmarks/readability.py --check      # also exits 1 if a book-wide goal is missed

The *main layer* of a page is what a reader sees without clicking: the paragraphs and list items
of the article, outside tables, code, figure and table captions, cell outputs, collapsed blocks
(dropdowns, "Details", solutions), the table of contents and the "Technical notes" section. A
numbered cross-reference ("Table 2.3") and a paper's section, table or number ("section 2.1",
"Table 1", "paper 003") count as words, not as numbers: they name, they do not measure. For it, per chapter and for
the whole book: words, sentences, mean and 90th-percentile sentence length (words), the share of
sentences over 40 words, numbers per 100 words and parentheses per 100 words.

Goals (issue 21, measured against QuantEcon's lectures): at most 3 % of sentences over 40 words,
a 90th percentile of at most 30 words and at most 5 numbers per 100 words, book-wide.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
REPORT = ROOT / "benchmarks" / "readability.md"
GOALS = {"share_over_40": 3.0, "p90": 30.0, "numbers_per_100": 5.0}

#: Elements whose text is not main text.
_SKIP = ("table", "pre", "div.highlight", "figcaption", "caption", "div.cell_output", "details", "div.toctree-wrapper",
         "div.dropdown", "div.toggle-details", "div.solution", "section#technical-notes", "div.ruralrev-run-box",
         "span.math", "div.math", "div.ruralrev-stale")
_ABBREVIATIONS = ("e.g.", "i.e.", "Fig.", "vs.", "et al.", "cf.", "No.", "p.")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[A-Z0-9“\"(])")
_NUMBER = re.compile(r"(?<![\w.])[−+-]?\d[\d,]*(?:\.\d+)?")
#: A number that names a part of a paper or of the book ("section 2.1", "Table 1", "paper 003").
_NAME = re.compile(r"\b(?:[Ss]ections?|Tables?|Fig\.|Figures?|Exercises?|[Cc]hapters?|[Pp]apers?)\s+\d[\d.]*(?:\s*(?:and|,|–)\s*\d[\d.]*)*")
_WORD = re.compile(r"[\w’'−-]+")


@dataclass(frozen=True)
class Figures:
    words: int
    sentences: int
    mean: float
    p90: float
    share_over_40: float
    numbers_per_100: float
    parentheses_per_100: float


def main_text(html: str) -> list[str]:
    """The paragraphs and list items of a page's main layer, as plain text."""
    soup = BeautifulSoup(html, "html.parser")
    article = soup.select_one("article.bd-article") or soup
    for selector in _SKIP:
        for element in article.select(selector):
            element.decompose()
    for element in article.select("div.admonition"):
        if "dropdown" in element.get("class", []):
            element.decompose()
    for reference in article.select("span.std-numref"):     # "Table 2.3" names a table; it is no quantity
        reference.string = "the table" if reference.get_text().startswith("Table") else "the figure"
    blocks = []
    for element in article.find_all(["p", "li"]):
        if element.find_parent("li") is not None and element.name == "p":
            continue        # a paragraph inside a list item is counted with the item
        text = " ".join(element.get_text(" ").split())
        if text:
            blocks.append(text)
    return blocks


def sentences(text: str) -> list[str]:
    """Split a block into sentences; decimals and common abbreviations do not end one."""
    protected = text
    for abbreviation in _ABBREVIATIONS:
        protected = protected.replace(abbreviation, abbreviation.replace(".", "\x00"))
    return [s.replace("\x00", ".") for s in _SENTENCE_END.split(protected) if _WORD.search(s)]


def measure(blocks: list[str]) -> Figures:
    """Readability figures of a list of blocks (see the module docstring)."""
    lengths, numbers, parentheses = [], 0, 0
    for block in blocks:
        for sentence in sentences(block):
            lengths.append(len(_WORD.findall(sentence)))
        numbers += len(_NUMBER.findall(_NAME.sub("name", block)))
        parentheses += block.count("(")
    words = sum(lengths)
    if not lengths:
        return Figures(0, 0, 0.0, 0.0, 0.0, 0.0, 0.0)
    ordered = sorted(lengths)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return Figures(words=words, sentences=len(lengths), mean=statistics.fmean(lengths), p90=float(p90),
                   share_over_40=100 * sum(n > 40 for n in lengths) / len(lengths),
                   numbers_per_100=100 * numbers / words, parentheses_per_100=100 * parentheses / words)


def chapter_pages(html_root: Path = HTML) -> dict[str, Path]:
    """The landing page and every chapter page of the built book, in book order."""
    landing = html_root / "book" / "intro.html"
    pages = {"landing page": landing} if landing.exists() else {}
    executed = html_root / "book" / "executed"
    sys.path.insert(0, str(ROOT / "src"))
    from ruralrev.book.params import load_plan

    for chapter in load_plan():
        page = executed / f"{chapter.name}.html"
        if page.exists():
            pages[chapter.name] = page
    return pages


def report(pages: dict[str, Path]) -> tuple[str, Figures]:
    rows, everything = [], []
    for name, page in pages.items():
        blocks = main_text(page.read_text(encoding="utf-8"))
        everything += blocks
        rows.append((name, measure(blocks)))
    total = measure(everything)
    lines = ["# Readability of the main text", "",
             "Written by `benchmarks/readability.py` from the built pages (`_build/html`). Main layer: paragraphs and",
             "list items outside tables, code, captions, cell outputs, collapsed blocks and the Technical notes",
             "section. Sentence lengths in words.", "",
             "| page | words | sentences | mean | 90th pct | over 40 words (%) | numbers / 100 words | parentheses / 100 words |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, f in [*rows, ("**book**", total)]:
        lines.append(f"| {name} | {f.words:,} | {f.sentences:,} | {f.mean:.1f} | {f.p90:.0f} | {f.share_over_40:.1f} "
                     f"| {f.numbers_per_100:.1f} | {f.parentheses_per_100:.1f} |")
    lines += ["", "Goals, book-wide: at most 3 % of sentences over 40 words (now "
              f"{total.share_over_40:.1f} %), a 90th percentile of at most 30 words (now {total.p90:.0f}), at most 5 "
              f"numbers per 100 words (now {total.numbers_per_100:.1f}).", ""]
    return "\n".join(lines), total


def missed(total: Figures) -> list[str]:
    """The book-wide goals the figures miss."""
    return [name for name, goal in GOALS.items() if getattr(total, name) > goal]


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--html", default=str(HTML), help="the built site (default: _build/html)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a book-wide goal is missed")
    args = parser.parse_args(argv)
    pages = chapter_pages(Path(args.html))
    if not pages:
        print(f"readability: no built pages under {args.html}; build the book first", file=sys.stderr)
        return 2
    text, total = report(pages)
    REPORT.write_text(text, encoding="utf-8")
    print(text)
    failing = missed(total)
    if args.check and failing:
        print(f"readability: goals missed: {', '.join(failing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(cli())

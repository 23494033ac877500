"""The reproducibility page and the list of tables and figures, generated from the executed notebooks.

After the runner has executed the chapters, :func:`write_reproducibility_page` writes
``book/executed/reproducibility.md``: for each chapter the source notebook, the parameters it
ran with, its execution time, the git commit, the data-snapshot checksum and the versions of the
main packages; then an AEA-style list of every numbered table and figure of the book with the
chapter and cell that make it and the data it reads (its source line).
"""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

from ruralrev.book.execute import read_notebook
from ruralrev.book.page_items import read_items
from ruralrev.book.params import format_value
from ruralrev.core import files, paths

__all__ = ["chapter_records", "tables_and_figures", "glued_numbers", "write_reproducibility_page",
           "write_headline_map", "PACKAGES"]

PACKAGES = ["ruralrev", "numpy", "pandas", "scipy", "statsmodels", "linearmodels", "scikit-learn",
            "inequality", "geopandas", "shapely", "matplotlib", "papermill", "jupyter-book"]


def _git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=paths.ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=paths.ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return commit + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"


def data_checksum() -> str:
    """sha256 over every file of ``data/`` (path and content), the snapshot's fingerprint."""
    from ruralrev.book.execute import tree_digest

    return tree_digest(paths.DATA)


def chapter_records(chapters, stale=()) -> pd.DataFrame:
    """One row per chapter: name, source, state, parameters, seconds of the last execution, inputs key."""
    rows = []
    for chapter in chapters:
        meta = read_notebook(chapter.output)["metadata"].get("ruralrev", {})
        rows.append({"chapter": chapter.name, "source": chapter.source.relative_to(paths.ROOT).as_posix(),
                     "state": "stale" if chapter.name in stale else "current",
                     "parameters": ", ".join(f"{k}={format_value(v, chapter.spec(k))}"
                                            for k, v in meta.get("parameters", {}).items()),
                     "seconds": meta.get("seconds"), "inputs": meta.get("inputs_sha256", "")[:12]})
    return pd.DataFrame(rows)


def tables_and_figures(chapters) -> pd.DataFrame:
    """Every numbered table and figure: chapter, kind, label, caption, code cell, the data it reads.

    A table reads what its source line says; a figure what its cell's ``reads`` metadata says,
    with the page's parameters filled in (see :mod:`ruralrev.book.page_items`)."""
    rows = []
    for chapter in chapters:
        found = read_items(read_notebook(chapter.output))
        entries = [(t.cell, 0, {"kind": "table", "label": t.label, "caption": t.caption, "cell": t.cell,
                                "reads": t.source}) for t in found.tables]
        entries += [(f.cell, 1, {"kind": "figure", "label": f.label, "caption": f.caption, "cell": f.cell,
                                 "reads": f.reads or "(not declared)"}) for f in found.figures]
        rows += [{"chapter": chapter.name, **entry} for _, _, entry in sorted(entries, key=lambda e: e[:2])]
    return pd.DataFrame(rows, columns=["chapter", "kind", "label", "caption", "cell", "reads"])


def glued_numbers(chapters) -> pd.DataFrame:
    """Every number quoted in the prose (glued): chapter, name, code cell, value as printed."""
    rows = [{"chapter": chapter.name, "name": g.name, "cell": g.cell, "value": g.value.strip("'")}
            for chapter in chapters for g in read_items(read_notebook(chapter.output)).glued]
    return pd.DataFrame(rows, columns=["chapter", "name", "cell", "value"])


def _versions() -> pd.DataFrame:
    rows = []
    for name in PACKAGES:
        try:
            rows.append({"package": name, "version": metadata.version(name)})
        except metadata.PackageNotFoundError:
            rows.append({"package": name, "version": "not installed"})
    return pd.DataFrame(rows)


#: The list of glued numbers beside the reproducibility page (shown by its ``{csv-html-table}``).
NUMBERS_CSV = "glued-numbers.csv"


def write_reproducibility_page(chapters, target: Path | None = None, stale=()) -> Path:
    """Write the reproducibility page (temporary file, then rename; only if it changed) and return its path."""
    from ruralrev.present.tables import markdown_table

    target = target or paths.ROOT / "book" / "executed" / "reproducibility.md"
    records = chapter_records(chapters, stale)
    records["seconds"] = records["seconds"].map(lambda s: f"{s:.1f}" if isinstance(s, (int, float)) else "–")
    records["reproduce"] = [f"`ruralrev run {name}`" for name in records["chapter"]]
    listing = tables_and_figures(chapters)
    # {ref} with an explicit title: a {numref} would make Sphinx unpickle every chapter's doctree
    # to number it, seconds on every rebuild of this page.
    listing["label"] = [f"{{ref}}`{label} <{label}>`" for label in listing["label"]]
    numbers = glued_numbers(chapters)
    files.write_if_changed(target.parent / NUMBERS_CSV, numbers.to_csv(index=False, lineterminator="\n"))
    text = "\n".join([
        "# Reproducibility",
        "",
        "This page is written by the book's runner after it executes the chapters. To reproduce the",
        "whole book from a clone: `python3.11 tasks.py book`; one chapter: the command in the last column.",
        "",
        f"- Git commit: `{_git_commit()}`",
        f"- Data snapshot (sha256 over `data/`): `{data_checksum()}`",
        "- Random seeds: the `seed` parameter of each chapter (default 20261123).",
        "",
        "## Chapters",
        "",
        "A chapter is *stale* when its inputs changed after its last successful run (its page then",
        "carries a warning banner). Every page's own parameters box gives the exact command with all",
        "of its parameters; `ruralrev verify` re-executes every chapter and compares every number below",
        "(see {doc}`verification`).",
        "",
        "```{table} Chapters with the parameters and time of their last execution (seconds, on the machine that built this page).",
        ":name: tbl-repro-chapters",
        "",
        markdown_table(records.rename(columns=str.capitalize)),
        "```",
        "",
        "## Software",
        "",
        "```{table} Versions of the main packages used to build this page (all pins in constraints.txt).",
        ":name: tbl-repro-versions",
        "",
        markdown_table(_versions().rename(columns=str.capitalize)),
        "```",
        "",
        "## List of tables and figures",
        "",
        "Every numbered table and figure of the book, the chapter and code cell that make it, and the",
        "data it reads (for tables, the source line printed under it; for figures, what the figure's cell",
        "declares it reads, with the page's parameters filled in).",
        "",
        "```{table} Tables and figures of the book.",
        ":name: tbl-repro-list",
        "",
        markdown_table(listing.rename(columns=str.capitalize)),
        "```",
        "",
        "## List of numbers in the text",
        "",
        "Every number the prose quotes is glued from the code cell that computes it, never typed: the",
        "chapter, the glue name, the code cell (numbered as in the source notebook) and the value shown",
        f"(also as {{download}}`a CSV file <{NUMBERS_CSV}>`).",
        "",
        "```{csv-html-table} Numbers quoted in the text of the book.",
        ":name: tbl-repro-numbers",
        f":file: {NUMBERS_CSV}",
        ":code-columns: name",
        "```",
        "",
    ])
    return files.write_if_changed(target, text)


def write_headline_map(target: Path | None = None, environment: str | None = None) -> Path:
    """The landing page's map: rural per-capita disposable income in the snapshot's latest year.

    Redrawn only when ``environment`` (the digest of data, package and pins) differs from the
    one recorded beside the image, so a no-change build does not pay for it."""
    target = target or paths.ROOT / "book" / "executed" / "figures" / "headline-map.png"
    stamp = target.with_name(f".{target.name}.inputs")
    if environment and target.is_file() and stamp.is_file() and stamp.read_text(encoding="utf-8") == environment:
        return target
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ruralrev.data import official
    from ruralrev.present import maps, style

    panel = official.load_panel()
    year = int(panel.loc[panel["rural_income"].notna(), "year"].max())
    ax = maps.choropleth(official.indicator_values(panel, "rural_income", year),
                         f"Rural per-capita disposable income, {year}", "yuan per person",
                         source="NBS annual data by province; map: Natural Earth", classes=5)
    ax.figure.tight_layout()
    # Twice the figure's dpi, as the chapters' figures; the page shows it at its 1x width (site CSS).
    # The smallest font rides along in the PNG, for the browser test's legibility check.
    smallest = min(size for size, _ in style.drawn_font_sizes(ax.figure))
    with files.atomic_path(target, suffix=".png") as tmp:
        ax.figure.savefig(tmp, dpi=2 * style.DPI, bbox_inches="tight",
                          metadata={"Software": None, "ruralrev:smallest-font-pt": f"{smallest:g}"})
    plt.close(ax.figure)
    if environment:
        files.write_text(stamp, environment)
    return target

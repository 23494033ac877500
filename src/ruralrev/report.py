"""The reproducibility page and the list of tables and figures, generated from the executed notebooks.

After the runner has executed the chapters, :func:`write_reproducibility_page` writes
``book/executed/reproducibility.md``: for each chapter the source notebook, the parameters it
ran with, its execution time, the git commit, the data-snapshot checksum and the versions of the
main packages; then an AEA-style list of every numbered table and figure of the book with the
chapter and cell that make it and the data it reads (its source line).
"""

from __future__ import annotations

import json
import re
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

from . import files, paths

__all__ = ["chapter_records", "tables_and_figures", "write_reproducibility_page", "PACKAGES"]

PACKAGES = ["ruralrev", "numpy", "pandas", "scipy", "statsmodels", "linearmodels", "scikit-learn",
            "inequality", "geopandas", "shapely", "matplotlib", "papermill", "jupyter-book"]
_TABLE = re.compile(r"```\{table\} (?P<caption>.*)\n:name: (?P<label>[a-z0-9-]+)\n(?:.|\n)*?\*Source:\* (?P<source>.*)")


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
    from .pipeline import tree_digest

    return tree_digest(paths.DATA)


def chapter_records(chapters) -> pd.DataFrame:
    """One row per chapter: name, source, parameters, seconds of the last execution, inputs key."""
    rows = []
    for chapter in chapters:
        meta = json.loads(chapter.output.read_text(encoding="utf-8"))["metadata"].get("ruralrev", {})
        rows.append({"chapter": chapter.name, "source": chapter.source.relative_to(paths.ROOT).as_posix(),
                     "parameters": ", ".join(f"{k}={v!r}" for k, v in meta.get("parameters", {}).items()),
                     "seconds": meta.get("seconds"), "inputs": meta.get("inputs_sha256", "")[:12]})
    return pd.DataFrame(rows)


def tables_and_figures(chapters) -> pd.DataFrame:
    """Every numbered table and figure: chapter, kind, label, caption, code cell, data source."""
    rows = []
    for chapter in chapters:
        notebook = json.loads(chapter.output.read_text(encoding="utf-8"))
        code_cell = 0
        for cell in notebook["cells"]:
            if cell["cell_type"] != "code":
                continue
            tags = cell.get("metadata", {}).get("tags", [])
            if "injected-parameters" not in tags:
                code_cell += 1
            figure = cell.get("metadata", {}).get("mystnb", {}).get("figure")
            if figure:
                rows.append({"chapter": chapter.name, "kind": "figure", "label": figure["name"],
                             "caption": figure["caption"], "cell": code_cell, "reads": "see the chapter's data cells"})
            for output in cell.get("outputs", []):
                text = output.get("data", {}).get("text/markdown")
                if text is None:
                    continue
                text = "".join(text) if isinstance(text, list) else text
                for match in _TABLE.finditer(text):
                    rows.append({"chapter": chapter.name, "kind": "table", "label": match["label"],
                                 "caption": match["caption"], "cell": code_cell, "reads": match["source"].strip()})
    return pd.DataFrame(rows, columns=["chapter", "kind", "label", "caption", "cell", "reads"])


def _versions() -> pd.DataFrame:
    rows = []
    for name in PACKAGES:
        try:
            rows.append({"package": name, "version": metadata.version(name)})
        except metadata.PackageNotFoundError:
            rows.append({"package": name, "version": "not installed"})
    return pd.DataFrame(rows)


def write_reproducibility_page(chapters, target: Path | None = None) -> Path:
    """Write the reproducibility page (temporary file, then rename) and return its path."""
    from .tables import markdown_table

    target = target or paths.ROOT / "book" / "executed" / "reproducibility.md"
    records = chapter_records(chapters)
    records["seconds"] = records["seconds"].map(lambda s: f"{s:.1f}" if isinstance(s, (int, float)) else "–")
    records["reproduce"] = [f"`ruralrev run {name}`" for name in records["chapter"]]
    listing = tables_and_figures(chapters)
    listing["label"] = [f"{{numref}}`{label}`" for label in listing["label"]]
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
        "data it reads (for tables, the source line printed under it).",
        "",
        "```{table} Tables and figures of the book.",
        ":name: tbl-repro-list",
        "",
        markdown_table(listing.rename(columns=str.capitalize)),
        "```",
        "",
    ])
    return files.write_text(target, text)


def write_headline_map(target: Path | None = None) -> Path:
    """The landing page's map: rural per-capita disposable income in the snapshot's latest year."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import data, maps

    target = target or paths.ROOT / "book" / "executed" / "figures" / "headline-map.png"
    panel = data.load_panel()
    year = int(panel.loc[panel["rural_income"].notna(), "year"].max())
    ax = maps.choropleth(data.indicator_values(panel, "rural_income", year),
                         f"Rural per-capita disposable income, {year}", "yuan per person",
                         source="NBS annual data by province; map: Natural Earth")
    ax.figure.tight_layout()
    with files.atomic_path(target, suffix=".png") as tmp:
        ax.figure.savefig(tmp, dpi=150, metadata={"Software": None})
    plt.close(ax.figure)
    return target

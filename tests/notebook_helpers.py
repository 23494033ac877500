"""Writing small MyST notebooks for runner tests, and running a book chapter with overrides."""

import json
from pathlib import Path

HEADER = """---
kernelspec:
  display_name: Python 3
  language: python
  name: python3
jupytext:
  text_representation:
    extension: .md
    format_name: myst
---
"""


def write_notebook(path: Path, body: str, parameters: str = "n = 1") -> Path:
    """A notebook with a ``parameters`` cell and one code cell holding ``body``."""
    path.write_text(HEADER + f"\n```{{code-cell}} ipython3\n:tags: [parameters]\n\n{parameters}\n```\n\n"
                             f"```{{code-cell}} ipython3\n{body}\n```\n", encoding="utf-8")
    return path


def glued_values(notebook: dict) -> dict:
    """The values a notebook glued (``myst_nb.glue``), as their text, quotes stripped."""
    values = {}
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            key = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if key:
                values[key] = output["data"]["application/papermill.record/text/plain"].strip("'")
    return values


def run_chapter_with(tmp_path: Path, name: str, overrides: list[str]) -> dict:
    """Execute a chapter of the book into ``tmp_path`` with ``name=value`` overrides; its glued values."""
    from dataclasses import replace

    from ruralrev.book import execute, params

    plan = {c.name: c for c in params.load_plan()}
    if not overrides:
        published = current_default_run(plan[name])
        if published is not None:
            return glued_values(published)
    chapter = replace(plan[name], output=tmp_path / f"{name}.ipynb")   # schema and rules kept
    execute.run_chapter(chapter, params.parse_overrides(overrides, chapter), force=True)
    return glued_values(json.loads(chapter.output.read_text()))


def current_default_run(chapter) -> dict | None:
    """The book's executed page of ``chapter`` when it is a run of the current inputs with the
    defaults (the runner's cache key matches: same source, parameters, data, package and lock),
    else None. CI builds the book just before the tests, so the default runs are not repeated."""
    from ruralrev.book import execute

    key = execute.inputs_key(chapter, dict(chapter.parameters), execute.environment_digest())
    if chapter.output.is_file() and execute.cached_key(chapter.output) == key:
        return json.loads(chapter.output.read_text())
    return None

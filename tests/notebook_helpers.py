"""Writing small MyST notebooks for runner tests."""

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
    """The values an executed notebook glued (``myst_nb.glue``), by name, as their text (quotes stripped)."""
    values = {}
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            key = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if key:
                values[key] = output["data"]["application/papermill.record/text/plain"].strip("'")
    return values

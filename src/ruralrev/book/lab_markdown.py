"""An executed chapter as a notebook that reads cleanly in JupyterLab: MyST rendered to plain Markdown.

JupyterLab renders Markdown cells as CommonMark: MyST's roles and directives would show as raw
text (``{glue:text}`survey_year```, ``:label:`` lines, a dropdown's ``:class:``). For the student
edition's notebooks (:mod:`ruralrev.book.student`) :func:`lab_notebook` rewrites each executed
page: roles and directives become what the book's page shows (:func:`render_markdown`), figures
get their numbered captions, hidden code is collapsed and the parameters cell holds the values
the page ran with.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

from ruralrev.present.guards import PREFIX as GUARD_PREFIX

__all__ = ["lab_notebook", "render_markdown", "read_bibliography", "NOT_HOLDING"]

#: What a guard that fails puts in front of its sentence (as the book's page says it).
NOT_HOLDING = "**Does not hold with these parameters:**"
_ROLE = re.compile(r"\{(?P<role>[a-z][\w:-]*)\}`(?P<body>[^`]*)`")
_GUARD = re.compile(r"\{guard\}`(?P<body>[^`]*)`[ \t]*")
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|:{3,})\s*\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*)$")
_OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*)$")
_LABEL_LINE = re.compile(r"^\s*\((?P<label>[\w:.-]+)\)=\s*$")
_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
_GLUE_MIME = "application/papermill.record/"
_FIGURE_DATA = "application/vnd.ruralrev.figure-data+json"
_HIDDEN_TAGS = {"remove-cell", "hide-input", "remove-input", "hide-cell"}
_KINDS = {"tbl": "Table", "fig": "Figure"}


def read_bibliography(path: Path) -> dict[str, tuple[str, str]]:
    """``{key: (authors as cited, year)}`` from a BibTeX file (first author's family name, "et al."
    beyond two; a braced corporate author as written)."""
    entries = {}
    text = Path(path).read_text(encoding="utf-8") if Path(path).is_file() else ""
    for match in re.finditer(r"@\w+\{(?P<key>[^,\s]+),(?P<body>.*?)\n\}", text, re.S):
        body = match["body"]
        author = re.search(r"author\s*=\s*\{(.*)\},?\s*$", body, re.M)
        year = re.search(r"year\s*=\s*\{?([^},\n]*)\}?", body)
        names = author.group(1).strip() if author else match["key"]
        if names.startswith("{") and names.endswith("}"):
            cited = names[1:-1]
        else:
            people = [p.strip() for p in names.split(" and ")]
            families = [p.split(",")[0].strip() if "," in p else p.split()[-1] for p in people if p]
            cited = families[0] + (" et al." if len(families) > 2 else f" and {families[1]}" if len(families) == 2 else "")
        entries[match["key"]] = (cited, year.group(1).strip() if year else "n.d.")
    return entries


class _Context:
    """What the roles of one notebook resolve to: glued values, numbers of labels, section titles."""

    def __init__(self, glued: dict[str, str], bibliography: dict[str, tuple[str, str]]):
        self.glued, self.bibliography = glued, bibliography
        self.numbers: dict[str, str] = {}
        self.titles: dict[str, str] = {}

    def number(self, label: str, kind: str) -> str:
        if label not in self.numbers:
            count = sum(value.startswith(kind + " ") for value in self.numbers.values()) + 1
            self.numbers[label] = f"{kind} {count}"
        return self.numbers[label]

    def role(self, role: str, body: str) -> str:
        explicit = _EXPLICIT.match(body)
        text, target = (explicit["text"], explicit["target"]) if explicit else ("", body)
        if role.startswith("glue"):
            key, _, spec = target.rpartition("::")[2].partition(":")
            value = self.glued.get(key, target)
            if spec and spec != "s":
                try:
                    value = format(float(value), spec)
                except ValueError:
                    pass
            return value
        if role == "guard":
            holds = self.glued.get(GUARD_PREFIX + target.rpartition("::")[2].strip(), "True")
            return "" if holds != "False" else NOT_HOLDING + " "
        if role == "numref":
            number = self.numbers.get(target, target)
            return text.replace("%s", number.split()[-1]).replace("{number}", number.split()[-1]) if text else number
        if role == "ref":
            return text or self.titles.get(target, target)
        if role.startswith("cite"):
            cited = [self.bibliography.get(key.strip(), (key.strip(), "")) for key in target.split(",")]
            if role == "cite:t":
                return "; ".join(f"{who} ({year})" for who, year in cited)
            return "(" + "; ".join(f"{who} {year}".strip() for who, year in cited) + ")"
        if role == "math":
            return f"${target}$"
        if role in {"doc", "download", "term", "abbr"}:
            return text or Path(target).stem.replace("_", " ")
        return text or target

    def roles(self, text: str) -> str:
        text = _GUARD.sub(lambda m: self.role("guard", m["body"]), text)   # with the space after it
        return _ROLE.sub(lambda m: self.role(m["role"], m["body"]), text)


def _quote(title: str, body: str) -> str:
    lines = [f"**{title}**" if title else "", ""] if title else []
    lines += body.strip("\n").split("\n")
    return "\n".join(("> " + line).rstrip() for line in lines)


def _directive(name: str, arg: str, options: dict[str, str], body: str, context: _Context) -> str:
    if name in {"solution-start", "solution-end", "solution"}:
        return ""
    if name == "exercise":
        number = context.number(options.get("label", f"exercise-{id(body)}"), "Exercise")
        return f"**{number}**" + (f" ({arg})" if arg else "") + "\n\n" + render_markdown(body, context)
    if name == "table":
        label = options.get("name", "")
        number = context.number(label, "Table") if label else "Table"
        return f"**{number}.** {context.roles(arg)}\n\n{context.roles(body.strip())}"
    if name in {"math"}:
        return f"$$\n{body.strip()}\n$$"
    if name in {"code-cell", "code", "code-block"}:
        return f"```{arg}\n{body}\n```"
    title = context.roles(arg) if arg else name.replace("-", " ").capitalize()
    return _quote(title, render_markdown(body, context))


def render_markdown(text: str, context: _Context) -> str:
    """MyST Markdown as plain Markdown; ``context`` resolves the roles.

    * roles become what the book's page shows: ``{glue:text}`` the glued value, ``{guard}`` nothing (or
      "Does not hold with these parameters:" where its check failed), ``{numref}`` "Table 3" / "Figure 1" /
      "Exercise 2" numbered in the notebook, ``{ref}`` the section's title, ``{cite:p}`` "(Author year)"
      from the bibliography, ``{doc}`` and ``{download}`` their text;
    * directives become Markdown: an admonition or dropdown a quoted block under its bold title, an
      exercise "**Exercise N**" and its text, MyST tables (the outputs of
      :func:`ruralrev.present.tables.myst_table`) a Markdown table under its numbered caption; label
      lines (``(label)=``) and option lines go.
    """
    lines, out, index = text.split("\n"), [], 0
    while index < len(lines):
        line = lines[index]
        label = _LABEL_LINE.match(line)
        if label:
            index += 1
            continue
        match = _FENCE.match(line)
        if not match:
            out.append(context.roles(line))
            index += 1
            continue
        fence = match["fence"]
        end = next((k for k in range(index + 1, len(lines)) if lines[k].strip() == fence), len(lines))
        body = lines[index + 1:end]
        options = {}
        while body and _OPTION.match(body[0]):
            option = _OPTION.match(body[0])
            options[option["key"]] = option["value"].strip()
            body = body[1:]
        converted = _directive(match["name"], match["arg"].strip(), options, "\n".join(body).strip("\n"), context)
        if converted:
            out.append(converted)
        index = end + 1
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _glued(notebook: dict) -> dict[str, str]:
    values = {}
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook", {})
            if meta.get("name"):
                value = output.get("data", {}).get(meta.get("mime_prefix", "") + "text/plain", "")
                value = "".join(value) if isinstance(value, list) else str(value)
                values[meta["name"]] = value[1:-1] if len(value) >= 2 and value[0] == value[-1] == "'" else value
    return values


def _collect_labels(cells: list[dict], context: _Context) -> None:
    """Number tables, figures and exercises in page order; section titles for ``{ref}``."""
    for cell in cells:
        source = _source(cell)
        if cell.get("cell_type") == "markdown":
            lines = source.split("\n")
            for k, line in enumerate(lines):
                label = _LABEL_LINE.match(line)
                if label:
                    heading = next((h for h in lines[k + 1:] if h.strip()), "")
                    context.titles[label["label"]] = context.roles(heading.lstrip("#").strip())
                if re.match(r"^\s*(`{3,}|:{3,})\s*\{exercise\}", line):
                    option = next((_OPTION.match(o) for o in lines[k + 1:k + 4] if _OPTION.match(o)
                                   and _OPTION.match(o)["key"] == "label"), None)
                    if option:
                        context.number(option["value"].strip(), "Exercise")
            continue
        figure = cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
        if figure.get("name"):
            context.number(figure["name"], "Figure")
        for output in cell.get("outputs", []):
            markdown = output.get("data", {}).get("text/markdown")
            if markdown:
                for name in re.findall(r"```\{table\}.*\n:name: ([\w-]+)", "".join(markdown)):
                    context.number(name, "Table")


def lab_notebook(notebook: dict, bibliography: dict[str, tuple[str, str]] | None = None) -> dict:
    """A copy of an executed notebook (solutions already removed, by
    :func:`ruralrev.book.student.strip_solutions`) that reads cleanly in JupyterLab.

    Every Markdown cell goes through :func:`render_markdown`, and

    * a figure cell gets its numbered caption as an output under the image; glue records and figure
      data (formats JupyterLab has no renderer for) are dropped;
    * the code of cells the book hides is collapsed (``jupyter.source_hidden``), and the notebook's
      parameters cell holds the values it was run with, ready to edit and re-run (papermill's injected
      cell goes).
    """
    result = copy.deepcopy(notebook)
    context = _Context(_glued(notebook), bibliography or {})
    cells = result.get("cells", [])
    _collect_labels(cells, context)
    injected = next((c for c in cells if "injected-parameters" in c.get("metadata", {}).get("tags", [])), None)
    kept = []
    for cell in cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell is injected:
            continue
        if cell.get("cell_type") == "markdown":
            cell["source"] = render_markdown(_source(cell), context)
            if cell["source"].strip():
                kept.append(cell)
            continue
        if "parameters" in tags and injected is not None:
            cell["source"] = _source(injected).replace("# Parameters\n", "", 1)   # the values this page ran with
            tags -= {"remove-cell"}
        elif tags & _HIDDEN_TAGS:
            cell.setdefault("metadata", {}).setdefault("jupyter", {})["source_hidden"] = True
        cell["metadata"]["tags"] = sorted(tags)
        outputs = []
        for output in cell.get("outputs", []):
            data = output.get("data")
            if output.get("metadata", {}).get("scrapbook") or (data and all(m.startswith(_GLUE_MIME) for m in data)):
                continue   # a glue record: its value is in the prose now
            if data:
                data.pop(_FIGURE_DATA, None)
                if "text/markdown" in data:
                    data["text/markdown"] = render_markdown("".join(data["text/markdown"]), context)
            outputs.append(output)
        figure = cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
        if figure.get("name"):
            caption = context.roles(" ".join(figure.get("caption", "").split()))
            outputs.append({"output_type": "display_data", "metadata": {},
                            "data": {"text/markdown": f"**{context.numbers[figure['name']]}.** {caption}",
                                     "text/plain": f"{context.numbers[figure['name']]}. {caption}"}})
        cell["outputs"] = outputs
        kept.append(cell)
    result["cells"] = kept
    return result

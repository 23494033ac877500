"""Findings quoted from a page that was run with other parameters than the book's defaults.

A chapter re-run with ``-p`` says so under its own title (:func:`ruralrev.book.execute.non_default`),
and records the parameters that differ in its metadata (``metadata.ruralrev.non_default``). A page
that quotes it — the landing page's findings, written with ``{glue:text}`executed/x.ipynb::key```
and ``{guard}`executed/x.ipynb::name``` — would otherwise change silently. This extension marks
every such quotation (:class:`MarkNonDefault`) and writes a quoting page again whenever the
quoted page is re-read (:func:`_quoting_pages`).
"""

from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

__all__ = ["BADGE", "BADGE_CLASS", "BLOCK_CLASS", "VALUE_CLASS", "non_default_parameters", "badge_text", "setup"]

BADGE = "From a run with other parameters"
BADGE_CLASS = "ruralrev-non-default-badge"
BLOCK_CLASS = "ruralrev-from-non-default"
VALUE_CLASS = "ruralrev-non-default-value"
_CACHE: dict[tuple[str, int], dict] = {}


def non_default_parameters(path: Path) -> dict[str, dict]:
    """``{name: {"value": …, "default": …}}`` recorded by the runner in an executed notebook (empty
    for a page run with its defaults, or not a notebook)."""
    path = Path(path)
    try:
        stamp = (str(path), path.stat().st_mtime_ns)
    except OSError:
        return {}
    if stamp not in _CACHE:
        try:
            record = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("ruralrev", {})
            _CACHE[stamp] = dict(record.get("non_default") or {})
        except (OSError, ValueError, AttributeError):
            _CACHE[stamp] = {}
    return _CACHE[stamp]


def badge_text(docname: str, changed: dict[str, dict]) -> str:
    """``From a run with other parameters (paper_001: max_n = 999):``."""
    shown = ", ".join(f"{name} = {_shown(entry.get('value'))}" for name, entry in changed.items())
    return f"{BADGE} ({docname.rsplit('/', 1)[-1]}: {shown}):"


def _shown(value) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _quoted_docs(document) -> set[str]:
    """The pages a document quotes: cross-page glue references and guards."""
    from myst_nb.ext.glue.utils import PendingGlueReference

    from ruralrev.book.sphinx.guards import guard_node

    found = {node.refdoc for node in document.findall(PendingGlueReference) if getattr(node, "refdoc", None)}
    found |= {node["refdoc"] for node in document.findall(guard_node) if node.get("refdoc")}
    return found


class RecordQuotes(SphinxTransform):
    """Remember which pages each page quotes (for :func:`_quoting_pages`)."""

    default_priority = 900

    def apply(self, **kwargs):
        quotes = _store(self.env)
        docs = _quoted_docs(self.document)
        if docs:
            quotes[self.env.docname] = docs
        else:
            quotes.pop(self.env.docname, None)


class MarkNonDefault(SphinxPostTransform):
    """Mark values and guards quoted from a page run with non-default parameters.

    Each value read from a non-default page sits in an element of class :data:`VALUE_CLASS`; the
    paragraph or list item holding it gets the class :data:`BLOCK_CLASS` and, once, a badge (class
    :data:`BADGE_CLASS`) in front: "From a run with other parameters (typology: k = 4, method =
    ward):", naming the page and the parameters that differ."""

    default_priority = 4   # before myst-nb's cross-page glue (5) and the guards (6) replace their nodes

    def apply(self, **kwargs):
        from myst_nb.ext.glue.utils import PendingGlueReference

        from ruralrev.book.sphinx.guards import guard_node

        badged = set()
        for node in [*self.document.findall(PendingGlueReference), *self.document.findall(guard_node)]:
            refdoc = getattr(node, "refdoc", None) if isinstance(node, PendingGlueReference) else node.get("refdoc")
            if not refdoc:
                continue
            changed = non_default_parameters(Path(self.env.doc2path(refdoc)))
            if not changed:
                continue
            block = node.parent
            while block is not None and not isinstance(block, (nodes.paragraph, nodes.list_item)):
                block = block.parent
            if isinstance(node, PendingGlueReference):
                wrapper = nodes.inline("", "", classes=[VALUE_CLASS])
                node.replace_self(wrapper)
                wrapper += node
            if block is None:
                continue
            target = block.parent if isinstance(block, nodes.paragraph) and isinstance(block.parent, nodes.list_item) \
                else block
            if id(target) in badged:
                continue
            badged.add(id(target))
            target["classes"].append(BLOCK_CLASS)
            text = badge_text(refdoc, changed)
            first = target if isinstance(target, nodes.paragraph) else next(iter(target.findall(nodes.paragraph)), None)
            if first is not None:
                first.insert(0, nodes.Text(" "))
                first.insert(0, nodes.inline(text, text, classes=[BADGE_CLASS]))


def _store(env) -> dict[str, set[str]]:
    if not hasattr(env, "ruralrev_quotes"):
        env.ruralrev_quotes = {}
    return env.ruralrev_quotes


def _purge(app, env, docname) -> None:
    _store(env).pop(docname, None)


def _merge(app, env, docnames, other) -> None:
    _store(env).update({name: docs for name, docs in _store(other).items() if name in docnames})


def _remember_read(app, env, docnames) -> None:
    app.ruralrev_read = set(docnames)


def _quoting_pages(app, env) -> list[str]:
    """Pages that quote a page re-read in this build: written again with the new values and marks,
    so the marks (and the quoted values) follow the latest run even in an incremental build."""
    read = getattr(app, "ruralrev_read", set())
    return sorted(name for name, docs in _store(env).items() if docs & read and name not in read)


def setup(app):
    app.add_transform(RecordQuotes)
    app.add_post_transform(MarkNonDefault)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-before-read-docs", _remember_read)
    app.connect("env-get-updated", _quoting_pages)

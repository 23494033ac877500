"""The ``{guard}`` role: a sentence marked on the page when its guard fails.

``{guard}`name``` reads the guard ``name`` that the page's notebook recorded
(:func:`ruralrev.present.guards.guard`); ``{guard}`executed/chapter.ipynb::name``` reads it from
another page (the landing page's findings). A guard that holds leaves an empty marker; one that
fails puts a visible badge in front of the sentence and marks its paragraph or list item. A guard
that was never recorded is a build warning, which the book's build turns into an error.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole

from ruralrev.present.guards import guard_key

__all__ = ["BADGE", "FAILED_CLASS", "BLOCK_CLASS", "setup"]

#: What a failed guard shows in front of its sentence.
BADGE = "Does not hold with these parameters:"
FAILED_CLASS = "ruralrev-guard-failed"
BLOCK_CLASS = "ruralrev-guarded-failed"
HELD_CLASS = "ruralrev-guard"

_logger = logging.getLogger(__name__)


class guard_node(nodes.Inline, nodes.Element):
    """A guard waiting for its value: ``key``, and ``refdoc`` when it lives on another page."""


def _parse_value(text: str) -> bool | None:
    return {"True": True, "False": False}.get(text.strip())


class GuardRole(SphinxRole):
    def run(self):
        doc, _, name = self.text.rpartition("::")
        key = guard_key(name.strip())
        node = guard_node(key=key, refdoc="")
        node.source, node.line = self.get_source_info()
        if doc:
            _, path = self.env.relfn2path(doc, self.env.docname)
            refdoc = self.env.path2doc(path)
            if refdoc is None:
                return [], [self.inliner.reporter.warning(f"guard: no page {doc!r}", line=self.lineno)]
            node["refdoc"] = refdoc
            return [node], []
        from myst_nb.core.variables import RetrievalError
        from myst_nb.ext.glue.utils import retrieve_glue_data

        try:
            data = retrieve_glue_data(self.inliner.document, key)
        except RetrievalError:
            return [], [self.inliner.reporter.warning(f"guard {name!r} was not recorded by this page's notebook "
                                                      f"(glue key {key!r})", line=self.lineno)]
        node["holds"] = _parse_value(data.data.get("text/plain", ""))
        return [node], []


class ResolveGuards(SphinxPostTransform):
    """Turn every guard into an empty marker (holds) or a badge on a marked block (fails)."""

    default_priority = 6    # after myst-nb's cross-page glue (5)

    def apply(self, **kwargs):
        from myst_nb.ext.glue.crossref import read_glue_cache

        for node in list(self.document.findall(guard_node)):
            holds = node.get("holds")
            if node["refdoc"]:   # (myst-nb's configuration exists only where a guard can be)
                output = read_glue_cache(self.env.mystnb_config.output_folder, node["refdoc"]).get(node["key"])
                holds = None if output is None else _parse_value(output["data"].get("text/plain", ""))
            if holds is None:
                _logger.warning(f"guard {node['key']!r} has no true/false value"
                                + (f" in {node['refdoc']!r}" if node["refdoc"] else ""), location=node)
                node.parent.remove(node)
                continue
            if holds:
                node.replace_self(nodes.inline("", "", classes=[HELD_CLASS]))
                continue
            badge = nodes.inline(BADGE, BADGE, classes=[FAILED_CLASS])
            block = node.parent
            while block is not None and not isinstance(block, (nodes.paragraph, nodes.list_item)):
                block = block.parent
            if block is not None:
                target = block.parent if isinstance(block, nodes.paragraph) and isinstance(block.parent, nodes.list_item) \
                    else block
                target["classes"].append(BLOCK_CLASS)
            node.replace_self([badge, nodes.Text(" ")])


def setup(app):
    app.add_role("guard", GuardRole())
    app.add_node(guard_node)
    app.add_post_transform(ResolveGuards)

"""Numbered references without re-reading the target page for each one.

Sphinx resolves every ``{numref}`` (Table 3, Figure 2) while it writes a page, and for each one it
unpickles the *whole* saved doctree of the page that holds the target
(``StandardDomain._resolve_numref_xref`` calls ``env.get_doctree(docname)`` to find the target
node and its type). The book's chapters cite their own tables and figures about a hundred times,
and a chapter's doctree carries its outputs, so a clean build spent about half of its HTML step
unpickling the same fifteen doctrees again and again. :func:`install` unpickles each once per build.
"""

from __future__ import annotations

import os

__all__ = ["install"]


def _stamp(env, docname: str):
    try:
        stat = os.stat(os.path.join(env.doctreedir, docname + ".doctree"))
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _cached(original):
    def resolve(self, env, fromdocname, builder, typ, target, node, contnode):
        trees = builder.__dict__.setdefault("_ruralrev_numref_doctrees", {})

        def get_doctree(docname):
            stamp = _stamp(env, docname)
            entry = trees.get(docname)
            if entry is None or entry[0] != stamp:
                entry = trees[docname] = (stamp, type(env).get_doctree(env, docname))
            return entry[1]

        env.get_doctree = get_doctree        # shadows the method for this call only
        try:
            return original(self, env, fromdocname, builder, typ, target, node, contnode)
        finally:
            del env.get_doctree

    resolve.__wrapped__ = original
    return resolve


def install() -> None:
    """Wrap ``StandardDomain._resolve_numref_xref`` once per process.

    It wraps the method so that, within one build, each page's doctree is unpickled at most once for
    these look-ups. The cached trees are only read there (the target node's ids and type; the
    reference node is built anew), never handed to a page being written, so no two callers share a
    tree. The cache lives on the builder (not the pickled environment), and a tree whose file
    changes on disk after it was read (a page re-read) is read again.

    References
    ----------
    Sphinx developers. *sphinx.domains.std.StandardDomain* (Sphinx 7.4), ``_resolve_numref_xref``.
    """
    from sphinx.domains.std import StandardDomain

    if not hasattr(StandardDomain._resolve_numref_xref, "__wrapped__"):
        StandardDomain._resolve_numref_xref = _cached(StandardDomain._resolve_numref_xref)

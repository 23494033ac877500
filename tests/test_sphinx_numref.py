"""Numbered references read each target page's doctree once per build (book.sphinx.numref_cache)."""


from ruralrev.book.sphinx import numref_cache

PAGE_A = """Page A
======

.. _tbl-one:

.. table:: The first table

   = =
   a b
   = =

.. _tbl-two:

.. table:: The second table

   = =
   c d
   = =
"""
PAGE_B = """Page B
======

""" + "\n\n".join(f"See :numref:`tbl-one` and :numref:`tbl-two` ({i})." for i in range(6)) + "\n"
INDEX = """Index
=====

.. toctree::

   a
   b
"""


def _build(folder, monkeypatch):
    """Build the three pages; return how often each doctree was unpickled, and page B's HTML."""
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

    source = folder / "src"
    source.mkdir()
    (source / "conf.py").write_text("numfig = True\n", encoding="utf-8")
    for name, text in (("index", INDEX), ("a", PAGE_A), ("b", PAGE_B)):
        (source / f"{name}.rst").write_text(text, encoding="utf-8")
    reads = {}
    original = BuildEnvironment.get_doctree

    def counting(self, docname):
        reads[docname] = reads.get(docname, 0) + 1
        return original(self, docname)

    monkeypatch.setattr(BuildEnvironment, "get_doctree", counting)
    app = Sphinx(str(source), str(source), str(folder / "html"), str(folder / "doctrees"), "html",
                 status=None, warning=None, freshenv=True)
    app.build()
    return reads, (folder / "html" / "b.html").read_text(encoding="utf-8")


def test_twelve_references_to_one_page_read_it_once(tmp_path, monkeypatch):
    from sphinx.domains.std import StandardDomain

    numref_cache.install()
    numref_cache.install()                      # idempotent: wrapped once
    assert StandardDomain._resolve_numref_xref.__wrapped__ is not None
    assert not hasattr(StandardDomain._resolve_numref_xref.__wrapped__, "__wrapped__")
    (tmp_path / "cached").mkdir()
    reads, html = _build(tmp_path / "cached", monkeypatch)
    assert reads["a"] == 2                      # writing page A itself, and once for B's twelve references
    assert html.count("Table 1") == 6 and html.count("Table 2") == 6
    # Sphinx's own method reads page A again for every reference
    monkeypatch.setattr(StandardDomain, "_resolve_numref_xref", StandardDomain._resolve_numref_xref.__wrapped__)
    (tmp_path / "plain").mkdir()
    plain_reads, plain_html = _build(tmp_path / "plain", monkeypatch)
    assert plain_reads["a"] == 1 + 12
    assert plain_html == html

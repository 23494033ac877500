"""The book's Sphinx extension: what the website needs beyond Jupyter Book's defaults.

Registered in ``_config.yml`` (``sphinx.config.extensions``); :func:`setup` lists what it adds:
the site's stylesheet and script, sortable tables, search snippets that work from ``file://``
pages, the student edition, marks on findings quoted from a re-run page, the instructors page's
chapter guide, long tables written straight to HTML, and mathematics rendered offline.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import yaml

from ruralrev.core import files
from ruralrev.present.html_classes import INTERACTIVE_CLASS

__all__ = ["setup", "chapter_guide_rows", "chapter_title", "page_text", "front_matter", "toc_files", "STUDENT_ENV"]

#: Environment variable that selects the student edition (``RURALREV_EDITION=student``).
STUDENT_ENV = "RURALREV_EDITION"
_WORDS_PER_MINUTE = 200
_GUIDE_KEYS = ("level", "prerequisites", "lab")


#: MathJax entry point, relative to ``_static`` (see :func:`_offline_mathjax`).
MATHJAX_PATH = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"


def _mathjax_source() -> Path:
    from importlib.util import (
        find_spec,  # the package's folder, without importing it (and Jupyter Server)
    )

    return Path(find_spec("jupyter_server_mathjax").origin).parent / "static"


def _offline_mathjax(app) -> None:
    """Point Sphinx at the local MathJax 2 and give it MyST's classes (MathJax 2 config keys).

    Mathematics renders offline: MathJax 2.7 as shipped by the ``jupyter-server-mathjax`` wheel (a
    pinned dependency) is copied to ``_static/mathjax`` and loaded from there, instead of Sphinx's
    default MathJax 3 from a CDN, which an offline reader (and a ``file://`` page with the network
    refused) cannot fetch.

    Runs after MyST-Parser has written its MathJax 3 options, and translates them: only elements
    of the classes MyST marks are typeset (``tex2jax.processClass``).
    """
    v3 = app.config.mathjax3_config or {}
    classes = v3.get("options", {}).get("processHtmlClass", "tex2jax_process|mathjax_process|math|output_area")
    app.config.mathjax_path = MATHJAX_PATH
    app.config.mathjax3_config = None
    app.config.mathjax2_config = {"tex2jax": {"processClass": classes, "ignoreClass": "tex2jax_ignore|mathjax_ignore"},
                                  "showMathMenu": False, "messageStyle": "none"}


def _copy_mathjax(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    import shutil

    source, target = _mathjax_source(), Path(app.outdir) / "_static" / "mathjax"
    marker = target / "MathJax.js"
    if marker.is_file() and marker.read_bytes() == (source / "MathJax.js").read_bytes():
        return  # already there from an earlier build (608 files; copying them again costs time)
    shutil.copytree(source, target, dirs_exist_ok=True)


# ---- the student edition --------------------------------------------------------------------

def _edition(app, config) -> None:
    """``RURALREV_EDITION=student`` builds the **student edition**: the title says which edition it
    is, and any solution node left is removed (sphinx-exercise's own ``hide_solutions`` cannot be
    used: with gated ``{solution-start}`` directives it crashes the build,
    executablebooks/sphinx-exercise#89). The edition's sources have no solutions to begin with
    (:mod:`ruralrev.book.student`), so none reaches downloads, page sources or the search index."""
    if os.environ.get(STUDENT_ENV, "").strip().lower() == "student":
        config.ruralrev_edition = "student"
        config.html_title = f"{config.html_title or config.project} (student edition)"


def _solution_remover():
    from sphinx.transforms import SphinxTransform

    class RemoveSolutions(SphinxTransform):
        """Drop every solution in the student edition (after sphinx-exercise merged the gated ones)."""

        default_priority = 11  # sphinx-exercise's MergeGatedSolutions runs at 10

        def apply(self):
            if self.config.ruralrev_edition != "student":
                return
            from sphinx_exercise.nodes import solution_node

            for node in list(self.document.findall(solution_node)):
                node.parent.remove(node)

    return RemoveSolutions


# ---- titles in every page's navigation ----------------------------------------------------------

def _titles_before_reading(app, env, docnames) -> None:
    app.ruralrev_titles_before = {name: env.titles[name].astext() for name in docnames if name in env.titles}


def _every_page_if_a_title_changed(app, env) -> list[str]:
    """Every page, when a page re-read in this build changed its title: every page's sidebar and
    the previous/next links of its neighbours show titles, and Sphinx itself rewrites only the
    pages read and those whose toctree holds them (an incremental build would leave the old
    title in the others)."""
    before = getattr(app, "ruralrev_titles_before", {})
    changed = [name for name, title in before.items() if name in env.titles and env.titles[name].astext() != title]
    return sorted(env.found_docs) if changed else []


# ---- page assets ----------------------------------------------------------------------------

def _page_assets(app, pagename, templatename, context, doctree) -> None:
    if INTERACTIVE_CLASS in (context.get("body") or ""):
        app.add_css_file("ruralrev-datatables.css")
        app.add_js_file("ruralrev-datatables.js")
    if pagename == "search":
        app.add_js_file("ruralrev-search-text.js")


def _itables_assets() -> tuple[str, str]:
    """itables' DataTables bundle (script, style), found without importing itables (and pandas)."""
    from importlib.util import find_spec

    folder = Path(find_spec("itables").submodule_search_locations[0]) / "html"
    return (folder / "dt_bundle.js").read_text(encoding="utf-8"), (folder / "dt_bundle.css").read_text(encoding="utf-8")


def _page_texts(outdir: Path, cache_file: Path) -> dict[str, str]:
    """:func:`page_text` of every built page, by path. A page whose HTML file has the same size and
    modification time as at the last build is not parsed again (its text is read from
    ``cache_file``, kept beside Sphinx's own doctrees): an incremental build rewrites a few pages.
    The cache records a digest of the extracting code and is dropped when that code changes."""
    version = _page_text_version()
    try:
        cache = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    if not isinstance(cache, dict) or cache.get("version") != version:
        cache = {}                                  # another extractor wrote it: parse every page again
    cache = cache.get("pages", {})
    pages, kept = {}, {}
    for page in sorted(outdir.rglob("*.html")):
        relative = page.relative_to(outdir).as_posix()
        if relative.startswith(("_static/", "_sources/")) or relative in {"search.html", "genindex.html"}:
            continue
        stat = page.stat()
        stamp = [stat.st_mtime_ns, stat.st_size]
        entry = cache.get(relative)
        text = entry[1] if isinstance(entry, list) and len(entry) == 2 and entry[0] == stamp else \
            page_text(page.read_text(encoding="utf-8"))
        pages[relative], kept[relative] = text, [stamp, text]
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    cache_file.write_text(json.dumps({"version": version, "pages": kept}, ensure_ascii=False), encoding="utf-8")
    return pages


def _page_text_version() -> str:
    """A digest of the code that extracts a page's text: a changed extractor invalidates the cache."""
    import hashlib
    import inspect

    return hashlib.sha256("".join(inspect.getsource(code) for code in _EXTRACTOR).encode()).hexdigest()[:16]


def _write_table_assets(app) -> None:
    """DataTables for the interactive tables, written before any page: a page's ``?v=`` checksum
    of a file is taken when the page is written, so the file must already hold what it will.

    Tables marked ``interactive`` by :func:`ruralrev.present.tables.myst_table` become sortable,
    filterable tables with the DataTables bundle that ships inside ``itables`` (no network): the
    bundle is written once to ``_static/ruralrev-datatables.js`` as a string and imported from a
    ``blob:`` URL, which browsers allow from ``file://`` pages."""
    if app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    script, style = _itables_assets()
    files.write_if_changed(static / "ruralrev-datatables.js",
                           "// DataTables as bundled by itables (MIT); imported by ruralrev.js from a blob: URL.\n"
                           f"window.RURALREV_DATATABLES = {json.dumps(script)};\n")
    files.write_if_changed(static / "ruralrev-datatables.css", style)


def _write_search_text(app) -> list:
    """The text of every page for the search snippets, written once every page is written and
    before the search page (Sphinx writes it after collecting extension pages), whose ``?v=`` then
    matches this build's file.

    ``_static/ruralrev-search-text.js`` lets the search page show result snippets from ``file://``
    too (browsers block Sphinx's ``fetch`` of the pages there; ``ruralrev.js`` answers those
    requests from this file); only pages rewritten since the last build are parsed again."""
    if app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        static.mkdir(parents=True, exist_ok=True)
        pages = _page_texts(Path(app.outdir), Path(app.doctreedir) / "ruralrev-page-text.json")
        files.write_if_changed(static / "ruralrev-search-text.js",
                               "// The text of every page, by path: search snippets from file:// (see ruralrev.js).\n"
                               f"window.RURALREV_PAGE_TEXT = {json.dumps(pages, ensure_ascii=False, sort_keys=True)};\n")
    return []


class _ArticleText(HTMLParser):
    """Text of a page's ``<article>``, keeping ``<section id>`` so anchors still resolve."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.depth = 0        # nesting inside <article>
        self.skip = 0         # inside script/style/header links

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article":
            self.depth += 1
            return
        if not self.depth:
            return
        if tag in {"script", "style"} or "headerlink" in (attrs.get("class") or "").split():
            self.skip += 1
        elif tag == "section":
            self.parts.append(f'<section id="{html.escape(attrs.get("id") or "", quote=True)}">')
        elif tag in {"p", "li", "tr", "h1", "h2", "h3", "h4", "caption", "pre", "dt", "dd", "br"}:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag == "article":
            self.depth = max(0, self.depth - 1)
        elif self.depth and tag in {"script", "style", "a"} and self.skip:
            self.skip -= 1
        elif self.depth and tag == "section":
            self.parts.append("</section>")
        elif self.depth and tag in {"td", "th"}:
            self.parts.append(" ")

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(html.escape(data, quote=False))


def page_text(page_html: str) -> str:
    """A built page reduced to ``<div role="main">`` holding its article's text and sections."""
    parser = _ArticleText()
    parser.feed(page_html)
    body = re.sub(r"\s+", " ", "".join(parser.parts)).strip()
    return f'<div role="main">{body}</div>'


_EXTRACTOR = (_ArticleText, page_text)   # the code whose digest versions the search-text cache


# ---- the instructors page's chapter guide ---------------------------------------------------

def front_matter(source: Path) -> dict:
    """The YAML front matter of a MyST notebook (empty if it has none)."""
    text = Path(source).read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    return (yaml.safe_load(match.group(1)) or {}) if match else {}


def _body(source: Path) -> str:
    return re.sub(r"^---\n.*?\n---\n", "", Path(source).read_text(encoding="utf-8"), flags=re.S)


def chapter_title(source: Path) -> str:
    """The chapter's title: the first level-1 heading of its MyST source."""
    return next((line[2:].strip() for line in _body(source).splitlines() if line.startswith("# ")), Path(source).stem)


def _words(source: Path) -> int:
    prose = re.sub(r"```\{code-cell\}.*?\n```", " ", _body(source), flags=re.S)  # code is not read like prose
    return len(re.findall(r"\w+", prose))


def toc_files(toc: Path) -> list[str]:
    """Every ``file`` of a Jupyter Book table of contents, in book order."""
    spec = yaml.safe_load(Path(toc).read_text(encoding="utf-8"))
    files = [spec["root"]]
    for part in spec.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return [str(Path(f).with_suffix("")) for f in files]


def _docname(output: Path) -> str:
    from ruralrev.core import paths

    try:
        return Path(output).with_suffix("").relative_to(paths.ROOT).as_posix()
    except ValueError:
        return Path(output).with_suffix("").as_posix()


def chapter_guide_rows(chapters=None) -> list[dict]:
    """One record per chapter for the ``{chapter-guide}`` directive of the instructors page.

    Level, prerequisites, reading and running time, exercises and those suited to a lab, read
    from each chapter's front matter (``instructors:``), its text and ``run-times.json`` (the
    executed notebooks' times rounded up to 5 s, rewritten only when one changes).

    Raises
    ------
    ValueError
        A chapter without an ``instructors:`` block in its front matter, a missing key, or a
        lab exercise label that is not an exercise of the chapter.
    """
    from ruralrev.book import exercises, params
    from ruralrev.core import paths

    rows = []
    chapters = list(chapters if chapters is not None else params.load_plan())
    order = toc_files(paths.ROOT / "_toc.yml")
    chapters.sort(key=lambda c: order.index(_docname(c.output)) if _docname(c.output) in order else len(order))
    for chapter in chapters:
        guide = front_matter(chapter.source).get("instructors")
        if not isinstance(guide, dict) or any(key not in guide for key in _GUIDE_KEYS):
            raise ValueError(f"{chapter.source}: front matter needs an 'instructors:' block with "
                             f"{', '.join(_GUIDE_KEYS)}")
        found = exercises.read_exercises(chapter.source, chapter.name)
        labels = [e.label for e in found]
        lab = list(guide["lab"] or [])
        unknown = [label for label in lab if label not in labels]
        if unknown:
            raise ValueError(f"{chapter.source}: lab exercises {unknown} are not exercises of the chapter")
        title, words = chapter_title(chapter.source), _words(chapter.source)
        seconds = run_seconds(chapter.output)
        rows.append({"name": chapter.name, "title": title, "level": guide["level"],
                     "prerequisites": guide["prerequisites"],
                     "read_minutes": 5 * max(1, math.ceil(words / _WORDS_PER_MINUTE / 5)),
                     "run_seconds": seconds, "exercises": labels, "lab": lab,
                     "docname": _docname(chapter.output),
                     "source": chapter.source, "output": chapter.output})
    return rows


#: The chapters' running times as the instructors page shows them (``book/executed/run-times.json``,
#: written before every HTML build by :func:`ruralrev.book.publish.build_book`, and only when a shown
#: value changes).
RUN_TIMES = "run-times.json"


def run_seconds(output: Path) -> int | None:
    """A chapter's last execution time in seconds, rounded up to a multiple of 5 (it varies from
    run to run and machine to machine); None when the chapter has not been executed."""
    try:
        seconds = float(json.loads(Path(output).read_text(encoding="utf-8"))["metadata"]["ruralrev"]["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return 5 * max(1, math.ceil(seconds / 5))


def _run_times_file(outputs) -> Path | None:
    outputs = list(outputs)
    return Path(outputs[0]).parent / RUN_TIMES if outputs else None


def write_run_times(chapters) -> Path | None:
    """Write :data:`RUN_TIMES` beside the executed notebooks unless it already holds the same values.

    The instructors page depends on this file instead of on every executed notebook, so that
    re-running a chapter re-renders that page only when a time it shows changes."""
    target = _run_times_file(c.output for c in chapters)
    if target is None:
        return None
    return files.write_if_changed(target, json.dumps({c.name: run_seconds(c.output) for c in chapters},
                                                     indent=1, sort_keys=True) + "\n")


def _guide_markdown(rows: list[dict]) -> str:
    from ruralrev.present.tables import escape_markdown

    lines = ["| chapter | level | prerequisites | read | run | exercises (lab) | run it |",
             "| --- | --- | --- | ---: | ---: | --- | --- |"]
    for row in rows:
        docname = row["docname"]
        run = f"{row['run_seconds']:.0f} s" if isinstance(row["run_seconds"], (int, float)) else "not run yet"
        lab = ", ".join(f"{{numref}}`{label}`" for label in row["lab"]) or "none"   # "Exercise 2.1", as numbered in the chapter
        lines.append(" | ".join([
            f"| {{doc}}`/{docname}`",
            escape_markdown(row["level"], table_cell=True), escape_markdown(row["prerequisites"], table_cell=True),
            f"{row['read_minutes']} min", run, f"{len(row['exercises'])} ({lab})",
            f"`ruralrev run {row['name']}` |"]))
    return "\n".join(lines)


def _chapter_guide_directive():
    from docutils import nodes
    from docutils.parsers.rst import Directive

    class ChapterGuide(Directive):
        """``{chapter-guide}``: the table of chapters for instructors (no arguments)."""

        has_content = False

        def run(self):
            env = self.state.document.settings.env
            rows = chapter_guide_rows()
            times = _run_times_file(row["output"] for row in rows)
            if times is not None and times.is_file():   # show exactly what the page depends on
                recorded = json.loads(times.read_text(encoding="utf-8"))
                for row in rows:
                    row["run_seconds"] = recorded.get(row["name"], row["run_seconds"])
            for row in rows:
                env.note_dependency(str(row["source"]))
                if (times is None or not times.is_file()) and Path(row["output"]).exists():
                    env.note_dependency(str(row["output"]))   # no times file: any new run re-renders
            if times is not None and times.is_file():
                env.note_dependency(str(times))
            container = nodes.container(classes=["ruralrev-chapter-guide"])
            self.state.nested_parse(_guide_markdown(rows).splitlines(), self.content_offset, container)
            return [container]

    return ChapterGuide


def setup(app):
    """Register the extension: the site's stylesheet and script (``book/_static/ruralrev.css``,
    ``ruralrev.js``: wide tables scroll in their own box, captions wrap, long tokens break); the
    interactive tables (:func:`_write_table_assets`); the pages' text for search snippets
    (:func:`_write_search_text`); the student edition (:func:`_edition`); marks on findings quoted
    from a page run with non-default parameters (:mod:`ruralrev.book.sphinx.reruns`); the
    ``{chapter-guide}`` directive (:func:`chapter_guide_rows`); ``{csv-html-table}``
    (:mod:`ruralrev.book.sphinx.csv_table`) for long generated listings; offline MathJax
    (:func:`_offline_mathjax`)."""
    from ruralrev.book.sphinx import csv_table, guards, numref_cache, reruns

    numref_cache.install()   # each page's doctree unpickled once for {numref}, not once per reference
    app.add_config_value("ruralrev_edition", "full", "env")
    app.connect("config-inited", _edition)
    app.add_transform(_solution_remover())
    app.connect("html-page-context", _page_assets)
    app.connect("env-before-read-docs", _titles_before_reading)
    app.connect("env-get-updated", _every_page_if_a_title_changed)
    app.connect("builder-inited", _write_table_assets)
    app.connect("html-collect-pages", _write_search_text)
    app.connect("builder-inited", _offline_mathjax, priority=900)  # after MyST-Parser's own MathJax options
    app.connect("build-finished", _copy_mathjax)
    app.add_css_file("ruralrev.css")
    app.add_js_file("ruralrev.js")
    app.add_directive("chapter-guide", _chapter_guide_directive())
    app.add_directive("csv-html-table", csv_table.directive())
    guards.setup(app)
    reruns.setup(app)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

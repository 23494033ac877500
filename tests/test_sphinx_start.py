"""The Sphinx process started ahead: its doctree warm-up never hands out a stale or shared tree."""

import importlib.util
import os
import pickle
from types import SimpleNamespace

from docutils import frontend, nodes
from docutils.parsers.rst import Parser

from ruralrev.book.sphinx import warm_start


def _doctree(text: str) -> nodes.document:
    document = nodes.document(frontend.get_default_settings(Parser), reporter=None)
    document += nodes.paragraph(text=text)
    return document


def _write(folder, docname: str, text: str) -> None:
    path = folder / f"{docname}.doctree"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(_doctree(text), pickle.HIGHEST_PROTOCOL))


def test_a_warmed_doctree_is_handed_out_once_and_only_while_its_file_is_unchanged(tmp_path):
    for docname, text in (("intro", "intro v1"), ("book/chapter", "chapter v1"), ("book/other", "other v1")):
        _write(tmp_path, docname, text)
    env = SimpleNamespace(all_docs={"intro": 0, "book/chapter": 0, "book/other": 0, "book/never-built": 0},
                          doctreedir=str(tmp_path), doc2path=lambda docname: f"{docname}.md")
    (tmp_path / "book" / "cut-short.doctree").write_bytes((tmp_path / "intro.doctree").read_bytes()[:100])
    env.all_docs["book/cut-short"] = 0
    ready = warm_start.warm_up(SimpleNamespace(env=env))
    # no doctree file, or one that does not unpickle: nothing warmed, Sphinx reads it as it would
    assert sorted(ready) == ["book/chapter", "book/other", "intro"]

    from_disk = []

    def original(self, docname):
        from_disk.append(docname)
        return pickle.loads((tmp_path / f"{docname}.doctree").read_bytes())

    get_doctree = warm_start._one_shot_get_doctree(original, ready)
    warmed = ready["intro"][1]
    _write(tmp_path, "book/chapter", "chapter v2")          # the chapter is re-read after the warm-up
    stamp = os.stat(tmp_path / "book/chapter.doctree")
    os.utime(tmp_path / "book/chapter.doctree", ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 10**9))

    first = get_doctree(env, "intro")
    assert first is warmed and first.settings.env is env and first.reporter is not None
    assert get_doctree(env, "intro") is not first            # asked again: a fresh tree from disk
    assert get_doctree(env, "book/chapter").astext() == "chapter v2"
    assert get_doctree(env, "book/other").astext() == "other v1"
    assert from_disk == ["intro", "book/chapter"]


def test_the_late_imports_are_installed():
    """A module listed for the warm-up that is no longer installed would make the list stale."""
    assert [name for name in warm_start.LATE_IMPORTS if importlib.util.find_spec(name) is None] == []

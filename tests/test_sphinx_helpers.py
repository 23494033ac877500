"""The tests' Sphinx builds (:mod:`sphinx_helpers`) behave as ``python -m sphinx`` in a fresh process."""

from sphinx_helpers import build_html


def _project(folder, conf: str, page: str):
    folder.mkdir()
    (folder / "conf.py").write_text(conf, encoding="utf-8")
    (folder / "index.md").write_text(page, encoding="utf-8")
    return folder


def test_each_build_starts_fresh_a_myst_nb_project_after_a_myst_one(tmp_path):
    """In one process the second build fails ("Source parser for markdown not registered")."""
    myst = _project(tmp_path / "myst", "extensions = ['myst_parser']\n", "# One\n\nText.\n")
    nb = _project(tmp_path / "nb", "extensions = ['myst_nb']\nnb_execution_mode = 'off'\nexclude_patterns = ['html']\n",
                  "# Two\n\nText.\n")
    for folder in (myst, nb):
        run = build_html(folder, folder / "html", "-W")
        assert run.returncode == 0, run.stderr
        assert (folder / "html" / "index.html").is_file()


def test_a_build_reads_the_callers_environment_and_reports_its_errors(tmp_path, monkeypatch):
    conf = "import os\nproject = os.environ['BOOK_TEST_TITLE']\nextensions = ['myst_parser']\n"
    folder = _project(tmp_path / "env", conf, "# Page\n\nText.\n")
    monkeypatch.setenv("BOOK_TEST_TITLE", "Title from the caller")
    run = build_html(folder, folder / "html")
    assert run.returncode == 0, run.stderr
    assert "Title from the caller" in (folder / "html" / "index.html").read_text(encoding="utf-8")
    monkeypatch.delenv("BOOK_TEST_TITLE")
    run = build_html(folder, folder / "html", "-E")
    assert run.returncode != 0 and "BOOK_TEST_TITLE" in run.stderr


def test_a_build_that_dies_is_reported_and_the_next_one_runs(tmp_path):
    """A build process that ends before answering (here its conf.py exits at once) is a failed build
    with a message, not a hang or a stale answer, and the next build runs."""
    dying = _project(tmp_path / "dying", "import os\nos._exit(5)\n", "# Page\n\nText.\n")
    run = build_html(dying, dying / "html")
    assert run.returncode == 1 and "ended without a result" in run.stderr
    fine = _project(tmp_path / "fine", "extensions = ['myst_parser']\n", "# Page\n\nText.\n")
    assert build_html(fine, fine / "html").returncode == 0

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
    conf = "import os\nproject = os.environ['RURALREV_TEST_TITLE']\nextensions = ['myst_parser']\n"
    folder = _project(tmp_path / "env", conf, "# Page\n\nText.\n")
    monkeypatch.setenv("RURALREV_TEST_TITLE", "Title from the caller")
    run = build_html(folder, folder / "html")
    assert run.returncode == 0, run.stderr
    assert "Title from the caller" in (folder / "html" / "index.html").read_text(encoding="utf-8")
    monkeypatch.delenv("RURALREV_TEST_TITLE")
    run = build_html(folder, folder / "html", "-E")
    assert run.returncode != 0 and "RURALREV_TEST_TITLE" in run.stderr

"""The runner: parameters, the page it writes, failures that name the cell and keep the last good page."""

import json
from pathlib import Path

import pytest
from notebook_helpers import glued_values as _glued
from notebook_helpers import run_chapter_with as _run_with
from notebook_helpers import write_notebook

from ruralrev.book import execute, params
from ruralrev.book.params import Chapter
from ruralrev.core.errors import RunError


def _chapter(**parameters):
    return Chapter("demo", Path("notebooks/demo.md"), Path("book/executed/demo.ipynb"), parameters)


def test_plan_lists_the_first_chapter_with_its_defaults():
    plan = {c.name: c for c in params.load_plan()}
    assert plan["paper_001"].parameters == {"threshold": 50.0, "max_n": 5000}
    assert plan["paper_001"].output.as_posix().endswith("book/executed/paper_001.ipynb")


def test_overrides_are_typed_and_checked():
    chapter = _chapter(year=2023, threshold=50.0, method="kmeans")
    assert params.parse_overrides(["year=2020", "threshold=40", "method=ward"], chapter) == {
        "year": 2020, "threshold": 40.0, "method": "ward"}
    with pytest.raises(RunError, match=r"demo: unknown parameter 'yaer' \(known: method, threshold, year\)"):
        params.parse_overrides(["yaer=2020"], chapter)
    with pytest.raises(RunError, match=r"year='twenty': expected an integer"):
        params.parse_overrides(["year=twenty"], chapter)
    with pytest.raises(RunError, match="name=value"):
        params.parse_overrides(["year"], chapter)


def test_unknown_chapter_is_named():
    from ruralrev.book import runner

    with pytest.raises(RunError, match="no chapter 'paper_999'"):
        runner.run_chapters(["paper_999"])


def test_finish_hides_parameter_cells_and_adds_the_box():
    notebook = {"metadata": {"papermill": {"start_time": "t", "duration": 1.0}}, "cells": [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "x = 1"},
        {"cell_type": "code", "metadata": {"tags": ["injected-parameters"], "papermill": {}}, "source": "x = 2"},
        {"cell_type": "markdown", "metadata": {}, "source": "text"},
    ]}
    pristine = json.loads(json.dumps(notebook))
    done = execute._finish(notebook, {"x": 2}, _chapter(x=1))
    # x = 2 is not the default: a note under the title says so, then the hidden parameter cells and the box
    assert done["cells"][0]["id"] == execute.NON_DEFAULT_CLASS and "`x` = `2` (default `1`)" in done["cells"][0]["source"]
    assert [c["metadata"].get("tags") for c in done["cells"][1:]] == [
        ["parameters", "remove-cell"], ["injected-parameters", "remove-cell"], ["ruralrev-parameters"], None]
    assert "- `x` = `2`" in done["cells"][3]["source"]
    assert "ruralrev build demo -p x=2\n" in done["cells"][3]["source"]
    assert "start_time" not in done["metadata"]["papermill"]
    assert "papermill" not in done["cells"][2]["metadata"]
    defaults = execute._finish(pristine, {"x": 1}, _chapter(x=1))
    assert execute.NON_DEFAULT_CLASS not in [c.get("id") for c in defaults["cells"]]


@pytest.mark.slow
def test_failing_notebook_names_cell_and_keeps_previous_output(tmp_path):
    source = tmp_path / "broken.md"
    write_notebook(source, "value = 1 / (n - 1)")
    output = tmp_path / "out" / "broken.ipynb"
    output.parent.mkdir()
    output.write_text('{"previous": "good"}')
    chapter = Chapter("broken", source, output, {"n": 1})
    with pytest.raises(RunError) as caught:
        execute.run_chapter(chapter)
    message = str(caught.value)
    assert "broken.md failed in code cell 2" in message
    assert "'value = 1 / (n - 1)'" in message and "ZeroDivisionError" in message
    assert json.loads(output.read_text()) == {"previous": "good"}
    assert list(output.parent.iterdir()) == [output]  # no temporary file left behind


@pytest.fixture(scope="module")
def disparities_2018_2023(tmp_path_factory):
    return _run_with(tmp_path_factory.mktemp("disparities"), "disparities",
                     ["start_year=2018", "end_year=2023", "grouping=municipality", "bootstrap_reps=199",
                      "inequality_reps=199", "ratio_year=2020"])


@pytest.mark.slow
def test_disparities_chapter_with_other_years_and_grouping(disparities_2018_2023):
    from ruralrev.data import official
    from ruralrev.stats.inequality import by_group

    glued = disparities_2018_2023
    panel = official.load_panel()
    expected = by_group.decomposition_series(panel, "rural_income", "rural_population", "municipality",
                                               range(2018, 2024))
    assert glued["theil_last"] == f"{expected['theil'].iloc[-1]:.4f}"
    assert glued["between_first"] == f"{100 * expected['theil_between_share'].iloc[0]:.0f}"
    # One pair of groups: the sentences about several pairs and the four regions are marked as not holding.
    assert glued["n_pairs"] == "1" and glued["guard_several_pairs"] == "False"
    assert glued["guard_half_between_regions"] == glued["guard_east_west_top"] == "False"
    # The paper comparison uses the NBS regions whatever the grouping, in the survey year (2020).
    regions = by_group.group_means(panel, "rural_income", "rural_population", "region")
    assert glued["central_vs_west"] == ("above" if regions.loc[2020, "Central"] > regions.loc[2020, "West"] else "below")
    assert glued["compare_year"] == "2020"
    assert glued["boot_reps"] == "199"


@pytest.mark.slow
@pytest.mark.snapshot
def test_disparities_chapter_from_2018_keeps_machinery_on_todays_flags(disparities_2018_2023):
    glued = disparities_2018_2023
    assert glued["ratio_n"] == "31"
    # 2018–2023 spans none of machinery's revisions (2016→2017, 2017→2018): it stays in the model,
    # and the sentence naming the default's three flagged regressors is marked.
    assert glued["n_main_regressors"] == "3" and glued["n_flagged"] == "2" and glued["guard_default_flags"] == "False"


@pytest.mark.slow
def test_typology_chapter_for_another_year(tmp_path):
    """An explicit ``year`` (the exercise runs use the default, the latest complete year)."""
    from ruralrev.data import official
    from ruralrev.stats.clustering import partitions

    glued = _run_with(tmp_path, "typology", ["method=ward", "k=4", "bootstrap_reps=20", "gap_references=10",
                                             "mc_draws=50", "year=2022"])
    assert glued["k"] == "4" and glued["year"] == "2022" and glued["k_rule"] == "parameter"
    panel = official.load_panel()
    indicators = {c.name: c for c in params.load_plan()}["typology"].parameters["indicators"]
    raw, z = partitions.feature_matrix(panel, 2022, indicators)
    labels = partitions.fit_partition(z, "ward", 4)
    regions = panel[panel["year"] == 2022].set_index("province").loc[z.index, "region"].astype(str)
    assert glued["ari_regions"] == f"{partitions.agreement(labels, regions):.2f}"


@pytest.mark.slow
def test_a_downloaded_notebook_runs_from_another_folder(tmp_path, monkeypatch):
    """The source notebook a reader downloads runs anywhere: data come through the package."""
    import jupytext
    import papermill

    plan = {c.name: c for c in params.load_plan()}
    elsewhere = tmp_path / "downloads"
    elsewhere.mkdir()
    notebook = jupytext.read(plan["paper_003"].source)
    jupytext.write(notebook, elsewhere / "paper_003.ipynb")
    monkeypatch.chdir(elsewhere)
    papermill.execute_notebook("paper_003.ipynb", "paper_003.out.ipynb", parameters={"start_year": 2018},
                               kernel_name="python3", cwd=str(elsewhere), progress_bar=False)
    glued = _glued(json.loads((elsewhere / "paper_003.out.ipynb").read_text()))
    assert glued["start"] == "2018"


@pytest.fixture(scope="module")
def paper_runs(tmp_path_factory):
    """paper_001 with a narrower granularity search, paper_002 for its first year."""
    folder = tmp_path_factory.mktemp("papers")
    return _run_with(folder, "paper_001", ["max_n=2000"]), _run_with(folder, "paper_002", ["year=2016"])


@pytest.mark.slow
def test_paper_chapters_read_right_with_other_parameters(paper_runs):
    """A narrower granularity search and an early year break the guards of the sentences written for
    the defaults, not just the numbers."""
    p001, p002 = paper_runs
    assert p001["n_unpowered"] == "2"                             # the blocks printed to 0 or 1 decimal
    assert p002["guard_grown_since_first"] == "False"             # 2016 is the first year: no growth since


@pytest.mark.slow
@pytest.mark.snapshot
def test_paper_chapters_with_other_parameters_on_todays_data(paper_runs):
    p001, p002 = paper_runs
    assert p001["culture_n"] == "n/a" and p001["guard_culture_smallest_known"] == "False"   # culture fits beyond 2,000
    assert p001["guard_culture_fits_none"] == "True"
    assert p002["guard_no_late_revision"] == "False"              # machinery revised 2016→2017 and 2017→2018
    assert p002["mach_n"] == "26" and p002["n_old_basis"] == "5"
    assert p002["guard_loan_holds"] == "True" and p002["nbs_rural"] == "40.2"   # the paper's year, whatever the page's


def test_the_unused_import_is_skipped_in_the_runners_kernels_only():
    """With ``RURALREV_FIGURE_DATA=1`` (set by the runner, and inherited by what a worker starts) a
    process that imports IPython skips ``rfc3987_syntax``; nbformat still validates there. Only a
    kernel also skips sqlalchemy and ends without teardown: a Sphinx build that imports IPython
    keeps both, and its exit code. A reader's ``import ruralrev`` changes nothing."""
    import os
    import subprocess
    import sys

    code = ("import sys, IPython, ruralrev, nbformat\n"
            "from ruralrev.book.startup import KERNEL_UNUSED_IMPORTS, UNUSED_IMPORT\n"
            "nbformat.validate(nbformat.v4.new_notebook())\n"
            "print([sys.modules.get(name, 'absent') is None for name in (UNUSED_IMPORT, *KERNEL_UNUSED_IMPORTS)])\n"
            "sys.exit(3)")
    env = {k: v for k, v in os.environ.items() if k != "RURALREV_FIGURE_DATA"}
    runs = [subprocess.run([sys.executable, "-c", code], env=dict(env, **extra), capture_output=True, text=True)
            for extra in ({"RURALREV_FIGURE_DATA": "1"}, {})]
    assert [(run.stdout.strip(), run.returncode) for run in runs] == [("[True, False]", 3), ("[False, False]", 3)]


def test_keep_docstrings_leaves_scipys_docstrings_as_written_and_its_results_alone():
    """scipy appends an array-library note to each decorated function's docstring at import; with
    :func:`ruralrev.book.startup.keep_docstrings` the docstring stays as written (the text before
    the note is the same) and the function computes the same."""
    import subprocess
    import sys

    code = ("import sys\nfrom ruralrev.book import startup\nif sys.argv[1] == 'keep': startup.keep_docstrings()\n"
            "import scipy.stats\ndoc = scipy.stats.ttest_ind.__doc__\n"
            "print(repr((doc.split('Notes')[0].strip()[:400], 'Array API Standard Support' in doc, "
            "float(scipy.stats.ttest_ind([1, 2, 3, 4], [2, 4, 6, 9]).pvalue), "
            "any(type(f).__name__ == '_AfterImport' for f in sys.meta_path))))")
    kept, parsed = (eval(subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True,
                                        check=True).stdout) for how in ("keep", "parse"))
    assert parsed[1] and not kept[1]                  # the note: appended normally, left out when kept
    assert kept[0] == parsed[0] and kept[2] == parsed[2] and not kept[3]   # same text and result; hook gone


@pytest.mark.slow
def test_a_runners_kernel_skips_sqlalchemy_and_still_shuts_down_cleanly():
    """In a kernel with ``RURALREV_FIGURE_DATA=1``, importing ruralrev skips sqlalchemy (libpysal
    still builds weights), leaves scipy's docstrings as written and registers the exit without teardown; the kernel still answers a
    shutdown request and ends."""
    import os

    from jupyter_client.manager import start_new_kernel

    seen = []
    manager, client = start_new_kernel(kernel_name="python3", env=dict(os.environ, RURALREV_FIGURE_DATA="1"))
    try:
        reply = client.execute_interactive(
            "import sys, ruralrev, libpysal, scipy.stats\n"
            "from ruralrev.book.startup import KERNEL_UNUSED_IMPORTS\n"
            "libpysal.weights.lat2W(3, 3)\n"
            "print(all(sys.modules.get(name, 'absent') is None for name in KERNEL_UNUSED_IMPORTS),\n"
            "      'Array API Standard Support' not in scipy.stats.ttest_ind.__doc__)",
            output_hook=lambda message: seen.append(message["content"].get("text", "")), timeout=120)
        assert reply["content"]["status"] == "ok"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)
    assert "".join(seen).strip() == "True True"     # and scipy's docstrings were left as written
    assert not manager.is_alive()

"""The digital chapter: parameters in step with params.yml, figures, and runs with two parameter sets."""

import json
from dataclasses import replace

import numpy as np
import pytest
from notebook_helpers import current_default_run, glued_values

from ruralrev.book import execute, params
from ruralrev.chapters.digital import broadband as dg
from ruralrev.data import official
from ruralrev.present.figures import digital as digital_figures
from ruralrev.stats.inequality import urban_rural as ur

PLAN = {c.name: c for c in params.load_plan()}


def test_parameters_cell_matches_params_yml_and_the_registry():
    chapter = PLAN["digital"]
    assert params.notebook_defaults(chapter.source) == chapter.parameters   # (all chapters: test_params.py)
    assert chapter.schema["outcome"]["choices"] == dg.DIGITAL_OUTCOMES
    assert chapter.schema["ratio_year"]["choices"] == list(ur.URBAN_INCOME_YEARS)


def test_figures_draw_what_they_say():
    import matplotlib.pyplot as plt

    panel = official.load_panel()
    national = dg.national_series(panel, range(2019, 2025))
    fig = digital_figures.plot_national_broadband(national, "t")
    left, right = fig.axes
    assert np.allclose(left.lines[1].get_ydata(), national["rural_per_100"])
    assert np.allclose(right.lines[0].get_ydata(), national["urban_rural_ratio"])
    plt.close(fig)
    flags = official.load_resource("quality")
    kinds = dg.broadband_flag_kinds(panel, flags[flags["series"] == "rural_broadband_users"])
    fig = digital_figures.plot_flagged_paths(panel, kinds, "rural_broadband_per_100_rural_residents",
                                           "urban_broadband_per_100_urban_residents", "per 100")
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]
    assert titles == sorted(kinds["province"].unique())
    plt.close(fig)


def _run(tmp_path, overrides):
    chapter = PLAN["digital"]
    if not overrides and (published := current_default_run(chapter)) is not None:
        return glued_values(published)       # the book's own run of these inputs
    chapter = replace(chapter, output=tmp_path / "digital.ipynb")   # schema and rules kept
    execute.run_chapter(chapter, params.parse_overrides(overrides, chapter), force=True)
    return glued_values(json.loads(chapter.output.read_text()))


@pytest.mark.slow
def test_digital_chapter_with_its_defaults(tmp_path):
    glued = _run(tmp_path, [])
    panel = official.load_panel()
    now = dg.rural_broadband_national(panel, 2023)
    assert glued["nbs_rural_now"] == f"{now.rural_per_100:.1f}" == "40.2"
    assert glued["p002_value"] == "66.5"
    assert glued["n_kinds"] == "36" and glued["n_offset"] == "10" and glued["n_falls_offset"] == "all"
    assert glued["n_small_offset"] == "3" and glued["n_large_offset"] == "5"
    assert glued["small_offset_list"] == "Fujian 2019 (0.32), Guangdong 2019 (0.33), Hainan 2022 (0.07)"
    assert glued["n_common"] == "30" and glued["n_never"] == "10"
    assert glued["ratio_n"] == "31" and glued["ratio_min_p"] == "Tianjin" and glued["ratio_max_p"] == "Gansu"
    assert glued["ui_n"] == "26" and glued["ui_t_moved"] == "fell"
    assert glued["fe_count"] == "16" and glued["reps"] == "9,999"


@pytest.mark.slow
def test_digital_chapter_for_urban_broadband_from_2019(tmp_path):
    glued = _run(tmp_path, ["outcome=urban_broadband_per_100_urban_residents", "start_year=2019", "map_year=2020",
                            "ratio_year=2018", "bootstrap_reps=199"])
    panel = official.load_panel()
    years = range(2019, 2025)
    outcome = "urban_broadband_per_100_urban_residents"
    assert glued["Label"] == "Urban broadband subscriptions per 100 urban residents"
    assert glued["missing_text"] == "none" and glued["n_common"] == "31"
    assert glued["weight_name"] == "urban population"
    row = dg.convergence_summary(panel, outcome, {"all": dg.common_provinces(panel, outcome, years)}, 2019, 2024,
                                 reps=199).iloc[0]
    assert glued["theil_first"] == f"{row['theil_first']:.4f}" and glued["beta"] == f"{row['beta']:.3f}"
    assert glued["samples_agree"].startswith("are the same provinces") and glued["nf_draws_note"] == ""
    assert glued["ratio_n"] == "26" and glued["map_year"] == "2020"
    assert dg.flagged_province_years(outcome, years).empty
    assert glued["flagged_py_text"].startswith("without flagged province-years (none")
    assert glued["fe_short"].startswith(("tie urban broadband", "do not tie urban broadband"))

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


def _phrases(glued: dict) -> dict:
    """Glued values of five words or more (the landing page's legacy ``fe_short`` excepted)."""
    return {k: v for k, v in glued.items() if len(v.split()) >= 5 and k != "fe_short"}


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("digital-defaults"), [])


URBAN_FROM_2019 = ["outcome=urban_broadband_per_100_urban_residents", "start_year=2019", "map_year=2020",
                   "ratio_year=2018", "bootstrap_reps=199"]


@pytest.fixture(scope="module")
def urban_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("digital-urban"), URBAN_FROM_2019)


@pytest.mark.slow
def test_digital_chapter_with_its_defaults(default_run):
    """The page's numbers are the package's, its parameters its own; every sentence holds; no phrase is glued."""
    glued = default_run
    panel = official.load_panel()
    now = dg.rural_broadband_national(panel, 2023)
    assert glued["nbs_rural_now"] == f"{now.rural_per_100:.1f}"
    assert glued["p002_value"] == "66.5"                          # as paper 002 prints it
    assert glued["reps"] == "9,999"
    # the joint Moran test's p-value has the resolution of its permutation count
    assert glued["joint_perms"] == "9,999" and glued["yearly_perms"] == "999"
    assert float(glued["resid_joint_p"]) * 10_000 == pytest.approx(round(float(glued["resid_joint_p"]) * 10_000))
    guards = {k: v for k, v in glued.items() if k.startswith("guard_")}
    assert len(guards) > 40 and all(v == "True" for v in guards.values()), guards
    assert _phrases(glued) == {}


@pytest.mark.slow
@pytest.mark.snapshot
def test_digital_chapter_glues_todays_numbers(default_run):
    glued = default_run
    assert glued["nbs_rural_now"] == "40.2"
    # the same year on the 30 provinces of the series (Shanghai has no rural figure before 2019): labelled apart
    assert glued["nbs_rural_series"] == "40.4" and glued["nbs_n_series"] == "30" and glued["nbs_n"] == "31"
    assert glued["rural_pop_fall"] == "19.0" and glued["rural_pop_fall_31"] == "18.9"
    assert glued["n_kinds"] == "36" and glued["n_offset"] == "10" and glued["n_falls"] == "7"
    # of the ten offset changes only two are of the size a reclassification alone would give
    assert (glued["n_matching_offset"], glued["n_small_offset"], glued["n_large_offset"]) == ("2", "3", "5")
    assert glued["n_common"] == "30" and glued["n_never"] == "10"
    assert (glued["rural_fall"], glued["total_fall"], glued["undone_fall"]) == ("63", "80", "64")
    # Liaoning's flagged falls are followed by a flagged rise: left as published, the fall is 61 %
    assert glued["rebound_provinces"] == "Liaoning" and glued["spared_fall"] == "61"
    assert (glued["undo_low"], glued["undo_high"]) == ("61", "64")
    assert glued["ui_n_years"] == "4" and glued["ui_years_text"] == "2016–2018 and 2020"
    assert glued["ratio_n"] == "31" and glued["ratio_min_p"] == "Tianjin" and glued["ratio_max_p"] == "Gansu"
    assert glued["ui_n"] == "26" and glued["ui_cells"] == "62" and glued["ui_full_br"] == "75"
    assert glued["fe_count"] == "16" and glued["fe_n_positive"] == "16" and glued["fe_n_pass"] == "2"


@pytest.mark.slow
def test_digital_chapter_for_urban_broadband_from_2019(urban_run):
    glued = urban_run
    panel = official.load_panel()
    years = range(2019, 2025)
    outcome = "urban_broadband_per_100_urban_residents"
    assert glued["outcome_name"] == "urban broadband"
    assert glued["weight_name"] == "urban population"
    row = dg.convergence_summary(panel, outcome, {"all": dg.common_provinces(panel, outcome, years)}, 2019, 2024,
                                 reps=199).iloc[0]
    assert glued["theil_first"] == f"{row['theil_first']:.4f}" and glued["beta"] == f"{row['beta']:.3f}"
    assert glued["map_year"] == "2020"
    assert _phrases(glued) == {}


@pytest.mark.slow
@pytest.mark.snapshot
def test_digital_chapter_for_urban_broadband_marks_what_todays_data_do_not_bear(urban_run):
    glued = urban_run
    years = range(2019, 2025)
    outcome = "urban_broadband_per_100_urban_residents"
    assert glued["n_common"] == "31" and glued["ratio_n"] == "26"
    assert dg.flagged_province_years(outcome, years).empty
    # sentences written for the defaults are marked: no flags (so no never-flagged contrast), urban take-up
    # did not converge, the rural rate did not triple from 2019
    for name in ("has_flagged_py", "nf_weaker", "converged", "theil_fell", "rural_tripled", "shanghai_left_out"):
        assert glued[f"guard_{name}"] == "False", name
    assert glued["guard_gap_narrowed"] == "True" and glued["guard_ui_br_majority"] == "True"

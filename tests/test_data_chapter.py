"""The data chapter: its counts of coverage and of the rural-electricity flags, recomputed with pandas alone."""

import json
from dataclasses import replace

import numpy as np
import pytest
from notebook_helpers import current_default_run, glued_values

from ruralrev.book import execute, params
from ruralrev.data import official

PLAN = {c.name: c for c in params.load_plan()}


@pytest.fixture(scope="module")
def glued(tmp_path_factory):
    chapter = PLAN["data"]
    if (published := current_default_run(chapter)) is not None:
        return glued_values(published)       # the book's own run of these inputs
    chapter = replace(chapter, output=tmp_path_factory.mktemp("data") / "data.ipynb")
    execute.run_chapter(chapter, {}, force=True)
    return glued_values(json.loads(chapter.output.read_text()))


def _electricity():
    panel, flags = official.load_panel(), official.load_resource("quality")
    wide = panel.pivot(index="province", columns="year", values="rural_electricity")
    return panel, flags[flags["series"] == "rural_electricity"], wide


@pytest.mark.slow
def test_data_chapter_counts_what_it_says(glued):
    """Complete series, urban income years, who fell into the dip and who came back, the 2020 fall by group."""
    panel, flags, wide = _electricity()
    n = panel["province"].nunique()
    published = [c for c in glued_published_codes() if c in panel.columns]
    complete = [c for c in published if panel.groupby("year")[c].count().eq(n).all()]
    assert glued["n_complete"] == str(len(complete)) and glued["n_incomplete"] == str(len(published) - len(complete))
    years = sorted(official.load_urban_income()["year"].unique())
    assert glued["n_urban_years"] == str(len(years))
    into = flags[(flags["year_to"] == 2022) & (flags["rule"] == "national-break")]
    out = flags[(flags["year_to"] == 2023) & (flags["rule"] == "national-break")]
    fell = set(into.loc[into["change_pct"] < 0, "province"])
    back = fell & set(out.loc[out["change_pct"] > 0, "province"])
    assert glued["electricity_n2022"] == str(len(into)) and glued["dip_n_fell"] == str(len(fell))
    assert glued["dip_n"] == str(len(back)) and glued["dip_fell_not_flagged_out"] == ", ".join(sorted(fell - back))
    dipped = wide.index.isin(sorted(back))
    fall = lambda rows: 100 * (1 - wide.loc[rows, 2020].sum() / wide.loc[rows, 2019].sum())   # noqa: E731
    assert glued["first_fall_dip"] == f"{fall(dipped):.0f}" and glued["first_fall_others"] == f"{fall(~dipped):.0f}"
    assert glued["sh_el_factor"] == f"{wide.loc['Shanghai', 2019] / wide.loc['Shanghai', 2020]:.0f}"
    guards = {k: v for k, v in glued.items() if k.startswith("guard_")}
    assert all(v == "True" for v in guards.values()), guards
    assert {k: v for k, v in glued.items() if len(v.split()) >= 5} == {}


def glued_published_codes():
    from ruralrev.data import registry

    return registry.codes(kind="published")


@pytest.mark.slow
@pytest.mark.snapshot
def test_data_chapter_glues_todays_numbers(glued):
    assert (glued["n_complete"], glued["n_series"], glued["n_incomplete"]) == ("20", "24", "4")
    assert glued["n_urban_years"] == "4" and glued["urban_years"] == "2016–2018 and 2020"
    # twelve flagged into 2022: Zhejiang rose, eleven fell; Guangxi's rebound was not flagged, ten were
    assert (glued["electricity_n2022"], glued["dip_n_fell"], glued["dip_n"]) == ("12", "11", "10")
    assert glued["dip_rose_into"] == "Zhejiang" and glued["dip_fell_not_flagged_out"] == "Guangxi"
    assert (glued["first_fall_dip"], glued["first_fall_others"]) == ("54", "25")
    # Shanghai's 2020 fall, beyond the factor of five that stops a build, passes in a national-break year
    assert glued["sh_el_factor"] == "108" and glued["extreme_factor"] == "5"
    assert np.isclose(float(glued["electricity_shanghai"]), -99.1)

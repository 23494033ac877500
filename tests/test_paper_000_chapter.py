"""Paper 000's data section, recomputed with plain pandas sums from the book's data.

The page ranks the regions on machinery power under three denominators (per rural resident, per
hectare sown, per province) for one year, with the provinces whose machinery series has a flagged
revision left out of the text, the table and the figure alike (the referee's finding: the text and
the figure once used different provinces, and the ranking depends on the denominator). Checked
here against ratios of regional sums computed without the package's group means, for the default
year and for the last year, where the snapshot has no sown area.
"""

import pandas as pd
import pytest

from notebook_helpers import run_chapter_with
from ruralrev.data import breaks, official

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    return run_chapter_with(tmp_path_factory.mktemp("p000"), "paper_000", [])


@pytest.fixture(scope="module")
def last_year_run(tmp_path_factory):
    return run_chapter_with(tmp_path_factory.mktemp("p000_2024"), "paper_000", ["year=2024"])


def _by_hand(year: int, drop_revised: bool = True) -> pd.DataFrame:
    """Regional machinery power per rural resident (kW), per sown hectare (kW) and per province
    (GW) in ``year``: sums of the provinces' totals, divided by hand."""
    panel = official.load_panel()
    revised = set(breaks.flags_for("machinery_per_rural_capita")["province"]) if drop_revised else set()
    rows = panel[(panel["year"] == year) & ~panel["province"].isin(revised)]
    sums = rows.groupby("region")[["machinery_power", "rural_population", "sown_area"]].sum(min_count=1)
    return pd.DataFrame({
        "resident": sums["machinery_power"] / sums["rural_population"],          # 10,000 kW / 10,000 persons
        "hectare": 10 * sums["machinery_power"] / sums["sown_area"],             # 10,000 kW / 1,000 ha
        "province": rows.groupby("region")["machinery_power"].mean() / 100,      # 10,000 kW → GW
        "n": rows.groupby("region")["province"].nunique()})


def test_every_sentence_written_for_the_defaults_holds(default_run):
    guards = {key: value for key, value in default_run.items() if key.startswith("guard_")}
    assert {"guard_top_differs", "guard_low_two_close", "guard_northeast_top", "guard_ledger_empty"} <= set(guards)
    assert {key for key, value in guards.items() if value != "True"} == set()


def test_the_three_rankings_against_sums_by_hand(default_run):
    year = int(default_run["year"])
    hand = _by_hand(year)
    resident = hand["resident"].sort_values()
    assert default_run["mach_top"] == resident.index[-1]
    assert default_run["mach_low"] == resident.index[0] and default_run["mach_second"] == resident.index[1]
    assert default_run["mach_ratio"] == f"{resident.iloc[-1] / resident.iloc[0]:.1f}"
    assert default_run["mach_low_value"] == f"{resident.iloc[0]:.2f}"
    assert default_run["ha_top"] == hand["hectare"].idxmax()
    third = {1: "first", 2: "second", 3: "third", 4: "fourth"}
    assert default_run["top_rank_ha"] == third[int(hand["hectare"].rank(ascending=False)[resident.index[-1]])]
    assert default_run["province_top"] == hand["province"].idxmax()
    assert default_run["n_kept"] == str(int(hand["n"].sum()))


def test_text_and_figure_share_their_provinces_and_all_provinces_are_reported(default_run):
    """The text's cross-section leaves out the same provinces as the figure; the dropdown gives
    the comparison with every province."""
    year = int(default_run["year"])
    every = _by_hand(year, drop_revised=False)["resident"].sort_values()
    assert default_run["all_ratio"] == f"{every.iloc[-1] / every.iloc[0]:.1f}"
    assert default_run["all_low"] == every.index[0]
    provinces = official.load_panel().query("year == @year")["province"].nunique()
    assert int(default_run["n_kept"]) + int(default_run["n_revised"]) == provinces


@pytest.mark.snapshot
def test_todays_data_rank_the_northeast_first_per_resident_and_third_per_hectare(default_run):
    assert (default_run["year"], default_run["mach_top"], default_run["ha_top"], default_run["top_rank_ha"],
            default_run["province_top"], default_run["mach_ratio"], default_run["n_kept"]) == \
        ("2023", "Northeast", "East", "third", "Central", "2.3", "26")
    assert (default_run["mach_low"], default_run["all_low"]) == ("East", "West")   # the two lowest swap with the sample


def test_a_year_without_sown_area_leaves_the_hectare_ranking_open(last_year_run):
    assert _by_hand(2024)["hectare"].isna().all()
    assert last_year_run["ha_top"] == last_year_run["top_rank_ha"] == "n/a"
    assert last_year_run["guard_top_differs"] == "False"
    assert last_year_run["mach_top"] == _by_hand(2024)["resident"].idxmax()

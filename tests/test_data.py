"""The committed snapshot as loaded: known values, typed frames, validation and its cache.

Tests marked ``snapshot`` pin values and coverage of today's committed data (a data refresh updates
them); the others check formulas, types, printed ratios and the validation, whatever the data."""

import hashlib
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from ruralrev.core import paths
from ruralrev.data import official


@pytest.fixture(scope="module")
def panel():
    return official.load_panel()


def _row(panel, province, year):
    return panel[(panel["province"] == province) & (panel["year"] == year)].iloc[0]


@pytest.mark.snapshot
def test_known_values(panel):
    assert _row(panel, "Shanghai", 2023)["rural_income"] == 42988
    assert _row(panel, "Beijing", 2024)["rural_income"] == 39856
    national = official.load_national().set_index(["indicator", "year"])["value"]
    assert national[("rural_income", 2023)] == 21691


@pytest.mark.snapshot
def test_the_panel_covers_2016_to_2024(panel):
    assert sorted(panel["year"].unique()) == list(range(2016, 2025))


def test_shape_regions_and_keys(panel):
    assert panel["province"].nunique() == 31
    assert not panel.duplicated(["province", "year"]).any()
    sizes = official.load_provinces()["region"].value_counts().to_dict()
    assert sizes == {"East": 10, "Central": 6, "West": 12, "Northeast": 3}


@pytest.mark.snapshot
def test_rural_broadband_is_published_for_276_of_279_province_years(panel):
    assert panel["rural_broadband_users"].notna().sum() == 276 and panel["broadband_users"].notna().sum() == 279


def test_derived_indicators_follow_their_formulas(panel):
    urban, rural = panel["urban_population"], panel["rural_population"]
    np.testing.assert_allclose(panel["urbanization_rate"], 100 * urban / (urban + rural), atol=5e-5)
    np.testing.assert_allclose(panel["primary_share"], 100 * panel["primary_va"] / panel["gdp"], atol=5e-5)
    np.testing.assert_allclose(panel["rural_all_income_ratio"], panel["rural_income"] / panel["all_income"],
                               atol=5e-7)
    np.testing.assert_allclose(panel["fertiliser_per_sown_ha"].dropna(),
                               (panel["fertiliser"] * 1e4 / panel["sown_area"]).dropna(), atol=5e-3)
    beijing = _row(panel, "Beijing", 2016)
    assert beijing["total_population"] == 1904 + 291


def test_rural_income_is_below_all_residents_income_everywhere(panel):
    assert (panel["rural_all_income_ratio"] < 1).all()


@pytest.mark.snapshot
def test_conflicts_are_the_2024_gdp_per_capita_vintages():
    conflicts = official.load_conflicts()
    assert len(conflicts) == 31
    assert set(conflicts["indicator"]) == {"gdp_per_capita"} and set(conflicts["year"]) == {2024}
    beijing = conflicts[conflicts["province"] == "Beijing"].iloc[0]
    assert (beijing["kept_value"], beijing["other_value"]) == (227376.0, 228167.0)
    assert beijing["difference_pct"] == pytest.approx(100 * (228167 / 227376 - 1), abs=5e-4)
    assert beijing["kept_file"].startswith("nbs-exports/agri/")


def test_conflicts_are_typed_as_numbers():
    conflicts = official.load_conflicts()
    for column in ["year", "kept_line", "other_line"]:
        assert pd.api.types.is_integer_dtype(conflicts[column]), column
    for column in ["kept_value", "other_value", "difference_pct"]:
        assert pd.api.types.is_float_dtype(conflicts[column]), column


@pytest.mark.snapshot
def test_official_urban_income_is_2016_2018_for_26_provinces_and_2020_for_all():
    urban = official.load_urban_income()
    early = urban[urban["year"] <= 2018]
    years = early.groupby("province")["year"].apply(list)
    assert (years.apply(len) == 3).sum() == 26 and years["Shaanxi"] == [2016, 2017] and len(early) == 80
    assert not {"Gansu", "Qinghai", "Ningxia", "Xinjiang"} & set(years.index)
    late = urban[urban["year"] == 2020]
    assert len(late) == 31 and set(urban["year"]) == {2016, 2017, 2018, 2020}
    indexed = urban.set_index(["province", "year"])
    assert indexed.loc[("Beijing", 2016), "value"] == 57275
    assert indexed.loc[("Gansu", 2020), "value"] == 33821.8  # table 2-6, as printed
    assert indexed.loc[("Beijing", 2016), "source"] == "http://tjj.xjbt.gov.cn/2020nj/table/fl1-05.htm"
    assert indexed.loc[("Gansu", 2020), "source"].startswith("https://github.com/HLGhpz/Data-Handle-TS/blob/")
    assert "China Rural Statistical Yearbook 2021" in indexed.loc[("Gansu", 2020), "table"]


@pytest.mark.snapshot
def test_official_urban_rural_ratio_covers_2020(panel):
    ratio = official.with_official_urban_rural_ratio(panel)
    counts = ratio.dropna(subset=["urban_rural_income_ratio"]).groupby("year").size().to_dict()
    assert counts == {2016: 27, 2017: 27, 2018: 26, 2020: 31}


def test_official_urban_rural_ratio_by_hand_and_in_the_panel(panel):
    ratio = official.with_official_urban_rural_ratio(panel)
    gansu = ratio[(ratio["province"] == "Gansu") & (ratio["year"] == 2020)].iloc[0]
    assert gansu["urban_rural_income_ratio"] == pytest.approx(33821.8 / 10344)
    # the panel's own column is the same ratio, rounded to the registry's decimals
    np.testing.assert_allclose(ratio["urban_rural_income_ratio"], panel["urban_rural_income_ratio"], atol=5e-5)


def test_field_table_documents_every_panel_column(panel):
    fields = official.field_table()
    assert list(fields["field"]) == list(panel.columns)
    assert (fields.loc[fields["kind"] != "key", "unit"] != "").all()
    derived = fields[fields["field"] == "urbanization_rate"].iloc[0]
    assert "urban_population" in derived["formula"] and derived["unit"] == "per cent"
    broadband = fields[fields["field"] == "rural_broadband_users"].iloc[0]
    assert broadband["unit"] == "10,000 subscribers"


@pytest.mark.snapshot
def test_field_table_gives_the_years_of_today_s_data():
    fields = official.field_table()
    broadband = fields[fields["field"] == "rural_broadband_users"].iloc[0]
    assert broadband["years"] == "2016–2024"


def test_a_loaded_frame_is_the_callers_own_copy():
    """The validated frames are cached once per process; what a caller changes stays its own."""
    first = official.load_resource("panel")
    first.loc[:, "rural_income"] = -1.0
    try:
        again = official.load_resource("panel")
        assert (again["rural_income"].dropna() > 0).all()
        assert not again.equals(first)
        assert official.validate_snapshot()["panel"].equals(again)
    finally:                        # a failure must not leave the changed frame to later tests
        official._VALIDATED.clear()


@pytest.fixture()
def snapshot_copy(tmp_path):
    shutil.copytree(paths.DATA / "official", tmp_path / "official")
    return tmp_path


def _rehash(root, name):
    descriptor_path = root / "official" / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text())
    for resource in descriptor["resources"]:
        if resource["name"] == name:
            resource["hash"] = "sha256:" + hashlib.sha256((root / resource["path"]).read_bytes()).hexdigest()
    descriptor_path.write_text(json.dumps(descriptor))


def test_a_hand_edit_fails_the_checksum(snapshot_copy):
    path = snapshot_copy / "official" / "panel.csv"
    path.write_text(path.read_text().replace("42988", "42989"))
    with pytest.raises(official.SnapshotError, match=r"panel.csv: sha256 differs"):
        official.load_panel(snapshot_copy)


def test_duplicate_province_year_is_refused(snapshot_copy):
    path = snapshot_copy / "official" / "panel.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines + [lines[1]]))
    _rehash(snapshot_copy, "panel")
    with pytest.raises(official.SnapshotError, match=r"duplicate \['province', 'year'\] \('Beijing', '2016'\)"):
        official.load_panel(snapshot_copy)


def test_out_of_range_value_names_file_and_line(snapshot_copy):
    path = snapshot_copy / "official" / "panel.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[4, "urbanization_rate"] = "140.0000"
    frame.to_csv(path, index=False, lineterminator="\n")
    _rehash(snapshot_copy, "panel")
    with pytest.raises(official.SnapshotError, match=r"panel.csv:6: urbanization_rate=140.0000 outside \[0.0, 100\]"):
        official.load_panel(snapshot_copy)


def test_validation_runs_once_per_process_and_again_after_an_edit(snapshot_copy, monkeypatch):
    calls = []
    original = official._check_resource
    monkeypatch.setattr(official, "_check_resource", lambda root, r: calls.append(r["name"]) or original(root, r))
    official.load_panel(snapshot_copy)
    official.load_observations(snapshot_copy)
    official.load_conflicts(snapshot_copy)
    assert calls.count("panel") == 1 and calls.count("observations") == 1
    path = snapshot_copy / "official" / "panel.csv"
    path.write_text(path.read_text().replace("42988", "42989"))
    with pytest.raises(official.SnapshotError, match="sha256 differs"):
        official.load_panel(snapshot_copy)


def test_a_stale_snapshot_without_a_registry_column_is_refused(snapshot_copy):
    path = snapshot_copy / "official" / "panel.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns=["urban_income"])
    frame.to_csv(path, index=False, lineterminator="\n")
    descriptor_path = snapshot_copy / "official" / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text())
    panel = next(r for r in descriptor["resources"] if r["name"] == "panel")
    panel["schema"]["fields"] = [f for f in panel["schema"]["fields"] if f["name"] != "urban_income"]
    descriptor_path.write_text(json.dumps(descriptor))
    _rehash(snapshot_copy, "panel")
    with pytest.raises(official.SnapshotError, match=r"columns differ from the indicator registry .*'urban_income'"):
        official.load_panel(snapshot_copy)


def test_population_share_estimate_is_exact_where_the_shares_agree(panel):
    estimate = official.urban_income_share_estimate(panel, official.load_urban_income())
    row = estimate.iloc[0]
    assert (abs(row["share_gap_pp"]) < 1e-9) == (abs(row["estimate"] - row["official"]) < 1e-6)


@pytest.mark.snapshot
def test_population_share_estimate_misses_official_urban_income(panel):
    """Reproduces the measured error of the estimate the book refuses to use (−16 % to +0.4 % on
    2016–2018, as the data README states)."""
    estimate = official.urban_income_share_estimate(panel, official.load_urban_income())
    assert len(estimate) == 111
    early = estimate[estimate["year"] <= 2018]
    assert early["error_pct"].min() == pytest.approx(-16.03, abs=0.01)
    assert early["error_pct"].max() == pytest.approx(0.40, abs=0.01)
    # the error sits in the urban share the survey's three means imply, against the resident share
    assert estimate["share_gap_pp"].median() == pytest.approx(-5.94, abs=0.01)
    assert estimate["share_gap_pp"].min() == pytest.approx(-11.64, abs=0.01)


def test_indicator_values_refuses_unknown_names_and_years(panel):
    values = official.indicator_values(panel, "rural_income", 2023)
    assert official.indicator_values(panel, "log_rural_income", 2023).to_numpy() == pytest.approx(np.log(values))
    with pytest.raises(ValueError, match="unknown indicator 'income'; known: rural_income"):
        official.indicator_values(panel, "income", 2023)
    with pytest.raises(ValueError, match=r"year 2030 is outside the panel"):
        official.indicator_values(panel, "rural_income", 2030)


@pytest.mark.snapshot
def test_indicator_values_of_today_s_data(panel):
    assert official.indicator_values(panel, "rural_income", 2023)["Shanghai"] == 42988
    assert official.indicator_values(panel, "log_rural_income", 2023)["Shanghai"] == pytest.approx(np.log(42988))
    with pytest.raises(ValueError, match=r"year 2030 is outside the panel \(2016–2024\)"):
        official.indicator_values(panel, "rural_income", 2030)


@pytest.mark.snapshot
def test_national_urban_income_2020_is_table_2_6s_national_row():
    national = official.load_national().set_index(["indicator", "year"])["value"]
    assert national[("urban_income", 2020)] == 43833.8


def test_national_urban_rural_ratio_2020_is_the_one_table_2_6_prints():
    national = official.load_national().set_index(["indicator", "year"])["value"]
    assert round(national[("urban_income", 2020)] / national[("rural_income", 2020)], 2) == 2.56  # as the table prints

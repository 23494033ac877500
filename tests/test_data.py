"""The committed snapshot: values against the raw exports, derived formulas, validation, rebuilds."""

import shutil
import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from ruralrev import data, nbs, paths


@pytest.fixture(scope="module")
def panel():
    return data.load_panel()


def _row(panel, province, year):
    return panel[(panel["province"] == province) & (panel["year"] == year)].iloc[0]


def test_known_values(panel):
    assert _row(panel, "Shanghai", 2023)["rural_income"] == 42988
    assert _row(panel, "Beijing", 2024)["rural_income"] == 39856
    national = data.load_national().set_index(["indicator", "year"])["value"]
    assert national[("rural_income", 2023)] == 21691


def test_shape_regions_and_keys(panel):
    assert panel["province"].nunique() == 31
    assert sorted(panel["year"].unique()) == list(range(2016, 2025))
    assert not panel.duplicated(["province", "year"]).any()
    sizes = data.load_provinces()["region"].value_counts().to_dict()
    assert sizes == {"East": 10, "Central": 6, "West": 12, "Northeast": 3}


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


def test_conflicts_are_the_2024_gdp_per_capita_vintages():
    conflicts = data.load_conflicts()
    assert len(conflicts) == 31
    assert set(conflicts["indicator"]) == {"gdp_per_capita"} and set(conflicts["year"]) == {"2024"}
    beijing = conflicts[conflicts["province"] == "Beijing"].iloc[0]
    assert (beijing["kept_value"], beijing["other_value"]) == ("227376", "228167")
    assert beijing["kept_file"].startswith("nbs-exports/agri/")


def test_urban_income_extract_covers_26_provinces_plus_shaanxi_2016_2017():
    urban = data.load_urban_income()
    years = urban.groupby("province")["year"].apply(list)
    complete = years[years.apply(len) == 3]
    assert len(complete) == 26 and years["Shaanxi"] == [2016, 2017] and len(urban) == 80
    assert not {"Gansu", "Qinghai", "Ningxia", "Xinjiang"} & set(years.index)
    assert urban.set_index(["province", "year"]).loc[("Beijing", 2016), "value"] == 57275


def test_field_table_documents_every_panel_column(panel):
    fields = data.field_table()
    assert list(fields["field"]) == list(panel.columns)
    assert (fields.loc[fields["field"].isin([s.code for s in data.SERIES]), "unit"] != "").all()
    derived = fields[fields["field"] == "urbanization_rate"].iloc[0]
    assert "urban_population" in derived["definition"] and derived["unit"] == "per cent"


@pytest.fixture()
def snapshot_copy(tmp_path):
    shutil.copytree(paths.DATA / "official", tmp_path / "official")
    shutil.copy(paths.DATA / "provinces.csv", tmp_path / "provinces.csv")
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
    with pytest.raises(data.SnapshotError, match=r"panel.csv: sha256 differs"):
        data.load_panel(snapshot_copy)


def test_duplicate_province_year_is_refused(snapshot_copy):
    path = snapshot_copy / "official" / "panel.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines + [lines[1]]))
    _rehash(snapshot_copy, "panel")
    with pytest.raises(data.SnapshotError, match=r"duplicate \['province', 'year'\] \('Beijing', '2016'\)"):
        data.load_panel(snapshot_copy)


def test_out_of_range_value_names_file_and_line(snapshot_copy):
    path = snapshot_copy / "official" / "panel.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[4, "urbanization_rate"] = "140.0000"
    frame.to_csv(path, index=False, lineterminator="\n")
    _rehash(snapshot_copy, "panel")
    with pytest.raises(data.SnapshotError, match=r"panel.csv:6: urbanization_rate=140.0000 outside \[0, 100\]"):
        data.load_panel(snapshot_copy)


# ---- rebuilding from the raw exports (skipped in a reader's clone) ---------------------------

def test_rebuild_is_byte_identical(raw_data_dir, tmp_path):
    written = data.build_snapshot(raw_data_dir, tmp_path)
    assert len(written) == 7
    for path in written:
        committed = paths.DATA / path.relative_to(tmp_path)
        assert path.read_bytes() == committed.read_bytes(), f"{committed} differs from a rebuild"


def test_snapshot_values_equal_the_raw_exports(raw_data_dir):
    observations = data.load_observations()
    sample = observations.sample(200, random_state=20261123)
    cache = {}
    for row in sample.itertuples():
        if row.file not in cache:
            cache[row.file] = nbs.read_export(raw_data_dir / row.file, label=row.file).cells
        cells = cache[row.file]
        printed = cells[cells["line"] == row.line]
        printed = printed[(printed["province"] == row.province) & (printed["year"] == row.year)]
        assert float(printed["value"].iloc[0]) == row.value, row


def _raw_copy(raw_data_dir, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(raw_data_dir, raw)
    out = tmp_path / "out"
    shutil.copytree(paths.DATA / "official", out / "official")
    shutil.copy(paths.DATA / "provinces.csv", out / "provinces.csv")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    return raw, out, before


def _set_manifest_hash(raw, relative):
    manifest = raw / "MANIFEST.tsv"
    table = pd.read_csv(manifest, sep="\t", dtype=str)
    table.loc[table["path"] == relative, "sha256"] = hashlib.sha256((raw / relative).read_bytes()).hexdigest()
    table.to_csv(manifest, sep="\t", index=False, lineterminator="\n")


RURAL_INCOME = "nbs-exports/agri/农村居民人均可支配收入/农村居民人均可支配收入 (元).csv"


def test_checksum_mismatch_stops_the_build_and_keeps_the_snapshot(raw_data_dir, tmp_path):
    raw, out, before = _raw_copy(raw_data_dir, tmp_path)
    path = raw / RURAL_INCOME
    path.write_bytes(path.read_bytes().replace("39856".encode(), "39857".encode()))
    with pytest.raises(data.SnapshotError, match=r"农村居民人均可支配收入 \(元\).csv: sha256 \w+ does not match"):
        data.build_snapshot(raw, out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_unknown_province_stops_the_build_and_keeps_the_snapshot(raw_data_dir, tmp_path):
    raw, out, before = _raw_copy(raw_data_dir, tmp_path)
    path = raw / RURAL_INCOME
    path.write_bytes(path.read_bytes().replace("天津市".encode(), "天京市".encode()))
    _set_manifest_hash(raw, RURAL_INCOME)
    with pytest.raises(nbs.ExportError, match=r"\(元\).csv:5: unknown province '天京市'"):
        data.build_snapshot(raw, out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_mislabeled_export_fails_the_identity_check(raw_data_dir, tmp_path):
    raw, out, before = _raw_copy(raw_data_dir, tmp_path)
    relative = "nbs-exports/economy/分省年度数据可支配收入.csv"
    path = raw / relative
    path.write_bytes(path.read_bytes().replace(",57230".encode(), ",57330".encode()))
    _set_manifest_hash(raw, relative)
    with pytest.raises(data.SnapshotError, match=r"all_income: .* Beijing 2017 is 57330.0 where .* prints 57229.8"):
        data.build_snapshot(raw, out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_population_share_estimate_misses_official_urban_income(panel):
    """Reproduces the measured error of the estimate the book refuses to use (−16 % to +0.4 %)."""
    estimate = data.urban_income_share_estimate(panel, data.load_urban_income())
    assert len(estimate) == 80
    assert estimate["error_pct"].min() == pytest.approx(-16.03, abs=0.01)
    assert estimate["error_pct"].max() == pytest.approx(0.40, abs=0.01)


def test_indicator_values_refuses_unknown_names_and_years(panel):
    assert data.indicator_values(panel, "rural_income", 2023)["Shanghai"] == 42988
    with pytest.raises(ValueError, match="unknown indicator 'income'; known: rural_income"):
        data.indicator_values(panel, "income", 2023)
    with pytest.raises(ValueError, match=r"year 2030 is outside the panel \(2016–2024\)"):
        data.indicator_values(panel, "rural_income", 2030)

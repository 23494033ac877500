"""The transcribed tables equal what the papers print, cell by cell."""

import pandas as pd
import pytest

from ruralrev.data import papers

P001 = "001_7fadbb374eb89ef6"


@pytest.fixture(scope="module")
def table1():
    return papers.load_table("001_table1")


def test_p001_table1_matches_printed_text(seeds_dir, table1):
    text = (seeds_dir / f"{P001}.txt").read_text(encoding="utf-8")
    printed = papers.printed_rows(
        text, start="Subdivision areas Existing problems Questionnaire survey results (%)", stop="《"
    )
    assert len(printed) == 31
    assert papers.compare_with_printed(table1, printed) == []


def test_p001_table1_values_offline(table1):
    """A second, independent reading of the printed table (for clones without ../shared)."""
    by_area = table1.groupby("area", sort=False)["percent"].apply(list).to_dict()
    assert by_area["Governance of rural public education service"] == [
        "60.61", "45.45", "36.36", "33.33", "27.27", "12.12", "12.12"]
    assert by_area["Governance of rural public medical service"] == [
        "38.5", "48.1", "29", "19", "19.5", "15.6", "16.1"]
    assert by_area["Governance of rural social security service"] == ["55.6", "14.9", "16", "27", "55.1"]
    assert by_area["Governance of rural employment and training service"] == [
        "44.7", "30", "39.5", "15.31", "48.2", "24.3", "3.1"]
    assert by_area["Governance of rural public cultural service"] == [
        "57.04", "51.93", "34.26", "30.62", "2.74"]
    assert set(table1["paper_id"]) == {P001} and set(table1["table"]) == {"Table 1"}


def test_load_table_parses_printed_precision(table1):
    row = table1[table1["percent"] == "15.31"].iloc[0]
    assert row["value"] == pytest.approx(15.31) and row["decimals"] == 2
    assert table1.loc[table1["percent"] == "29", "decimals"].item() == 0


def test_compare_with_printed_reports_a_changed_cell(table1):
    altered = table1.copy()
    altered.loc[3, "percent"] = "33.34"
    printed = [
        (f"{r.area} {r.item}" if i == 0 or r.area != table1.area[i - 1] else r.item, r.percent)
        for i, r in enumerate(table1.itertuples())
    ]
    problems = papers.compare_with_printed(altered, printed)
    assert problems == ["row 4 (Insufficient funds…): 33.34 printed as 33.33"]


def test_load_table_rejects_a_non_number(tmp_path):
    frame = pd.DataFrame({"paper_id": ["x"], "table": ["T"], "section": ["1"], "area": ["a"],
                          "item": ["i"], "percent": ["12,5"]})
    frame.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match=r"bad.csv:2: percent='12,5' is not a printed number"):
        papers.load_table("bad", root=tmp_path)


def test_items_at_or_above(table1):
    assert list(papers.items_at_or_above(table1, 55)["percent"]) == ["60.61", "57.04", "55.6", "55.1"]
    assert len(papers.items_at_or_above(table1, 40)) == 9
    with pytest.raises(ValueError, match="percentage"):
        papers.items_at_or_above(table1, 120)


def test_paper_register_has_all_five():
    register = papers.load_papers()
    assert len(register) == 5
    assert register.loc["002_598e79ca07244105", "authors"] == "Heyun Xu"


P000 = "000_37fc765ec4b6d06a"


def test_p000_table1_printed_grid_matches_text(seeds_dir):
    lines = (seeds_dir / f"{P000}.txt").read_text(encoding="utf-8").splitlines()
    start = lines.index("Problems and challenges\tStrategy and practice\tProblems and challenges\tStrategy and practice")
    printed = papers.load_table("000_table1_printed", value_column="none")
    for row, line in enumerate(lines[start + 1:start + 9], start=1):
        cells = line.split("\t") + [""] * 4
        got = printed[printed["row"] == str(row)].sort_values("column")["text"].tolist()
        assert got == cells[:4], row


def test_p000_reading_uses_every_printed_cell_once_at_its_position():
    printed = papers.load_table("000_table1_printed", value_column="none")
    reading = papers.load_table("000_table1_reading", value_column="none")
    cells = printed[printed["text"] != ""].set_index(["row", "column"])["text"]
    read = reading.set_index(["printed_row", "printed_column"])["text"]
    assert not read.index.duplicated().any()
    assert read.sort_index().equals(cells.sort_index().rename_axis(["printed_row", "printed_column"]))
    assert reading["group"].nunique() == 5 and set(reading["kind"]) == {"problem", "strategy"}


def test_p000_table2_matches_text(seeds_dir):
    lines = (seeds_dir / f"{P000}.txt").read_text(encoding="utf-8").splitlines()
    start = lines.index("Construction path\tSpecific steps\tTarget")
    path = papers.load_table("000_table2", value_column="none")
    assert len(path) == 10
    for row, line in zip(path.itertuples(), lines[start + 1:start + 11]):
        stage, step, target = line.split("\t")
        assert (step, target) == (row.step, row.target)
        assert stage == (row.stage if row.stage_printed == "yes" else "")


def test_p000_table2_offline():
    path = papers.load_table("000_table2", value_column="none")
    assert list(dict.fromkeys(path["stage"])) == ["Diagnostic status quo", "Make a plan", "Pilot first",
                                                   "Popularize and implement", "Assessment adjustment"]
    assert path.groupby("stage", sort=False).size().tolist() == [2, 2, 2, 2, 2]


def test_p003_areas_and_p004_swot_follow_the_section_headings(seeds_dir):
    text3 = (seeds_dir / "003_7b280bcd34d210ec.txt").read_text(encoding="utf-8")
    areas = papers.load_table("003_problem_areas", value_column="none")
    assert areas["section"].tolist() == ["2.1", "2.2", "2.3", "2.4"]
    for row in areas.itertuples():
        assert f"{row.section}. {row.area}".lower() in text3.lower()
    text4 = (seeds_dir / "004_bbabff5391ca6d75.txt").read_text(encoding="utf-8")
    swot = papers.load_table("004_swot", value_column="none")
    for row in swot.itertuples():
        assert f"\n{row.section}. " in text4
    quadrant_heading = {"S": "2.1. Analysis of internal factor advantages (S)",
                        "W": "2.2. Analysis of internal factors and disadvantages (W)",
                        "O": "2.3. Opportunity Analysis of External Factors(O)",
                        "T": "2.4. Risk analysis of external factors (T)"}
    for quadrant, heading in quadrant_heading.items():
        assert heading in text4
        assert all(s.startswith(heading[:3]) for s in swot.loc[swot["quadrant"] == quadrant, "section"])


def test_p004_swot_offline():
    swot = papers.load_table("004_swot", value_column="none")
    assert swot.groupby("quadrant").size().to_dict() == {"O": 2, "S": 3, "T": 2, "W": 2}
    assert set(zip(swot["quadrant"], swot["factor"], swot["effect"])) == {
        ("S", "internal", "helpful"), ("W", "internal", "harmful"),
        ("O", "external", "helpful"), ("T", "external", "harmful")}


def test_p003_problem_areas_name_registry_indicators_and_no_income_lag_in_2_2():
    from ruralrev.data import registry

    areas = papers.load_table("003_problem_areas", value_column="none").set_index("section")
    for codes in areas["indicator"]:
        for code in filter(None, codes.split("; ")):
            registry.get(code)                                 # raises on an unknown code
    assert "income" not in areas.loc["2.2", "claim"] and "income" not in areas.loc["2.2", "indicator"]
    assert "urban_rural_income_ratio" in areas.loc["2.4", "indicator"]


def test_belt_regions_fold_the_northeast_into_paper_001s_three_belts():
    provinces = ["Liaoning", "Jilin", "Heilongjiang", "Hubei", "Gansu", "Beijing"]
    regions = pd.Series(["Northeast", "Northeast", "Northeast", "Central", "West", "East"], dtype="category")
    belts = papers.belt_regions(provinces, regions)
    assert belts.to_dict() == {"Liaoning": "East", "Jilin": "Central", "Heilongjiang": "Central",
                               "Hubei": "Central", "Gansu": "West", "Beijing": "East"}
    assert "Northeast" not in set(belts)

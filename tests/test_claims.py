"""The claims ledgers: nothing dropped, every quote where the paper prints it, every check able to
fail where it says it can (and failing on a false input), and headline counts that add up."""

import re

import numpy as np
import pandas as pd
import pytest

from ruralrev.chapters.claims import checks as claim_checks
from ruralrev.chapters.claims import ledger as claims_ledger
from ruralrev.data import official, papers
from ruralrev.present.tables import myst_table

#: Every quantitative statement of paper 001 outside Table 1, compiled by reading the text
#: (section: values), plus one granularity claim per Table 1 block. The ledger must hold exactly these.
EXPECTED_001 = {
    "2": ["22", "1160", "50.96", "2.5", "63.05", "49.42", "45.84"],
    "2.1": ["15.17", "11"],
    "2.2": ["4.56", "4.63", "1.82", "1.8", "50", "48.1", "38.5", "29", "81.3", "26.6", "19.7", "27.3", "15.2"],
    "2.3": ["34"],
    "2.4": ["30", "39.5"],
    "2.5": ["51.93", "50", "33530", "1", "12", "18.44"],
    "Table 1": ["", "", "", "", ""],
    "3.1": ["2025", "2035", "2050"],
}
SEEDS = {"000": "000_37fc765ec4b6d06a", "001": "001_7fadbb374eb89ef6", "002": "002_598e79ca07244105",
         "003": "003_7b280bcd34d210ec", "004": "004_bbabff5391ca6d75"}
_FLAG_COLUMNS = ["series", "province", "year_from", "year_to", "value_from", "value_to", "change_pct",
                 "typical_change_pct", "national_change_pct", "rule"]
NO_FLAGS = pd.DataFrame(columns=_FLAG_COLUMNS)


@pytest.fixture(scope="module")
def panel():
    return official.load_panel()


@pytest.fixture(scope="module")
def checked(panel):
    return claims_ledger.run_checks(claims_ledger.load_ledger("001"), papers.load_table("001_table1"), panel)


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_ledger_holds_every_compiled_claim(checked):
    found = checked.groupby("section", sort=False)["value"].apply(list).to_dict()
    assert found == EXPECTED_001
    assert len(checked) == sum(len(v) for v in EXPECTED_001.values()) == 39


@pytest.mark.parametrize("paper", sorted(SEEDS))
def test_every_quote_is_printed_in_its_section(seeds_dir, paper):
    text = (seeds_dir / f"{SEEDS[paper]}.txt").read_text(encoding="utf-8")
    for row in claims_ledger.load_ledger(paper).itertuples():
        assert row.quote, row.claim_id
        assert _squash(row.quote) in _squash(papers.section_text(text, row.section)), row.claim_id
        if row.value:
            printed = row.value if row.value != "33530" else "33 530"
            words = {"7": "Seven"}                                    # 004 prints the 7 as a word
            assert words.get(printed, printed) in _squash(papers.section_text(text, row.section)), row.claim_id


def test_problem_area_quotes_are_in_their_sections(seeds_dir):
    text = (seeds_dir / f"{SEEDS['003']}.txt").read_text(encoding="utf-8")
    for row in papers.load_table("003_problem_areas", value_column="none").itertuples():
        assert _squash(row.quote) in _squash(papers.section_text(text, row.section)), row.section


def test_section_text_bounds(seeds_dir):
    text = (seeds_dir / f"{SEEDS['003']}.txt").read_text(encoding="utf-8")
    s22 = papers.section_text(text, "2.2")
    assert s22.startswith("2.2. Lack of Foundation") and "2.3." not in s22
    assert "incomes" not in s22                     # 2.2 says nothing about incomes lagging
    assert "2.4. Imbalance" in papers.section_text(text, "2")
    assert "Abstract:" in papers.section_text(text, "Abstract")
    with pytest.raises(ValueError, match="no heading numbered '9.9'"):
        papers.section_text(text, "9.9")


def test_categories_and_headline_of_paper_001(checked):
    category = checked.set_index("claim_id")["category"]
    assert category["001-03"] == "informative consistent"      # 50.96 lies between 45.84 and 63.05
    assert category["001-15"] == "informative consistent"      # text 48.1 = Table 1 48.1
    # Table 1's 38.5 and 29 are shares of respondents naming a problem; the text quotes them as
    # shares of devices and of doctors: the number is right, its meaning is not
    assert category["001-16"] == category["001-17"] == "misread"
    # 18.44 % is not k/1160, but fits 8 sizes of 1,100-1,160 (a few missing answers); a random
    # two-decimal value fails that range with probability 3 %: a check that fails only in principle
    assert category["001-31"] == "foregone"
    assert "1,139" in checked.set_index("claim_id").loc["001-31", "result"]
    assert category["001-35"] == "foregone"                    # employment block fits 1,156
    assert category["001-32"] == "informative inconsistent"    # education: all k/33, a smaller base
    result = checked.set_index("claim_id").loc["001-32", "result"]
    assert "1,122, 1,155 of 1,100 ≤ n ≤ 1,160, each a multiple of 33" in result   # 34 × 33 and 35 × 33
    assert "every share is a whole number of answers out of 33" in result
    assert category["001-36"] == "informative inconsistent"    # culture: no n in 1,100-1,160 fits
    assert category["001-18"] == "uninformative"               # 81.3 %: every one-decimal value fits n = 1160
    assert category["001-23"] == "uninformative"               # 34 %: every whole value fits
    assert category["001-33"] == "uninformative"               # medical block: 0 and 1 decimals only
    assert category["001-07"] == "different concept"           # a governance index is not income
    assert category["001-10"] == "not checkable"


@pytest.mark.snapshot
def test_headline_of_paper_001_and_the_official_income_it_quotes(checked):
    assert "Central 16,220" in checked.set_index("claim_id").loc["001-07", "result"]
    assert claims_ledger.headline(checked) == claims_ledger.Headline(39, 5, 2, 6, 0, 0, 0, 3, 19, foregone=2, misread=2)
    counts = claims_ledger.headline(checked)
    assert (counts.informative, counts.external, counts.internal_consistent, counts.internal_inconsistent) == (9, 0, 5, 2)


@pytest.mark.snapshot
def test_culture_block_fits_only_beyond_2000(checked):
    result = checked.set_index("claim_id").loc["001-36", "result"]
    assert "smallest n that fits is 2,665" in result
    searched_to_2000 = claims_ledger.run_checks(claims_ledger.load_ledger("001"), papers.load_table("001_table1"), max_n=2000,
                                         panel=official.load_panel())
    assert "none up to 2,000" in searched_to_2000.set_index("claim_id").loc["001-36", "result"]


def test_headline_classes_add_up_for_every_paper(panel):
    tables = {"001": papers.load_table("001_table1")}
    for paper in SEEDS:
        checked = claims_ledger.run_checks(claims_ledger.load_ledger(paper), tables.get(paper), panel)
        h = claims_ledger.headline(checked)
        assert (h.informative_consistent + h.informative_inconsistent + h.misread + h.foregone + h.uninformative
                + h.proxy + h.different_concept + h.not_checkable) == h.claims == len(checked)
        assert 0 <= h.external_consistent <= h.informative_consistent
        assert h.proxy_consistent + h.proxy_inconsistent == h.proxy
        # could_fail is missing exactly where no comparison is made
        assert (checked["could_fail"].isna() == checked["category"].isin(["not checkable", "different concept"])).all()


def test_bad_ledgers_are_refused(tmp_path):
    ledger = claims_ledger.load_ledger("001")
    bad = ledger.copy()
    bad.loc[0, "check"] = "vibes"
    bad.to_csv(tmp_path / "x_claims.csv", index=False)
    with pytest.raises(ValueError, match=r"x_claims.csv:2: claim 001-01 has unknown check 'vibes'"):
        claims_ledger.load_ledger("x", tmp_path)
    bad = ledger.copy()
    bad.loc[2, "evidence"] = "proxy"                            # a 'between' check is internal: direct
    bad.to_csv(tmp_path / "z_claims.csv", index=False)
    with pytest.raises(ValueError, match=r"z_claims.csv:4: claim 001-03: evidence 'proxy' does not fit check 'between'"):
        claims_ledger.load_ledger("z", tmp_path)
    pd.DataFrame({"a": [1]}).to_csv(tmp_path / "y_claims.csv", index=False)
    with pytest.raises(ValueError, match="columns"):
        claims_ledger.load_ledger("y", tmp_path)


#: Statements of the other papers, compiled by reading each text: the values (empty for a
#: qualitative claim the official data reach).
EXPECTED_OTHERS = {
    "000": [],                                            # no measurements in the text
    "002": ["66.5", "9.24", "29.4", "20", "", "", ""],       # the last: ageing (3.2), not checkable here
    "003": ["", "", "", "", "", "", "", ""],              # no numbers: three statements on the gap, four on progress (section 1), one on the outflow
    "004": ["6.112", "19.6", "21000", "53000", "7", "17", "56"],
}


@pytest.mark.parametrize("paper", sorted(EXPECTED_OTHERS))
def test_other_ledgers_hold_every_compiled_claim(paper):
    assert claims_ledger.load_ledger(paper)["value"].tolist() == EXPECTED_OTHERS[paper]


def test_paper_002_and_004_checks(panel):
    p002 = claims_ledger.run_checks(claims_ledger.load_ledger("002"), panel=panel).set_index("claim_id")
    assert p002.loc["002-04", "category"] == "informative consistent"
    assert p002.loc["002-04", "result"] == "29.4 − 9.24 = 20.16"
    assert p002.loc["002-01", "verdict"] == "different concept"
    assert "paper: 66.5 per cent" in p002.loc["002-01", "result"]
    assert p002.loc["002-05", "category"] == "foregone"
    assert p002.loc["002-06", "category"] == "proxy"
    assert p002.loc["002-07", "category"] == "not checkable"            # the ageing rural labour force (3.2)
    p004 = claims_ledger.run_checks(claims_ledger.load_ledger("004")).set_index("claim_id")
    assert "implies 5.110 in the year before" in p004.loc["004-02", "result"]
    assert p004.loc["004-02", "category"] == "not checkable"
    # 7 full-coverage provinces: a count of 18 or more would fit neither reading; the 17 cannot fail
    assert p004.loc["004-05", "category"] == "foregone"           # only a self-contradiction would fail it
    assert "18 to 31" in p004.loc["004-05", "could_fail_reason"]
    assert claim_checks.count_bound_failing("7;17;31", "7") == list(range(18, 32))
    assert claim_checks.count_bound_failing("7;17;31", "17") == []          # nested or disjoint, any count fits
    assert claim_checks.count_bound_failing("20;17;31", "17") == list(range(12, 20))  # 12–19: 20 > v and 20 + v > 31
    assert p004.loc["004-06", "category"] == "uninformative"


@pytest.mark.snapshot
def test_paper_002_and_003_results_quote_todays_official_data(panel):
    p002 = claims_ledger.run_checks(claims_ledger.load_ledger("002"), panel=panel).set_index("claim_id")
    assert "NBS 2023: 40.2" in p002.loc["002-01", "result"]
    assert "35.9 (2022) → 40.2 (2023), up" in p002.loc["002-05", "result"]
    assert "higher in 25 of 31 provinces" in p002.loc["002-06", "result"]
    p003 = claims_ledger.run_checks(claims_ledger.load_ledger("003"), panel=panel).set_index("claim_id")
    assert "ratio 2.54); higher in 31 of 31 provinces (ratio 1.86 to 3.27)" in p003.loc["003-01", "result"]


def test_paper_003_checks(panel):
    p003 = claims_ledger.run_checks(claims_ledger.load_ledger("003"), panel=panel).set_index("claim_id")
    assert p003.loc["003-01", "category"] == "foregone"
    assert p003.loc["003-02", "category"] == "not checkable"
    assert p003.loc["003-03", "category"] == "foregone"
    for claim in ["003-04", "003-05", "003-06", "003-08"]:      # section 1's progress and the outflow: all but certain
        assert p003.loc[claim, "verdict"] == "consistent" and p003.loc[claim, "category"] == "foregone"
    assert p003.loc["003-07", "category"] == "not checkable"      # rural tourism and e-commerce
    assert p003.loc["003-06", "result"].startswith("Rural income, weighted by rural population: 12,422 (2016) → 23,157 (2024), up")
    assert claims_ledger.headline(p003) == claims_ledger.Headline(8, 0, 0, 0, 0, 0, 0, 0, 2, foregone=6)


@pytest.mark.snapshot
def test_the_foregone_reasons_hold_in_the_data(panel):
    """The ledger's reasons why some checks could fail only in principle are facts of the panel."""
    rural = panel.groupby("year").apply(lambda f: 100 * f["rural_broadband_users"].sum() / f["rural_population"].sum())
    assert (rural.diff().dropna() > 0).all() and list(rural.index) == list(range(2016, 2025))
    ratio = official.with_official_urban_rural_ratio(panel).dropna(subset=["urban_rural_income_ratio"])
    assert ratio["urban_rural_income_ratio"].min() > 1.5 and set(ratio["year"]) == {2016, 2017, 2018, 2020}
    assert ratio.loc[ratio["year"] == 2020, "urban_rural_income_ratio"].min() == pytest.approx(1.86, abs=0.005)
    consumption = panel[panel["year"] == 2023]
    assert (consumption["all_consumption"] / consumption["rural_consumption"]).min() == pytest.approx(1.25, abs=0.005)


def test_a_granularity_range_lists_the_sizes_that_fit_and_its_power():
    from ruralrev.chapters.claims import checks as claim_checks
    from ruralrev.stats import granularity

    sizes = granularity.parse_sizes("1100-1160")
    assert granularity.consistent_sizes(["18.44"], sizes) == [1101, 1106, 1112, 1117, 1128, 1139, 1144, 1155]
    # independent count of the two-decimal values no size in the range reaches (exact fractions)
    from fractions import Fraction
    reach = set()
    for n in sizes:
        for c in range(n + 1):
            centre = Fraction(100 * c, n) * 100                       # in hundredths of a per cent
            reach.update(range(int(-(-(centre - Fraction(1, 2)) // 1)), int((centre + Fraction(1, 2)) // 1) + 1))
    missing = sum(1 for k in range(10001) if k not in reach)
    assert granularity.power(["18.44"], sizes) == pytest.approx(missing / 10001)
    assert claim_checks.FOREGONE_POWER > granularity.power(["18.44"], sizes) > 0.02
    with pytest.raises(ValueError, match="low-high"):
        granularity.parse_sizes("1160-1100")


def test_nbs_rural_broadband_figure_by_hand(panel):
    """Independent computation: 100 × Σ subscribers / Σ rural residents over the provinces (the
    panel stores the per-province ratio to two decimals, so the two agree within 0.005)."""
    year = panel[panel["year"] == 2023]
    by_hand = 100 * year["rural_broadband_users"].sum() / year["rural_population"].sum()
    figure = claim_checks.nbs_rural_broadband_per_100(panel, 2023)
    assert figure.value == pytest.approx(by_hand, abs=0.005)
    rest = year[~year["province"].isin(figure.flagged)]
    assert figure.value_unflagged == pytest.approx(100 * rest["rural_broadband_users"].sum()
                                                   / rest["rural_population"].sum(), abs=0.005)


@pytest.mark.snapshot
def test_nbs_rural_broadband_figure_of_2023(panel):
    figure = claim_checks.nbs_rural_broadband_per_100(panel, 2023)
    assert round(figure.value, 1) == 40.2
    assert figure.flagged == ("Inner Mongolia", "Shanghai") and figure.provinces == 31


# ---- every check kind fails on a constructed false input, and says it could ----------------------

def _row(**fields):
    base = {c: "" for c in claims_ledger._COLUMNS}
    base.update(claim_id="t-1", unit="per cent", evidence="direct")
    base.update(fields)
    return pd.DataFrame([base])[claims_ledger._COLUMNS]


def _toy_panel(**columns):
    """Two provinces in two regions, two years; columns given as {name: [values by row]}."""
    frame = pd.DataFrame({"province": ["Anhui", "Hebei", "Anhui", "Hebei"], "region": ["Central", "East"] * 2,
                          "year": [2022, 2022, 2023, 2023]})
    for name, values in columns.items():
        frame[name] = np.asarray(values, dtype=float)
    return frame


TABLE = papers.load_table("001_table1")
FALSE_INPUTS = {
    "table": (_row(value="48.0", check="table", reference="Medical expenses are too high"), {}),
    "misread": (_row(value="38.6", check="misread", reference="Medical equipment and other facilities"), {}),
    "between": (_row(value="70", check="between", reference="45.84;63.05"), {}),
    "granularity": (_row(value="60.62", check="granularity", reference="33"), {}),
    "granularity_block": (_row(check="granularity_block", reference="Governance of rural public education service|34"), {}),
    "difference": (_row(value="25", unit="trillion yuan", check="difference", reference="29.4;9.24;0.05"), {}),
    "count_bound": (_row(value="20", unit="provinces", check="count_bound", reference="20;15;31"), {}),
    "official_order": (_row(year="2023", check="official_order", reference="East>Central", evidence="proxy"),
                       {"rural_income": [20, 10, 20, 10], "rural_population": [1, 1, 1, 1]}),
    "official_change": (_row(year="2023", check="official_change", evidence="proxy",
                             reference="rural_income@rural_population|2022|2023|up"),
                        {"rural_income": [20, 20, 19, 19], "rural_population": [1, 1, 1, 1]}),
    "official_gap": (_row(year="2023", check="official_gap",
                          reference="urban_income@urban_population>rural_income@rural_population|2023"),
                     {"urban_income": [9, 9, 9, 9], "rural_income": [10, 10, 10, 10],
                      "urban_population": [1, 1, 1, 1], "rural_population": [1, 1, 1, 1]}),
}


def test_every_comparing_kind_has_a_false_input():
    assert set(FALSE_INPUTS) == set(claim_checks.INTERNAL + claim_checks.OFFICIAL)


@pytest.mark.parametrize("kind", sorted(FALSE_INPUTS))
def test_a_check_that_can_fail_fails_on_a_false_input(kind):
    ledger, columns = FALSE_INPUTS[kind]
    panel = _toy_panel(**columns) if columns else None
    out = claims_ledger.run_checks(ledger, TABLE, panel, flags=NO_FLAGS).iloc[0]
    assert out["verdict"] == "inconsistent", out["result"]
    assert bool(out["could_fail"]) is True, out["could_fail_reason"]


def test_a_misread_number_is_counted_apart_from_consistent_and_inconsistent():
    """A misread check finds the table's number (it could have found another) but not its meaning."""
    right = claims_ledger.run_checks(_row(value="38.5", check="misread",
                                          reference="Medical equipment and other facilities"), TABLE).iloc[0]
    assert (right["verdict"], right["category"], bool(right["could_fail"])) == ("misread", "misread", True)
    assert right["result"].startswith("table prints 38.5")
    as_table = claims_ledger.run_checks(_row(value="38.5", check="table",
                                             reference="Medical equipment and other facilities"), TABLE).iloc[0]
    assert as_table["category"] == "informative consistent"          # the same number under the plain check
    counts = claims_ledger.headline(pd.DataFrame([right, as_table]))
    assert (counts.misread, counts.informative_consistent, counts.informative) == (1, 1, 2)
    assert claims_ledger.ledger_table(pd.DataFrame([right]))["Counted as"].tolist() == ["misread"]
    with pytest.raises(ValueError, match="needs the paper's table"):
        claims_ledger.run_checks(_row(value="38.5", check="misread", reference="Medical"))


@pytest.mark.parametrize("kind,reference", [("none", ""), ("implied_prior", "6.112"),
                                            ("different_concept", "nbs_rural_broadband_per_100|2023"),
                                            ("different_order", "East>Central")])
def test_kinds_without_a_comparison_never_claim_power(kind, reference, panel):
    out = claims_ledger.run_checks(_row(value="19.6", year="2023", check=kind, reference=reference, evidence="",
                                 settle="x"), panel=panel).iloc[0]
    assert out["verdict"] in ("not checkable here", "different concept") and pd.isna(out["could_fail"])


@pytest.mark.parametrize("incomes", [[20, 10, 20, 10], [10, 20, 10, 20]])
def test_a_different_order_shows_the_official_order_either_way_and_never_a_verdict(incomes):
    """Set beside an ordering of another quantity, official income that agrees and official income
    that disagrees both give "different concept": the comparison could not fail, and says so."""
    ledger = _row(year="2023", check="different_order", reference="East>Central", evidence="proxy")
    panel = _toy_panel(rural_income=incomes, rural_population=[1, 1, 1, 1])
    out = claims_ledger.run_checks(ledger, TABLE, panel, flags=NO_FLAGS).iloc[0]
    assert out["verdict"] == "different concept" and pd.isna(out["could_fail"])
    east, central = incomes[1], incomes[0]     # Hebei is East, Anhui Central
    assert out["result"] == (f"official rural income 2023, NBS four regions: East {east} vs Central {central} yuan; "
                             f"three belts (Northeast split): {east} vs {central}")


# ---- the could-fail rules on both sides of their thresholds ---------------------------------------

@pytest.mark.parametrize("value,n,power,category", [
    ("81.3", 999, True, "foregone"),            # one decimal: threshold 1,000; at 999 one value in 1,001 fails
    ("81.3", 1000, False, "uninformative"), ("81.3", 1160, False, "uninformative"),
    ("34", 99, True, "foregone"), ("34", 100, False, "uninformative"), ("34", 80, False, "uninformative"),
    ("34", 30, True, "informative inconsistent"),  # whole: 30 reaches 31 of 101 values, not 34
    ("18.44", 1160, True, "informative inconsistent"), ("18.44", 10_000, False, "uninformative")])
def test_granularity_could_fail_around_its_threshold(value, n, power, category):
    out = claims_ledger.run_checks(_row(value=value, check="granularity", reference=str(n))).iloc[0]
    assert bool(out["could_fail"]) is power
    assert out["category"] == category


@pytest.mark.parametrize("reference,power", [("45.84;63.05", True), ("0;100", False), ("0;99.99", True)])
def test_between_could_fail_unless_the_range_is_everything(reference, power):
    out = claims_ledger.run_checks(_row(value="50.96", check="between", reference=reference)).iloc[0]
    assert bool(out["could_fail"]) is power


@pytest.mark.parametrize("value,reference,power", [
    ("7", "7;17;31", True),     # 7 full-coverage provinces: 18 to 31 would fit neither reading
    ("17", "7;17;31", False),   # 17 over 50 %: any count 0..31 fits one reading
    ("25", "20;25;31", True),   # with 20 inner, an outer count of 12 to 19 would fit neither
    ("7", "7;31;31", False)])   # an outer group of all 31: every inner count nests
def test_count_bound_could_fail_on_both_sides(value, reference, power):
    out = claims_ledger.run_checks(_row(value=value, unit="provinces", check="count_bound", reference=reference)).iloc[0]
    assert out["verdict"] == "consistent" and bool(out["could_fail"]) is power


def test_a_flagged_break_that_decides_the_direction_makes_it_not_checkable():
    panel = _toy_panel(rural_income=[10, 30, 12, 20], rural_population=[1, 1, 1, 1])   # 20 → 16 overall
    flags = pd.DataFrame([["rural_income", "Hebei", 2022, 2023, 30, 20, -33.3, 3, 5, "province-break"]],
                         columns=_FLAG_COLUMNS)                                         # Anhui alone: 10 → 12
    ledger = _row(year="2023", check="official_change", evidence="proxy",
                  reference="rural_income@rural_population|2022|2023|up")
    out = claims_ledger.run_checks(ledger, panel=panel, flags=flags).iloc[0]
    assert out["verdict"] == "not checkable here" and "flagged breaks decide" in out["result"]
    assert claims_ledger.run_checks(ledger, panel=panel, flags=NO_FLAGS).iloc[0]["verdict"] == "inconsistent"


def test_ledger_table_prints_missing_as_n_a(checked):
    shown = claims_ledger.ledger_table(checked)
    text = myst_table(shown, caption="x", label="tbl-x", source="y", interactive=True).data
    block = text[text.index("| 001-32"):].splitlines()[0]
    assert "| n/a |" in block
    assert not re.search(r"\|\s*[–—-]\s*\|", text) and not re.search(r"\b(nan|None|<NA>)\b", text)
    assert shown.loc[shown["Claim"] == "001-18", "Could the check fail?"].item().startswith(
        "no: every one-decimal percentage fits some 1,100 ≤ n ≤ 1,160")
    assert shown.loc[shown["Claim"] == "001-31", "Could the check fail?"].item().startswith("in principle only: ")

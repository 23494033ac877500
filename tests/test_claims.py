"""The claims ledger of paper 001: nothing dropped, every check gives the verdict it should."""

import pandas as pd
import pytest

from ruralrev import claims, data, papers

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


@pytest.fixture(scope="module")
def checked():
    return claims.run_checks(claims.load_ledger("001"), papers.load_table("001_table1"), data.load_panel())


def test_ledger_holds_every_compiled_claim(checked):
    found = checked.groupby("section", sort=False)["value"].apply(list).to_dict()
    assert found == EXPECTED_001
    assert len(checked) == sum(len(v) for v in EXPECTED_001.values()) == 39


def test_statements_appear_in_the_paper(seeds_dir):
    text = (seeds_dir / "001_7fadbb374eb89ef6.txt").read_text(encoding="utf-8")
    ledger = claims.load_ledger("001")
    for row in ledger.itertuples():
        if row.value and row.section != "Table 1":
            printed = row.value if row.value != "33530" else "33 530"
            assert printed in text, row.claim_id


def test_verdicts(checked):
    verdict = checked.set_index("claim_id")["verdict"]
    assert verdict["001-03"] == "consistent"                 # 50.96 lies between 45.84 and 63.05
    assert verdict["001-15"] == "consistent"                 # text 48.1 = Table 1 48.1
    assert verdict["001-31"] == "inconsistent"               # 18.44 % is not k/1160 for any k
    assert verdict["001-32"] == "inconsistent"               # the education block fits n = 33
    assert verdict["001-07"] == "inconsistent (proxy)"       # official rural income: Central > West
    assert verdict["001-10"] == "not checkable here"
    assert claims.summary(checked) == "39 claims: 15 consistent, 5 inconsistent, 19 not checkable here"


def test_bad_ledgers_are_refused(tmp_path):
    ledger = claims.load_ledger("001")
    ledger.loc[0, "check"] = "vibes"
    ledger.to_csv(tmp_path / "x_claims.csv", index=False)
    with pytest.raises(ValueError, match=r"x_claims.csv:2: claim 001-01 has unknown check 'vibes'"):
        claims.load_ledger("x", tmp_path)
    pd.DataFrame({"a": [1]}).to_csv(tmp_path / "y_claims.csv", index=False)
    with pytest.raises(ValueError, match="columns"):
        claims.load_ledger("y", tmp_path)


#: Quantitative statements of the other papers, compiled by reading each text.
EXPECTED_OTHERS = {
    "000": [],                                            # no measurements in the text
    "002": ["66.5", "9.24", "29.4", "20"],
    "003": [],                                            # no numbers at all
    "004": ["6.112", "19.6", "21000", "53000", "7", "17", "56"],
}


@pytest.mark.parametrize("paper", sorted(EXPECTED_OTHERS))
def test_other_ledgers_hold_every_compiled_claim(paper):
    ledger = claims.load_ledger(paper)
    assert ledger["value"].tolist() == EXPECTED_OTHERS[paper]


def test_other_papers_checks():
    p002 = claims.run_checks(claims.load_ledger("002")).set_index("claim_id")
    assert p002.loc["002-04", "verdict"] == "consistent" and p002.loc["002-04", "result"] == "29.4 − 9.24 = 20.16"
    p004 = claims.run_checks(claims.load_ledger("004")).set_index("claim_id")
    assert "implies 5.110 in the year before" in p004.loc["004-02", "result"]
    assert p004.loc["004-02", "verdict"] == "not checkable here"
    assert p004.loc["004-05", "verdict"] == "consistent"
    assert claims.summary(claims.run_checks(claims.load_ledger("003"))) == "0 claims: the text states no quantitative claim"


def test_numbers_in_ledgers_appear_in_their_papers(seeds_dir):
    for paper, stem in [("002", "002_598e79ca07244105"), ("004", "004_bbabff5391ca6d75")]:
        text = (seeds_dir / f"{stem}.txt").read_text(encoding="utf-8")
        for value in claims.load_ledger(paper)["value"]:
            assert value in text, (paper, value)

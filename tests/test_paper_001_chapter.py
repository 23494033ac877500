"""Paper 001's page says what its ledger and table hold: every sentence written for the defaults
holds, the ledger's pass / misread / fail counts are the claims package's, and the table's items
split into problems and other answers as a count by hand of the transcription gives."""

import csv

import pytest

from notebook_helpers import run_chapter_with
from ruralrev.chapters import claims
from ruralrev.core import paths
from ruralrev.data import official, papers

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    return run_chapter_with(tmp_path_factory.mktemp("p001"), "paper_001", [])


def test_every_sentence_written_for_the_defaults_holds(default_run):
    guards = {key: value for key, value in default_run.items() if key.startswith("guard_")}
    assert {"guard_not_one_sample", "guard_has_misread", "guard_some_fail", "guard_pension_differs"} <= set(guards)
    assert {key for key, value in guards.items() if value != "True"} == set()


def test_the_ledger_counts_are_the_packages(default_run):
    checked = claims.run_checks(claims.load_ledger("001"), papers.load_table("001_table1"), official.load_panel())
    category = checked["category"].value_counts()
    assert default_run["h_informative_consistent"] == str(category["informative consistent"])
    assert default_run["h_misread"] == str(category["misread"])
    assert default_run["h_informative_inconsistent"] == str(category["informative inconsistent"])
    assert default_run["misread"] == ", ".join(checked.loc[checked["check"] == "misread", "claim_id"])


def test_problems_and_other_answers_counted_by_hand(default_run):
    with open(paths.PAPERS_DATA / "001_table1.csv", encoding="utf-8") as handle:
        items = [row["item"] for row in csv.DictReader(handle)]
    others = [item for item in items if item in ("No problem", "Do not know", "Others")]
    assert default_run["n_items"] == str(len(items)) and default_run["n_problems"] == str(len(items) - len(others))
    assert (len(items), len(others)) == (31, 4)                  # as printed: 27 problems and 4 other answers


def test_the_pension_figures_are_labelled_apart(default_run):
    """The text's share of villagers without old-age insurance (section 2.3) and Table 1's share
    of respondents naming "No pension" are different questions, both glued as printed."""
    assert (default_run["pension_text"], default_run["pension_table"]) == ("34", "16")
    assert default_run["n_targets"] == "3"                       # 2025, 2035, 2050


def test_the_ledger_reads_five_pass_two_misread_two_fail(default_run):
    assert (default_run["h_informative_consistent"], default_run["h_misread"],
            default_run["h_informative_inconsistent"], default_run["h_informative"]) == ("5", "2", "2", "9")

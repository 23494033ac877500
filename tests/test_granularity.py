"""The granularity check on constructed cases with a known answer, then on paper 001."""

import pytest

from ruralrev import granularity as g
from ruralrev import papers


def _percent(count: int, n: int, places: int) -> str:
    return f"{100 * count / n:.{places}f}"


@pytest.mark.parametrize("n", [7, 33, 59, 120, 1160])
def test_every_true_percentage_of_a_known_n_is_attainable(n):
    for places in (0, 1, 2):
        block = [_percent(c, n, places) for c in range(n + 1)]
        assert all(g.attainable(t, n) for t in block)
        assert n in g.consistent_sizes(block, range(1, n + 1))


def test_a_block_from_n_33_points_to_33():
    block = [_percent(c, 33, 2) for c in (20, 15, 12, 11, 9, 4)]   # 60.61, 45.45, 36.36, ...
    check = g.check_block(block, stated_n=1160)
    assert check.smallest_n == 33 and check.sizes[:3] == (33, 66, 99)
    assert check.stated_consistent is False
    assert check.verdict == "inconsistent with the stated n = 1160; smallest n that fits is 33"


def test_values_no_sample_size_can_produce_are_flagged():
    assert not g.attainable("100.5", 10) and not g.attainable("-1", 10)
    # With 10 respondents only multiples of 10 % exist.
    assert not g.attainable("15", 10) and g.attainable("20", 10)
    check = g.check_block(["33.3", "50.0", "12.5", "20.0"], max_n=23)   # thirds, halves, eighths, fifths
    assert check.smallest_n is None and check.verdict.startswith("inconsistent: no sample size")


def test_precision_follows_the_printed_text():
    assert g.decimals("29") == 0 and g.decimals("15.31") == 2
    assert g.attainable("29", 7)            # 2/7 = 28.57 rounds to 29
    assert not g.attainable("29.0", 7)      # but not to 29.0
    with pytest.raises(ValueError):
        g.attainable("10", 0)


def test_paper_001_table_1_blocks():
    table = papers.load_table("001_table1")
    blocks = {area: list(part["percent"]) for area, part in table.groupby("area", sort=False)}
    education = g.check_block(blocks["Governance of rural public education service"], 1160)
    assert education.smallest_n == 33 and not education.stated_consistent
    medical = g.check_block(blocks["Governance of rural public medical service"], 1160)
    assert medical.stated_consistent
    culture = g.check_block(blocks["Governance of rural public cultural service"], 1160)
    assert culture.smallest_n is None


def test_block_table_of_paper_001():
    blocks = g.block_table(papers.load_table("001_table1"), stated_n=1160)
    assert blocks["smallest_n"].tolist()[:2] == [33, 416]
    assert blocks["stated_n_fits"].tolist() == [False, True, True, False, False]
    assert blocks.loc[3, "decimals"] == "0/1/2"        # the employment block mixes precisions ("30", "44.7", "15.31")
    assert blocks["values"].sum() == 31

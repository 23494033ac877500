"""The granularity check on constructed cases with a known answer, then on paper 001."""

import pytest

from ruralrev.data import papers
from ruralrev.stats import granularity as g


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
    assert not check.consistent


def test_values_no_sample_size_can_produce_are_flagged():
    assert not g.attainable("100.5", 10) and not g.attainable("-1", 10)
    # With 10 respondents only multiples of 10 % exist.
    assert not g.attainable("15", 10) and g.attainable("20", 10)
    check = g.check_block(["33.3", "50.0", "12.5", "20.0"], max_n=23)   # thirds, halves, eighths, fifths
    assert check.smallest_n is None and check.sizes == () and not check.consistent
    assert g.check_block(["33.3", "50.0"], max_n=23).consistent          # n = 6 gives both


def test_precision_follows_the_printed_text():
    assert g.decimals("29") == 0 and g.decimals("15.31") == 2
    assert g.attainable("29", 7)            # 2/7 = 28.57 rounds to 29
    assert not g.attainable("29.0", 7)      # but not to 29.0
    with pytest.raises(ValueError):
        g.attainable("10", 0)


def _paper_001_blocks():
    table = papers.load_table("001_table1")
    return {area: list(part["percent"]) for area, part in table.groupby("area", sort=False)}


def test_paper_001_table_1_blocks():
    """Known answers: the education block prints multiples of 1/33 (60.61, 45.45, 36.36, ...), and a
    block of whole and one-decimal percentages fits n = 1,160 (every such value is reachable from
    n = 1,000 on)."""
    blocks = _paper_001_blocks()
    education = g.check_block(blocks["Governance of rural public education service"], 1160)
    assert education.smallest_n == 33 and not education.stated_consistent
    medical = g.check_block(blocks["Governance of rural public medical service"], 1160)
    assert medical.stated_consistent


@pytest.mark.snapshot
def test_the_culture_block_of_paper_001_fits_only_beyond_2000():
    blocks = _paper_001_blocks()
    culture = g.check_block(blocks["Governance of rural public cultural service"], 1160)
    assert culture.smallest_n == 2665 and culture.sizes[:3] == (2665, 2998, 3468)   # none up to 2,000
    assert g.check_block(blocks["Governance of rural public cultural service"], 1160, max_n=2000).smallest_n is None


def test_block_table_of_paper_001():
    """What the printed values say by themselves: their precisions, their number, which blocks can fail."""
    blocks = g.block_table(papers.load_table("001_table1"), stated_n=1160)
    assert str(blocks["smallest_n"].dtype) == "Int64"                    # sizes are integers, never 33.00
    assert blocks["could_fail"].tolist() == [True, False, False, True, True]       # 0/1-decimal blocks cannot fail
    assert blocks.loc[3, "decimals"] == "0/1/2"        # the employment block mixes precisions ("30", "44.7", "15.31")
    assert blocks["values"].sum() == 31


@pytest.mark.snapshot
def test_block_table_of_paper_001_sizes():
    blocks = g.block_table(papers.load_table("001_table1"), stated_n=1160)
    assert blocks["smallest_n"].tolist() == [33, 416, 356, 653, 2665]
    assert blocks["beyond_small"].tolist() == [False, False, False, False, True]   # culture: only above 2,000
    assert blocks["stated_n_fits"].tolist() == [False, True, True, False, False]
    narrow = g.block_table(papers.load_table("001_table1"), stated_n=1160, max_n=2000)
    assert narrow["smallest_n"].isna().tolist() == [False, False, False, False, True]


# ---- an independent brute-force enumeration -------------------------------------------------------

def _printable(count: int, n: int, places: int) -> set[int]:
    """The printed values (in units of 10^-places) that count/n can print as, rounding half either
    way, in exact integer arithmetic: |100·count/n − k·10^-d| ≤ ½·10^-d ⇔ |2·100·10^d·count − 2kn| ≤ n."""
    scale = 10 ** places
    centre = 2 * 100 * scale * count
    return {k for k in range(0, 100 * scale + 1) if abs(centre - 2 * k * n) <= n}


def _brute_covers_all(places: int, n: int) -> bool:
    seen = set()
    for count in range(n + 1):
        seen |= _printable(count, n, places)
    return len(seen) == 100 * 10 ** places + 1


@pytest.mark.parametrize("n", [1, 3, 7, 33, 80, 96, 99, 100, 101, 150])
def test_attainable_agrees_with_brute_force(n):
    brute = set()
    for count in range(n + 1):
        brute |= _printable(count, n, 0)
    assert {k for k in range(101) if g.attainable(str(k), n)} == brute
    brute1 = set()
    for count in range(n + 1):
        brute1 |= _printable(count, n, 1)
    assert {k for k in range(1001) if g.attainable(f"{k / 10:.1f}", n)} == brute1


def test_covers_all_agrees_with_brute_force_for_whole_percentages():
    assert [n for n in range(1, 301) if g.covers_all(0, n)] == [n for n in range(1, 301) if _brute_covers_all(0, n)]


@pytest.mark.parametrize("n", [799, 800, 801, 959, 960, 992, 999, 1000, 1001, 1160])
def test_covers_all_agrees_with_brute_force_for_one_decimal(n):
    assert g.covers_all(1, n) == _brute_covers_all(1, n)


def test_full_coverage_threshold_is_computed_and_tight():
    assert [g.full_coverage_n(d) for d in (0, 1, 2)] == [100, 1000, 10_000]
    for d in (0, 1):
        n = g.full_coverage_n(d)
        assert not g.covers_all(d, n - 1)                                    # just below: some value fails
        assert all(g.covers_all(d, m) for m in range(n, n + 200))           # from there on: none
    assert g.covers_all(0, 80) and not g.covers_all(0, 81)                  # a few sizes below reach all


def test_could_fail_says_which_precision_decides_and_from_which_size_every_value_fits():
    one_decimal = g.could_fail(["81.3"], 1160)
    assert (one_decimal.could_fail, one_decimal.places, one_decimal.full_from) == (False, 1, 1000)
    mixed = g.could_fail(["44.7", "15.31"], 1160)
    assert (mixed.could_fail, mixed.places, mixed.full_from) == (True, 2, 10_000)
    assert g.could_fail(["81.3"], 999).could_fail and not g.could_fail(["34"], 80).could_fail
    ranged = g.could_fail_sizes(["18.44"], range(1100, 1161))
    assert ranged.could_fail and 0 < ranged.power < 0.05 and ranged.places == 2

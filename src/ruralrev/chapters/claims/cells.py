"""The claims ledger's cells in words: what a granularity check could detect, as the ledger prints it.

The checks (:mod:`ruralrev.chapters.claims.checks`) compute; a ledger row's cells say what they
compared and found, one sentence per row by design (a table cell, not the chapters' prose).
"""

from __future__ import annotations

from ruralrev.stats import granularity

__all__ = ["could_fail_cell", "coverage_cells"]


_PLACES = {0: "whole", 1: "one-decimal", 2: "two-decimal"}


def could_fail_cell(coverage: granularity.Coverage) -> str:
    """The ledger's "could the check fail?" cell for a granularity check (:class:`Coverage`)."""
    places = _PLACES.get(coverage.places, f"{coverage.places}-decimal")
    sizes = granularity.sizes_text(coverage.sizes)
    if len(coverage.sizes) == 1 and not coverage.power > 0:
        n = coverage.sizes[0]
        if coverage.could_fail:
            return (f"some {places} percentages are not attainable with n = {n:,} "
                    f"(every one is only from n = {coverage.full_from:,})")
        where = (f"n = {n:,} ≥ {coverage.full_from:,}, from which on" if n >= coverage.full_from
                 else f"n = {n:,} is one of the few sizes below {coverage.full_from:,} for which")
        return f"{where} every {places} percentage is attainable: no value could fail"
    if not coverage.could_fail:
        return f"every {places} percentage fits some {sizes}: no value could fail"
    what = "a value" if coverage.values == 1 else "a block of values"
    return (f"{what} drawn at random at the printed precision{'s' if coverage.values > 1 else ''} would fail "
            f"with probability {100 * coverage.power:.1f} % against {sizes}")


def coverage_cells(texts: list[str], sizes: range) -> tuple[bool, str, float]:
    """Whether a granularity check of ``texts`` against ``sizes`` could fail, its cell, and its power."""
    coverage = granularity.could_fail_sizes(texts, sizes)
    return coverage.could_fail, could_fail_cell(coverage), coverage.power

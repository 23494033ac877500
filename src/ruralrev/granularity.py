"""Granularity checks of reported percentages (a GRIM-style test).

A percentage of *n* respondents can only take the values 100·c/n for whole counts c. Printed at
*d* decimals, the value ``p`` is attainable with *n* respondents when some c in 0..n gives
``|100·c/n − p| ≤ 0.5·10^-d`` (half a unit of the last printed digit). Applied to a block of
percentages that share one denominator, the check lists every sample size that could produce
the whole block, and tells whether the sample size a paper states is among them.

References
----------
Brown, N. J. L. and Heathers, J. A. J. (2017). The GRIM test: a simple technique detects
numerous anomalies in the reporting of results in psychology. *Social Psychological and
Personality Science* 8(4), 363–369.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["decimals", "attainable", "consistent_sizes", "BlockCheck", "check_block", "block_table"]

_EPS = 1e-9


def decimals(text: str) -> int:
    """Digits after the decimal point as printed (``"29"`` → 0, ``"60.61"`` → 2)."""
    text = text.strip()
    return len(text.split(".", 1)[1]) if "." in text else 0


def attainable(text: str, n: int) -> bool:
    """Can ``n`` respondents produce the printed percentage ``text``?

    >>> attainable("60.61", 33), attainable("60.61", 34)
    (True, False)
    """
    if n < 1:
        raise ValueError(f"sample size must be positive, got {n}")
    value = float(text)
    if not 0 <= value <= 100:
        return False
    tolerance = 0.5 * 10 ** -decimals(text) + _EPS
    low = math.ceil((value - tolerance) * n / 100 - _EPS)
    high = math.floor((value + tolerance) * n / 100 + _EPS)
    return max(low, 0) <= min(high, n)


def consistent_sizes(texts: list[str], sizes=range(1, 2001)) -> list[int]:
    """Every sample size in ``sizes`` that makes all printed percentages attainable."""
    return [n for n in sizes if all(attainable(t, n) for t in texts)]


@dataclass(frozen=True)
class BlockCheck:
    """Granularity of one block of percentages."""

    values: tuple[str, ...]
    smallest_n: int | None
    sizes: tuple[int, ...]
    stated_n: int | None
    stated_consistent: bool | None

    @property
    def verdict(self) -> str:
        if self.smallest_n is None:
            return "inconsistent: no sample size in range produces every value"
        if self.stated_n is None:
            return f"consistent; the smallest n that fits is {self.smallest_n}"
        if self.stated_consistent:
            return f"consistent with the stated n = {self.stated_n}"
        return (f"inconsistent with the stated n = {self.stated_n}; smallest n that fits is "
                f"{self.smallest_n}")


def check_block(texts: list[str], stated_n: int | None = None, max_n: int = 2000) -> BlockCheck:
    """Which sample sizes up to ``max_n`` fit a block, and does the stated one?"""
    sizes = consistent_sizes(texts, range(1, max_n + 1))
    stated = None if stated_n is None else all(attainable(t, stated_n) for t in texts)
    return BlockCheck(values=tuple(texts), smallest_n=sizes[0] if sizes else None, sizes=tuple(sizes),
                      stated_n=stated_n, stated_consistent=stated)


def block_table(table, stated_n: int, block: str = "area", value: str = "percent", max_n: int = 2000):
    """One row per block of a transcribed table: how many values, printed decimals, the smallest
    sample size that fits every value, and whether the stated one does."""
    import pandas as pd

    rows = []
    for name, part in table.groupby(block, sort=False):
        check = check_block(list(part[value]), stated_n=stated_n, max_n=max_n)
        rows.append({"block": name, "values": len(part),
                     "decimals": "/".join(sorted({str(decimals(t)) for t in part[value]})),
                     "smallest_n": check.smallest_n, "stated_n_fits": bool(check.stated_consistent)})
    return pd.DataFrame(rows)

"""Granularity checks of reported percentages (a GRIM-style test), and when such a check has power.

A percentage of *n* respondents can only take the values 100·c/n for whole counts c, so a printed
percentage may be unattainable with the sample size a paper states. This module tests a value
(:func:`attainable`) and a block of values that share one denominator (:func:`check_block`,
:func:`block_table`), against one size or a range allowing item non-response (:func:`parse_sizes`);
and it says whether such a check could have failed at all (:func:`covers_all`,
:func:`full_coverage_n`, :func:`could_fail`), how likely a random block fails it (:func:`power`),
and whether a block rests on a smaller base than stated (:func:`smaller_base`).

References
----------
Brown, N. J. L. and Heathers, J. A. J. (2017). The GRIM test: a simple technique detects
numerous anomalies in the reporting of results in psychology. *Social Psychological and
Personality Science* 8(4), 363–369.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_MAX_N", "decimals", "attainable", "consistent_sizes", "covers_all", "full_coverage_n",
           "Coverage", "could_fail", "parse_sizes", "sizes_text", "list_sizes", "power", "could_fail_sizes", "smaller_base", "BlockCheck",
           "check_block", "block_table"]

#: Largest sample size searched by default.
DEFAULT_MAX_N = 5000

_EPS = 1e-9


def decimals(text: str) -> int:
    """Digits after the decimal point as printed (``"29"`` → 0, ``"60.61"`` → 2)."""
    text = text.strip()
    return len(text.split(".", 1)[1]) if "." in text else 0


def attainable(text: str, n: int) -> bool:
    """Can ``n`` respondents produce the printed percentage ``text``?

    Printed at *d* decimals, the value ``p`` is attainable with *n* respondents when some c in 0..n
    gives

    .. math::

        \\left| \\frac{100\\,c}{n} - p \\right| \\le \\tfrac12 \\, 10^{-d}

    (half a unit of the last printed digit; a value exactly half-way rounds either way).

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


def consistent_sizes(texts: list[str], sizes=range(1, DEFAULT_MAX_N + 1)) -> list[int]:
    """Every sample size in ``sizes`` that makes all printed percentages attainable."""
    return [n for n in sizes if all(attainable(t, n) for t in texts)]


def covers_all(places: int, n: int) -> bool:
    """Is every percentage from 0 to 100 printed at ``places`` decimals attainable with ``n``?

    Marks, for each count c = 0..n, the printed values within half a unit of 100·c/n, and asks
    whether all :math:`100 \\cdot 10^{d} + 1` printed values are marked.

    When it is, the check cannot fail. The attainable values 100·c/n are 100/n apart, and each
    printed value stands for an interval of width :math:`10^{-d}`. Once :math:`100/n \\le 10^{-d}`
    every interval holds an attainable value, so *every* percentage printed at *d* decimals is
    attainable and the check says nothing: for :math:`n \\ge 100 \\cdot 10^{d}` (1,000 for one
    decimal). A few smaller sizes also reach every value (n = 80 for whole percentages, because a
    value half-way rounds either way); this function decides exactly, and :func:`full_coverage_n`
    finds the size from which on every n does.

    >>> covers_all(1, 999), covers_all(1, 1000), covers_all(0, 80)
    (False, True, True)
    """
    if n < 1 or places < 0:
        raise ValueError(f"need n >= 1 and places >= 0, got n={n}, places={places}")
    return bool(_grid(places, n).all())


def _grid(places: int, n: int) -> np.ndarray:
    """Which of the printed values 0, 10^-d, …, 100 are attainable with ``n`` (boolean array)."""
    step = 10.0 ** -places
    grid = round(100 / step)
    points = 100 * np.arange(n + 1) / n
    low = np.clip(np.ceil((points - step / 2) / step - _EPS).astype(int), 0, grid + 1)
    high = np.clip(np.floor((points + step / 2) / step + _EPS).astype(int), -1, grid)
    marks = np.zeros(grid + 2, dtype=int)
    np.add.at(marks, low, 1)
    np.add.at(marks, high + 1, -1)
    return np.cumsum(marks)[: grid + 1] > 0


def full_coverage_n(places: int) -> int:
    """The sample size from which on every percentage printed at ``places`` decimals is attainable.

    Starts from the size :math:`\\lceil 100 \\cdot 10^{d} \\rceil` at which the steps 100/n are no
    wider than a printed unit (sufficient, see :func:`covers_all`) and walks down while the next
    smaller size still reaches every value.

    >>> full_coverage_n(0), full_coverage_n(1), full_coverage_n(2)
    (100, 1000, 10000)
    """
    n = math.ceil(100 * 10 ** places)
    while n > 1 and covers_all(places, n - 1):
        n -= 1
    return n


@dataclass(frozen=True)
class Coverage:
    """Could a granularity check of values printed like a block's against ``sizes`` have failed?

    ``could_fail``: some value printed at the block's precisions fits no size; ``places``: the
    decimals that decide it (the finest that can fail, else the finest printed); ``full_from``:
    from this size on every percentage at ``places`` decimals is attainable
    (:func:`full_coverage_n`); ``power``: the chance that a block drawn at random on the printed
    grids fits no size (:func:`power`; 0 when it cannot fail); ``values``: how many.
    """

    could_fail: bool
    places: int
    full_from: int
    sizes: range
    power: float
    values: int


def could_fail(texts: list[str], n: int) -> Coverage:
    """Could a granularity check of values printed like ``texts`` against ``n`` have failed?

    It could when some percentage printed at one of the texts' precisions is not attainable with
    ``n`` (:func:`covers_all`); otherwise every value passes and the check is uninformative.
    """
    places = sorted({decimals(t) for t in texts})
    failing = [d for d in places if not covers_all(d, n)]
    d = failing[-1] if failing else places[-1]
    return Coverage(could_fail=bool(failing), places=d, full_from=full_coverage_n(d), sizes=range(n, n + 1),
                    power=float("nan"), values=len(texts))


def parse_sizes(text: str) -> range:
    """``"1160"`` → sizes 1,160 only; ``"1100-1160"`` → 1,100 to 1,160 (item non-response allowed)."""
    low, _, high = str(text).strip().partition("-")
    if not low.isdigit() or (high and not high.isdigit()) or int(low) < 1 or int(high or low) < int(low):
        raise ValueError(f"sample sizes must be 'n' or 'low-high' with 1 <= low <= high, got {text!r}")
    return range(int(low), int(high or low) + 1)


def sizes_text(sizes: range) -> str:
    """``n = 1,160`` or ``1,100 ≤ n ≤ 1,160``."""
    return f"n = {sizes[0]:,}" if len(sizes) == 1 else f"{sizes[0]:,} ≤ n ≤ {sizes[-1]:,}"


def list_sizes(fitting: list[int], sizes: range) -> str:
    """The fitting sizes as text: ``none``, ``all 61``, or the list (the first six and a count)."""
    if not fitting:
        return "none"
    if len(fitting) == len(sizes):
        return f"all {len(sizes)}"
    shown = ", ".join(f"{n:,}" for n in fitting[:6])
    return shown if len(fitting) <= 6 else f"{shown} … ({len(fitting)} sizes)"


def power(texts: list[str], sizes: range, draws: int = 4000, seed: int = 20261123) -> float:
    """Chance that values drawn uniformly on the texts' printed grids fit no size in ``sizes``.

    Exact for one value (the share of its grid no size reaches); for a block, a Monte Carlo
    estimate from ``draws`` blocks with a fixed seed.

    A survey's stated size is the number of questionnaires returned; an item answered by fewer
    has a smaller base (item non-response). So a block is tested against a *range* of sizes
    :math:`[n_0, n_1]` (:func:`parse_sizes`, e.g. ``"1100-1160"``: up to about 5 % missing
    answers), and the test lists the sizes in it that fit. Its power is the chance computed here:
    a single two-decimal share fits some n in 1,100–1,160 unless it is one of about 3 % of values,
    so its passing is weak evidence.
    """
    places = [decimals(t) for t in texts]
    reach = {d: np.array([_grid(d, n) for n in sizes]) for d in set(places)}   # sizes × grid
    if len(texts) == 1:
        return float(1 - reach[places[0]].any(axis=0).mean())
    rng = np.random.default_rng(seed)
    fits = np.ones((draws, len(sizes)), dtype=bool)
    for d in places:
        fits &= reach[d][:, rng.integers(0, reach[d].shape[1], draws)].T
    return float(1 - fits.any(axis=1).mean())


def could_fail_sizes(texts: list[str], sizes: range) -> Coverage:
    """Could a check of values printed like ``texts`` against ``sizes`` fail, and how likely is it?

    :func:`could_fail` for one size with no power; otherwise the block can fail when a block drawn
    at random would fail with positive probability (:attr:`Coverage.power`).
    """
    chance = power(texts, sizes)
    if chance == 0 and len(sizes) == 1:
        single = could_fail(texts, sizes[0])
        return Coverage(single.could_fail, single.places, single.full_from, sizes, 0.0, len(texts))
    d = max(decimals(t) for t in texts)
    return Coverage(chance > 0, d, full_coverage_n(d), sizes, chance, len(texts))


def smaller_base(texts: list[str], fitting: list[int], smallest: int | None) -> float | None:
    """If every size in ``fitting`` is a multiple of ``smallest`` (at most half the smallest of
    them), the chance that shares of those sizes would all also be shares of ``smallest`` (the
    largest over ``fitting``); ``None`` when the pattern is absent.

    When every size that fits the block is a multiple of the smallest one, :math:`m \\ll n_0`,
    the values are whole counts of :math:`m` answers. Were they shares of some :math:`n` in the
    range, each value, uniform over the :math:`A_d(n)` shares attainable with :math:`n` at its
    precision :math:`d`, would also be attainable with :math:`m` with probability
    :math:`|A_d(n) \\cap A_d(m)| / |A_d(n)|`; this returns the product over the block, the largest
    over the fitting :math:`n`.
    """
    if smallest is None or not fitting or 2 * smallest > min(fitting) or any(n % smallest for n in fitting):
        return None
    places = [decimals(t) for t in texts]
    chances = []
    for n in fitting:
        chance = 1.0
        for d in places:
            at_n = _grid(d, n)
            chance *= float((at_n & _grid(d, smallest)).sum() / at_n.sum())
        chances.append(chance)
    return max(chances)


@dataclass(frozen=True)
class BlockCheck:
    """Granularity of one block of percentages, sizes searched from 1 to ``max_n``."""

    values: tuple[str, ...]
    smallest_n: int | None
    sizes: tuple[int, ...]
    stated_n: int | None
    stated_consistent: bool | None
    max_n: int = DEFAULT_MAX_N

    @property
    def consistent(self) -> bool:
        """Some size up to ``max_n`` fits every value and, when a size is stated, the stated one does."""
        return self.smallest_n is not None and self.stated_consistent is not False


def check_block(texts: list[str], stated_n: int | None = None, max_n: int = DEFAULT_MAX_N) -> BlockCheck:
    """Which sample sizes up to ``max_n`` fit a block, and does the stated one?

    Applied to a block of percentages that share one denominator, the check lists every sample
    size that could produce the whole block, and tells whether the sample size a paper states is
    among them.
    """
    sizes = consistent_sizes(texts, range(1, max_n + 1))
    stated = None if stated_n is None else all(attainable(t, stated_n) for t in texts)
    return BlockCheck(values=tuple(texts), smallest_n=sizes[0] if sizes else None, sizes=tuple(sizes),
                      stated_n=stated_n, stated_consistent=stated, max_n=max_n)


def block_table(table, stated_n: int, block: str = "area", value: str = "percent", max_n: int = DEFAULT_MAX_N,
                small_n: int = 2000, sizes: range | None = None):
    """One row per block of a transcribed table.

    Columns: ``block``; ``values`` (how many); ``decimals`` (printed, e.g. ``"0/1/2"``);
    ``smallest_n`` (smallest size up to ``max_n`` that fits every value; missing if none);
    ``beyond_small`` (that size exceeds ``small_n``: a search to ``small_n`` alone would have
    missed it); ``sizes_fitting`` (how many sizes up to ``max_n`` fit); ``stated_n_fits``;
    ``could_fail`` (:func:`could_fail` for the stated size). With
    ``sizes`` (a range allowing item non-response) also ``fit_in_range`` (the sizes in it that
    fit, as text), ``range_fits``, ``range_power`` (:func:`power`) and ``base_chance``
    (:func:`smaller_base`).
    """
    rows = []
    for name, part in table.groupby(block, sort=False):
        texts = list(part[value])
        check = check_block(texts, stated_n=stated_n, max_n=max_n)
        coverage = could_fail(texts, stated_n)
        rows.append({"block": name, "values": len(part),
                     "decimals": "/".join(sorted({str(decimals(t)) for t in texts})),
                     "smallest_n": check.smallest_n,
                     "beyond_small": check.smallest_n is not None and check.smallest_n > small_n,
                     "sizes_fitting": len(check.sizes), "stated_n_fits": bool(check.stated_consistent),
                     "could_fail": coverage.could_fail})
        if sizes is not None:
            fitting = [n for n in check.sizes if n in sizes]
            rows[-1].update({"fit_in_range": list_sizes(fitting, sizes),
                             "range_fits": bool(fitting), "range_power": power(texts, sizes),
                             "base_chance": smaller_base(texts, fitting, check.smallest_n)})
    frame = pd.DataFrame(rows)
    frame["smallest_n"] = frame["smallest_n"].astype("Int64")
    return frame

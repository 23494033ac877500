"""The check kinds of the claims ledgers, each with the rule that says whether it could have failed.

A ledger row names a check kind (:data:`KINDS`) and its ``reference``; :func:`run` runs it and
returns an :class:`Outcome`: the verdict, what the check found, and whether the check **could
have failed**. The kinds are *internal* (:data:`INTERNAL`: the paper against its own numbers),
*official* (:data:`OFFICIAL`: against the official panel, with and without the provinces flagged
for a break) or make no comparison (:data:`NO_COMPARISON`). Each kind's ``reference`` syntax and
could-fail rule: :func:`run`; weighted national values: :func:`national_figure`.

References
----------
Brown, N. J. L. and Heathers, J. A. J. (2017). The GRIM test. *Social Psychological and
Personality Science* 8(4), 363–369 (granularity). Popper, K. (1959). *The Logic of Scientific
Discovery*: a statement that no observation could contradict is not tested by any observation.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from ruralrev.chapters.claims.cells import coverage_cells
from ruralrev.data import registry
from ruralrev.data.papers import THREE_BELTS, belt_regions
from ruralrev.data.breaks import flags as break_flags
from ruralrev.stats import granularity

__all__ = ["Outcome", "Figure", "Context", "THREE_BELTS", "belt_regions", "KINDS", "INTERNAL", "OFFICIAL", "NO_COMPARISON", "FOREGONE_POWER", "SMALLER_BASE", "FIGURES", "national_figure", "count_bound_failing", "nbs_rural_broadband_per_100", "run"]

INTERNAL = ("table", "misread", "between", "granularity", "granularity_block", "difference", "count_bound")
OFFICIAL = ("official_order", "official_change", "official_gap")
NO_COMPARISON = ("different_concept", "different_order", "implied_prior", "none")
#: A check that fails a random input less often than this could fail only in principle.
FOREGONE_POWER = 0.05
#: Below this chance, shares that are whole counts of a much smaller base did not come from the range.
SMALLER_BASE = 0.001
KINDS = INTERNAL + OFFICIAL + NO_COMPARISON


@dataclass(frozen=True)
class Outcome:
    """What one check found: verdict, result in words, whether it could have failed and why.

    A check **could have failed** when some input the paper could have printed (the claim's value
    anywhere on its printed-precision grid, within the quantity's own range, the comparison's
    other terms as printed), or official figures other than those published, would have given
    "inconsistent". A check that passes every such input is no evidence (``could_fail`` False);
    the ledger counts it apart as *uninformative*. Checks that make no comparison (``none``,
    ``implied_prior``, ``different_concept``) have ``could_fail`` None. A check with power below
    :data:`FOREGONE_POWER`, or whose ledger row says in ``foregone`` why no realistic figure would
    have failed it (urban above rural income in every province), could fail only in principle;
    the ledger counts it apart.
    """

    verdict: str  # consistent | inconsistent | misread | not checkable here | different concept
    result: str
    could_fail: bool | None
    reason: str
    power: float | None = None  # chance that a random input fails, where the check can say


@dataclass(frozen=True)
class Figure:
    """A weighted national value of an official indicator in one year, with and without flagged provinces."""

    code: str
    year: int
    value: float
    provinces: int
    flagged: tuple[str, ...]
    value_unflagged: float


def _weighted(frame: pd.DataFrame, code: str, weight: str) -> tuple[float, int]:
    y, w = registry.values(frame, code), registry.values(frame, weight)
    keep = y.notna() & w.notna()
    return float((y[keep] * w[keep]).sum() / w[keep].sum()), int(keep.sum())


def _flagged(flags: pd.DataFrame | None, codes: list[str], after: int, until: int) -> tuple[str, ...]:
    """Provinces with a flagged break in any of ``codes`` (or their inputs) from ``after`` to ``until``."""
    if flags is None:
        flags = pd.concat([break_flags.flags_for(c) for c in codes if c in registry.codes()] or [pd.DataFrame()])
        if flags.empty:
            return ()
    else:
        inputs = set(codes)
        for code in codes:
            if code in registry.codes():
                ind = registry.get(code)
                inputs |= set(ind.inputs)
        flags = flags[flags["series"].isin(inputs)]
    window = flags[(flags["year_to"] > after) & (flags["year_to"] <= until)]
    return tuple(sorted(set(window["province"])))


def national_figure(panel: pd.DataFrame, code: str, weight: str, year: int,
                    flags: pd.DataFrame | None = None, since: int | None = None) -> Figure:
    r"""Weighted national value of ``code`` in ``year``, and the same without the provinces whose
    series has a break flagged after ``since`` (default: the year before) up to ``year``.

    The weighted national value is :math:`\bar y = \sum_i w_i y_i / \sum_i w_i` over the provinces
    with both values (for a per-resident ratio weighted by its denominator, the ratio of the sums).
    """
    frame = panel[panel["year"] == year]
    if frame.empty:
        raise ValueError(f"{code}: no panel rows for {year}")
    value, count = _weighted(frame, code, weight)
    flagged = _flagged(flags, [code, weight], year - 1 if since is None else since, year)
    rest, _ = _weighted(frame[~frame["province"].isin(flagged)], code, weight)
    return Figure(code, year, value, count, flagged, rest)


def nbs_rural_broadband_per_100(panel: pd.DataFrame, year: int, flags: pd.DataFrame | None = None) -> Figure:
    """NBS rural fixed-broadband subscriptions per 100 rural residents, national, in ``year``.

    The rural-population-weighted mean of the provinces'
    ``rural_broadband_per_100_rural_residents`` (equal to 100 × Σ subscribers / Σ rural residents).
    Subscriptions (accounts, mostly one per household, classed rural by the operators) per
    resident: not the share of rural residents who use the internet, which CNNIC's penetration
    rate measures (users of any access, mobile included). The digital chapter computes the same
    number as a ratio of sums (:func:`ruralrev.chapters.digital.broadband.rural_broadband_national`); a test
    keeps the two equal, and this one adds the value without the provinces flagged for a break.
    """
    return national_figure(panel, "rural_broadband_per_100_rural_residents", "rural_population", year, flags)


#: Official figures a ``different_concept`` check can set beside a paper's: name → (function,
#: what it measures).
FIGURES = {
    "nbs_rural_broadband_per_100": (
        nbs_rural_broadband_per_100,
        "NBS rural fixed-broadband subscriptions per 100 rural residents (accounts, mostly one per household)"),
}


def _fmt(value: float, unit: str) -> str:
    return f"{value:,.0f}" if "yuan" in unit else f"{value:,.2f}" if unit == "ratio" else f"{value:,.1f}"


def _without(figure: Figure, unit: str) -> str:
    if not figure.flagged:
        return "no province flagged for a break"
    return (f"without the {len(figure.flagged)} flagged for a break ({', '.join(figure.flagged)}): "
            f"{_fmt(figure.value_unflagged, unit)}")


def _step(text: str) -> Decimal:
    return Decimal(1).scaleb(-granularity.decimals(text))


def _table(row, ctx) -> Outcome:
    match = ctx.table[ctx.table["item"].str.startswith(row.reference)]
    if len(match) != 1:
        raise ValueError(f"claim {row.claim_id}: {len(match)} table items start with {row.reference!r}")
    printed = match["percent"].iloc[0]
    same = float(printed) == float(row.value)
    verdict = ("misread" if row.check == "misread" else "consistent") if same else "inconsistent"
    found = f"table prints {printed}, read as another quantity" if verdict == "misread" else f"table prints {printed}"
    return Outcome(verdict, found, True,
                   f"the text could have quoted any other value than the table's {printed}")


def _between(row, ctx) -> Outcome:
    low, high = (float(x) for x in row.reference.split(";"))
    inside = low <= float(row.value) <= high
    top = 100.0 if row.unit == "per cent" else float("inf")
    can = low > 0 or high < top
    span = "0 to 100" if top == 100 else "0 upwards"
    return Outcome("consistent" if inside else "inconsistent", f"group values {low:g} to {high:g}", can,
                   f"a value outside {low:g}–{high:g} (possible range {span}) would fail" if can
                   else f"the group values span the whole range {span}: no value could fail")


def _granularity(row, ctx) -> Outcome:
    sizes = granularity.parse_sizes(row.reference)
    fitting = granularity.consistent_sizes([row.value], sizes)
    can, reason, chance = coverage_cells([row.value], sizes)
    found = (f"attainable with {granularity.sizes_text(sizes)}" if len(sizes) == 1 and fitting else
             f"attainable with n = {granularity.list_sizes(fitting, sizes)} of {granularity.sizes_text(sizes)}"
             if fitting else f"not attainable with any {granularity.sizes_text(sizes)}")
    return Outcome("consistent" if fitting else "inconsistent", found, can, reason, chance)


def _granularity_block(row, ctx) -> Outcome:
    name, _, stated = row.reference.partition("|")
    block = ctx.table.loc[ctx.table["area"] == name, "percent"].tolist()
    if not block:
        raise ValueError(f"claim {row.claim_id}: reference must be '<table block>|<n or low-high>', got {row.reference!r}")
    sizes = granularity.parse_sizes(stated)
    check = granularity.check_block(block, max_n=ctx.max_n)
    fitting = [n for n in check.sizes if n in sizes]
    can, reason, chance = coverage_cells(block, sizes)
    smallest = (f"smallest n that fits is {check.smallest_n:,}" if check.sizes
                else f"no n up to {ctx.max_n:,} fits")
    if not fitting:
        return Outcome("inconsistent", f"no {granularity.sizes_text(sizes)} fits; {smallest} (sizes that fit: "
                       f"{', '.join(f'{n:,}' for n in check.sizes[:3]) or f'none up to {ctx.max_n:,}'})",
                       can, reason, chance)
    found = f"fits n = {granularity.list_sizes(fitting, sizes)} of {granularity.sizes_text(sizes)}"
    base = granularity.smaller_base(block, fitting, check.smallest_n)
    if base is not None and base < SMALLER_BASE:
        return Outcome("inconsistent", f"{found}, each a multiple of {check.smallest_n:,}; the {smallest}: every "
                       f"share is a whole number of answers out of {check.smallest_n:,}; shares of those sizes "
                       f"would all be so with probability {base:.0e}: a smaller base", can, reason, chance)
    return Outcome("consistent", f"{found}; {smallest}", can, reason, chance)


def _difference(row, ctx) -> Outcome:
    a, b, tolerance = (float(x) for x in row.reference.split(";"))
    actual = a - b
    ok = abs(actual - float(row.value)) <= tolerance * abs(actual)
    low, high = actual * (1 - tolerance), actual * (1 + tolerance)
    step = float(_step(row.value))
    can = low > 0 or high < float("inf")  # a band of finite width never holds every value ≥ 0
    return Outcome("consistent" if ok else "inconsistent", f"{a:g} − {b:g} = {actual:g}", can,
                   f"a stated difference outside {low:g}–{high:g} (printed in steps of {step:g}) would fail")


def _count_fits(a: int, b: int, total: int) -> bool:
    return (a <= b <= total) or (a + b <= total)


def count_bound_failing(reference: str, value: str) -> list[int]:
    r"""The counts that would fail a ``count_bound`` check in the claim's place.

    ``reference`` is ``a;b;total`` and ``value`` one of ``a`` or ``b``. A count :math:`v` in place
    of ``a`` fails when it fits neither reading, nested (:math:`v \le b \le` total) nor disjoint
    (:math:`v + b \le` total); likewise in place of ``b``. An empty list: no count could fail.

    >>> count_bound_failing("7;17;31", "7")[:2], count_bound_failing("7;17;31", "17")
    ([18, 19], [])
    """
    a, b, total = (int(x) for x in reference.split(";"))
    if int(value) not in (a, b):
        raise ValueError(f"value {value} is neither count of {reference!r}")
    inner = int(value) == a
    return [v for v in range(total + 1) if not (_count_fits(v, b, total) if inner else _count_fits(a, v, total))]


def _count_bound(row, ctx) -> Outcome:
    a, b, total = (int(x) for x in row.reference.split(";"))
    if int(row.value) not in (a, b):
        raise ValueError(f"claim {row.claim_id}: value {row.value} is neither count of {row.reference!r}")
    ok = _count_fits(a, b, total)
    failing = count_bound_failing(row.reference, row.value)
    found = f"nested: {a} ≤ {b} ≤ {total} {'holds' if a <= b <= total else 'fails'}; " \
            f"disjoint: {a} + {b} = {a + b} {'≤' if a + b <= total else '>'} {total}"
    if failing:
        reason = f"a count of {failing[0]} to {failing[-1]} in its place would fit neither reading"
    else:
        reason = f"every count from 0 to {total} in its place fits one reading: no value could fail"
    return Outcome("consistent" if ok else "inconsistent", found, bool(failing), reason)


def _regional_income(frame: pd.DataFrame, belts: bool) -> pd.Series:
    region = belt_regions(frame["province"], frame["region"]).to_numpy() if belts else frame["region"]
    income, weight = frame["rural_income"].astype(float), frame["rural_population"].astype(float)
    return (income * weight).groupby(region).sum() / weight.groupby(region).sum()


def _regional_order(row, ctx) -> tuple[bool, bool, str]:
    """Whether population-weighted official rural income ranks region A above region B in the
    claim's year (``A>B`` in ``reference``), for the NBS four regions and for the three belts, and
    both comparisons in words."""
    higher, lower = row.reference.split(">")
    year = int(row.year)
    frame = ctx.panel[ctx.panel["year"] == year].dropna(subset=["rural_income", "rural_population"])
    four, three = _regional_income(frame, False), _regional_income(frame, True)
    result = (f"official rural income {year}, NBS four regions: {higher} {four[higher]:,.0f} vs {lower} "
              f"{four[lower]:,.0f} yuan; three belts (Northeast split): {three[higher]:,.0f} vs {three[lower]:,.0f}")
    return bool(four[higher] > four[lower]), bool(three[higher] > three[lower]), result


def _official_order(row, ctx) -> Outcome:
    holds, holds_three, result = _regional_order(row, ctx)
    higher, lower = row.reference.split(">")
    if holds != holds_three:
        return Outcome("not checkable here", result + "; the region definition decides it", None,
                       "the ordering depends on which provinces the paper's regions hold")
    return Outcome("consistent" if holds else "inconsistent", result, True,
                   f"official rural income could have ranked {higher} below {lower}")


def _different_order(row, ctx) -> Outcome:
    *_, result = _regional_order(row, ctx)
    return Outcome("different concept", result, None,
                   "the paper orders another quantity; official rural income can neither confirm nor contradict it")


def _split(term: str) -> tuple[str, str]:
    code, _, weight = term.partition("@")
    return code, weight


def _official_change(row, ctx) -> Outcome:
    term, start, end, direction = row.reference.split("|")
    code, weight = _split(term)
    start, end = int(start), int(end)
    first = national_figure(ctx.panel, code, weight, start, ctx.flags)
    last = national_figure(ctx.panel, code, weight, end, ctx.flags, since=start)
    first_rest = national_figure(ctx.panel[~ctx.panel["province"].isin(last.flagged)], code, weight, start, ctx.flags)
    unit = registry.unit(code) if code in registry.codes() else ""
    up, up_rest = last.value > first.value, last.value_unflagged > first_rest.value
    words = lambda rises: "up" if rises else "down"  # noqa: E731
    label = registry.short_label(code) if code in registry.codes() else code
    result = (f"{label}, weighted by {weight.replace('_', ' ')}: "
              f"{_fmt(first.value, unit)} ({start}) → {_fmt(last.value, unit)} ({end}), {words(up)}; "
              + (f"without the {len(last.flagged)} provinces flagged for a break ({', '.join(last.flagged)}): "
                 f"{_fmt(first_rest.value, unit)} → {_fmt(last.value_unflagged, unit)}, {words(up_rest)}"
                 if last.flagged else "no province flagged for a break"))
    reason = f"the official series could have moved {'down' if direction == 'up' else 'up'}"
    if up != up_rest:
        return Outcome("not checkable here", result + "; the flagged breaks decide the direction", None,
                       "the direction depends on flagged breaks")
    return Outcome("consistent" if words(up) == direction else "inconsistent", result, True, reason)


def _official_gap(row, ctx) -> Outcome:
    terms, year = row.reference.split("|")
    (a, wa), (b, wb) = (_split(t) for t in terms.split(">"))
    year = int(year)
    top, bottom = (national_figure(ctx.panel, c, w, year, ctx.flags) for c, w in ((a, wa), (b, wb)))
    flagged = tuple(sorted(set(top.flagged) | set(bottom.flagged)))
    rest = ctx.panel[~ctx.panel["province"].isin(flagged)]
    top_rest, bottom_rest = (national_figure(rest, c, w, year, ctx.flags) for c, w in ((a, wa), (b, wb)))
    frame = ctx.panel[ctx.panel["year"] == year]
    both = frame[[a, b]].dropna()
    ratio = both[a] / both[b]
    unit = registry.unit(a) if a in registry.codes() else ""
    result = (f"{year}: {registry.short_label(a)} {_fmt(top.value, unit)} vs {registry.short_label(b)} "
              f"{_fmt(bottom.value, unit)} (weighted national values; ratio {top.value / bottom.value:.2f}); "
              f"higher in {int((ratio > 1).sum())} of {len(both)} provinces (ratio {ratio.min():.2f} to {ratio.max():.2f})"
              + (f"; without the {len(flagged)} provinces flagged for a break ({', '.join(flagged)}): ratio "
                 f"{top_rest.value / bottom_rest.value:.2f}" if flagged else ""))
    holds, holds_rest = top.value > bottom.value, top_rest.value > bottom_rest.value
    if holds != holds_rest:
        return Outcome("not checkable here", result + "; the flagged breaks decide it", None,
                       "the comparison depends on flagged breaks")
    return Outcome("consistent" if holds else "inconsistent", result, True,
                   f"the official figures could have put {registry.short_label(b).lower()} at or above "
                   f"{registry.short_label(a).lower()}")


def _different_concept(row, ctx) -> Outcome:
    name, year = row.reference.split("|")
    if name not in FIGURES:
        raise ValueError(f"claim {row.claim_id}: unknown official figure {name!r}; known: {', '.join(FIGURES)}")
    function, what = FIGURES[name]
    figure = function(ctx.panel, int(year), ctx.flags)
    unit = registry.unit(figure.code)
    result = (f"paper: {row.value} {row.unit} ({row.measures}); NBS {year}: {_fmt(figure.value, unit)} "
              f"— {what}, {figure.provinces} provinces; {_without(figure, unit)}. Different concepts: not comparable")
    return Outcome("different concept", result, None,
                   "the two figures measure different things, so neither can contradict the other")


def _implied_prior(row, ctx) -> Outcome:
    later = float(row.reference)
    prior = later / (1 + float(row.value) / 100)
    return Outcome("not checkable here", f"derived: implies {prior:.3f} in the year before "
                   f"({later:g} / {1 + float(row.value) / 100:.3f}); would need: {row.settle}", None,
                   "no comparison is made")


def _none(row, ctx) -> Outcome:
    return Outcome("not checkable here", f"would need: {row.settle}", None, "no comparison is made")


_RUN = {"table": _table, "between": _between, "granularity": _granularity, "granularity_block": _granularity_block,
        "difference": _difference, "count_bound": _count_bound, "official_order": _official_order, "misread": _table,
        "official_change": _official_change, "official_gap": _official_gap,
        "different_concept": _different_concept, "different_order": _different_order,
        "implied_prior": _implied_prior, "none": _none}


@dataclass(frozen=True)
class Context:
    """What the checks read: the paper's table, the official panel, break flags, the n searched."""

    table: pd.DataFrame | None = None
    panel: pd.DataFrame | None = None
    flags: pd.DataFrame | None = None
    max_n: int = granularity.DEFAULT_MAX_N


def run(row, ctx: Context) -> Outcome:
    """Run the check of one ledger row (a namedtuple of the ledger's columns).

    Notes
    -----
    Kinds, ``reference`` syntax and could-fail rule:

    ``table``              ``<item prefix>``: the value equals the cell of the paper's own table
                           whose item starts with it. Could fail: any other value at the printed
                           precision would differ.
    ``misread``            as ``table``, for a text that gives the number another meaning (respondents
                           naming a problem read as a share of devices): "misread" when it matches.
    ``between``            ``low;high``: an overall figure lies between the group values it averages.
                           Could fail when the quantity's range (0–100 for per cent, ≥ 0 otherwise)
                           reaches outside [low, high].
    ``granularity``        ``<n>`` or ``<low>-<high>``: the printed percentage is attainable with
                           some n respondents in the range (item non-response makes an item's base
                           smaller than the questionnaires returned; :mod:`ruralrev.stats.granularity`),
                           and which n. Could fail only when some percentage at the printed
                           precision fits no n of the range; the chance that a random one fails is
                           the check's power (:func:`~ruralrev.stats.granularity.power`): a one-decimal
                           value against n ≥ 1,000 cannot fail, a two-decimal one against
                           1,100–1,160 fails with probability 3 %.
    ``granularity_block``  ``<table block>|<n or range>``: the same for every percentage of a block
                           of the paper's table, with the sizes up to 5,000 that fit. Inconsistent
                           also when the sizes of the range that fit are all multiples of a much
                           smaller one and shares of those sizes would be whole counts of it with
                           probability below :data:`SMALLER_BASE` (:func:`~ruralrev.stats.granularity.smaller_base`):
                           the block rests on a smaller base.
    ``difference``         ``a;b;tolerance``: a stated difference of two stated amounts, tolerance
                           relative (for "nearly", "about"). Could fail when some value at the
                           claim's precision, ≥ 0, lies outside the tolerance band.
    ``count_bound``        ``a;b;total``: counts of provinces in two groups whose relation the text
                           leaves open — nested (a among b: a ≤ b ≤ total) or disjoint
                           (a + b ≤ total); consistent when either reading fits. The claim is the
                           count equal to its value; could fail when some count 0..total in its
                           place fits neither reading.
    ``official_order``     ``A>B``: a regional ordering set against the same ordering of
                           population-weighted official rural income in the claim's year. Could
                           fail: the official means could rank the regions the other way.
    ``different_order``    ``A>B``: the official rural-income ordering of two regions set beside a
                           regional ordering of *another* quantity (a governance index): shown, no
                           verdict, since neither can confirm or contradict the other.
    ``official_change``    ``code@weight|start|end|up`` (or ``down``): the weighted national value of
                           an official indicator moved in the stated direction between two years.
                           Computed with and without the provinces whose series has a flagged break
                           (:mod:`ruralrev.data.breaks.flags`) between the two years; if the two disagree,
                           "not checkable here". Could fail: the official series could move the
                           other way.
    ``official_gap``       ``a@wa>b@wb|year``: the weighted national value of ``a`` exceeds that of
                           ``b`` in ``year`` (e.g. urban over rural income), with the count of
                           provinces where it holds; computed with and without provinces flagged for
                           a break into that year. Could fail: the official figures could put ``b``
                           at or above ``a``.
    ``different_concept``  ``<figure>|<year>``: the paper's figure and the official figure closest to
                           it measure different things; both are shown, the verdict is "different
                           concept" and neither can contradict the other.
    ``implied_prior``      ``<later amount>``: a growth rate; the earlier amount it implies,
                           value / (1 + g), is derived and shown; not checkable without the source.
    ``none``               no check with the book's data; ``settle`` says what would do.
    """
    if row.check not in _RUN:
        raise ValueError(f"claim {row.claim_id}: unknown check {row.check!r}")
    if row.check in ("table", "misread", "granularity_block") and ctx.table is None:
        raise ValueError(f"claim {row.claim_id}: check {row.check!r} needs the paper's table")
    if row.check in OFFICIAL + ("different_concept", "different_order") and ctx.panel is None:
        raise ValueError(f"claim {row.claim_id}: check {row.check!r} needs the official panel")
    return _RUN[row.check](row, ctx)

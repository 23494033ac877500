"""Claims ledgers: every quantitative statement of a paper, with a check and a verdict.

A ledger is data (``data/papers/<paper>_claims.csv``): what the paper states, its value, unit,
year, what it measures, the source the paper names, and which check applies. This module runs
the checks and writes the verdict: ``consistent``, ``inconsistent`` or ``not checkable here``
(with what would settle it). Checks:

``table``              the value equals the cell of the paper's own table whose item starts
                       with ``reference`` (internal consistency);
``between``            an overall figure must lie between the group values it averages
                       (``reference`` = ``low;high``);
``granularity``        the printed percentage is attainable with the stated sample size
                       (``reference`` = n), see :mod:`ruralrev.granularity`;
``granularity_block``  the same for all percentages of one block of the paper's table
                       (``reference`` = ``<block>|<stated n>``), reporting the sizes that fit;
``official_order``     a regional ordering (``reference`` = ``A>B``) set against the same
                       ordering of population-weighted rural income in the official snapshot
                       for the claim's year — a proxy, and labelled as one;
``difference``         a stated difference of two stated amounts (``reference`` = ``a;b;tolerance``,
                       the tolerance relative, for "nearly" and "about");
``implied_prior``      a growth rate: the earlier amount it implies, value / (1 + g), is derived
                       and shown (``reference`` = the later amount); not checkable without it;
``count_bound``        counts of provinces in nested groups must fit in the whole
                       (``reference`` = ``a;b;total``: a + b ≤ total);
``none``               no check possible with the book's data; ``settle`` says what would do.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import granularity, paths

__all__ = ["CHECKS", "load_ledger", "run_checks", "summary"]

CHECKS = ("table", "between", "granularity", "granularity_block", "official_order", "difference",
          "implied_prior", "count_bound", "none")
_COLUMNS = ["claim_id", "paper_id", "section", "statement", "value", "unit", "year", "measures",
            "source_named", "check", "reference", "settle"]


def load_ledger(paper: str, root: Path | None = None) -> pd.DataFrame:
    """Load ``data/papers/<paper>_claims.csv`` (all text), checking its columns and check kinds."""
    path = Path(root or paths.PAPERS_DATA) / f"{paper}_claims.csv"
    ledger = pd.read_csv(path, dtype=str, keep_default_na=False)
    if list(ledger.columns) != _COLUMNS:
        raise ValueError(f"{path}: columns {list(ledger.columns)}, expected {_COLUMNS}")
    for line, (claim, check) in enumerate(zip(ledger["claim_id"], ledger["check"]), start=2):
        if check not in CHECKS:
            raise ValueError(f"{path}:{line}: claim {claim} has unknown check {check!r}")
    if ledger["claim_id"].duplicated().any():
        raise ValueError(f"{path}: duplicate claim ids {ledger.loc[ledger['claim_id'].duplicated(), 'claim_id'].tolist()}")
    return ledger


def _check_one(row, table: pd.DataFrame | None, panel: pd.DataFrame | None) -> tuple[str, str]:
    kind, ref = row.check, row.reference
    if kind == "none":
        return "not checkable here", f"would need: {row.settle}"
    if kind == "table":
        match = table[table["item"].str.startswith(ref)]
        if len(match) != 1:
            raise ValueError(f"claim {row.claim_id}: {len(match)} table items start with {ref!r}")
        printed = match["percent"].iloc[0]
        same = float(printed) == float(row.value)
        return ("consistent" if same else "inconsistent"), f"table prints {printed}"
    if kind == "between":
        low, high = (float(x) for x in ref.split(";"))
        inside = low <= float(row.value) <= high
        return ("consistent" if inside else "inconsistent"), f"group values {low:g} to {high:g}"
    if kind == "granularity":
        n = int(ref)
        ok = granularity.attainable(row.value, n)
        return ("consistent" if ok else "inconsistent"), f"{'attainable' if ok else 'not attainable'} with n = {n}"
    if kind == "granularity_block":
        name, _, stated = ref.partition("|")
        block = table.loc[table["area"] == name, "percent"].tolist()
        if not block or not stated.isdigit():
            raise ValueError(f"claim {row.claim_id}: reference must be '<table block>|<stated n>', got {ref!r}")
        check = granularity.check_block(block, stated_n=int(stated))
        sizes = ", ".join(str(n) for n in check.sizes[:3]) if check.sizes else "none ≤ 2000"
        verdict = "consistent" if check.stated_consistent else "inconsistent"
        return verdict, f"{check.verdict} (sizes that fit: {sizes})"
    if kind == "official_order":
        from .inequality import group_means

        higher, lower = ref.split(">")
        year = int(row.year)
        means = group_means(panel[panel["year"] == year], "rural_income", "rural_population", "region").iloc[0]
        holds = means[higher] > means[lower]
        return (("consistent" if holds else "inconsistent") + " (proxy)",
                f"official rural income {year}: {higher} {means[higher]:,.0f} vs {lower} {means[lower]:,.0f} yuan")
    if kind == "difference":
        a, b, tolerance = (float(x) for x in ref.split(";"))
        actual = a - b
        ok = abs(actual - float(row.value)) <= tolerance * abs(actual)
        return ("consistent" if ok else "inconsistent"), f"{a:g} − {b:g} = {actual:g}"
    if kind == "implied_prior":
        later = float(ref)
        prior = later / (1 + float(row.value) / 100)
        return "not checkable here", (f"derived: implies {prior:.3f} in the year before "
                                      f"({later:g} / {1 + float(row.value) / 100:.3f}); would need: {row.settle}")
    if kind == "count_bound":
        a, b, total = (int(x) for x in ref.split(";"))
        ok = a + b <= total
        return ("consistent" if ok else "inconsistent"), f"{a} + {b} = {a + b} of {total} provinces"
    raise ValueError(f"claim {row.claim_id}: unknown check {kind!r}")


def run_checks(ledger: pd.DataFrame, table: pd.DataFrame | None = None,
               panel: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ledger with ``result`` (what the check found) and ``verdict`` for every claim."""
    results = [_check_one(row, table, panel) for row in ledger.itertuples(index=False)]
    return ledger.assign(verdict=pd.Series([v for v, _ in results], index=ledger.index, dtype=str),
                         result=pd.Series([r for _, r in results], index=ledger.index, dtype=str))


def summary(checked: pd.DataFrame) -> str:
    """One line: ``N claims: a consistent, b inconsistent, c not checkable here``."""
    if checked.empty:
        return "0 claims: the text states no quantitative claim"
    base = checked["verdict"].str.replace(" (proxy)", "", regex=False)
    counts = base.value_counts()
    return (f"{len(checked)} claims: {counts.get('consistent', 0)} consistent, "
            f"{counts.get('inconsistent', 0)} inconsistent, {counts.get('not checkable here', 0)} not checkable here")

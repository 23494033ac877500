"""Claims ledgers: what each paper states, the check the book can make, and what that check is worth.

A ledger is data (``data/papers/<paper>_claims.csv``), one row per statement a paper makes that
numbers could check: every quantitative statement, and the qualitative ones official statistics
reach (e.g. "farmers who already have meagre incomes"). :func:`load_ledger` reads and checks it
(its columns: the Notes there); :func:`run_checks` runs each row's check
(:mod:`ruralrev.chapters.claims.checks`) and puts it in a class (the Notes there);
:func:`headline` counts the classes and :func:`ledger_table` shows the checked ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ruralrev.chapters.claims.checks import (
    FOREGONE_POWER,
    INTERNAL,
    KINDS,
    NO_COMPARISON,
    OFFICIAL,
    Context,
    run,
)
from ruralrev.core import paths

__all__ = ["CHECKS", "CATEGORIES", "Headline", "load_ledger", "run_checks", "headline", "ledger_table"]

CHECKS = KINDS
CATEGORIES = ("informative consistent", "informative inconsistent", "misread", "foregone", "uninformative", "proxy",
              "different concept", "not checkable")
_COLUMNS = ["claim_id", "paper_id", "section", "quote", "statement", "value", "unit", "year", "measures",
            "source_named", "check", "reference", "evidence", "settle", "foregone"]


def load_ledger(paper: str, root: Path | None = None) -> pd.DataFrame:
    """Load ``data/papers/<paper>_claims.csv`` (all text), checking columns, check kinds and evidence.

    Raises
    ------
    ValueError
        Naming the file and line: wrong columns, an unknown check, evidence that does not fit the
        kind (internal checks are direct; official ones direct or proxy; no-comparison kinds
        none), or duplicate claim ids.

    Notes
    -----
    Columns:

    ``claim_id, paper_id, section``   the claim and where the paper makes it;
    ``quote``                         a short phrase of the paper, verbatim (tests find it in that section);
    ``statement``                     the claim in the book's words;
    ``value, unit, year``             the number as printed (empty for a qualitative claim or a table block);
    ``measures, source_named``        what the number measures, and the source the paper names;
    ``check, reference``              the check kind and its argument (:mod:`ruralrev.chapters.claims.checks`);
    ``evidence``                      ``direct`` when the check tests what the claim names, ``proxy`` when
                                      it tests a related but different quantity (official income for a
                                      governance index), empty when no comparison is made;
    ``settle``                        what would settle a claim the book cannot check;
    ``foregone``                      for a check that could fail only in principle, why no realistic
                                      figure would have failed it (empty otherwise).
    """
    path = Path(root or paths.PAPERS_DATA) / f"{paper}_claims.csv"
    ledger = pd.read_csv(path, dtype=str, keep_default_na=False)
    if list(ledger.columns) != _COLUMNS:
        raise ValueError(f"{path}: columns {list(ledger.columns)}, expected {_COLUMNS}")
    allowed = {**{k: {"direct"} for k in INTERNAL}, **{k: {"direct", "proxy"} for k in OFFICIAL},
               **{k: {""} for k in NO_COMPARISON}}
    for line, row in enumerate(ledger.itertuples(index=False), start=2):
        if row.check not in CHECKS:
            raise ValueError(f"{path}:{line}: claim {row.claim_id} has unknown check {row.check!r}")
        if row.evidence not in allowed[row.check]:
            raise ValueError(f"{path}:{line}: claim {row.claim_id}: evidence {row.evidence!r} does not fit check "
                             f"{row.check!r} (allowed: {sorted(allowed[row.check])})")
        if row.foregone and row.check in NO_COMPARISON:
            raise ValueError(f"{path}:{line}: claim {row.claim_id}: 'foregone' given for check {row.check!r}, "
                             "which makes no comparison")
    if ledger["claim_id"].duplicated().any():
        raise ValueError(f"{path}: duplicate claim ids {ledger.loc[ledger['claim_id'].duplicated(), 'claim_id'].tolist()}")
    return ledger


def _category(verdict: str, could_fail: bool | None, evidence: str, power: float | None = None,
              foregone: str = "") -> str:
    if verdict == "not checkable here":
        return "not checkable"
    if verdict == "different concept":
        return "different concept"
    if could_fail is False:
        return "uninformative"
    if verdict == "misread":
        return "misread"
    if foregone or (power is not None and power < FOREGONE_POWER):
        return "foregone"
    if evidence == "proxy":
        return "proxy"
    return f"informative {verdict}"


def run_checks(ledger: pd.DataFrame, table: pd.DataFrame | None = None, panel: pd.DataFrame | None = None,
               flags: pd.DataFrame | None = None, max_n: int | None = None) -> pd.DataFrame:
    """The ledger with ``verdict``, ``result``, ``could_fail``, ``could_fail_reason`` and ``category``.

    Parameters
    ----------
    ledger : DataFrame
        From :func:`load_ledger`.
    table : DataFrame, optional
        The paper's transcribed table (``table`` and ``granularity_block`` checks).
    panel : DataFrame, optional
        The official panel (``official_*`` and ``different_concept`` checks).
    flags : DataFrame, optional
        Break flags (default: the snapshot's, :func:`ruralrev.data.breaks.flags.flags_for`).
    max_n : int, optional
        Largest sample size the granularity checks search (default 5,000).

    Notes
    -----
    ``could_fail`` is True, False or missing, with its ``could_fail_reason``; ``category`` is the
    class the chapters' headline counts use:

    * **informative consistent / informative inconsistent** — a direct check that could have failed;
      :class:`Headline` counts apart the *internal* ones (the paper against its own numbers:
      :data:`~ruralrev.chapters.claims.checks.INTERNAL`) and the *external* ones (against official data);
    * **misread** — a direct check that could have failed and found the paper's number where the
      claim says, but the text gives it another meaning (``misread`` check): neither consistent
      nor inconsistent, counted apart;
    * **foregone** — a check that could fail only in principle: its power against a random input is
      below :data:`~ruralrev.chapters.claims.checks.FOREGONE_POWER`, or the ledger's ``foregone`` says why no
      realistic figure would have failed it;
    * **uninformative** — a check that could not have failed whatever the paper printed (a one-decimal
      percentage against n ≥ 1,000): no evidence either way, counted apart;
    * **proxy** — a check that could have failed, against a related but different quantity;
    * **different concept** — an official figure set beside the paper's that measures something else;
    * **not checkable** — no comparison the book's data can make (or a break decides it).
    """
    context = Context(table=table, panel=panel, flags=flags,
                      **({} if max_n is None else {"max_n": int(max_n)}))
    outcomes = [run(row, context) for row in ledger.itertuples(index=False)]
    out = ledger.copy()
    out["verdict"] = [o.verdict for o in outcomes]
    out["result"] = [o.result for o in outcomes]
    out["could_fail"] = pd.array([o.could_fail for o in outcomes], dtype="boolean")
    out["could_fail_reason"] = [o.reason + (f"; in practice {f}" if f else "")
                                for o, f in zip(outcomes, ledger["foregone"])]
    out["power"] = [o.power for o in outcomes]
    out["category"] = [_category(o.verdict, o.could_fail, e, o.power, f)
                       for o, e, f in zip(outcomes, ledger["evidence"], ledger["foregone"])]
    return out


@dataclass(frozen=True)
class Headline:
    """The counts of a checked ledger by class (:data:`CATEGORIES`), proxies split by verdict.

    Numbers only: a chapter glues the counts it needs and says in its own words what they mean
    (``informative_consistent + informative_inconsistent + misread`` checks could have failed; of those,
    ``external_*`` compare the paper with official data, the ``internal_*`` ones with itself).
    """

    claims: int
    informative_consistent: int
    informative_inconsistent: int
    uninformative: int
    proxy: int
    proxy_consistent: int
    proxy_inconsistent: int
    different_concept: int
    not_checkable: int
    foregone: int = 0
    external_consistent: int = 0     # of the informative ones, checked against official data
    external_inconsistent: int = 0
    misread: int = 0                 # could have failed; the number is right, its meaning not

    @property
    def informative(self) -> int:
        """Checks that could have failed, whatever they found (misread numbers included)."""
        return self.informative_consistent + self.informative_inconsistent + self.misread

    @property
    def external(self) -> int:
        """Informative checks against official data."""
        return self.external_consistent + self.external_inconsistent

    @property
    def internal_consistent(self) -> int:
        """Informative and consistent against the paper's own numbers only."""
        return self.informative_consistent - self.external_consistent

    @property
    def internal_inconsistent(self) -> int:
        return self.informative_inconsistent - self.external_inconsistent


def headline(checked: pd.DataFrame) -> Headline:
    """Count a checked ledger by :data:`CATEGORIES`; the classes add up to the number of claims."""
    counts = checked["category"].value_counts() if len(checked) else pd.Series(dtype=int)
    unknown = set(counts.index) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories {sorted(unknown)}")
    proxies = checked[checked["category"] == "proxy"]
    get = lambda c: int(counts.get(c, 0))  # noqa: E731
    external = checked[checked["check"].isin(OFFICIAL)]["category"]
    return Headline(len(checked), get("informative consistent"), get("informative inconsistent"),
                    get("uninformative"), get("proxy"), int((proxies["verdict"] == "consistent").sum()),
                    int((proxies["verdict"] == "inconsistent").sum()), get("different concept"),
                    get("not checkable"), get("foregone"), int((external == "informative consistent").sum()),
                    int((external == "informative inconsistent").sum()), get("misread"))


def ledger_table(checked: pd.DataFrame) -> pd.DataFrame:
    """A checked ledger as the chapters show it: the quote, value, check, verdict, whether the
    check could have failed (with why), what it found and the class it counts in. A missing
    value (a qualitative claim, a table block) stays missing, so the table prints ``n/a``."""
    could = checked["could_fail"].map(lambda v: "n/a" if pd.isna(v) else ("yes" if v else "no"))
    could = could.where(checked["category"] != "foregone", "in principle only")
    verdict = checked["verdict"] + checked["evidence"].map({"proxy": " (proxy)"}).fillna("")
    return pd.DataFrame({
        "Claim": checked["claim_id"], "Section": checked["section"],
        "The paper says": "\"" + checked["quote"] + "\"",
        "Value": checked["value"].replace("", pd.NA), "Year": checked["year"].replace("", pd.NA),
        "Check": checked["check"], "Verdict": verdict,
        "Could the check fail?": could + ": " + checked["could_fail_reason"],
        "What the check found": checked["result"], "Counted as": checked["category"]})

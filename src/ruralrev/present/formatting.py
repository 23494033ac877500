"""How numbers are printed in the book's tables and prose: one place for each format.

Wording-free: each function returns a number as text (a p-value with its bound), never a sentence.
"""

from __future__ import annotations

__all__ = ["format_p"]


def format_p(p: float, reps: int | None = None, digits: int = 3, relation: bool = False) -> str:
    r"""A p-value as the page prints it: with ``digits`` decimals, four below 0.001, and for a
    bootstrap of ``reps`` draws in which no draw was as extreme (:math:`p = 0`) the bound
    :math:`p \le 1/B` with that reason, never "< 1/B" (the smallest attainable non-zero p is 1/B).
    An analytic p-value below 0.0001 prints as "< 0.0001" (four zeros would read as p = 0). With
    ``relation`` the value reads as a relation for prose: "= 0.012", "< 0.0001" or "≤ 0.0001 (…)".

    References
    ----------
    Davidson, R. and MacKinnon, J. G. (2000). Bootstrap tests: how many bootstraps? *Econometric
    Reviews* 19(1), 55–68.
    """
    if p != p:   # not computed
        return "–"
    if reps and p == 0:
        return f"≤ {1 / reps:.4f} (no draw as extreme)"
    if p < 0.00005:      # would round to 0.0000
        return "< 0.0001"
    return ("= " if relation else "") + (f"{p:.4f}" if p < 0.001 else f"{p:.{digits}f}")

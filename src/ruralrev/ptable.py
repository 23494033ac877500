r"""The p-values of one coefficient in many specifications, as the book prints them.

Each row is one fitted model: the coefficient, its clustered standard error and the p-values of
the conventional cluster test (normal approximation) and of the small-cluster procedures — wild
cluster restricted (WCR) and unrestricted (WCU) bootstraps and the cluster jackknife (CV3) — each
printed by :func:`ruralrev.wild_bootstrap.format_p`, so a bootstrap p of zero reads
:math:`p \le 1/B` and never a bound the draws cannot attain.

References
----------
MacKinnon, J. G., Nielsen, M. Ø. and Webb, M. D. (2023). Cluster-robust inference: A guide to
empirical practice. *Journal of Econometrics* 232(2), 272–299.
"""

from __future__ import annotations

import pandas as pd

from . import indicators, models
from .wild_bootstrap import format_p

__all__ = ["COLUMNS", "pvalue_rows"]

#: Column of :func:`ruralrev.models.coefficient_rows` → printed name.
COLUMNS = {"model": "Specification", "coef": "Coefficient", "se": "Clustered s.e.", "p": "Cluster p",
           "p_wild": "WCR p", "p_wcu": "WCU p", "p_cv3": "CV3 p", "nobs": "N"}


def pvalue_rows(results: list, variables: list[str], p_columns: list[str], reps: int | None,
                rename: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per model and variable: the printed columns of :data:`COLUMNS` (cluster p and
    ``p_columns``; bootstrap columns ``p_wild``/``p_wcu`` formatted with ``reps`` draws), model
    names replaced by ``rename``; a ``Regressor`` column first when there are several variables."""
    frames = []
    for variable in variables:
        rows = models.coefficient_rows(results, variable)
        rows = rows[["model", "coef", "se", *dict.fromkeys(["p", *p_columns]), "nobs"]].copy()
        for column in [c for c in rows.columns if c.startswith("p")]:
            rows[column] = [format_p(v, reps if column in ("p_wild", "p_wcu") else None) for v in rows[column]]
        rows["model"] = rows["model"].replace(rename or {})
        if len(variables) > 1:
            rows.insert(0, "Regressor", indicators.column_label(variable))
        frames.append(rows.rename(columns=COLUMNS))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS.values()))

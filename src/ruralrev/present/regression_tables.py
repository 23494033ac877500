"""Regression tables as the book prints them: the model table and the p-value rows of one coefficient.
"""

from __future__ import annotations

import pandas as pd

from ruralrev.data import registry
from ruralrev.present.formatting import format_p
from ruralrev.stats.regression import models
from ruralrev.stats.regression.models import ModelResult

__all__ = ["regression_table", "COLUMNS", "pvalue_rows"]




def _stars(p: float) -> str:
    if p != p:      # NaN: no p-value of this kind
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""



def regression_table(results: list[ModelResult], labels: dict[str, str] | None = None,
                     digits: int = 3, stars: bool = True) -> pd.DataFrame:
    """One table for several models: the format of every model table in the book.

    Each regressor takes two rows — the coefficient with stars (from the conventional p-value)
    and its standard error in brackets — plus, where computed, a third row with the wild
    cluster bootstrap p-value in square brackets. Below come N, R², clusters, fixed effects, the
    weights (only when a model is weighted) and standard-error type. Stars: * p < 0.1, ** p < 0.05,
    *** p < 0.01. Rows are labelled by ``labels``, else by the indicator registry
    (:func:`ruralrev.data.registry.column_label`), else by name. ``stars=False`` leaves the stars out
    (the book's fixed-effects tables, whose verdicts rest on several procedures, not on one p-value).
    """
    labels = labels or {}
    variables = list(dict.fromkeys(v for r in results for v in r.params.index if v != "const"))
    if any("const" in r.params.index for r in results):
        variables.append("const")
    rows: list[tuple[str, list[str]]] = []
    for variable in variables:
        label = labels.get(variable) or ("Constant" if variable == "const" else registry.label_or_name(variable))
        coef, se, wild = [], [], []
        for r in results:
            if variable in r.params.index:
                has_wild = r.wild_pvalues is not None and variable in r.wild_pvalues.index
                coef.append(f"{r.params[variable]:.{digits}f}{_stars(r.pvalues[variable]) if stars else ''}")
                se.append(f"({r.se[variable]:.{digits}f})")
                wild.append(f"[{format_p(r.wild_pvalues[variable], getattr(r.wild, 'reps', None))}]" if has_wild else "")
            else:
                coef.append(""); se.append(""); wild.append("")
        rows.append((label, coef))
        rows.append(("", se))
        if any(wild):
            rows.append(("", wild))
    rows.append(("N", [f"{r.nobs}" for r in results]))
    rows.append(("R²", [f"{r.r2:.3f} ({'net of effects' if 'net of' in r.r2_label or 'within' in r.r2_label else 'OLS'})"
                        for r in results]))
    rows.append(("Clusters", [str(r.n_clusters) if r.n_clusters else "–" for r in results]))
    rows.append(("Fixed effects", [r.fixed_effects for r in results]))
    if any(r.weights for r in results):
        rows.append(("Weights", [r.weights.replace("_", " ") if r.weights else "none" for r in results]))
    rows.append(("Standard errors", [r.se_type for r in results]))
    table = pd.DataFrame([values for _, values in rows], columns=[r.name for r in results])
    table.insert(0, "", [label for label, _ in rows])
    return table


#: Column of :func:`ruralrev.stats.regression.models.coefficient_rows` → printed name.
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
            rows.insert(0, "Regressor", registry.column_label(variable))
        frames.append(rows.rename(columns=COLUMNS))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS.values()))

r"""One coefficient read across specifications and small-cluster procedures, as counts.

A fixed-effects association is reported with its main estimate, its interval and how robust it
is: in how many specifications it keeps its sign, and in how many each procedure (wild cluster
restricted and unrestricted bootstrap, cluster jackknife) finds it significant. Requiring every
procedure in every specification turns absence of evidence into a verdict, so
:func:`procedure_counts` returns the counts and leaves the reading to the page.

References
----------
MacKinnon, J. G., Nielsen, M. Ø. and Webb, M. D. (2023). Cluster-robust inference: A guide to
empirical practice. *Journal of Econometrics* 232(2), 272–299 (report several procedures and
the leverage of the clusters, not one p-value).
Leamer, E. E. (1983). Let's take the con out of econometrics. *American Economic Review* 73(1),
31–43 (read an estimate across specifications).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ruralrev.data import registry
from ruralrev.stats.regression.models import ModelResult, coefficient_rows, coefficient_verdict

__all__ = ["procedure_counts", "against_reference"]


def procedure_counts(results: list[ModelResult], regressors: list[str], procedures: dict[str, str],
                     main: int = 0, alpha: float = 0.05, level: float = 0.95) -> pd.DataFrame:
    """Each regressor across ``results``: its main estimate and interval, its sign, and the
    specifications each procedure finds it significant in.

    Parameters
    ----------
    results : list of ModelResult
        The specifications; models without a regressor are skipped for it.
    regressors : list of str
        The coefficients to read.
    procedures : dict
        Printed name → p-value column of :func:`ruralrev.stats.regression.models.coefficient_rows`
        (e.g. ``{"WCR": "p_wild", "WCU": "p_wcu", "CV3": "p_cv3"}``).
    main : int
        Position of the main model in ``results``.
    alpha, level : float
        Significance level of the counts; coverage of the main model's cluster-jackknife interval.

    Returns
    -------
    DataFrame
        One row per regressor: ``regressor``, ``label``, ``coef`` (main model), ``low``, ``high``
        (its CV3 interval; NaN without a jackknife), ``models``, ``positive``, ``negative``,
        ``sign`` (code), ``same_sign``; for each procedure its count of significant
        specifications (column named by the procedure) and ``main_<name>`` its p in the main
        model; ``all`` (significant under every procedure) and ``main_all`` (bool: every
        procedure rejects in the main model).
    """
    if not 0 <= main < len(results):
        raise ValueError(f"main={main} is not a position in the {len(results)} results")
    rows = []
    for name in regressors:
        found = coefficient_rows(results, name)
        counted = coefficient_verdict(found, alpha, list(procedures.values()))
        head = found.iloc[main]
        jack = results[main].jackknife
        low, high = (jack.interval(name, level) if jack is not None and name in jack.params.index
                     else (np.nan, np.nan))
        row = {"regressor": name, "label": registry.label_or_name(name), "coef": head["coef"], "low": low,
               "high": high, "models": counted.n, "positive": counted.positive, "negative": counted.negative,
               "sign": counted.sign, "same_sign": counted.same_sign}
        for printed, column in procedures.items():
            row[printed] = coefficient_verdict(found, alpha, column).significant
            row[f"main_{printed}"] = head[column]
        row["all"] = counted.significant
        row["main_all"] = bool(all(head[c] < alpha for c in procedures.values()))
        rows.append(row)
    return pd.DataFrame(rows)


def against_reference(results: list[ModelResult], variable: str, level: float = 0.95) -> pd.DataFrame:
    """One coefficient in each of ``results`` beside its reference: the first model with the same
    weights (the main model, or its weighted twin).

    Returns :func:`ruralrev.stats.regression.models.coefficient_rows` (``model``, ``coef``, the p
    columns, ``nobs``, ``weights`` …) with ``low`` and ``high`` (the CV3 interval at ``level``; NaN
    without a jackknife), ``reference`` (the reference model's name) and ``share``: the
    coefficient over the reference's, 1 for the reference itself — how much of the estimate a
    control or a smaller sample leaves.
    """
    rows = coefficient_rows(results, variable)
    bounds = [r.jackknife.interval(variable, level) if r.jackknife is not None and variable in r.jackknife.params.index
              else (np.nan, np.nan) for r in results]
    rows[["low", "high"]] = bounds
    first = rows.groupby("weights", sort=False)["model"].transform("first")
    rows["reference"] = first
    rows["share"] = rows["coef"] / rows.set_index("model").loc[first, "coef"].to_numpy()
    return rows

"""Which of a model's regressors carry break flags in its years.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruralrev.data import registry
from ruralrev.data.breaks import flags as break_flags
from ruralrev.data.breaks.pooling import reversals

__all__ = ["RegressorBreaks", "regressor_breaks"]


@dataclass(frozen=True)
class RegressorBreaks:
    """The break flags of a model's regressors within its years.

    ``table``: one row per regressor (in the model's order) with ``regressor``, ``label``,
    ``flags`` (count), ``provinces`` (count), ``national`` (a flag of a national break among them),
    ``years`` (the years of change, text) and ``largest_change_pct`` (the flagged change largest on a log scale). ``flags``: the flags themselves (the rows of :func:`ruralrev.data.breaks.flags.flags_for`,
    plus ``regressor``).
    """

    table: pd.DataFrame
    flags: pd.DataFrame
    years: tuple

    @property
    def flagged(self) -> list[str]:
        """Regressors with at least one flag in the years."""
        return self.table.loc[self.table["flags"] > 0, "regressor"].tolist()

    @property
    def clean(self) -> list[str]:
        """Regressors without a flag in the years."""
        return self.table.loc[self.table["flags"] == 0, "regressor"].tolist()

    def reversals(self) -> list:
        """National-break steps of the regressors' published series that the same provinces take
        back the next year (:func:`ruralrev.data.breaks.pooling.reversals`), by series, then year. A series
        behind two regressors (a rate and its log) counts once."""

        if not len(self.flags):
            return []
        flags = self.flags.drop(columns="regressor").drop_duplicates()
        return [r for series in sorted(flags["series"].unique()) for r in reversals(flags, series)]



def regressor_breaks(regressors: list[str], years, flags: pd.DataFrame | None = None) -> RegressorBreaks:
    """Which of ``regressors`` carry break flags in ``years``, and how many.

    A flag counts for a model when the model compares years on both sides of it: the last year on
    the old footing (``year_from``) is not before the model's first year and the first on the new
    (``year_to``) not after its last (a model on 2016–2018 and 2020 spans a 2019→2020 break).

    Parameters
    ----------
    regressors : list of str
        Indicator codes (``log_`` prefixes allowed); a derived indicator inherits the flags of the
        published series in its formula (:func:`ruralrev.data.breaks.flags.flags_for`).
    years : iterable of int
        The model's years.
    flags : DataFrame, optional
        Break flags (columns of ``data/official/quality.csv``); the committed ones by default.
    """
    years = tuple(sorted(int(y) for y in years))
    rows, found = [], []
    for code in regressors:
        part = break_flags.flags_for(code, flags=flags)
        part = part[(part["year_from"] >= years[0]) & (part["year_to"] <= years[-1])].assign(regressor=code)
        found.append(part)
        change = part["change_pct"]
        log_size = np.log1p(change / 100).abs()      # on a log scale, −99 % is a larger break than +190 %
        rows.append({"regressor": code, "label": registry.column_label(code), "flags": len(part),
                     "provinces": part["province"].nunique(), "national": bool((part["rule"] == "national-break").any()),
                     "years": ", ".join(str(y) for y in sorted(set(part["year_to"]))),
                     "largest_change_pct": float(change.loc[log_size.idxmax()]) if len(part) else float("nan")})
    table = pd.DataFrame(rows)
    found_frame = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
    return RegressorBreaks(table=table, flags=found_frame, years=years)

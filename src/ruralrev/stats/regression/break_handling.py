"""Series breaks in a model's regressors, and the three ways a fixed-effects model can handle them.

The data layer flags year-on-year breaks (:mod:`ruralrev.data.breaks.flags`): a redefinition of
rural electricity use in 2020 that moves provinces in opposite directions, single-year revisions
of machinery power. Year effects absorb a break every province shares in the same proportion,
but a break that differs across provinces becomes within-province variation of the regressor that
says nothing about the outcome. :func:`specification` sets up a model under one of the ways in
:data:`HANDLING` (drop, split, keep: its Notes), :func:`break_variants` fits all three and
:func:`national_split` splits every province at national breaks.

References
----------
OECD (2003). *Quality Framework and Guidelines for OECD Statistical Activities* (coherence over
time). Perron, P. (1989). *Econometrica* 57(6), 1361–1401 (level shifts at known break dates).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ruralrev.data.breaks.regressors import regressor_breaks
from ruralrev.stats.regression import models

__all__ = ["HANDLING", "Specification", "specification", "break_variants", "national_split"]

#: The ways a fixed-effects model handles regressors with break flags, in the order
#: :func:`break_variants` fits them (what each does: :func:`specification`).
HANDLING = ("drop", "split", "keep")


@dataclass(frozen=True)
class Specification:
    """Regressors and province-effect splits of a model under one :data:`HANDLING`: the
    ``regressors`` it keeps, the flagged ones it ``dropped``, the breaks it ``split_at``
    (``province``, ``year_to``) and, for :func:`national_split`, the ``national_years`` at which
    every province is split."""

    handling: str
    regressors: list
    split_at: pd.DataFrame | None
    dropped: list
    national_years: tuple = ()

    def fit(self, panel: pd.DataFrame, outcome: str, **kwargs) -> models.ModelResult:
        """:func:`ruralrev.stats.regression.models.panel_fe` with these regressors and splits (other arguments passed on)."""
        return models.panel_fe(panel, outcome, list(self.regressors), split_at=self.split_at, **kwargs)


def specification(regressors: list[str], years, handling: str = "drop",
                  flags: pd.DataFrame | None = None) -> Specification:
    """The model's regressors and province-effect splits under ``handling`` (see :data:`HANDLING`).

    ``drop`` refuses (with a message naming the flags) when every regressor is flagged.

    Notes
    -----
    ``drop``
        leave out every regressor with a flag in the model's years (the simplest, and the default);
    ``split``
        keep every regressor and split each flagged province's fixed effect at its breaks
        (:func:`ruralrev.stats.regression.models.province_segments`), so that the level shifts are
        absorbed;
    ``keep``
        use the series as published (what the book did before the flags existed).

    Which flags count for the model's years: :func:`ruralrev.data.breaks.regressors.regressor_breaks`.
    """
    if handling not in HANDLING:
        raise ValueError(f"handling must be one of {', '.join(HANDLING)}, got {handling!r}")
    exposure = regressor_breaks(regressors, years, flags)
    if handling == "drop":
        if not exposure.clean:
            raise ValueError(f"every regressor has break flags in {exposure.years[0]}–{exposure.years[-1]} "
                             f"({', '.join(regressors)}): choose handling 'split' or 'keep', or other regressors")
        return Specification("drop", exposure.clean, None, exposure.flagged)
    if handling == "split" and exposure.flagged:
        splits = exposure.flags[["province", "year_to"]].drop_duplicates().reset_index(drop=True)
        return Specification("split", list(regressors), splits, [])
    return Specification(handling, list(regressors), None, [])


def break_variants(panel: pd.DataFrame, outcome: str, regressors: list[str], flags: pd.DataFrame | None = None,
                   **kwargs) -> list[models.ModelResult]:
    """The same fixed-effects model under every :data:`HANDLING`, named by it (", weighted" added
    with ``weights``), in the order drop, split, keep. ``kwargs`` go to :func:`ruralrev.stats.regression.models.panel_fe`; its ``years`` (all the panel's
    years when absent) also decide which flags count."""
    years = kwargs.get("years")
    years = sorted(panel["year"].unique()) if years is None else years
    names = {"drop": "flagged regressors dropped", "split": "province effects split at breaks",
             "keep": "all regressors as published"}
    suffix = ", weighted" if kwargs.get("weights") else ""
    return [specification(regressors, years, handling, flags).fit(panel, outcome, name=names[handling] + suffix,
                                                                  **kwargs)
            for handling in HANDLING]


def national_split(regressors: list[str], years, provinces, flags: pd.DataFrame | None = None) -> Specification:
    """The ``split`` specification with every province — not only the flagged ones — split in each
    year that closes a *national* break (rule ``national-break``, e.g. the 2020 redefinition of
    rural electricity use, which moved the country total). A national redefinition changes every
    province's series, flagged or not; this variant lets the fixed effects absorb it everywhere."""
    exposure = regressor_breaks(regressors, years, flags)
    own = exposure.flags[["province", "year_to"]] if len(exposure.flags) else pd.DataFrame(columns=["province", "year_to"])
    national = sorted(set(exposure.flags.loc[exposure.flags["rule"] == "national-break", "year_to"])) \
        if len(exposure.flags) else []
    everywhere = pd.DataFrame([(p, y) for p in provinces for y in national], columns=["province", "year_to"])
    splits = pd.concat([own, everywhere], ignore_index=True).drop_duplicates().reset_index(drop=True)
    return Specification("split", list(regressors), splits if len(splits) else None, [],
                         national_years=tuple(int(y) for y in national))

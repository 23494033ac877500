r"""The composition effect: how the rural/all-residents income ratio moves with urbanization alone.

All-residents per-capita income is a weighted mean of the urban and rural figures, so the ratio of
rural to all-residents income changes when the urban share changes even if neither urban nor
rural income does. A regression of the ratio on the urbanization rate picks up this accounting
term besides anything urbanization does to incomes. :func:`composition_effect` computes its size
province by province where the official urban income exists (the derivation in its Notes), and
:func:`mix_test` and :func:`compare` set a regression coefficient beside it.

References
----------
Kuznets, S. (1955). Economic growth and income inequality. *American Economic Review* 45(1),
1–28 (the shift of population between a rural and an urban sector as a force on aggregate
figures at unchanged sector incomes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruralrev.stats.regression import models

__all__ = ["MixTest", "mix_test", "ratio_derivative", "CompositionEffect", "composition_effect", "compare"]


def ratio_derivative(rural, urban, all_income) -> np.ndarray:
    r""":math:`\partial (y_r/y_a)/\partial s = -y_r (y_u - y_r)/y_a^2` at fixed urban and rural income
    (per unit of the urban share *s*; divide by 100 for a percentage point)."""
    rural, urban, all_income = (np.asarray(v, dtype=float) for v in (rural, urban, all_income))
    if (all_income <= 0).any() or (rural <= 0).any():
        raise ValueError("incomes must be positive")
    return -rural * (urban - rural) / all_income ** 2


@dataclass(frozen=True)
class CompositionEffect:
    """Result of :func:`composition_effect`.

    ``rows``: one row per province-year with official urban income — ``province``, ``year``,
    ``rural``, ``urban``, ``all``, ``ratio`` (rural / all), ``survey_urban_share`` (per cent,
    :math:`100\\,(y_a-y_r)/(y_u-y_r)`), ``urbanization_rate`` (per cent), ``effect`` (the
    derivative at the survey's mix, per percentage point) and ``effect_resident`` (at
    resident-population shares). ``mean`` is the mean ``effect``; ``weighted_mean`` weights it by
    ``weight`` (when given); ``low`` and ``high`` span both evaluations over all rows.
    """

    rows: pd.DataFrame
    mean: float
    weighted_mean: float
    low: float
    high: float
    weight: str | None
    resident_mean: float = float("nan")            # mean ``effect_resident``
    resident_weighted_mean: float = float("nan")   # its mean weighted by ``weight``

    @property
    def n(self) -> int:
        """Province-years with an official urban income."""
        return len(self.rows)

    @property
    def years(self) -> tuple:
        """The years with an official urban income."""
        return tuple(sorted(int(y) for y in self.rows["year"].unique()))


def composition_effect(panel: pd.DataFrame, weight: str | None = None, years=None,
                       urban: str = "urban_income") -> CompositionEffect:
    r"""The composition effect of urbanization on the rural/all-residents income ratio, per
    percentage point, for every province-year with an official urban income (see the Notes).

    Parameters
    ----------
    panel : DataFrame
        Province panel with ``rural_income``, ``all_income``, ``urbanization_rate`` (per cent) and
        the official urban income in column ``urban`` (missing where not published; never estimated).
    weight : str, optional
        Column weighting the mean effect (e.g. ``rural_population``, as in a weighted regression).
    years : iterable of int, optional
        Restrict to these years.

    Notes
    -----
    All-residents per-capita income is a weighted mean of the urban and rural figures,

    .. math:: y_a = s\,y_u + (1-s)\,y_r,

    with *s* the urban share of the household survey's weights (close to, but not equal to, the
    urban share of resident population: :func:`ruralrev.data.official.urban_income_share_estimate`). The ratio
    :math:`R = y_r / y_a` therefore changes when *s* changes even if neither urban nor rural income
    does:

    .. math::

        \left.\frac{\partial R}{\partial s}\right|_{y_u,\,y_r}
        = -\frac{y_r\,(y_u - y_r)}{y_a^2} = -R\,\frac{y_u - y_r}{y_a},

    negative whenever urban income exceeds rural income. A regression of *R* on the urbanization rate
    picks up this accounting term besides anything urbanization does to incomes; this function computes
    its size province by province (per percentage point of urbanization, i.e. divided by 100) where the
    official urban income exists, to set beside a coefficient.

    Two evaluations: at the survey's own mix (the observed :math:`y_a`, which needs no *s*) and at
    resident-population shares (:math:`y_a` rebuilt with *s* = urbanization rate / 100). They differ
    by how far the survey weights are from the population shares.
    """
    chosen = panel if years is None else panel[panel["year"].isin(list(years))]
    columns = ["province", "year", "rural_income", urban, "all_income", "urbanization_rate"] + ([weight] if weight else [])
    frame = chosen[columns].dropna().reset_index(drop=True)
    if frame.empty:
        raise ValueError(f"no province-year has an official {urban} in the chosen years")
    y_r, y_u, y_a = frame["rural_income"], frame[urban], frame["all_income"]
    share = frame["urbanization_rate"] / 100
    resident_all = share * y_u + (1 - share) * y_r
    rows = pd.DataFrame({
        "province": frame["province"], "year": frame["year"].astype(int),
        "rural": y_r, "urban": y_u, "all": y_a, "ratio": y_r / y_a,
        "survey_urban_share": 100 * (y_a - y_r) / (y_u - y_r),
        "urbanization_rate": frame["urbanization_rate"],
        "effect": ratio_derivative(y_r, y_u, y_a) / 100,
        "effect_resident": ratio_derivative(y_r, y_u, resident_all) / 100,
    })
    weighted = float(np.average(rows["effect"], weights=frame[weight])) if weight else float("nan")
    resident_weighted = float(np.average(rows["effect_resident"], weights=frame[weight])) if weight else float("nan")
    both = rows[["effect", "effect_resident"]].to_numpy()
    return CompositionEffect(rows=rows, mean=float(rows["effect"].mean()), weighted_mean=weighted,
                             low=float(both.min()), high=float(both.max()), weight=weight,
                             resident_mean=float(rows["effect_resident"].mean()),
                             resident_weighted_mean=resident_weighted)


@dataclass(frozen=True)
class MixTest:
    """Tests of H0: coefficient = composition effect (:func:`mix_test`), one per evaluation of the
    effect and per procedure: ``nulls`` (evaluation → hypothesised value), ``pvalues``
    (evaluation → {procedure → p}), ``zero_pvalues`` (procedure → p of H0: coefficient = 0),
    ``procedures`` (their short names: ``("WCR", "WCU", "CV3")`` with a bootstrap, ``("normal",)``
    without), ``reps`` (bootstrap draws, 0 without) and the ``verdict`` as a code: ``"above"``,
    ``"below"``, ``"includes"`` or ``"neither"`` (see :func:`mix_test`). Numbers and codes only;
    the page says what they mean."""

    coef: float
    nulls: dict
    pvalues: dict
    zero_pvalues: dict
    procedures: tuple
    reps: int
    verdict: str

    def rejecting(self, alpha: float = 0.05) -> dict:
        """Evaluation → the procedures that reject H0: coefficient = that evaluation at ``alpha``."""
        return {what: [name for name, p in ps.items() if p < alpha] for what, ps in self.pvalues.items()}

    def rejecting_zero(self, alpha: float = 0.05) -> list:
        """The procedures that reject H0: coefficient = 0 at ``alpha``."""
        return [name for name, p in self.zero_pvalues.items() if p < alpha]

    def counts(self, alpha: float = 0.05) -> dict:
        """How many procedures reject at ``alpha``: evaluation → count, and ``"zero"`` → count
        against zero; ``"of"`` → the number of procedures."""
        found = {what: len(names) for what, names in self.rejecting(alpha).items()}
        return found | {"zero": len(self.rejecting_zero(alpha)), "of": len(self.procedures)}


def mix_test(result, variable: str, effects: dict[str, float], reps: int = 9999, seed: int = 20261123,
             alpha: float = 0.05) -> MixTest:
    r"""Test :math:`H_0\colon\beta = m` for each evaluation *m* of the composition effect, by every
    small-cluster procedure.

    With a bootstrap (``reps > 0``) and clustered errors, three procedures as for the model's own
    coefficients: the wild cluster restricted (WCR) and unrestricted (WCU) bootstraps of the fitted
    fixed-effects model (:func:`ruralrev.stats.regression.models.wild_test`) and the cluster jackknife,
    :math:`t = (\hat\beta - m)/\mathrm{se}_{CV3}` on :math:`t(G-1)`; otherwise the normal
    approximation :math:`2\Phi(-|\hat\beta - m|/\mathrm{se}(\hat\beta))`. The verdict follows the
    rule for significance: "above" or "below" only when every procedure rejects every evaluation
    at ``alpha`` on the same side; otherwise "includes" if every procedure rejects
    :math:`\beta = 0` (the coefficient is told apart from zero but not from the composition
    effect), else "neither" (the data tell the coefficient apart from neither).

    References
    ----------
    MacKinnon, J. G., Nielsen, M. Ø. and Webb, M. D. (2023). Cluster-robust inference: A guide to
    empirical practice. *Journal of Econometrics* 232(2), 272–299.
    """
    from scipy import stats

    coef, se = float(result.params[variable]), float(result.se[variable])
    if reps and result.wild is not None:
        cv3 = lambda m: float(result.jackknife.pvalue(variable, m))  # noqa: E731
        pvalues = {k: {"WCR": float(models.wild_test(result, variable, m, reps, seed).pvalues[variable]),
                       "WCU": float(models.wild_test(result, variable, m, reps, seed,
                                                     impose_null=False).pvalues[variable]),
                       "CV3": cv3(m)} for k, m in effects.items()}
        zero = {"WCR": float(result.wild.pvalues[variable]),
                "WCU": float(result.wild_unrestricted.pvalues[variable]), "CV3": cv3(0.0)}
    else:
        normal = lambda m: float(2 * stats.norm.sf(abs(coef - m) / se))  # noqa: E731
        pvalues = {k: {"normal": normal(m)} for k, m in effects.items()}
        zero = {"normal": normal(0.0)}
    sides = {np.sign(coef - m) for m in effects.values()}
    if max(p for ps in pvalues.values() for p in ps.values()) < alpha and len(sides) == 1:
        verdict = "above" if sides == {1.0} else "below"
    else:
        verdict = "includes" if max(zero.values()) < alpha else "neither"
    bootstrapped = bool(reps and result.wild is not None)
    return MixTest(coef=coef, nulls=dict(effects), pvalues=pvalues, zero_pvalues=zero,
                   procedures=tuple(zero), reps=int(reps) if bootstrapped else 0, verdict=verdict)


def compare(effect: float, coef: float, se: float, z: float = 1.96) -> str:
    r"""Where a regression coefficient's interval :math:`\hat b \pm z\,\mathrm{se}` lies relative to
    the composition effect: ``"above"`` (the whole interval above it: the ratio fell by less than
    the population mix alone implies, or rose), ``"below"`` (it fell by more) or ``"includes"``
    (the estimate cannot be told apart from the mix alone)."""
    low, high = coef - z * se, coef + z * se
    if low > effect:
        return "above"
    if high < effect:
        return "below"
    return "includes"

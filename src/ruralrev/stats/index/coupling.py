"""Coupling coordination of two subsystem scores (classic and corrected) and its ten bands."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["COORDINATION_BANDS", "coupling_coordination", "coordination_band"]

#: The ten-band classification of the coupling coordination degree D (lower bound, name).
COORDINATION_BANDS = [
    (0.0, "extreme imbalance"), (0.1, "serious imbalance"), (0.2, "moderate imbalance"),
    (0.3, "mild imbalance"), (0.4, "near imbalance"), (0.5, "barely coordinated"),
    (0.6, "primary coordination"), (0.7, "intermediate coordination"), (0.8, "good coordination"),
    (0.9, "high-quality coordination"),
]


def coupling_coordination(u1, u2, alpha: float = 0.5, corrected: bool = True) -> pd.DataFrame:
    r"""Coupling degree C, comprehensive index T and coupling coordination degree D of two subsystems.

    Classic model: :math:`C = 2\sqrt{U_1U_2}/(U_1+U_2)`. Corrected model of Wang et al. (2021)
    for two subsystems:

    .. math:: C = \sqrt{\left[1 - |U_2 - U_1|\right]\,\frac{\min(U_1,U_2)}{\max(U_1,U_2)}}

    which, unlike the classic C, falls as the subsystems grow apart in absolute terms. Then
    :math:`T = \alpha U_1 + (1-\alpha) U_2` and :math:`D = \sqrt{C\,T}`. Subsystem scores must
    lie in [0, 1].

    References
    ----------
    Wang, S., Kong, W., Ren, L., Zhi, D. and Dai, B. (2021). Research on misuses and modification
    of coupling coordination degree model in China. *Journal of Natural Resources* 36(3), 793–810.
    """
    u1, u2 = np.asarray(u1, dtype=float), np.asarray(u2, dtype=float)
    if ((u1 < 0) | (u1 > 1) | (u2 < 0) | (u2 > 1)).any():
        raise ValueError("subsystem scores must lie in [0, 1]")
    if not 0 <= alpha <= 1:
        raise ValueError("alpha must lie in [0, 1]")
    low, high = np.minimum(u1, u2), np.maximum(u1, u2)
    with np.errstate(invalid="ignore", divide="ignore"):
        if corrected:
            ratio = np.where(high > 0, low / np.where(high > 0, high, 1), 1.0)
            c = np.sqrt((1 - (high - low)) * ratio)
        else:
            c = np.where(u1 + u2 > 0, 2 * np.sqrt(u1 * u2) / np.where(u1 + u2 > 0, u1 + u2, 1), 1.0)
    t = alpha * u1 + (1 - alpha) * u2
    d = np.sqrt(c * t)
    return pd.DataFrame({"C": c, "T": t, "D": d, "band": [coordination_band(x) for x in d]})


def coordination_band(d: float) -> str:
    """Name of the ten-band class of a coupling coordination degree D in [0, 1]."""
    if not 0 <= d <= 1:
        raise ValueError(f"D must lie in [0, 1], got {d}")
    name = COORDINATION_BANDS[0][1]
    for lower, label in COORDINATION_BANDS:
        if d >= lower:
            name = label
    return name


"""Figures of regressions: coefficients across specifications, diagnostics of a cross-section.
"""

from __future__ import annotations

import numpy as np

from ruralrev.present.style import OKABE_ITO, label_points, set_book_style

__all__ = ["plot_coefficients", "plot_regression_diagnostics"]


def plot_coefficients(rows, xlabel: str, title: str, alpha: float = 0.05):
    """One coefficient across specifications: estimate and 95 % interval (± 1.96 clustered s.e.),
    one row per model; filled markers where the wild bootstrap p-value is below ``alpha``.

    ``rows`` is the output of :func:`ruralrev.stats.regression.models.coefficient_rows`.
    """
    import matplotlib.pyplot as plt

    set_book_style()
    rows = rows.iloc[::-1].reset_index(drop=True)           # first model on top
    fig, ax = plt.subplots(figsize=(7, 0.42 * len(rows) + 1.6))
    position = np.arange(len(rows))
    ax.errorbar(rows["coef"], position, xerr=1.96 * rows["se"], fmt="none", ecolor=OKABE_ITO[0], capsize=3)
    significant = (rows["p_wild"] < alpha).to_numpy()
    ax.scatter(rows["coef"][significant], position[significant], color=OKABE_ITO[0], zorder=3, s=30,
               label=f"wild bootstrap p < {alpha:g}")
    ax.scatter(rows["coef"][~significant], position[~significant], facecolor="white", edgecolor=OKABE_ITO[0],
               zorder=3, s=30, label=f"wild bootstrap p ≥ {alpha:g}")
    ax.axvline(0, color="0.4", linewidth=0.8, linestyle="--")
    ax.set_yticks(position, rows["model"])
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left", fontsize=11)
    fig.legend(*ax.get_legend_handles_labels(), frameon=False, fontsize=8, loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig



def plot_regression_diagnostics(frame, outcome: str, label_top: int = 5):
    """Residuals against fitted values, and studentized residuals against leverage (influence).

    ``frame`` is ``ModelResult.data`` of a cross-section; the ``label_top`` provinces with the
    largest Cook's distance are named in both panels.
    """
    import matplotlib.pyplot as plt

    set_book_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8))
    top = frame.nlargest(label_top, "cooks_distance")
    left.scatter(frame["fitted"], frame["residual"], color=OKABE_ITO[0], s=18)
    left.axhline(0, color="#444444", linewidth=0.8)
    left.set_xlabel(f"Fitted {outcome}")
    left.set_ylabel("Residual (outcome units)")
    left.set_title("Residuals vs fitted", loc="left", fontsize=10)
    sizes = 20 + 400 * frame["cooks_distance"] / max(frame["cooks_distance"].max(), 1e-12)
    right.scatter(frame["leverage"], frame["studentized"], s=sizes, color=OKABE_ITO[1], alpha=0.7)
    right.axhline(0, color="#444444", linewidth=0.8)
    right.set_xlabel("Leverage (hat value)")
    right.set_ylabel("Studentized residual")
    right.set_title("Influence (size = Cook's distance)", loc="left", fontsize=10)
    fig.tight_layout()
    named = frame["province"].where(frame.index.isin(top.index), "")
    for ax, (xcol, ycol) in [(left, ("fitted", "residual")), (right, ("leverage", "studentized"))]:
        label_points(ax, frame[xcol], frame[ycol], named, priority=frame["cooks_distance"])
    return fig

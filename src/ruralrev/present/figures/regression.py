"""Figures of regressions: coefficients across specifications, diagnostics of a cross-section.
"""

from __future__ import annotations

import numpy as np

import textwrap

from ruralrev.present.style import OKABE_ITO, WIDTH, book_figure, finish, label_axes, label_points

__all__ = ["plot_coefficients", "plot_regression_diagnostics"]


def plot_coefficients(rows, xlabel: str, title: str, alpha: float = 0.05):
    """One coefficient across specifications: estimate and 95 % interval, one row per model;
    filled markers where the wild bootstrap p-value is below ``alpha``. The interval is the
    ``low``–``high`` columns when ``rows`` has them (e.g. the cluster jackknife's), else
    ± 1.96 clustered s.e.

    ``rows`` is the output of :func:`ruralrev.stats.regression.models.coefficient_rows`. Model
    names wrap at 22 characters so that the intervals keep most of a phone's width.
    """
    rows = rows.iloc[::-1].reset_index(drop=True)           # first model on top
    names = ["\n".join(textwrap.wrap(str(name), 22)) for name in rows["model"]]
    fig, ax = book_figure(height=0.19 * sum(name.count("\n") + 1 for name in names) + 0.12 * len(rows) + 1.5)
    position = np.arange(len(rows))
    if {"low", "high"} <= set(rows.columns):
        xerr = np.vstack([rows["coef"] - rows["low"], rows["high"] - rows["coef"]])
    else:
        xerr = 1.96 * rows["se"]
    ax.errorbar(rows["coef"], position, xerr=xerr, fmt="none", ecolor=OKABE_ITO[0], capsize=3)
    significant = (rows["p_wild"] < alpha).to_numpy()
    ax.scatter(rows["coef"][significant], position[significant], color=OKABE_ITO[0], zorder=3, s=30,
               label=f"wild bootstrap p < {alpha:g}")
    ax.scatter(rows["coef"][~significant], position[~significant], facecolor="white", edgecolor=OKABE_ITO[0],
               zorder=3, s=30, label=f"wild bootstrap p ≥ {alpha:g}")
    ax.axvline(0, color="0.4", linewidth=0.8, linestyle="--")
    ax.set_yticks(position, names)
    label_axes(ax, title, xlabel)
    fig.legend(*ax.get_legend_handles_labels(), frameon=False, loc="lower center", ncol=2, columnspacing=1.0)
    finish(fig, rect=(0, 0.35 / fig.get_figheight(), 1, 1))
    return fig



def plot_regression_diagnostics(frame, outcome: str, label_top: int = 5):
    """Residuals against fitted values, and studentized residuals against leverage (influence).

    ``frame`` is ``ModelResult.data`` of a cross-section; the ``label_top`` provinces with the
    largest Cook's distance are named in both panels. The panels are stacked (residuals on top).
    """
    fig, (left, right) = book_figure(2, 1, height=1.3 * WIDTH)
    top = frame.nlargest(label_top, "cooks_distance")
    left.scatter(frame["fitted"], frame["residual"], color=OKABE_ITO[0], s=18)
    left.axhline(0, color="#444444", linewidth=0.8)
    label_axes(left, xlabel=f"Fitted {outcome}")
    left.set_ylabel("Residual (outcome units)")
    left.set_title("Residuals vs fitted", loc="left")
    sizes = 20 + 400 * frame["cooks_distance"] / max(frame["cooks_distance"].max(), 1e-12)
    right.scatter(frame["leverage"], frame["studentized"], s=sizes, color=OKABE_ITO[1], alpha=0.7)
    right.axhline(0, color="#444444", linewidth=0.8)
    right.set_xlabel("Leverage (hat value)")
    right.set_ylabel("Studentized residual")
    right.set_title("Influence (size = Cook's distance)", loc="left")
    finish(fig)
    named = frame["province"].where(frame.index.isin(top.index), "")
    for ax, (xcol, ycol) in [(left, ("fitted", "residual")), (right, ("leverage", "studentized"))]:
        label_points(ax, frame[xcol], frame[ycol], named, priority=frame["cooks_distance"])
    return fig

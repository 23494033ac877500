"""Figures of inequality and convergence: decompositions by year, group means, β-convergence.
"""

from __future__ import annotations

import numpy as np

from ruralrev.present.style import (
    OKABE_ITO,
    REGION_COLOURS,
    label_points,
    set_book_style,
)

__all__ = ["plot_beta_convergence", "plot_decomposition", "plot_group_means"]


def plot_decomposition(series, title: str):
    """Theil T split into between- and within-group parts over time (stacked), with the Gini.

    ``series`` is the output of :func:`ruralrev.stats.inequality.by_group.decomposition_series`.
    """
    import matplotlib.pyplot as plt

    set_book_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    left.stackplot(series["year"], series["theil_between"], series["theil_within"],
                   labels=["between groups", "within groups"], colors=OKABE_ITO[:2], alpha=0.9)
    left.set_ylabel("Theil T (index, 0 = equality)")
    left.set_xlabel("Year")
    left.legend(loc="upper right", frameon=False, fontsize=8)
    left.set_title("Theil T", loc="left", fontsize=10)
    right.stackplot(series["year"], series["gini_within"], series["gini_net_between"],
                    series["gini_transvariation"], labels=["within", "net between", "transvariation"],
                    colors=OKABE_ITO[:3], alpha=0.9)
    right.set_ylabel("Gini (index, 0 = equality)")
    right.set_xlabel("Year")
    right.legend(loc="upper right", frameon=False, fontsize=8)
    right.set_title("Dagum Gini", loc="left", fontsize=10)
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    fig.tight_layout()
    return fig



def plot_group_means(means, unit: str, title: str):
    """Weighted group means over time, one line per group (regions in their fixed colours)."""
    import matplotlib.pyplot as plt

    set_book_style()
    fig, ax = plt.subplots(figsize=(7, 3.8))
    markers = ["o", "s", "^", "D", "v", "P"]
    for index, group in enumerate(means.columns):
        colour = REGION_COLOURS.get(group, OKABE_ITO[index % len(OKABE_ITO)])
        ax.plot(means.index, means[group], marker=markers[index % len(markers)], color=colour, label=group)
    ax.set_xlabel("Year")
    ax.set_ylabel(unit)
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig



def _beta_points(result):
    """Initial log level and growth of each province from a β-convergence result."""
    frame = getattr(result, "data", None)
    if frame is not None and {"log_initial", "growth"} <= set(frame.columns):
        return frame["log_initial"].to_numpy(float), frame["growth"].to_numpy(float)
    data = result.result.model.data
    return data.orig_exog["log_initial"].to_numpy(float), np.asarray(data.orig_endog, float)



def plot_beta_convergence(result, labels, title: str, unit: str = "yuan"):
    """Growth against the initial log level, one point per province, with the OLS line.

    ``unit`` is the unit of the variable (the x axis shows its log).

    Provinces are named where a label fits without overlap, those farthest from the fitted
    line and at the ends of the initial level first (:func:`label_points`).
    """
    import matplotlib.pyplot as plt

    set_book_style()
    x, y = _beta_points(result)
    fig, ax = plt.subplots(figsize=(7, 4.8))
    ax.scatter(x, y, color=OKABE_ITO[0], s=18, zorder=3)
    grid = np.linspace(x.min(), x.max(), 50)
    params = result.result.params
    if list(params.index) == ["const", "log_initial"]:
        ax.plot(grid, params["const"] + result.beta * grid, color=OKABE_ITO[5])
        residual = np.abs(y - (params["const"] + result.beta * x))
    else:
        residual = np.abs(y - y.mean())
    spread = (x - np.median(x)) / (x.std() or 1.0)
    ax.margins(x=0.12, y=0.1)
    label_points(ax, x, y, labels, priority=residual / (residual.std() or 1.0) + np.abs(spread))
    ax.set_xlabel(f"Log of the initial value (log {unit})")
    ax.set_ylabel("Growth over the period (log points)")
    ax.set_title(title, loc="left", fontsize=11)
    fig.tight_layout()
    return fig

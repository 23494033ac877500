"""Figures of inequality and convergence: decompositions by year, group means, β-convergence.
"""

from __future__ import annotations

import numpy as np

from ruralrev.present.style import (
    OKABE_ITO,
    REGION_COLOURS,
    WIDTH,
    book_figure,
    finish,
    label_axes,
    label_points,
    suptitle,
)

__all__ = ["plot_beta_convergence", "plot_decomposition", "plot_group_means"]


def plot_decomposition(series, title: str, groups: str = "groups", members: str | None = None):
    """Theil T split into between- and within-group parts over time (stacked, top), with the
    Dagum decomposition of the Gini (bottom).

    ``series`` is the output of :func:`ruralrev.stats.inequality.by_group.decomposition_series`.
    ``groups`` names the groups in the legends ("regions"); with ``members`` ("provinces") the
    within part reads "between provinces within regions".
    """
    fig, (left, right) = book_figure(2, 1, height=1.25 * WIDTH, sharex=True)
    within = f"between {members} within {groups}" if members else f"within {groups}"
    left.stackplot(series["year"], series["theil_between"], series["theil_within"],
                   labels=[f"between {groups}", within], colors=OKABE_ITO[:2], alpha=0.9)
    left.set_ylabel("Theil T (index)")
    named = groups != "groups" or members is not None   # longer legend labels: one a row, at the right
    left.set_ylim(0, (1.45 if named else 1.3) * left.get_ylim()[1])   # headroom for the legend above the areas
    left.legend(loc="upper right" if named else "upper left", ncol=1 if named else 2, frameon=False,
                columnspacing=1.0)
    left.set_title("Theil T (0 = equality)", loc="left", fontsize="medium")
    right.stackplot(series["year"], series["gini_within"], series["gini_net_between"],
                    series["gini_transvariation"],
                    labels=(["within", "net between", "transvariation"] if groups == "groups" and not members
                            else [within, f"net between {groups}", "transvariation"]),
                    colors=OKABE_ITO[:3], alpha=0.9)
    right.set_ylabel("Gini (index)")
    right.set_xlabel("Year")
    right.set_ylim(0, (1.6 if named else 1.3) * right.get_ylim()[1])
    right.legend(loc="upper right" if named else "upper left", ncol=1 if named else 3, frameon=False,
                 columnspacing=1.0, handlelength=1.2, handletextpad=0.4)
    right.set_title("Dagum Gini (0 = equality)", loc="left", fontsize="medium")
    suptitle(fig, title)
    finish(fig)
    return fig



def plot_group_means(means, unit: str, title: str, legend_loc="best"):
    """Weighted group means over time, one line per group (regions in their fixed colours); the
    legend at ``legend_loc``: a Matplotlib location, or the (x, y) of its lower left corner in
    axes coordinates."""
    fig, ax = book_figure()
    markers = ["o", "s", "^", "D", "v", "P"]
    for index, group in enumerate(means.columns):
        colour = REGION_COLOURS.get(group, OKABE_ITO[index % len(OKABE_ITO)])
        ax.plot(means.index, means[group], marker=markers[index % len(markers)], color=colour, label=group)
    label_axes(ax, title, "Year", unit)
    ax.legend(frameon=False, loc=legend_loc)
    finish(fig)
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
    line and at the ends of the initial level first (:func:`label_points`). The scatter and line
    are seaborn's ``regplot`` when the model is the bivariate OLS (its line is then the model's
    least-squares line); otherwise the points alone.
    """
    import seaborn as sns

    x, y = _beta_points(result)
    fig, ax = book_figure(height=0.9 * WIDTH)
    params = result.result.params
    bivariate = list(params.index) == ["const", "log_initial"]
    sns.regplot(x=x, y=y, ax=ax, ci=None, fit_reg=bivariate, color=OKABE_ITO[0], truncate=True,
                scatter_kws={"s": 18, "zorder": 3}, line_kws={"color": OKABE_ITO[5]})
    if bivariate:
        residual = np.abs(y - (params["const"] + result.beta * x))
    else:
        residual = np.abs(y - y.mean())
    spread = (x - np.median(x)) / (x.std() or 1.0)
    ax.margins(x=0.12, y=0.1)
    label_points(ax, x, y, labels, priority=residual / (residual.std() or 1.0) + np.abs(spread))
    label_axes(ax, title, f"Log of the initial value (log {unit})", "Growth over the period (log points)")
    finish(fig)
    return fig

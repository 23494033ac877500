"""Figures of the digital-countryside chapter: national broadband rates, flagged province paths, a
scatter with its fitted line. Same style as :mod:`ruralrev.present.figures.papers` (opaque white, Okabe–Ito colours,
marker shapes as well as colours, labelled axes with units)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ruralrev.present.style import OKABE_ITO, WIDTH, book_figure, finish, label_axes, label_points, suptitle

__all__ = ["plot_national_broadband", "plot_flagged_paths", "plot_scatter_fit"]

#: Marker of each kind of flagged change (ruralrev.chapters.digital.broadband.broadband_flag_kinds).
KIND_MARKERS = {"offset by urban": "X", "same direction": "o"}


def plot_national_broadband(series: pd.DataFrame, title: str):
    """Top: national urban and rural subscriptions per 100 residents of each class, by year;
    bottom: their ratio (urban over rural). ``series`` is :func:`ruralrev.chapters.digital.broadband.national_series`."""
    fig, (left, right) = book_figure(2, 1, height=1.2 * WIDTH, sharex=True)
    left.plot(series["year"], series["urban_per_100"], marker="s", color=OKABE_ITO[1], label="urban")
    left.plot(series["year"], series["rural_per_100"], marker="o", color=OKABE_ITO[0], label="rural")
    left.set_ylabel("Per 100 residents")
    left.set_ylim(bottom=0)
    left.legend(frameon=False)
    left.set_title("Fixed-broadband subscriptions", loc="left", fontsize="medium")
    right.plot(series["year"], series["urban_rural_ratio"], marker="D", color=OKABE_ITO[5])
    right.axhline(1, color="#444444", linewidth=0.8, linestyle=":")
    right.set_ylabel("Urban / rural (ratio)")
    right.set_ylim(bottom=0)
    right.set_title("The gap (1 = none)", loc="left", fontsize="medium")
    right.set_xlabel("Year")
    suptitle(fig, title)
    finish(fig)
    return fig


def plot_flagged_paths(panel: pd.DataFrame, kinds: pd.DataFrame, code: str, other: str, unit: str,
                       ncols: int = 3, title: str | None = None):
    """Small multiples, one per province with a flagged change: ``code`` (solid) and ``other``
    (dashed grey) by year; each flagged change drawn thick in vermillion, its end marked by the
    kind of change (cross: offset by the other class; circle: same direction).

    ``kinds`` is :func:`ruralrev.chapters.digital.broadband.broadband_flag_kinds`; ``title``, if
    given, goes above the legend.
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    provinces = sorted(kinds["province"].unique())
    nrows = -(-len(provinces) // ncols)
    legend_height = 0.9
    title_height = 0.5 if title else 0.0
    legend_height -= 0.3 if title else 0.0   # the province titles leave room enough below the legend
    fig, axes = book_figure(nrows, ncols, height=1.35 * nrows + legend_height + title_height + 0.3, sharex=True,
                            sharey=True, squeeze=False)
    flat = axes.ravel()
    for ax, province in zip(flat, provinces):
        path = panel[panel["province"] == province].sort_values("year").set_index("year")
        ax.plot(path.index, path[other], color="#888888", linestyle="--", linewidth=1)
        ax.plot(path.index, path[code], color=OKABE_ITO[0], linewidth=1.3)
        for flag in kinds[kinds["province"] == province].itertuples():
            years = [flag.year_from, flag.year_to]
            ax.plot(years, path.loc[years, code], color=OKABE_ITO[5], linewidth=2.6)
            ax.plot(flag.year_to, path.loc[flag.year_to, code], marker=KIND_MARKERS[flag.kind], color=OKABE_ITO[5],
                    markersize=6, linestyle="none")
        ax.set_title(province, loc="left", fontsize="medium")
        ax.xaxis.set_major_locator(MaxNLocator(2, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(3))
    for ax in flat[len(provinces):]:
        ax.set_axis_off()
    for row in axes:
        row[0].set_ylabel(unit if len(unit) < 14 else "per 100")
    handles = [Line2D([], [], color=OKABE_ITO[0], label="rural"),
               Line2D([], [], color="#888888", linestyle="--", label="urban"),
               Line2D([], [], color=OKABE_ITO[5], marker="X", linewidth=2.6, label="flagged, offset by urban"),
               Line2D([], [], color=OKABE_ITO[5], marker="o", linewidth=2.6, label="flagged, same direction")]
    # laid out first, so that tight_layout does not reserve the title's room a second time
    finish(fig, rect=(0, 0, 1, 1 - (legend_height + title_height) / fig.get_figheight()))
    if title:
        suptitle(fig, title)
    fig.legend(handles=handles, loc="upper left", ncol=2, frameon=False,
               bbox_to_anchor=(0.0, 1.0 - title_height / fig.get_figheight()), columnspacing=1.0, handlelength=1.8)
    return fig


def plot_scatter_fit(frame: pd.DataFrame, x: str, y: str, xlabel: str, ylabel: str, title: str,
                     params: pd.Series | None = None):
    """One point per province (``frame`` has ``province``, ``x``, ``y``), named where a label fits,
    with the fitted line ``params["const"] + params[x] · x`` when ``params`` is given.

    Drawn with seaborn's ``regplot``: with ``params`` of a bivariate OLS (``const`` and ``x``) its
    least-squares line is the model's line; with other ``params`` the model's line is drawn instead.
    """
    import seaborn as sns

    fig, ax = book_figure(height=0.9 * WIDTH)
    xs, ys = frame[x].to_numpy(float), frame[y].to_numpy(float)
    bivariate = params is not None and set(params.index) == {"const", x}
    sns.regplot(x=xs, y=ys, ax=ax, ci=None, fit_reg=bivariate, color=OKABE_ITO[0], truncate=True,
                scatter_kws={"s": 20, "zorder": 3}, line_kws={"color": OKABE_ITO[5]})
    priority = None
    if params is not None:
        if not bivariate:
            grid = np.linspace(xs.min(), xs.max(), 50)
            ax.plot(grid, params["const"] + params[x] * grid, color=OKABE_ITO[5])
        residual = np.abs(ys - (params["const"] + params[x] * xs))
        priority = residual / (residual.std() or 1.0) + np.abs(xs - np.median(xs)) / (xs.std() or 1.0)
    ax.margins(x=0.12, y=0.1)
    label_points(ax, xs, ys, frame["province"].tolist(), priority=priority)
    label_axes(ax, title, xlabel, ylabel)
    finish(fig)
    return fig

"""Figures of the digital-countryside chapter: national broadband rates, flagged province paths, a
scatter with its fitted line. Same style as :mod:`ruralrev.present.figures.papers` (opaque white, Okabe–Ito colours,
marker shapes as well as colours, labelled axes with units)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ruralrev.present.style import OKABE_ITO, label_points, set_book_style

__all__ = ["plot_national_broadband", "plot_flagged_paths", "plot_scatter_fit"]

#: Marker of each kind of flagged change (ruralrev.chapters.digital.broadband.broadband_flag_kinds).
KIND_MARKERS = {"offset by urban": "X", "same direction": "o"}


def plot_national_broadband(series: pd.DataFrame, title: str):
    """Left: national urban and rural subscriptions per 100 residents of each class, by year;
    right: their ratio (urban over rural). ``series`` is :func:`ruralrev.chapters.digital.broadband.national_series`."""
    import matplotlib.pyplot as plt

    set_book_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    left.plot(series["year"], series["urban_per_100"], marker="s", color=OKABE_ITO[1], label="urban")
    left.plot(series["year"], series["rural_per_100"], marker="o", color=OKABE_ITO[0], label="rural")
    left.set_ylabel("Subscriptions per 100 residents")
    left.set_ylim(bottom=0)
    left.legend(frameon=False, fontsize=8)
    left.set_title("Fixed broadband", loc="left", fontsize=10)
    right.plot(series["year"], series["urban_rural_ratio"], marker="D", color=OKABE_ITO[5])
    right.axhline(1, color="#444444", linewidth=0.8, linestyle=":")
    right.set_ylabel("Urban / rural (ratio, 1 = no gap)")
    right.set_ylim(bottom=0)
    right.set_title("The gap", loc="left", fontsize=10)
    for ax in (left, right):
        ax.set_xlabel("Year")
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    fig.tight_layout()
    return fig


def plot_flagged_paths(panel: pd.DataFrame, kinds: pd.DataFrame, code: str, other: str, unit: str,
                       ncols: int = 3):
    """Small multiples, one per province with a flagged change: ``code`` (solid) and ``other``
    (dashed grey) by year; each flagged change drawn thick in vermillion, its end marked by the
    kind of change (cross: offset by the other class; circle: same direction).

    ``kinds`` is :func:`ruralrev.chapters.digital.broadband.broadband_flag_kinds`.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    set_book_style()
    provinces = sorted(kinds["province"].unique())
    nrows = -(-len(provinces) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(8, 1.55 * nrows + 0.8), sharex=True, sharey=True,
                             squeeze=False)
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
        ax.set_title(province, loc="left", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in flat[len(provinces):]:
        ax.set_axis_off()
    for row in axes:
        row[0].set_ylabel(unit if len(unit) < 14 else "per 100", fontsize=7)
    handles = [Line2D([], [], color=OKABE_ITO[0], label="rural"),
               Line2D([], [], color="#888888", linestyle="--", label="urban"),
               Line2D([], [], color=OKABE_ITO[5], marker="X", linewidth=2.6, label="flagged, offset by urban"),
               Line2D([], [], color=OKABE_ITO[5], marker="o", linewidth=2.6, label="flagged, same direction")]
    fig.legend(handles=handles, loc="upper left", ncol=4, frameon=False, fontsize=8, bbox_to_anchor=(0.01, 1.0))
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / fig.get_figheight()))
    return fig


def plot_scatter_fit(frame: pd.DataFrame, x: str, y: str, xlabel: str, ylabel: str, title: str,
                     params: pd.Series | None = None):
    """One point per province (``frame`` has ``province``, ``x``, ``y``), named where a label fits,
    with the fitted line ``params["const"] + params[x] · x`` when ``params`` is given."""
    import matplotlib.pyplot as plt

    set_book_style()
    fig, ax = plt.subplots(figsize=(7, 4.6))
    xs, ys = frame[x].to_numpy(float), frame[y].to_numpy(float)
    ax.scatter(xs, ys, color=OKABE_ITO[0], s=20, zorder=3)
    priority = None
    if params is not None:
        grid = np.linspace(xs.min(), xs.max(), 50)
        ax.plot(grid, params["const"] + params[x] * grid, color=OKABE_ITO[5])
        residual = np.abs(ys - (params["const"] + params[x] * xs))
        priority = residual / (residual.std() or 1.0) + np.abs(xs - np.median(xs)) / (xs.std() or 1.0)
    ax.margins(x=0.12, y=0.1)
    label_points(ax, xs, ys, frame["province"].tolist(), priority=priority)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", fontsize=11)
    fig.tight_layout()
    return fig

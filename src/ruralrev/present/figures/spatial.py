"""Figures of the neighbours chapter: Moran's I over time, the Moran scatterplot, the LISA map,
kernel densities, transition matrices and constrained regions beside clusters.

All use the book's style (:func:`ruralrev.present.style.set_book_style`: sizes legible on a phone,
opaque white background, Okabe–Ito colours); maps go through :func:`ruralrev.present.maps.choropleth`,
which draws the no-data areas. The densities by year are drawn with seaborn (``lineplot``), the
transition matrices with matplotlib (``pcolormesh``). Panels stack rather than sit side by side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ruralrev.data.geo import ALBERS_CHINA, load_map, province_shapes
from ruralrev.present.maps import MAP_HEIGHT, choropleth, map_figure
from ruralrev.present.style import (
    OKABE_ITO,
    SMALLEST_FONT,
    WIDTH,
    book_figure,
    finish,
    label_axes,
    label_points,
    suptitle,
)

__all__ = ["LISA_COLOURS", "moran_lisa_axes", "plot_neighbours", "plot_moran_series", "plot_moran_scatter",
           "plot_lisa_map", "plot_densities", "plot_transitions", "plot_regions"]

#: Colours of the LISA categories: clusters in strong colours, outliers in light ones, the rest grey.
LISA_COLOURS = {"HH": OKABE_ITO[5], "LL": OKABE_ITO[0], "HL": OKABE_ITO[1], "LH": OKABE_ITO[4],
                "not significant": "#bdbdbd"}


def plot_neighbours(w, title: str, highlight: tuple[str, ...] = ()):
    """The neighbour graph on the map: a line between the centroids of every pair of neighbours;
    links involving a ``highlight`` province (e.g. Hainan, linked by rule) dashed and coloured."""
    fig, ax = map_figure()
    load_map().to_crs(ALBERS_CHINA).plot(ax=ax, color="#eeeeee", edgecolor="#999999", linewidth=0.4)
    centroids = province_shapes().geometry.centroid
    drawn = set()
    for province, neighbours in w.neighbors.items():
        for other in neighbours:
            pair = tuple(sorted((province, other)))
            if pair in drawn:
                continue
            drawn.add(pair)
            special = bool(set(pair) & set(highlight))
            a, b = centroids[pair[0]], centroids[pair[1]]
            ax.plot([a.x, b.x], [a.y, b.y], color=OKABE_ITO[5] if special else OKABE_ITO[0],
                    linestyle="--" if special else "-", linewidth=1.6 if special else 0.9)
    ax.scatter(centroids.x, centroids.y, s=10, color="#222222", zorder=3)
    ax.set_axis_off()
    ax.margins(0.01)
    label_axes(ax, title)
    finish(fig)
    return fig


def plot_moran_series(series: dict, alpha: float, title: str):
    """Moran's I by year, one line per series (e.g. ``{"log level": frame, "growth": frame}``, each
    from :func:`ruralrev.stats.spatial.autocorrelation.autocorrelation_by_year`); filled markers where the permutation
    p-value is below ``alpha``, open markers elsewhere; the dashed line is E[I] = −1/(n−1)."""
    from matplotlib.lines import Line2D

    fig, ax = book_figure(height=0.85 * WIDTH)
    markers = ["o", "s", "^", "D"]
    for index, (name, frame) in enumerate(series.items()):
        colour = OKABE_ITO[index]
        ax.plot(frame["year"], frame["I"], color=colour, label=name)
        significant = frame["p_sim"] < alpha
        ax.scatter(frame.loc[significant, "year"], frame.loc[significant, "I"], color=colour, zorder=3,
                   marker=markers[index])
        ax.scatter(frame.loc[~significant, "year"], frame.loc[~significant, "I"], facecolor="white",
                   edgecolor=colour, zorder=3, marker=markers[index])
    expected = next(iter(series.values()))["expected"].iloc[0]
    ax.axhline(expected, color="#444444", linestyle="--", linewidth=1)
    handles, labels = ax.get_legend_handles_labels()
    handles += [Line2D([], [], marker="o", color="#444444", linestyle=""),
                Line2D([], [], marker="o", markerfacecolor="white", markeredgecolor="#444444", linestyle=""),
                Line2D([], [], color="#444444", linestyle="--")]
    labels += [f"p < {alpha:g}", f"p ≥ {alpha:g}", "E[I] (no autocorrelation)"]
    ax.legend(handles, labels, frameon=False, ncol=2, loc="upper left", bbox_to_anchor=(0.0, -0.16),
              borderaxespad=0.0, columnspacing=1.0)
    label_axes(ax, title, "Year", "Moran's I (index)")
    finish(fig)
    return fig


def moran_lisa_axes():
    """A figure of the book's width with the Moran scatterplot's axes on top of the LISA map's."""
    return book_figure(2, 1, height=0.85 * WIDTH + MAP_HEIGHT,
                       gridspec_kw={"height_ratios": [0.85 * WIDTH, MAP_HEIGHT]})


def plot_moran_scatter(lisa, moran_i: float, variable_label: str, title: str, ax=None):
    """Moran scatterplot: each province's standardised value against its neighbours' mean (the
    spatial lag), coloured by LISA category, with the line of slope Moran's I through the origin;
    significant provinces are named where a label fits (:func:`ruralrev.present.style.label_points`)."""
    if ax is None:
        _, ax = book_figure(height=0.85 * WIDTH)
    frame = lisa.table
    for category, colour in LISA_COLOURS.items():
        part = frame[frame["category"] == category]
        if len(part):
            ax.scatter(part["z"], part["lag"], color=colour, label=f"{category} ({len(part)})", s=28,
                       edgecolor="white", linewidth=0.5, zorder=3)
    grid = np.linspace(frame["z"].min(), frame["z"].max(), 20)
    ax.plot(grid, moran_i * grid, color="#444444", linewidth=1, label=f"slope = Moran's I = {moran_i:.2f}")
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.axvline(0, color="#888888", linewidth=0.8)
    label_axes(ax, None, f"{variable_label} (standardised, z)", "Neighbours' mean of z (spatial lag)")
    ax.legend(frameon=False, loc="upper left", borderaxespad=0.2, handletextpad=0.3, labelspacing=0.3)
    label_axes(ax, title)
    ax.margins(0.1)
    finish(ax.figure)
    named = frame["province"].where(frame["significant"], "")
    label_points(ax, frame["z"], frame["lag"], named, priority=frame["z"].abs() + frame["lag"].abs())
    return ax


def plot_lisa_map(lisa, title: str, ax=None):
    """The LISA categories on the province map (HH, LL clusters; HL, LH outliers; not significant)."""

    values = lisa.table.set_index("province")["category"]
    palette = {c: LISA_COLOURS[c] for c in values.unique()}
    return choropleth(values, title, "", ax=ax, categorical=True, palette=palette)


def plot_densities(densities: pd.DataFrame, x_label: str, title: str, ax=None):
    """Kernel density of each year (columns of ``densities``), early years light, late years dark
    (the sequential, colour-blind-safe viridis map), with the national mean at 1 marked.

    Drawn with seaborn's ``lineplot`` on the long form (one row per point of the grid and year),
    year as a numeric hue; the legend names every year, two columns in the upper right.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.colors import ListedColormap

    if ax is None:
        _, ax = book_figure()
    years = [int(year) for year in densities.columns]
    long = (densities.set_axis(years, axis=1).rename_axis(index="r", columns="Year").stack()
            .rename("density").reset_index())
    colours = ListedColormap(plt.get_cmap("viridis_r")(np.linspace(0.15, 1.0, 256)))
    sns.lineplot(data=long, x="r", y="density", hue="Year", palette=colours, hue_norm=(min(years), max(years)),
                 linewidth=1.4, ax=ax, legend="full", sort=False, estimator=None)
    ax.axvline(1, color="#444444", linestyle="--", linewidth=1)
    ax.legend(frameon=False, title="Year", loc="upper right", ncol=2, columnspacing=0.8, handlelength=1.5)
    label_axes(ax, title, x_label, "Density (per unit of the ratio)")
    return ax


def _matrix(ax, probabilities: pd.DataFrame, counts: pd.DataFrame, title: str):
    """One transition matrix as a heat map: probability and, in brackets, the count of each cell;
    a row no province left from is blank with '–'.

    Drawn with matplotlib's ``pcolormesh`` rather than ``seaborn.heatmap``, which draws the whole
    figure once per panel to decide whether to rotate its tick labels (five full draws of a
    five-panel figure, for labels Q1…Q5 that never need it). Text on a cell is white where the
    cell's relative luminance (WCAG 2) is at most 0.408, dark grey elsewhere.
    """
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    values = probabilities.to_numpy(float)
    rows, columns = values.shape
    mesh = ax.pcolormesh(np.ma.masked_invalid(values), cmap=colormaps["Blues"], norm=Normalize(0, 1),
                         edgecolors="white", linewidth=1)
    mesh.update_scalarmappable()
    faces = mesh.to_rgba(np.nan_to_num(values)).reshape(rows, columns, 4)[..., :3]
    linear = np.where(faces <= 0.03928, faces / 12.92, ((faces + 0.055) / 1.055) ** 2.4)
    luminance = linear @ np.array([0.2126, 0.7152, 0.0722])
    for i in range(rows):
        for j in range(columns):
            if np.isnan(values[i, j]):
                continue
            ax.text(j + 0.5, i + 0.5, f"{values[i, j]:.2f}\n({counts.iat[i, j]})", ha="center", va="center",
                    fontsize=SMALLEST_FONT, color="white" if luminance[i, j] <= 0.408 else "#262626")
    for i, j in zip(*np.nonzero(np.isnan(values))):
        ax.text(j + 0.5, i + 0.5, "–", ha="center", va="center", fontsize=SMALLEST_FONT, color="#444444")
    ax.set(xlim=(0, columns), ylim=(rows, 0), aspect="equal")
    ax.set_xticks(np.arange(columns) + 0.5, [str(c) for c in probabilities.columns])
    ax.set_yticks(np.arange(rows) + 0.5, [str(r) for r in probabilities.index])
    for side in ax.spines.values():
        side.set_visible(False)
    ax.grid(False)
    ax.tick_params(length=0)
    ax.set_xlabel("Class at t + 1")
    ax.set_ylabel("Class at t")
    ax.set_title(title, loc="left", fontsize="medium")


def plot_transitions(chains, title: str):
    """The quantile Markov matrix and the spatial Markov matrices (one per neighbours' class):
    probability in each cell with the number of transitions in brackets; '–' marks empty rows.

    Matrices wrap two per row (one per row from six classes on), the whole chain first; the colour
    bar takes a free panel, or goes under the matrices.
    """
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    lags = list(chains.spatial_probabilities)
    k = chains.probabilities.shape[0]
    ncols = 2 if k <= 5 else 1
    panels = [("All provinces", chains.probabilities, chains.counts)]
    panels += [(f"Neighbours in {lag}", chains.spatial_probabilities[lag], chains.spatial_counts[lag]) for lag in lags]
    nrows = -(-len(panels) // ncols)
    free = nrows * ncols > len(panels)
    fig, axes = book_figure(nrows, ncols, height=(WIDTH / ncols) * nrows + (0.8 if free else 1.4), squeeze=False,
                            layout="constrained")
    for index, (ax, (name, probabilities, counts)) in enumerate(zip(axes.ravel(), panels)):
        _matrix(ax, probabilities, counts, name)
        if index % ncols:
            ax.set_ylabel("")
        if index + ncols < len(panels):
            ax.set_xlabel("")
    scale = ScalarMappable(Normalize(0, 1), cmap="Blues")
    if free:
        spare = axes.ravel()[-1]
        spare.set_axis_off()
        bar = fig.colorbar(scale, cax=spare.inset_axes([0.08, 0.55, 0.84, 0.1]), orientation="horizontal")
    else:
        bar = fig.colorbar(scale, ax=axes.ravel().tolist(), location="bottom", shrink=0.7, aspect=30)
    bar.set_label("Transition probability")
    bar.ax.tick_params(labelsize=SMALLEST_FONT)
    bar.ax.grid(False)
    suptitle(fig, title)
    return fig


def plot_regions(comparison, title_constrained: str, title_unconstrained: str):
    """Constrained regions (top) and unconstrained clusters (bottom) on two stacked maps."""
    fig, (top, bottom) = map_figure(2)
    k = max(comparison.constrained.max(), comparison.unconstrained.max())
    for ax, labels, prefix, title in [(top, comparison.constrained, "Region", title_constrained),
                                      (bottom, comparison.unconstrained, "Cluster", title_unconstrained)]:
        names = labels.map(lambda g: f"{prefix} {g}")
        palette = {f"{prefix} {g}": OKABE_ITO[(g - 1) % len(OKABE_ITO)] for g in range(1, k + 1)}
        choropleth(names, title, "", ax=ax, categorical=True, palette=palette)
    finish(fig)
    return fig

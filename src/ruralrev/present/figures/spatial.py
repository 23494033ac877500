"""Figures of the neighbours chapter: Moran's I over time, the Moran scatterplot, the LISA map,
kernel densities, transition matrices and constrained regions beside clusters.

All use the book's style (:func:`ruralrev.present.style.set_book_style`: opaque white background,
Okabe–Ito colours); maps go through :func:`ruralrev.present.maps.choropleth`, which draws the no-data areas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ruralrev.data.geo import ALBERS_CHINA, load_map, province_shapes
from ruralrev.present.maps import choropleth
from ruralrev.present.style import OKABE_ITO, set_book_style

__all__ = ["LISA_COLOURS", "plot_neighbours", "plot_moran_series", "plot_moran_scatter", "plot_lisa_map", "plot_densities",
           "plot_transitions", "plot_regions"]

#: Colours of the LISA categories: clusters in strong colours, outliers in light ones, the rest grey.
LISA_COLOURS = {"HH": OKABE_ITO[5], "LL": OKABE_ITO[0], "HL": OKABE_ITO[1], "LH": OKABE_ITO[4],
                "not significant": "#bdbdbd"}


def plot_neighbours(w, title: str, highlight: tuple[str, ...] = ()):
    """The neighbour graph on the map: a line between the centroids of every pair of neighbours;
    links involving a ``highlight`` province (e.g. Hainan, linked by rule) dashed and coloured."""
    import matplotlib.pyplot as plt


    set_book_style()
    fig, ax = plt.subplots(figsize=(7.5, 5.8))
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
    ax.set_title(title, loc="left", fontsize=11)
    fig.tight_layout()
    return fig


def plot_moran_series(series: dict, alpha: float, title: str):
    """Moran's I by year, one line per series (e.g. ``{"log level": frame, "growth": frame}``, each
    from :func:`ruralrev.stats.spatial.autocorrelation.autocorrelation_by_year`); filled markers where the permutation
    p-value is below ``alpha``, open markers elsewhere; the dashed line is E[I] = −1/(n−1)."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    set_book_style()
    fig, ax = plt.subplots(figsize=(7, 3.8))
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
    ax.legend(handles, labels, frameon=False, fontsize=8, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    ax.set_xlabel("Year")
    ax.set_ylabel("Moran's I (index)")
    ax.set_title(title, loc="left", fontsize=11)
    fig.tight_layout()
    return fig


def plot_moran_scatter(lisa, moran_i: float, variable_label: str, title: str, ax=None):
    """Moran scatterplot: each province's standardised value against its neighbours' mean (the
    spatial lag), coloured by LISA category, with the line of slope Moran's I through the origin;
    significant provinces are named."""
    import matplotlib.pyplot as plt

    set_book_style()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5))
    frame = lisa.table
    for category, colour in LISA_COLOURS.items():
        part = frame[frame["category"] == category]
        if len(part):
            ax.scatter(part["z"], part["lag"], color=colour, label=f"{category} ({len(part)})", s=28,
                       edgecolor="white", linewidth=0.5, zorder=3)
    for row in frame[frame["significant"]].itertuples():
        ax.annotate(row.province, (row.z, row.lag), fontsize=7, xytext=(3, 3), textcoords="offset points")
    grid = np.linspace(frame["z"].min(), frame["z"].max(), 20)
    ax.plot(grid, moran_i * grid, color="#444444", linewidth=1, label=f"slope = Moran's I = {moran_i:.2f}")
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.axvline(0, color="#888888", linewidth=0.8)
    ax.set_xlabel(f"{variable_label} (standardised, z)")
    ax.set_ylabel("Neighbours' mean of z (spatial lag)")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    ax.set_title(title, loc="left", fontsize=11)
    return ax


def plot_lisa_map(lisa, title: str, ax=None):
    """The LISA categories on the province map (HH, LL clusters; HL, LH outliers; not significant)."""

    values = lisa.table.set_index("province")["category"]
    palette = {c: LISA_COLOURS[c] for c in values.unique()}
    return choropleth(values, title, "", ax=ax, categorical=True, palette=palette)


def plot_densities(densities: pd.DataFrame, x_label: str, title: str, ax=None):
    """Kernel density of each year (columns of ``densities``), early years light, late years dark
    (the sequential, colour-blind-safe viridis map), with the national mean at 1 marked."""
    import matplotlib.pyplot as plt

    set_book_style()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.8))
    colours = plt.get_cmap("viridis_r")(np.linspace(0.15, 1.0, densities.shape[1]))
    for colour, year in zip(colours, densities.columns):
        ax.plot(densities.index, densities[year], color=colour, label=str(year), linewidth=1.4)
    ax.axvline(1, color="#444444", linestyle="--", linewidth=1)
    ax.set_xlabel(x_label)
    ax.set_ylabel("Density (per unit of the ratio)")
    ax.legend(frameon=False, fontsize=7, ncol=3, title="Year", title_fontsize=8)
    ax.set_title(title, loc="left", fontsize=11)
    return ax


def _matrix(ax, probabilities: pd.DataFrame, counts: pd.DataFrame, title: str) -> None:
    values = probabilities.to_numpy(float)
    image = ax.imshow(np.nan_to_num(values, nan=0.0), cmap="Blues", vmin=0, vmax=1)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            text = "–" if np.isnan(values[i, j]) else f"{values[i, j]:.2f}"
            dark = not np.isnan(values[i, j]) and values[i, j] > 0.55
            ax.text(j, i, f"{text}\n({counts.iat[i, j]})", ha="center", va="center", fontsize=7,
                    color="white" if dark else "#222222")
    ax.set_xticks(range(values.shape[1]), probabilities.columns)
    ax.set_yticks(range(values.shape[0]), probabilities.index)
    ax.set_xlabel("Class at t + 1")
    ax.set_ylabel("Class at t")
    ax.grid(False)
    ax.set_title(title, loc="left", fontsize=9)
    return image


def plot_transitions(chains, title: str):
    """The quantile Markov matrix and the spatial Markov matrices (one per neighbours' class):
    probability in each cell with the number of transitions in brackets; '–' marks empty rows."""
    import matplotlib.pyplot as plt

    set_book_style()
    lags = list(chains.spatial_probabilities)
    columns = int(np.ceil(len(lags) / 2))
    fig = plt.figure(figsize=(4 + 3 * columns, 6.6), layout="constrained")
    grid = fig.add_gridspec(2, columns + 1, width_ratios=[1.35] + [1] * columns)
    image = _matrix(fig.add_subplot(grid[:, 0]), chains.probabilities, chains.counts, "All provinces")
    for index, lag in enumerate(lags):
        ax = fig.add_subplot(grid[index // columns, 1 + index % columns])
        _matrix(ax, chains.spatial_probabilities[lag], chains.spatial_counts[lag], f"Neighbours in {lag}")
        if index % columns:
            ax.set_ylabel("")
        if index // columns == 0 and len(lags) > columns:
            ax.set_xlabel("")
    fig.colorbar(image, ax=fig.axes, shrink=0.6, label="Transition probability")
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    return fig


def plot_regions(comparison, title_constrained: str, title_unconstrained: str):
    """Constrained regions and unconstrained clusters on two maps side by side."""
    import matplotlib.pyplot as plt


    set_book_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6))
    k = max(comparison.constrained.max(), comparison.unconstrained.max())
    for ax, labels, prefix, title in [(left, comparison.constrained, "Region", title_constrained),
                                      (right, comparison.unconstrained, "Cluster", title_unconstrained)]:
        names = labels.map(lambda g: f"{prefix} {g}")
        palette = {f"{prefix} {g}": OKABE_ITO[(g - 1) % len(OKABE_ITO)] for g in range(1, k + 1)}
        choropleth(names, title, "", ax=ax, categorical=True, palette=palette)
    fig.tight_layout()
    return fig

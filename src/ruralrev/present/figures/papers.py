"""Figures of the source papers' own numbers: a survey table as bars, a roadmap as a timeline.
"""

from __future__ import annotations

from ruralrev.present.style import OKABE_ITO, SMALLEST_FONT, WIDTH, book_figure, finish, label_axes, wrap_to_width

__all__ = ["plot_roadmap", "plot_survey_items"]


def plot_survey_items(table, threshold: float | None = None, value_label: str = "Respondents naming the problem (%)"):
    """Horizontal bars of a survey table: one panel per service area, items sorted by share.

    Each item's name is written above its bar, across the figure's width, so that neither the
    names nor the bars are squeezed on a phone (a name wraps only if it is wider than the figure).

    Parameters
    ----------
    table : DataFrame
        Columns ``area``, ``item`` and ``value`` (per cent), e.g. from
        :func:`ruralrev.data.papers.load_table`.
    threshold : float, optional
        Draw a dashed reference line at this percentage.

    Returns
    -------
    matplotlib.figure.Figure
    """
    inch, bar, line = 0.45, 0.3, 0.41        # inches per unit of y; bar and text line heights in units
    areas = list(dict.fromkeys(table["area"]))
    panels = []
    for area in areas:
        part = table[table["area"] == area].sort_values("value", kind="mergesort")
        names = [wrap_to_width(item, WIDTH - 0.5, SMALLEST_FONT) for item in part["item"]]
        positions, y = [], 0.0
        for name in names:                   # from the smallest share (bottom) up
            positions.append(y)
            y += bar / 2 + 0.04 + line * (name.count("\n") + 1) + bar / 2 + 0.12
        panels.append((area, part, names, positions, y))
    units = [panel[-1] for panel in panels]
    fig, axes = book_figure(len(areas), 1, height=inch * sum(units) + 0.7 * len(areas) + 0.5, sharex=True,
                            gridspec_kw={"height_ratios": units}, squeeze=False)
    axes = axes[:, 0]
    for ax, (area, part, names, positions, top), colour in zip(axes, panels, OKABE_ITO):
        ax.barh(positions, part["value"], height=bar, color=colour)
        for name, y in zip(names, positions):
            ax.text(0.5, y + bar / 2 + 0.04, name, ha="left", va="bottom", fontsize=SMALLEST_FONT, linespacing=1.15,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5}, zorder=3)
        ax.set_ylim(-bar / 2 - 0.1, top - 0.12)
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.set_title(area.replace("Governance of rural ", "").capitalize(), loc="left")
        ax.grid(axis="y", visible=False)
        if threshold is not None:
            ax.axvline(threshold, color="#444444", linestyle="--", linewidth=1, zorder=1)
    label_axes(axes[-1], xlabel=value_label)
    axes[-1].set_xlim(0, 100)
    finish(fig)
    return fig


def plot_roadmap(phases, title: str):
    """A timeline of a paper's roadmap: ``phases`` is a list of (end year, label)."""
    fig, ax = book_figure(height=0.5 * WIDTH)
    years = [year for year, _ in phases]
    ax.hlines(0, min(years) - 6, max(years) + 3, color="#444444", linewidth=1)
    for index, (year, label) in enumerate(phases):
        above = index % 2 == 0
        ax.plot(year, 0, marker="o", markersize=9, color=OKABE_ITO[index % len(OKABE_ITO)])
        ax.annotate(f"{year}\n{label}", (year, 0), xytext=(0, 10 if above else -10), textcoords="offset points",
                    ha="center", va="bottom" if above else "top", fontsize=SMALLEST_FONT)
    ax.set_xlim(min(years) - 8, max(years) + 8)   # room for the first and last labels
    ax.set_ylim(-1, 1)
    ax.set_yticks([])
    ax.set_xlabel("Year")
    ax.spines["left"].set_visible(False)
    ax.grid(False)
    label_axes(ax, title)
    finish(fig)
    return fig

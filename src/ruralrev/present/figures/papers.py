"""Figures of the source papers' own numbers: a survey table as bars, a roadmap as a timeline.
"""

from __future__ import annotations

import textwrap

from ruralrev.present.style import OKABE_ITO, set_book_style

__all__ = ["plot_roadmap", "plot_survey_items"]


def plot_survey_items(table, threshold: float | None = None, value_label: str = "Respondents naming the problem (%)"):
    """Horizontal bars of a survey table: one panel per service area, items sorted by share.

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

    import matplotlib.pyplot as plt

    set_book_style()
    areas = list(dict.fromkeys(table["area"]))
    heights = [int((table["area"] == a).sum()) for a in areas]
    fig, axes = plt.subplots(len(areas), 1, figsize=(8, 0.32 * sum(heights) + 1.2 * len(areas)),
                             sharex=True, gridspec_kw={"height_ratios": heights})
    for ax, area, colour in zip(axes, areas, OKABE_ITO):
        part = table[table["area"] == area].sort_values("value", kind="mergesort")
        labels = [textwrap.shorten(t, 60, placeholder="…") for t in part["item"]]
        ax.barh(labels, part["value"], color=colour)
        ax.set_title(area.replace("Governance of rural ", "").capitalize(), loc="left", fontsize=10)
        ax.grid(axis="y", visible=False)
        if threshold is not None:
            ax.axvline(threshold, color="#444444", linestyle="--", linewidth=1)
    axes[-1].set_xlabel(value_label)
    axes[-1].set_xlim(0, 100)
    fig.tight_layout()
    return fig



def plot_roadmap(phases, title: str):
    """A timeline of a paper's roadmap: ``phases`` is a list of (end year, label)."""
    import matplotlib.pyplot as plt

    set_book_style()
    fig, ax = plt.subplots(figsize=(8, 2.2))
    years = [year for year, _ in phases]
    ax.hlines(0, min(years) - 6, max(years) + 3, color="#444444", linewidth=1)
    for index, (year, label) in enumerate(phases):
        ax.plot(year, 0, marker="o", markersize=9, color=OKABE_ITO[index % len(OKABE_ITO)])
        ax.annotate(f"{year}\n{label}", (year, 0), xytext=(0, 14 if index % 2 == 0 else -38),
                    textcoords="offset points", ha="center", fontsize=8.5)
    ax.set_ylim(-1, 1)
    ax.set_yticks([])
    ax.set_xlabel("Year")
    ax.spines["left"].set_visible(False)
    ax.grid(False)
    ax.set_title(title, loc="left", fontsize=11)
    fig.tight_layout()
    return fig

"""Figure style for the book: colour-blind-safe palette, opaque white background, units on axes.

Figures are saved with an opaque white face so that they stay readable when the book is read in
dark mode (a transparent PNG with black text disappears on a dark page).
"""

from __future__ import annotations

import matplotlib as mpl

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
]

#: The NBS four regions in a fixed order with fixed colours across the book.
REGION_ORDER = ["East", "Central", "West", "Northeast"]
REGION_COLOURS = dict(zip(REGION_ORDER, OKABE_ITO[:4]))


def set_book_style() -> None:
    """Apply the book's matplotlib settings (deterministic, opaque, colour-blind-safe)."""
    mpl.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "savefig.facecolor": "white",
            "savefig.transparent": False,
            "axes.prop_cycle": mpl.cycler(color=OKABE_ITO),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "font.size": 10,
            "svg.hashsalt": "ruralrev",
            "path.simplify": True,
        }
    )


def plot_survey_items(table, threshold: float | None = None, value_label: str = "Respondents naming the problem (%)"):
    """Horizontal bars of a survey table: one panel per service area, items sorted by share.

    Parameters
    ----------
    table : DataFrame
        Columns ``area``, ``item`` and ``value`` (per cent), e.g. from
        :func:`ruralrev.papers.load_table`.
    threshold : float, optional
        Draw a dashed reference line at this percentage.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    import textwrap

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

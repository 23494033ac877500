"""The typology's key figure: provinces ordered along one score, coloured by region (a dot plot).
"""

from __future__ import annotations

import pandas as pd

from ruralrev.present.style import OKABE_ITO, REGION_COLOURS, REGION_ORDER, set_book_style

__all__ = ["plot_gradient"]


def plot_gradient(scores: pd.Series, groups: pd.Series, title: str, xlabel: str, cuts=(), cut_label: str = ""):
    """A Cleveland dot plot of one score per province, highest at the top, each dot coloured by
    its group (the NBS regions by default colours).

    Parameters
    ----------
    scores : Series
        One score per province (e.g. on the first principal component), indexed by province.
    groups : Series
        The group of each province (same index), coloured as :data:`REGION_COLOURS` where it can.
    title, xlabel : str
        The figure's title (its finding) and the score's axis label.
    cuts : sequence of int
        Draw a dashed line below the first n provinces (from the top) for each n: where a
        partition cuts the ordering.
    cut_label : str
        Text written under the first line.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    set_book_style()
    order = scores.sort_values()
    group = groups.reindex(order.index).astype(str)
    names = list(dict.fromkeys([g for g in REGION_ORDER if g in set(group)] + sorted(set(group) - set(REGION_ORDER))))
    colours = {g: REGION_COLOURS.get(g, OKABE_ITO[4 + i % 4]) for i, g in enumerate(names)}
    fig, ax = plt.subplots(figsize=(4.8, 0.21 * len(order) + 1.6))   # narrow and tall: legible on a phone
    y = list(range(len(order)))
    ax.hlines(y, order.min(), order.to_numpy(), color="#d0d0d0", linewidth=0.8, zorder=1)
    ax.scatter(order.to_numpy(), y, c=[colours[g] for g in group], s=36, zorder=3)
    ax.set_yticks(y, order.index, fontsize=9)
    ax.set_ylim(-0.7, len(order) - 0.3)
    for number, above in enumerate(cuts):
        line = len(order) - above - 0.5
        ax.axhline(line, color=OKABE_ITO[7], linestyle="--", linewidth=0.9)
        if cut_label and number == 0:
            ax.annotate(cut_label, (1, line), xycoords=("axes fraction", "data"), xytext=(0, -3),
                        textcoords="offset points", ha="right", va="top", fontsize=9)
    handles = [Line2D([], [], marker="o", linestyle="", color=colours[g], label=g) for g in names]
    ax.legend(handles=handles, frameon=False, fontsize=9, loc="lower right")
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left", fontsize=10.5)
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig

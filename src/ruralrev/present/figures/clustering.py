"""Figures of the typology: criteria for the number of groups, a dendrogram, rank intervals of the index.
"""

from __future__ import annotations

from ruralrev.present.style import OKABE_ITO, SMALLEST_FONT, book_figure, finish, label_axes, suptitle

__all__ = ["plot_dendrogram", "plot_k_selection", "plot_rank_intervals"]


def plot_k_selection(selection, chosen: int, title: str | None = None):
    """The k-selection criteria as small multiples (two per row, readable in the text column),
    the chosen k marked; ``title`` (the finding) above them."""
    panels = [("silhouette", "Silhouette\n(higher better)"), ("calinski_harabasz", "Calinski–Harabasz\n(higher better)"),
              ("davies_bouldin", "Davies–Bouldin\n(lower better)"), ("gap", "Gap statistic\n(± s.e.)"),
              ("gmm_bic", "GMM BIC\n(lower better)")]
    ncols = 2
    nrows = -(-len(panels) // ncols)
    fig, axes = book_figure(nrows, ncols, height=2.5 * nrows + 0.3, squeeze=False)
    flat = axes.ravel()
    for ax, (column, panel_title) in zip(flat, panels):
        if column == "gap":
            ax.errorbar(selection["k"], selection["gap"], yerr=selection["gap_se"], marker="o", color=OKABE_ITO[0],
                        capsize=3)
        else:
            ax.plot(selection["k"], selection[column], marker="o", color=OKABE_ITO[0])
        ax.axvline(chosen, color=OKABE_ITO[5], linestyle="--", linewidth=1)
        ax.set_title(panel_title, loc="left", fontsize="medium")
        ax.set_xticks(list(selection["k"]))
    for ax in flat[len(panels):]:
        ax.set_axis_off()
    for ax in flat[max(0, len(panels) - ncols):len(panels)]:   # the lowest panel of each column
        ax.set_xlabel("Number of clusters k")
    for row in axes:
        row[0].set_ylabel("criterion value")
    if title:
        suptitle(fig, title)
    finish(fig)
    return fig



def plot_dendrogram(z, title: str):
    """Ward dendrogram of the standardized indicator matrix, drawn sideways so that every province
    name is horizontal and readable."""
    from scipy.cluster.hierarchy import dendrogram, linkage

    fig, ax = book_figure(height=0.25 * len(z) + 1.2)
    dendrogram(linkage(z.to_numpy(float), method="ward"), labels=list(z.index), ax=ax, leaf_font_size=SMALLEST_FONT,
               color_threshold=0, above_threshold_color=OKABE_ITO[0], orientation="left")
    label_axes(ax, title, xlabel="Ward linkage distance (standard units)")
    ax.grid(axis="y", visible=False)
    finish(fig)
    return fig



def plot_rank_intervals(ranks, point_rank, title: str):
    """Median rank and 5–95 % interval per province from the Monte Carlo, with the point rank."""
    order = ranks.sort_values("median_rank", ascending=False)
    fig, ax = book_figure(height=0.24 * len(order) + 1.6)
    y = range(len(order))
    ax.hlines(list(y), order["rank_p05"], order["rank_p95"], color=OKABE_ITO[0], linewidth=2.5, alpha=0.6,
              label="5–95 % interval")
    ax.scatter(order["median_rank"], list(y), color=OKABE_ITO[0], s=14, label="median rank", zorder=3)
    ax.scatter(point_rank.reindex(order.index), list(y), marker="x", color=OKABE_ITO[5], s=18,
               label="rank with entropy weights", zorder=4)
    ax.set_yticks(list(y), order.index)
    label_axes(ax, title, xlabel="Rank (1 = most developed)")
    # Best ranks sit top left, worst bottom right: the top right corner is empty.
    ax.legend(frameon=False, loc="upper right")
    ax.grid(axis="y", visible=False)
    finish(fig)
    return fig

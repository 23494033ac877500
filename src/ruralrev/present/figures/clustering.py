"""Figures of the typology: criteria for the number of groups, a dendrogram, rank intervals of the index.
"""

from __future__ import annotations

from ruralrev.present.style import OKABE_ITO, set_book_style

__all__ = ["plot_dendrogram", "plot_k_selection", "plot_rank_intervals"]


def plot_k_selection(selection, chosen: int, title: str | None = None):
    """The k-selection criteria as small multiples (two per row, readable in the text column),
    the chosen k marked; ``title`` (the finding) above them."""
    import matplotlib.pyplot as plt

    set_book_style()
    panels = [("silhouette", "Silhouette (higher better)"), ("calinski_harabasz", "Calinski–Harabasz (higher better)"),
              ("davies_bouldin", "Davies–Bouldin (lower better)"), ("gap", "Gap statistic (± s.e.)"),
              ("gmm_bic", "GMM BIC (lower better)")]
    ncols = 2
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(8, 2.4 * nrows + 0.4), squeeze=False)
    flat = axes.ravel()
    for ax, (column, panel_title) in zip(flat, panels):
        if column == "gap":
            ax.errorbar(selection["k"], selection["gap"], yerr=selection["gap_se"], marker="o", color=OKABE_ITO[0],
                        capsize=3)
        else:
            ax.plot(selection["k"], selection[column], marker="o", color=OKABE_ITO[0])
        ax.axvline(chosen, color=OKABE_ITO[5], linestyle="--", linewidth=1)
        ax.set_title(panel_title, loc="left", fontsize=10)
        ax.set_ylabel("criterion value")
        ax.set_xticks(list(selection["k"]))
    for ax in flat[len(panels):]:
        ax.set_axis_off()
    for ax in flat[max(0, len(panels) - ncols):len(panels)]:   # the lowest panel of each column
        ax.set_xlabel("Number of clusters k")
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    fig.tight_layout()
    return fig



def plot_dendrogram(z, title: str):
    """Ward dendrogram of the standardized indicator matrix, drawn sideways so that every province
    name is horizontal and readable."""
    import matplotlib.pyplot as plt
    from scipy.cluster.hierarchy import dendrogram, linkage

    set_book_style()
    fig, ax = plt.subplots(figsize=(7, 0.24 * len(z) + 1.2))
    dendrogram(linkage(z.to_numpy(float), method="ward"), labels=list(z.index), ax=ax, leaf_font_size=9,
               color_threshold=0, above_threshold_color=OKABE_ITO[0], orientation="left")
    ax.set_xlabel("Ward linkage distance (standard units)")
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig



def plot_rank_intervals(ranks, point_rank, title: str):
    """Median rank and 5–95 % interval per province from the Monte Carlo, with the point rank."""
    import matplotlib.pyplot as plt

    set_book_style()
    order = ranks.sort_values("median_rank", ascending=False)
    fig, ax = plt.subplots(figsize=(7, 7.5))
    y = range(len(order))
    ax.hlines(list(y), order["rank_p05"], order["rank_p95"], color=OKABE_ITO[0], linewidth=2.5, alpha=0.6,
              label="5–95 % interval")
    ax.scatter(order["median_rank"], list(y), color=OKABE_ITO[0], s=14, label="median rank", zorder=3)
    ax.scatter(point_rank.reindex(order.index), list(y), marker="x", color=OKABE_ITO[5], s=18,
               label="rank with entropy weights", zorder=4)
    ax.set_yticks(list(y), order.index, fontsize=7.5)
    ax.set_xlabel("Rank (1 = most developed)")
    ax.set_title(title, loc="left", fontsize=11)
    # Best ranks sit top left, worst bottom right: the top right corner is empty.
    ax.legend(frameon=False, fontsize=8, loc="upper right")
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig

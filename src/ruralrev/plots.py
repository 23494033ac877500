"""Figure style for the book: colour-blind-safe palette, opaque white background, units on axes.

Figures are saved with an opaque white face so that they stay readable when the book is read in
dark mode (a transparent PNG with black text disappears on a dark page). Figures are sized for
the book's text column (about 700 px): small multiples stack or wrap rather than shrink, and
point labels are placed without overlap by :func:`label_points`. Province names are English:
the figures need no CJK font.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np

__all__ = ["OKABE_ITO", "REGION_ORDER", "REGION_COLOURS", "set_book_style", "label_points",
           "plot_survey_items", "plot_decomposition", "plot_group_means", "plot_beta_convergence",
           "plot_regression_diagnostics", "plot_coefficients", "plot_k_selection", "plot_dendrogram", "plot_rank_intervals",
           "plot_roadmap"]

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


#: Candidate label positions around a point: offset (points) and alignment, in order of preference.
_OFFSETS = [((4, 3), "left", "bottom"), ((4, -3), "left", "top"), ((-4, 3), "right", "bottom"),
            ((-4, -3), "right", "top"), ((0, 6), "center", "bottom"), ((0, -6), "center", "top"),
            ((7, 0), "left", "center"), ((-7, 0), "right", "center")]


def _overlaps(box, boxes, pad: float = 1.0) -> bool:
    return any(box.x0 < other.x1 + pad and other.x0 < box.x1 + pad and
               box.y0 < other.y1 + pad and other.y0 < box.y1 + pad for other in boxes)


def label_points(ax, x, y, names, priority=None, fontsize: float = 8.0, marker_radius: float = 3.0):
    """Label scatter points without overlap: a greedy placement, most important points first.

    Each label tries eight positions around its point (right-above first) and takes the first
    whose box overlaps no label already placed, no other point's marker and stays inside the
    axes. A label that fits nowhere is left out, so crowded clusters keep only their most
    important names (an empty name marks a point that is avoided but not labelled); the caller
    decides importance (``priority``, larger first; default: the
    distance from the centre of the cloud in standard units, so extremes are named first).

    Returns
    -------
    list of matplotlib.text.Annotation
        The labels placed, in placement order.
    """
    from matplotlib.transforms import Bbox

    x, y = np.asarray(x, float), np.asarray(y, float)
    names = list(names)
    if priority is None:
        zx = (x - x.mean()) / (x.std() or 1.0)
        zy = (y - y.mean()) / (y.std() or 1.0)
        priority = np.hypot(zx, zy)
    order = np.argsort(-np.asarray(priority, float), kind="stable")
    figure = ax.figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    centres = ax.transData.transform(np.column_stack([x, y]))
    markers = [Bbox.from_extents(cx - marker_radius, cy - marker_radius, cx + marker_radius, cy + marker_radius)
               for cx, cy in centres]
    placed, boxes = [], []
    for index in order:
        if not names[index]:
            continue  # an unnamed point: an obstacle for the labels, not labelled itself
        for offset, ha, va in _OFFSETS:
            label = ax.annotate(names[index], (x[index], y[index]), xytext=offset, textcoords="offset points",
                                ha=ha, va=va, fontsize=fontsize)
            box = label.get_window_extent(renderer)
            others = [m for k, m in enumerate(markers) if k != index]
            if (box.x0 >= inside.x0 and box.x1 <= inside.x1 and box.y0 >= inside.y0 and box.y1 <= inside.y1
                    and not _overlaps(box, boxes) and not _overlaps(box, others, pad=0.0)):
                placed.append(label)
                boxes.append(box)
                break
            label.remove()
    return placed


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


def plot_decomposition(series, title: str):
    """Theil T split into between- and within-group parts over time (stacked), with the Gini.

    ``series`` is the output of :func:`ruralrev.inequality.decomposition_series`.
    """
    import matplotlib.pyplot as plt

    set_book_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    left.stackplot(series["year"], series["theil_between"], series["theil_within"],
                   labels=["between groups", "within groups"], colors=OKABE_ITO[:2], alpha=0.9)
    left.set_ylabel("Theil T (index, 0 = equality)")
    left.set_xlabel("Year")
    left.legend(loc="upper right", frameon=False, fontsize=8)
    left.set_title("Theil T", loc="left", fontsize=10)
    right.stackplot(series["year"], series["gini_within"], series["gini_net_between"],
                    series["gini_transvariation"], labels=["within", "net between", "transvariation"],
                    colors=OKABE_ITO[:3], alpha=0.9)
    right.set_ylabel("Gini (index, 0 = equality)")
    right.set_xlabel("Year")
    right.legend(loc="upper right", frameon=False, fontsize=8)
    right.set_title("Dagum Gini", loc="left", fontsize=10)
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    fig.tight_layout()
    return fig


def plot_group_means(means, unit: str, title: str):
    """Weighted group means over time, one line per group (regions in their fixed colours)."""
    import matplotlib.pyplot as plt

    set_book_style()
    fig, ax = plt.subplots(figsize=(7, 3.8))
    markers = ["o", "s", "^", "D", "v", "P"]
    for index, group in enumerate(means.columns):
        colour = REGION_COLOURS.get(group, OKABE_ITO[index % len(OKABE_ITO)])
        ax.plot(means.index, means[group], marker=markers[index % len(markers)], color=colour, label=group)
    ax.set_xlabel("Year")
    ax.set_ylabel(unit)
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def _beta_points(result):
    """Initial log level and growth of each province from a β-convergence result."""
    frame = getattr(result, "data", None)
    if frame is not None and {"log_initial", "growth"} <= set(frame.columns):
        return frame["log_initial"].to_numpy(float), frame["growth"].to_numpy(float)
    data = result.result.model.data
    return data.orig_exog["log_initial"].to_numpy(float), np.asarray(data.orig_endog, float)


def plot_beta_convergence(result, labels, title: str, unit: str = "yuan"):
    """Growth against the initial log level, one point per province, with the OLS line.

    ``unit`` is the unit of the variable (the x axis shows its log).

    Provinces are named where a label fits without overlap, those farthest from the fitted
    line and at the ends of the initial level first (:func:`label_points`).
    """
    import matplotlib.pyplot as plt

    set_book_style()
    x, y = _beta_points(result)
    fig, ax = plt.subplots(figsize=(7, 4.8))
    ax.scatter(x, y, color=OKABE_ITO[0], s=18, zorder=3)
    grid = np.linspace(x.min(), x.max(), 50)
    params = result.result.params
    if list(params.index) == ["const", "log_initial"]:
        ax.plot(grid, params["const"] + result.beta * grid, color=OKABE_ITO[5])
        residual = np.abs(y - (params["const"] + result.beta * x))
    else:
        residual = np.abs(y - y.mean())
    spread = (x - np.median(x)) / (x.std() or 1.0)
    ax.margins(x=0.12, y=0.1)
    label_points(ax, x, y, labels, priority=residual / (residual.std() or 1.0) + np.abs(spread))
    ax.set_xlabel(f"Log of the initial value (log {unit})")
    ax.set_ylabel("Growth over the period (log points)")
    ax.set_title(title, loc="left", fontsize=11)
    fig.tight_layout()
    return fig


def plot_coefficients(rows, xlabel: str, title: str, alpha: float = 0.05):
    """One coefficient across specifications: estimate and 95 % interval (± 1.96 clustered s.e.),
    one row per model; filled markers where the wild bootstrap p-value is below ``alpha``.

    ``rows`` is the output of :func:`ruralrev.models.coefficient_rows`.
    """
    import matplotlib.pyplot as plt

    set_book_style()
    rows = rows.iloc[::-1].reset_index(drop=True)           # first model on top
    fig, ax = plt.subplots(figsize=(7, 0.42 * len(rows) + 1.6))
    position = np.arange(len(rows))
    ax.errorbar(rows["coef"], position, xerr=1.96 * rows["se"], fmt="none", ecolor=OKABE_ITO[0], capsize=3)
    significant = (rows["p_wild"] < alpha).to_numpy()
    ax.scatter(rows["coef"][significant], position[significant], color=OKABE_ITO[0], zorder=3, s=30,
               label=f"wild bootstrap p < {alpha:g}")
    ax.scatter(rows["coef"][~significant], position[~significant], facecolor="white", edgecolor=OKABE_ITO[0],
               zorder=3, s=30, label=f"wild bootstrap p ≥ {alpha:g}")
    ax.axvline(0, color="0.4", linewidth=0.8, linestyle="--")
    ax.set_yticks(position, rows["model"])
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left", fontsize=11)
    fig.legend(*ax.get_legend_handles_labels(), frameon=False, fontsize=8, loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def plot_regression_diagnostics(frame, outcome: str, label_top: int = 5):
    """Residuals against fitted values, and studentized residuals against leverage (influence).

    ``frame`` is ``ModelResult.data`` of a cross-section; the ``label_top`` provinces with the
    largest Cook's distance are named in both panels.
    """
    import matplotlib.pyplot as plt

    set_book_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8))
    top = frame.nlargest(label_top, "cooks_distance")
    left.scatter(frame["fitted"], frame["residual"], color=OKABE_ITO[0], s=18)
    left.axhline(0, color="#444444", linewidth=0.8)
    left.set_xlabel(f"Fitted {outcome}")
    left.set_ylabel("Residual (outcome units)")
    left.set_title("Residuals vs fitted", loc="left", fontsize=10)
    sizes = 20 + 400 * frame["cooks_distance"] / max(frame["cooks_distance"].max(), 1e-12)
    right.scatter(frame["leverage"], frame["studentized"], s=sizes, color=OKABE_ITO[1], alpha=0.7)
    right.axhline(0, color="#444444", linewidth=0.8)
    right.set_xlabel("Leverage (hat value)")
    right.set_ylabel("Studentized residual")
    right.set_title("Influence (size = Cook's distance)", loc="left", fontsize=10)
    fig.tight_layout()
    named = frame["province"].where(frame.index.isin(top.index), "")
    for ax, (xcol, ycol) in [(left, ("fitted", "residual")), (right, ("leverage", "studentized"))]:
        label_points(ax, frame[xcol], frame[ycol], named, priority=frame["cooks_distance"])
    return fig


def plot_k_selection(selection, chosen: int):
    """The k-selection criteria as small multiples (two per row, readable in the text column),
    the chosen k marked."""
    import matplotlib.pyplot as plt

    set_book_style()
    panels = [("silhouette", "Silhouette (higher better)"), ("calinski_harabasz", "Calinski–Harabasz (higher better)"),
              ("davies_bouldin", "Davies–Bouldin (lower better)"), ("gap", "Gap statistic (± s.e.)"),
              ("gmm_bic", "GMM BIC (lower better)")]
    ncols = 2
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(8, 2.4 * nrows + 0.4), squeeze=False)
    flat = axes.ravel()
    for ax, (column, title) in zip(flat, panels):
        if column == "gap":
            ax.errorbar(selection["k"], selection["gap"], yerr=selection["gap_se"], marker="o", color=OKABE_ITO[0],
                        capsize=3)
        else:
            ax.plot(selection["k"], selection[column], marker="o", color=OKABE_ITO[0])
        ax.axvline(chosen, color=OKABE_ITO[5], linestyle="--", linewidth=1)
        ax.set_title(title, loc="left", fontsize=10)
        ax.set_ylabel("criterion value")
        ax.set_xticks(list(selection["k"]))
    for ax in flat[len(panels):]:
        ax.set_axis_off()
    for ax in flat[max(0, len(panels) - ncols):len(panels)]:   # the lowest panel of each column
        ax.set_xlabel("Number of clusters k")
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

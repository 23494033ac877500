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

__all__ = ["OKABE_ITO", "REGION_COLOURS", "REGION_ORDER", "drawn_font_sizes", "label_points", "set_book_style"]


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



def drawn_font_sizes(figure) -> list[tuple[float, str]]:
    """Every piece of text a figure draws, as (font size in points, text), in drawing order.

    The figure is drawn once on a scratch Agg renderer that records each ``draw_text`` call, so
    only text that is really drawn counts (tick labels of an axis switched off, empty strings and
    invisible artists do not). Multiply a size by the image's pixels per point and by its display
    scale to get the size a reader sees (see ``tests/test_browser.py``).
    """
    from matplotlib.backends.backend_agg import RendererAgg

    width, height = figure.get_size_inches() * figure.dpi
    renderer = RendererAgg(int(width), int(height), figure.dpi)
    drawn = []
    draw_text = renderer.draw_text

    def record(gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if str(s).strip():
            drawn.append((float(prop.get_size_in_points()), str(s)))
        return draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    renderer.draw_text = record
    figure.draw(renderer)
    return drawn

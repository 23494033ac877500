"""Figure style for the book: legible on a phone, colour-blind-safe, opaque, units on axes.

:func:`set_book_style` sets the sizes, colours and resolution every figure inherits (why those
sizes: its Notes); :func:`book_figure` starts a figure at the book's width, :func:`label_axes`,
:func:`suptitle` and :func:`finish` wrap its text to the room it has, and :func:`label_points`
places point labels without overlap. Province names are English: the figures need no CJK font.
"""

from __future__ import annotations

from contextlib import contextmanager

import matplotlib as mpl
import numpy as np

__all__ = ["DPI", "FONT", "OKABE_ITO", "REGION_COLOURS", "REGION_ORDER", "SMALLEST_FONT", "WIDTH", "book_figure",
           "drawn_font_sizes", "finish", "label_axes", "label_points", "no_intermediate_draws", "note_text", "set_book_style",
           "skip_cell_end_draw", "suptitle", "wrap_to_width"]

#: Width of every figure (inches): with the saved image's margins (2 × 0.05 in) a phone shows it at
#: about 342 / (5.4 · 72) ≈ 0.88 CSS px per point.
WIDTH = 5.3

#: Dots per inch of the figure, i.e. CSS px per inch on a desktop (the PNG has twice as many).
DPI = 100

#: Font size (points) of labels and titles.
FONT = 11.0

#: The smallest font (points) any figure may draw: tick labels, legends, annotations, sources.
SMALLEST_FONT = 10.5


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
    """Apply the book's matplotlib settings (sizes for a phone, deterministic, opaque,
    colour-blind-safe) and, in an IPython kernel, retina PNGs from the inline backend.

    Every figure function calls it first; the sizes are the defaults every figure inherits.

    Notes
    -----
    **Size.** Every figure is :data:`WIDTH` inches wide (5.3 in) and no text in it is smaller than
    :data:`SMALLEST_FONT` points (10.5 pt). A phone shows the text column about 342 CSS px wide, so
    a figure is shown at about 0.88 CSS px per point (:data:`WIDTH`) and its smallest text at about
    9 CSS px; on a desktop the image keeps its own width, about 540 CSS px at :data:`DPI` = 100
    (the column is 688 px), and the same text is about 15 px. What the ratio of text to width fixes
    is the phone; the desktop only scales it. So small multiples stack or wrap rather than sit side
    by side, long labels wrap, and no function sets a font below the book's sizes.
    ``tests/test_browser.py`` measures every figure of every page on a 390 px phone.

    **Resolution.** In a notebook, the inline backend renders PNGs at twice the figure's dpi
    ("retina"): the image carries its display width, so it is sharp on high-density screens and
    still shown at its own width on a desktop.

    **Colour and background.** Okabe–Ito colours; figures are saved with an opaque white face so
    that they stay readable when the book is read in dark mode (a transparent PNG with black text
    disappears on a dark page). Seaborn draws where it is the natural tool (densities by
    year, regression scatters) and inherits these settings, since the book never calls
    ``seaborn.set_theme``.
    """
    mpl.rcParams.update(
        {
            "figure.dpi": DPI,
            "figure.figsize": (WIDTH, 0.66 * WIDTH),
            "savefig.dpi": 2 * DPI,
            "savefig.pad_inches": 0.05,   # the margin around a tight bounding box (default 0.1)
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "savefig.facecolor": "white",
            "savefig.transparent": False,
            "axes.prop_cycle": mpl.cycler(color=OKABE_ITO),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "font.size": FONT,
            "axes.titlesize": FONT + 1,
            "axes.labelsize": FONT,
            "figure.titlesize": FONT + 1.5,
            "xtick.labelsize": SMALLEST_FONT,
            "ytick.labelsize": SMALLEST_FONT,
            "legend.fontsize": SMALLEST_FONT,
            "legend.title_fontsize": SMALLEST_FONT,
            "svg.hashsalt": "ruralrev",
            "path.simplify": True,
        }
    )
    _retina_inline()


def _retina_inline() -> None:
    """In an IPython kernel, render inline figures as pixel-doubled PNGs carrying their display size."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.config import InlineBackend
    except ImportError:
        return
    if get_ipython() is None:
        return
    config = InlineBackend.instance()
    if set(config.figure_formats) != {"retina"}:
        config.figure_formats = {"retina"}   # applied now if the backend is active, else when it starts


def book_figure(nrows: int = 1, ncols: int = 1, height: float | None = None, **kwargs):
    """A figure of the book's width with ``nrows`` × ``ncols`` axes (``plt.subplots``).

    Parameters
    ----------
    height : float, optional
        Height in inches (default: two thirds of the width per row).
    **kwargs
        Passed to ``matplotlib.pyplot.subplots`` (``sharex``, ``gridspec_kw``, ``squeeze``, ...).

    Returns
    -------
    (Figure, Axes or array of Axes)
    """
    import matplotlib.pyplot as plt

    set_book_style()
    height = height if height is not None else 0.66 * WIDTH * nrows
    figure, axes = plt.subplots(nrows, ncols, figsize=(WIDTH, height), **kwargs)
    skip_cell_end_draw()   # after plt.subplots: pyplot registers its hook when the backend starts
    return figure, axes



def wrap_to_width(text: str, width_in: float, fontsize: float = FONT) -> str:
    """Break ``text`` at spaces so that no line is wider than ``width_in`` inches at ``fontsize``.

    Widths are measured with the font's glyph outlines (``matplotlib.textpath``), so a title or an
    axis label passed in by a chapter wraps instead of running off a phone-sized figure. A single
    word wider than the line stays whole; existing line breaks are kept.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    measure = TextToPath()
    font = FontProperties(size=fontsize)

    def width(line: str) -> float:
        return measure.get_text_width_height_descent(line, font, ismath=False)[0] / 72

    lines = []
    for paragraph in str(text).split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and width(candidate) > width_in:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return "\n".join(lines)


def _axes_width(ax) -> float:
    """Width of an axes box in inches, as the figure is laid out now (before ``tight_layout``)."""
    return ax.get_position().width * ax.figure.get_figwidth()


def label_axes(ax, title: str | None = None, xlabel: str | None = None, ylabel: str | None = None,
               title_size: float | str | None = None) -> None:
    """Set a left-aligned title and axis labels, each wrapped to fit the axes (see :func:`wrap_to_width`).

    The title may run a little past the axes box (into the right margin); the labels fit the box.
    """
    size = mpl.rcParams["axes.titlesize"] if title_size is None else title_size
    points = mpl.font_manager.FontProperties(size=size).get_size_in_points()
    box_width = _axes_width(ax)
    box_height = ax.get_position().height * ax.figure.get_figheight()
    if title is not None:
        ax.set_title(wrap_to_width(title, box_width + 0.35, points), loc="left", fontsize=size)
    if xlabel is not None:
        ax.set_xlabel(wrap_to_width(xlabel, box_width + 0.2, FONT))
    if ylabel is not None:
        ax.set_ylabel(wrap_to_width(ylabel, box_height + 0.2, FONT))


def finish(figure, rect=None) -> None:
    """Lay a figure out (``tight_layout``), wrap every axis label or title that is now wider than
    its room, and lay it out again.

    Labels are wrapped ahead of the layout by :func:`label_axes`, which cannot know how much room
    long tick labels (e.g. model names) will take; this pass uses the axes as laid out. An x label
    gets the axes' width, a y label its height, a left title the width from the axes' left edge to
    the figure's right edge.
    """
    from matplotlib.text import Text

    figure.tight_layout(rect=rect)
    renderer = figure.canvas.get_renderer()
    dpi, width_in = figure.dpi, figure.get_figwidth()
    wrapped = False
    for ax in figure.axes:
        if not ax.axison and not ax.get_title("left"):
            continue
        box = ax.get_position()
        # the title artists (centre, left, right) are the axes' own Text children; annotations are in ax.texts
        titles = [(child, width_in * (1 - box.x0) - 0.1) for child in ax.get_children()
                  if isinstance(child, Text) and child.get_text() and child not in ax.texts]
        for text, room in [(ax.xaxis.label, box.width * width_in + 0.2),
                           (ax.yaxis.label, box.height * figure.get_figheight() + 0.2), *titles]:
            if not text.get_text() or not text.get_visible():
                continue
            extent = text.get_window_extent(renderer)
            length = (extent.height if text is ax.yaxis.label else extent.width) / dpi
            if length > room:
                text.set_text(wrap_to_width(text.get_text().replace("\n", " "), room, text.get_fontsize()))
                wrapped = True
    if wrapped:
        figure.tight_layout(rect=rect)


def suptitle(figure, text: str) -> None:
    """A left-aligned figure title wrapped to the figure's width."""
    figure.suptitle(wrap_to_width(text, figure.get_figwidth() - 0.2, mpl.rcParams["figure.titlesize"]),
                    x=0.01, ha="left")


#: Candidate label positions around a point: offset (points) and alignment, in order of preference.
_OFFSETS = [((4, 3), "left", "bottom"), ((4, -3), "left", "top"), ((-4, 3), "right", "bottom"),
            ((-4, -3), "right", "top"), ((0, 6), "center", "bottom"), ((0, -6), "center", "top"),
            ((7, 0), "left", "center"), ((-7, 0), "right", "center")]



def _overlaps(box, boxes, pad: float = 1.0) -> bool:
    return any(box.x0 < other.x1 + pad and other.x0 < box.x1 + pad and
               box.y0 < other.y1 + pad and other.y0 < box.y1 + pad for other in boxes)



def label_points(ax, x, y, names, priority=None, fontsize: float = SMALLEST_FONT, marker_radius: float = 3.0):
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
    figure.draw_without_rendering()   # the layout, so that positions on the canvas are final
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



def note_text(drawn: list, s, prop) -> None:
    """Append ``(font size in points, text)`` of a text a renderer draws to ``drawn``, unless it is
    blank: the record of :func:`drawn_font_sizes` and of the kernel's PNG printer
    (:func:`ruralrev.book.figure_data.recording_text`)."""
    if str(s).strip():
        drawn.append((float(prop.get_size_in_points()), str(s)))


def drawn_font_sizes(figure) -> list[tuple[float, str]]:
    """Every piece of text a figure draws, as (font size in points, text), in drawing order.

    The figure is drawn once on a scratch Agg renderer that records each ``draw_text`` call, so
    only text that is really drawn counts (tick labels of an axis switched off, empty strings and
    invisible artists do not). Nothing is rasterised: every ``draw_*`` call of that renderer is a
    no-op, and ``draw_text`` only records; the layout and each text's size are those of a real
    draw (``tests/test_figure_layout.py`` compares the two). Multiply a size by the image's pixels
    per point and by its display scale to get the size a reader sees (see ``tests/test_browser.py``).
    """
    from matplotlib.backend_bases import RendererBase
    from matplotlib.backends.backend_agg import RendererAgg

    width, height = figure.get_size_inches() * figure.dpi
    renderer = RendererAgg(int(width), int(height), figure.dpi)
    drawn = []
    for name in dir(RendererBase):
        if name.startswith("draw_"):
            setattr(renderer, name, _no_op)
    renderer.draw_text = lambda gc, x, y, s, prop, angle, ismath=False, mtext=None: note_text(drawn, s, prop)
    figure.draw(renderer)
    return drawn


def _no_op(*args, **kwargs) -> None:
    return None


@contextmanager
def no_intermediate_draws(figure):
    """Within the block, ``draw_idle`` on ``figure``'s canvas does nothing.

    geopandas ends every ``plot`` call with ``plt.draw()``, which on a non-interactive (Agg,
    inline) canvas draws the whole figure at once: a map of five layers was drawn five times before
    the one render that reaches the page. The block uses the canvas's own re-entrancy guard
    (the flag matplotlib sets while a draw is under way), so nothing else changes.
    """
    with figure.canvas._idle_draw_cntx():
        yield


def skip_cell_end_draw() -> None:
    """In an IPython kernel with the inline backend, stop pyplot's draw of every open figure at
    the end of each cell.

    pyplot registers that draw (``post_execute``) for interactive backends, whose windows need it;
    the inline backend renders each figure to a PNG right after it and then closes it, so the draw
    only costs time (about a tenth of a second per figure). Other backends keep it.
    """
    import matplotlib.pyplot as plt

    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or "inline" not in mpl.get_backend():
        return
    hook = getattr(plt, "_draw_all_if_interactive", None)
    if hook is not None and hook in shell.events.callbacks["post_execute"]:
        shell.events.unregister("post_execute", hook)

"""The data behind each figure, recorded beside its image so that a re-run can be compared number by number.

When the runner executes a chapter it sets ``RURALREV_FIGURE_DATA=1`` in the kernel; importing
``ruralrev`` there calls :func:`register`, which adds a display format to IPython: every
matplotlib figure a cell shows carries, next to its PNG, a JSON record (:data:`MIME`) of what
is drawn (:func:`extract`). The book ignores this format (it renders the PNG); ``ruralrev verify``
compares it, so a moved number is named even where a PNG only says "different".
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

__all__ = ["MIME", "extract", "recording_text", "register"]

MIME = "application/vnd.ruralrev.figure-data+json"
_MAX_VALUES = 20_000  # larger arrays are recorded by their sha256


def _number(value: Any) -> Any:
    value = float(value)
    return value if math.isfinite(value) else str(value)


def _values(array) -> Any:
    import numpy as np

    if array is None:
        return None
    array = np.ma.filled(np.ma.asarray(array, dtype=float), np.nan)
    if array.size > _MAX_VALUES:
        return {"sha256": hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest(), "shape": list(array.shape)}
    return [_number(v) for v in array.ravel()] if array.ndim <= 1 else [_values(row) for row in array]


def _axes(ax) -> dict:
    import numpy as np
    from matplotlib.colors import to_hex
    from matplotlib.patches import Rectangle

    record = {"title": ax.get_title(), "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
              "xticklabels": [t.get_text() for t in ax.get_xticklabels()],
              "yticklabels": [t.get_text() for t in ax.get_yticklabels()]}
    for loc in ("left", "right"):
        if ax.get_title(loc=loc):
            record[f"title_{loc}"] = ax.get_title(loc=loc)
    lines = [_values(line.get_xydata()) for line in ax.get_lines()]
    collections = []
    for collection in ax.collections:
        entry = {}
        offsets = collection.get_offsets()
        if offsets is not None and len(offsets) and not (len(offsets) == 1 and not any(offsets[0])):
            entry["offsets"] = _values(offsets)
        if collection.get_array() is not None:
            entry["array"] = _values(collection.get_array())
        elif not entry and len(collection.get_paths()):
            vertices = [path.vertices for path in collection.get_paths()]
            entry = {"facecolors": sorted({to_hex(c, keep_alpha=True) for c in collection.get_facecolors()}),
                     "paths": len(vertices),
                     "outline_sha256": hashlib.sha256(b"".join(np.round(v, 6).tobytes() for v in vertices)).hexdigest()}
        if entry:
            collections.append(entry)
    bars = [[_number(p.get_x()), _number(p.get_y()), _number(p.get_width()), _number(p.get_height())]
            for p in ax.patches if isinstance(p, Rectangle)]
    texts = [t.get_text() for t in ax.texts if t.get_text()]
    legend = ax.get_legend()
    if legend is not None:
        record["legend"] = [t.get_text() for t in legend.get_texts()]
    images = [_values(image.get_array()) for image in ax.get_images()]
    for key, value in (("lines", lines), ("collections", collections), ("bars", bars), ("texts", texts),
                       ("images", images)):
        if value:
            record[key] = value
    return record


#: Where :func:`recording_text` leaves the texts the PNG's draw drew, on the figure.
_DRAWN = "_ruralrev_drawn_text"


def recording_text(printer):
    """Wrap the inline backend's PNG printer so that its draw also records every text it draws.

    The recorded list, ``(size in points, text)`` in drawing order as
    :func:`ruralrev.present.style.drawn_font_sizes` returns it, is left on the figure for
    :func:`extract`, which then needs no draw of its own (a draw is most of a figure's cost). Only
    the printer's real draw records: matplotlib's layout pass before it draws with every ``draw_*``
    method switched off on the renderer instance, which the recorder (on the class, for the
    duration of the call) does not reach.
    """
    def print_png(figure, *args, **kwargs):
        from matplotlib.backends.backend_agg import RendererAgg

        from ruralrev.present.style import note_text

        drawn, original = [], RendererAgg.draw_text

        def record(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
            note_text(drawn, s, prop)
            return original(self, gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

        RendererAgg.draw_text = record
        try:
            return printer(figure, *args, **kwargs)
        finally:
            RendererAgg.draw_text = original
            setattr(figure, _DRAWN, drawn)

    print_png.ruralrev_recording = True
    return print_png


def _record_text_with_the_png(shell) -> None:
    """Install :func:`recording_text` around the PNG printer of matplotlib figures, once (again
    after the inline backend replaced its printers)."""
    from matplotlib.figure import Figure

    formatter = shell.display_formatter.formatters.get("image/png")
    try:
        printer = formatter.lookup_by_type(Figure) if formatter is not None else None
    except KeyError:
        return
    if printer is not None and not getattr(printer, "ruralrev_recording", False):
        formatter.for_type(Figure, recording_text(printer))


def _layout(figure) -> dict:
    """The figure's size in inches and its smallest drawn font in points (what a phone shrinks):
    from the texts the PNG's draw recorded, or by a draw of its own."""
    # imported here: this module loads at every kernel's start, and present.style imports matplotlib
    from ruralrev.present.style import drawn_font_sizes

    drawn = figure.__dict__.pop(_DRAWN, None)
    sizes = [size for size, _ in (drawn if drawn else drawn_font_sizes(figure))]
    width, height = figure.get_size_inches()
    return {"width_in": round(float(width), 3), "height_in": round(float(height), 3),
            "smallest_font_pt": round(min(sizes), 2) if sizes else None}


def extract(figure) -> dict:
    """What a matplotlib figure draws, as JSON-ready lists (non-finite numbers as text), and its
    layout: size in inches and smallest font in points (the browser tests' legibility check).

    Per axes its titles, labels and legend, each line's points, each collection's offsets and
    colour values (a choropleth's province values; for a collection drawn in one colour, as a
    categorical map draws each category, its colour, its number of shapes and a digest of their
    outlines, so a province that changes category is named by its collection), each bar's
    rectangle, each text and image; and the figure's width and smallest drawn font, which the
    browser tests turn into the size a phone shows."""
    return {"suptitle": figure._suptitle.get_text() if getattr(figure, "_suptitle", None) else "",
            "axes": [_axes(ax) for ax in figure.axes], "layout": _layout(figure)}


def register(shell=None) -> bool:
    """Add the figure-data format to the running IPython shell; False outside IPython."""
    try:
        from IPython import get_ipython
        from IPython.core.formatters import BaseFormatter
        from traitlets import ObjectName, Unicode
    except ImportError:
        return False
    shell = shell or get_ipython()
    if shell is None or MIME in shell.display_formatter.formatters:
        return False

    class FigureDataFormatter(BaseFormatter):
        """Formats matplotlib figures only. It recognises them itself rather than through the
        type registry, because the inline backend clears every formatter's entry for ``Figure``
        when it is activated (after ``ruralrev`` was imported)."""

        format_type = Unicode(MIME)
        print_method = ObjectName("_repr_ruralrev_figure_data_")
        _return_type = (dict,)

        def __call__(self, obj):
            if not self.enabled:
                return None
            kind = type(obj)
            if kind.__name__ != "Figure" or not kind.__module__.startswith("matplotlib"):
                return None
            _record_text_with_the_png(shell)   # for the next figure: this one's PNG is drawn already
            try:
                return extract(obj)
            except Exception as exc:  # noqa: BLE001 - the figure must show; the record says what failed
                return {"error": f"{type(exc).__name__}: {exc}"}

    shell.display_formatter.formatters[MIME] = FigureDataFormatter(parent=shell.display_formatter)
    if MIME not in shell.display_formatter.active_types:
        shell.display_formatter.active_types = [*shell.display_formatter.active_types, MIME]
    return True

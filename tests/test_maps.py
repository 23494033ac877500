import matplotlib
import pandas as pd
import pytest
import shapely

from ruralrev.core import provinces
from ruralrev.data import geo
from ruralrev.present import maps

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def shapes():
    return geo.load_map()


def test_map_has_the_31_provinces_and_three_no_data_areas(shapes):
    table = provinces.province_table()
    on_map = shapes[shapes["status"] == "province"]
    assert dict(zip(on_map["province"], on_map["gb_code"])) == dict(zip(table["province"], table["gb_code"]))
    assert set(shapes.loc[shapes["status"] == "no data", "province"]) == {"Hong Kong", "Macao", "Taiwan"}
    assert shapes.geometry.is_valid.all()
    assert (geo.MAP_FILE.stat().st_size) < 600_000


def test_neighbours_share_edges_and_do_not_overlap(shapes):
    geometry = shapes.set_index("province").geometry
    for a, b in [("Beijing", "Hebei"), ("Henan", "Hubei"), ("Sichuan", "Chongqing"), ("Gansu", "Qinghai")]:
        shared = geometry[a].intersection(geometry[b])
        assert shared.length > 0.1, (a, b)          # a common border of real length (degrees)
        assert shared.area < 1e-6, (a, b)           # and no overlap
    assert not geometry["Hainan"].intersects(geometry["Guangdong"])  # an island stays an island


def test_choropleth_refuses_an_unknown_province():
    with pytest.raises(ValueError, match=r"unknown province\(s\) \['Atlantis'\]"):
        maps.choropleth(pd.Series({"Atlantis": 1.0}), "t", "u")


def test_choropleth_marks_missing_provinces_as_no_data():
    ax = maps.choropleth(pd.Series({"Beijing": 1.0, "Tibet": 2.0}), "t", "yuan")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["no data"]

"""The NBS export reader, on small fixture files written the way the real exports are."""

import pytest

from ruralrev.data.build import nbs_csv

SOURCE = "数据来源：国家统计局\n"


def _write(path, text, encoding="utf-8-sig"):
    path.write_bytes(text.encode(encoding))
    return path


def test_provinces_by_years_with_tab_comma_trailing_separator_and_footnotes(tmp_path):
    path = _write(tmp_path / "农村居民人均可支配收入 (元).csv",
                  "数据库：分省年度数据 \n时间：2023年-2025年 \n"
                  "地区\t,2025年\t,2024年\t,2023年\t,\n"
                  "北京市\t,\t,39856\t,37358\t,\n"
                  "西藏自治区\t,\t,21578\t,19924\t,\n"
                  "注：1. 一条脚注，带逗号, 和数字 2024\n" + SOURCE)
    export = nbs_csv.read_export(path)
    assert export.layout == "provinces-by-years"
    cells = export.cells.set_index(["province", "year"])
    assert cells.loc[("Beijing", 2024), "value"] == "39856"
    assert cells.loc[("Tibet", 2023), "value"] == "19924"
    assert set(export.cells["indicator"]) == {"农村居民人均可支配收入"}
    assert set(export.cells["unit"]) == {"元"}
    assert len(export.cells) == 4  # 2025 is empty
    assert cells.loc[("Tibet", 2023), "line"] == 5


def test_gbk_with_indicator_line_and_no_trailing_separator(tmp_path):
    path = _write(tmp_path / "分省年度数据 (3).csv",
                  "数据库：分省年度数据\n指标：城镇单位就业人员(万人)\n时间：最近20年\n"
                  "地区,2025年,2024年,2023年\n北京市,,763.6,\n天津市,,226.0,219.0\n" + SOURCE, "gbk")
    cells = nbs_csv.read_export(path).cells
    assert list(cells["value"]) == ["763.6", "226.0", "219.0"]
    assert set(cells["indicator"]) == {"城镇单位就业人员"} and set(cells["unit"]) == {"万人"}


def test_one_file_per_province_indicators_by_years(tmp_path):
    path = _write(tmp_path / "内蒙古自治区.csv",
                  "数据库：分省年度数据 \n时间：2023年-2024年 \n指标\t,2024年\t,2023年\t,\n"
                  "地区生产总值 (亿元) \t,25000.1\t,24000.0\t,\n人均地区生产总值 (元/人) \t,110104\t,\t,\n" + SOURCE)
    export = nbs_csv.read_export(path)
    assert export.layout == "indicators-by-years"
    assert set(export.cells["province"]) == {"Inner Mongolia"}
    assert export.cells.set_index(["indicator", "year"]).loc[("人均地区生产总值", 2024), "unit"] == "元/人"


def test_provinces_by_indicators_takes_the_year_from_the_time_line(tmp_path):
    path = _write(tmp_path / "x.csv", "数据库：分省年度数据 \n时间：2024年 \n"
                  "地区\t,地区生产总值 (亿元) \t,人均地区生产总值 (元/人)\n北京市\t,49670.2\t,228167\t,\n" + SOURCE)
    cells = nbs_csv.read_export(path).cells
    assert set(cells["year"]) == {2024} and list(cells["unit"]) == ["亿元", "元/人"]


def test_national_table(tmp_path):
    path = _write(tmp_path / "全国.csv", "数据库：年度数据 \n时间： \n指标\t,2024年\t,2023年\t,\n"
                  "农村居民人均可支配收入 (元) \t,23119\t,21691\t,\n" + SOURCE)
    cells = nbs_csv.read_export(path).cells
    assert set(cells["province"]) == {"China"} and list(cells["value"]) == ["23119", "21691"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("地区,2024年\n北京市,1\n", r"x.csv:1: bad header: expected '数据库：…', found '地区,2024年'"),
        ("数据库：分省年度数据\n时间：2024年\n城市,2024年\n", r"x.csv:3: bad header: unexpected line '城市,2024年'"),
        ("数据库：分省年度数据\n地区,2024年,人口 (万人)\n北京市,1,2\n", r"x.csv:2: unknown layout"),
        ("数据库：分省年度数据\n地区,2024年,2023年\n北京市,12.5,n/a\n", r"x.csv:3: non-numeric cell 'n/a' in column '2023年'"),
        ("数据库：分省年度数据\n地区,2024年\n北京市,1\n京城,2\n", r"x.csv:4: unknown province '京城'"),
        ("数据库：分省年度数据\n地区,2024年\n北京市,1\n北京市,2\n",
         r"x.csv:4: duplicate cell Beijing 2024 x \(\) \(first on line 3\)"),
        ("数据库：分省年度数据\n地区,2024年,2023年\n北京市,1\n", r"x.csv:3: 2 cells where the header has 3"),
        ("数据库：分省年度数据\n时间：\n地区,人口 (万人)\n北京市,1\n", r"x.csv:3: one-year table but the time line is ''"),
    ],
)
def test_malformed_exports_name_file_line_and_value(tmp_path, text, message):
    path = _write(tmp_path / "x.csv", text + SOURCE)
    with pytest.raises(nbs_csv.ExportError, match=message):
        nbs_csv.read_export(path)


def test_undecodable_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xff\xfe\xff\x00garbage")
    with pytest.raises(nbs_csv.ExportError, match="neither UTF-8 nor GBK"):
        nbs_csv.read_export(path)


def test_split_indicator():
    assert nbs_csv.split_indicator("地区生产总值 (亿元) ") == ("地区生产总值", "亿元")
    assert nbs_csv.split_indicator("人口数(人口抽样调查)(人)") == ("人口数(人口抽样调查)", "人")
    assert nbs_csv.split_indicator("分省年度数据可支配收入") == ("分省年度数据可支配收入", "")


def test_rows_and_closing_line_are_reported_for_the_completeness_gate(tmp_path):
    text = ("数据库：分省年度数据\n时间：2024年-2025年\n地区\t,2025年\t,2024年\t,\n"
            "北京市\t,\t,\t,\n天津市\t,\t,5\t,\n")
    whole = nbs_csv.read_export(_write(tmp_path / "乡村人口 (万人).csv", text + SOURCE))
    assert whole.rows == [("北京市", 4), ("天津市", 5)]  # Beijing's empty row counts as a row
    assert whole.source_line == 6 and list(whole.cells["province"]) == ["Tianjin"]
    cut = nbs_csv.read_export(_write(tmp_path / "城镇人口 (万人).csv", text))
    assert cut.source_line is None


# ---- the year structure of an export (issue #23, case 6) ---------------------------------------

_YEARS_HEAD = "数据库：分省年度数据 \n时间：2022年-2025年 \n"
_ROW = "北京市\t,1\t,2\t,3\t,\n"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("地区\t,2025年\t,2024年\t,2022年\t,\n",
         r"x.csv:3: year headers 2025年, 2024年, 2022年: the columns do not match the declared span 2022–2025: "
         r"2023 missing \(时间：2022年-2025年, line 2\)"),
        ("地区\t,2025年\t,2024年\t,2013年\t,2022年\t,\n",
         r"x.csv:3: year headers .*: 2023 missing; 2013 outside it"),
        ("地区\t,2025年\t,2024年\t,2024年\t,2022年\t,\n", r"x.csv:3: year headers .*: 2024 printed more than once"),
        ("地区\t,2025年\t,2023年\t,2024年\t,2022年\t,\n", r"x.csv:3: year headers .*: the years are out of order"),
    ],
)
def test_year_headers_must_match_the_declared_time_span(tmp_path, header, message):
    """A deleted, relabelled, duplicated or moved year column is named with the header line."""
    cells = header.count("年")
    path = _write(tmp_path / "x.csv", _YEARS_HEAD + header + "北京市\t" + ",1\t" * cells + ",\n" + SOURCE)
    with pytest.raises(nbs_csv.ExportError, match=message):
        nbs_csv.read_export(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("数据库：分省年度数据\n时间：\n地区,2025年,2024年,2013年,2022年\n北京市,1,2,3,4\n",
         r"x.csv:3: year headers .*: the years are not one consecutive run \(2024 to 2013, 2013 to 2022\)"),
        ("数据库：分省年度数据\n时间：二〇二四\n地区,2024年\n北京市,1\n", r"x.csv:2: time line '二〇二四' is not"),
        ("数据库：分省年度数据\n时间：2023年-2024年\n地区,人口 (万人)\n北京市,1\n",
         r"x.csv:2: one-year table but the time line declares '2023年-2024年'"),
    ],
)
def test_years_without_a_span_must_still_be_one_run(tmp_path, text, message):
    path = _write(tmp_path / "x.csv", text + SOURCE)
    with pytest.raises(nbs_csv.ExportError, match=message):
        nbs_csv.read_export(path)


def test_a_complete_span_and_the_latest_n_years_are_read(tmp_path):
    path = _write(tmp_path / "x.csv", _YEARS_HEAD + "地区\t,2025年\t,2024年\t,2023年\t,2022年\t,\n" + _ROW.replace(
        ",3\t,\n", ",3\t,4\t,\n") + SOURCE)
    assert sorted(nbs_csv.read_export(path).cells["year"]) == [2022, 2023, 2024, 2025]
    assert nbs_csv.declared_span("最近20年") is None and nbs_csv.declared_span("2024年") == (2024, 2024)

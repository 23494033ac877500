"""The JSON-in-CSV reader for the NBS internet indicators, on small files written like the real one."""

import csv
import io
import json

import pytest

from ruralrev.core.provinces import PROVINCES
from ruralrev.data.build import nbs_csv, nbs_json

LABEL = "nbs-exports/digital/分省互联网主要指标_多年期_原始抓取.csv"


def _item(showname, unit, accuracy, value):
    return {"i_showname": f"{showname} ({unit}) ", "_name": showname, "du_name": unit, "accuracy": str(accuracy),
            "value": value, "type": "indicator"}


def _answer(k):
    years = []
    for year in (2025, 2024):
        published = year == 2024
        years.append({"code": f"{year}YY", "name": f"{year}年", "values": [
            _item("互联网宽带接入用户", "万户", 1, f"{100 + k}.5" if published else ""),
            _item("城市宽带接入用户", "万户", 1, f"{80 + k}.4" if published else ""),
            _item("农村宽带接入用户", "万户", 1, "20.1" if published else ""),
            _item("移动互联网用户", "万户", 2, f"{300 + k}.25" if published else ""),
            _item("域名数", "万个", 2, "1.50" if published else ""),
        ]})
    return {"data": years, "success": True, "state": 20000, "message": "成功"}


def _write(tmp_path, edit=None):
    rows = [["省份名称", "省份代码", "JSON数据"]]
    for k, (name_cn, _, code, _) in enumerate(PROVINCES):
        rows.append([name_cn, f"{code}0000000000", json.dumps(_answer(k), ensure_ascii=False)])
    if edit:
        rows = edit(rows)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path = tmp_path / "digital.csv"
    path.write_bytes(("\ufeff" + buffer.getvalue()).encode("utf-8"))
    return path


def test_reads_names_units_and_values_as_printed(tmp_path):
    export = nbs_json.read_json_export(_write(tmp_path), label=LABEL)
    cells = export.cells.set_index(["province", "year", "indicator"])
    assert cells.loc[("Beijing", 2024, "农村宽带接入用户"), "value"] == "20.1"
    assert cells.loc[("Tianjin", 2024, "互联网宽带接入用户"), "unit"] == "万户"
    assert cells.loc[("Tianjin", 2024, "移动互联网用户"), "line"] == 3
    assert set(export.cells["year"]) == {2024}  # 2025 is printed empty: not published
    assert len(export.rows) == 31 and export.layout == "provinces-json"


def _replace_answer(position, text):
    def edit(rows):
        rows[position][2] = text(rows[position][2])
        return rows
    return edit


@pytest.mark.parametrize("edit, message", [
    (_replace_answer(3, lambda t: t[:-1]), r"digital.csv:4: Hebei: broken JSON in column JSON数据 \(Expecting"),
    (lambda rows: rows[:26] + rows[27:], r"province\(s\) missing from the file: Tibet \(30 of 31 present\)"),
    (lambda rows: rows + [rows[1]], r"digital.csv:33: Beijing appears twice \(first on line 2\)"),
    (_replace_answer(1, lambda t: t.replace("农村宽带接入用户 (万户)", "乡村宽带接入用户 (万户)")),
     r"digital.csv:2: Beijing 2025: indicator '乡村宽带接入用户 \(万户\) ' is not in ruralrev.data.registry"),
    (_replace_answer(1, lambda t: t.replace('"du_name": "万户", "accuracy": "2"', '"du_name": "户", "accuracy": "2"')),
     r"digital.csv:2: Beijing 2025: 移动互联网用户 unit '户' differs from the printed '万户'"),
    (_replace_answer(2, lambda t: t.replace('"20.1"', '"20.15"')),
     r"digital.csv:3: Tianjin 2024: 农村宽带接入用户 value '20.15' is not a number with at most 1 decimals"),
    (_replace_answer(2, lambda t: t.replace('"success": true', '"success": false')),
     r"digital.csv:3: Tianjin: the site's answer is not a success"),
    (lambda rows: [rows[0]] + [[rows[1][0], "120000000000", rows[1][2]]] + rows[2:],
     r"digital.csv:2: Beijing: code '120000000000' is not its GB/T 2260 code 110000"),
    (lambda rows: [["省份", "代码", "JSON"]] + rows[1:], r"digital.csv:1: bad header"),
])
def test_bad_files_are_refused_with_file_line_and_value(tmp_path, edit, message):
    path = _write(tmp_path, edit)
    with pytest.raises(nbs_csv.ExportError, match=message):
        nbs_json.read_json_export(path, label=f"{tmp_path}/digital.csv")

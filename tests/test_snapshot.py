"""Rebuilding the snapshot from the raw exports, and the bad exports that must stop the build.

Every test here needs ``../shared/data`` and skips without it (a reader's clone).
"""

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from ruralrev.book import cli
from ruralrev.core import paths
from ruralrev.data import official
from ruralrev.data.build import nbs_csv, snapshot

RURAL_INCOME = "nbs-exports/agri/农村居民人均可支配收入/农村居民人均可支配收入 (元).csv"
RURAL_POPULATION = "nbs-exports/agri/人口/乡村人口 (万人).csv"
DIGITAL = "nbs-exports/digital/分省互联网主要指标_多年期_原始抓取.csv"


def test_rebuild_is_byte_identical(raw_data_dir, tmp_path):
    build = snapshot.build_snapshot(raw_data_dir, tmp_path)
    assert len(build.files) == 8
    for path in build.files:
        committed = paths.DATA / path.relative_to(tmp_path)
        assert path.read_bytes() == committed.read_bytes(), f"{committed} differs from a rebuild"
    assert build.n_flags == len(pd.read_csv(paths.DATA / "official" / "quality.csv"))
    assert build.broadband_identity_gap == pytest.approx(0.1)
    assert build.yearbook_gap == pytest.approx(0.5)


def test_snapshot_values_equal_the_raw_exports(raw_data_dir):
    observations = official.load_observations()
    sample = observations[observations["file"].str.startswith("nbs-exports/")
                          & ~observations["file"].str.startswith("nbs-exports/digital/")]
    sample = sample.sample(200, random_state=20261123)
    cache = {}
    for row in sample.itertuples():
        if row.file not in cache:
            cache[row.file] = nbs_csv.read_export(raw_data_dir / row.file, label=row.file).cells
        cells = cache[row.file]
        printed = cells[cells["line"] == row.line]
        printed = printed[(printed["province"] == row.province) & (printed["year"] == row.year)]
        assert float(printed["value"].iloc[0]) == row.value, row


def test_digital_values_equal_the_json_answers(raw_data_dir):
    """Independent of ruralrev.data.build.nbs_json: parse the JSON with the standard library only."""
    with open(raw_data_dir / DIGITAL, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    beijing = json.loads(next(r for r in rows if r[0] == "北京市")[2])
    printed = {(int(e["code"][:4]), v["i_showname"].strip()): v["value"] for e in beijing["data"] for v in e["values"]}
    observations = official.load_observations().set_index(["province", "year", "indicator"])["value"]
    assert observations[("Beijing", 2024, "rural_broadband_users")] == float(printed[(2024, "农村宽带接入用户 (万户)")])
    assert observations[("Beijing", 2016, "mobile_internet_traffic")] == float(printed[(2016, "移动互联网接入流量 (万GB)")])
    panel = official.load_panel()
    assert panel["rural_broadband_users"].notna().sum() == 276 and panel["broadband_users"].notna().sum() == 279


# ---- bad exports: one clear message, nothing written ------------------------------------------

def _raw_copy(raw_data_dir, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(raw_data_dir, raw)
    out = tmp_path / "out"
    shutil.copytree(paths.DATA / "official", out / "official")
    shutil.copy(paths.DATA / "provinces.csv", out / "provinces.csv")
    return raw, out, _contents(out)


def _contents(folder):
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _set_manifest_hash(raw, relative):
    manifest = raw / "MANIFEST.tsv"
    table = pd.read_csv(manifest, sep="\t", dtype=str)
    table.loc[table["path"] == relative, "sha256"] = hashlib.sha256((raw / relative).read_bytes()).hexdigest()
    table.to_csv(manifest, sep="\t", index=False, lineterminator="\n")


def _edit_text(raw, relative, edit):
    path = raw / relative
    path.write_bytes(("\ufeff" + edit(path.read_bytes().decode("utf-8-sig"))).encode("utf-8"))
    _set_manifest_hash(raw, relative)


def _edit_json(raw, province_cn, edit, drop=False):
    path = raw / DIGITAL
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    kept = []
    for row in rows:
        if row[0] == province_cn:
            if drop:
                continue
            row[2] = edit(row[2])
        kept.append(row)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(kept)
    path.write_bytes(("\ufeff" + buffer.getvalue()).encode("utf-8"))
    _set_manifest_hash(raw, DIGITAL)


def _set_json_value(text, year, showname, value):
    answer = json.loads(text)
    entry = next(e for e in answer["data"] if e["code"] == f"{year}YY")
    next(v for v in entry["values"] if v["i_showname"].strip() == showname)["value"] = value
    return json.dumps(answer, ensure_ascii=False)


def _truncate_rows(text, keep_rows):
    lines = text.splitlines(keepends=True)
    return "".join(lines[:3 + keep_rows])  # three header lines, then the province rows


def _drop_rows_keep_footer(text, keep_rows):
    lines = text.splitlines(keepends=True)
    return "".join(lines[:3 + keep_rows] + lines[3 + 31:])


BAD_EXPORTS = {
    "truncated at a row boundary": (
        lambda raw: _edit_text(raw, RURAL_POPULATION, lambda t: _truncate_rows(t, 17)),
        r"乡村人口 \(万人\).csv: the export ends after line 20 without its closing line '数据来源：国家统计局' "
        r"\(rule: completeness; truncated download\?\)"),
    "rows missing, closing line kept": (
        lambda raw: _edit_text(raw, RURAL_POPULATION, lambda t: _drop_rows_keep_footer(t, 17)),
        r"乡村人口 \(万人\).csv: no row for 14 province\(s\) \(Hunan, .*, Xinjiang\); the table ends at line 20 "
        r"\(rule: completeness"),
    "×10 value inside the series": (
        lambda raw: _edit_text(raw, RURAL_INCOME, lambda t: t.replace(",42988\t", ",429880\t")),
        r"农村居民人均可支配收入 \(元\).csv:12: rural_income Shanghai 2023 = 429880 is more than 5 times away from "
        r"both neighbours .*rule: extreme"),
    "×10 value in the last year": (
        lambda raw: _edit_text(raw, RURAL_INCOME, lambda t: t.replace(",39856\t", ",398560\t")),
        r"农村居民人均可支配收入 \(元\).csv:4: rural_income Beijing 2024 = 398560 against 37358 in 2023 "
        r"\(966.9 %; .*\); rule: extreme"),
    "broken JSON": (
        lambda raw: _edit_json(raw, "河北省", lambda t: t[:-2]),
        r"分省互联网主要指标_多年期_原始抓取.csv:4: Hebei: broken JSON in column JSON数据"),
    "a province missing from the JSON file": (
        lambda raw: _edit_json(raw, "西藏自治区", None, drop=True),
        r"分省互联网主要指标_多年期_原始抓取.csv: province\(s\) missing from the file: Tibet \(30 of 31 present\)"),
    "urban + rural ≠ total": (
        lambda raw: _edit_json(raw, "北京市", lambda t: _set_json_value(t, 2024, "互联网宽带接入用户 (万户)", "999.1")),
        r"分省互联网主要指标_多年期_原始抓取.csv:2: Beijing 2024: urban_broadband_users \+ rural_broadband_users − "
        r"broadband_users = -6.90 .*rule: parts must sum to the total within 0.15"),
    "checksum mismatch": (
        lambda raw: (raw / RURAL_INCOME).write_bytes((raw / RURAL_INCOME).read_bytes().replace(b"39856", b"39857")),
        r"农村居民人均可支配收入 \(元\).csv: sha256 \w+ does not match the manifest's"),
    "unknown province": (
        lambda raw: _edit_text(raw, RURAL_INCOME, lambda t: t.replace("天津市", "天京市")),
        r"\(元\).csv:5: unknown province '天京市'"),
    "mislabeled export": (
        lambda raw: _edit_text(raw, "nbs-exports/economy/分省年度数据可支配收入.csv", lambda t: t.replace(",57230", ",57330")),
        r"all_income: .* Beijing 2017 is 57330.0 where .* prints 57229.8"),
    "table 2-6 disagrees with the exports": (
        lambda raw: _edit_text(raw, "yearbook-tables/rural-yearbook-2021/2-6 2020年各地区城乡居民收入水平.csv",
                               lambda t: t.replace("北京,69433.5,30125.7", "北京,69433.5,30135.7")),
        r"2-6 2020年各地区城乡居民收入水平.csv:5: Beijing 2020 rural_income = 30135.7 where the NBS export prints "
        r"30126; rule: equal within 0.55 yuan"),
}


@pytest.mark.parametrize("case", list(BAD_EXPORTS))
def test_a_bad_export_stops_the_build_with_one_message_and_keeps_the_snapshot(raw_data_dir, tmp_path, case,
                                                                               monkeypatch, capsys):
    raw, out, before = _raw_copy(raw_data_dir, tmp_path)
    damage, message = BAD_EXPORTS[case]
    damage(raw)
    monkeypatch.setattr(paths, "DATA", out)
    assert cli.main(["data", "build", "--raw", str(raw)]) == 1
    printed = capsys.readouterr().err.strip().splitlines()
    assert len(printed) == 1 and printed[0].startswith("ruralrev: "), printed
    assert re.search(message, printed[0]), printed[0]
    assert _contents(out) == before
    assert not list(out.glob(".snapshot-*")), "the staging folder was left behind"


def test_the_command_line_prints_no_traceback(raw_data_dir, tmp_path):
    raw, out, _ = _raw_copy(raw_data_dir, tmp_path)
    BAD_EXPORTS["broken JSON"][0](raw)
    root = tmp_path / "root"
    root.mkdir()
    shutil.copytree(out, root / "data")
    before = _contents(root / "data")
    env = dict(os.environ, RURALREV_ROOT=str(root))
    done = subprocess.run([sys.executable, "-m", "ruralrev.book.cli", "data", "build", "--raw", str(raw)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1
    assert done.stderr.startswith("ruralrev: nbs-exports/digital/") and "Traceback" not in done.stderr
    assert _contents(root / "data") == before

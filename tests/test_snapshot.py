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


@pytest.fixture(scope="module")
def rebuild(raw_data_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rebuild")
    return folder, snapshot.build_snapshot(raw_data_dir, folder)


def test_rebuild_is_byte_identical(rebuild):
    folder, build = rebuild
    assert len(build.files) == 8
    for path in build.files:
        committed = paths.DATA / path.relative_to(folder)
        assert path.read_bytes() == committed.read_bytes(), f"{committed} differs from a rebuild"
    assert build.n_flags == len(pd.read_csv(paths.DATA / "official" / "quality.csv"))


@pytest.mark.snapshot
def test_the_largest_gaps_the_rebuild_tolerates_today(rebuild):
    _, build = rebuild
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


# ---- bad exports: one clear message, nothing written ------------------------------------------

def _raw_copy(raw_data_dir, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(raw_data_dir, raw)
    out = tmp_path / "out"
    shutil.copytree(paths.DATA / "official", out / "official")
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


def _columns(text, edit):
    """Apply ``edit(cells, header_cells)`` to the header and every province row of a provinces × years export."""
    lines = text.splitlines(keepends=True)
    header = lines[2].rstrip("\r\n").split(",")
    for k in range(2, 3 + 31):
        ending = lines[k][len(lines[k].rstrip("\r\n")):]
        lines[k] = ",".join(edit(lines[k].rstrip("\r\n").split(","), header)) + ending
    return "".join(lines)


def _drop_year(year):
    return lambda cells, header: [c for c, h in zip(cells, header) if h.strip() != f"{year}年"]


def _exchange_years(first, second):
    def edit(cells, header):
        at = [i for i, h in enumerate(header) if h.strip() in (f"{first}年", f"{second}年")]
        if cells[0].strip() != "地区":
            cells[at[0]], cells[at[1]] = cells[at[1]], cells[at[0]]
        return cells
    return edit


def _regions_twice(raw):
    path = raw / "regions_nbs.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines + [lines[1]]), encoding="utf-8")


BAD_EXPORTS = {
    "a year column deleted": (
        lambda raw: _edit_text(raw, RURAL_INCOME, lambda t: _columns(t, _drop_year(2023))),
        r"农村居民人均可支配收入 \(元\).csv:3: year headers 2025年, 2024年, 2022年, .*: the columns do not match the "
        r"declared span 2016–2025: 2023 missing \(时间：2016年-2025年, line 2\)"),
    "a year header relabelled": (
        lambda raw: _edit_text(raw, RURAL_INCOME, lambda t: t.replace("2023年", "2013年", 1)),
        r"农村居民人均可支配收入 \(元\).csv:3: year headers .*: 2023 missing; 2013 outside it"),
    "a province listed twice in the region file": (
        _regions_twice, r"regions_nbs.csv:33: Beijing is listed twice \(first on line 2\)"),
    "an empty manifest": (
        lambda raw: (raw / "MANIFEST.tsv").write_text(""),
        r"MANIFEST.tsv:1: empty file: expected a header line with the columns path, sha256"),
    "a manifest line cut short": (
        lambda raw: (raw / "MANIFEST.tsv").write_text((raw / "MANIFEST.tsv").read_text().replace(
            "\te787adbba5bc869ecf1f8ce0bac573c13e6c908c1f5dbcfcf260d432d1d07d9d", "", 1)),
        r"MANIFEST.tsv:2: 4 cells where the header has 5"),
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


def test_two_exchanged_years_are_flagged_as_a_pair(raw_data_dir, tmp_path, monkeypatch, capsys):
    """2022 and 2023 of rural income pasted the wrong way round: every value is plausible, but the
    provinces jump and fall back together; the build flags the pair (rule swapped-years)."""
    from ruralrev.data import breaks

    assert breaks.swapped_pairs(breaks.load_flags()).empty                  # none in the committed snapshot
    raw, out, _ = _raw_copy(raw_data_dir, tmp_path)
    _edit_text(raw, RURAL_INCOME, lambda t: _columns(t, _exchange_years(2022, 2023)))
    monkeypatch.setattr(paths, "DATA", out)
    assert cli.main(["data", "build", "--raw", str(raw)]) == 0, capsys.readouterr().err
    assert ("data: rural_income 2022 and 2023 look exchanged in 31 provinces (rule swapped-years, flagged in "
            "quality.csv): check the export's year columns") in capsys.readouterr().err.splitlines()
    flags = breaks.load_flags(out)
    swapped = flags[flags["rule"] == "swapped-years"]
    assert set(swapped["series"]) == {"rural_income"} and len(swapped) == 31
    assert set(zip(swapped["year_from"], swapped["year_to"])) == {(2022, 2023)}
    assert breaks.swapped_pairs(flags).to_dict("records") == [
        {"series": "rural_income", "year_from": 2022, "year_to": 2023, "provinces": 31}]


@pytest.mark.parametrize("when", ["before", "after"])
def test_an_interrupted_build_leaves_the_old_snapshot_or_the_new_never_a_mix(raw_data_dir, tmp_path, monkeypatch,
                                                                          when):
    """Ctrl-C arrives just before or just after the first file-system rename of the build."""
    from ruralrev.core import files

    raw, out, _ = _raw_copy(raw_data_dir, tmp_path)
    fresh = tmp_path / "fresh"
    snapshot.build_snapshot(raw, fresh)
    new = {p.relative_to(fresh): data for p, data in _contents(fresh).items()}
    with open(out / "official" / "panel.csv", "a", encoding="utf-8") as handle:   # the old snapshot differs
        handle.write("\n")
    with open(out / "official" / "national.csv", "a", encoding="utf-8") as handle:
        handle.write("\n")
    old = {p.relative_to(out): data for p, data in _contents(out).items()}
    assert old != new
    calls = []

    def interrupting(real):
        def call(*args, **kwargs):
            calls.append(args)
            if when == "before":
                raise KeyboardInterrupt
            result = real(*args, **kwargs)
            raise KeyboardInterrupt
            return result
        return call

    monkeypatch.setattr(os, "replace", interrupting(os.replace))
    monkeypatch.setattr(os, "rename", interrupting(os.rename))
    if hasattr(files, "_exchange"):
        monkeypatch.setattr(files, "_exchange", interrupting(files._exchange))
    with pytest.raises(KeyboardInterrupt):
        snapshot.build_snapshot(raw, out)
    monkeypatch.undo()
    after = {p.relative_to(out): data for p, data in _contents(out).items()}
    assert calls and after in (old, new)
    assert after == (old if when == "before" else new)

"""The 31 provincial-level divisions of mainland China: names, codes and the NBS four regions.

Codes are the two leading digits of the GB/T 2260 administrative-division code (Beijing 11 →
110000); HASC codes are those of Natural Earth admin-1 (note CN.HA Hainan, CN.HE Henan,
CN.SA Shaanxi, CN.SX Shanxi). ``tests/test_provinces.py`` checks the GB/T codes against the ISO
3166-2 codes carried by the Natural Earth map (``CN-11`` …) and the names against the NBS region
file. The region of each province is not listed here: it is read from the NBS classification
when the data snapshot is built and stored in ``data/official/provinces.csv``.

References
----------
GB/T 2260 *Codes for the administrative divisions of the People's Republic of China*.
NBS (2011), 东西中部和东北地区划分方法 (the East/Central/West/Northeast classification).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["PROVINCES", "province_table", "to_english", "UnknownProvince"]

#: (Chinese name as NBS prints it, English name, GB/T 2260 two-digit code, Natural Earth HASC)
PROVINCES: list[tuple[str, str, int, str]] = [
    ("北京市", "Beijing", 11, "CN.BJ"),
    ("天津市", "Tianjin", 12, "CN.TJ"),
    ("河北省", "Hebei", 13, "CN.HB"),
    ("山西省", "Shanxi", 14, "CN.SX"),
    ("内蒙古自治区", "Inner Mongolia", 15, "CN.NM"),
    ("辽宁省", "Liaoning", 21, "CN.LN"),
    ("吉林省", "Jilin", 22, "CN.JL"),
    ("黑龙江省", "Heilongjiang", 23, "CN.HL"),
    ("上海市", "Shanghai", 31, "CN.SH"),
    ("江苏省", "Jiangsu", 32, "CN.JS"),
    ("浙江省", "Zhejiang", 33, "CN.ZJ"),
    ("安徽省", "Anhui", 34, "CN.AH"),
    ("福建省", "Fujian", 35, "CN.FJ"),
    ("江西省", "Jiangxi", 36, "CN.JX"),
    ("山东省", "Shandong", 37, "CN.SD"),
    ("河南省", "Henan", 41, "CN.HE"),
    ("湖北省", "Hubei", 42, "CN.HU"),
    ("湖南省", "Hunan", 43, "CN.HN"),
    ("广东省", "Guangdong", 44, "CN.GD"),
    ("广西壮族自治区", "Guangxi", 45, "CN.GX"),
    ("海南省", "Hainan", 46, "CN.HA"),
    ("重庆市", "Chongqing", 50, "CN.CQ"),
    ("四川省", "Sichuan", 51, "CN.SC"),
    ("贵州省", "Guizhou", 52, "CN.GZ"),
    ("云南省", "Yunnan", 53, "CN.YN"),
    ("西藏自治区", "Tibet", 54, "CN.XZ"),
    ("陕西省", "Shaanxi", 61, "CN.SA"),
    ("甘肃省", "Gansu", 62, "CN.GS"),
    ("青海省", "Qinghai", 63, "CN.QH"),
    ("宁夏回族自治区", "Ningxia", 64, "CN.NX"),
    ("新疆维吾尔自治区", "Xinjiang", 65, "CN.XJ"),
]

_SUFFIXES = ("维吾尔自治区", "回族自治区", "壮族自治区", "自治区", "省", "市")
_BY_NAME = {cn: en for cn, en, _, _ in PROVINCES}
_BY_SHORT = {}
for _cn, _en, _, _ in PROVINCES:
    _short = _cn
    for _suffix in _SUFFIXES:
        if _short.endswith(_suffix):
            _short = _short[: -len(_suffix)]
            break
    _BY_SHORT[_short] = _en
_ENGLISH = {en for _, en, _, _ in PROVINCES}


class UnknownProvince(ValueError):
    """A province name that is none of the 31."""


def to_english(name: str) -> str:
    """Map a Chinese province name (full, as NBS prints it, or short) or an English one to English.

    >>> to_english("新疆维吾尔自治区"), to_english("内蒙古"), to_english("Tibet")
    ('Xinjiang', 'Inner Mongolia', 'Tibet')
    """
    key = name.strip()
    if key in _BY_NAME:
        return _BY_NAME[key]
    if key in _BY_SHORT:
        return _BY_SHORT[key]
    if key in _ENGLISH:
        return key
    raise UnknownProvince(f"unknown province {name!r}")


def province_table() -> pd.DataFrame:
    """The 31 provinces with Chinese and English names, GB/T 2260 code and HASC, in code order."""
    frame = pd.DataFrame(PROVINCES, columns=["name_cn", "province", "gb_code", "hasc"])
    frame["gb_code"] = frame["gb_code"] * 10000
    return frame

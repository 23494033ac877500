import pandas as pd
import pytest

from ruralrev.core import provinces


def test_names_short_full_and_english():
    assert provinces.to_english("内蒙古自治区") == "Inner Mongolia"
    assert provinces.to_english("广西") == "Guangxi"
    assert provinces.to_english(" 黑龙江省 ") == "Heilongjiang"
    assert provinces.to_english("Shaanxi") == "Shaanxi"
    with pytest.raises(provinces.UnknownProvince, match="unknown province '台湾省'"):
        provinces.to_english("台湾省")


def test_codes_are_unique_and_follow_gbt2260_grouping():
    table = provinces.province_table()
    assert len(table) == 31 and table["gb_code"].is_unique and table["hasc"].is_unique
    # GB/T 2260 first digit is the macro-region: 2 = Northeast, 5 = Southwest, 6 = Northwest.
    first = dict(zip(table["province"], table["gb_code"] // 100000))
    assert {p for p, d in first.items() if d == 2} == {"Liaoning", "Jilin", "Heilongjiang"}
    assert {p for p, d in first.items() if d == 6} == {"Shaanxi", "Gansu", "Qinghai", "Ningxia", "Xinjiang"}
    assert dict(zip(table["province"], table["hasc"]))["Hainan"] == "CN.HA"


def test_english_names_agree_with_the_nbs_region_file(raw_data_dir):
    regions = pd.read_csv(raw_data_dir / "regions_nbs.csv")
    assert {provinces.to_english(n) for n in regions["province"]} == set(regions["province_en"])

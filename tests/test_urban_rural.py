"""The urban–rural Theil decomposition over province × residence cells, against pysal and by hand."""

import numpy as np
import pandas as pd
import pytest
from inequality.theil import Theil, TheilD

from ruralrev.data import official
from ruralrev.stats.inequality import urban_rural as ur


@pytest.fixture(scope="module")
def panel():
    return official.load_panel()


@pytest.mark.snapshot
def test_coverage_of_official_urban_income(panel):
    coverage = ur.urban_income_coverage(panel).set_index("year")
    assert list(coverage.index) == list(ur.URBAN_INCOME_YEARS)
    assert coverage["provinces"].to_dict() == {2016: 27, 2017: 27, 2018: 26, 2020: 31}
    assert coverage.loc[2018, "missing"] == "Gansu, Ningxia, Qinghai, Shaanxi, Xinjiang"
    common = ur.common_urban_income_provinces(panel, ur.URBAN_INCOME_YEARS)
    assert len(common) == 26 and "Shaanxi" not in common and "Beijing" in common


def test_cells_refuse_a_province_without_official_urban_income(panel):
    assert len(ur.cells(panel, 2020)) == 62
    with pytest.raises(ValueError, match="Gansu"):
        ur.cells(panel, 2018, ["Beijing", "Gansu"])
    with pytest.raises(ValueError, match="no province has official urban income"):
        ur.cells(panel, 2019)


def test_two_provinces_with_the_same_gap_put_it_all_within_provinces():
    cells = pd.DataFrame({"province": ["a", "b", "a", "b"], "region": "x", "residence": ["urban", "urban", "rural", "rural"],
                          "income": [2.0, 2.0, 1.0, 1.0], "population": [1.0, 1.0, 1.0, 1.0]})
    result = ur.urban_rural_theil(cells, 2020)
    expected = (2 / 3) * np.log(4 / 3) + (1 / 3) * np.log(2 / 3)  # T of (2, 1) with equal weights
    assert result.total == pytest.approx(expected)
    assert result.between_residence == pytest.approx(expected) and result.within_residence == pytest.approx(0)
    assert result.between_province == pytest.approx(0) and result.within_province == pytest.approx(expected)


def _expanded(cells, scale=10):
    """Each cell repeated round(population / scale) times (population in 10,000s → units of 100,000)."""
    counts = np.rint(cells["population"].to_numpy() / scale).astype(int)
    return (cells.assign(population=counts.astype(float)),
            np.repeat(cells["income"].to_numpy(), counts), np.repeat(cells["residence"].to_numpy(), counts),
            np.repeat(cells["province"].to_numpy(), counts))


@pytest.mark.parametrize("year", [2016, 2020])
def test_decomposition_equals_pysal_on_replicated_cells(panel, year):
    rounded, y, residence, province = _expanded(ur.cells(panel, year))
    ours = ur.urban_rural_theil(rounded, year)
    by_residence, by_province = TheilD(y, residence), TheilD(y, province)
    assert ours.total == pytest.approx(float(np.squeeze(Theil(y).T)), rel=1e-9)
    assert ours.between_residence == pytest.approx(float(np.squeeze(by_residence.bg)), rel=1e-9)
    assert ours.within_residence == pytest.approx(float(np.squeeze(by_residence.wg)), rel=1e-9)
    assert ours.between_province == pytest.approx(float(np.squeeze(by_province.bg)), rel=1e-9)
    assert ours.within_province == pytest.approx(float(np.squeeze(by_province.wg)), rel=1e-9)


def test_between_residence_by_hand_and_the_two_splits_add_up(panel):
    cells = ur.cells(panel, 2020)
    result = ur.urban_rural_theil(cells, 2020)
    income = cells["income"] * cells["population"]
    s = income.groupby(cells["residence"]).sum() / income.sum()
    pi = cells.groupby("residence")["population"].sum() / cells["population"].sum()
    assert result.between_residence == pytest.approx(float((s * np.log(s / pi)).sum()), rel=1e-12)
    assert result.between_residence + result.within_residence == pytest.approx(result.total, rel=1e-12)
    assert result.between_province + result.within_province == pytest.approx(result.total, rel=1e-12)
    assert sum(result.shares[k] for k in ("between_residence", "within_residence")) == pytest.approx(1)


def test_series_on_common_provinces(panel):
    common = ur.common_urban_income_provinces(panel, ur.URBAN_INCOME_YEARS)
    series = ur.urban_rural_theil_series(panel, ur.URBAN_INCOME_YEARS, common)
    assert (series["provinces"] == len(common)).all()
    full = ur.urban_rural_theil_series(panel, [2020]).iloc[0]
    assert full["mean_ratio"] == pytest.approx(full["urban_mean"] / full["rural_mean"])


@pytest.mark.snapshot
def test_the_urban_rural_theil_of_todays_data(panel):
    common = ur.common_urban_income_provinces(panel, ur.URBAN_INCOME_YEARS)
    series = ur.urban_rural_theil_series(panel, ur.URBAN_INCOME_YEARS, common)
    assert (series["provinces"] == 26).all()
    assert series["total"].iloc[-1] < series["total"].iloc[0]  # 2020 below 2016 on the same provinces
    assert round(series["between_residence_share"].iloc[0], 3) == 0.790
    full = ur.urban_rural_theil_series(panel, [2020]).iloc[0]
    assert full["provinces"] == 31 and round(full["total"], 4) == 0.1034

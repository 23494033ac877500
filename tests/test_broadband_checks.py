"""The reclassification-proof check and the selection profile of the digital chapter, on the book's data."""

import numpy as np
import pytest

from ruralrev.chapters.digital import broadband as dg
from ruralrev.chapters.digital import reclassification as bc
from ruralrev.data import official

CODE = "rural_broadband_per_100_rural_residents"
YEARS = list(range(2016, 2025))


@pytest.fixture(scope="module")
def book():
    panel = official.load_panel()
    return panel, dg.common_provinces(panel, CODE, YEARS), dg.never_flagged_provinces(panel, CODE, YEARS)


def test_total_rate_theil_by_hand_and_falls_more_than_the_rural_rate(book):
    panel, common, _ = book
    table = bc.total_rate_inequality(panel, common, 2016, 2024)
    one = panel[(panel["year"] == 2024) & panel["province"].isin(common)]
    x = 100 * one["broadband_users"].to_numpy() / one["total_population"].to_numpy()
    share = one["total_population"].to_numpy() / one["total_population"].sum()
    ratio = x / (share @ x)
    assert table.loc["total", "last"] == pytest.approx(float(share @ (ratio * np.log(ratio))), rel=1e-10)
    # the referee's numbers: total 0.0304 -> 0.0060 (-80 %), rural -63 %
    assert table.loc["total", "first"] == pytest.approx(0.0304, abs=5e-5)
    assert table.loc["total", "change_pct"] < table.loc["rural", "change_pct"] < -50


def test_never_flagged_provinces_started_higher_and_grew_less(book):
    panel, common, never = book
    profile = bc.selection_profile(panel, CODE, common, never, 2016, 2024)
    assert profile.loc["never flagged", "provinces"] == 10 and profile.loc["flagged", "provinces"] == 20
    assert profile.loc["never flagged", "median_first"] > profile.loc["flagged", "median_first"]
    assert profile.loc["never flagged", "median_growth"] < profile.loc["flagged", "median_growth"]


def test_ratio_norm_is_symmetric_about_one_on_a_log_scale():
    import pandas as pd

    from ruralrev.present import maps

    norm = maps.ratio_norm(pd.Series([0.48, 1.2, 7.11]))
    assert norm.vmin == pytest.approx(1 / 7.11) and norm.vmax == pytest.approx(7.11)
    assert norm(1.0) == pytest.approx(0.5) and norm(2.0) - 0.5 == pytest.approx(0.5 - norm(0.5))
    with pytest.raises(ValueError, match="positive"):
        maps.ratio_norm(pd.Series([0.0, 2.0]))

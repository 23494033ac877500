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


def test_undo_offsets_on_a_synthetic_reclassification():
    import pandas as pd

    rows = []   # A: 40 accounts moved from urban to rural in 2021, on top of growth; B: ordinary growth
    for province, rural, urban in (("A", (100, 150, 160), (300, 270, 280)), ("B", (50, 60, 70), (100, 110, 120))):
        for year, r, u in zip((2020, 2021, 2022), rural, urban):
            rows.append({"province": province, "year": year, "rural_broadband_users": float(r),
                         "urban_broadband_users": float(u), "broadband_users": float(r + u),
                         "rural_population": 1000.0, "total_population": 2000.0, CODE: 100 * r / 1000})
    panel = pd.DataFrame(rows)
    kinds = pd.DataFrame({"province": ["A", "B"], "year_to": [2021, 2021], "rural_change": [50.0, 10.0],
                          "urban_change": [-30.0, 10.0], "kind": ["offset by urban", "same direction"]})
    out = bc.undo_offsets(panel, kinds).set_index(["province", "year"])
    # the mirrored part, min(50, 30) = 30, leaves the rural class from 2021 on and goes back to urban
    assert list(out.loc["A", "rural_broadband_users"]) == [100.0, 120.0, 130.0]
    assert list(out.loc["A", "urban_broadband_users"]) == [300.0, 300.0, 310.0]
    assert list(out.loc["A", CODE]) == pytest.approx([10.0, 12.0, 13.0])
    pd.testing.assert_frame_equal(out.loc["B"], panel.set_index(["province", "year"]).loc["B"])
    assert (out["broadband_users"] == panel.set_index(["province", "year"])["broadband_users"]).all()


def test_flagged_offsets_undone_barely_move_the_rural_convergence(book):
    panel, common, _ = book
    from ruralrev.data.breaks import flags as break_flags

    flags = break_flags.load_flags()
    kinds = dg.broadband_flag_kinds(panel, flags[flags["series"] == "rural_broadband_users"])
    table = bc.total_rate_inequality(panel, common, 2016, 2024, kinds=kinds)
    assert list(table.index) == ["rural", "total", "rural, offsets undone"]
    assert table.loc["rural, offsets undone", "first"] == table.loc["rural", "first"]   # no flag closes in 2016
    # the undone 2024 rates by hand: published counts minus the mirrored parts, over the rural population
    undone = bc.undo_offsets(panel, kinds)
    one = undone[(undone["year"] == 2024) & undone["province"].isin(common)]
    from ruralrev.stats.inequality.measures import theil_t
    assert table.loc["rural, offsets undone", "last"] == pytest.approx(
        theil_t(one[CODE].to_numpy(float), one["rural_population"].to_numpy(float)), rel=1e-12)


def test_rebounded_falls_and_spared_provinces_on_synthetic_flags():
    import pandas as pd

    # A: an offset fall in 2020, a flagged rise in 2021 (rebound); B: an offset fall, no later rise;
    # C: an offset rise followed by a fall (not a rebounded fall)
    kinds = pd.DataFrame({"province": ["A", "A", "B", "C", "C"], "year_to": [2020, 2021, 2020, 2020, 2021],
                          "rural_change": [-30.0, 25.0, -20.0, 10.0, -10.0],
                          "urban_change": [30.0, 5.0, 20.0, -10.0, 10.0],
                          "kind": ["offset by urban", "same direction", "offset by urban", "offset by urban",
                                   "offset by urban"]})
    assert bc.rebounded_falls(kinds) == ["A"]
    rows = [{"province": p, "year": y, "rural_broadband_users": 100.0, "urban_broadband_users": 100.0,
             "broadband_users": 200.0, "rural_population": 1000.0, "total_population": 2000.0, CODE: 10.0}
            for p in "ABC" for y in (2019, 2020, 2021)]
    panel = pd.DataFrame(rows)
    spared = bc.undo_offsets(panel, kinds, spare=["A"]).set_index(["province", "year"])
    every = bc.undo_offsets(panel, kinds).set_index(["province", "year"])
    assert list(spared.loc["A", "rural_broadband_users"]) == [100.0, 100.0, 100.0]     # left as published
    assert list(every.loc["A", "rural_broadband_users"]) == [100.0, 130.0, 130.0]      # the fall put back
    pd.testing.assert_frame_equal(spared.loc[["B", "C"]], every.loc[["B", "C"]])


@pytest.mark.snapshot
def test_undoing_the_offsets_moves_the_fall_by_about_one_point(book):
    """Undoing the ten offsets of today's flags: the rural rate's Theil falls 63.5 % instead of 62.5 %."""
    from ruralrev.data.breaks import flags as break_flags

    panel, common, _ = book
    flags = break_flags.load_flags()
    kinds = dg.broadband_flag_kinds(panel, flags[flags["series"] == "rural_broadband_users"])
    table = bc.total_rate_inequality(panel, common, 2016, 2024, kinds=kinds)
    assert table.loc["rural", "change_pct"] == pytest.approx(-62.51, abs=0.01)
    assert table.loc["rural, offsets undone", "change_pct"] == pytest.approx(-63.50, abs=0.01)
    # the referee's Liaoning case: its two flagged falls are followed by a flagged rise in 2021
    assert bc.rebounded_falls(kinds) == ["Liaoning"]
    spared = bc.total_rate_inequality(panel, common, 2016, 2024, kinds=kinds, spare=["Liaoning"])
    assert spared.loc["rural, undone but spared", "change_pct"] == pytest.approx(-61.37, abs=0.01)
    assert spared.loc["rural, offsets undone", "change_pct"] == table.loc["rural, offsets undone", "change_pct"]


@pytest.mark.snapshot
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

"""Spatial weights, global and local autocorrelation.

Independent checks: esda's Moran's I and Geary's C against the closed forms written out here
(:func:`moran_closed_form`, also used by the residual tests); the vectorised permutations of the
global statistics against esda's own loop (same draws, so the same p-values); the vectorised LISA
p-values against esda's own conditional permutation, run uncompiled in its own process.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from libpysal import weights

from ruralrev.data import official
from ruralrev.stats.spatial import autocorrelation, neighbours, permutation


def moran_closed_form(y, w):
    """Moran's I written out: (n / S0) z'Wz / z'z with the weights as a dense matrix."""
    matrix, _ = w.full()
    z = np.asarray(y, float) - np.mean(y)
    return len(z) / matrix.sum() * (z @ matrix @ z) / (z @ z)


def _geary_closed_form(y, w):
    matrix, _ = w.full()
    y = np.asarray(y, float)
    squared = (y[:, None] - y[None, :]) ** 2
    return (len(y) - 1) * (matrix * squared).sum() / (2 * matrix.sum() * ((y - y.mean()) ** 2).sum())


# --- weights ---------------------------------------------------------------------------------

def test_weights_are_in_book_order_symmetric_and_without_islands(w):
    order = official.load_provinces()["province"].tolist()
    assert w.n == 31 and list(w.id_order) == order
    binary = neighbours.province_weights(transform="b").full()[0]
    assert np.array_equal(binary, binary.T)
    assert w.islands == [] and min(w.cardinalities.values()) >= 1
    np.testing.assert_allclose(w.full()[0].sum(axis=1), 1.0)


def test_known_neighbours(w):
    assert set(w.neighbors["Beijing"]) == {"Tianjin", "Hebei"}
    assert set(w.neighbors["Shanghai"]) == {"Jiangsu", "Zhejiang"}
    assert set(w.neighbors["Hainan"]) == {"Guangdong"}
    assert "Hainan" in w.neighbors["Guangdong"]
    assert set(w.neighbors["Chongqing"]) == {"Sichuan", "Guizhou", "Hunan", "Hubei", "Shaanxi"}


def test_hainan_rule_is_nearest_border_not_nearest_centroid():
    links = neighbours.island_links()
    assert links["province"].tolist() == ["Hainan"]
    row = links.iloc[0]
    assert row["linked_to"] == "Guangdong" and 10 < row["boundary_km"] < 40   # the Qiongzhou Strait
    assert row["nearest_centroid"] == "Guangxi"


def test_rook_equals_queen_on_this_map_and_knn_is_symmetric():
    assert neighbours.neighbour_lists("rook") == neighbours.neighbour_lists("queen")
    knn = neighbours.neighbour_lists("knn", 4)
    assert all(len(n) >= 4 for n in knn.values())
    assert all(p in knn[q] for p, ns in knn.items() for q in ns)
    with pytest.raises(ValueError, match="unknown weights kind 'hex'"):
        neighbours.neighbour_lists("hex")


def test_neighbour_lists_are_cached_and_weights_are_fresh_objects():
    assert neighbours.neighbour_lists("queen") is neighbours.neighbour_lists("queen")
    first, second = neighbours.province_weights(), neighbours.province_weights()
    first.transform = "b"
    assert second.transform == "R" and first is not second


def test_subset_weights_keep_only_links_among_the_kept_provinces(w):
    """Without Hebei, Beijing's only neighbour is Tianjin (weight 1, not 1/2); without Guangdong,
    Hainan has none and the restriction is refused, naming it."""
    kept = [p for p in w.id_order if p != "Hebei"]
    part = neighbours.subset_weights(w, kept)
    assert part.id_order == kept and part.transform == "R"
    assert dict(zip(part.neighbors["Beijing"], part.weights["Beijing"])) == {"Tianjin": 1.0}
    assert all(abs(sum(v) - 1) < 1e-12 for v in part.weights.values())
    assert w.neighbors["Beijing"] == ["Tianjin", "Hebei"]                     # the original is untouched
    with pytest.raises(ValueError, match="Hainan"):
        neighbours.subset_weights(w, [p for p in w.id_order if p != "Guangdong"])


def test_wide_values_growth_is_annual_log_change(panel):
    growth = neighbours.wide_values(panel, "rural_income", [2016, 2017], "growth")
    level = neighbours.wide_values(panel, "rural_income", [2016, 2017], "level")
    assert list(growth.columns) == [2017]
    np.testing.assert_allclose(growth[2017], 100 * np.log(level[2017] / level[2016]))
    with pytest.raises(ValueError, match="transform must be"):
        neighbours.wide_values(panel, "rural_income", [2016], "cube")


# --- global autocorrelation ------------------------------------------------------------------

def test_checkerboard_gives_minus_one():
    lattice = weights.lat2W(4, 4, rook=True)
    board = np.array([(i + j) % 2 for i in range(4) for j in range(4)], float)
    result = autocorrelation.global_moran(board, lattice, permutations=999)
    assert result.I == pytest.approx(-1.0)
    assert result.p_sim == pytest.approx(1 / 1000)


def test_smooth_gradient_gives_large_positive_i():
    lattice = weights.lat2W(6, 6, rook=True)
    gradient = np.array([i + j for i in range(6) for j in range(6)], float)
    result = autocorrelation.global_moran(gradient, lattice, permutations=999)
    assert result.I > 0.8
    assert result.p_sim == pytest.approx(1 / 1000)


def test_esda_moran_matches_the_closed_form_on_the_book_data(panel, w):
    y = neighbours.wide_values(panel, "rural_income", [2024], "log")[2024].to_numpy()
    result = autocorrelation.global_moran(y, w, permutations=9999)
    assert result.I == pytest.approx(moran_closed_form(y, w), abs=1e-12)
    assert result.expected == pytest.approx(-1 / 30)
    assert abs(result.z_norm - result.z_sim) < 0.3       # normal approximation vs permutations


@pytest.mark.snapshot
def test_rural_income_is_strongly_clustered_in_2024_and_2016(panel, w):
    y = neighbours.wide_values(panel, "rural_income", [2024], "log")[2024].to_numpy()
    result = autocorrelation.global_moran(y, w, permutations=9999)
    assert result.I > 0.5 and result.p_sim == pytest.approx(1 / 10000)
    y = neighbours.wide_values(panel, "rural_income", [2016], "log")[2016].to_numpy()
    c, p = autocorrelation.geary(y, w, permutations=999)
    assert c < 1 and p == pytest.approx(1 / 1000)


def test_geary_matches_the_closed_form(panel, w):
    y = neighbours.wide_values(panel, "rural_income", [2016], "log")[2016].to_numpy()
    c, p = autocorrelation.geary(y, w, permutations=999)
    assert c == pytest.approx(_geary_closed_form(y, w), abs=1e-12)


def test_permutations_are_seeded_and_leave_numpy_state_alone(panel, w):
    y = neighbours.wide_values(panel, "rural_income", [2017, 2018], "growth")[2018].to_numpy()
    np.random.seed(5)
    before = np.random.random()
    np.random.seed(5)
    a = autocorrelation.global_moran(y, w, permutations=999, seed=1)
    assert np.random.random() == before
    b = autocorrelation.global_moran(y, w, permutations=999, seed=1)
    c = autocorrelation.global_moran(y, w, permutations=999, seed=2)
    assert a == b and a.z_sim != c.z_sim


def test_autocorrelation_by_year_has_one_row_per_year(panel, w):
    values = neighbours.wide_values(panel, "rural_income", range(2016, 2019), "log")
    table = autocorrelation.autocorrelation_by_year(values, w, permutations=199)
    assert table["year"].tolist() == [2016, 2017, 2018]
    assert table["I"].iloc[0] == pytest.approx(moran_closed_form(values[2016], w))
    no_geary = autocorrelation.autocorrelation_by_year(values, w, permutations=199, with_geary=False)
    assert no_geary["geary_c"].isna().all()
    with pytest.raises(ValueError, match="order of the weights"):
        autocorrelation.autocorrelation_by_year(values.iloc[::-1], w)


@pytest.mark.parametrize("transform, kind, binary", [("log", "queen", False), ("growth", "queen", False),
                                                     ("growth", "knn", False), ("log", "rook", True)])
def test_vectorised_permutations_give_esdas_results(panel, transform, kind, binary):
    """The numpy engine evaluates esda's own draws: p-values equal, z-scores equal to rounding."""
    w = neighbours.province_weights(kind, 5, transform="b" if binary else "r")
    values = neighbours.wide_values(panel, "rural_income", range(2016, 2025), transform)
    p_values = []
    for year in values.columns:
        y = values[year].to_numpy()
        fast = autocorrelation.global_moran(y, w, 999, seed=7)
        slow = autocorrelation.global_moran(y, w, 999, seed=7, engine="esda")
        assert (fast.I, fast.p_sim) == (slow.I, slow.p_sim)
        assert fast.z_sim == pytest.approx(slow.z_sim, rel=1e-12) and fast.sd_sim == pytest.approx(slow.sd_sim, rel=1e-12)
        assert autocorrelation.geary(y, w, 999, seed=7) == autocorrelation.geary(y, w, 999, seed=7, engine="esda")
        p_values.append(fast.p_sim)
    assert len(set(p_values)) > 1 or transform == "log"     # growth p-values vary: the check is not at a floor
    with pytest.raises(ValueError, match="engine must be one of"):
        autocorrelation.global_moran(y, w, 999, engine="numba")


# --- local autocorrelation -------------------------------------------------------------------

def test_lisa_quadrants_on_a_small_constructed_map():
    # 5 × 5 lattice (rook): a high 2 × 2 block top-left, one high cell alone bottom-right,
    # the rest low. Cell ids run row by row.
    lattice = weights.lat2W(5, 5, rook=True)
    y = np.zeros(25)
    y[[0, 1, 5, 6]] = 10.0          # the block
    y[24] = 10.0                     # an isolated high value
    result = autocorrelation.local_moran(y, lattice, alpha=0.05, permutations=999)
    quadrant = dict(zip(result.table["province"], result.table["quadrant"]))
    assert [quadrant[i] for i in (0, 1, 5, 6)] == ["HH"] * 4
    assert quadrant[24] == "HL"                                   # high among low neighbours
    assert quadrant[2] == "LH" and quadrant[23] == "LH"           # low cells beside high ones
    assert quadrant[12] == "LL" and quadrant[18] == "LL"          # low among low
    assert result.table.loc[0, "category"] == "HH"                # corner of the block: significant
    assert set(result.table["category"]) <= {"HH", "LL", "LH", "HL", "not significant"}


def test_lisa_corrections_only_remove_provinces(panel, w):
    y = neighbours.wide_values(panel, "rural_income", [2024], "log")[2024].to_numpy()
    plain = autocorrelation.local_moran(y, w, 0.05, "none", permutations=999)
    fdr = autocorrelation.local_moran(y, w, 0.05, "fdr", permutations=999)
    bonferroni = autocorrelation.local_moran(y, w, 0.05, "bonferroni", permutations=999)
    assert bonferroni.threshold == pytest.approx(0.05 / 31)
    assert fdr.threshold <= 0.05
    assert plain.table["significant"].sum() >= fdr.table["significant"].sum() >= 1
    assert (plain.table["p_sim"] == fdr.table["p_sim"]).all()
    assert plain.counts().sum() == 31
    np.testing.assert_allclose(plain.table["lag"], w.sparse @ plain.table["z"])
    together = autocorrelation.local_morans(y, w, 0.05, autocorrelation.CORRECTIONS, permutations=999)
    for one in (plain, fdr, bonferroni):
        assert together[one.correction].threshold == one.threshold
        assert together[one.correction].table.equals(one.table)
    with pytest.raises(ValueError, match="correction must be one of"):
        autocorrelation.local_moran(y, w, 0.05, "holm")


# esda's conditional permutation, run as esda's own Python code: numba's documented switch
# NUMBA_DISABLE_JIT leaves every @njit function uncompiled (compiling them is most of the CPU time
# of a first esda call). esda.crand types the mask that leaves province i out with numba's
# ``boolean``, which numpy does not read without numba's compiler; ``np.bool_`` is the same type.
# Uncompiled esda makes the same draws as compiled esda; the two differ only at exact ties (a draw
# that gives a province its own neighbours' values again), which rounding decides in both.
# For each vector of values the process returns esda's Is and p_sim, and two p-values counted
# here, in plain numpy, from esda's own simulated statistics: ties counted in both tails (the
# book's rule) and ties left out of both.
_ESDA_UNCOMPILED = """
import json, sys, warnings
import numpy as np
import esda, esda.crand
esda.crand.boolean = np.bool_
from ruralrev.stats.spatial import neighbours, permutation
ys, permutations, seed = json.load(sys.stdin)
out = []
for y in ys:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = esda.Moran_Local(np.array(y), neighbours.province_weights(), transformation="r",
                              permutations=permutations, seed=seed, keep_simulations=True)
    sims, observed = np.asarray(lm.rlisas), np.asarray(lm.Is)
    margin = permutation.TIES_RTOL * np.abs(observed)[:, None]
    at_least, at_most = (sims >= observed[:, None] - margin).sum(1), (sims <= observed[:, None] + margin).sum(1)
    above, below = (sims > observed[:, None] + margin).sum(1), (sims < observed[:, None] - margin).sum(1)
    out.append({"Is": observed.tolist(), "p_sim": np.asarray(lm.p_sim).tolist(),
                "p_ties_counted": ((np.minimum(at_least, at_most) + 1) / (permutations + 1)).tolist(),
                "p_ties_left_out": ((np.minimum(above, below) + 1) / (permutations + 1)).tolist()})
json.dump(out, sys.stdout)
"""


def esda_local_moran_uncompiled(ys, permutations: int, seed: int) -> list[dict]:
    """esda's ``Moran_Local`` on the queen weights of the provinces for each vector of ``ys``, in
    a process with numba's JIT off (see :data:`_ESDA_UNCOMPILED` for what it returns)."""
    payload = [[[float(v) for v in y] for y in ys], permutations, seed]
    result = subprocess.run([sys.executable, "-c", _ESDA_UNCOMPILED], input=json.dumps(payload),
                            env=dict(os.environ, NUMBA_DISABLE_JIT="1"), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return [{key: np.array(value) for key, value in table.items()} for table in json.loads(result.stdout)]


def test_a_tie_counts_in_the_tail_the_p_value_uses_whatever_the_order_of_the_sum():
    """Draws equal to the observed statistic in exact arithmetic, computed in other orders, land a
    bit above or below it; each counts as at least as extreme, in the upper tail and the lower."""
    observed = 0.3
    ties = [0.1 + 0.2, np.nextafter(0.3, 0.0)]               # 0.30000000000000004 and 0.29999999999999993
    upper = np.array([*ties, 0.1, 0.1, 0.1, 0.1])             # observed in the upper tail
    assert permutation.folded_p_value(upper, observed) == 2 / 7                          # rounding: one tie counted
    assert permutation.folded_p_value(upper, observed, permutation.TIES_RTOL) == 3 / 7   # both ties
    lower = np.array([*ties, 0.9, 0.9, 0.9, 0.9])             # observed in the lower tail
    assert permutation.folded_p_value(lower, observed) == 2 / 7
    assert permutation.folded_p_value(lower, observed, permutation.TIES_RTOL) == 3 / 7
    near = np.array([0.3 * (1 + 1e-6), 0.1, 0.1, 0.1])        # a millionth apart: not a tie
    assert permutation.folded_p_value(near, observed, permutation.TIES_RTOL) == 2 / 5
    assert permutation.folded_p_value(near, 0.31, permutation.TIES_RTOL) == 1 / 5
    with pytest.raises(ValueError, match="rtol must be at least 0"):
        permutation.folded_p_value(near, observed, -1e-10)


@pytest.mark.slow
def test_lisa_pvalues_match_esda_conditional_permutation(panel, w):
    """Nine years of log rural income, 9,999 draws each, against esda run uncompiled in its own
    process (:func:`esda_local_moran_uncompiled`; hence the slow mark): the same statistics; esda's
    own p-values between its draws' p-values with ties left out and with ties counted (rounding
    decides esda's); and this engine's p-values against those of esda's draws with ties counted,
    within Monte Carlo error (the two engines draw from different generators)."""
    years = list(range(2016, 2025))
    values = neighbours.wide_values(panel, "rural_income", years, "log")
    theirs = esda_local_moran_uncompiled([values[year].to_numpy() for year in years], 9999, 1)
    tied = 0
    for year, esda_table in zip(years, theirs):
        ours = autocorrelation.local_moran(values[year].to_numpy(), w, permutations=9999, seed=1).table
        np.testing.assert_allclose(ours["Is"], esda_table["Is"])
        low, high = esda_table["p_ties_left_out"], esda_table["p_ties_counted"]
        assert ((low <= esda_table["p_sim"]) & (esda_table["p_sim"] <= high)).all(), year
        tied += int((low < high).sum())
        # Two independent Monte Carlo estimates of the same p: their difference has standard
        # deviation sqrt(2 p (1 - p) / R); allow 4 of them for each province, and no systematic shift.
        mean_p = (ours["p_sim"] + high) / 2
        standardised = (ours["p_sim"] - high) / np.sqrt(2 * mean_p * (1 - mean_p) / 9999)
        assert standardised.abs().max() < 4, year
        assert abs(standardised.mean()) < 4 / np.sqrt(31), year
    assert tied >= len(years)          # Hainan (one neighbour) alone ties in every year: the comparison meets ties


@pytest.mark.parametrize("year", [2016, 2020, 2024])
def test_a_one_neighbour_province_gets_its_exact_conditional_p_value(panel, w, year):
    """A province with one neighbour has n − 1 = 30 equally likely conditional statistics, one per
    other province: its exact p-value is the smaller tail share, the observed value included. The
    Monte Carlo p-value (9,999 draws) is within 4 standard errors of it, in whichever tail."""
    y = neighbours.wide_values(panel, "rural_income", [year], "log")[year].to_numpy()
    ours = autocorrelation.local_moran(y, w, permutations=9999, seed=1).table
    single = [i for i, n in enumerate(w.cardinalities.values()) if n == 1]
    assert [w.id_order[i] for i in single] == ["Hainan"]
    z = ours["z"].to_numpy()
    for i in single:
        others = np.delete(z, i)
        possible = (len(z) - 1) * z[i] * others / (z @ z)          # every neighbour value it can draw
        observed = ours["Is"].iloc[i]
        margin = permutation.TIES_RTOL * abs(observed)
        exact = min((possible >= observed - margin).sum(), (possible <= observed + margin).sum()) / len(others)
        error = np.sqrt(exact * (1 - exact) / 9999)
        assert abs(ours["p_sim"].iloc[i] - exact) < 4 * error, (year, exact, ours["p_sim"].iloc[i])


def test_local_counts_match_statsmodels_corrections_and_show_the_fdr_count_depends_on_weights(panel):
    """Each row's counts are those of statsmodels' Benjamini–Hochberg and Bonferroni on the same
    p-values; with 9,999 permutations the page's 2024 queen counts are 11 / 1 / 1 and 4-nearest
    neighbours keep far more under the false-discovery rate (the referee's knife edge)."""
    from statsmodels.stats.multitest import multipletests

    values = neighbours.wide_values(panel, "rural_income", [2016, 2024], "log")
    weights = {"queen": neighbours.province_weights("queen"), "knn 4": neighbours.province_weights("knn", 4)}
    counts = autocorrelation.local_counts(values, weights, 0.05, 9999, 20261123).set_index(["weights", "year"])
    assert list(counts.columns) == list(autocorrelation.CORRECTIONS) and len(counts) == 4
    for (name, year), row in counts.iterrows():
        p = autocorrelation.local_moran(values[year].to_numpy(), weights[name], 0.05, "none", 9999, 20261123).table["p_sim"]
        assert row["none"] == int((p <= 0.05).sum())
        assert row["fdr"] == int(multipletests(p, 0.05, method="fdr_bh")[0].sum())
        assert row["bonferroni"] == int(multipletests(p, 0.05, method="bonferroni")[0].sum())
        assert row["none"] >= row["fdr"] >= row["bonferroni"]
    assert tuple(counts.loc[("queen", 2024)]) == (11, 1, 1)
    assert tuple(counts.loc[("knn 4", 2024)]) == (12, 11, 2)
    with pytest.raises(ValueError, match="values missing"):
        autocorrelation.local_counts(values.iloc[:30], weights)

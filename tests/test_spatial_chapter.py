"""The neighbours chapter executes with its defaults and with another parameter set, and the
numbers its prose glues are the package's."""

import pytest
from notebook_helpers import run_chapter_with

from ruralrev.book import params
from ruralrev.data import official
from ruralrev.stats import convergence
from ruralrev.stats.clustering import constrained as rg
from ruralrev.stats.clustering import partitions
from ruralrev.stats.spatial import autocorrelation, dynamics, neighbours
from ruralrev.stats.spatial import regression as sm


#: Glued for the landing page (book/intro.md) until it is rewritten; the chapter's prose does not use them.


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    return run_chapter_with(tmp_path_factory.mktemp("spatial-defaults"), "spatial", [])


def _kept_by_correction(panel, w):
    """The provinces each correction keeps significant in the page's LISA (2024, 9,999 permutations)."""
    values = neighbours.wide_values(panel, "rural_income", [2024], "log")[2024].to_numpy()
    lisas = autocorrelation.local_morans(values, w, 0.05, autocorrelation.CORRECTIONS, 9999, 20261123)
    return {c: lisa.table.loc[lisa.table["significant"], "province"].tolist() for c, lisa in lisas.items()}


@pytest.mark.slow
@pytest.mark.snapshot
def test_spatial_chapter_glues_todays_findings(default_run):
    glued = default_run
    panel = official.load_panel()
    w = neighbours.province_weights()
    assert glued["p_last"] == "0.0001"
    assert glued["n_level_sig"] == glued["n_level_years"] == "9"
    assert glued["chosen"] == "OLS (no spatial term)"
    # The local statistics: three high-high provinces before correction, and of the eleven
    # significant provinces only Sichuan survives the false-discovery-rate and Bonferroni corrections.
    kept = _kept_by_correction(panel, w)
    assert glued["hh"] == "Shanghai, Jiangsu, Zhejiang"
    assert glued["n_sig_none"] == "11"
    assert kept["fdr"] == kept["bonferroni"] == ["Sichuan"] and glued["fdr_names"] == "Sichuan"
    assert glued["n_sig_fdr"] == glued["n_sig_bonferroni"] == "1"
    # Across queen and 4-6 nearest neighbours and every year, Bonferroni keeps 1 to 5 of 11 to 16,
    # while the false-discovery rate keeps up to 15 (6 nearest): the verdict rests on Bonferroni.
    assert (glued["n_bonf_min"], glued["n_bonf_max"], glued["n_none_min"], glued["n_none_max"]) == ("1", "5", "11", "16")
    assert (glued["n_fdr_min"], glued["n_fdr_max"]) == ("1", "15")
    # Sichuan is low-low by its neighbours: 0.28 SD below the mean itself, its 7 neighbours' mean 0.94 below.
    assert (glued["top_local"], glued["top_z"], glued["top_lag"], glued["top_poorer"], glued["top_neighbours"]) == \
        ("Sichuan", "0.28", "0.94", "5", "7")
    # The half-life: 50 years, 28 to 187 from the HC3 interval, 46 from the lag model's long-run effect.
    assert (glued["hl_OLS"], glued["hl_low"], glued["hl_high"], glued["hl_SAR_total"]) == ("50", "27", "212", "46")
    # Paper 001's survey (2020) puts the Central region below the West; official income the other way.
    assert glued["guard_east_centre_west"] == "True" and glued["region_compare_year"] == "2020"
    # Convergence: the residual I is below what LM error can detect with 31 provinces.
    assert float(glued["resid_I"]) < float(glued["detectable_I"])


@pytest.mark.slow
def test_spatial_chapter_with_defaults(default_run):
    glued = default_run
    panel = official.load_panel()
    w = neighbours.province_weights()
    last = autocorrelation.global_moran(neighbours.wide_values(panel, "rural_income", [2024], "log")[2024], w, 9999)
    assert glued["I_last"] == f"{last.I:.3f}"
    assert glued["island_link"] == "Guangdong" and glued["island_centroid"] == "Guangxi"
    assert glued["n_transitions"] == "248" and glued["n_years_tr"] == "8"      # 31 provinces × 8 steps
    assert glued["n_sig_none"] == str(len(_kept_by_correction(panel, w)["none"]))
    # The half-life without the most influential province is the disparities chapter's upper end.
    assert glued["detectable_I"] == f"{sm.detectable_residual_moran(w, 0.05):.3f}"
    fit = convergence.beta_convergence(panel, "rural_income", 2016, 2024, use_t=True)
    top = convergence.most_influential(fit).index[0]
    without = convergence.beta_convergence(panel[panel["province"] != top], "rural_income", 2016, 2024)
    assert glued["top_province"] == top and glued["hl_without_top"] == f"{without.half_life:.0f}"
    assert glued["hl_OLS"] == f"{fit.half_life:.0f}" and glued["hc3_p"] == f"{fit.pvalue:.3f}"
    low, high = fit.result.conf_int(alpha=0.05).loc["log_initial"]
    assert glued["hl_low"] == f"{sm.speed_and_half_life(low, 8)[1]:.0f}"
    assert glued["hl_high"] == f"{sm.speed_and_half_life(high, 8)[1]:.0f}"
    lagged = sm.spatial_beta_convergence(panel, "rural_income", 2016, 2024, w).estimates["SAR"]
    assert glued["hl_SAR_total"] == f"{sm.speed_and_half_life(lagged.total_effect, 8)[1]:.0f}"
    # The LISA counts across weights and years are the package's, and the verdict rests on Bonferroni.
    variants = autocorrelation.local_counts(
        neighbours.wide_values(panel, "rural_income", range(2016, 2025), "log"),
        {"queen": w, **{f"{k} nearest": neighbours.province_weights("knn", k) for k in (4, 5, 6)}}, 0.05, 9999)
    assert glued["n_bonf_max"] == str(variants["bonferroni"].max()) and glued["n_fdr_max"] == str(variants["fdr"].max())
    assert glued["guard_few_survive"] == str(bool((variants["bonferroni"] < variants["none"] / 2).all()))
    # Every sentence written for the defaults holds with them, and no glued value is a phrase.
    guards = {k: v for k, v in glued.items() if k.startswith("guard_")}
    assert len(guards) > 30 and [k for k, v in guards.items() if v != "True"] == []
    phrases = {k: v for k, v in glued.items() if len(v.split()) >= 5}
    assert phrases == {}


@pytest.mark.slow
def test_spatial_chapter_with_knn_weights_consumption_and_fewer_classes(tmp_path):
    overrides = ["outcome=rural_consumption", "start_year=2017", "end_year=2023", "weights=knn", "knn_k=5",
                 "permutations=999", "correction=fdr", "lisa_year=2020", "estimator=GM", "markov_classes=3",
                 "n_regions=5", "region_method=ward"]
    glued = run_chapter_with(tmp_path, "spatial", overrides)
    panel = official.load_panel()
    w = neighbours.province_weights("knn", 5)
    years = range(2017, 2024)
    convergence = sm.spatial_beta_convergence(panel, "rural_consumption", 2017, 2023, w, 0.05, "GM")
    assert glued["chosen"] == sm.MODELS[convergence.chosen]
    assert glued["beta_OLS"] == f"{convergence.estimates['OLS'].beta:.3f}"
    assert glued["guard_island_linked"] == "False" and glued["guard_queen_weights"] == "False"
    assert glued["guard_skater"] == "False"
    lisa = autocorrelation.local_moran(neighbours.wide_values(panel, "rural_consumption", [2020], "log")[2020].to_numpy(),
                               w, 0.05, "fdr", 999, 20261123)
    assert glued["lisa_year"] == "2020" and glued["n_sig"] == str(int(lisa.table["significant"].sum()))
    chains = dynamics.markov_chains(dynamics.relative_values(panel, "rural_consumption", years, list(w.id_order)), w, 3)
    assert glued["n_transitions"] == str(31 * 6) and glued["k"] == "3"
    assert glued["n_thin"] == str(int((chains.thin_rows()["neighbours"] != "all").sum()))
    indicators = {c.name: c for c in params.load_plan()}["spatial"].parameters["region_indicators"]
    z = partitions.feature_matrix(panel, 2023, indicators)[1].loc[list(w.id_order)]
    assert glued["ari"] == f"{rg.compare_partitions(z, w, 5, 'ward').ari:.2f}"

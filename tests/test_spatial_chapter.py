"""The neighbours chapter executes with its defaults and with another parameter set, and the
numbers its prose glues are the package's."""

import pytest
from notebook_helpers import run_chapter_with

from ruralrev.book import params
from ruralrev.data import official
from ruralrev.stats.clustering import constrained as rg
from ruralrev.stats.clustering import partitions
from ruralrev.stats.spatial import autocorrelation, dynamics, neighbours
from ruralrev.stats.spatial import regression as sm


@pytest.mark.slow
def test_spatial_chapter_with_defaults(tmp_path):
    glued = run_chapter_with(tmp_path, "spatial", [])
    panel = official.load_panel()
    w = neighbours.province_weights()
    last = autocorrelation.global_moran(neighbours.wide_values(panel, "rural_income", [2024], "log")[2024], w, 9999)
    assert glued["I_last"] == f"{last.I:.3f}" and glued["p_last"] == "0.0001"
    assert glued["island_link"] == "Guangdong" and glued["island_centroid"] == "Guangxi"
    assert glued["level_verdict"] == "is spatially autocorrelated in every year"
    assert glued["chosen"] == "OLS (no spatial term)"
    assert glued["n_transitions"] == "248" and glued["n_years_tr"] == "8"
    assert glued["hh"] == "Shanghai, Jiangsu, Zhejiang"
    assert int(glued["n_sig_fdr"]) < int(glued["n_sig_none"])


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
    assert glued["island_applies"].startswith("is not needed")
    lisa = autocorrelation.local_moran(neighbours.wide_values(panel, "rural_consumption", [2020], "log")[2020].to_numpy(),
                               w, 0.05, "fdr", 999, 20261123)
    assert glued["lisa_year"] == "2020" and glued["n_sig"] == str(int(lisa.table["significant"].sum()))
    chains = dynamics.markov_chains(dynamics.relative_values(panel, "rural_consumption", years, list(w.id_order)), w, 3)
    assert glued["n_transitions"] == str(31 * 6) and glued["k"] == "3"
    assert glued["n_thin"] == str(int((chains.thin_rows()["neighbours"] != "all").sum()))
    indicators = {c.name: c for c in params.load_plan()}["typology"].parameters["indicators"]
    z = partitions.feature_matrix(panel, 2023, indicators)[1].loc[list(w.id_order)]
    assert glued["ari"] == f"{rg.compare_partitions(z, w, 5, 'ward').ari:.2f}"

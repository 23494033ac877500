"""The typology chapter's findings, recomputed with other libraries from the book's data.

The page's default run (the book's executed page when current, else a fresh run) is checked
against numpy's eigen-decomposition, statsmodels' OLS and scipy's Spearman correlation; and every
sentence the page writes for its defaults holds (its guards are true). Two snapshot tests pin what
today's data give (no groups by the gap statistic; two of the index's top three last on the
gradient, the third mid-table).
"""

import numpy as np
import pandas as pd
import pytest

from notebook_helpers import run_chapter_with
from ruralrev.book import params
from ruralrev.data import official
from ruralrev.stats import clustering as cl

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def glued(tmp_path_factory):
    return run_chapter_with(tmp_path_factory.mktemp("typology"), "typology", [])


@pytest.fixture(scope="module")
def frame():
    panel = official.load_panel()
    indicators = {c.name: c for c in params.load_plan()}["typology"].parameters["indicators"]
    year = cl.latest_complete_year(panel, indicators)
    raw, z = cl.feature_matrix(panel, year, indicators)
    regions = panel[panel["year"] == year].set_index("province").loc[z.index, "region"].astype(str)
    return panel, year, z, regions


def _first_component(z):
    """Scores on the leading eigenvector of the correlation matrix (numpy), oriented with the first column."""
    values, vectors = np.linalg.eigh(np.corrcoef(z.to_numpy(), rowvar=False))
    lead = vectors[:, np.argmax(values)]
    scores = pd.Series((z.to_numpy() - z.to_numpy().mean(axis=0)) @ lead, index=z.index)
    return (scores if np.corrcoef(scores, z.iloc[:, 0])[0, 1] > 0 else -scores), np.sort(values)[::-1] / values.sum()


def test_every_sentence_written_for_the_defaults_holds(glued):
    guards = {key: value for key, value in glued.items() if key.startswith("guard_")}
    assert len(guards) >= 40
    assert {key for key, value in guards.items() if value != "True"} == set()


@pytest.mark.snapshot
def test_the_gap_statistic_finds_no_groups_and_the_page_maps_the_silhouette_split(glued):
    assert glued["k_gap"] == "1" and glued["k_rule"] == "silhouette" and glued["k"] == "2"


def test_the_gradient_and_the_regions_against_numpy_and_statsmodels(glued, frame):
    import statsmodels.formula.api as smf

    _, _, z, regions = frame
    scores, shares = _first_component(z)
    assert glued["pc1_share"] == f"{100 * shares[0]:.0f}" and glued["pc2_share"] == f"{100 * shares[1]:.0f}"
    fit = smf.ols("score ~ C(region)", data=pd.DataFrame({"score": scores, "region": regions})).fit()
    assert glued["region_share"] == f"{100 * fit.rsquared:.0f}"
    ranked = scores.sort_values(ascending=False)
    east = ranked.index[regions[ranked.index] == "East"]
    assert glued["east_top"] == east[0] == ranked.index[0]
    assert glued["east_bottom"] == east[-1] and glued["east_bottom_place"] == f"{list(ranked.index).index(east[-1]) + 1}th"
    assert glued["last_two"] == " and ".join(ranked.index[-2:])
    gaps = -ranked.diff().iloc[1:]
    assert glued["largest_gap"] == f"{gaps.max():.1f}" and int(glued["n_top"]) == int(np.argmax(gaps.to_numpy())) + 1


def test_the_index_against_the_gradient_with_scipy(glued, frame):
    from scipy.stats import spearmanr

    from ruralrev.data import breaks
    from ruralrev.stats import index as cp

    panel, year, z, _ = frame
    scores, _ = _first_component(z)
    index = cp.pooled_index(panel, cp.INDEX_INDICATORS, breaks.pool_years(panel, cp.INDEX_INDICATORS, year))
    closeness = index.year(year)["closeness"]
    assert glued["rho_gradient"] == f"{spearmanr(closeness, scores.reindex(closeness.index)).statistic:.2f}"
    top = closeness.nlargest(3).index
    assert glued["index_top"] == ", ".join(top)


def test_the_index_against_the_second_component_with_scipy_and_statsmodels(glued, frame):
    import statsmodels.api as sm
    from scipy.stats import spearmanr

    from ruralrev.data import breaks
    from ruralrev.stats import index as cp

    panel, year, z, _ = frame
    values, vectors = np.linalg.eigh(np.cov(z.to_numpy(), rowvar=False))
    centred = z.to_numpy() - z.to_numpy().mean(axis=0)
    pcs = pd.DataFrame(centred @ vectors[:, np.argsort(values)[::-1][:2]], index=z.index, columns=["PC1", "PC2"])
    pcs["PC2"] *= np.sign(np.corrcoef(pcs["PC2"], z["grain_per_rural_capita"])[0, 1])   # grain loads positively
    index = cp.pooled_index(panel, cp.INDEX_INDICATORS, breaks.pool_years(panel, cp.INDEX_INDICATORS, year))
    closeness = index.year(year)["closeness"]
    pcs = pcs.reindex(closeness.index)
    assert glued["rho_pc2"] == f"{spearmanr(closeness, pcs['PC2']).statistic:.2f}"
    assert glued["r2_pc12"] == f"{100 * sm.OLS(closeness, sm.add_constant(pcs)).fit().rsquared:.0f}"
    capacity = [c for c, d in cp.PRODUCTION.items() if d > 0]
    assert glued["capacity_share"] == f"{100 * index.weights[capacity].sum():.0f}"
    # Today's values, as the referee recomputed them.
    assert (glued["rho_pc2"], glued["r2_pc12"], glued["capacity_share"], glued["prod_share"]) == ("0.89", "88", "63", "69")


@pytest.mark.snapshot
def test_two_of_the_index_top_three_are_last_on_the_gradient_and_the_third_mid_table(glued, frame):
    from ruralrev.data import breaks
    from ruralrev.stats import index as cp

    panel, year, z, _ = frame
    scores, _ = _first_component(z)
    index = cp.pooled_index(panel, cp.INDEX_INDICATORS, breaks.pool_years(panel, cp.INDEX_INDICATORS, year))
    top = index.year(year)["closeness"].nlargest(3).index
    place = scores.rank(ascending=False).astype(int)
    assert set(place[top]) == {30, 31, 17}
    assert glued["index_top_last"] == "Jilin and Heilongjiang" and glued["index_top_mid"] == "Inner Mongolia"
    assert glued["index_top_mid_place"] == "17th"


def test_the_central_belt_leads_only_through_jilin_and_heilongjiang(glued, frame):
    from ruralrev.data import breaks
    from ruralrev.stats import index as cp

    panel, year, _, _ = frame
    index = cp.pooled_index(panel, cp.INDEX_INDICATORS, breaks.pool_years(panel, cp.INDEX_INDICATORS, year))
    table = index.year(year)[["closeness", "region"]].assign(region=lambda t: t["region"].astype(str))
    belts = table["region"].where(~table.index.isin(["Jilin", "Heilongjiang"]), "Central").replace({"Northeast": "East"})
    means = table.groupby(belts)["closeness"].mean()
    assert glued["belt_margin"] == f"{means['West'] - means['Central']:+.3f}"
    core = table.loc[table["region"] == "Central", "closeness"].mean()
    assert glued["belt_central_core"] == f"{core:.3f}" and glued["belt_west"] == f"{means['West']:.3f}"
    assert (glued["belt_central_core"], glued["belt_west"]) == ("0.266", "0.270")   # today's data, as the referee found
    rural = panel[panel["year"] == year].set_index("province")
    in_belt = rural["region"].astype(str).eq("Central") | rural.index.isin(["Jilin", "Heilongjiang"])
    assert glued["income_belt_central"] == f"{rural.loc[in_belt, 'rural_income'].mean():,.0f}" == "20,209"


def test_the_references_own_first_component_with_scikit_learn(glued, frame):
    from sklearn.decomposition import PCA

    from ruralrev.stats.clustering import number_of_clusters

    _, _, z, _ = frame
    for box, name in (("pca", "box_pca"), ("features", "box_features")):
        shares = [PCA(1).fit(r).explained_variance_ratio_[0] for r in number_of_clusters.reference_sets(z, 100, 20261123, box)]
        assert glued[name] == f"{100 * np.median(shares):.0f}"
    assert (glued["box_pca"], glued["box_features"]) == ("47", "20")   # today's data, as the referee found


@pytest.mark.snapshot
def test_cluster_1_dissolves_only_where_the_cut_splits_off_the_grain_provinces(glued):
    # Today's data, as the referee found: 8 resamples split off Heilongjiang, Jilin (and mostly Inner
    # Mongolia) instead; the seven leading eastern provinces stay together (stability.split_off is
    # recomputed from refitted partitions in test_stability).
    assert glued["n_dissolved_1"] == "8" and glued["coassign_c1_min"] == "1.00"
    assert glued["split_core"] == "Heilongjiang, Inner Mongolia, Jilin"

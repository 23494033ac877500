"""The composite index under alternative pools and indicator sets: pool rules on a hand-made flag
table, and the book's data (the electricity break drives the weights of the pooled index)."""

import numpy as np
import pandas as pd
import pytest

from ruralrev.data import official
from ruralrev.data.breaks import pooling
from ruralrev.stats.index import entropy_topsis as cp
from ruralrev.stats.index import variants as index_variants


def _flags(rows):
    return pd.DataFrame(rows, columns=list(pooling.FLAG_COLUMNS))


FLAGS = {
    "a": _flags([("series_a", "P1", 2017, 2018, 1.0, 2.0, 100.0, "province-break")]),
    "b": _flags([("series_b", "P1", 2019, 2020, 1.0, 0.5, -50.0, "national-break"),
                 ("series_b", "P2", 2019, 2020, 1.0, 0.4, -60.0, "national-break")]),
}


def _panel(years=range(2016, 2024)):
    rows = [{"province": p, "year": y, "region": "East", "a": 1.0 + y + i, "b": 2.0 * i + y % 3}
            for i, p in enumerate(["P1", "P2", "P3"]) for y in years]
    return pd.DataFrame(rows)


def test_pool_rules_on_a_hand_made_flag_table():
    panel = _panel()
    flags_of = FLAGS.__getitem__
    both = {"a": 1, "b": 1}
    # a cuts 2017|2018, b cuts 2019|2020: runs 2016-17 | 2018-19 | 2020-23.
    assert pooling.pool_years(panel, both, 2023, "comparable", flags_of) == (2020, 2021, 2022, 2023)
    assert pooling.pool_years(panel, both, 2018, "comparable", flags_of) == (2018, 2019)
    assert pooling.pool_years(panel, both, 2016, "comparable", flags_of) == (2016, 2017)
    # Only b's national break cuts under "national"; nothing cuts under "all".
    assert pooling.pool_years(panel, both, 2018, "national", flags_of) == (2016, 2017, 2018, 2019)
    assert pooling.pool_years(panel, both, 2018, "all", flags_of) == tuple(range(2016, 2024))
    assert pooling.pool_years(panel, {"a": 1}, 2023, "national", flags_of) == tuple(range(2016, 2024))
    with pytest.raises(ValueError, match="rule must be one of"):
        pooling.pool_years(panel, both, 2023, "some", flags_of)


def test_pool_years_only_from_complete_years():
    panel = _panel()
    panel.loc[(panel["year"] == 2023) & (panel["province"] == "P2"), "b"] = np.nan
    assert pooling.complete_years(panel, ["a", "b"]) == list(range(2016, 2023))
    assert pooling.pool_years(panel, {"a": 1, "b": 1}, 2022, "all", FLAGS.__getitem__) == tuple(range(2016, 2023))
    with pytest.raises(ValueError, match="2023: not every index indicator covers every province"):
        pooling.pool_years(panel, {"a": 1, "b": 1}, 2023, "all", FLAGS.__getitem__)


def test_span():
    assert pooling.span([2023]) == "2023" and pooling.span((2023, 2016, 2020)) == "2016–2023"


def test_year_runs_split_at_every_gap():
    assert pooling.year_runs([2020, 2016, 2017, 2018, 2017]) == ["2016–2018", "2020"]
    assert pooling.year_runs([2017, 2019]) == ["2017", "2019"] and pooling.year_runs([2023]) == ["2023"]
    assert pooling.year_runs(range(2016, 2025)) == ["2016–2024"] and pooling.year_runs([]) == []


# --- the book's data -----------------------------------------------------------------------------

ELECTRICITY = "electricity_per_rural_capita"


@pytest.fixture(scope="module")
def panel():
    return official.load_panel()


@pytest.fixture(scope="module")
def variants(panel):
    nine = {**cp.INDEX_INDICATORS, ELECTRICITY: 1}
    specs = {"published": (cp.INDEX_INDICATORS, "comparable"), "eight, all": (cp.INDEX_INDICATORS, "all"),
             "nine, national": (nine, "national"), "nine, all": (nine, "all")}
    return index_variants.build_variants(panel, 2023, specs)


@pytest.mark.snapshot
def test_the_book_pools(panel, variants):
    # Index inputs are flagged (machinery 2017-18, grain 2017, fertiliser 2019 and 2022, irrigation
    # 2021): only 2022-2023 pool with 2023. Electricity's national breaks are 2019 -> 2020 and the
    # shared breaks 2021 -> 2022 -> 2023, so the national pool for 2023 is 2023 alone.
    assert variants["published"].years == (2022, 2023)
    assert variants["eight, all"].years == tuple(range(2016, 2024))
    assert variants["nine, national"].years == (2023,)
    nine = {**cp.INDEX_INDICATORS, ELECTRICITY: 1}
    assert pooling.pool_years(panel, nine, 2023, "comparable") == (2023,)   # province breaks 2022 -> 2023
    assert pooling.pool_years(panel, cp.INDEX_INDICATORS, 2019, "comparable") == (2019, 2020)


@pytest.mark.snapshot
def test_electricitys_weight_in_the_nine_indicator_pools(variants):
    weights = index_variants.weights_table(variants)
    assert weights.loc[ELECTRICITY, "nine, all"] == pytest.approx(0.366, abs=5e-4)
    assert weights.loc[ELECTRICITY, "nine, national"] == pytest.approx(0.092, abs=5e-4)


def test_the_weights_table_holds_each_variants_weights(variants):
    weights = index_variants.weights_table(variants)
    assert list(weights.columns) == list(variants)
    assert weights[["published", "eight, all"]].loc[ELECTRICITY].isna().all()
    assert weights.sum().to_numpy() == pytest.approx(1.0)
    for name, index in variants.items():
        pd.testing.assert_series_equal(weights[name].dropna(), index.weights, check_names=False)


def test_rank_agreement_against_the_closed_form(variants):
    table = index_variants.rank_agreement(variants, 2023, "published").set_index("variant")
    assert table.loc["published", "spearman"] == pytest.approx(1.0)
    assert table.loc["published", "largest_shift"] == 0 and table.loc["published", "shifted"] == "none"
    base = variants["published"].year(2023)["rank"]
    other = variants["nine, all"].year(2023)["rank"].reindex(base.index)
    assert base.is_unique and other.is_unique          # no ties: the closed form applies
    d = (other - base).to_numpy(float)
    n = len(d)
    assert table.loc["nine, all", "spearman"] == pytest.approx(1 - 6 * (d ** 2).sum() / (n * (n ** 2 - 1)))
    assert table.loc["nine, all", "largest_shift"] == int(np.abs(d).max())
    assert table.loc["nine, all", "indicators"] == 9
    with pytest.raises(ValueError, match="reference"):
        index_variants.rank_agreement(variants, 2023, "nothing")


@pytest.mark.snapshot
def test_the_pooled_years_of_the_nine_indicator_index(variants):
    table = index_variants.rank_agreement(variants, 2023, "published").set_index("variant")
    assert table.loc["nine, all", "years"] == "2016–2023"


def test_every_published_rank_lies_inside_its_interval_on_the_page_pool(variants):
    """The page's index (eight indicators, 2022-2023): each published rank inside its 90 % interval."""
    ranks = cp.rank_uncertainty(variants["published"], 2023, draws=1000, seed=20261123)
    assert ranks["inside"].all(), ranks[~ranks["inside"]]


@pytest.fixture(scope="module")
def direction_variants(panel):
    specs = {"published": (cp.INDEX_INDICATORS, "comparable"),
             "benefit": (dict.fromkeys(cp.INDEX_INDICATORS, 1), "comparable"),
             "vector": (cp.INDEX_INDICATORS, "comparable", "vector")}
    return index_variants.build_variants(panel, 2023, specs)


@pytest.mark.snapshot
def test_fertiliser_as_a_benefit_moves_shaanxi_most(direction_variants):
    """Fertiliser as a benefit changes the weights and the ranks (Shaanxi moves most); the vector
    normalisation moves the ranks too."""
    built = direction_variants
    assert built["benefit"].weights["fertiliser_per_sown_ha"] == pytest.approx(0.077, abs=5e-4)
    table = index_variants.rank_agreement(built, 2023, "published").set_index("variant")
    assert table.loc["benefit", "shifted"] == "Shaanxi" and table.loc["benefit", "largest_shift"] == 7
    assert table.loc["vector", "spearman"] < 0.9


def test_direction_and_normalisation_variants_against_pymcdm(panel, variants, direction_variants):
    """The vector variant keeps the published weights and equals pymcdm's vector-normalised TOPSIS."""
    from pymcdm import normalizations
    from pymcdm.methods import TOPSIS

    pool = variants["published"].years
    built = direction_variants
    pd.testing.assert_series_equal(built["vector"].weights, built["published"].weights)
    table = index_variants.rank_agreement(built, 2023, "published").set_index("variant")
    assert table.loc["published", "reversed"] == "fertiliser_per_sown_ha" and table.loc["benefit", "reversed"] == "none"
    assert table.loc["vector", "normalization"] == "vector"
    frame = panel[panel["year"].isin(pool)][["province", "year", *cp.INDEX_INDICATORS]].dropna().reset_index(drop=True)
    types = np.array(list(cp.INDEX_INDICATORS.values()))
    reference = TOPSIS(normalizations.vector_normalization)(frame[list(cp.INDEX_INDICATORS)].to_numpy(float),
                                                             built["vector"].weights.to_numpy(), types)
    np.testing.assert_allclose(built["vector"].scores["closeness"].to_numpy(), reference, atol=1e-10)
    with pytest.raises(ValueError, match="min–max"):
        cp.rank_uncertainty(built["vector"], 2023, draws=100)


def test_tracking_against_scipy_and_statsmodels():
    import statsmodels.api as sm
    from scipy.stats import pearsonr, spearmanr

    rng = np.random.default_rng(4)
    names = [f"p{i}" for i in range(25)]
    scores = pd.DataFrame(rng.normal(size=(25, 2)), index=names, columns=["PC1", "PC2"])
    closeness = pd.Series(0.2 * scores["PC1"] + 0.8 * scores["PC2"] + rng.normal(0, 0.3, 25), index=names)
    closeness.iloc[3] = closeness.iloc[4]          # a tie: average ranks, as scipy's
    result = index_variants.tracking(closeness.iloc[::-1], scores)   # matched by label, not position
    for c in scores:
        assert result.spearman[c] == pytest.approx(spearmanr(closeness, scores[c]).statistic)
        assert result.pearson[c] == pytest.approx(pearsonr(closeness, scores[c]).statistic)
    assert result.r_squared == pytest.approx(sm.OLS(closeness, sm.add_constant(scores)).fit().rsquared)
    with pytest.raises(ValueError):
        index_variants.tracking(closeness, scores.iloc[1:])

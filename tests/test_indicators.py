"""The indicator registry: hand-computed values, formulas against functions, and no drift anywhere."""

import re

import numpy as np
import pandas as pd
import pytest
import yaml

from ruralrev.core import paths
from ruralrev.data import official, registry
from ruralrev.stats.clustering import partitions
from ruralrev.stats.index import entropy_topsis


@pytest.fixture(scope="module")
def panel():
    return official.load_panel()


def _row(panel, province, year):
    return panel[(panel["province"] == province) & (panel["year"] == year)].iloc[0]


# Every derived indicator, by hand from the values printed in the raw exports (Beijing 2016,
# Guizhou 2020): the arithmetic is written out with the printed numbers, not by the package.
HAND = {
    ("Beijing", 2016): {
        "total_population": 1904 + 291,
        "urbanization_rate": 100 * 1904 / 2195,
        "primary_share": 100 * 129.8 / 28438.7,
        "rural_all_income_ratio": 22310 / 52530,
        "rural_all_consumption_ratio": 17329 / 35416,
        "machinery_per_rural_capita": 144.45 / 291,
        "electricity_per_rural_capita": 54.71e8 / 291e4,
        "grain_per_rural_capita": 52.76e7 / 291e4,
        "irrigation_ratio": 100 * 128.47 / 145.55,
        "fertiliser_per_sown_ha": 9.65e7 / 145.55e3,
        "farm_output_per_rural_capita": 338.06e8 / 291e4,
        "rural_broadband_per_100_rural_residents": 100 * 77.7 / 291,
        "urban_broadband_per_100_urban_residents": 100 * 398.0 / 1904,
        "broadband_urban_rural_ratio": (398.0 / 1904) / (77.7 / 291),
        "rural_broadband_share": 100 * 77.7 / 475.8,
        "mobile_internet_per_100_residents": 100 * 3594.04 / 2195,
        "urban_rural_income_ratio": 57275 / 22310,
    },
    ("Guizhou", 2020): {
        "rural_broadband_per_100_rural_residents": 100 * 224.3 / 1807,
        "broadband_urban_rural_ratio": (778.1 / 2051) / (224.3 / 1807),
        "urban_rural_income_ratio": 36096.2 / 11642,
        "mobile_internet_per_100_residents": 100 * 3597.39 / (2051 + 1807),
    },
}


def test_every_derived_indicator_has_a_hand_computed_value():
    assert set(registry.codes(kind="derived")) == set(HAND[("Beijing", 2016)])


@pytest.mark.parametrize("where", list(HAND))
def test_compute_functions_and_the_panel_equal_hand_computed_values(panel, where):
    row = panel[(panel["province"] == where[0]) & (panel["year"] == where[1])]
    for code, expected in HAND[where].items():
        ind = registry.get(code)
        assert ind.compute(row).item() == pytest.approx(expected, rel=1e-12), code
        # the panel stores the value rounded to the registry's decimals
        assert row[code].item() == pytest.approx(expected, abs=0.51 * 10.0 ** -ind.decimals), code


def _evaluate(formula: str, frame: pd.DataFrame) -> pd.Series:
    """Evaluate a registry formula written for people (×, −, ^, ln) on panel columns."""
    python = formula.replace("×", "*").replace("−", "-").replace("^", "**")
    names = {code: frame[code].astype(float) for code in re.findall(r"[a-z][a-z0-9_]*", python) if code in frame}
    return eval(python, {"__builtins__": {}, "ln": np.log}, names)  # noqa: S307 - registry text, tested


@pytest.mark.parametrize("code", registry.codes(kind="derived") + ["log_gdp_per_capita", "log_urbanization_rate"])
def test_formula_text_and_function_agree(panel, code):
    ind = registry.get(code)
    from_text, from_function = _evaluate(ind.formula, panel), ind.compute(panel)
    np.testing.assert_allclose(from_text.to_numpy(float), from_function.to_numpy(float), rtol=1e-12, equal_nan=True)
    assert set(ind.inputs) <= set(registry.codes()), code


def test_panel_columns_are_the_registry_and_vice_versa(panel):
    assert list(panel.columns) == official.KEY_COLUMNS + registry.codes()
    published = registry.codes(kind="published")
    assert set(official.load_observations()["indicator"]) == set(published)
    fields = official.field_table()
    assert list(fields["field"]) == list(panel.columns)


def test_printed_decimals_never_exceed_the_registry(panel):
    observations = official.load_observations()
    # observations are typed; compare the committed text
    text = pd.read_csv(paths.DATA / "official" / "observations.csv", dtype=str)
    decimals = text["value"].str.split(".").str[1].str.len().fillna(0).astype(int)
    most = decimals.groupby(text["indicator"]).max()
    for code, printed in most.items():
        assert printed <= registry.get(code).decimals, code
    assert len(observations) == len(text)


def test_get_label_unit_and_the_log_convention():
    ind = registry.get("rural_income")
    assert (ind.label, ind.unit, ind.kind, ind.formula) == (
        "Rural residents' per-capita disposable income", "yuan per person", "published", None)
    assert ind.printed.indicator == "农村居民人均可支配收入" and ind.printed.unit == "元"
    log = registry.get("log_gdp_per_capita")
    assert log.kind == "derived" and log.label == "log of per-capita gross regional product"
    assert registry.unit("log_gdp_per_capita") == "log(yuan per person)"
    assert registry.short_label("log_gdp_per_capita") == "log GDP per capita"
    assert registry.column_label("urbanization_rate") == "Urbanization (%)"
    assert registry.get("urbanization_rate").formula == "100 × urban_population / (urban_population + rural_population)"
    with pytest.raises(registry.UnknownIndicator, match="unknown indicator 'income'; known: rural_income"):
        registry.get("income")
    assert issubclass(registry.UnknownIndicator, ValueError)


def test_codes_by_kind_and_tag():
    assert registry.codes(tag="digital")[:3] == ["broadband_users", "urban_broadband_users", "rural_broadband_users"]
    assert "rural_broadband_per_100_rural_residents" in registry.codes(kind="derived", tag="digital")
    assert len(registry.codes()) == len(registry.codes(kind="published")) + len(registry.codes(kind="derived"))
    with pytest.raises(ValueError, match="kind must be"):
        registry.codes(kind="raw")


def test_values_logs_and_refuses(panel):
    beijing = panel[(panel["province"] == "Beijing") & (panel["year"] == 2016)]
    assert registry.values(beijing, "log_rural_income").item() == pytest.approx(np.log(22310))
    with pytest.raises(registry.UnknownIndicator, match="unknown indicator 'log_nothing'"):
        registry.values(panel, "log_nothing")
    frame = pd.DataFrame({"x": [1.0, 0.0]})
    with pytest.raises(ValueError, match="log_x: x has non-positive values"):
        registry.values(frame, "log_x")


def test_composite_and_clusters_read_the_registry():
    assert entropy_topsis.PRODUCTION == {"machinery_per_rural_capita": 1, "grain_per_rural_capita": 1,
                                    "irrigation_ratio": 1, "fertiliser_per_sown_ha": -1,
                                    "farm_output_per_rural_capita": 1}
    # Rural electricity use (rural industry included, a 2020 definitional break) is not a living
    # standard the index can pool: it carries no index tag.
    assert entropy_topsis.LIVING == {"rural_income": 1, "rural_consumption": 1, "rural_all_income_ratio": 1}
    assert not any(t.startswith("index_") for t in registry.get("electricity_per_rural_capita").tags)
    for code in partitions.DEFAULT_INDICATORS:
        registry.get(code)


def _indicator_lists(spec):
    """Every list in params.yml (a shared choice list, a schema's choices or its list items'
    choices, or a list default) that names an indicator."""
    known = set(registry.codes())

    def names_indicators(items):
        return any(isinstance(i, str) and (i in known or i.startswith("log_")) for i in items)

    for name, items in (spec.get("choices") or {}).items():
        if names_indicators(items):
            yield "choices", name, items
    for chapter, entry in spec["notebooks"].items():
        for name, rules in (entry.get("schema") or {}).items():
            for key, items in (("choices", rules.get("choices")), ("items.choices", (rules.get("items") or {}).get("choices"))):
                if items and names_indicators(items):
                    yield chapter, f"{name}.{key}", items
        for name, value in (entry.get("parameters") or {}).items():
            if isinstance(value, list) and any(isinstance(i, str) and i in known | {f"log_{k}" for k in known}
                                               for i in value):
                yield chapter, name, value


def test_params_yml_indicator_lists_follow_the_registry():
    spec = yaml.safe_load(paths.PARAMS_FILE.read_text(encoding="utf-8"))
    found = list(_indicator_lists(spec))
    # the shared lists, data.indicator, disparities.outcome/weight/fe_regressors, typology.indicators, ...
    assert len(found) >= 8
    for chapter, where, items in found:
        for item in items:
            try:
                registry.get(item)
            except registry.UnknownIndicator:
                pytest.fail(f"params.yml {chapter}.{where}: {item!r} is not in ruralrev.data.registry")
    shared = spec["choices"]
    assert shared["panel_fields"] == registry.codes(), "choices.panel_fields must be every panel indicator, in order"
    assert shared["model_variables"] == registry.codes() + [f"log_{c}" for c in registry.codes()]
    schemas = {name: entry["schema"] for name, entry in spec["notebooks"].items()}
    assert schemas["data"]["indicator"]["choices"] == shared["panel_fields"]
    for chapter, name in (("disparities", "fe_regressors"), ("typology", "indicators")):
        assert schemas[chapter][name]["items"]["choices"] == shared["model_variables"], (chapter, name)
    for chapter in ("disparities", "spatial"):
        assert schemas[chapter]["outcome"]["choices"] == shared["per_capita_outcomes"], chapter
    assert set(shared["per_capita_outcomes"]) <= set(registry.codes(tag="per_capita"))
    weights = schemas["disparities"]["weight"]["choices"]
    assert set(weights) <= set(registry.codes(tag="weight"))


def test_notebooks_hold_no_label_or_unit_dictionaries():
    codes = registry.codes() + [f"log_{c}" for c in registry.codes()]
    pattern = re.compile(r"[{,\s]\"(" + "|".join(codes) + r")\"\s*:\s*f?\"")
    for notebook in sorted(paths.NOTEBOOKS.glob("*.md")):
        text = notebook.read_text(encoding="utf-8")
        assert not pattern.search(text), f"{notebook.name} maps an indicator code to a text: use ruralrev.data.registry"
        assert '"log yuan"' not in text, notebook.name


def test_regression_tables_take_their_labels_from_the_registry():
    from ruralrev.present import regression_tables
    from ruralrev.stats.regression import models

    result = models.ModelResult(name="m", outcome="log_rural_income",
                                params=pd.Series({"urbanization_rate": 0.01, "log_gdp_per_capita": 0.2, "x": 1.0}),
                                se=pd.Series({"urbanization_rate": 0.005, "log_gdp_per_capita": 0.1, "x": 0.5}),
                                pvalues=pd.Series({"urbanization_rate": 0.04, "log_gdp_per_capita": 0.05, "x": 0.5}),
                                nobs=279, r2=0.5, r2_label="within", fixed_effects="province, year", se_type="clustered")
    table = regression_tables.regression_table([result], labels={"x": "Own label"})
    assert list(table[""][:6]) == ["Urbanization (%)", "", "log GDP per capita", "", "Own label", ""]

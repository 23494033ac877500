"""Parameter schemas: types, nulls, lists, rules, one message per problem, commands that read back."""

import shlex
from pathlib import Path

import pytest

from ruralrev.book import arguments, cli, params
from ruralrev.core.errors import ParameterError, RunError

PLAN = {c.name: c for c in params.load_plan()}


def _problems(chapter, pairs):
    with pytest.raises(ParameterError) as caught:
        params.parse_overrides(pairs, PLAN[chapter])
    return caught.value.problems


@pytest.mark.parametrize("chapter, pair, message", [
    ("typology", "k=four", "typology: parameter k='four': expected an integer from 2 to 10, or null"),
    ("typology", "k=4.5", "typology: parameter k='4.5': expected an integer from 2 to 10, or null"),
    ("typology", "k=11", "typology: parameter k=11: above the maximum 10"),
    ("paper_001", "threshold=", "paper_001: parameter threshold='': empty value: expected a number from 0 to 100"),
    ("paper_001", "threshold=.nan", "paper_001: parameter threshold='.nan': expected a number from 0 to 100"),
    ("paper_001", "threshold=inf", "paper_001: parameter threshold='inf': expected a number from 0 to 100"),
    ("paper_001", "threshold=null", "paper_001: parameter threshold='null': expected a number from 0 to 100"),
    ("typology", "indicators=rural_income,not_a_column",
     "typology: parameter indicators=rural_income,not_a_column: item(s) not_a_column not allowed"),
    ("typology", "indicators=rural_income", "typology: parameter indicators=rural_income: needs at least 2 items"),
    ("disparities", "start_year=2020 end_year=2018",
     "disparities: rule 'start_year < end_year' fails (start_year=2020 end_year=2018)"),
    ("paper_003", "start_year=2023", None),
    ("spatial", "start_year=2020 end_year=2021",
     "spatial: rule 'start_year + 2 <= end_year' fails (start_year=2020 end_year=2021)"),
    ("spatial", "start_year=2018 lisa_year=2017", "spatial: rule 'start_year <= lisa_year' fails (start_year=2018 lisa_year=2017)"),
    ("spatial", "end_year=2020 lisa_year=2022", "spatial: rule 'lisa_year <= end_year' fails (lisa_year=2022 end_year=2020)"),
    ("spatial", "start_year=2020 end_year=2022 lisa_year=null", None),
    ("digital", "ratio_year=2019", "digital: parameter ratio_year=2019: expected one of 2016, 2017, 2018, 2020"),
    ("disparities", "flagged_regressors=ignore", "disparities: parameter flagged_regressors=ignore: expected one of drop, split, keep"),
    ("paper_001", "max_n=50", "paper_001: parameter max_n=50: below the minimum 100"),
    ("paper_001", "threshold=40 threshold=41", "paper_001: parameter 'threshold' is given more than once"),
])
def test_bad_values_give_one_message_each(chapter, pair, message):
    if message is None:  # a value that passes alone
        assert params.parse_overrides(pair.split(), PLAN[chapter])
        return
    problems = _problems(chapter, pair.split())
    assert len(problems) == 1 and problems[0].startswith(message), problems


def test_nulls_lists_and_numbers_are_typed():
    typology = PLAN["typology"]
    assert params.parse_overrides(["year=None", "k=null", "indicators=gdp, rural_income"], typology) == {
        "year": None, "k": None, "indicators": ["gdp", "rural_income"]}
    assert params.parse_overrides(["k=4", "year=2022"], typology) == {"k": 4, "year": 2022}
    assert params.parse_overrides(["threshold=40"], PLAN["paper_001"]) == {"threshold": 40.0}
    assert isinstance(params.parse_overrides(["threshold=40"], PLAN["paper_001"])["threshold"], float)


def test_every_problem_of_a_command_is_reported():
    problems = _problems("typology", ["k=four", "method=dbscan", "nope=1"])
    assert sorted(p.split(":")[1].split("(")[0].strip() for p in problems) == [
        "parameter k='four'", "parameter method=dbscan", "unknown parameter 'nope'"]


@pytest.mark.parametrize("argv", [
    ["run", "typology", "-p", "k=four"], ["run", "typology", "-p", "k=4.5"], ["run", "paper_001", "-p", "threshold="],
    ["run", "paper_001", "-p", "threshold=.nan"], ["run", "typology", "-p", "indicators=gdp,bogus"],
    ["run", "disparities", "-p", "start_year=2020", "-p", "end_year=2018"], ["build", "-p", "year=twenty"],
    ["run", "paper_999"], ["run", "paper_001", "-p", "threshold=40", "-p", "threshold=41"],
])
def test_cli_refuses_bad_input_with_exit_2_and_no_traceback(argv, capsys, monkeypatch):
    from ruralrev.book import runner

    monkeypatch.setattr(runner, "_execute", lambda *a, **k: pytest.fail("something ran"))
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert all(line.startswith("ruralrev: ") for line in err.strip().splitlines()), err


def test_values_round_trip_through_the_command_line():
    chapter = params.Chapter("demo", Path("demo.md"), Path("demo.ipynb"),
                             {"title": "a b", "word": "null", "year": None, "items": ["x", "y z"], "empty": [],
                              "share": 0.1, "n": 3, "flag": True, "choice": "none", "quoted": "'q'"},
                             {"title": {"type": "str"}, "word": {"type": "str", "nullable": True},
                              "choice": {"type": "str", "choices": ["none", "fdr"]}, "quoted": {"type": "str"},
                              "year": {"type": "int", "nullable": True}, "items": {"type": "list", "items": {"type": "str"}},
                              "empty": {"type": "list", "items": {"type": "int"}}, "share": {"type": "float"},
                              "n": {"type": "int"}, "flag": {"type": "bool"}})
    for values in [chapter.parameters, {**chapter.parameters, "year": 2020, "items": ["only"], "share": 1e-7}]:
        command = params.command_line(chapter, values)
        args = arguments.parser().parse_args(shlex.split(command)[1:])
        assert args.chapters == ["demo"]
        assert params.parse_overrides(args.parameter, chapter) == values
        assert "-p choice=none " in command  # a choice that is not a null is written bare


def test_a_rule_side_may_carry_an_offset():
    chapter = params.Chapter("demo", Path("demo.md"), Path("demo.ipynb"), {"a": 1, "b": 5.0},
                             {"a": {"type": "int"}, "b": {"type": "float"}}, ("a + 2 <= b", "b - 0.5 > a"))
    assert params.check(chapter, {"a": 3, "b": 5.0}) == []
    assert params.check(chapter, {"a": 4, "b": 5.0}) == ["demo: rule 'a + 2 <= b' fails (a=4 b=5.0)"]
    assert params.check(chapter, {"a": 5, "b": 5.0}) == ["demo: rule 'a + 2 <= b' fails (a=5 b=5.0)",
                                                         "demo: rule 'b - 0.5 > a' fails (b=5.0 a=5)"]


def test_schema_choices_are_the_package_constants():
    """Choice lists the package also defines are the same lists (one source, or a test)."""
    from ruralrev.chapters.digital import broadband
    from ruralrev.stats.clustering import constrained, partitions
    from ruralrev.stats.inequality import urban_rural
    from ruralrev.stats.regression import break_handling
    from ruralrev.stats.spatial import autocorrelation, neighbours

    schema = {name: chapter.schema for name, chapter in PLAN.items()}
    assert schema["disparities"]["flagged_regressors"]["choices"] == list(break_handling.HANDLING)
    assert schema["typology"]["method"]["choices"] == list(partitions.METHODS)
    assert schema["spatial"]["weights"]["choices"] == list(neighbours.WEIGHT_KINDS)
    assert schema["spatial"]["correction"]["choices"] == list(autocorrelation.CORRECTIONS)
    assert schema["spatial"]["region_method"]["choices"] == list(constrained.REGION_METHODS)
    assert schema["digital"]["outcome"]["choices"] == broadband.DIGITAL_OUTCOMES
    for chapter in ("disparities", "digital"):
        assert schema[chapter]["ratio_year"]["choices"] == list(urban_rural.URBAN_INCOME_YEARS), chapter


def test_every_chapter_default_command_reads_back():
    for chapter in PLAN.values():
        args = arguments.parser().parse_args(shlex.split(params.command_line(chapter, chapter.parameters))[1:])
        assert params.parse_overrides(args.parameter, chapter) == chapter.parameters


def test_notebook_defaults_equal_params_yml():
    """One set of defaults: the notebook's parameters cell and params.yml cannot drift apart."""
    for chapter in PLAN.values():
        found = params.notebook_defaults(chapter.source)
        assert found == chapter.parameters, chapter.name
        assert {k: type(v) for k, v in found.items()} == {k: type(v) for k, v in chapter.parameters.items()}


def test_every_parameter_has_a_typed_schema_entry():
    for chapter in PLAN.values():
        assert set(chapter.schema) == set(chapter.parameters), chapter.name
        assert all(entry["type"] in params.TYPES for entry in chapter.schema.values())


@pytest.mark.parametrize("schema, message", [
    ("", "have no schema entry"),
    ("    schema:\n      n: {min: 0}\n", "needs 'type'"),
    ("    schema:\n      n: {type: int, item_choices: [1]}\n", "unknown schema key"),
    ("    schema:\n      n: {type: int, min: 5}\n", "a default fails its schema"),
    ("    schema:\n      n: {type: int}\n    rules: [n < m]\n", "unknown parameter 'm'"),
    ("    schema:\n      n: {type: int}\n    rules: [n <> 3]\n", "is not '<name> <op>"),
])
def test_a_malformed_parameters_file_is_named(tmp_path, schema, message):
    plan = tmp_path / "params.yml"
    plan.write_text("notebooks:\n  one:\n    source: one.md\n    output: out/one.ipynb\n"
                    f"    parameters:\n      n: 1\n{schema}", encoding="utf-8")
    with pytest.raises(RunError, match=message):
        params.load_plan(plan, tmp_path)


# ---- seeds: the range the random generators take (issue #23, case 5) ---------------------------

_RNG_KEYWORDS = {"seed", "random_state", "rng"}
_UINT32_MAX = 2**32 - 1


def _parameters_reaching_a_generator(chapter) -> set[str]:
    """Parameters named like a seed, or passed by the notebook's code as ``seed=``/``random_state=``/``rng=``."""
    import ast

    import jupytext

    reaching = {name for name in chapter.parameters if "seed" in name or "random_state" in name}
    for cell in jupytext.read(chapter.source).cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse("\n".join(line for line in cell.source.splitlines() if not line.startswith(("%", "!"))))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg in _RNG_KEYWORDS:
                        reaching |= {n.id for n in ast.walk(keyword.value)
                                     if isinstance(n, ast.Name) and n.id in chapter.parameters}
    return reaching


def _headroom(chapter, seed: str) -> int:
    """How far the chapters' code may count up from a seed (seed + k for a replicate k): the other
    integer parameters' maxima (replicate counts), plus room for fixed offsets."""
    return 1000 + sum(entry.get("max", 0) for name, entry in chapter.schema.items()
                      if name != seed and entry["type"] == "int")


def test_every_seed_like_parameter_has_the_range_numpy_and_scikit_learn_take():
    import numpy as np
    from sklearn.utils import check_random_state

    checked = 0
    for chapter in PLAN.values():
        for name in sorted(_parameters_reaching_a_generator(chapter)):
            spec = chapter.schema[name]
            assert spec["type"] == "int" and not spec.get("nullable"), (chapter.name, name)
            assert spec.get("min") == 0 and "max" in spec, (chapter.name, name, spec)
            highest = spec["max"] + _headroom(chapter, name)
            assert highest <= _UINT32_MAX, (chapter.name, name, highest)
            np.random.RandomState(highest)                      # esda's permutations, numpy's legacy generator
            np.random.default_rng(highest)
            check_random_state(highest)                          # scikit-learn's random_state
            with pytest.raises(ValueError):
                np.random.RandomState(_UINT32_MAX + 1)           # the limit the schema keeps away from
            checked += 1
    assert checked >= 4                                          # disparities, digital, typology, spatial


@pytest.mark.parametrize("chapter", sorted(name for name, c in PLAN.items() if "seed" in c.parameters))
def test_a_seed_beyond_the_generators_range_is_refused_before_running(chapter):
    assert _problems(chapter, ["seed=4294967296"]) == [
        f"{chapter}: parameter seed=4294967296: above the maximum {PLAN[chapter].schema['seed']['max']}"]
    assert params.parse_overrides(["seed=2147483647"], PLAN[chapter]) == {"seed": 2147483647}

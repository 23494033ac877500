"""The README's benchmark figures are those of the last benchmark run (benchmarks/results.md), and
every derived line of the results is computed from the rows it shows."""

import importlib.util

import pytest

from ruralrev.core import paths


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("run_benchmarks", paths.ROOT / "benchmarks" / "run_benchmarks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_quotes_the_last_benchmark_run(bench):
    results = (paths.ROOT / "benchmarks" / "results.md").read_text(encoding="utf-8").splitlines()
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- benchmarks:start -->", 1)[1].split("<!-- benchmarks:end -->", 1)[0]
    assert block.strip() == "\n".join(bench.summary(results)).strip()
    assert "| (a) clean full build" in block and "(b) / (a) =" in block


def test_results_file_is_the_record_rendered(bench):
    """results.md is what the script writes from results.json (nothing edited by hand)."""
    import json

    record = json.loads((paths.ROOT / "benchmarks" / "results.json").read_text(encoding="utf-8"))
    written = (paths.ROOT / "benchmarks" / "results.md").read_text(encoding="utf-8").splitlines()
    jobs = int(next(line for line in written if line.startswith("Machine:")).split("runner -j ")[1].split(";")[0])
    assert "\n".join(bench.render(record, jobs)[2:]).strip() == "\n".join(written[2:]).strip()


def test_ratios_are_recomputed_from_the_rows_shown(bench):
    """Re-timing (a) and (d) alone (--only ad) leaves (b) and (e) from an earlier run: each ratio is
    computed from the rows the file shows, and one that mixes runs names their dates."""
    stamp = {"commit": "x", "load": 1.0}
    record = {"machine": "m", "scenarios": {
        "a": {"wall": [40.0, 38.0, 42.0], "cpu": [50.0], "date": "2026-12-08", **stamp},
        "b": {"wall": [0.6], "cpu": [], "date": "2026-11-26", **stamp},
        "d": {"wall": [130.0], "cpu": [150.0], "date": "2026-12-08", **stamp},
        "e": {"wall": [53.0], "cpu": [], "date": "2026-11-26", **stamp}}}
    lines = bench.render(record, 2)
    assert "- (a) / (d) = 0.31 (goal: at most 0.35, issue 22)" in lines          # 40 / 130, same run
    assert any(line.startswith("- (b) / (a) = 1.5%") and "2026-11-26 and 2026-12-08" in line for line in lines)
    assert any(line.startswith("- (e) / (a) = 1.32") and "2026-11-26 and 2026-12-08" in line for line in lines)
    assert "| (a) clean full build (execute all + HTML) | 40.0 | 38.0–42.0 | 50.0 | 2026-12-08, x, load 1.0 |" in lines

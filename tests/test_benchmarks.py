"""The README's benchmark figures are those of the last benchmark run (benchmarks/results.md)."""

from ruralrev.core import paths


def test_readme_quotes_the_last_benchmark_run():
    results = (paths.ROOT / "benchmarks" / "results.md").read_text(encoding="utf-8").splitlines()
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- benchmarks:start -->", 1)[1].split("<!-- benchmarks:end -->", 1)[0]
    assert block.strip() == "\n".join(results[2:]).strip()
    assert "| (a) clean full build" in block and "(b) / (a) =" in block

"""environment.yml is documentation for conda users: it must pin what constraints.txt pins; and
the environment tasks.py installs carries its compiled bytecode."""

import re
import tomllib
from pathlib import Path

import pytest

from ruralrev.core import paths


def _pins(text: str) -> dict[str, str]:
    found = {}
    for name, version in re.findall(r"^[\s-]*([A-Za-z0-9_.\-]+)==(\S+)\s*$", text, flags=re.M):
        found[name.lower().replace("_", "-")] = version
    return found


def test_environment_yml_pins_equal_constraints():
    constraints = _pins((paths.ROOT / "constraints.txt").read_text())
    environment = _pins((paths.ROOT / "environment.yml").read_text())
    assert environment, "environment.yml pins nothing"
    mismatched = {n: (v, constraints.get(n)) for n, v in environment.items() if constraints.get(n) != v}
    assert mismatched == {}


def test_every_dependency_is_pinned_in_both_files():
    project = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=\[ ;]", d)[0].lower().replace("_", "-") for d in project["dependencies"]}
    constraints = _pins((paths.ROOT / "constraints.txt").read_text())
    environment = _pins((paths.ROOT / "environment.yml").read_text())
    assert names - set(constraints) == set()
    assert names - set(environment) == set()


def test_the_installed_packages_carry_their_bytecode():
    """tasks.py installs with compiled bytecode (uv --compile-bytecode; pip does it anyway), so no
    process compiles the scientific stack again when PYTHONDONTWRITEBYTECODE is set."""
    import importlib.util
    import sys

    if sys.prefix == sys.base_prefix:
        pytest.skip("not running in the project's virtual environment")
    # modules the book never imports, so an earlier import cannot have written their bytecode
    for name in ("scipy.odr", "pandas.io.clipboard", "sklearn.semi_supervised", "matplotlib.backends.backend_pdf"):
        cached = importlib.util.cache_from_source(importlib.util.find_spec(name).origin)
        assert Path(cached).is_file(), f"{name} has no compiled bytecode ({cached}): re-run python3.11 tasks.py env"

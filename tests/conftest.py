"""Shared fixtures. Tests that need the raw material in ../shared skip with a reason without it."""

from __future__ import annotations

import pytest

from ruralrev.core import paths


@pytest.fixture(scope="session")
def seeds_dir():
    if not paths.SEEDS.is_dir():
        pytest.skip(f"source papers not available at {paths.SEEDS} (a reader's clone has no ../shared)")
    return paths.SEEDS


@pytest.fixture(scope="session")
def raw_data_dir():
    if not (paths.RAW_DATA / "MANIFEST.tsv").is_file():
        pytest.skip(f"raw NBS exports not available at {paths.RAW_DATA} (a reader's clone has no ../shared)")
    return paths.RAW_DATA


@pytest.fixture(scope="session")
def panel():
    """The committed province-year panel (read once per test session)."""
    from ruralrev.data import official

    return official.load_panel()


@pytest.fixture(scope="session")
def w():
    """Queen contiguity weights of the 31 provinces, row-standardised (the spatial tests' default).
    Session-wide: tests must not change its transform."""
    from ruralrev.stats.spatial import neighbours

    return neighbours.province_weights()


#: The longest test files, longest first. Under ``pytest-xdist`` (``tasks.py test`` runs ``--dist
#: loadfile --no-loadscope-reorder``) each file goes whole to one worker and files are handed out
#: in collection order (a worker gets its next file while its current one still runs its last
#: tests), so the two longest start at once on the two workers instead of one of them starting last
#: and running alone at the end.
LONGEST_FIRST = ("test_verify.py", "test_exercises.py", "test_browser.py", "test_student.py", "test_pipeline.py",
                 "test_runner_cache.py", "test_spatial_chapter.py", "test_site.py", "test_gap.py",
                 "test_runner.py", "test_digital_chapter.py", "test_spatial.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))   # stable: file order kept otherwise

"""Shared fixtures. Tests that need the raw material in ../shared skip with a reason without it."""

from __future__ import annotations

import pytest

from ruralrev import paths


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
    from ruralrev import data

    return data.load_panel()


@pytest.fixture(scope="session")
def w():
    """Queen contiguity weights of the 31 provinces, row-standardised (the spatial tests' default).
    Session-wide: tests must not change its transform."""
    from ruralrev import spatial

    return spatial.province_weights()

"""Shared pytest fixtures: temporary data dirs and the public test data in ../shared/testdata."""
from __future__ import annotations

from pathlib import Path

import pytest
from shared_data import testdata_dir


@pytest.fixture(scope="session")
def shared_testdata() -> Path:
    """Path of ../shared/testdata; skips the test with a clear message where it is absent."""
    path = testdata_dir()
    if path is None:
        pytest.skip("shared test data not found at ../shared/testdata (set KIOSK_TESTDATA; see DESIGN.md)")
    return path

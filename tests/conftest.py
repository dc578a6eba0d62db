"""Shared pytest fixtures: temporary data dirs and the public test data in ../shared/testdata."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def testdata_dir() -> Path | None:
    """The shared test data folder (KIOSK_TESTDATA overrides ../shared/testdata), or None."""
    override = os.environ.get("KIOSK_TESTDATA")
    path = Path(override) if override else PROJECT_ROOT.parent / "shared" / "testdata"
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def shared_testdata() -> Path:
    """Path of ../shared/testdata; skips the test with a clear message where it is absent."""
    path = testdata_dir()
    if path is None:
        pytest.skip("shared test data not found at ../shared/testdata (set KIOSK_TESTDATA; see DESIGN.md)")
    return path

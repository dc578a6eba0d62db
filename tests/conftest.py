"""Shared pytest fixtures: temporary data dirs and the public test data in ../shared/testdata."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from shared_data import testdata_dir

from kiosk.demo.centre import seed_demo
from kiosk.store import open_store

# The `kiosk` subprocesses the tests start run this checkout's code, even from a venv shared between
# checkouts (an editable install points at one of them).
_ROOT = str(Path(__file__).resolve().parent.parent)
os.environ["PYTHONPATH"] = os.pathsep.join([_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])])
# The `kiosk serve` processes of the tests mark a no-show at once (the 60 s default minimum since the call
# is tested on its own: tests/core/test_officer_day.py, tests/e2e/test_e2e_officer_day.py).
os.environ.setdefault("KIOSK_NO_SHOW_MIN_S", "0")


@pytest.fixture(scope="session")
def shared_testdata() -> Path:
    """Path of ../shared/testdata; skips the test with a clear message where it is absent."""
    path = testdata_dir()
    if path is None:
        pytest.skip("shared test data not found at ../shared/testdata (set KIOSK_TESTDATA; see DESIGN.md)")
    return path


@pytest.fixture(scope="session")
def seeded_demo(tmp_path_factory):
    """A demo store made once per session (password hashing is slow on purpose); copied per test."""
    folder = tmp_path_factory.mktemp("demo-template")
    store = open_store(folder)
    logins = seed_demo(store)
    store.conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return folder, logins

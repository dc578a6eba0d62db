"""Where the shared public test data is (../shared/testdata, or KIOSK_TESTDATA)."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def testdata_dir() -> Path | None:
    """The shared test data folder (KIOSK_TESTDATA overrides ../shared/testdata), or None."""
    override = os.environ.get("KIOSK_TESTDATA")
    path = Path(override) if override else PROJECT_ROOT.parent / "shared" / "testdata"
    return path if path.is_dir() else None

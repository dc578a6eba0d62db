"""An installed copy (pip install ., as on a counter PC) carries every page, script and udev rule."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_package_data_covers_every_asset():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    covered = {p for package, patterns in config.items() for pattern in patterns
               for p in (ROOT / package).glob(pattern) if p.is_file()}
    assets = [p for folder in ("kiosk/web/static", "kiosk/web/templates", "hardware/udev")
              for p in (ROOT / folder).rglob("*") if p.is_file()]
    assert assets and not [str(p.relative_to(ROOT)) for p in assets if p not in covered]

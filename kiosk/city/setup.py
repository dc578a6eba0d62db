"""Build a centre's Shipper from its configuration (the CLI and the background task share this)."""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from psycopg.conninfo import conninfo_to_dict

from kiosk.citizens.crypto import KEY_BYTES
from kiosk.city.extract import Extractor, officer_key
from kiosk.city.ship import CentreReader, ShipError, Shipper
from kiosk.queue.clock import centre_timezone
from kiosk.store.db import DB_FILE


def key_path(config: Any) -> Path:
    return Path(config.key_file or Path(config.data_dir) / "keys" / "citizen.key")


def read_citizen_key(path: Path) -> bytes:
    """The centre's citizens' key (never created here: the shipper only derives the officer key from it)."""
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        raise ShipError(f"the centre's key file {path} is missing: officer codes are derived from it. Start the "
                        f"centre once (`kiosk serve`) or restore the key file, then ship.") from None
    except OSError as exc:
        raise ShipError(f"the centre's key file {path} cannot be read ({exc.strerror})") from None
    if len(key) != KEY_BYTES:
        raise ShipError(f"the centre's key file {path} is damaged (expected {KEY_BYTES} bytes)")
    return key


def build_shipper(config: Any, clock: Callable[[], float] = time.time) -> Shipper:
    """The Shipper of this centre: its SQLite read-only, its [city] site code and name, its key."""
    city = config.city
    if not city.site_code or not city.site_name:
        raise ShipError("[city] site_code and site_name must be set to ship (see docs/city.md)")
    reader = CentreReader(Path(config.data_dir) / DB_FILE)
    extractor = Extractor(city.site_code, centre_timezone(config.timezone),
                          officer_key(read_citizen_key(key_path(config))))
    return Shipper(reader, extractor, city.site_name, config.timezone, batch_size=city.batch_size, clock=clock)


def safe_dsn(dsn: str) -> str:
    """The DSN for logs and messages: user@host:port/dbname, never a password."""
    try:
        parts = conninfo_to_dict(dsn)
    except Exception:  # noqa: BLE001 - a DSN that does not parse is shown by its scheme only
        return "postgresql://…"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', '')}{port}/{parts.get('dbname', '')}"

"""Helpers shared by the tests that build the app: bearer headers and one token per role."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from kiosk.accounts.registry import create_token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def role_tokens(kiosk: Any) -> dict[str, str]:
    """A bearer token per role (officer tokens for counters 1 and 3)."""
    with kiosk.store.transaction() as conn:
        return {
            "kiosk": create_token(conn, "kiosk"),
            "officer1": create_token(conn, "officer", 1),
            "officer3": create_token(conn, "officer", 3),
            "manager": create_token(conn, "manager"),
            "admin": create_token(conn, "admin"),
            "display": create_token(conn, "display"),
        }


def make_app(parent: Path, template: Path, extra: dict[str, Any] | None = None, clock: Any = None):
    """An app over a copy of the seeded demo store in PARENT/app (copied once; a second call reopens it)."""
    from kiosk.app import create_app

    data = parent / "app"
    if not data.exists():
        shutil.copytree(template, data)
    # no minimum wait before a no-show (default 60 s) unless a test asks for one: tests call and mark at once
    return create_app({"data_dir": str(data), "no_show_min_s": 0, **(extra or {})}, clock=clock)


def store_at_version(data_dir: Path, version: int):
    """A kiosk.db in DATA_DIR with only the migrations up to VERSION applied, as an older program left it:
    returns its raw connection inside an open transaction (the caller adds rows, then COMMITs)."""
    import sqlite3

    import sqlite_utils

    from kiosk.store.migrations import MIGRATIONS

    data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(data_dir / "kiosk.db", isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN IMMEDIATE")
    db = sqlite_utils.Database(conn)
    db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL)")
    for number, name, apply in MIGRATIONS:
        if number <= version:
            apply(db)
            db.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", [number, name])
    return conn

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

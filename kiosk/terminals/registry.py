"""The kiosk terminals of a centre, as stored: every kiosk token is one terminal.

A terminal's camera is ``browser`` (the kiosk page's webcam, sent over Socket.IO), ``none`` (touch only),
``demo`` (the scripted demo loop, demo mode only), or a camera on the PC (a device index, ``/dev/videoN``
or an ``rtsp://`` URL). Its printer is an ESC/POS printer URL (see hardware.printer). Its pager-label
prefix is the start of a QR text that its camera reads as a pager card's label. Each is NULL in the
store when the terminal follows the centre's default (``[vision] camera``, ``[printer] url``,
``[vision] pager_prefix``), resolved by :func:`resolve`.
"""
from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from kiosk.queue.errors import InvalidInput, NotFound

__all__ = ["CAMERA_KINDS", "TerminalRow", "check_camera", "ensure_terminal", "get_terminal", "list_terminals",
           "update_terminal"]

CAMERA_KINDS = ("browser", "none", "demo")
_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,15}:$")


@dataclass(frozen=True)
class TerminalRow:
    """One terminal as stored (None: the centre's default)."""

    id: int  # the kiosk token's id
    name: str
    camera: str | None
    printer_url: str | None
    pager_prefix: str | None
    active: bool  # the token is not revoked

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "camera": self.camera, "printer_url": self.printer_url,
                "pager_prefix": self.pager_prefix, "active": self.active}


def check_camera(value: Any) -> str | None:
    """A terminal's camera setting as stored text (None = the centre's default), or InvalidInput."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lower() in CAMERA_KINDS:
        return value.strip().lower()
    from kiosk.vision.sources import SourceError, parse_camera_spec

    try:
        return str(parse_camera_spec(value))
    except SourceError as exc:
        raise InvalidInput(f"camera must be browser, none, demo, a device index, /dev/videoN or an rtsp:// URL "
                           f"({exc})", text="terminal_camera") from None


def _check_printer(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 300:
        raise InvalidInput("printer_url must be text (serial://…, tcp://IP:9100, file://…)", text="terminal_printer")
    from hardware.printer.escpos_printer import PrinterError, parse_printer_url

    try:
        parse_printer_url(value)
    except (PrinterError, ValueError) as exc:
        raise InvalidInput(f"printer_url: {exc}", text="terminal_printer") from None
    return value


def _check_prefix(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _PREFIX.match(value):
        raise InvalidInput("pager_prefix must be 1-16 letters, digits, '_' or '-' starting with a letter, "
                           "then ':' (e.g. \"PAGER:\")", text="terminal_pager_prefix")
    return value


_SELECT = ("SELECT a.id, a.label, a.revoked_at, t.camera, t.printer_url, t.pager_prefix "
           "FROM api_tokens a LEFT JOIN terminals t ON t.token_id = a.id WHERE a.role = 'kiosk'")


def _row(r: sqlite3.Row) -> TerminalRow:
    return TerminalRow(r["id"], r["label"] or f"Ki-ốt {r['id']}", r["camera"], r["printer_url"], r["pager_prefix"],
                       r["revoked_at"] is None)


def list_terminals(conn: sqlite3.Connection, active_only: bool = True) -> list[TerminalRow]:
    """Every kiosk terminal, in the order their tokens were made."""
    sql = _SELECT + (" AND a.revoked_at IS NULL" if active_only else "") + " ORDER BY a.id"
    return [_row(r) for r in conn.execute(sql)]


def get_terminal(conn: sqlite3.Connection, token_id: int) -> TerminalRow:
    row = conn.execute(_SELECT + " AND a.id = ?", [token_id]).fetchone()
    if row is None:
        raise NotFound(f"no kiosk terminal with id {token_id}", text="terminal_missing")
    return _row(row)


def ensure_terminal(conn: sqlite3.Connection, token_id: int) -> None:
    """The terminal row of a (new) kiosk token, with the centre's defaults."""
    conn.execute("INSERT OR IGNORE INTO terminals (token_id, updated_at) VALUES (?, ?)", [token_id, time.time()])


def update_terminal(conn: sqlite3.Connection, token_id: int, changes: dict[str, Any]) -> TerminalRow:
    """Set a terminal's camera, printer_url and/or pager_prefix (None or "" = the centre's default)."""
    unknown = set(changes) - {"camera", "printer_url", "pager_prefix"}
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}", text="unknown_fields",
                           values={"fields": ", ".join(f"«{name}»" for name in sorted(unknown))})
    row = get_terminal(conn, token_id)
    if not row.active:
        raise InvalidInput(f"terminal {token_id} is revoked", text="terminal_revoked")
    checked = {}
    if "camera" in changes:
        checked["camera"] = check_camera(changes["camera"])
    if "printer_url" in changes:
        checked["printer_url"] = _check_printer(changes["printer_url"])
    if "pager_prefix" in changes:
        checked["pager_prefix"] = _check_prefix(changes["pager_prefix"])
    ensure_terminal(conn, token_id)
    if checked:
        sets = ", ".join(f"{k} = :{k}" for k in checked)
        conn.execute(f"UPDATE terminals SET {sets}, updated_at = :now WHERE token_id = :id",
                     {**checked, "now": time.time(), "id": token_id})
    return get_terminal(conn, token_id)

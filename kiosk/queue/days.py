"""Where each local day starts in the events table, so that today's reads never walk back through years.

The queue engine writes a day's row with the day's first event (migration 007, ``days``). Read today's
events as ``WHERE id >= first_event_id(conn, day)``: a primary-key range, O(today) however long the
history (docs/history.md).
"""
from __future__ import annotations

import sqlite3


def first_event_id(conn: sqlite3.Connection, day: str) -> int:
    """The id of the first event of ``day`` (YYYY-MM-DD, the centre's day); for a day without events yet,
    one past the newest event, so that ``id >= first_event_id`` selects nothing from earlier days."""
    row = conn.execute("SELECT first_event_id FROM days WHERE day = ?", [day]).fetchone()
    if row is not None:
        return int(row[0])
    return int(conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM events").fetchone()[0])

"""The hot paths stay O(today): every SQL statement they run, captured from the real app over a seeded
history, has a query plan without a full scan of `events` or `tickets` (docs/history.md).

Statements are captured with sqlite3's trace callback while each operation runs through the HTTP API and
Socket.IO, so the list cannot drift from the code.
"""
from __future__ import annotations

import re
import shutil
import sqlite3
from datetime import datetime

import pytest
from app_support import bearer, role_tokens

from kiosk.demo.centre import open_demo_counters
from kiosk.display.tracking import tracking_path
from kiosk.queue.clock import FakeClock, centre_timezone

SKIP = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.I)
HISTORY_TABLES = ("events", "tickets")


def full_scans(conn: sqlite3.Connection, sql: str) -> list[str]:
    """The plan lines of ``sql`` that scan events or tickets (a table or an index) from end to end."""
    names = set(HISTORY_TABLES)
    for _table, alias in re.findall(r"\b(?:FROM|JOIN)\s+(events|tickets)(?:\s+(?:AS\s+)?(\w+))?", sql, re.I):
        if alias and alias.upper() not in ("WHERE", "JOIN", "ON", "GROUP", "ORDER", "LIMIT", "SET", "LEFT"):
            names.add(alias)
    bad = []
    for row in conn.execute("EXPLAIN QUERY PLAN " + sql):
        m = re.match(r"SCAN (\w+)", row[3])
        if m and m.group(1) in names:
            bad.append(row[3])
    return bad


class Capture:
    def __init__(self) -> None:
        self.by_op: dict[str, list[str]] = {}
        self.op = ""

    def __call__(self, sql: str) -> None:
        if not SKIP.match(sql):
            self.by_op.setdefault(self.op, []).append(sql)


@pytest.fixture
def hot_app(tmp_path, seeded_history):
    from kiosk.app import create_app

    folder, _ = seeded_history
    data = tmp_path / "data"
    shutil.copytree(folder, data)
    clock = FakeClock(datetime(2026, 11, 25, 9, 0, tzinfo=centre_timezone()))  # the next working day
    app = create_app({"data_dir": str(data), "retention_days": 3650, "no_show_min_s": 0}, clock=clock)
    kiosk = app.extensions["kiosk"]
    open_demo_counters(kiosk.engine)
    app.tokens = role_tokens(kiosk)
    yield app
    kiosk.close()


def test_the_detector_sees_a_full_scan(seeded_history):
    conn = sqlite3.connect(seeded_history[0] / "kiosk.db")
    assert full_scans(conn, "SELECT * FROM tickets WHERE channel = 'kiosk'")
    assert full_scans(conn, "SELECT * FROM events e WHERE e.data LIKE '%x%'")
    assert not full_scans(conn, "SELECT * FROM tickets WHERE id = 3")


def test_hot_paths_never_scan_the_history(hot_app):
    kiosk = hot_app.extensions["kiosk"]
    tokens = hot_app.tokens
    client = hot_app.test_client()
    cap = Capture()
    kiosk.store.conn().set_trace_callback(cap)
    k, o1, mgr = bearer(tokens["kiosk"]), bearer(tokens["officer1"]), bearer(tokens["manager"])

    def op(name):
        cap.op = name
        return client

    ids = [op("issue").post("/api/v1/tickets", json={"service": s}, headers=k).get_json()["id"]
           for s in ("HT", "HT", "CT", "HT", "DD", "HT")]
    op("issue").post("/api/v1/tickets", json={"service": "HT", "priority": "elderly"}, headers=k)
    assert op("position").get(f"/api/v1/tickets/{ids[-1]}", headers=k).status_code == 200
    for name, path, body in (
        ("call", "next", None), ("call", "recall", None), ("call", "start", None), ("call", "finish", None),
        ("call", "next", None), ("call", "no-show", None), ("call", "next", None), ("call", "hold", None),
        ("call", "next", None), ("call", "start", None), ("call", "next", {"finish_current": True}),
    ):
        r = op(name).post(f"/api/v1/counters/1/{path}", json=body or {}, headers=o1)
        assert r.status_code == 200, (path, r.get_json())
    held = [t.id for t in kiosk.engine.held()]
    assert op("call").post(f"/api/v1/tickets/{held[0]}/return", json={}, headers=o1).status_code == 200
    current = kiosk.engine.counter(1).current_ticket_id
    # the console's desk and a dossier code on the current ticket (kiosk/web/api/dossier.py)
    assert op("desk").get("/api/v1/counters/1/desk", headers=o1).get_json()["current"]["id"] == current
    assert op("desk").post(f"/api/v1/tickets/{current}/dossier", json={"code": "HS-1"}, headers=o1).status_code == 200
    assert op("call").post(f"/api/v1/tickets/{current}/transfer", json={"service": "CT"}, headers=o1).status_code == 200
    # a transfer to one counter, and that counter's next call (its directed tickets first: index tickets_directed)
    directed = kiosk.engine.waiting("HT")[0].id
    assert op("call").post(f"/api/v1/tickets/{directed}/transfer", json={"counter": 2}, headers=o1).status_code == 200
    assert op("snapshot").get("/api/v1/queue", headers=mgr).get_json()["counters"][1]["directed"]
    r = op("call").post("/api/v1/counters/2/next", json={}, headers=bearer(tokens["admin"]))
    assert r.status_code == 200 and r.get_json()["ticket"]["id"] == directed
    for path, body in (("pause", {"reason": "Nghỉ giải lao"}), ("resume", {})):
        assert op("call").post(f"/api/v1/counters/1/{path}", json=body, headers=o1).status_code == 200
    waiting = kiosk.engine.waiting()[-1].id
    assert op("call").post(f"/api/v1/tickets/{waiting}/cancel", json={}, headers=o1).status_code == 200
    assert op("snapshot").get("/api/v1/queue", headers=mgr).get_json()["recent_calls"]
    op("today").get("/api/v1/tickets", headers=mgr)
    op("today").get("/api/v1/stats", headers=mgr)
    socketio = kiosk.socketio
    cap.op = "display connect"
    display = socketio.test_client(hot_app, namespace="/display")
    monitor = socketio.test_client(hot_app, namespace="/monitor", auth={"token": tokens["manager"]})
    assert display.is_connected("/display") and monitor.is_connected("/monitor")
    path = tracking_path(hot_app.config["SECRET_KEY"], ids[-1])
    assert op("tracking").get(path, headers={"Accept": "application/json"}).status_code == 200
    assert op("tracking").get(path, headers={"Accept": "text/html"}).status_code == 200
    cap.op = "tracking"  # the live page: its /track socket gets the same body on connect
    sig = path.rsplit("/", 1)[1]
    track = socketio.test_client(hot_app, namespace="/track", auth={"ticket": ids[-1], "sig": sig})
    assert track.is_connected("/track")
    assert any(m["name"] == "track_update" for m in track.get_received("/track"))
    track.disconnect("/track")
    cap.op = "purge"
    assert kiosk.citizens.purge_expired(1) > 0
    cap.op = "day end"  # the closing-time ticker (the next day's first action ran it under "issue")
    kiosk.clock.set(datetime(2026, 11, 25, 17, 31, tzinfo=centre_timezone()))
    assert kiosk.engine.end_day_if_due()
    display.disconnect("/display")
    monitor.disconnect("/monitor")
    kiosk.store.conn().set_trace_callback(None)

    assert set(cap.by_op) >= {"issue", "position", "call", "snapshot", "display connect", "tracking", "purge",
                              "day end", "desk"}
    assert any("FROM tickets WHERE state IN" in s for s in cap.by_op["day end"]), "the day end was not captured"
    assert any("FROM events" in s and "ticket_called" in s for s in cap.by_op["display connect"]), \
        "the snapshot on connect was not captured"
    check = sqlite3.connect(kiosk.store.path)
    problems = [f"{name}: {plan} in {sql[:200]}" for name, statements in cap.by_op.items()
                for sql in dict.fromkeys(statements) for plan in full_scans(check, sql)]
    assert not problems, "\n".join(problems)

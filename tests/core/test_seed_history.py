"""`kiosk seed-history`: working days of the demo centre through the real engine, reproducible, refusing
a data dir that holds anything."""
from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import date

from click.testing import CliRunner
from conftest import HISTORY_LAST_DAY

from kiosk.cli.main import main
from kiosk.config.core import Config
from kiosk.demo.history import seed_history
from kiosk.queue import events as ev
from kiosk.queue.clock import FakeClock
from kiosk.queue.stats import day_statistics

EVENT_COLUMNS = "at, type, ticket_id, counter_number, officer_id, service_code, data"


def _db(folder) -> sqlite3.Connection:
    conn = sqlite3.connect(folder / "kiosk.db")
    conn.row_factory = sqlite3.Row
    return conn


def test_refuses_a_data_dir_that_is_not_empty(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.txt").write_text("a centre's own file")
    result = CliRunner().invoke(main, ["seed-history", "--data-dir", str(data), "--days", "1", "--per-day", "5"])
    assert result.exit_code == 1
    assert "is not empty" in result.output
    assert sorted(p.name for p in data.iterdir()) == ["notes.txt"]


def test_working_days_end_with_nothing_left_open(seeded_history):
    folder, summary = seeded_history
    conn = _db(folder)
    days = [r[0] for r in conn.execute("SELECT DISTINCT day FROM tickets ORDER BY day")]
    assert days == ["2026-11-20", "2026-11-23", HISTORY_LAST_DAY]  # the weekend is skipped
    assert summary.days == 3 and summary.tickets == conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    assert 250 <= summary.tickets <= 350
    open_left = conn.execute(
        "SELECT COUNT(*) FROM tickets WHERE state IN ('waiting', 'called', 'serving', 'held')").fetchone()[0]
    assert open_left == 0
    assert {r[0] for r in conn.execute("SELECT state FROM counters")} == {"closed"}
    types = Counter(r[0] for r in conn.execute("SELECT type FROM events"))
    assert set(types) >= {"ticket_issued", "ticket_called", "ticket_recalled", "ticket_started", "ticket_finished",
                          "ticket_no_show", "ticket_held", "ticket_returned", "ticket_transferred",
                          "counter_opened", "counter_paused", "counter_resumed", "counter_closed"}
    assert types["ticket_issued"] == summary.tickets
    priorities = Counter(r[0] for r in conn.execute("SELECT priority FROM tickets"))
    assert 0 < sum(n for p, n in priorities.items() if p != "normal") < 0.2 * summary.tickets
    # each day's first event is known (the hot paths start there)
    assert conn.execute("SELECT COUNT(*) FROM days").fetchone()[0] == 3
    # and the report rollups a running centre would have built (a seeded year's first report reads them)
    rolled = {r[0] for r in conn.execute("SELECT day FROM report_rollups WHERE dim = 'service'")}
    assert rolled == set(days)


def test_events_replay_to_the_stored_state(seeded_history):
    """Every row came through the engine: replaying the events gives each ticket's stored state, and the
    statistics replayed from them count what the tickets table holds."""
    folder, _ = seeded_history
    conn = _db(folder)
    final = {"ticket_issued": "waiting", "ticket_called": "called", "ticket_recalled": "called",
             "ticket_started": "serving", "ticket_finished": "done", "ticket_no_show": "no_show",
             "ticket_held": "held", "ticket_returned": "waiting", "ticket_transferred": "waiting",
             "ticket_cancelled": "cancelled", "ticket_expired": "expired"}
    replayed: dict[int, str] = {}
    for row in conn.execute(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY id"):
        event = ev.event_from_row(dict(row)) if row["type"] in ev.EVENT_TYPES else None
        if row["ticket_id"] is not None and row["type"] != "ticket_noted":  # a dossier code moves no state
            replayed[row["ticket_id"]] = final[row["type"]]
        assert event is None or event.at == row["at"]
    stored = {r[0]: r[1] for r in conn.execute("SELECT id, state FROM tickets")}
    assert replayed == stored
    clock = FakeClock(1_800_000_000.0)  # long after: whole days
    for day in ("2026-11-20", "2026-11-23", HISTORY_LAST_DAY):
        totals = day_statistics(conn, clock, day)["totals"]
        counts = conn.execute("SELECT COUNT(*), SUM(state = 'done'), SUM(state = 'no_show') FROM tickets "
                              "WHERE day = ?", [day]).fetchone()
        assert (totals["issued"], totals["served"], totals["no_show"]) == tuple(counts)
        assert totals["waiting"] == 0 and totals["ratings"] > 0


def test_citizens_are_sealed_and_linked(seeded_history):
    from kiosk.citizens.crypto import Vault, load_or_create_key
    from kiosk.citizens.registry import CitizenRegistry
    from kiosk.store import open_store

    folder, summary = seeded_history
    conn = _db(folder)
    assert summary.citizens > 0 and summary.templates > 0
    linked = conn.execute("SELECT COUNT(*) FROM tickets t JOIN citizens c ON c.lookup = t.citizen_key").fetchone()[0]
    assert linked > 0
    store = open_store(folder)
    try:
        registry = CitizenRegistry(store, Vault(load_or_create_key(folder / "keys" / "citizen.key")), FakeClock())
        faces = registry.face_templates()
    finally:
        store.close()
    assert sum(len(t) for t in faces.values()) == summary.templates
    assert all(len(t) == 516 for templates in faces.values() for t in templates)


def test_the_same_seed_gives_the_same_history(tmp_path, seeded_history):
    folder, _ = seeded_history
    last = date.fromisoformat(HISTORY_LAST_DAY)
    again, other = tmp_path / "again", tmp_path / "other"
    seed_history(Config.from_dict({"data_dir": str(again)}), 3, 100, seed=7, last_day=last)
    seed_history(Config.from_dict({"data_dir": str(other)}), 3, 100, seed=8, last_day=last)

    def rows(f):
        return _db(f).execute(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY id").fetchall()

    assert [tuple(r) for r in rows(again)] == [tuple(r) for r in rows(folder)]
    assert [tuple(r) for r in rows(other)] != [tuple(r) for r in rows(folder)]

"""Catalogue used by the core tests."""
from __future__ import annotations

from datetime import datetime

from app_support import bearer  # noqa: F401  (re-exported for the core tests)

from kiosk.queue.catalog import save_counter, save_service
from kiosk.queue.clock import centre_timezone

MORNING = datetime(2026, 11, 23, 8, 0, tzinfo=centre_timezone())  # a Monday


def make_catalogue(store) -> None:
    """Two services, three counters: 1 serves A then B, 2 serves B only, 3 pools A and B."""
    with store.transaction() as conn:
        save_service(conn, {"code": "HT", "prefix": "A", "name": "Tư pháp – Hộ tịch", "sla_minutes": 10}, True)
        save_service(conn, {"code": "DD", "prefix": "B", "name": "Đất đai", "daily_limit": 5,
                            "person_daily_limit": 1}, True)
        save_counter(conn, 1, "Quầy 1", ["HT", "DD"], True)
        save_counter(conn, 2, "Quầy 2", ["DD"], True)
        save_counter(conn, 3, "Quầy 3", [("HT", 1), ("DD", 1)], True)


def fresh_engine(folder):
    """A queue engine over a new store in FOLDER with the catalogue above, on a FakeClock, counters 1-3
    open; returns (store, engine). The caller closes the store."""
    from kiosk.queue.clock import FakeClock
    from kiosk.queue.engine import QueueEngine
    from kiosk.store import open_store

    store = open_store(folder)
    make_catalogue(store)
    engine = QueueEngine(store, FakeClock())
    for n in (1, 2, 3):
        engine.open_counter(n)
    return store, engine

"""The demo centre: seeded only into an empty store; prints its logins once."""
from __future__ import annotations

import secrets
from typing import Any

from kiosk.accounts import registry as accounts
from kiosk.queue.catalog import save_counter, save_service
from kiosk.store import Store

DEMO_SERVICES: list[dict[str, Any]] = [
    {"code": "HT", "prefix": "A", "name": "Tư pháp – Hộ tịch", "name_en": "Justice – Civil status",
     "sla_minutes": 20, "daily_limit": 300, "person_daily_limit": 2, "sort": 1},
    {"code": "DD", "prefix": "B", "name": "Đất đai", "name_en": "Land", "sla_minutes": 30, "daily_limit": 200,
     "person_daily_limit": 2, "sort": 2},
    {"code": "KD", "prefix": "C", "name": "Đăng ký kinh doanh", "name_en": "Business registration",
     "sla_minutes": 25, "daily_limit": 200, "person_daily_limit": 2, "sort": 3},
    {"code": "XD", "prefix": "D", "name": "Xây dựng", "name_en": "Construction", "sla_minutes": 30,
     "daily_limit": 150, "person_daily_limit": 2, "sort": 4},
    {"code": "LD", "prefix": "E", "name": "Lao động – Thương binh và Xã hội", "name_en": "Labour, invalids and social affairs",
     "sla_minutes": 20, "daily_limit": 200, "person_daily_limit": 2, "sort": 5},
    {"code": "CT", "prefix": "G", "name": "Chứng thực", "name_en": "Certification", "sla_minutes": 15,
     "daily_limit": 400, "person_daily_limit": 3, "sort": 6},
]
# (number, name, services in order of preference; equal rank = pooled)
DEMO_COUNTERS: list[tuple[int, str, list[Any]]] = [
    (1, "Quầy 1", ["HT", "CT"]),
    (2, "Quầy 2", [("HT", 1), ("CT", 1)]),
    (3, "Quầy 3", ["DD", "XD"]),
    (4, "Quầy 4", ["XD", "DD"]),
    (5, "Quầy 5", ["KD", "LD"]),
    (6, "Quầy 6", ["LD", "KD", "HT"]),
]
DEMO_OFFICERS = ["Nguyễn Thị Lan", "Trần Văn Minh", "Lê Thị Hoa", "Phạm Quốc Huy", "Hoàng Thu Trang", "Vũ Đức Anh"]


def seed_demo(store: Store) -> dict[str, str] | None:
    """Fill an empty store with a ward one-stop department; returns the logins, or None if not empty."""
    conn = store.conn()
    if conn.execute("SELECT COUNT(*) FROM services").fetchone()[0] or conn.execute(
        "SELECT COUNT(*) FROM users"
    ).fetchone()[0]:
        return None
    logins: dict[str, str] = {}
    with store.transaction() as tx:
        for svc in DEMO_SERVICES:
            save_service(tx, svc, create=True)
        for number, name, served in DEMO_COUNTERS:
            save_counter(tx, number, name, served, create=True)
        for (number, _, _), full_name in zip(DEMO_COUNTERS, DEMO_OFFICERS, strict=True):
            password = secrets.token_urlsafe(9)
            accounts.create_user(tx, f"quay{number}", password, "officer", full_name, counter=number)
            logins[f"quay{number}"] = password
        for username, role, name in (("lanhdao", "manager", "Lãnh đạo Trung tâm"), ("admin", "admin", "Quản trị")):
            password = secrets.token_urlsafe(9)
            accounts.create_user(tx, username, password, role, name)
            logins[username] = password
        # two terminals side by side: Kiosk 1 reads the demo's invented card, Kiosk 2 the browser's webcam
        logins["kiosk-token"] = accounts.create_token(tx, "kiosk", label="Kiosk 1")
        logins["kiosk-2-token"] = accounts.create_token(tx, "kiosk", label="Kiosk 2")
        tx.execute("UPDATE terminals SET camera = CASE token_id WHEN (SELECT MIN(token_id) FROM terminals) "
                   "THEN 'demo' ELSE 'browser' END")
        logins["display-token"] = accounts.create_token(tx, "display", label="Màn hình sảnh (demo)")
    return logins


def open_demo_counters(engine, officer_ids: dict[int, int] | None = None) -> None:
    """Open every counter of the demo, as officers would at the start of the day."""
    conn = engine.store.conn()
    officers = officer_ids or {r[0]: r[1] for r in conn.execute(
        "SELECT counter_number, id FROM users WHERE role = 'officer' AND counter_number IS NOT NULL")}
    for c in engine.counters():
        if c.state == "closed":
            engine.open_counter(c.number, officers.get(c.number))

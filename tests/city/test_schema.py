"""The city database's migrations: the contract's schema as version 1, applied once, concurrently safe."""
from __future__ import annotations

import threading

import psycopg

from kiosk.city.db import connect, migrate, schema_version
from kiosk.city.schema import MIGRATIONS

CONTRACT_COLUMNS = {
    "sites": ["site", "name", "epoch", "high_water", "last_hash", "last_shipment_at", "last_event_at",
              "heartbeat_at", "centre_clock", "timezone"],
    "events": ["site", "epoch", "id", "at", "day", "type", "ticket_id", "number", "service", "counter",
               "officer", "priority", "data", "hash"],
    "services": ["site", "code", "name", "prefix", "sla_minutes"],
    "counters": ["site", "number", "name"],
    "ratings": ["site", "epoch", "id", "at", "day", "service", "counter", "score"],
    "daily": ["site", "day", "service", "issued", "served", "no_show", "cancelled", "expired", "wait_sum",
              "wait_n", "wait_max", "over_sla", "service_sum", "service_n", "ratings", "satisfied", "built_at"],
    "city_users": ["username", "password_hash", "role", "active", "created_at"],
    "city_migrations": ["version", "name", "applied_at"],
}


def columns(conn, table):
    return [r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table])]


def test_version_one_is_the_contract_schema(pg_dsn):
    with connect(pg_dsn) as conn:
        assert migrate(conn) == [v for v, _, _ in MIGRATIONS]
        for table, cols in CONTRACT_COLUMNS.items():
            assert columns(conn, table)[:len(cols)] == cols, table  # later versions add columns at the end
        keys = dict(conn.execute(
            "SELECT tc.table_name, string_agg(kcu.column_name, ',' ORDER BY kcu.ordinal_position) "
            "FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage kcu "
            "ON kcu.constraint_name = tc.constraint_name WHERE tc.constraint_type = 'PRIMARY KEY' "
            "GROUP BY tc.table_name").fetchall())
        assert keys["events"] == "site,epoch,id" and keys["ratings"] == "site,epoch,id"
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'events'")}
        assert {"events_site_day", "events_day"} <= indexes
        assert schema_version(conn) == MIGRATIONS[-1][0]


def test_migrate_again_is_a_no_op(city_dsn):
    with connect(city_dsn) as conn:
        assert migrate(conn) == []
        assert conn.execute("SELECT count(*) FROM city_migrations").fetchone() == (len(MIGRATIONS),)


def test_concurrent_migrations_apply_once(pg_dsn):
    results, errors = [], []

    def run():
        try:
            with connect(pg_dsn) as conn:
                results.append(migrate(conn))
        except psycopg.Error as exc:  # pragma: no cover - the failure this test looks for
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    # each migration applied by exactly one of them (one caller may apply version 1, another version 2)
    assert len(results) == 3 and sorted(v for r in results for v in r) == [v for v, _, _ in MIGRATIONS]


def test_score_outside_one_to_five_is_refused(city_dsn):
    with connect(city_dsn) as conn:
        conn.execute("INSERT INTO sites (site, name) VALUES ('a', 'A')")
        try:
            conn.execute("INSERT INTO ratings VALUES ('a', 1, 1, 0, '2026-01-01', 'A', 1, 6)")
        except psycopg.errors.CheckViolation:
            conn.rollback()
        else:  # pragma: no cover
            raise AssertionError("score 6 accepted")

"""The city database: connect (psycopg 3) and bring its schema up to date (kiosk.city.schema).

`migrate` is safe to run from several processes at once (every shipper and the dashboard call it at
start): a transaction-scoped advisory lock serialises them, and each migration commits with its
`city_migrations` row, so a migration is applied exactly once.
"""
from __future__ import annotations

import psycopg

from kiosk.city.schema import MIGRATIONS

# any constant: the advisory lock that serialises migrations across processes
_MIGRATION_LOCK = 0x6B696F736B  # "kiosk"
CONNECT_TIMEOUT_S = 10


def connect(dsn: str, **kwargs) -> psycopg.Connection:
    """A connection to the city database (not autocommit: every `with conn.transaction()` is one)."""
    kwargs.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    kwargs.setdefault("application_name", "kiosk")
    return psycopg.connect(dsn, **kwargs)


def applied_versions(conn: psycopg.Connection) -> set[int]:
    exists = conn.execute("SELECT to_regclass('city_migrations') IS NOT NULL").fetchone()[0]
    if not exists:
        return set()
    return {row[0] for row in conn.execute("SELECT version FROM city_migrations")}


def migrate(conn: psycopg.Connection) -> list[int]:
    """Apply the migrations not yet applied, each in its own transaction; returns the versions applied."""
    done: list[int] = []
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.commit()
    for version, name, statements in MIGRATIONS:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [_MIGRATION_LOCK])
            if version in applied_versions(conn):
                continue
            for sql in statements:
                conn.execute(sql)
            conn.execute("INSERT INTO city_migrations (version, name) VALUES (%s, %s)", [version, name])
            done.append(version)
    conn.commit()
    return done


def schema_version(conn: psycopg.Connection) -> int:
    versions = applied_versions(conn)
    conn.commit()
    return max(versions, default=0)

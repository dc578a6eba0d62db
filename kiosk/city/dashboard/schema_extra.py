"""The dashboard's own city migrations (version 2+), until they move into kiosk/city/schema.py.

The contract's ``daily`` table (version 1) holds sums that add up across days, but the centre's ROW also
needs the p90 wait (a mergeable histogram), the base of the over-target share (tickets called, still waiting
or expired: not every issued ticket) and the five rating levels; ``waiting`` is the dashboard's "waiting
now" as of the last build. ``daily_marks`` is where the incremental build got to per site.
"""
from __future__ import annotations

from typing import Any

MIGRATIONS: list[tuple[int, str, str]] = [
    (2, "dashboard_rollups", """
        ALTER TABLE daily ADD COLUMN IF NOT EXISTS target_base int NOT NULL DEFAULT 0;
        ALTER TABLE daily ADD COLUMN IF NOT EXISTS served_in_target int NOT NULL DEFAULT 0;
        ALTER TABLE daily ADD COLUMN IF NOT EXISTS r1 int NOT NULL DEFAULT 0;
        ALTER TABLE daily ADD COLUMN IF NOT EXISTS r2 int NOT NULL DEFAULT 0;
        ALTER TABLE daily ADD COLUMN IF NOT EXISTS r3 int NOT NULL DEFAULT 0;
        ALTER TABLE daily ADD COLUMN IF NOT EXISTS r4 int NOT NULL DEFAULT 0;
        ALTER TABLE daily ADD COLUMN IF NOT EXISTS r5 int NOT NULL DEFAULT 0;
        ALTER TABLE daily ADD COLUMN IF NOT EXISTS wait_hist text NOT NULL DEFAULT '';
        ALTER TABLE daily ADD COLUMN IF NOT EXISTS waiting int NOT NULL DEFAULT 0;
        CREATE INDEX IF NOT EXISTS daily_day ON daily (day);
        CREATE INDEX IF NOT EXISTS events_ticket ON events (site, epoch, ticket_id);
        CREATE TABLE IF NOT EXISTS daily_marks (
          site text PRIMARY KEY REFERENCES sites(site),
          event_epoch int NOT NULL DEFAULT 0, event_id bigint NOT NULL DEFAULT 0,
          rating_epoch int NOT NULL DEFAULT 0, rating_id bigint NOT NULL DEFAULT 0,
          today date, today_built_at timestamptz);
    """),
]


def apply(conn: Any) -> list[int]:
    """Apply the dashboard's migrations not yet in ``city_migrations`` (one transaction); the versions applied."""
    done: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(7311)")  # two dashboards starting at once
        have = {r[0] for r in conn.execute("SELECT version FROM city_migrations")}
        for version, name, sql in MIGRATIONS:
            if version in have:
                continue
            conn.execute(sql)
            conn.execute("INSERT INTO city_migrations (version, name) VALUES (%s, %s)", [version, name])
            done.append(version)
    return done

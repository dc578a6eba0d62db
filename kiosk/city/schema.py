"""The city database's versioned migrations (PostgreSQL), applied in order by kiosk.city.db.migrate.

A migration is never edited once released: append a new one (the dashboard's start at version 2).
Each is a list of SQL statements run in one transaction with its `city_migrations` row.
"""
from __future__ import annotations

# version 1: the contract's schema (tools/city_contract.md), shared by the shipper and the dashboard
V1_CORE = [
    """CREATE TABLE city_migrations (
        version int PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
    )""",
    """CREATE TABLE sites (
        site text PRIMARY KEY,                 -- [city] site_code
        name text NOT NULL,                    -- [city] site_name
        epoch int NOT NULL DEFAULT 1,          -- current epoch (a restore starts a new one)
        high_water bigint NOT NULL DEFAULT 0,  -- last shipped centre event id in the current epoch
        last_hash text,                        -- hash of that event row (restore detection)
        last_shipment_at timestamptz,          -- city clock when the last batch committed
        last_event_at double precision,        -- centre time (unix s) of the newest shipped event
        heartbeat_at timestamptz,              -- city clock of the last heartbeat
        centre_clock double precision,         -- the centre's clock at the last heartbeat (unix s)
        timezone text NOT NULL DEFAULT 'Asia/Ho_Chi_Minh'
    )""",
    # one row per shipped centre event; never updated
    """CREATE TABLE events (
        site text NOT NULL REFERENCES sites(site),
        epoch int NOT NULL,
        id bigint NOT NULL,                    -- the centre's events.id
        at double precision NOT NULL,          -- centre time, unix s
        day date NOT NULL,                     -- the centre's local day of `at`
        type text NOT NULL,                    -- the centre's event type
        ticket_id bigint,                      -- the centre's ticket id (a number inside the centre, no person)
        number text,                           -- ticket number A001
        service text,                          -- service code
        counter int,
        officer text,                          -- pseudonymous officer code, or NULL
        priority text,                         -- priority category
        data jsonb NOT NULL DEFAULT '{}',      -- ONLY whitelisted fields (kiosk/city/extract.py)
        hash text NOT NULL,                    -- sha256 hex of the canonical shipped row
        PRIMARY KEY (site, epoch, id)
    )""",
    "CREATE INDEX events_site_day ON events (site, day)",
    "CREATE INDEX events_day ON events (day)",
    """CREATE TABLE services (
        site text NOT NULL REFERENCES sites(site),
        code text NOT NULL,
        name text NOT NULL,
        prefix text,
        sla_minutes int,
        PRIMARY KEY (site, code)
    )""",
    """CREATE TABLE counters (
        site text NOT NULL REFERENCES sites(site),
        number int NOT NULL,
        name text NOT NULL,
        PRIMARY KEY (site, number)
    )""",
    """CREATE TABLE ratings (
        site text NOT NULL REFERENCES sites(site),
        epoch int NOT NULL,
        id bigint NOT NULL,
        at double precision NOT NULL,
        day date NOT NULL,
        service text,
        counter int,
        score int NOT NULL CHECK (score BETWEEN 1 AND 5),
        PRIMARY KEY (site, epoch, id)
    )""",
    # daily rollups per site and service, built by the city from events+ratings (kiosk/city/rollups.py);
    # rows for days before the site's current local day are final
    """CREATE TABLE daily (
        site text NOT NULL,
        day date NOT NULL,
        service text NOT NULL,
        issued int NOT NULL,
        served int NOT NULL,
        no_show int NOT NULL,
        cancelled int NOT NULL,
        expired int NOT NULL,
        wait_sum double precision NOT NULL,
        wait_n int NOT NULL,
        wait_max double precision,
        over_sla int NOT NULL,
        service_sum double precision NOT NULL,
        service_n int NOT NULL,
        ratings int NOT NULL,
        satisfied int NOT NULL,
        built_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site, day, service)
    )""",
    """CREATE TABLE city_users (
        username text PRIMARY KEY,
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('city_manager', 'city_admin')),
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
    )""",
]

# version 2 (the dashboard, kiosk/city/rollups.py): the contract's `daily` holds sums that add up across days,
# but the centre's ROW also needs the p90 wait (a histogram that adds up across rows), the base of the over-target share
# (tickets called, still waiting or expired: not every issued ticket) and the five rating levels; `waiting`
# is the dashboard's "waiting now" as of the last build. `daily_marks` is where the incremental build got to.
V2_DASHBOARD = [
    *(f"ALTER TABLE daily ADD COLUMN {c} int NOT NULL DEFAULT 0"
      for c in ("target_base", "served_in_target", "r1", "r2", "r3", "r4", "r5", "waiting")),
    # the wait histogram (kiosk/reports/histogram.py buckets) as little-endian uint16 pairs (bucket, count):
    # a group's rows are concatenated by string_agg and added up by numpy in one call (kiosk/city/rollups.py)
    "ALTER TABLE daily ADD COLUMN wait_hist bytea NOT NULL DEFAULT ''::bytea",
    "CREATE INDEX daily_day ON daily (day)",
    "CREATE INDEX events_ticket ON events (site, epoch, ticket_id)",
    """CREATE TABLE daily_marks (
        site text PRIMARY KEY REFERENCES sites(site),
        event_epoch int NOT NULL DEFAULT 0,    -- the newest (epoch, id) of the events built
        event_id bigint NOT NULL DEFAULT 0,
        rating_epoch int NOT NULL DEFAULT 0,   -- the newest (epoch, id) of the ratings built
        rating_id bigint NOT NULL DEFAULT 0,
        today date,                            -- the site's day with tickets, built at today_built_at
        today_built_at timestamptz
    )""",
]

# (version, name, statements), in order
MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (1, "core", V1_CORE),
    (2, "dashboard_rollups", V2_DASHBOARD),
]

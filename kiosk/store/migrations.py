"""Versioned schema migrations, applied in order at start inside one transaction each.

A migration is never edited once released: add a new one. `schema_migrations` records which ran.
"""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]


def run_script(db: sqlite_utils.Database, script: str) -> None:
    """Run SQL statements one by one: sqlite3's executescript would COMMIT the migration's transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError("incomplete SQL statement in migration")


def m001_core(db: sqlite_utils.Database) -> None:
    """Services, counters, users, tokens, tickets and the append-only events table."""
    run_script(db,
        """
        CREATE TABLE services (
            code TEXT PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 32),
            name TEXT NOT NULL,
            name_en TEXT NOT NULL DEFAULT '',
            prefix TEXT NOT NULL UNIQUE CHECK (length(prefix) BETWEEN 1 AND 2),
            daily_limit INTEGER CHECK (daily_limit IS NULL OR daily_limit > 0),
            person_daily_limit INTEGER CHECK (person_daily_limit IS NULL OR person_daily_limit > 0),
            sla_minutes INTEGER NOT NULL DEFAULT 30 CHECK (sla_minutes > 0),
            is_open INTEGER NOT NULL DEFAULT 1,
            sort INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE counters (
            number INTEGER PRIMARY KEY CHECK (number > 0),
            name TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'closed' CHECK (state IN ('closed', 'open', 'paused')),
            pause_reason TEXT,
            officer_id INTEGER REFERENCES users(id),
            current_ticket_id INTEGER REFERENCES tickets(id),
            normal_streak INTEGER NOT NULL DEFAULT 0,
            updated_at REAL
        );
        CREATE TABLE counter_services (
            counter_number INTEGER NOT NULL REFERENCES counters(number) ON DELETE CASCADE,
            service_code TEXT NOT NULL REFERENCES services(code) ON DELETE CASCADE,
            rank INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (counter_number, service_code)
        );
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            full_name TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL CHECK (role IN ('officer', 'manager', 'admin')),
            password_hash TEXT NOT NULL,
            counter_number INTEGER REFERENCES counters(number) ON DELETE SET NULL,
            active INTEGER NOT NULL DEFAULT 1,
            created_at REAL NOT NULL
        );
        CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('kiosk', 'officer', 'manager', 'admin', 'display')),
            counter_number INTEGER REFERENCES counters(number) ON DELETE CASCADE,
            label TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            revoked_at REAL
        );
        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY,
            day TEXT NOT NULL,
            prefix TEXT NOT NULL,
            seq INTEGER NOT NULL,
            number TEXT NOT NULL,
            service_code TEXT NOT NULL REFERENCES services(code),
            priority TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN
                ('waiting', 'called', 'serving', 'done', 'no_show', 'held', 'cancelled')),
            channel TEXT NOT NULL DEFAULT 'kiosk',
            issued_at REAL NOT NULL,
            counter_number INTEGER REFERENCES counters(number),
            called_at REAL,
            started_at REAL,
            finished_at REAL,
            recalls INTEGER NOT NULL DEFAULT 0,
            citizen_key TEXT,
            UNIQUE (day, prefix, seq)
        );
        CREATE INDEX tickets_waiting ON tickets (state, service_code, issued_at);
        CREATE INDEX tickets_day ON tickets (day, service_code);
        CREATE INDEX tickets_citizen ON tickets (citizen_key, day) WHERE citizen_key IS NOT NULL;
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at REAL NOT NULL,
            type TEXT NOT NULL,
            ticket_id INTEGER REFERENCES tickets(id),
            counter_number INTEGER,
            officer_id INTEGER,
            service_code TEXT,
            data TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX events_at ON events (at);
        CREATE INDEX events_ticket ON events (ticket_id);
        -- Append-only: history is never rewritten.
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
    )


def m002_citizens(db: sqlite_utils.Database) -> None:
    """Citizens (encrypted), consents, the audit of staff reads, appointments."""
    run_script(db, """
        CREATE TABLE citizens (
            id INTEGER PRIMARY KEY,
            lookup TEXT NOT NULL UNIQUE,          -- HMAC of the ID number, never the number
            record BLOB NOT NULL,                 -- AES-GCM sealed JSON of the CCCD fields
            face BLOB,                            -- AES-GCM sealed face templates, only with consent
            face_consent_id INTEGER REFERENCES consents(id),
            created_at REAL NOT NULL,
            last_seen_at REAL NOT NULL,
            face_enrolled_at REAL
        );
        CREATE INDEX citizens_seen ON citizens (last_seen_at);
        CREATE TABLE consents (
            id INTEGER PRIMARY KEY,
            citizen_id INTEGER REFERENCES citizens(id) ON DELETE SET NULL,
            purpose TEXT NOT NULL,
            text_version TEXT NOT NULL,
            granted INTEGER NOT NULL,
            channel TEXT NOT NULL DEFAULT 'kiosk',
            at REAL NOT NULL,
            withdrawn_at REAL
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at REAL NOT NULL,
            actor_kind TEXT NOT NULL,
            actor_id INTEGER,
            actor_role TEXT NOT NULL,
            action TEXT NOT NULL,
            citizen_id INTEGER,
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TABLE appointments (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            service_code TEXT NOT NULL REFERENCES services(code),
            slot_start REAL NOT NULL,
            lookup TEXT,                          -- HMAC of the ID number when booked with one
            contact BLOB,                         -- sealed name / phone
            state TEXT NOT NULL DEFAULT 'booked'
                CHECK (state IN ('booked', 'checked_in', 'cancelled', 'expired')),
            ticket_id INTEGER REFERENCES tickets(id),
            created_at REAL NOT NULL
        );
        CREATE INDEX appointments_slot ON appointments (service_code, slot_start);
        CREATE INDEX appointments_lookup ON appointments (lookup) WHERE lookup IS NOT NULL;
        """)


def m003_ratings(db: sqlite_utils.Database) -> None:
    """Citizens' satisfaction with a finished ticket (SIPAS-style five levels)."""
    run_script(db, """
        CREATE TABLE ratings (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL UNIQUE REFERENCES tickets(id),
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            comment TEXT NOT NULL DEFAULT '',
            service_code TEXT NOT NULL,
            counter_number INTEGER,
            at REAL NOT NULL
        );
        CREATE INDEX ratings_at ON ratings (at);
        """)


def m004_ticket_requests(db: sqlite_utils.Database) -> None:
    """Idempotency keys of ticket requests: a retried request returns the ticket of the first one."""
    run_script(db, """
        CREATE TABLE ticket_requests (
            issuer TEXT NOT NULL,
            day TEXT NOT NULL,
            key TEXT NOT NULL,
            ticket_id INTEGER NOT NULL REFERENCES tickets(id),
            PRIMARY KEY (issuer, day, key)
        ) WITHOUT ROWID;
        """)


def m005_terminals(db: sqlite_utils.Database) -> None:
    """Kiosk terminals: every kiosk token is one, with its own camera, printer and pager-label prefix
    (NULL: the centre's default from the config); tickets remember the terminal that issued them."""
    run_script(db, """
        CREATE TABLE terminals (
            token_id INTEGER PRIMARY KEY REFERENCES api_tokens(id),
            camera TEXT,
            printer_url TEXT,
            pager_prefix TEXT,
            updated_at REAL NOT NULL
        );
        INSERT INTO terminals (token_id, updated_at) SELECT id, created_at FROM api_tokens WHERE role = 'kiosk';
        ALTER TABLE tickets ADD COLUMN terminal_id INTEGER;
        """)


def m006_face_checks(db: sqlite_utils.Database) -> None:
    """The citizens' answers to a face match ("is this you?"), counts only; and the consents of a citizen by
    index, since every card shown at the kiosk asks for the latest answer to the current consent text."""
    run_script(db, """
        CREATE TABLE face_checks (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            day TEXT NOT NULL,
            terminal_id INTEGER,
            outcome TEXT NOT NULL CHECK (outcome IN ('confirmed', 'rejected'))
        );
        CREATE INDEX face_checks_day ON face_checks (day);
        CREATE INDEX consents_citizen ON consents (citizen_id, purpose, text_version) WHERE citizen_id IS NOT NULL;
        """)


def m007_hot_paths(db: sqlite_utils.Database) -> None:
    """What keeps the hot paths O(today) after years of history (docs/history.md).

    ``days``: the id of each local day's first event, written with that event (QueueEngine), so today's
    events are read by a primary-key range instead of a walk back through every day before. Days of an
    older database are filled from their tickets' issue events (counter events before a day's first
    ticket fall outside them; only history is affected). ``tickets_finished``: the recent service times
    of a service, newest first, without sorting every finished ticket it ever had.
    """
    run_script(db, """
        CREATE TABLE days (
            day TEXT PRIMARY KEY,
            first_event_id INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO days (day, first_event_id)
            SELECT t.day, MIN(e.id) FROM events e JOIN tickets t ON t.id = e.ticket_id
            WHERE e.type = 'ticket_issued' GROUP BY t.day;
        CREATE INDEX tickets_finished ON tickets (service_code, state, finished_at);
        """)


def m008_service_standards(db: sqlite_utils.Database) -> None:
    """A service's own standard for the length of its queue (NULL: the centre's ``[alerts] max_waiting``)."""
    run_script(db, """
        ALTER TABLE services ADD COLUMN max_waiting INTEGER CHECK (max_waiting IS NULL OR max_waiting > 0);
        """)


def m009_report_rollups(db: sqlite_utils.Database) -> None:
    """Daily rollups of the reports (kiosk/reports): per day and dimension (service, counter, officer, hour)
    the counts and sums of kiosk.reports.cells.Cell; report_days says which days are rolled up, and
    whether for good (``final``: built after the day's ratings window closed)."""
    run_script(db, """
        CREATE TABLE report_rollups (
            dim TEXT NOT NULL CHECK (dim IN ('service', 'counter', 'officer', 'hour')),
            day TEXT NOT NULL,
            key TEXT NOT NULL,                    -- '' where none (a ticket never called has no counter)
            issued INTEGER NOT NULL, served INTEGER NOT NULL, no_show INTEGER NOT NULL,
            cancelled INTEGER NOT NULL, expired INTEGER NOT NULL,
            waits INTEGER NOT NULL, wait_sum REAL NOT NULL, wait_max REAL,
            services INTEGER NOT NULL, service_sum REAL NOT NULL,
            target_base INTEGER NOT NULL, over_target INTEGER NOT NULL, served_in_target INTEGER NOT NULL,
            r1 INTEGER NOT NULL, r2 INTEGER NOT NULL, r3 INTEGER NOT NULL, r4 INTEGER NOT NULL,
            r5 INTEGER NOT NULL,
            wait_hist TEXT NOT NULL,              -- sparse "bucket:count,…" (kiosk/reports/histogram.py)
            PRIMARY KEY (dim, day, key)
        ) WITHOUT ROWID;
        CREATE TABLE report_days (
            day TEXT PRIMARY KEY,
            built_at REAL NOT NULL,
            final INTEGER NOT NULL
        ) WITHOUT ROWID;
        """)


def m010_gallery_window(db: sqlite_utils.Database) -> None:
    """The face gallery holds the citizens with templates seen within its window: loaded, and left, by a range
    of last-seen over the enrolled citizens only (a year's centre has far more citizens than faces)."""
    run_script(db, """
        CREATE INDEX citizens_face_seen ON citizens (last_seen_at) WHERE face IS NOT NULL;
        """)


def m011_ticket_expired(db: sqlite_utils.Database) -> None:
    """Tickets may be ``expired`` (the day ended before they were served: kiosk/queue/dayend.py).

    Only the state's CHECK constraint widens, and every row already satisfies the wider one, so the table's
    stored definition is edited in place (SQLite's documented procedure for changing a constraint, "ALTER
    TABLE", section "Making Other Kinds Of Table Schema Changes") instead of copying a year of tickets into a
    new table, which could not be done here anyway: migrations run in one transaction with foreign keys on,
    and the tables that refer to ``tickets`` would refuse its drop.
    """
    old = "'held', 'cancelled'))"
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'tickets'").fetchone()[0]
    if sql.count(old) != 1:
        raise RuntimeError("tickets table: the state constraint is not the one migration 001 wrote")
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    db.execute("PRAGMA writable_schema = ON")
    try:
        db.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'tickets'",
                   [sql.replace(old, "'held', 'cancelled', 'expired'))")])
        db.execute(f"PRAGMA schema_version = {int(version) + 1}")  # every connection reloads the schema
    finally:
        db.execute("PRAGMA writable_schema = OFF")


def m012_booking_binding(db: sqlite_utils.Database) -> None:
    """A public booking bound to its citizen: ``holder`` is the keyed hash of the ID number with the card's
    name (the kiosk checks a card in against both; the per-ID booking limit counts these rows, so it holds
    across restarts), ``id_tail`` the keyed hash of the ID number's last 4 digits bound to the code (what
    cancelling asks). Rows from before stay as they were (both NULL): bound by ID number alone, cancelled
    by their 6-character code (docs/booking.md)."""
    run_script(db, """
        ALTER TABLE appointments ADD COLUMN holder TEXT;
        ALTER TABLE appointments ADD COLUMN id_tail TEXT;
        CREATE INDEX appointments_holder ON appointments (holder, created_at) WHERE holder IS NOT NULL;
        """)


def m013_sessions(db: sqlite_utils.Database) -> None:
    """Login sessions kept in the store (kiosk.accounts.sessions): the cookie carries only a random id whose
    hash keys a row here, so logout, a password change or a deactivation ends a session at once. A session
    belongs to a person (user_id) or to a device signed in with its token (token_id)."""
    run_script(db, """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            id_hash TEXT NOT NULL UNIQUE,
            user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
            token_id INTEGER REFERENCES api_tokens(id) ON DELETE CASCADE,
            created_at REAL NOT NULL,
            last_seen_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            idle_s REAL NOT NULL,
            ended_at REAL,
            end_reason TEXT,
            CHECK ((user_id IS NULL) <> (token_id IS NULL))
        );
        CREATE INDEX sessions_user_open ON sessions (user_id) WHERE ended_at IS NULL;
        CREATE INDEX sessions_token_open ON sessions (token_id) WHERE ended_at IS NULL;
        CREATE INDEX sessions_expires ON sessions (expires_at);
        """)


def m014_queue_order(db: sqlite_utils.Database) -> None:
    """The queue is ordered by ticket id (the order of issue), not the wall clock (kiosk/queue/priorities.py):
    ``tickets_queue`` gives the first waiting ticket of a service and priority category in id order with
    one index seek (an index's rows are kept in rowid order within equal keys)."""
    run_script(db, """
        CREATE INDEX tickets_queue ON tickets (state, service_code, priority);
        """)


def m015_counter_transfer(db: sqlite_utils.Database) -> None:
    """A ticket transferred to one counter (kiosk/queue/priorities.py ``next_for_counter``): ``target_counter``
    is the only counter that may call it while it waits, ``target_from`` the counter that sent it (NULL: an
    admin), for the target's console. Both are cleared when it stops waiting (called, cancelled, expired) or
    is transferred to a service alone.
    ``tickets_directed`` (partial: only directed rows, a handful a day) gives a counter's first directed
    ticket of a priority group in id order with one seek, like ``tickets_queue``. No foreign key: a counter
    is never deleted (kiosk/queue/catalog.py), and the engine checks the number at transfer."""
    run_script(db, """
        ALTER TABLE tickets ADD COLUMN target_counter INTEGER;
        ALTER TABLE tickets ADD COLUMN target_from INTEGER;
        CREATE INDEX tickets_directed ON tickets (target_counter, state, priority) WHERE target_counter IS NOT NULL;
        """)


def m016_ticket_dossier(db: sqlite_utils.Database) -> None:
    """The dossier code (mã hồ sơ) and note an officer writes on a ticket (kiosk/queue/dossier.py), kept on the
    ticket for fast reads beside their ``ticket_noted`` events; the reports' count of tickets with a code
    (``report_rollups.dossiers``: days rolled up before are 0, rightly, as no code existed then); and the
    booking of a ticket found by one index seek (the console shows its time), not a scan of every booking."""
    run_script(db, """
        ALTER TABLE tickets ADD COLUMN dossier_code TEXT;
        ALTER TABLE tickets ADD COLUMN note TEXT;
        ALTER TABLE report_rollups ADD COLUMN dossiers INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX appointments_ticket ON appointments (ticket_id) WHERE ticket_id IS NOT NULL;
        """)


TOKEN_ROLES_OLD = "role IN ('kiosk', 'officer', 'manager', 'admin', 'display')"
TOKEN_ROLES_17 = "role IN ('kiosk', 'officer', 'manager', 'admin', 'display', 'rating')"


def m017_rating_tokens(db: sqlite_utils.Database) -> None:
    """Token role ``rating``: a counter's rating tablet (page /rate). SQLite cannot alter a CHECK, and the
    usual rebuild of api_tokens (new table, copy, drop) would cascade-delete every session of a device
    (sessions.token_id ON DELETE CASCADE) and needs foreign keys off, which cannot change inside this
    transaction. A CHECK that only admits one more value leaves every stored row valid, so this is SQLite's
    documented in-place edit of the table's definition (https://sqlite.org/lang_altertable.html, section 7):
    the new text in sqlite_schema and a new schema_version, checked before the transaction commits."""
    row = db.execute("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'api_tokens'").fetchone()
    if row is None or row[0].count(TOKEN_ROLES_OLD) != 1:
        raise RuntimeError("api_tokens is not the table migration 17 expects")
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    db.execute("PRAGMA writable_schema = ON")
    try:
        db.execute("UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = 'api_tokens'",
                   [row[0].replace(TOKEN_ROLES_OLD, TOKEN_ROLES_17)])
        db.execute(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        db.execute("PRAGMA writable_schema = OFF")
    problems = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall()]
    if problems != ["ok"]:
        raise RuntimeError(f"migration 17: integrity_check says {problems}")


MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "core", m001_core),
    (2, "citizens", m002_citizens),
    (3, "ratings", m003_ratings),
    (4, "ticket_requests", m004_ticket_requests),
    (5, "terminals", m005_terminals),
    (6, "face_checks", m006_face_checks),
    (7, "hot_paths", m007_hot_paths),
    (8, "service_standards", m008_service_standards),
    (9, "report_rollups", m009_report_rollups),
    (10, "gallery_window", m010_gallery_window),
    (11, "ticket_expired", m011_ticket_expired),
    (12, "booking_binding", m012_booking_binding),
    (13, "sessions", m013_sessions),
    (14, "queue_order", m014_queue_order),
    (15, "counter_transfer", m015_counter_transfer),
    (16, "ticket_dossier", m016_ticket_dossier),
    (17, "rating_tokens", m017_rating_tokens),
]


def current_version(db: sqlite_utils.Database) -> int:
    if "schema_migrations" not in db.table_names():
        return 0
    row = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return row[0] or 0


def migrate(db: sqlite_utils.Database) -> int:
    """Apply the migrations not yet applied; returns the schema version. Runs inside the caller's transaction."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
    )
    version = current_version(db)
    known = max(v for v, _, _ in MIGRATIONS)
    if version > known:
        raise RuntimeError(f"database schema version {version} is newer than this program ({known})")
    # Every migration not yet recorded, in order, not only those above the highest: numbers are handed out to
    # work done in parallel, so a store may have 9 before 7 and 8 arrive.
    applied = {row[0] for row in db.execute("SELECT version FROM schema_migrations").fetchall()}
    for number, name, apply in MIGRATIONS:
        if number not in applied:
            apply(db)
            db.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                [number, name, time.time()],
            )
            version = max(version, number)
    return version

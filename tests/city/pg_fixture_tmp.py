"""TEMPORARY PostgreSQL fixture of the dashboard tests, until the `city` work's tests/city/conftest.py lands
(then this file goes and the tests use its `pg_cluster` / `city_dsn`).

initdb + pg_ctl from /usr/lib/postgresql/*/bin in a temporary folder, on a free port, as `nobody` when run as
root; the contract's schema (version 1) is applied (kiosk.city.db.migrate once it exists), then the
dashboard's own migrations. Each test gets a fresh database cloned from a migrated template.
"""
from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

CONTRACT_SQL = """
CREATE TABLE city_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE sites (site text PRIMARY KEY, name text NOT NULL, epoch int NOT NULL DEFAULT 1,
  high_water bigint NOT NULL DEFAULT 0, last_hash text, last_shipment_at timestamptz, last_event_at double precision,
  heartbeat_at timestamptz, centre_clock double precision, timezone text NOT NULL DEFAULT 'Asia/Ho_Chi_Minh');
CREATE TABLE events (site text NOT NULL REFERENCES sites(site), epoch int NOT NULL, id bigint NOT NULL,
  at double precision NOT NULL, day date NOT NULL, type text NOT NULL, ticket_id bigint, number text, service text,
  counter int, officer text, priority text, data jsonb NOT NULL DEFAULT '{}', hash text NOT NULL,
  PRIMARY KEY (site, epoch, id));
CREATE INDEX events_site_day ON events (site, day);
CREATE INDEX events_day ON events (day);
CREATE TABLE services (site text NOT NULL REFERENCES sites(site), code text NOT NULL, name text NOT NULL,
  prefix text, sla_minutes int, PRIMARY KEY (site, code));
CREATE TABLE counters (site text NOT NULL REFERENCES sites(site), number int NOT NULL, name text NOT NULL,
  PRIMARY KEY (site, number));
CREATE TABLE ratings (site text NOT NULL REFERENCES sites(site), epoch int NOT NULL, id bigint NOT NULL,
  at double precision NOT NULL, day date NOT NULL, service text, counter int,
  score int NOT NULL CHECK (score BETWEEN 1 AND 5), PRIMARY KEY (site, epoch, id));
CREATE TABLE daily (site text NOT NULL, day date NOT NULL, service text NOT NULL,
  issued int NOT NULL, served int NOT NULL, no_show int NOT NULL, cancelled int NOT NULL, expired int NOT NULL,
  wait_sum double precision NOT NULL, wait_n int NOT NULL, wait_max double precision, over_sla int NOT NULL,
  service_sum double precision NOT NULL, service_n int NOT NULL, ratings int NOT NULL, satisfied int NOT NULL,
  built_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (site, day, service));
CREATE TABLE city_users (username text PRIMARY KEY, password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('city_manager', 'city_admin')),
  active boolean NOT NULL DEFAULT true, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO city_migrations (version, name) VALUES (1, 'city');
"""


def pg_bin() -> Path | None:
    found = sorted((int(Path(f).parent.name), Path(f)) for f in glob.glob("/usr/lib/postgresql/*/bin")
                   if Path(f, "initdb").exists() and Path(f).parent.name.isdigit())
    return found[-1][1] if found else None


def contract_schema(conn) -> None:
    """Version 1: the city work's migrate() where it exists, else the contract's SQL."""
    try:
        from kiosk.city.db import migrate
    except ImportError:
        conn.execute(CONTRACT_SQL)
        conn.commit()
    else:
        migrate(conn)


class TmpCluster:
    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin_dir, self.root = bin_dir, root
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.prefix: list[str] = []
        (root / "sock").mkdir()
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self.prefix = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
            for p in (root, root / "sock"):
                os.chown(p, nobody.pw_uid, nobody.pw_gid)
        self.run("initdb", "-D", str(root / "data"), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                 "--locale=C.UTF-8")
        with open(root / "data" / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = "
                       f"'{root / 'sock'}'\nfsync = off\nshared_buffers = 32MB\nmax_connections = 40\n")
        self.run("pg_ctl", "-D", str(root / "data"), "-l", str(root / "log"), "-w", "start")

    def run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.prefix, str(self.bin_dir / tool), *args], check=True, capture_output=True,
                       cwd=self.root, timeout=120)

    def dsn(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(sql)

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")


@pytest.fixture(scope="session")
def dash_cluster():
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'psycopg[binary]>=3.2')")
    bin_dir = pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="kiosk-dash-pg-"))
    cluster = TmpCluster(bin_dir, root)
    cluster.admin('CREATE DATABASE "dash_template"')
    from kiosk.city.dashboard import schema_extra

    with psycopg.connect(cluster.dsn("dash_template")) as conn:
        contract_schema(conn)
        schema_extra.apply(conn)
    yield cluster
    try:
        cluster.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


_numbers = itertools.count(1)


@pytest.fixture
def dash_dsn(dash_cluster):
    """A fresh database with the city schema and the dashboard's migrations."""
    name = f"d{os.getpid()}_{next(_numbers)}"
    dash_cluster.admin(f'CREATE DATABASE "{name}" TEMPLATE "dash_template"')
    yield dash_cluster.dsn(name)
    dash_cluster.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

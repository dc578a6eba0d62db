"""A real PostgreSQL for the city tests: one cluster per session, a fresh database per test.

The cluster is made by `initdb` and run by `pg_ctl` in a temporary folder, on a free TCP port of
127.0.0.1, with its unix socket inside that folder. PostgreSQL refuses to run as root, so when the
tests run as root (CI, `make test`) the server runs as `nobody` (setpriv, or runuser) in a folder
owned by nobody. Tests are skipped, with the reason, only where no PostgreSQL binaries are found
(`make test` installs the `postgresql` package; see the Makefile's APT_TEST_PACKAGES).

Fixtures:
- `pg_cluster` (session): a `PgCluster` with `.dsn(dbname)`, `.stop(mode)`, `.start()`, `.running()`.
- `pg_dsn`: the DSN of a fresh, empty database for this test.
- `city_dsn`: the DSN of a fresh database holding the city schema (cloned from a migrated template).
"""
from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/city/centres.py

SUPERUSER = "postgres"


def find_pg_bin() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin holding initdb and pg_ctl, else their folder on PATH."""
    found = []
    for folder in glob.glob("/usr/lib/postgresql/*/bin"):
        path = Path(folder)
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            try:
                found.append((int(path.parent.name), path))
            except ValueError:
                continue
    if found:
        return max(found)[1]
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user_prefix() -> tuple[list[str], int | None, int | None]:
    """How to run the server's commands as a non-root user: (argv prefix, uid, gid)."""
    if os.geteuid() != 0:
        return [], None, None
    nobody = pwd.getpwnam("nobody")
    if shutil.which("setpriv"):
        return ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"], \
            nobody.pw_uid, nobody.pw_gid
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"], nobody.pw_uid, nobody.pw_gid
    raise RuntimeError("running as root without setpriv or runuser: cannot start PostgreSQL as non-root")


class PgCluster:
    """One initdb'd cluster in a temporary folder; start/stop like an operator would."""

    def __init__(self, bin_dir: Path, root: Path):
        self.bin_dir = bin_dir
        self.root = root
        self.data = root / "data"
        self.sockets = root / "sockets"
        self.log = root / "server.log"
        self.port = free_port()
        self.host = "127.0.0.1"
        self._prefix, uid, gid = _as_user_prefix()
        self.sockets.mkdir(parents=True)
        if uid is not None:
            for path in (root, self.sockets):
                os.chown(path, uid, gid)
            os.chmod(root, 0o755)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions", "--no-sync")
        # Tests only: no fsync (the OS page cache survives a `pg_ctl stop -m immediate`, so crash
        # recovery from the WAL is still exercised); a small footprint on a shared 2-core machine.
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '{self.host}'\n"
                f"unix_socket_directories = '{self.sockets}'\n"
                "fsync = off\nfull_page_writes = off\nshared_buffers = 32MB\nmax_connections = 60\n"
                "log_min_messages = warning\n")

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        argv = [*self._prefix, str(self.bin_dir / tool), *args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=self.root)
        if check and done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
        return done

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """`pg_ctl stop -m MODE`; `immediate` is a crash: no checkpoint, recovery at the next start."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE) on the postgres database."""
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(sql)

    def wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.dsn(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


@pytest.fixture(scope="session")
def pg_cluster():
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[test]' installs psycopg[binary])")
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL not found (no initdb/pg_ctl under /usr/lib/postgresql/*/bin or on PATH): "
                    "`make test` installs the `postgresql` package; apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
    cluster = PgCluster(bin_dir, root)
    cluster.start()
    cluster.wait_ready()
    yield cluster
    try:
        if cluster.running():
            cluster.stop("fast")
    finally:
        shutil.rmtree(root, ignore_errors=True)


_db_numbers = itertools.count(1)


def _fresh_db(cluster: PgCluster, template: str) -> str:
    if not cluster.running():  # a test that stopped the server and failed before restarting it
        cluster.start()
        cluster.wait_ready()
    name = f"t{os.getpid()}_{next(_db_numbers)}"
    cluster.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


def _drop_db(cluster: PgCluster, name: str) -> None:
    try:
        if cluster.running():
            cluster.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception:  # noqa: BLE001 - cleanup only; the cluster goes away with the session
        pass


@pytest.fixture
def pg_dsn(pg_cluster):
    """A fresh, empty database for this test (dropped afterwards)."""
    name = _fresh_db(pg_cluster, "template1")
    yield pg_cluster.dsn(name)
    _drop_db(pg_cluster, name)


@pytest.fixture(scope="session")
def city_template(pg_cluster):
    """A database migrated to the city schema once per session; tests clone it (fast)."""
    import psycopg

    from kiosk.city.db import migrate

    name = "city_template"
    pg_cluster.admin(f'CREATE DATABASE "{name}"')
    with psycopg.connect(pg_cluster.dsn(name)) as conn:
        migrate(conn)
    return name


@pytest.fixture
def city_dsn(pg_cluster, city_template):
    """A fresh database holding the city schema, for this test."""
    name = _fresh_db(pg_cluster, city_template)
    yield pg_cluster.dsn(name)
    _drop_db(pg_cluster, name)


# -- demo centres (tests/city/centres.py) ---------------------------------------------------------------
SITES = ("ha-dong", "hoan-kiem", "long-bien")
SEED_LAST_DAY = "2026-11-26"  # a Thursday: the centres' seeded history ends here, the tests add days after


@pytest.fixture(scope="session")
def centre_templates(tmp_path_factory):
    """Three demo centres, each with two working days of history made by the real engine (once per session)."""
    from datetime import date

    from centres import seed_centre

    root = tmp_path_factory.mktemp("centres")
    out = {}
    for i, site in enumerate(SITES):
        seed_centre(root / site, days=2, per_day=80 + 40 * i, seed=i + 1, last_day=date.fromisoformat(SEED_LAST_DAY))
        out[site] = root / site
    return out


@pytest.fixture
def centres(tmp_path, centre_templates):
    """This test's copies of the three centres' data dirs: {site: data_dir}."""
    out = {}
    for site, folder in centre_templates.items():
        shutil.copytree(folder, tmp_path / site)
        out[site] = tmp_path / site
    return out

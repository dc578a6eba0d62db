"""A real PostgreSQL for the city tests: one cluster per session, a fresh database per test.

The cluster is made by `initdb` and run by `pg_ctl` in a temporary folder, on a free TCP port of
127.0.0.1, with its unix socket inside that folder. PostgreSQL refuses to run as root, so when the
tests run as root (CI, `make test`) the server runs as `nobody` (setpriv, or runuser) in a folder
owned by nobody. Tests are skipped, with the reason, only where no PostgreSQL binaries are found
(`make test` installs the `postgresql` package; see the Makefile's APT_TEST_PACKAGES).

Fixtures:
- `pg_cluster` (session): a `PgCluster` (kiosk/city/pgtemp.py) with `.dsn(dbname)`, `.stop(mode)`, `.start()`, `.running()`.
- `pg_dsn`: the DSN of a fresh, empty database for this test.
- `city_dsn`: the DSN of a fresh database holding the city schema (cloned from a migrated template).
"""
from __future__ import annotations

import itertools
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from kiosk.city.pgtemp import PgCluster, find_pg_bin, free_port  # noqa: F401 - free_port for the tests

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/city/centres.py


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

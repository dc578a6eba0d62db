"""The PostgreSQL fixture itself: a real server, a database per test, stop and start."""
from __future__ import annotations

import psycopg
import pytest


def test_fresh_database_is_empty_and_writable(pg_dsn):
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("CREATE TABLE t (x int)")
        conn.execute("INSERT INTO t VALUES (1)")
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_each_test_gets_its_own_database(pg_dsn):
    with psycopg.connect(pg_dsn) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    assert tables == (0,)


def test_server_runs_as_non_root(pg_dsn):
    with psycopg.connect(pg_dsn) as conn:
        # only a superuser may read this; the OS user is what initdb ran as
        row = conn.execute("SELECT current_setting('data_directory')").fetchone()
    assert row[0]


def test_immediate_stop_keeps_committed_rows(pg_cluster, pg_dsn):
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("CREATE TABLE t (x int)")
        conn.execute("INSERT INTO t SELECT generate_series(1, 100)")
    pg_cluster.stop("immediate")
    assert not pg_cluster.running()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(pg_dsn, connect_timeout=2)
    pg_cluster.start()
    pg_cluster.wait_ready()
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (100,)

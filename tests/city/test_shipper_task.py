"""The city shipper inside the service: ships in the background; an unreachable city never affects it."""
from __future__ import annotations

import logging
import socket
import time

from centres import assert_city_equals_centre, centre_rows

from kiosk.app import create_app


def wait_for(predicate, timeout=30.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def app_for(data_dir, site, dsn, **city):
    return create_app({"data_dir": str(data_dir), "city": {
        "dsn": dsn, "site_code": site, "site_name": f"Trung tâm {site}", "interval_s": 1, **city}})


def test_service_ships_in_the_background(city_dsn, centres):
    site, data = "hoan-kiem", centres["hoan-kiem"]
    app = app_for(data, site, city_dsn)
    kiosk = app.extensions["kiosk"]
    try:
        task = kiosk.city_shipper
        assert task is not None
        newest = max(r["id"] for r in centre_rows(data, "events", "id"))
        assert wait_for(lambda: task.last is not None and task.last.high_water >= newest)
        issued = kiosk.engine.issue_ticket("HT")
        assert wait_for(lambda: task.last is not None and task.last.high_water > newest)
        assert_city_equals_centre(city_dsn, data, site)
        assert issued.ticket.id
    finally:
        kiosk.close()


def test_unreachable_city_never_affects_the_service(pg_cluster, centres, caplog):
    site, data = "long-bien", centres["long-bien"]
    caplog.set_level(logging.WARNING, logger="kiosk.city")
    # a port nobody listens on: every pass fails at connect
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = app_for(data, site, f"postgresql://postgres@127.0.0.1:{port}/city")
    kiosk = app.extensions["kiosk"]
    try:
        task = kiosk.city_shipper
        assert wait_for(lambda: task.loop.failures >= 1, timeout=20)
        started = time.monotonic()
        for _ in range(20):
            kiosk.engine.issue_ticket("HT")
        assert time.monotonic() - started < 5
        assert any("city shipping to postgresql://postgres@127.0.0.1" in r.getMessage() for r in caplog.records)
        assert task.loop.next_try > task.loop.monotonic() - 1  # backed off
    finally:
        started = time.monotonic()
        kiosk.close()
        assert time.monotonic() - started < 6

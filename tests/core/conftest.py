"""Fixtures for the core: an engine over a real SQLite store in tmp_path, an app per test."""
from __future__ import annotations

import pytest
from app_support import make_app, role_tokens
from core_fixtures import MORNING, make_catalogue

from kiosk.demo.centre import open_demo_counters
from kiosk.queue.clock import FakeClock
from kiosk.queue.engine import QueueEngine, QueueSettings
from kiosk.store import open_store


@pytest.fixture
def clock():
    return FakeClock(MORNING)


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "data")
    yield s
    s.close()


@pytest.fixture
def engine(store, clock):
    make_catalogue(store)
    published = []
    eng = QueueEngine(store, clock, QueueSettings(), publish=published.append)
    eng.published = published
    for n in (1, 2, 3):
        eng.open_counter(n)
    return eng


@pytest.fixture
def app(tmp_path, clock, seeded_demo):
    template, logins = seeded_demo
    application = make_app(tmp_path, template, clock=clock)
    kiosk = application.extensions["kiosk"]
    application.logins = logins
    open_demo_counters(kiosk.engine)
    yield application
    kiosk.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(app):
    """Bearer tokens per role (officer tokens for counters 1 and 3)."""
    return role_tokens(app.extensions["kiosk"])

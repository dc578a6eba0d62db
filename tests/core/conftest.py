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


HISTORY_LAST_DAY = "2026-11-24"  # a Tuesday: the three working days are Fri 20, Mon 23, Tue 24


@pytest.fixture(scope="session")
def seeded_history(tmp_path_factory):
    """A data dir with 3 working days x 100 tickets of the demo centre (kiosk seed-history), made once per
    session; (folder, summary). Copy it before changing it."""
    from datetime import date

    from kiosk.config.core import Config
    from kiosk.demo.history import seed_history

    folder = tmp_path_factory.mktemp("history") / "data"
    summary, _ = seed_history(Config.from_dict({"data_dir": str(folder)}), 3, 100, seed=7,
                              last_day=date.fromisoformat(HISTORY_LAST_DAY))
    return folder, summary

"""Fixtures of the device integration tests: the app factory wired to simulators on ptys.

Import the fixtures into a test module with ``from devices_support import *``.
"""
from __future__ import annotations

import time
from typing import Any

import pytest
from app_support import bearer, make_app, role_tokens

from hardware.led_board import LedBusSimulator
from hardware.pager import FaultConfig, PagerSimulator
from hardware.printer.simulator import PrinterSimulator
from kiosk.demo.centre import open_demo_counters

OFFICER_CARDS = {1: 1, 2: 2, 3: 3}
CITIZEN_CARDS = (101, 110)
PUBLIC_URL = "http://kiosk.test:8080"

__all__ = ["seeded_store", "sims", "device_config", "devices_app", "client", "tokens", "bearer", "sio", "received",
           "wait_for", "make_app", "FaultConfig", "issue", "OFFICER_CARDS", "CITIZEN_CARDS", "PUBLIC_URL"]


@pytest.fixture(scope="session")
def seeded_store(seeded_demo):
    """The demo centre seeded once for the session (tests/conftest.py), copied per test."""
    return seeded_demo[0]


@pytest.fixture
def sims():
    """A base station with officer cards 1-3 and citizen cards 101-110, a printer and LED boards 1-3."""
    pager = PagerSimulator(cards=[*OFFICER_CARDS, *range(CITIZEN_CARDS[0], CITIZEN_CARDS[1] + 1)]).start()
    printer = PrinterSimulator.pty().start()
    led = LedBusSimulator([1, 2, 3]).start()
    yield {"pager": pager, "printer": printer, "led": led}
    for sim in (pager, printer, led):
        sim.stop()


def device_config(sims: dict[str, Any]) -> dict[str, Any]:
    return {
        "devices": {"public_url": PUBLIC_URL},
        "voice": {"pace": False, "repeat": 1},
        "pager": {"url": sims["pager"].url, "officer_cards": {str(k): v for k, v in OFFICER_CARDS.items()},
                  "citizen_cards": list(CITIZEN_CARDS)},
        "printer": {"url": sims["printer"].url, "poll_s": 0.5},
        "led": {"url": sims["led"].port, "boards": {"1": 1, "2": 2, "3": 3}},
    }


@pytest.fixture
def devices_app(tmp_path, seeded_store, sims):
    app = make_app(tmp_path, seeded_store, device_config(sims))
    kiosk = app.extensions["kiosk"]
    open_demo_counters(kiosk.engine)
    assert kiosk.devices.driver.wait_link(5), "pager link did not come up"
    yield app
    kiosk.close()


@pytest.fixture
def client(devices_app):
    return devices_app.test_client()


@pytest.fixture
def tokens(devices_app):
    return role_tokens(devices_app.extensions["kiosk"])



def sio(app, namespace: str, token: str | None = None):
    socketio = app.extensions["kiosk"].socketio
    client = socketio.test_client(app, namespace=namespace, auth={"token": token} if token else None)
    assert client.is_connected(namespace)
    return client


def received(client, namespace: str, name: str, until=None, timeout: float = 5.0) -> list[dict]:
    """Events ``name`` received so far, waiting until ``until(events)`` holds (default: any)."""
    until = until or bool
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    while True:
        got += [m["args"][0] for m in client.get_received(namespace) if m["name"] == name]
        if until(got) or time.monotonic() >= deadline:
            return got
        time.sleep(0.02)


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def issue(client, token: str, service: str = "HT") -> dict:
    response = client.post("/api/v1/tickets", json={"service": service}, headers=bearer(token))
    assert response.status_code == 201, response.json
    return response.json

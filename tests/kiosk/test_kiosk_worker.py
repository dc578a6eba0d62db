"""The app's vision worker (one process per kiosk terminal) while the service goes on: killed, stuck,
restarted, and the kiosk falling back to touch meanwhile; kiosk_state pushed only on change."""
from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time

import pytest
from kiosk_testlib import until as _until

from kiosk.accounts.registry import token_principal
from kiosk.config.core import Config, ConfigError
from kiosk.demo.centre import open_demo_counters
from kiosk.session.setup import vision_config
from kiosk.vision.observation import Observation
from kiosk.web.realtime.kiosk import KioskLive


@pytest.fixture
def app(tmp_path, seeded_demo):
    from app_support import make_app

    # the demo loop shows an empty hall (no card) during the test; no face engine: the worker starts at once
    app = make_app(tmp_path, seeded_demo[0], {"demo": True, "vision": {
        "faces": False, "worker_deadline_s": 1.0, "demo_empty_s": 600, "presence_fps": 5.0}})
    kiosk = app.extensions["kiosk"]
    open_demo_counters(kiosk.engine)
    app.kiosk_token = seeded_demo[1]["kiosk-token"]  # Kiosk 1, the demo loop's terminal
    app.terminal = kiosk.terminals.get(token_principal(kiosk.store.conn(), app.kiosk_token).id)
    worker = app.extensions["kiosk"].terminals.first().worker
    worker.settings = dataclasses.replace(worker.settings, restart_initial_s=1.0)  # time to see the fallback
    assert worker.wait_ready(60)
    yield app
    kiosk.close()


class Ticketing(threading.Thread):
    """Tickets issued over HTTP, 20 a second over the demo's services (their daily limits stay far), until
    stopped."""

    def __init__(self, app) -> None:
        super().__init__(daemon=True)
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {app.kiosk_token}"}
        self.codes: list[int] = []
        self.slowest = 0.0
        self.halt = threading.Event()

    def run(self) -> None:
        services = ["HT", "DD", "KD", "XD", "LD", "CT"]
        while not self.halt.is_set():
            t0 = time.monotonic()
            r = self.client.post("/api/v1/tickets", json={"service": services[len(self.codes) % 6]},
                                 headers=self.headers)
            self.slowest = max(self.slowest, time.monotonic() - t0)
            self.codes.append(r.status_code)
            self.halt.wait(0.05)

    def stop(self) -> None:
        self.halt.set()
        self.join(10)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGSTOP], ids=["sigkill", "sigstop"])
def test_a_dead_or_stuck_worker_is_replaced_while_ticketing_goes_on(app, how):
    kiosk = app.extensions["kiosk"]
    worker, flow = app.terminal.worker, app.terminal.flow
    pid = worker.pid
    tickets = Ticketing(app)
    tickets.start()
    try:
        _until(lambda: len(tickets.codes) >= 5)
        os.kill(pid, how)
        # the kiosk falls back to touch while the worker is away ...
        down = _until(lambda: (s := flow.snapshot())["camera_ok"] is False and s)
        assert down["mode"] == "touch" and down["notice"]["code"] == "camera_lost"
        assert flow.choose("svc:HT")["state"] == "ticket"  # ... and touch works meanwhile
        assert flow.choose("done")["state"] == "idle"
        # ... until another worker is up, and the camera with it
        _until(lambda: worker.pid not in (None, pid))
        _until(lambda: flow.snapshot()["camera_ok"] is True)
        assert flow.snapshot()["notice"] is None
        n = len(tickets.codes)
        _until(lambda: len(tickets.codes) >= n + 5)
    finally:
        tickets.stop()
    assert set(tickets.codes) == {201} and len(tickets.codes) >= 10
    assert tickets.slowest < 2.0  # ticketing never waited for the worker (or its deadline)
    if how == signal.SIGSTOP:
        assert worker.stats["deadline_kills"] == 1
    else:
        assert worker.stats["crashes"] == 1
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert worker.alive and len(kiosk.engine.services()) > 0


def test_close_stops_the_worker(tmp_path, seeded_demo):
    from app_support import make_app

    app = make_app(tmp_path, seeded_demo[0], {"demo": True, "vision": {"faces": False}})
    worker = app.extensions["kiosk"].terminals.first().worker
    assert worker.wait_ready(60)
    pid = worker.pid
    app.extensions["kiosk"].close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert worker.pid is None


class FakeSocketIO:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    def emit(self, event, data, namespace=None, to=None):
        self.sent.append((event, data))


def test_kiosk_state_is_pushed_only_when_what_the_page_shows_changes(tmp_path):
    from kiosk_testlib import make_kiosk

    k = make_kiosk(tmp_path)
    sio = FakeSocketIO()
    live = KioskLive(sio, k.flow)
    k.flow.on_change = live.push_state
    for i in range(79):  # an empty hall, frame after frame
        live.on_observation(Observation(100.0 + 0.1 * i, True, frame_size=(1280, 720), gated=True))
    states = [d for e, d in sio.sent if e == "kiosk_state"]
    assert len(states) == 1 and k.flow.version == 79  # the flow changed its counter, not what it shows
    live.on_observation(Observation(108.0, False))  # the camera is lost: the page must say so
    live.on_observation(Observation(108.1, False))
    live.on_observation(Observation(108.2, True, frame_size=(1280, 720), preview=b"\xff\xd8\xff"))
    states = [d for e, d in sio.sent if e == "kiosk_state"]
    assert [s["camera_ok"] for s in states] == [True, False, True]
    assert [e for e, _ in sio.sent].count("kiosk_preview") == 1
    k.flow.choose("svc:HT")  # a touch: a new screen
    assert [d for e, d in sio.sent if e == "kiosk_state"][-1]["state"] == "ticket"
    assert live.states == 4 and live.unchanged == 79


def test_an_idle_demo_kiosk_sends_few_states(app):
    live = app.terminal.live
    flow = app.terminal.flow
    v0, s0 = flow.version, live.states
    _until(lambda: flow.version - v0 >= 10)  # ten observations of the empty hall (5 checks a second)
    assert live.states - s0 <= 1


def test_worker_settings_in_the_vision_table():
    cfg = vision_config(Config.from_dict({"demo": True}), env={})
    assert cfg.presence_fps == 2.0 and cfg.worker_deadline_s == 5.0
    cfg = vision_config(Config.from_dict({"vision": {"presence_fps": 0.2, "worker_deadline_s": 60}}), env={})
    assert cfg.presence_fps == 0.2 and cfg.worker_deadline_s == 60.0
    for table, words in [({"presence_fps": 0.1}, r"\[vision\] presence_fps: must be between 0.2 and 30"),
                         ({"presence_fps": 31}, r"\[vision\] presence_fps"),
                         ({"worker_deadline_s": 0.4}, r"\[vision\] worker_deadline_s"),
                         ({"worker_deadline_s": "5"}, r"\[vision\] worker_deadline_s: must be a number")]:
        with pytest.raises(ConfigError, match=words):
            vision_config(Config.from_dict({"vision": table}), env={})

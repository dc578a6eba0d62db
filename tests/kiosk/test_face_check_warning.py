"""The "face recognition is unreliable here" warning in the real app served on a TCP port: a kiosk flow over
the app's store, queue engine and citizens registry (wired by kiosk.session.setup.build_flow, observations
from kiosk_testlib.FakeVision) is driven to the confirm question and answered yes or no; a manager's real
python-socketio /monitor client hears ``face_checks`` and GET /api/v1/kiosk/face-checks gives ``today``:
no warning below the minimum of answers, a warning once the share of "no" is above the level, cleared
when the share falls back and when the day turns (the app's periodic check, on the app's clock)."""
from __future__ import annotations

import threading
import time

import pytest
import requests
import socketio
from app_support import bearer, make_app, role_tokens
from integration.live_app import LiveApp
from kiosk_testlib import MORNING, PERSON, FakeVision, Kiosk, enter_live, first_visit, leave, recognised

from kiosk.demo.centre import open_demo_counters
from kiosk.queue.clock import FakeClock
from kiosk.session import setup as session_setup
from kiosk.session.flow import FlowSettings
from kiosk.vision.gallery import Gallery

WAIT_S = 10.0
STATUS_KEYS = {"day", "confirmed", "rejected", "rejected_share", "warn_share", "min_answers", "faces", "warning"}


class Monitor:
    """A manager's /monitor client keeping every ``face_checks`` it hears."""

    def __init__(self, url: str, token: str) -> None:
        self.got: list[dict] = []
        self._lock = threading.Lock()
        self.client = socketio.Client(reconnection=False)
        self.client.on("face_checks", self._keep, namespace="/monitor")
        self.client.connect(url, namespaces=["/monitor"], auth={"token": token}, transports=["websocket"],
                            wait_timeout=10)

    def _keep(self, data: dict) -> None:
        with self._lock:
            self.got.append(data)

    def last(self) -> dict | None:
        with self._lock:
            return self.got[-1] if self.got else None

    def wait_for(self, pred, what: str) -> dict:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            last = self.last()
            if last is not None and pred(last):
                return last
            time.sleep(0.02)
        raise AssertionError(f"no face_checks with {what} within {WAIT_S} s; last: {self.last()}")


@pytest.fixture
def centre(tmp_path, seeded_demo, monkeypatch):
    monkeypatch.setattr(session_setup, "FACE_CHECK_EVERY_S", 0.2)  # the day's turn is seen at once
    clock = FakeClock(MORNING)
    app = make_app(tmp_path, seeded_demo[0], {"vision": {"enabled": False, "face_reject_warn_share": 0.2,
                                                         "face_reject_min_answers": 5}}, clock=clock)
    kiosk = app.extensions["kiosk"]
    open_demo_counters(kiosk.engine)
    gallery = Gallery()
    k = Kiosk(tmp_path, clock, kiosk.store, kiosk.engine, kiosk.citizens, gallery,
              FakeVision(gallery, MORNING.date()), None)  # type: ignore[arg-type]
    k.flow = session_setup.build_flow(kiosk, FlowSettings(), k.now, k.vision, gallery)
    server = LiveApp(app).start()
    yield server, kiosk, k, role_tokens(kiosk)
    server.stop()
    kiosk.close()


def _today(server, token: str) -> dict:
    r = requests.get(server.url + "/api/v1/kiosk/face-checks", headers=bearer(token), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["today"]


def _answer(k: Kiosk, answer: str, by_dwell: bool) -> None:
    """The enrolled citizen's face steps up, is asked "Đúng là Quý khách?", answers, and leaves."""
    if by_dwell:
        recognised(k, PERSON, answer)
    else:
        assert enter_live(k, PERSON)["state"] == "confirm"
        k.flow.choose(answer)
    assert leave(k)["state"] == "idle"


def test_the_warning_appears_over_the_level_and_clears(centre):
    server, kiosk, k, tokens = centre
    first_visit(k, PERSON, service="svc:HT")
    leave(k)
    monitor = Monitor(server.url, tokens["manager"])
    quiet = _today(server, tokens["manager"])
    assert set(quiet) == STATUS_KEYS and quiet["day"] == "2026-11-23" and quiet["warning"] is None
    assert (quiet["confirmed"], quiet["rejected"], quiet["warn_share"], quiet["min_answers"]) == (0, 0, 0.2, 5)

    # 2 "no" in 4 answers: half of them, but fewer than the minimum of 5: counted, no warning
    for i, answer in enumerate(["confirm:no", "confirm:yes", "confirm:no", "confirm:yes"]):
        _answer(k, answer, by_dwell=i < 2)
    heard = monitor.wait_for(lambda s: s["confirmed"] + s["rejected"] == 4, "4 answers")
    assert heard["rejected"] == 2 and heard["rejected_share"] == 0.5 and heard["warning"] is None
    assert _today(server, tokens["manager"])["warning"] is None

    # the 5th answer reaches the minimum with 2/5 = 40 % "no", above 20 %: warned over the socket and the API
    _answer(k, "confirm:yes", by_dwell=False)
    heard = monitor.wait_for(lambda s: s["warning"] is not None, "a warning")
    assert (heard["confirmed"], heard["rejected"]) == (3, 2)
    assert heard["warning"]["vi"].startswith("Nhận diện khuôn mặt đang không đáng tin cậy tại trung tâm: hôm nay "
                                             "2/5 lượt (40%) công dân trả lời “Không phải tôi” (ngưỡng cảnh báo 20%).")
    assert "2 of 5 answers (40%)" in heard["warning"]["en"]
    assert heard["warning"]["at"] == pytest.approx(k.clock.now(), abs=10)
    assert _today(server, tokens["manager"])["warning"] == heard["warning"]

    # back to 2/10 = 20 %: not above the level, cleared; a 3rd "no" (3/11) raises it again
    for _ in range(5):
        _answer(k, "confirm:yes", by_dwell=False)
    heard = monitor.wait_for(lambda s: s["confirmed"] == 8, "8 confirmed")
    assert heard["warning"] is None and heard["rejected_share"] == 0.2
    assert _today(server, tokens["manager"])["warning"] is None
    _answer(k, "confirm:no", by_dwell=False)
    heard = monitor.wait_for(lambda s: s["rejected"] == 3, "3 rejected")
    assert heard["warning"] is not None and "3/11" in heard["warning"]["vi"]

    # the next morning the counts start again: the periodic check clears the warning with no answer at all
    k.clock.advance(24 * 3600)
    heard = monitor.wait_for(lambda s: s["day"] == "2026-11-24", "the next day")
    assert (heard["confirmed"], heard["rejected"], heard["warning"]) == (0, 0, None)
    body = requests.get(server.url + "/api/v1/kiosk/face-checks", headers=bearer(tokens["manager"]), timeout=10).json()
    assert body["today"]["warning"] is None and body["to"] == "2026-11-24"
    assert body["by_day"] == [{"day": "2026-11-23", "confirmed": 8, "rejected": 3, "rejected_share": 3 / 11}]
    monitor.client.disconnect()


def test_the_monitor_is_for_managers(centre):
    server, kiosk, k, tokens = centre
    for role in ("kiosk", "officer1", "display"):
        client = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(server.url, namespaces=["/monitor"], auth={"token": tokens[role]},
                           transports=["websocket"], wait_timeout=5)
        r = requests.get(server.url + "/api/v1/kiosk/face-checks", headers=bearer(tokens[role]), timeout=10)
        assert r.status_code == 403 and r.json()["error"]["code"]

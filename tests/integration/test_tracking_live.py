"""The tracking page is live: a real python-socketio client on ``/track`` (the app served on a TCP port)
joins with a ticket's signed pair and hears ``track_update`` at once and whenever its place changes (an
issue ahead of it under the priority policy, a call); a wrong or missing signature is refused; a page
watching a ticket of another service hears nothing of calls that do not move it; the page loads its
script from static files only."""
from __future__ import annotations

import re
import threading
import time

import pytest
import requests
import socketio
from app_support import bearer, make_app, role_tokens
from live_app import LiveApp

from kiosk.demo.centre import open_demo_counters
from kiosk.display.tracking import ticket_signature, tracking_path
from kiosk.texts import vi

WAIT_S = 15.0
KEYS = {"number", "state", "position", "estimated_wait_s", "counter"}


@pytest.fixture
def live(tmp_path, seeded_demo):
    app = make_app(tmp_path, seeded_demo[0], {"vision": {"enabled": False}})
    kiosk = app.extensions["kiosk"]
    open_demo_counters(kiosk.engine)
    server = LiveApp(app).start()
    yield server, app, role_tokens(kiosk)
    server.stop()
    kiosk.close()


class Tracker:
    """A python-socketio client on /track that keeps every track_update."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.got: list[dict] = []
        self._lock = threading.Lock()
        self.client = socketio.Client(reconnection=False)
        self.client.on("track_update", self._keep, namespace="/track")

    def _keep(self, data) -> None:
        with self._lock:
            self.got.append(data)

    def connect(self, auth) -> Tracker:
        self.client.connect(self.url, namespaces=["/track"], auth=auth, transports=["websocket"], wait_timeout=10)
        return self

    def updates(self) -> list[dict]:
        with self._lock:
            return list(self.got)

    def wait_for(self, predicate, timeout: float = WAIT_S) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [u for u in self.updates() if predicate(u)]
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no track_update matching within {timeout} s; got {self.updates()}")


def issue(server, token, service="HT", priority="normal") -> dict:
    r = requests.post(server.url + "/api/v1/tickets", json={"service": service, "priority": priority},
                      headers=bearer(token), timeout=10)
    assert r.status_code == 201, r.text
    return r.json()


def call_next(server, token, counter) -> dict:
    r = requests.post(server.url + f"/api/v1/counters/{counter}/next", json={}, headers=bearer(token), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["ticket"]


def test_track_updates_follow_the_policy_and_the_calls(live):
    server, app, tokens = live
    secret = app.config["SECRET_KEY"]
    k = tokens["kiosk"]
    first = [issue(server, k) for _ in range(2)]
    mine = issue(server, k)
    other = issue(server, k, "DD")
    assert mine["position"] == 3  # counters 1, 2 and 6 (HT last) call A001, A002, then A003

    me = Tracker(server.url).connect({"ticket": mine["id"], "sig": ticket_signature(secret, mine["id"])})
    them = Tracker(server.url).connect({"ticket": other["id"], "sig": ticket_signature(secret, other["id"])})
    try:
        now = me.wait_for(lambda u: True)
        assert KEYS <= set(now) and now["number"] == mine["number"] and now["state"] == "waiting"
        assert now["position"] == 3 and now["estimated_wait_s"] == mine["estimated_wait_s"]
        assert them.wait_for(lambda u: True)["position"] == 1

        # strict policy: an elderly citizen issued after me is called before me, and I am told so at once
        elderly = issue(server, k, "HT", "elderly")
        assert elderly["position"] == 1
        assert me.wait_for(lambda u: u["position"] == 4)["people_ahead"] == 3
        # the page's JSON says the same
        path = tracking_path(secret, mine["id"])
        assert requests.get(server.url + path, headers={"Accept": "application/json"}, timeout=10).json()[
            "position"] == 4

        assert call_next(server, tokens["officer1"], 1)["id"] == elderly["id"]
        assert me.wait_for(lambda u: u["position"] == 3)
        call_next(server, tokens["officer3"], 3)  # counter 3 serves DD: the DD ticket is called …
        assert them.wait_for(lambda u: u["state"] == "called")["counter"] == 3
        # … and my place did not move: nothing new was sent to me for it
        time.sleep(1.0)
        assert [u["position"] for u in me.updates()] == [3, 4, 3]

        r = requests.post(server.url + "/api/v1/counters/1/no-show", json={}, headers=bearer(tokens["officer1"]),
                          timeout=10)
        assert r.status_code == 200
        assert call_next(server, tokens["officer1"], 1)["id"] == first[0]["id"]
        assert me.wait_for(lambda u: u["position"] == 2)
    finally:
        me.client.disconnect()
        them.client.disconnect()


@pytest.mark.parametrize("auth", [
    None, {}, {"ticket": 1}, {"sig": "x" * 12}, {"ticket": "abc", "sig": "x" * 12}, {"ticket": True, "sig": "x"},
    {"ticket": 10**30, "sig": "a" * 12},
])
def test_track_refuses_without_a_signed_pair(live, auth):
    server, app, tokens = live
    issue(server, tokens["kiosk"])
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, namespaces=["/track"], auth=auth, transports=["websocket"], wait_timeout=5)
    client.disconnect()


def test_track_refuses_a_wrong_signature(live):
    server, app, tokens = live
    secret = app.config["SECRET_KEY"]
    a, b = issue(server, tokens["kiosk"]), issue(server, tokens["kiosk"])
    sig_a = ticket_signature(secret, a["id"])
    forged = sig_a[:-1] + ("A" if sig_a[-1] != "A" else "B")
    for auth in ({"ticket": b["id"], "sig": sig_a}, {"ticket": a["id"], "sig": forged},
                 {"ticket": 999_999, "sig": ticket_signature(secret, 999_999)}):  # signed, but no such ticket
        client = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(server.url, namespaces=["/track"], auth=auth, transports=["websocket"], wait_timeout=5)
        client.disconnect()
    ok = Tracker(server.url).connect({"ticket": a["id"], "sig": sig_a})  # the right pair still works
    try:
        assert ok.wait_for(lambda u: True)["number"] == a["number"]
    finally:
        ok.client.disconnect()


def test_the_page_loads_its_live_script_from_static_files(live):
    server, app, tokens = live
    t = issue(server, tokens["kiosk"])
    page = requests.get(server.url + tracking_path(app.config["SECRET_KEY"], t["id"]),
                        headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and "script-src 'self'" in page.headers["Content-Security-Policy"]
    html = page.text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    # files of this server only (the static ones and the catalogue's generated /texts/vi.js), never inline
    assert scripts and all(('src="/static/' in attrs or 'src="/texts/vi.js?v=' in attrs) and not body.strip()
                           for attrs, body in scripts)
    assert any("js/track.js" in attrs for attrs, _ in scripts)
    assert 'http-equiv="refresh"' not in html.replace("<noscript><meta http-equiv=\"refresh\"", "")
    for path in ("/static/js/track.js", "/static/vendor/socket.io.min.js"):
        assert requests.get(server.url + path, timeout=10).status_code == 200


@pytest.mark.parametrize(("namespace", "auth", "code", "sentence"), [
    ("/track", {"ticket": 1, "sig": "x" * 12}, "forbidden", vi.REFUSALS["ticket_link_missing"]),
    ("/monitor", None, "unauthorized", vi.ERRORS["unauthorized"]),
    ("/monitor", "kiosk", "forbidden", vi.ERRORS["forbidden"]),
    ("/rate", "officer1", "forbidden", vi.REFUSALS["rating_tablet_only"]),
])
def test_a_refused_connection_says_why_in_vietnamese(live, namespace, auth, code, sentence):
    """A real client's connect_error carries the stable code (``message``, as before) and the catalogue's
    sentence for the page to show."""
    server, app, tokens = live
    if isinstance(auth, str):
        auth = {"token": tokens[auth]}
    got: list = []
    client = socketio.Client(reconnection=False)
    client.on("connect_error", got.append, namespace=namespace)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, namespaces=[namespace], auth=auth, transports=["websocket"], wait_timeout=5)
    client.disconnect()
    assert got, "no connect_error"
    assert got[0]["message"] == code and got[0]["data"] == {"code": code, "message_vi": sentence}

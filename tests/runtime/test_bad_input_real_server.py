"""The auditor's 500s, sent again from outside to the real `kiosk serve`: each is now a 4xx with the error
shape and changes nothing; every answer carries the security headers."""
from __future__ import annotations

import pytest
import requests
from server_process import ServerProcess, create_token

DEEP = "[" * 5000 + "]" * 5000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("badinput") / "data"
    srv = ServerProcess(data, demo=True).start(timeout=60)
    srv.tokens = {role: create_token(data, role) for role in ("admin", "kiosk", "manager")}
    srv.tokens["officer"] = create_token(data, "officer", 1)
    yield srv
    srv.stop()


def _events(server) -> int:
    got = requests.get(server.url + "/api/v1/events?limit=1000", timeout=10,
                       headers={"Authorization": f"Bearer {server.tokens['admin']}"}).json()
    return len(got)


CASES = [
    ("POST", "/api/v1/tickets", DEEP, "kiosk", 400),
    ("POST", "/api/v1/public/appointments", DEEP, None, 400),
    ("POST", "/api/v1/tickets", '{"service": "\\ud800"}', "kiosk", 400),
    ("POST", "/api/v1/admin/services", '{"code": "X1", "prefix": "Q", "name": "\\ud800"}', "admin", 400),
    ("POST", "/api/v1/counters/1/pause", '{"reason": "ab\\udfffcd"}', "officer", 400),
    ("POST", "/api/v1/admin/services", '{"code": "X2", "prefix": "Q", "name": "a", "daily_limit": Infinity}',
     "admin", 400),
    ("POST", "/api/v1/admin/services", '{"code": "X3", "prefix": "Q", "name": "a", "daily_limit": 1e400}',
     "admin", 400),
    ("PUT", "/api/v1/admin/settings", '{"interleave_every": -Infinity}', "admin", 400),
    ("POST", "/api/v1/counters/1/call", '{"ticket_id": NaN}', "officer", 400),
    ("GET", "/api/v1/events?since=100000000000000000000000", None, "manager", 422),
    ("GET", "/api/v1/events?limit=1e9", None, "manager", 422),
    ("GET", "/api/v1/stats?day=9999-12-31", None, "manager", 422),
    ("GET", "/api/v1/stats?day=0001-01-01", None, "manager", 422),
    ("GET", "/api/v1/stats?day=2026-02-30", None, "manager", 422),
]


@pytest.mark.parametrize("method, path, body, role, status", CASES,
                         ids=[f"{c[0]} {c[1][:40]} {str(c[2])[:24]}" for c in CASES])
def test_bad_input_is_a_4xx_and_changes_nothing(server, method, path, body, role, status):
    before = _events(server)
    headers = {"Content-Type": "application/json"}
    if role:
        headers["Authorization"] = f"Bearer {server.tokens[role]}"
    r = requests.request(method, server.url + path, data=body, headers=headers, timeout=10)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] and error["message"] and error["message_vi"]
    assert _events(server) == before


@pytest.mark.parametrize("target", ["/%0d%0aSet-Cookie:%20a=b", "/kiosk%0aX-Evil:%201", "/\\\\evil.example"])
def test_a_device_login_never_redirects_with_a_header_injected(server, target):
    r = requests.get(f"{server.url}/device?token={server.tokens['kiosk']}&next={target}", allow_redirects=False,
                     timeout=10)
    assert r.status_code == 302
    assert "a" not in r.cookies and "X-Evil" not in r.headers
    assert r.headers["Location"] in ("/", f"{server.url}/")
    assert r.headers["Cache-Control"] == "no-store" and r.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/", "/login", "/display", "/kiosk", "/api/v1/services", "/healthz",
                                  "/static/app.css"])
def test_security_headers_on_every_answer(server, path):
    r = requests.get(server.url + path, timeout=10, headers={"Authorization": f"Bearer {server.tokens['kiosk']}"})
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] in ("same-origin", "no-referrer")

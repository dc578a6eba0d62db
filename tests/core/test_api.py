"""The HTTP API of DESIGN.md, including bad input of every kind: 4xx JSON, never 500, nothing changed."""
from __future__ import annotations

import pytest
from core_fixtures import bearer


def count_events(app) -> int:
    return app.extensions["kiosk"].store.conn().execute("SELECT COUNT(*) FROM events").fetchone()[0]


def test_services_and_counters(client, tokens):
    services = client.get("/api/v1/services", headers=bearer(tokens["kiosk"])).json
    assert {"code", "name", "prefix"} <= set(services[0])
    assert any(s["name"] == "Tư pháp – Hộ tịch" for s in services)
    counters = client.get("/api/v1/counters", headers=bearer(tokens["kiosk"])).json
    assert {"number", "name", "services", "state"} <= set(counters[0])
    assert len(counters) == 6 and all(c["state"] == "open" for c in counters)


def test_issue_ticket_shape(client, tokens):
    r = client.post("/api/v1/tickets", json={"service": "HT", "priority": "elderly"}, headers=bearer(tokens["kiosk"]))
    assert r.status_code == 201
    body = r.json
    assert set(body) == {"id", "number", "service", "priority", "position", "estimated_wait_s", "issued_at",
                         "tracking_url", "printer"}  # a kiosk shows the tracking QR when its printer cannot print
    assert body["tracking_url"].startswith(f"/t/{body['id']}/") and body["printer"] == {"ok": True}
    assert body["number"] == "A001" and body["priority"] == "elderly" and body["position"] == 1
    assert body["issued_at"].endswith("+07:00")


def test_officer_flow_and_counter_scope(client, tokens):
    client.post("/api/v1/tickets", json={"service": "HT"}, headers=bearer(tokens["kiosk"]))
    r = client.post("/api/v1/counters/1/next", headers=bearer(tokens["officer1"]))
    assert r.status_code == 200 and r.json["ticket"]["number"] == "A001"
    # an officer of counter 3 cannot act on counter 1
    r = client.post("/api/v1/counters/1/start", headers=bearer(tokens["officer3"]))
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    assert client.post("/api/v1/counters/1/recall", headers=bearer(tokens["officer1"])).json["ticket"]["recalls"] == 1
    assert client.post("/api/v1/counters/1/start", headers=bearer(tokens["officer1"])).json["ticket"]["state"] == "serving"
    assert client.post("/api/v1/counters/1/finish", headers=bearer(tokens["officer1"])).json["ticket"]["state"] == "done"
    r = client.post("/api/v1/counters/1/next", headers=bearer(tokens["officer1"]))
    assert r.status_code == 200 and r.json == {"ticket": None}


def test_illegal_transition_is_409_and_changes_nothing(app, client, tokens):
    client.post("/api/v1/tickets", json={"service": "HT"}, headers=bearer(tokens["kiosk"]))
    client.post("/api/v1/counters/1/next", headers=bearer(tokens["officer1"]))
    before = count_events(app)
    r = client.post("/api/v1/counters/1/finish", headers=bearer(tokens["officer1"]))
    assert r.status_code == 409 and r.json["error"]["code"] == "illegal_transition"
    assert "called" in r.json["error"]["message"]
    assert count_events(app) == before


def test_pause_resume(client, tokens):
    h = bearer(tokens["officer1"])
    assert client.post("/api/v1/counters/1/pause", json={}, headers=h).status_code == 422
    r = client.post("/api/v1/counters/1/pause", json={"reason": "Họp giao ban"}, headers=h)
    assert r.status_code == 200 and r.json["counter"]["state"] == "paused"
    assert client.post("/api/v1/counters/1/next", headers=h).status_code == 409
    assert client.post("/api/v1/counters/1/resume", headers=h).json["counter"]["state"] == "open"


def test_transfer(client, tokens):
    t = client.post("/api/v1/tickets", json={"service": "HT"}, headers=bearer(tokens["kiosk"])).json
    r = client.post(f"/api/v1/tickets/{t['id']}/transfer", json={"service": "DD"}, headers=bearer(tokens["officer1"]))
    assert r.status_code == 200 and r.json["ticket"]["service"] == "DD" and r.json["ticket"]["number"] == "A001"
    r = client.post(f"/api/v1/tickets/{t['id']}/transfer", json={"service": "NOPE"}, headers=bearer(tokens["officer1"]))
    assert r.status_code == 404


def test_queue_snapshot(client, tokens):
    client.post("/api/v1/tickets", json={"service": "DD"}, headers=bearer(tokens["kiosk"]))
    snap = client.get("/api/v1/queue", headers=bearer(tokens["display"])).json
    dd = next(s for s in snap["services"] if s["code"] == "DD")
    assert dd["waiting"] == 1 and dd["next"][0]["number"] == "B001"
    assert len(snap["counters"]) == 6 and snap["today"]["issued"] == 1


BAD_REQUESTS = [
    # (method, path, kwargs, token role or None, expected status)
    ("post", "/api/v1/tickets", {"json": {"service": "HT"}}, None, 401),
    ("post", "/api/v1/tickets", {"json": {"service": "HT"}, "headers": {"Authorization": "Bearer nope"}}, "raw", 401),
    ("post", "/api/v1/tickets", {"json": {"service": "HT"}, "headers": {"Authorization": "Basic abc"}}, "raw", 401),
    ("post", "/api/v1/tickets", {"json": {"service": "HT"}}, "manager", 403),
    ("post", "/api/v1/tickets", {"json": {"service": "XX"}}, "kiosk", 404),
    ("post", "/api/v1/tickets", {"json": {"service": 5}}, "kiosk", 422),
    ("post", "/api/v1/tickets", {"json": {"service": ["HT"]}}, "kiosk", 422),
    ("post", "/api/v1/tickets", {"json": {"service": "HT", "priority": "vip"}}, "kiosk", 422),
    ("post", "/api/v1/tickets", {"json": {"service": "HT", "priority": True}}, "kiosk", 422),
    ("post", "/api/v1/tickets", {"json": {}}, "kiosk", 422),
    ("post", "/api/v1/tickets", {"json": [1, 2]}, "kiosk", 400),
    ("post", "/api/v1/tickets", {"data": "{not json", "content_type": "application/json"}, "kiosk", 400),
    ("post", "/api/v1/tickets", {"data": "service=HT", "content_type": "application/x-www-form-urlencoded"}, "kiosk", 415),
    ("post", "/api/v1/tickets", {}, "kiosk", 400),
    ("post", "/api/v1/tickets", {"data": "x" * 200_000, "content_type": "application/json"}, "kiosk", 413),
    ("post", "/api/v1/tickets", {"json": {"service": "H\u0000T"}}, "kiosk", 404),
    ("post", "/api/v1/counters/99/next", {}, "admin", 404),
    ("post", "/api/v1/counters/abc/next", {}, "admin", 404),
    ("post", "/api/v1/counters/1/next", {}, "kiosk", 403),
    ("post", "/api/v1/counters/1/next", {"json": {"finish_current": "yes"}}, "officer1", 422),
    ("post", "/api/v1/counters/1/pause", {"json": {"reason": "x" * 500}}, "officer1", 422),
    ("post", "/api/v1/counters/1/pause", {"json": {"reason": 7}}, "officer1", 422),
    ("post", "/api/v1/tickets/999999/transfer", {"json": {"service": "DD"}}, "officer1", 404),
    ("get", "/api/v1/stats", {}, "kiosk", 403),
    ("get", "/api/v1/stats?day=yesterday", {}, "manager", 422),
    ("get", "/api/v1/events?since=abc", {}, "manager", 422),
    ("delete", "/api/v1/tickets", {}, "admin", 405),
    ("get", "/api/v1/nothing-here", {}, "admin", 404),
    ("post", "/api/v1/admin/services", {"json": {"code": "Q", "prefix": "a1", "name": "x"}}, "admin", 422),
    ("post", "/api/v1/admin/services", {"json": {"code": "HT", "prefix": "Z", "name": "dup"}}, "admin", 409),
    ("post", "/api/v1/admin/counters", {"json": {"number": 9, "services": ["NOPE"]}}, "admin", 422),
    ("post", "/api/v1/admin/users", {"json": {"username": "x", "password": "short", "role": "officer"}}, "admin", 422),
    ("post", "/api/v1/admin/tokens", {"json": {"role": "root"}}, "admin", 422),
    ("put", "/api/v1/admin/settings", {"json": {"policy": "lottery"}}, "admin", 422),
    ("put", "/api/v1/admin/settings", {"json": {"policy": "strict"}}, "manager", 403),
]


@pytest.mark.parametrize("method,path,kwargs,role,status", BAD_REQUESTS)
def test_bad_input_is_a_clear_4xx_and_changes_nothing(app, client, tokens, method, path, kwargs, role, status):
    kwargs = dict(kwargs)
    if role not in (None, "raw"):
        kwargs["headers"] = bearer(tokens[role])
    before = count_events(app)
    tickets_before = app.extensions["kiosk"].store.conn().execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    r = getattr(client, method)(path, **kwargs)
    assert r.status_code == status, r.get_data(as_text=True)
    assert set(r.json) == {"error"} and r.json["error"]["code"] and r.json["error"]["message"]
    assert r.json["error"]["message_vi"]
    assert count_events(app) == before
    assert app.extensions["kiosk"].store.conn().execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == tickets_before


def test_session_login_needs_csrf_for_writes(client, app):
    logins = app.logins
    page = client.get("/login")
    assert page.status_code == 200 and "Đăng nhập" in page.get_data(as_text=True)
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    r = client.post("/login", data={"username": "quay1", "password": "wrong", "csrf_token": csrf})
    assert r.status_code == 401
    r = client.post("/login", data={"username": "quay1", "password": logins["quay1"], "csrf_token": csrf})
    assert r.status_code == 302 and r.headers["Location"].endswith("/counter")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    assert client.get("/api/v1/me").json["counter"] == 1
    r = client.post("/api/v1/counters/1/pause", json={"reason": "Nghỉ"})
    assert r.status_code == 403 and r.json["error"]["code"] == "csrf"
    r = client.post("/api/v1/counters/1/pause", json={"reason": "Nghỉ"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200


def test_login_without_csrf_refused(client, app):
    r = client.post("/login", data={"username": "quay1", "password": app.logins["quay1"]})
    assert r.status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_pages_require_roles(client, app):
    assert client.get("/counter").status_code == 302
    assert client.get("/display").status_code == 200
    r = client.get(f"/device?token={app.logins['kiosk-token']}")
    assert r.status_code == 302 and r.headers["Location"].endswith("/kiosk")
    assert client.get("/kiosk").status_code == 200
    assert client.get("/admin").status_code == 403


def test_openapi_document_lists_the_public_paths(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    for path in ("/services", "/counters", "/tickets", "/counters/{n}/next", "/counters/{n}/no-show",
                 "/counters/{n}/pause", "/tickets/{id}/transfer", "/queue"):
        assert path in doc["paths"], path


def test_admin_creates_service_counter_user_token(client, tokens):
    h = bearer(tokens["admin"])
    r = client.post("/api/v1/admin/services", json={"code": "TN", "prefix": "H", "name": "Tài nguyên – Môi trường"}, headers=h)
    assert r.status_code == 201 and r.json["prefix"] == "H"
    r = client.post("/api/v1/admin/counters", json={"number": 7, "name": "Quầy 7", "services": ["TN", "HT"]}, headers=h)
    assert r.status_code == 201 and r.json["services"] == ["TN", "HT"]
    r = client.post("/api/v1/admin/users", json={"username": "quay7", "password": "mat-khau-7", "role": "officer",
                                                 "counter": 7, "full_name": "Đỗ Văn Bảy"}, headers=h)
    assert r.status_code == 201
    token = client.post("/api/v1/admin/tokens", json={"role": "officer", "counter": 7}, headers=h).json["token"]
    assert client.post("/api/v1/counters/7/open", headers=bearer(token)).json["counter"]["state"] == "open"
    listed = client.get("/api/v1/admin/tokens", headers=h).json
    assert all("token_hash" not in t for t in listed)


def test_snapshot_has_recent_calls_and_remaining(client, tokens):
    for _ in range(2):
        client.post("/api/v1/tickets", json={"service": "HT"}, headers=bearer(tokens["kiosk"]))
    client.post("/api/v1/counters/1/next", headers=bearer(tokens["officer1"]))
    client.post("/api/v1/counters/1/recall", headers=bearer(tokens["officer1"]))
    snap = client.get("/api/v1/queue", headers=bearer(tokens["display"])).json
    assert [(c["number"], c["recall"]) for c in snap["recent_calls"]] == [("A001", True), ("A001", False)]
    ht = next(s for s in snap["services"] if s["code"] == "HT")
    assert ht["issued_today"] == 2 and ht["remaining_today"] == 298 and ht["name_en"]

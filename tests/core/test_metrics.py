"""GET /metrics: who may read it, and that its numbers are the queue's after real actions through the API
(parsed with prometheus_client's own parser)."""
from __future__ import annotations

from app_support import bearer
from prometheus_client.parser import text_string_to_metric_families

from kiosk.app import create_app

ELSEWHERE = {"REMOTE_ADDR": "192.168.1.20"}  # a PC on the centre's LAN, not this one


def _families(text: str) -> dict[str, dict[tuple, float]]:
    """{family name: {(sample name, sorted labels): value}}"""
    found: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(family.name, {})[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _value(families, family: str, sample: str | None = None, **labels) -> float:
    return families[family][(sample or family, tuple(sorted(labels.items())))]


def test_who_may_read_the_metrics(client, tokens):
    assert client.get("/metrics", environ_base=ELSEWHERE).status_code == 401  # no credentials, from the LAN
    for role in ("officer1", "kiosk", "display"):
        r = client.get("/metrics", headers=bearer(tokens[role]), environ_base=ELSEWHERE)
        assert r.status_code == 403, role
        assert r.get_json()["error"]["code"] == "forbidden"
    # a role that may not read is refused from this PC too: credentials sent are always judged
    assert client.get("/metrics", headers=bearer(tokens["officer1"])).status_code == 403
    assert client.get("/metrics", headers=bearer("not-a-token"), environ_base=ELSEWHERE).status_code == 401
    for role in ("manager", "admin"):
        r = client.get("/metrics", headers=bearer(tokens[role]), environ_base=ELSEWHERE)
        assert r.status_code == 200, role
        assert r.content_type.startswith("text/plain")
    local = client.get("/metrics")  # the test client's address is 127.0.0.1: a Prometheus on this PC
    assert local.status_code == 200
    assert "kiosk_waiting" in local.get_data(as_text=True)


def test_numbers_match_the_queue_after_actions(app, client, tokens, clock):
    kiosk, officer = bearer(tokens["kiosk"]), bearer(tokens["officer1"])
    for service in ("HT", "HT", "HT", "CT", "DD"):
        assert client.post("/api/v1/tickets", json={"service": service}, headers=kiosk).status_code == 201
        clock.advance(30)
    clock.advance(240)
    first = client.post("/api/v1/counters/1/next", json={}, headers=officer).get_json()["ticket"]
    assert first["number"] == "A001"
    assert client.post("/api/v1/counters/1/recall", json={}, headers=officer).status_code == 200
    assert client.post("/api/v1/counters/1/start", json={}, headers=officer).status_code == 200
    clock.advance(120)
    assert client.post("/api/v1/counters/1/finish", json={}, headers=officer).status_code == 200
    assert client.post("/api/v1/counters/1/next", json={}, headers=officer).get_json()["ticket"]["number"] == "A002"
    assert client.post("/api/v1/counters/1/no-show", json={}, headers=officer).status_code == 200
    client.get("/api/v1/no-such-route", headers=officer)  # a 404: counted under one label, not its URL

    text = client.get("/metrics", headers=bearer(tokens["manager"])).get_data(as_text=True)
    m = _families(text)
    snapshot = client.get("/api/v1/queue", headers=bearer(tokens["manager"])).get_json()
    for svc in snapshot["services"]:
        assert _value(m, "kiosk_waiting", service=svc["code"]) == svc["waiting"], svc["code"]
        assert _value(m, "kiosk_tickets_issued_today", service=svc["code"]) == svc["issued_today"], svc["code"]
    assert _value(m, "kiosk_waiting", service="HT") == 1  # A003
    assert _value(m, "kiosk_tickets_issued_today", service="HT") == 3
    assert _value(m, "kiosk_tickets_served_today", service="HT") == 1
    assert _value(m, "kiosk_tickets_no_show_today", service="HT") == 1
    assert _value(m, "kiosk_tickets_served_today", service="DD") == 0
    assert _value(m, "kiosk_calls_today", service="HT") == 2
    assert _value(m, "kiosk_recalls_today", service="HT") == 1
    # A001 waited 5 x 30 s + 240 s = 390 s; A002 (issued 30 s later) waited 390 - 30 + 120 = 480 s
    assert _value(m, "kiosk_wait_seconds", "kiosk_wait_seconds_count", service="HT") == 2
    assert _value(m, "kiosk_wait_seconds", "kiosk_wait_seconds_sum", service="HT") == 390 + 480
    assert _value(m, "kiosk_wait_seconds", "kiosk_wait_seconds_bucket", service="HT", le="300.0") == 0
    assert _value(m, "kiosk_wait_seconds", "kiosk_wait_seconds_bucket", service="HT", le="600.0") == 2
    assert _value(m, "kiosk_wait_seconds", "kiosk_wait_seconds_count", service="DD") == 0
    open_counters = sum(1 for c in snapshot["counters"] if c["state"] == "open")
    assert _value(m, "kiosk_counters", state="open") == open_counters
    # the devices as GET /api/v1/devices lists them
    devices = client.get("/api/v1/devices", headers=bearer(tokens["admin"])).get_json()
    for kind in {d["kind"] for d in devices}:
        for state in ("online", "offline", "fault"):
            expected = sum(1 for d in devices if d["kind"] == kind and d["state"] == state)
            assert _value(m, "kiosk_devices", kind=kind, state=state) == expected, (kind, state)
    # HTTP latency by route template and status class
    route = "/api/v1/counters/<int:n>/next"
    assert _value(m, "kiosk_http_request_duration_seconds", "kiosk_http_request_duration_seconds_count",
                  route=route, method="POST", status="2xx") == 2
    assert _value(m, "kiosk_http_request_duration_seconds", "kiosk_http_request_duration_seconds_count",
                  route="/api/v1/tickets", method="POST", status="2xx") == 5
    assert _value(m, "kiosk_http_request_duration_seconds", "kiosk_http_request_duration_seconds_count",
                  route="<unmatched>", method="GET", status="4xx") == 1
    assert "no-such-route" not in text
    assert "process_resident_memory_bytes" in text


def test_a_5xx_is_counted(app, client, tokens):
    @app.get("/boom-for-the-test")
    def boom():
        raise RuntimeError("a bug")

    assert client.get("/boom-for-the-test").status_code == 500
    m = _families(client.get("/metrics").get_data(as_text=True))
    assert _value(m, "kiosk_http_server_errors", "kiosk_http_server_errors_total", route="/boom-for-the-test") == 1
    assert _value(m, "kiosk_http_request_duration_seconds", "kiosk_http_request_duration_seconds_count",
                  route="/boom-for-the-test", method="GET", status="5xx") == 1


def test_each_app_has_its_own_registry(tmp_path):
    apps = [create_app({"data_dir": str(tmp_path / f"d{i}")}) for i in range(2)]
    try:
        one, two = (a.test_client() for a in apps)
        one.get("/api/v1/services")
        text_two = two.get("/metrics").get_data(as_text=True)
        assert 'route="/api/v1/services"' not in text_two
        assert 'route="/api/v1/services"' in one.get("/metrics").get_data(as_text=True)
    finally:
        for a in apps:
            a.extensions["kiosk"].close()

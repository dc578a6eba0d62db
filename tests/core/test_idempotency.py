"""POST /tickets with an Idempotency-Key: a retry returns the first ticket and issues nothing new."""
from __future__ import annotations

from app_support import bearer, make_app

from kiosk.accounts.registry import create_token


def _post(client, token: str, key: str | None, service: str = "HT"):
    headers = bearer(token)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/tickets", json={"service": service}, headers=headers)


def _count(app) -> int:
    return app.extensions["kiosk"].store.conn().execute("SELECT COUNT(*) FROM tickets").fetchone()[0]


def test_a_retry_with_the_same_key_returns_the_first_ticket(app, client, tokens):
    first = _post(client, tokens["kiosk"], "k-123")
    assert first.status_code == 201
    again = _post(client, tokens["kiosk"], "k-123")
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"] and again.json["number"] == first.json["number"]
    assert _count(app) == 1
    other = _post(client, tokens["kiosk"], "k-124")
    assert other.status_code == 201 and other.json["id"] != first.json["id"]
    plain = _post(client, tokens["kiosk"], None)
    assert plain.status_code == 201
    assert _count(app) == 3


def test_the_key_belongs_to_its_caller(app, client, tokens):
    with app.extensions["kiosk"].store.transaction() as conn:
        second_kiosk = create_token(conn, "kiosk")
    a = _post(client, tokens["kiosk"], "same")
    b = _post(client, second_kiosk, "same")
    assert a.status_code == b.status_code == 201
    assert a.json["id"] != b.json["id"]


def test_the_key_is_for_one_day(app, client, tokens, clock):
    first = _post(client, tokens["kiosk"], "daily")
    clock.advance(24 * 3600)
    nextday = _post(client, tokens["kiosk"], "daily")
    assert nextday.status_code == 201 and nextday.json["id"] != first.json["id"]


def test_bad_keys_are_refused_and_change_nothing(app, client, tokens):
    for key in ("", "x" * 101, "has space", "quote\"", "ư"):
        r = client.post("/api/v1/tickets", json={"service": "HT"},
                        headers={**bearer(tokens["kiosk"]), "Idempotency-Key": key.encode("utf-8").decode("latin-1")})
        assert r.status_code == 400, key
        assert r.json["error"]["code"] == "invalid"
    assert _count(app) == 0


def test_the_key_survives_a_restart(tmp_path, seeded_demo, clock):
    app = make_app(tmp_path, seeded_demo[0], clock=clock)
    kiosk = app.extensions["kiosk"]
    from kiosk.demo.centre import open_demo_counters

    open_demo_counters(kiosk.engine)
    with kiosk.store.transaction() as conn:
        token = create_token(conn, "kiosk")
    first = _post(app.test_client(), token, "before-crash")
    kiosk.close()
    again_app = make_app(tmp_path, seeded_demo[0], clock=clock)
    try:
        again = _post(again_app.test_client(), token, "before-crash")
        assert again.status_code == 200 and again.json["id"] == first.json["id"]
    finally:
        again_app.extensions["kiosk"].close()

"""The rating tablet at a counter (/rate?counter=N, role "rating"): a finished ticket is asked for over
Socket.IO /rate to that counter's tablet only; the score links to that ticket, once, whichever of the
tablet and the tracking link comes first; another counter's tablet cannot rate it; the ask times out."""
from __future__ import annotations

from app_support import store_at_version
from core_fixtures import bearer
from test_sockets import events_named, sio

from kiosk.accounts.registry import create_token
from kiosk.display.tracking import tracking_path
from kiosk.queue.ratings import COUNTER_GRACE_S, COUNTER_PROMPT_S, rating_of


def rating_tokens(app) -> dict[int, str]:
    with app.extensions["kiosk"].store.transaction() as conn:
        return {n: create_token(conn, "rating", n, f"Máy đánh giá quầy {n}") for n in (1, 3)}


def serve(client, tokens, service="HT", counter=1, officer="officer1") -> dict:
    """Issue, call, start and finish a ticket at COUNTER; the ticket as issued."""
    ticket = client.post("/api/v1/tickets", json={"service": service}, headers=bearer(tokens["kiosk"])).json
    for action in ("next", "start", "finish"):
        r = client.post(f"/api/v1/counters/{counter}/{action}", headers=bearer(tokens[officer]))
        assert r.status_code == 200, r.json
    return ticket


def rate(client, token, counter, ticket_id, score):
    return client.post(f"/api/v1/counters/{counter}/rating", json={"ticket": ticket_id, "score": score},
                       headers=bearer(token))


def test_finish_asks_that_counters_tablet_only_and_the_score_is_that_tickets(app, client, tokens):
    tablets = rating_tokens(app)
    one, three = sio(app, "/rate", auth={"token": tablets[1]}), sio(app, "/rate", auth={"token": tablets[3]})
    assert one.is_connected("/rate") and three.is_connected("/rate")
    ticket = serve(client, tokens)
    prompt = events_named(one, "/rate", "rate_prompt")
    assert len(prompt) == 1
    assert prompt[0] == {**prompt[0], "ticket_id": ticket["id"], "number": ticket["number"], "service": "HT",
                         "service_name": "Tư pháp – Hộ tịch", "counter": 1, "timeout_s": COUNTER_PROMPT_S}
    assert set(prompt[0]) == {"ticket_id", "number", "service", "service_name", "counter", "finished_at", "timeout_s"}
    assert events_named(three, "/rate", "rate_prompt", timeout=0.5) == []  # counter 3 was not asked
    r = rate(client, tablets[1], 1, ticket["id"], 5)
    assert r.status_code == 201 and r.json == {"ticket_id": ticket["id"], "score": 5, "label": "Rất hài lòng"}
    assert rating_of(app.extensions["kiosk"].engine, ticket["id"]) == 5
    row = app.extensions["kiosk"].store.conn().execute(
        "SELECT counter_number, service_code FROM ratings WHERE ticket_id = ?", [ticket["id"]]).fetchone()
    assert tuple(row) == (1, "HT")
    again = rate(client, tablets[1], 1, ticket["id"], 1)  # a second tap, or a second citizen
    assert again.status_code == 409 and again.json["error"]["code"] == "already_rated"
    assert again.json["error"]["message_vi"] == "Lượt làm thủ tục này đã được đánh giá, cảm ơn Quý khách."
    path = tracking_path(app.config["SECRET_KEY"], ticket["id"])
    late = client.post(path + "/rating", json={"score": 2})  # then the tracking link: refused too
    assert late.status_code == 409 and late.json["error"]["code"] == "already_rated"
    assert rating_of(app.extensions["kiosk"].engine, ticket["id"]) == 5


def test_the_tracking_link_first_refuses_the_tablet(app, client, tokens):
    tablets = rating_tokens(app)
    ticket = serve(client, tokens)
    path = tracking_path(app.config["SECRET_KEY"], ticket["id"])
    assert client.post(path + "/rating", json={"score": 4}).status_code == 201
    r = rate(client, tablets[1], 1, ticket["id"], 1)
    assert r.status_code == 409 and r.json["error"]["code"] == "already_rated"
    assert rating_of(app.extensions["kiosk"].engine, ticket["id"]) == 4


def test_another_counters_tablet_cannot_rate_it(app, client, tokens):
    tablets = rating_tokens(app)
    ticket = serve(client, tokens)  # finished at counter 1
    r = rate(client, tablets[3], 1, ticket["id"], 1)  # counter 3's tablet posing as counter 1's
    assert r.status_code == 403 and r.json["error"]["code"] == "wrong_tablet"
    assert r.json["error"]["message_vi"] == "Máy đánh giá này thuộc quầy khác."
    r = rate(client, tablets[3], 3, ticket["id"], 1)  # on its own counter, a ticket of another counter
    assert r.status_code == 409 and r.json["error"]["code"] == "wrong_counter"
    for token in (tokens["officer1"], tokens["kiosk"]):  # the officer cannot rate their own service
        assert rate(client, token, 1, ticket["id"], 5).status_code == 403
    assert rate(client, tokens["admin"], 1, ticket["id"], 5).json["error"]["code"] == "wrong_tablet"
    assert rating_of(app.extensions["kiosk"].engine, ticket["id"]) is None
    assert rate(client, tablets[1], 1, ticket["id"], 3).status_code == 201


def test_a_ticket_not_finished_or_bad_input_is_refused(app, client, tokens):
    tablets = rating_tokens(app)
    waiting = client.post("/api/v1/tickets", json={"service": "HT"}, headers=bearer(tokens["kiosk"])).json
    client.post("/api/v1/counters/1/next", headers=bearer(tokens["officer1"]))
    assert rate(client, tablets[1], 1, waiting["id"], 5).json["error"]["code"] == "wrong_counter"
    assert rate(client, tablets[1], 1, 10**9, 5).status_code == 404
    for bad in ({"ticket": waiting["id"]}, {"ticket": "x", "score": 5}, {"ticket": waiting["id"], "score": 9},
                {"ticket": True, "score": 5}):
        r = client.post("/api/v1/counters/1/rating", json=bad, headers=bearer(tablets[1]))
        assert r.status_code == 422, (bad, r.json)


def test_the_tablet_times_out(app, client, tokens, clock):
    tablets = rating_tokens(app)
    ticket = serve(client, tokens)
    clock.advance(COUNTER_PROMPT_S + COUNTER_GRACE_S + 1)
    r = rate(client, tablets[1], 1, ticket["id"], 5)
    assert r.status_code == 409 and r.json["error"]["code"] == "rating_expired"
    assert rating_of(app.extensions["kiosk"].engine, ticket["id"]) is None
    path = tracking_path(app.config["SECRET_KEY"], ticket["id"])  # the ticket's QR still may, that day
    assert client.post(path + "/rating", json={"score": 4}).status_code == 201
    inside = serve(client, tokens)
    clock.advance(COUNTER_PROMPT_S)
    assert rate(client, tablets[1], 1, inside["id"], 4).status_code == 201


def test_only_a_rating_token_connects_to_rate(app, tokens):
    tablets = rating_tokens(app)
    assert not sio(app, "/rate").is_connected("/rate")
    for role in ("officer1", "kiosk", "manager", "admin", "display"):
        assert not sio(app, "/rate", auth={"token": tokens[role]}).is_connected("/rate"), role
    assert sio(app, "/rate", auth={"token": tablets[1]}).is_connected("/rate")
    for ns in ("/counter", "/kiosk", "/monitor"):  # the tablet sees no queue, no names
        assert not sio(app, ns, auth={"token": tablets[1]}).is_connected(ns), ns
    for path in ("/api/v1/queue", "/api/v1/counters", "/api/v1/stats"):
        assert app.test_client().get(path, headers=bearer(tablets[1])).status_code == 403, path


def test_the_page_is_the_tablets_own_counter(app, tokens):
    tablets = rating_tokens(app)
    tablet = app.test_client()
    r = tablet.get(f"/device?token={tablets[3]}")
    assert r.status_code == 302 and r.headers["Location"].endswith("/rate?counter=3")
    page = tablet.get("/rate?counter=3")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Cảm ơn Quý khách" in html and "Quầy 3" in html
    assert html.count('data-score="') == 5 and "Rất không hài lòng" in html
    assert tablet.get("/rate?counter=1").headers["Location"].endswith("/rate?counter=3")
    assert tablet.get("/counter").status_code == 403  # a tablet is no console
    assert app.test_client().get("/rate?counter=1").status_code == 302  # not signed in: to the login
    officer = app.test_client()
    officer.get(f"/device?token={tokens['officer1']}")
    assert officer.get("/rate?counter=1").status_code == 403


def test_a_rating_token_needs_a_counter(app):
    import pytest

    from kiosk.queue.errors import InvalidInput

    with app.extensions["kiosk"].store.transaction() as conn, pytest.raises(InvalidInput):
        create_token(conn, "rating")


def test_migration_17_keeps_every_device_and_its_session(tmp_path):
    """A store of schema 14 with a kiosk terminal signed in: after 17 the token, its terminal and its session
    stay (no cascade), a rating token is accepted, an unknown role still refused."""
    import sqlite3

    import pytest

    from kiosk.accounts.sessions import SessionPolicy, create_session, find_session
    from kiosk.store import open_store

    path = tmp_path / "data" / "kiosk.db"
    conn = store_at_version(path.parent, 14)
    kiosk_token = create_token(conn, "kiosk", label="Ki-ốt 1")
    raw = create_session(conn, 1000.0, SessionPolicy(), token_id=1)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO api_tokens (token_hash, role, created_at) VALUES ('x', 'rating', 0)")
    conn.execute("COMMIT")
    conn.close()

    store = open_store(path.parent)
    try:
        conn = store.conn()
        assert [tuple(r) for r in conn.execute("SELECT role, label FROM api_tokens")] == [("kiosk", "Ki-ốt 1")]
        assert [tuple(r) for r in conn.execute("SELECT token_id FROM terminals")] == [(1,)]
        assert find_session(conn, raw, 1001.0) is not None
        with store.transaction() as tx:
            tx.execute("INSERT INTO counters (number, name) VALUES (1, 'Quầy 1')")
            create_token(tx, "rating", 1)
        with pytest.raises(sqlite3.IntegrityError), store.transaction() as tx:
            tx.execute("INSERT INTO api_tokens (token_hash, role, created_at) VALUES ('y', 'tablet', 0)")
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert kiosk_token.startswith("kt_")
    finally:
        store.close()


def test_a_tablet_reconnecting_gets_the_open_question_only(app, client, tokens, clock):
    tablets = rating_tokens(app)
    before = sio(app, "/rate", auth={"token": tablets[1]})
    ticket = serve(client, tokens)
    # the live question (sent from the event bus's thread) has reached the room before the reload below,
    # so the reloaded tablet can only get the question still open at its connect
    assert [p["ticket_id"] for p in events_named(before, "/rate", "rate_prompt")] == [ticket["id"]]
    clock.advance(10)
    back = sio(app, "/rate", auth={"token": tablets[1]})  # reloaded 10 s after the finish
    got = events_named(back, "/rate", "rate_prompt")
    assert len(got) == 1 and got[0]["ticket_id"] == ticket["id"] and got[0]["timeout_s"] == COUNTER_PROMPT_S - 10
    assert events_named(sio(app, "/rate", auth={"token": tablets[3]}), "/rate", "rate_prompt", timeout=0.5) == []
    assert rate(client, tablets[1], 1, ticket["id"], 4).status_code == 201
    rated = sio(app, "/rate", auth={"token": tablets[1]})  # answered: nothing more to ask
    assert events_named(rated, "/rate", "rate_prompt", timeout=0.5) == []
    later = serve(client, tokens)
    # as above: the live question of that finish is delivered before the next tablet connects
    assert [p["ticket_id"] for p in events_named(rated, "/rate", "rate_prompt")] == [later["id"]]
    clock.advance(COUNTER_PROMPT_S + 1)
    gone = sio(app, "/rate", auth={"token": tablets[1]})  # the question's time is over
    assert events_named(gone, "/rate", "rate_prompt", timeout=0.5) == []
    assert rating_of(app.extensions["kiosk"].engine, later["id"]) is None

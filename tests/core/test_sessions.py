"""Sessions kept in the store (kiosk.accounts.sessions) through the app: what the cookie holds, logout,
idle and absolute limits on the app's clock, devices' sessions, the per-address throttle, the socket watch."""
from __future__ import annotations

import re
import time

from core_fixtures import bearer

from kiosk.accounts import sessions


def _csrf(client) -> str:
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client, username: str, password: str, addr: str = "127.0.0.1"):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": _csrf(client)},
                       environ_base={"REMOTE_ADDR": addr})


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _me(app, cookie: str) -> int:
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/api/v1/me").status_code


def test_the_cookie_holds_only_the_session_id_and_the_form_token(app, client):
    assert _login(client, "lanhdao", app.logins["lanhdao"]).status_code == 302
    with client.session_transaction() as sess:
        assert set(sess) - {"_permanent"} == {"sid", "csrf"}  # nothing says who: that is in the store
        raw = sess["sid"]
    rows = app.extensions["kiosk"].store.conn().execute("SELECT * FROM sessions").fetchall()
    assert len(rows) == 1 and raw not in {v for v in dict(rows[0]).values()}  # only its hash is stored
    assert rows[0]["user_id"] is not None and rows[0]["token_id"] is None


def test_logout_ends_the_session_for_every_copy_of_the_cookie(app, client):
    _login(client, "lanhdao", app.logins["lanhdao"])
    saved = _cookie(client)
    assert _me(app, saved) == 200
    client.post("/logout", data={"csrf_token": _csrf(client)})
    assert _me(app, saved) == 401
    row = app.extensions["kiosk"].store.conn().execute("SELECT end_reason FROM sessions").fetchone()
    assert row["end_reason"] == "logout"


def test_idle_and_absolute_limits_follow_the_apps_clock(app, client, clock):
    _login(client, "lanhdao", app.logins["lanhdao"])
    saved = _cookie(client)
    clock.advance(2 * 3600 - 60)
    assert _me(app, saved) == 200  # seen again: the idle limit starts over
    for _ in range(5):
        clock.advance(3600)
        assert _me(app, saved) == 200
    clock.advance(3 * 3600)  # 12 h 59 min after sign-in, though seen within the last hours
    assert _me(app, saved) == 401
    _login(client, "lanhdao", app.logins["lanhdao"])
    clock.advance(2 * 3600 + 1)
    assert client.get("/api/v1/me").status_code == 401
    page = client.get("/monitor")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_a_device_session_lasts_weeks_and_ends_with_its_token(app, client, clock, tokens):
    assert client.get(f"/device?token={tokens['kiosk']}").status_code == 302
    clock.advance(13 * 3600)
    assert client.get("/api/v1/me").json["role"] == "kiosk"
    token_id = client.get("/api/v1/me").json["id"]
    assert client.delete(f"/api/v1/admin/tokens/{token_id}", headers=bearer(tokens["admin"])).status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_the_address_limit_covers_many_usernames_and_device_tokens(app, client):
    for i in range(20):
        assert _login(client, f"ai-do-{i}", "sai-mat-khau", addr="10.9.9.9").status_code == 401
    refused = _login(client, "lanhdao", app.logins["lanhdao"], addr="10.9.9.9")
    assert refused.status_code == 429 and "Đăng nhập sai quá nhiều lần" in refused.get_data(as_text=True)
    assert _login(client, "lanhdao", app.logins["lanhdao"], addr="10.9.9.8").status_code == 302
    device = app.test_client()
    for _ in range(20):
        assert device.get("/device?token=kt_wrong", environ_base={"REMOTE_ADDR": "10.7.7.7"}).status_code == 401
    assert device.get("/device?token=kt_wrong", environ_base={"REMOTE_ADDR": "10.7.7.7"}).status_code == 429


def test_changing_ones_password_is_throttled_too(app, client):
    _login(client, "quay1", app.logins["quay1"])
    csrf = _csrf(client)
    for _ in range(5):
        r = client.post("/api/v1/me/password", json={"current_password": "doan-thu", "new_password": "x" * 10},
                        headers={"X-CSRF-Token": csrf})
        assert r.status_code == 403 and r.json["error"]["code"] == "wrong_password"
    r = client.post("/api/v1/me/password", json={"current_password": app.logins["quay1"], "new_password": "x" * 10},
                    headers={"X-CSRF-Token": csrf})
    assert r.status_code == 429 and r.json["error"]["code"] == "login_throttled"
    assert r.json["error"]["message_vi"].startswith("Đăng nhập sai quá nhiều lần")
    short = app.test_client()
    _login(short, "lanhdao", app.logins["lanhdao"])
    r = short.post("/api/v1/me/password", json={"current_password": app.logins["lanhdao"], "new_password": "ngan"},
                   headers={"X-CSRF-Token": _csrf(short)})
    assert r.status_code == 422  # a too-short new password changes nothing
    assert _login(app.test_client(), "lanhdao", app.logins["lanhdao"]).status_code == 302


def _sio(app, namespace: str, client):
    return app.extensions["kiosk"].socketio.test_client(app, namespace=namespace, flask_test_client=client)


def _gone(client, namespace: str) -> bool:
    deadline = time.monotonic() + 5
    while client.is_connected(namespace) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not client.is_connected(namespace)


def test_the_watch_disconnects_ended_sign_ins_and_keeps_open_pages_from_idling(app, client, clock, tokens):
    kiosk = app.extensions["kiosk"]
    watch = kiosk.socket_watch
    _login(client, "lanhdao", app.logins["lanhdao"])
    page = _sio(app, "/monitor", client)
    by_token = kiosk.socketio.test_client(app, namespace="/monitor", auth={"token": tokens["manager"]})
    public = kiosk.socketio.test_client(app, namespace="/display")
    assert page.is_connected("/monitor") and by_token.is_connected("/monitor") and public.is_connected("/display")
    # an open page counts as activity: no request for 3 h, and the session still stands
    clock.advance(90 * 60)
    assert watch.check() == 0
    clock.advance(90 * 60)
    assert watch.check() == 0 and client.get("/api/v1/me").status_code == 200
    users = client.get("/api/v1/admin/users", headers=bearer(tokens["admin"])).json
    uid = next(u["id"] for u in users if u["username"] == "lanhdao")
    client.post(f"/api/v1/admin/users/{uid}/active", json={"active": False}, headers=bearer(tokens["admin"]))
    # the admin's change wakes the watch's own thread; check() here is the same round, whichever runs first
    watch.check()
    assert _gone(page, "/monitor") and by_token.is_connected("/monitor")
    me = app.test_client().get("/api/v1/me", headers=bearer(tokens["manager"])).json
    with kiosk.store.transaction() as tx:
        from kiosk.accounts.registry import revoke_token

        revoke_token(tx, me["id"])
    watch.check()
    assert _gone(by_token, "/monitor")
    assert public.is_connected("/display") and len(watch) == 0


def test_purge_deletes_sessions_long_ended(app, clock):
    store = app.extensions["kiosk"].store
    policy = sessions.SessionPolicy()
    with store.transaction() as tx:
        uid = tx.execute("SELECT id FROM users LIMIT 1").fetchone()[0]
        old = sessions.create_session(tx, clock.now(), policy, user_id=uid)
        sessions.end_session(tx, old, clock.now())
    clock.advance(sessions.KEEP_ENDED_S + 1)
    with store.transaction() as tx:
        fresh = sessions.create_session(tx, clock.now(), policy, user_id=uid)
        assert sessions.purge(tx, clock.now()) == 1
    assert sessions.find_session(store.conn(), fresh, clock.now()) is not None
    assert sessions.find_session(store.conn(), old, clock.now()) is None


def test_sign_in_renews_the_session_id_and_the_form_token(app, client):
    before = _csrf(client)
    with client.session_transaction() as sess:
        assert "sid" not in sess
        sess["sid"] = "planted-by-someone-else"  # a fixed id from an attacker opens nothing and is replaced
    assert client.get("/api/v1/me").status_code == 401
    _login(client, "lanhdao", app.logins["lanhdao"])
    with client.session_transaction() as sess:
        assert sess["sid"] != "planted-by-someone-else" and sess["csrf"] != before


def test_an_admin_setting_their_own_password_stays_signed_in(app, client, tokens):
    _login(client, "admin", app.logins["admin"])
    other = app.test_client()
    _login(other, "admin", app.logins["admin"])
    users = client.get("/api/v1/admin/users").json
    uid = next(u["id"] for u in users if u["username"] == "admin")
    r = client.post(f"/api/v1/admin/users/{uid}/password", json={"password": "mat-khau-qtv-moi"},
                    headers={"X-CSRF-Token": _csrf(client)})
    assert r.status_code == 200
    assert client.get("/api/v1/me").status_code == 200 and other.get("/api/v1/me").status_code == 401
    r = client.post(f"/api/v1/admin/users/{uid}/password", json={"password": "ngan"},
                    headers={"X-CSRF-Token": _csrf(client)})
    assert r.status_code == 422 and r.json["error"]["message_vi"]


def test_the_password_page_changes_it_and_signs_the_other_sessions_out(app, client):
    assert client.get("/account/password").status_code == 302  # signed out: to the login
    _login(client, "quay2", app.logins["quay2"])
    other = app.test_client()
    _login(other, "quay2", app.logins["quay2"])
    page = client.get("/account/password")
    assert page.status_code == 200 and "Đổi mật khẩu" in page.get_data(as_text=True)
    form = {"csrf_token": _csrf(client), "current_password": app.logins["quay2"]}
    differ = client.post("/account/password", data={**form, "new_password": "mat-khau-a1", "confirm_password": "b"})
    assert differ.status_code == 422 and "không khớp" in differ.get_data(as_text=True)
    wrong = client.post("/account/password", data={**form, "current_password": "sai-roi-nhe",
                                                   "new_password": "mat-khau-a1", "confirm_password": "mat-khau-a1"})
    assert wrong.status_code == 403 and "Mật khẩu hiện tại không đúng" in wrong.get_data(as_text=True)
    assert other.get("/api/v1/me").status_code == 200
    done = client.post("/account/password", data={**form, "new_password": "mat-khau-a1",
                                                  "confirm_password": "mat-khau-a1"})
    assert done.status_code == 200 and "Đã đổi mật khẩu" in done.get_data(as_text=True)
    assert other.get("/api/v1/me").status_code == 401 and client.get("/api/v1/me").status_code == 200
    assert _login(app.test_client(), "quay2", "mat-khau-a1").status_code == 302
    assert "/account/password" in client.get("/counter").get_data(as_text=True)  # linked from the header

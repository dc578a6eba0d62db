"""The auditor's session findings, tried again from outside against the real `kiosk serve`: a cookie saved
before logout opens nothing; a password change or a deactivation ends the other sessions; 200 wrong
passwords lock the account (quickly, the same answer for an unknown user); open sockets of a revoked token
or a deactivated user are disconnected within 5 s and receive nothing after."""
from __future__ import annotations

import re
import sqlite3
import threading
import time

import pytest
import requests
import socketio
from server_process import ServerProcess, create_token

PASSWORD = "mat-khau-dung-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("sessions")
    data = root / "data"
    cfg = root / "kiosk.toml"
    # one address (127.0.0.1) for every test here: the per-address limit is tested in tests/core
    cfg.write_text("[vision]\nenabled = false\n[accounts]\nlogin_failures_per_address = 10000\n")
    srv = ServerProcess(data, extra_args=["--config", str(cfg)]).start(timeout=60)
    srv.admin = create_token(data, "admin")
    srv.data = data
    yield srv
    srv.stop()


def _admin(server, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, server.url + "/api/v1/admin" + path, timeout=10,
                            headers={"Authorization": f"Bearer {server.admin}"}, **kwargs)


_made = iter(range(1, 1000))


def _user(server, role: str = "officer") -> tuple[int, str]:
    name = f"nv{next(_made)}-{role}"
    body = {"username": name, "password": PASSWORD, "role": role, "full_name": "Nguyễn Văn Thử"}
    if role == "officer":
        body["counter"] = 1
    r = _admin(server, "POST", "/users", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"], name


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(server, username: str, password: str = PASSWORD) -> tuple[requests.Session, requests.Response]:
    web = requests.Session()
    csrf = _csrf(web.get(server.url + "/login", timeout=10).text)
    r = web.post(server.url + "/login", data={"username": username, "password": password, "csrf_token": csrf},
                 allow_redirects=False, timeout=30)
    return web, r


def _signed_in(server, web: requests.Session) -> int:
    return web.get(server.url + "/api/v1/me", timeout=10).status_code


def _with_cookie(server, cookie: str) -> requests.Session:
    other = requests.Session()
    other.cookies.set("session", cookie, domain="127.0.0.1")
    return other


def test_a_cookie_saved_before_logout_opens_nothing_after(server):
    _, name = _user(server, "manager")
    web, r = _login(server, name)
    assert r.status_code == 302
    saved = web.cookies.get("session")
    assert _signed_in(server, web) == 200
    assert _signed_in(server, _with_cookie(server, saved)) == 200  # a copy works while the session lasts
    csrf = _csrf(web.get(server.url + "/login", timeout=10).text)
    assert web.post(server.url + "/logout", data={"csrf_token": csrf}, allow_redirects=False,
                    timeout=10).status_code == 302
    replay = _with_cookie(server, saved)
    assert _signed_in(server, replay) == 401
    page = replay.get(server.url + "/monitor", allow_redirects=False, timeout=10)
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_sign_in_gives_a_new_session_id(server):
    _, name = _user(server, "manager")
    web = requests.Session()
    csrf = _csrf(web.get(server.url + "/login", timeout=10).text)
    before = web.cookies.get("session")
    r = web.post(server.url + "/login", data={"username": name, "password": PASSWORD, "csrf_token": csrf},
                 allow_redirects=False, timeout=30)
    assert r.status_code == 302 and web.cookies.get("session") != before
    assert _signed_in(server, _with_cookie(server, before)) == 401  # the cookie from before opens nothing
    # signing in again in the same browser ends the session it had
    first = web.cookies.get("session")
    csrf = _csrf(web.get(server.url + "/login", timeout=10).text)
    r = web.post(server.url + "/login", data={"username": name, "password": PASSWORD, "csrf_token": csrf},
                 allow_redirects=False, timeout=30)
    assert r.status_code == 302 and web.cookies.get("session") != first
    assert _signed_in(server, _with_cookie(server, first)) == 401
    assert _signed_in(server, web) == 200


def test_a_password_change_ends_the_other_sessions(server):
    _, name = _user(server)
    here, _ = _login(server, name)
    elsewhere, _ = _login(server, name)
    assert _signed_in(server, elsewhere) == 200
    csrf = _csrf(here.get(server.url + "/login", timeout=10).text)
    wrong = here.post(server.url + "/api/v1/me/password", headers={"X-CSRF-Token": csrf}, timeout=30,
                      json={"current_password": "not-it-at-all", "new_password": "mat-khau-moi-2"})
    assert wrong.status_code == 403 and wrong.json()["error"]["message_vi"]
    assert _signed_in(server, elsewhere) == 200
    r = here.post(server.url + "/api/v1/me/password", headers={"X-CSRF-Token": csrf}, timeout=30,
                  json={"current_password": PASSWORD, "new_password": "mat-khau-moi-2"})
    assert r.status_code == 200, r.text
    assert _signed_in(server, elsewhere) == 401
    assert _signed_in(server, here) == 200  # the one that changed it stays signed in
    assert _login(server, name)[1].status_code == 401  # the old password is gone
    assert _login(server, name, "mat-khau-moi-2")[1].status_code == 302


def test_an_admin_password_reset_and_a_deactivation_end_every_session(server):
    uid, name = _user(server)
    web, _ = _login(server, name)
    assert _admin(server, "POST", f"/users/{uid}/password", json={"password": "dat-lai-boi-qtv"}).status_code == 200
    assert _signed_in(server, web) == 401
    web, _ = _login(server, name, "dat-lai-boi-qtv")
    assert _signed_in(server, web) == 200
    assert _admin(server, "POST", f"/users/{uid}/active", json={"active": False}).status_code == 200
    assert _signed_in(server, web) == 401
    assert _login(server, name, "dat-lai-boi-qtv")[1].status_code == 401


def _login_answer(r: requests.Response) -> str:
    return re.search(r'<p class="error" role="alert">([^<]+)</p>', r.text).group(1)


def test_200_wrong_passwords_lock_the_account_quickly_and_say_so_in_vietnamese(server):
    uid, name = _user(server)
    web = requests.Session()
    csrf = _csrf(web.get(server.url + "/login", timeout=10).text)
    answers, slow = [], []
    stop = threading.Event()

    def watch_latency() -> None:  # another user of the service during the attack
        while not stop.is_set():
            t = time.monotonic()
            requests.get(server.url + "/healthz", timeout=10)
            slow.append(time.monotonic() - t)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch_latency)
    watcher.start()
    started = time.monotonic()
    try:
        for i in range(200):
            r = web.post(server.url + "/login", data={"username": name, "password": f"sai-{i}", "csrf_token": csrf},
                         allow_redirects=False, timeout=30)
            answers.append(r)
    finally:
        stop.set()
        watcher.join()
    spent = time.monotonic() - started
    codes = [a.status_code for a in answers]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    # 195 refusals without a password hash: far less than 195 scrypt runs (~0.1-0.8 s each)
    assert spent < 5 * 1.5 + 195 * 0.05, spent
    right = web.post(server.url + "/login", data={"username": name, "password": PASSWORD, "csrf_token": csrf},
                     allow_redirects=False, timeout=30)
    assert right.status_code == 429 and "Retry-After" in right.headers
    message = _login_answer(right)
    assert message.startswith("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau")
    # an unknown username gets the same answers: first "wrong", then the same refusal
    unknown = [web.post(server.url + "/login", data={"username": "khong-co-ai", "password": "x" * 9,
                                                     "csrf_token": csrf}, allow_redirects=False, timeout=30)
               for _ in range(6)]
    assert [u.status_code for u in unknown] == [401] * 5 + [429]
    assert _login_answer(unknown[0]) == _login_answer(answers[0]) == "Sai tên đăng nhập hoặc mật khẩu. / Wrong username or password."
    assert re.sub(r"\d+", "N", _login_answer(unknown[-1])) == re.sub(r"\d+", "N", message)
    # the administrator unlocks the account: the right password works at once
    assert _admin(server, "POST", f"/users/{uid}/unlock").status_code == 200
    assert _login(server, name)[1].status_code == 302
    print(f"\n200 attempts in {spent:.2f} s; /healthz during them: max {max(slow) * 1000:.0f} ms, "
          f"{len(slow)} probes")


def _client(server, namespace: str, **kwargs) -> tuple[socketio.Client, list, list]:
    events, gone = [], []
    client = socketio.Client(reconnection=True, reconnection_delay=0.2)
    client.on("queue_event", lambda data: events.append(data), namespace=namespace)
    client.on("counter_event", lambda data: events.append(data), namespace=namespace)
    client.on("queue_snapshot", lambda data: events.append(data), namespace=namespace)
    client.on("ticket_called", lambda data: events.append(data), namespace=namespace)
    client.on("disconnect", lambda *a: gone.append(time.monotonic()), namespace=namespace)
    client.connect(server.url, namespaces=[namespace], transports=["websocket"], **kwargs)
    return client, events, gone


def _issue(server) -> None:
    kiosk = create_token(server.data, "kiosk") if not hasattr(server, "kiosk") else server.kiosk
    server.kiosk = kiosk
    r = requests.post(server.url + "/api/v1/tickets", json={"service": "HT"}, timeout=10,
                      headers={"Authorization": f"Bearer {kiosk}"})
    assert r.status_code == 201, r.text


def _wait(cond, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def _token_id(server, token: str) -> int:
    me = requests.get(server.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    return me.json()["id"]


@pytest.mark.parametrize("namespace, role", [("/monitor", "manager"), ("/kiosk", "kiosk"), ("/display", "display")])
def test_a_revoked_tokens_socket_is_disconnected_within_5s_and_hears_nothing_more(server, namespace, role):
    token = create_token(server.data, role)
    client, events, gone = _client(server, namespace, auth={"token": token})
    try:
        heard = len(events)
        _issue(server)
        assert _wait(lambda: len(events) > heard, 5), "the socket hears events while its token stands"
        revoked_at = time.monotonic()
        assert _admin(server, "DELETE", f"/tokens/{_token_id(server, token)}").status_code == 200
        assert _wait(lambda: gone, 5), "still connected 5 s after the revoke"
        print(f"\n{namespace}: disconnected {gone[0] - revoked_at:.2f} s after the revoke")
        heard = len(events)
        _issue(server)
        time.sleep(1.5)
        assert len(events) == heard and not client.connected  # refused again on reconnect, hears nothing
    finally:
        client.disconnect()


def test_a_deactivated_users_session_socket_is_disconnected_within_5s(server):
    uid, name = _user(server)
    web, _ = _login(server, name)
    client, events, gone = _client(server, "/counter", headers={"Cookie": f"session={web.cookies.get('session')}"})
    try:
        assert client.connected
        heard = len(events)
        _issue(server)
        assert _wait(lambda: len(events) > heard, 5), "the socket hears the queue while its user is active"
        deactivated_at = time.monotonic()
        assert _admin(server, "POST", f"/users/{uid}/active", json={"active": False}).status_code == 200
        assert _wait(lambda: gone, 5), "still connected 5 s after the deactivation"
        print(f"\ndisconnected {gone[0] - deactivated_at:.2f} s after the deactivation")
        heard = len(events)
        _issue(server)
        requests.post(server.url + "/api/v1/counters/1/next", timeout=10,
                      headers={"Authorization": f"Bearer {server.admin}"})
        time.sleep(1.5)
        assert len(events) == heard and not client.connected
    finally:
        client.disconnect()


def test_a_logout_disconnects_the_sessions_sockets(server):
    _, name = _user(server, "manager")
    web, _ = _login(server, name)
    client, _, gone = _client(server, "/monitor", headers={"Cookie": f"session={web.cookies.get('session')}"})
    try:
        csrf = _csrf(web.get(server.url + "/login", timeout=10).text)
        web.post(server.url + "/logout", data={"csrf_token": csrf}, allow_redirects=False, timeout=10)
        assert _wait(lambda: gone, 5)
    finally:
        client.disconnect()


def test_a_revoke_written_by_another_process_is_caught_by_the_periodic_check(server):
    token = create_token(server.data, "manager")
    client, _, gone = _client(server, "/monitor", auth={"token": token})
    try:
        with sqlite3.connect(server.data / "kiosk.db", timeout=30) as db:  # as a CLI would, not via the API
            db.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ?", [time.time(), _token_id(server, token)])
        written = time.monotonic()
        assert _wait(lambda: gone, 5)
        print(f"\ndisconnected {gone[0] - written:.2f} s after the revoke by another process")
    finally:
        client.disconnect()

"""The kiosk screen from a usability test in Chromium: presses held like a mouse-type touch frame while the
session's states stream in, the consent text read on a portrait screen, what the ticket screens show, the
page header, and the ticket to photograph when the printer is out of paper.

The real service runs with its demo camera (a generated card, no face). A head in front of a real camera
makes the server send several states a second (the cursor, the dwell ring, the face box); the demo shows
none, so those states are made in the page: the server's latest real state, with a moving cursor, dwell
progress, hover and face box, handed ~9 times a second to the page's own Socket.IO ``kiosk_state``
listener. Everything else (choices, states, tickets, the printer) is the real server's.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from e2e_server import LiveServer

pytestmark = pytest.mark.e2e

# The demo card is shown for 2 s every 7.5 s: a new session after each "Xong"; nothing ends by itself.
VISION = {"demo_empty_s": 0.5, "demo_card_s": 2.0, "demo_pause_s": 5.0, "leave_s": 120.0,
          "idle_timeout_s": 120.0, "max_fps": 5.0, "preview_fps": 3.0}
STREAM_MS = 110  # about 9 states a second
HOLDS_MS = [150, 300, 180, 270, 210, 240, 160, 290]

# Remember the sockets the page opens, so the test can hand states to the page's own listeners.
CAPTURE_SOCKETS = """(() => {
  let real;
  window.__kioskSockets = [];
  Object.defineProperty(window, "io", { configurable: true, get() { return real; }, set(io) {
    const wrapped = function (...args) {
      const socket = io(...args);
      if (args[0] === "/kiosk") window.__kioskSockets.push(socket);
      return socket;
    };
    real = Object.assign(wrapped, io);
  } });
})();"""

STREAM_STATES = """(periodMs) => {
  const socket = window.__kioskSockets.find((s) => s.listeners("kiosk_state").length);
  let latest = null;
  let n = 0;
  socket.on("kiosk_state", (s) => { if (!s.__made) latest = s; });
  socket.emit("kiosk_get_state", {}, (ack) => { if (ack && ack.ok && !latest) latest = ack.state; });
  window.__made = 0;
  window.__stream = setInterval(() => {
    if (!latest) return;
    n += 1;
    const x = 0.5 + 0.06 * Math.sin(n / 3);
    const y = 0.5 + 0.05 * Math.cos(n / 4);
    const tiles = latest.tiles || [];
    const made = Object.assign({}, latest, {
      __made: true, version: (latest.version || 0) + n, cursor: [x, y], progress: (n % 10) / 10,
      hover: n % 4 === 0 && tiles.length ? tiles[n % tiles.length].id : null,
      overlay: Object.assign({}, latest.overlay, { faces: [{ box: [x - 0.08, y - 0.1, x + 0.08, y + 0.1],
        decision: "unknown", liveness: "live", accepted: false }] }),
    });
    socket.listeners("kiosk_state").forEach((fn) => fn(made));
    window.__made += 1;
  }, periodMs);
}"""


def _camera_server(tmp_path_factory, name: str) -> LiveServer:
    return LiveServer(tmp_path_factory.mktemp(name) / "data", vision=VISION).start()


@pytest.fixture
def camera_server(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[LiveServer]:
    """A server of its own per test: the consent answers and the printer's paper are the test's."""
    srv = _camera_server(tmp_path_factory, "e2e-screen")
    yield srv
    srv.stop()


def _kiosk(browser, srv: LiveServer, width: int, height: int, errors: list[str], outside: list[str]):
    local = (srv.url + "/", "data:", f"blob:{srv.url}/", f"ws://127.0.0.1:{srv.port}/")
    ctx = browser.new_context(bypass_csp=True, viewport={"width": width, "height": height}, locale="vi-VN")
    ctx.set_default_timeout(10000)
    ctx.add_init_script(CAPTURE_SOCKETS)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    page.goto(f"{srv.url}/device?token={srv.logins['kiosk-token']}")
    page.wait_for_url("**/kiosk")
    return ctx, page


@pytest.fixture
def kiosk_page(browser):
    """kiosk_page(server, width, height): the kiosk page signed in as the kiosk device."""
    contexts, errors, outside = [], [], []

    def make(srv: LiveServer, width: int = 1920, height: int = 1080):
        ctx, page = _kiosk(browser, srv, width, height, errors, outside)
        contexts.append(ctx)
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not outside, f"the page fetched something outside the server: {outside}"


def _flow(page) -> str:
    return page.evaluate("document.body.dataset.kioskFlow || ''")


def _held_press(page, tile: str, hold_ms: int) -> tuple[bool, int]:
    """Press the tile with the mouse for ``hold_ms`` while states stream; (the choice was taken, states made
    during the press)."""
    before = _flow(page)
    box = None
    while box is None:  # (a tile replaced at every state, as before, may be gone by the time it is measured)
        box = page.locator(f".kc-tile[data-tile='{tile}']").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    made = page.evaluate("window.__made")
    page.mouse.down()
    page.wait_for_timeout(hold_ms)
    page.mouse.up()
    made = page.evaluate("window.__made") - made
    try:
        page.wait_for_function("(s) => document.body.dataset.kioskFlow !== s", arg=before, timeout=3000)
    except Exception:  # playwright's TimeoutError: the press was lost
        return False, made
    return True, made


def _admin(srv: LiveServer, method: str, path: str, body: dict) -> requests.Response:
    r = requests.request(method, srv.url + path, json=body, timeout=5,
                         headers={"Authorization": f"Bearer {srv.tokens['admin']}"})
    r.raise_for_status()
    return r


def test_held_mouse_presses_are_taken_while_states_stream_on_a_portrait_screen(kiosk_page, camera_server, shots):
    page = kiosk_page(camera_server, 1080, 1920)
    page.wait_for_selector("#kc-overlay:not([hidden]) .kc-tile[data-tile='consent:no']", timeout=20000)
    # the consent paragraph, read standing at arm's length
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.kc-consent')).fontSize)")
    assert size >= 28, f"the consent text is {size}px"
    page.screenshot(path=str(shots / "kiosk-portrait-consent.png"))
    page.evaluate(STREAM_STATES, STREAM_MS)

    plan = {"consent": ["consent:no"], "priority": ["priority:elderly", "priority:normal", "priority:normal"],
            "services": ["svc:HT", "svc:DD"], "ticket": ["done", "done"]}
    taken, tickets = [], 0
    for hold in HOLDS_MS:
        page.wait_for_function("['consent', 'priority', 'services', 'ticket'].includes(document.body.dataset.kioskFlow)",
                               timeout=20000)  # after "Xong": the demo card comes back
        state = _flow(page)
        tile = plan[state][0]
        ok, made = _held_press(page, tile, hold)
        assert made >= 1, "no state arrived during the press: the test would prove nothing"
        taken.append((state, tile, hold, ok))
        if not ok:
            continue
        plan[state].pop(0)
        if _flow(page) == "ticket":
            tickets += 1
            page.wait_for_selector(".kc-ticket:not([hidden]) .kc-number")
            if tickets == 1:  # elderly priority, chosen at the second press
                _check_camera_ticket(page, camera_server, shots)
    assert [t for t in taken if not t[3]] == [], f"presses lost: {taken}"
    assert len(taken) == 8
    # the second session skipped the consent question: the refusal of the first is remembered
    assert [t[0] for t in taken].count("consent") == 1
    page.evaluate("clearInterval(window.__stream)")


def _check_camera_ticket(page, srv: LiveServer, shots) -> None:
    """The camera path's ticket shows what the touch path shows."""
    assert page.inner_text(".kc-prompt").startswith("Số thứ tự của Quý khách")
    number = page.inner_text(".kc-number")
    assert re.fullmatch(r"A\d{3}", number)
    assert "Ưu tiên: Người cao tuổi" in page.inner_text(".kc-priority")
    position = page.inner_text(".kc-position")
    assert re.fullmatch(r"\d+( \(kế tiếp\))?", position)
    assert page.inner_text(".kc-wait") in ("sắp đến lượt",) or page.inner_text(".kc-wait").startswith("khoảng ")
    assert "Quý khách vui lòng nhận phiếu in bên dưới" in page.inner_text(".kc-hint")
    assert page.is_hidden(".kc-paper")
    queue = srv.api("GET", "/queue", srv.tokens["admin"]).json()
    ht = next(s for s in queue["services"] if s["code"] == "HT")
    mine = next(t for t in ht["next"] if t["number"] == number)
    assert mine["priority"] == "elderly"
    page.screenshot(path=str(shots / "kiosk-portrait-ticket.png"))


def test_camera_path_out_of_paper_shows_the_ticket_to_photograph(kiosk_page, camera_server, shots):
    page = kiosk_page(camera_server)
    page.wait_for_selector("#kc-overlay:not([hidden]) .kc-tile[data-tile='consent:no']", timeout=20000)
    _admin(camera_server, "POST", "/demo/devices/printer", {"paper_out": True})
    page.click(".kc-tile[data-tile='consent:no']")
    page.click(".kc-tile[data-tile='priority:normal']")
    page.wait_for_selector(".kc-tile[data-tile='svc:CT']")
    # before the ticket: it will be shown on screen, to photograph
    page.wait_for_selector(".kc-printer:not([hidden])")
    assert "Máy in tạm hết giấy: số thứ tự sẽ hiện trên màn hình để Quý khách chụp lại" in page.inner_text(".kc-printer")
    page.screenshot(path=str(shots / "kiosk-camera-paper-out-services.png"))
    page.click(".kc-tile[data-tile='svc:CT']")
    page.wait_for_selector(".kc-paper:not([hidden]) img.kc-qr:not([hidden])")
    number = page.inner_text(".kc-number")
    assert re.fullmatch(r"[A-Z]\d{3}", number)
    src = page.get_attribute("img.kc-qr", "src")
    assert re.fullmatch(r"/t/\d+/[^/]+/qr\.svg", src), src
    box = page.locator("img.kc-qr").bounding_box()
    assert box["width"] >= 300 and box["height"] >= 300
    assert ("Máy in tạm hết giấy. Quý khách vui lòng chụp lại màn hình này: số thứ tự và mã QR để theo dõi lượt."
            in page.inner_text(".kc-paper-text"))
    assert page.is_hidden(".kc-hint") and page.is_hidden(".kc-printer")
    # the QR leads to this ticket's tracking page
    assert requests.get(camera_server.url + src.rsplit("/", 1)[0], timeout=5).status_code == 200
    page.screenshot(path=str(shots / "kiosk-camera-paper-out-ticket.png"))
    _admin(camera_server, "POST", "/demo/devices/printer", {"paper_out": False})
    page.click(".kc-tile[data-tile='done']")
    page.wait_for_selector("#kc-overlay", state="hidden")
    page.wait_for_selector("#printer-note", state="hidden")


def test_touch_path_header_texts_and_out_of_paper(new_page, server, shots):
    page = new_page(1920, 1080)
    page.goto(f"{server.url}/device?token={server.logins['kiosk-token']}")
    page.wait_for_selector(".tile[data-code='CT']")
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    assert page.inner_text("#kiosk-title").startswith("Mời Quý khách chọn lĩnh vực")
    # staff's device status is not shown to citizens
    assert page.query_selector("#devices-badge") is None
    page.click(".tile[data-code='CT']")
    page.wait_for_selector("#screen-ticket", state="visible")
    assert page.inner_text("#kiosk-title").startswith("Số thứ tự của Quý khách")
    card = page.inner_text(".ticket-card")
    assert "Số thứ tự của Quý khách" in card and "Quý khách vui lòng nhận phiếu in bên dưới" in card
    assert "bạn" not in page.inner_text("body").lower()
    assert page.is_hidden("#ticket-paper")
    page.click("#ticket-done")
    page.wait_for_selector("#screen-tiles", state="visible")
    assert page.inner_text("#kiosk-title").startswith("Mời Quý khách chọn lĩnh vực")

    _admin(server, "POST", "/demo/devices/printer", {"paper_out": True})
    try:
        page.wait_for_selector("#printer-note", state="visible")
        assert "số thứ tự sẽ hiện trên màn hình để Quý khách chụp lại" in page.inner_text("#printer-note")
        assert "Máy in:" not in page.inner_text("body")
        page.screenshot(path=str(shots / "kiosk-touch-paper-out-tiles.png"))
        page.click(".tile[data-code='CT']")
        page.wait_for_selector("#ticket-paper img#ticket-qr:not([hidden])")
        src = page.get_attribute("#ticket-qr", "src")
        ticket_id = int(src.split("/")[2])
        assert re.fullmatch(r"/t/\d+/[^/]+/qr\.svg", src), src
        assert page.inner_text("#ticket-number") == server.api(
            "GET", f"/tickets/{ticket_id}", server.tokens["admin"]).json()["number"]
        box = page.locator("#ticket-qr").bounding_box()
        assert box["width"] >= 300 and box["height"] >= 300
        assert ("Máy in tạm hết giấy. Quý khách vui lòng chụp lại màn hình này: số thứ tự và mã QR để theo dõi lượt."
                in page.inner_text("#ticket-paper-text"))
        assert page.is_hidden("#ticket-hint")
        assert int(page.inner_text("#ticket-countdown")) > 15  # time to photograph
        page.screenshot(path=str(shots / "kiosk-touch-paper-out-ticket.png"))
    finally:
        _admin(server, "POST", "/demo/devices/printer", {"paper_out": False})
    page.wait_for_selector("#printer-note", state="hidden")
    page.click("#ticket-done")


def test_a_ticket_answer_that_says_the_printer_is_out(new_page, server):
    """The printer fields of POST /tickets (tracking_url, printer) when the server sends them."""
    page = new_page(1920, 1080)

    def out_of_paper(route) -> None:
        response = route.fetch()
        body = response.json()
        body.update(printer={"ok": False}, tracking_url=f"/t/{body['id']}/abc")
        route.fulfill(response=response, json=body)

    page.route("**/api/v1/tickets", out_of_paper)
    page.goto(f"{server.url}/device?token={server.logins['kiosk-token']}")
    page.wait_for_selector(".tile[data-code='HT']")
    page.click(".tile[data-code='HT']")
    page.wait_for_selector("#ticket-paper img#ticket-qr:not([hidden])")
    number = page.inner_text("#ticket-number")
    assert re.fullmatch(r"A\d{3}", number)
    assert re.fullmatch(r"/t/\d+/abc/qr\.svg", page.get_attribute("#ticket-qr", "src"))
    page.click("#ticket-done")
    page.wait_for_selector("#printer-note", state="visible")  # until the server says it prints again

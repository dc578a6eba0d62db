"""The manager's monitor and the admin pages, in the browser against the real server."""
from __future__ import annotations

import pytest
from e2e_helpers import login

pytestmark = pytest.mark.e2e


def test_monitor_shows_counters_and_queues_live(new_page, server, shots):
    page = new_page(1600, 900)
    login(page, server, "lanhdao", "/monitor")
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    page.wait_for_selector("#counters-table tr[data-counter='4']")
    ticket = server.issue("XD", "disabled")
    r = server.api("POST", "/counters/4/next", server.tokens["officer4"], {})
    assert r.ok and r.json()["ticket"]["number"] == ticket["number"], r.text
    row = "#counters-table tr[data-counter='4']"
    page.wait_for_function(f"document.querySelector(\"{row}\").textContent.includes({ticket['number']!r})")
    assert "Người khuyết tật" in page.inner_text(row)
    assert "Phạm Quốc Huy" in page.inner_text(row)  # the officer of counter 4 in the demo
    page.wait_for_selector("#feed li:has-text('gọi')")
    page.wait_for_function("document.getElementById('stats-at').textContent.includes('thống kê')")
    page.screenshot(path=str(shots / "monitor.png"), full_page=True)
    server.api("POST", "/counters/4/no-show", server.tokens["officer4"])


def test_admin_creates_a_service_and_a_token_shown_once(new_page, server, shots):
    page = new_page(1600, 900)
    login(page, server, "admin", "/admin")
    page.wait_for_selector("#services-table tr[data-code='HT']")
    form = "#service-form"
    page.fill(f"{form} [name=code]", "TN")
    page.fill(f"{form} [name=prefix]", "K")
    page.fill(f"{form} [name=name]", "Tài nguyên – Môi trường")
    page.fill(f"{form} [name=sla_minutes]", "25")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("#services-table tr[data-code='TN']")
    svc = next(s for s in server.api("GET", "/services", server.tokens["admin"]).json() if s["code"] == "TN")
    assert svc["name"] == "Tài nguyên – Môi trường" and svc["prefix"] == "K" and svc["sla_minutes"] == 25

    # a wrong prefix is refused with the server's reason, nothing saved
    page.fill(f"{form} [name=code]", "BAD")
    page.fill(f"{form} [name=prefix]", "A")  # already used by HT
    page.fill(f"{form} [name=name]", "Trùng tiền tố")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector(f"{form} .error:not([hidden])")
    assert page.inner_text(f"{form} .error") == \
        "Không lưu được: Tiền tố A đã được dùng cho lĩnh vực Tư pháp – Hộ tịch."  # the server's sentence
    assert page.locator("#services-table tr[data-code='BAD']").count() == 0

    page.click("[data-tab=tokens]")
    page.select_option("#token-form [name=role]", "display")
    page.fill("#token-form [name=label]", "Màn hình tầng 2")
    page.click("#token-form button[type=submit]")
    page.wait_for_selector("#token-once:not([hidden])")
    token = page.inner_text("#token-value").strip()
    assert token.startswith("kt_")
    assert server.api("GET", "/queue", token).status_code == 200
    page.screenshot(path=str(shots / "admin-token.png"), full_page=True)


# the console's buttons and the snapshot actions that enable them
BUTTON_ACTIONS = {
    "next": ("next", "finish_next"), "recall": ("recall",), "start": ("start",), "finish": ("finish",),
    "no-show": ("no_show",), "hold": ("hold",), "transfer": ("transfer",), "pause": ("pause",),
    "resume": ("resume",), "open": ("open",), "close": ("close",),
}


def _settled_actions(console, counter: int) -> list[str]:
    """The actions of the console's own counter in the snapshot it shows, once no answer is pending."""
    console.wait_for_function("window.counterUI.state().inFlight === null")
    return console.evaluate(
        f"window.counterUI.state().snap.counters.find((c) => c.number === {counter}).actions")


def _assert_buttons_follow(console, actions: list[str]) -> None:
    for button, enabling in BUTTON_ACTIONS.items():
        enabled = console.is_enabled(f"#act-{button}")
        assert enabled == any(a in actions for a in enabling), (button, actions)


def test_console_buttons_follow_the_snapshot_and_actions_are_not_reread(officer_page, server, shots):
    """Every button is enabled exactly when the snapshot lists its action; an action is answered by its
    HTTP response and the pushed snapshot, never by another GET /queue."""
    officer2 = server.tokens["officer2"]
    while server.api("POST", "/counters/2/next", officer2, {}).json()["ticket"]:  # earlier tests' leftovers
        server.api("POST", "/counters/2/no-show", officer2)
    console = officer_page(2)  # Quầy 2 pools HT and CT
    reads, posts = [], []

    def watch(request) -> None:
        path = request.url.split("?")[0]
        if request.method == "GET" and path.endswith("/api/v1/queue"):
            reads.append(path)
        elif request.method == "POST" and "/api/v1/" in path:
            posts.append(path)

    console.on("request", watch)
    first = server.issue("CT")
    second = server.issue("CT", "elderly")
    console.wait_for_selector(f"#waiting li[data-ticket='{second['id']}']")
    actions = _settled_actions(console, 2)
    assert actions == ["next", "finish_next", "call", "pause", "close"]
    _assert_buttons_follow(console, actions)

    console.keyboard.press("n")  # Gọi tiếp: the priority ticket first
    console.wait_for_function(f"document.getElementById('current-number').textContent === {second['number']!r}")
    actions = _settled_actions(console, 2)
    assert actions == ["recall", "start", "no_show", "hold", "transfer"]
    _assert_buttons_follow(console, actions)

    console.keyboard.press("s")
    console.wait_for_function("document.body.dataset.ticketState === 'serving'")
    actions = _settled_actions(console, 2)
    assert actions == ["finish_next", "finish", "hold", "transfer"]
    _assert_buttons_follow(console, actions)
    assert "Xong & gọi tiếp" in console.inner_text("#act-next")
    console.screenshot(path=str(shots / "counter-actions-serving.png"))

    console.keyboard.press("n")  # Xong & gọi tiếp: finishes the served ticket, calls the next
    console.wait_for_function(f"document.getElementById('current-number').textContent === {first['number']!r}")
    assert server.api("GET", f"/tickets/{second['id']}", server.tokens["admin"]).json()["state"] == "done"
    _assert_buttons_follow(console, _settled_actions(console, 2))
    console.click("#act-no-show")  # asks first (tests/e2e/test_e2e_officer_day.py)
    console.click("#no-show-dialog[open] #no-show-confirm")
    console.wait_for_function("document.body.dataset.ticketState === 'none'")
    _assert_buttons_follow(console, _settled_actions(console, 2))

    console.keyboard.press("p")
    console.wait_for_selector("#pause-dialog[open]")
    console.click("#pause-submit")
    console.wait_for_function("document.body.dataset.counterState === 'paused'")
    actions = _settled_actions(console, 2)
    assert actions == ["resume", "close"]
    _assert_buttons_follow(console, actions)
    console.keyboard.press("c")
    console.wait_for_function("document.body.dataset.counterState === 'open'")
    _assert_buttons_follow(console, _settled_actions(console, 2))

    assert len(posts) == 6, posts  # next, start, next (finish), no-show, pause, resume
    assert reads == [], f"the console re-read GET /queue after its actions: {reads}"

    # The console has no rules of its own: a snapshot that allows only "resume" at an open, idle counter
    # is what its buttons and shortcuts obey.
    console.evaluate("""() => {
      const snap = JSON.parse(JSON.stringify(window.counterUI.state().snap));
      snap.counters.find((c) => c.number === 2).actions = ["resume"];
      window.counterUI.socket.listeners("queue_snapshot").forEach((fn) => fn(snap));
    }""")
    _assert_buttons_follow(console, ["resume"])
    assert console.is_disabled("#act-next") and console.is_enabled("#act-resume")
    console.keyboard.press("n")
    console.keyboard.press("p")
    console.wait_for_timeout(300)
    assert len(posts) == 6 and not console.is_visible("#pause-dialog"), "a shortcut ran against the snapshot"

"""The officer's pager card acts on its counter exactly like the console, each press exactly once,
also when the radio link drops, corrupts and duplicates frames and the base station is unplugged."""
from __future__ import annotations

from devices_support import *  # noqa: F403
from devices_support import FaultConfig, issue, received, sio, wait_for


def _events(app, kind: str, counter: int = 1) -> int:
    conn = app.extensions["kiosk"].store.conn()
    return conn.execute("SELECT COUNT(*) FROM events WHERE type = ? AND counter_number = ?",
                        [kind, counter]).fetchone()[0]


def _press(app, sims, card: int, button: str) -> None:
    link = app.extensions["kiosk"].devices.link
    before = sum(link.presses.values())
    sims["pager"].press(card, button)
    assert wait_for(lambda: sum(link.presses.values()) == before + 1), f"press {button} not applied"


def _current(app, counter: int = 1):
    engine = app.extensions["kiosk"].engine
    return engine.current_ticket(counter)


def test_button_mapping(devices_app, client, tokens, sims):
    app = devices_app
    counter1 = sio(app, "/counter", tokens["officer1"])
    a, b, c = (issue(client, tokens["kiosk"]) for _ in range(3))

    _press(app, sims, 1, "next")  # nobody at the counter: call the next ticket
    assert (_current(app).number, _current(app).state) == (a["number"], "called")
    _press(app, sims, 1, "next")  # the called citizen arrived: start, never skip them
    assert (_current(app).number, _current(app).state) == (a["number"], "serving")
    _press(app, sims, 1, "next")  # serving: finish it and call the next
    assert (_current(app).number, _current(app).state) == (b["number"], "called")
    assert app.extensions["kiosk"].engine.ticket(a["id"]).state == "done"
    _press(app, sims, 1, "recall")
    assert _current(app).recalls == 1
    _press(app, sims, 1, "no_show")
    assert app.extensions["kiosk"].engine.ticket(b["id"]).state == "no_show" and _current(app) is None
    _press(app, sims, 1, "next")
    _press(app, sims, 1, "finish")  # finish a called ticket: started and finished at once
    ticket_c = app.extensions["kiosk"].engine.ticket(c["id"])
    assert ticket_c.state == "done" and ticket_c.started_at is not None
    finish = [e for _, e in app.extensions["kiosk"].engine.events() if e.name == "ticket_finished"][-1]
    assert finish.ticket_id == c["id"] and finish.service_unknown is True  # no service time: unknown, not 0

    link = app.extensions["kiosk"].devices.link
    _press(app, sims, 1, "recall")  # nothing to recall: refused, nothing changes
    assert link.presses["refused"] == 1
    _press(app, sims, 1, "next")  # nobody waits: the card is told so
    assert sims["pager"].wait_until(lambda: sims["pager"].pages(1)[-1].ticket == "---", 5)
    assert _current(app) is None

    reports = received(counter1, "/counter", "pager_button", until=lambda e: len(e) >= 9)
    assert [r["action"] for r in reports[:7]] == ["call_next", "start", "call_next", "recall", "no_show",
                                                   "call_next", "start_finish"]
    assert reports[7]["ok"] is False and reports[7]["message"]
    assert _events(app, "ticket_called") == 3 and _events(app, "ticket_started") == 2
    assert _events(app, "ticket_finished") == 2 and _events(app, "ticket_recalled") == 1


def test_other_cards_act_on_their_own_counter_only(devices_app, client, tokens, sims):
    issue(client, tokens["kiosk"], "DD")  # served by counter 3
    _press(devices_app, sims, 3, "next")
    assert _current(devices_app, 3) is not None and _current(devices_app, 1) is None
    link = devices_app.extensions["kiosk"].devices.link
    sims["pager"].press(101, "next")  # a citizen's card has no counter: ignored
    assert wait_for(lambda: link.presses["unassigned"] == 1)
    assert _events(devices_app, "ticket_called", 1) == 0


def test_presses_apply_exactly_once_under_faults_and_unplug(devices_app, client, tokens, sims):
    app = devices_app
    pager = sims["pager"]
    link = app.extensions["kiosk"].devices.link
    for _ in range(6):
        issue(client, tokens["kiosk"])
    pager.set_faults(FaultConfig(drop=0.1, corrupt=0.1, duplicate=0.1, delay=0.05, seed=7))
    # Identical presses: whatever order the retransmissions deliver them in, the outcome is fixed.
    for i in range(11):
        pager.press(1, "next")
        if i == 5:
            pager.unplug(duration_s=0.3)  # a USB glitch: the base station reboots mid-way
    assert wait_for(lambda: sum(link.presses.values()) >= 11, timeout=25), link.presses
    pager.set_faults(FaultConfig())
    assert pager.wait_until(lambda: pager.idle, 10)
    assert link.presses == {"applied": 11, "refused": 0, "unassigned": 0}
    # 11 "next": call, start, finish+call, start, ... -> 6 calls, 5 starts, 5 finishes
    assert (_events(app, "ticket_called"), _events(app, "ticket_started"), _events(app, "ticket_finished")) \
        == (6, 5, 5)
    assert pager.stats["dropped"] + pager.stats["corrupted"] > 0 and pager.stats["unplugs"] == 1

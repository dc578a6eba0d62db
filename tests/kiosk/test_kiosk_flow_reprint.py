"""Reprint without touch (issue 13): the "In lại phiếu" tile of the touch-free session, chosen by dwell on the
ticket screen or on the start screen within the window; the rule's answer (the injected reprint) on screen."""
from __future__ import annotations

from kiosk_testlib import CENTRE, View, dwell, enter_live, first_visit, make_kiosk, walk

from kiosk.session.flow import face_from_cursor

PERSON = "p-reprint"


def _wire(k, answers):
    calls: list[int] = []

    def reprint(ticket_id: int):
        calls.append(ticket_id)
        return answers.pop(0)

    k.flow.reprint, k.flow.reprint_window_s = reprint, 60.0
    return calls


def _tiles(snap) -> list[str]:
    return [t["id"] for t in snap["tiles"]]


def test_reprint_by_touch_on_the_ticket_then_by_dwell_on_the_start_screen(tmp_path):
    k = make_kiosk(tmp_path)
    calls = _wire(k, [(True, "Đang in lại phiếu số B001 (bản in lại thứ 1).", "Reprinting", True),
                      (True, "Đang in lại phiếu số B001 (bản in lại thứ 2).", "Reprinting", False)])
    snap, at, _ = first_visit(k, PERSON, consent="consent:no")
    assert snap["state"] == "ticket" and "reprint" in _tiles(snap)
    ticket_id = snap["ticket"]["id"]
    # the ticket screen takes touch only (no dwell there: the face still points where the service tile was)
    snap = k.flow.choose("reprint")
    assert calls == [ticket_id]
    assert snap["notice"]["code"] == "reprinted" and snap["notice"]["kind"] == "info"
    assert snap["notice"]["vi"] == "Đang in lại phiếu số B001 (bản in lại thứ 1)."
    # the citizen stays: the ticket screen gives way to the start screen, which offers the copy by dwell
    for _ in range(200):
        snap = k.feed(View(PERSON, at))
        if snap["state"] == "present":
            break
    assert snap["state"] == "present" and "reprint" in _tiles(snap)
    off = face_from_cursor((0.5, 0.12), k.flow.settings)  # the cursor leaves the tiles first (dwell re-arms)
    walk(k, PERSON, at, off)
    dwell(k, PERSON, "reprint", off, max_frames=25)
    assert calls == [ticket_id, ticket_id]
    assert k.flow.snapshot()["notice"]["vi"].endswith("(bản in lại thứ 2).")
    assert "reprint" not in _tiles(k.flow.snapshot())  # the copies are used up: no longer offered


def test_the_start_screen_offers_it_within_the_window_only(tmp_path):
    k = make_kiosk(tmp_path)
    calls = _wire(k, [(False, "Đã quá 60 giây kể từ khi lấy số A001 nên không in lại được phiếu.", "late", False)])
    assert "reprint" not in _tiles(k.flow.snapshot())  # nothing issued here yet
    assert k.flow.choose("svc:HT")["state"] == "ticket"
    k.flow.choose("done")
    snap = enter_live(k, PERSON, CENTRE)
    assert snap["state"] == "present" and "reprint" in _tiles(snap)
    refused = k.flow.choose("reprint")
    assert len(calls) == 1 and refused["notice"]["code"] == "reprint_refused" and refused["notice"]["kind"] == "error"
    assert "reprint" not in _tiles(refused)  # refused for good: not offered again


def test_no_tile_after_the_window(tmp_path):
    k = make_kiosk(tmp_path)
    _wire(k, [])
    assert k.flow.choose("svc:HT")["state"] == "ticket"
    assert "reprint" in _tiles(k.flow.snapshot())
    k.t += 61  # the flow's clock: a minute and a second later
    assert "reprint" not in _tiles(k.flow.snapshot())


def test_not_offered_when_not_wired(tmp_path):
    k = make_kiosk(tmp_path)
    assert k.flow.choose("svc:HT")["state"] == "ticket"
    assert "reprint" not in _tiles(k.flow.snapshot())

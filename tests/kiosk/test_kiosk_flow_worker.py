"""End to end through a real vision worker process: composed images (testdata/faces photos, generated
CCCD cards) pushed as raw frames, read by zxing-cpp and dlib in the worker, the Observations fed to the
kiosk session in this process. The fast scenario tests are in test_kiosk_flow_camera.py."""
from __future__ import annotations

import logging
import time

from kiosk_testlib import (
    CARD,
    CENTRE,
    EMPTY,
    PERSON,
    View,
    dwell,
    first_visit,
    leave,
    make_kiosk,
    recognised,
    walk,
)


def _tickets(k):
    return [dict(r) for r in k.store.conn().execute("SELECT number, service_code, citizen_key FROM tickets")]


def _worker_gallery(k, expected: int, timeout: float = 10.0) -> int:
    """The worker's gallery size as its pongs report it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = k.vision.worker.worker_stats.get("gallery")
        if n == expected:
            return n
        time.sleep(0.1)
    return k.vision.worker.worker_stats.get("gallery")


def test_first_visit_enrols_then_the_face_is_recognised_through_the_worker(shared_testdata, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    k = make_kiosk(tmp_path, worker=True, testdata=shared_testdata)
    try:
        snap, _, after = first_visit(k, PERSON)
        assert after["state"] == "enrolling"
        assert snap["state"] == "ticket" and snap["ticket"]["number"] == "B001"
        (citizen_id,) = [int(i) for i in k.gallery.identities()]
        assert k.gallery.count(str(citizen_id)) == 3  # encoded in the worker, sent with its observations
        assert _worker_gallery(k, 3) == 3  # and enrolled in the worker's gallery over the pipe
        assert leave(k)["state"] == "idle"
        confirm, snap, pos = recognised(k, PERSON)  # matched in the worker, live, confirmed by the citizen
        assert confirm["via"] == "face" and confirm["citizen"]["name"] == "Trần T. B."
        assert snap["state"] == "services" and snap["via"] == "face"
        walk(k, PERSON, pos, CENTRE)
        snap, _ = dwell(k, PERSON, "svc:HT", CENTRE, until="ticket")
        assert snap["ticket"]["number"] == "A001"
        lookup = k.citizens.lookup_key("079090001234")
        assert [t["citizen_key"] for t in _tickets(k)] == [lookup, lookup]
        stats = k.vision.worker.worker_stats
        assert stats["full"] > 0 and stats["errors"] == 0
    finally:
        k.close()
    for secret in ("079090001234", "Trần Thị Bình", "02031990", "Lê Lợi", CARD):
        assert secret not in caplog.text


def test_cards_through_the_worker_without_faces(tmp_path):
    """No test data needed: a web address refused with its reason, then a card read twice: consent."""
    k = make_kiosk(tmp_path, worker=True, faces_on=False)
    try:
        for _ in range(4):
            snap = k.feed(EMPTY)
        assert snap["state"] == "idle"
        for _ in range(4):  # the first frame may fall between two presence checks
            snap = k.feed(View(card="https://dichvucong.gov.vn/p/home/dvc-trang-chu.html"))
        assert snap["state"] == "present" and snap["notice"]["code"] == "url"
        for _ in range(4):
            snap = k.feed(View(card=CARD))
            if snap["state"] == "consent":
                break
        assert snap["state"] == "consent" and snap["citizen"]["id"] == "0790******34"
        _until_stats = time.monotonic() + 5
        while k.vision.worker.worker_stats.get("full", 0) < 4 and time.monotonic() < _until_stats:
            time.sleep(0.05)
        assert k.vision.worker.worker_stats["full"] >= 4  # the card frames got the QR ladder
    finally:
        k.close()

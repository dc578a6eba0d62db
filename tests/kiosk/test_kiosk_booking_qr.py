"""The booking's QR at the kiosk: a real QR image (the confirmation's payload, KIOSK-BOOKING:CODE) read by
kiosk/vision/qr.py with the prefixes the kiosk's worker is given, fed to the session flow as the label of a
frame. The QR selects the booking; the card shown next must be the booking's (ID number and name) to check
it in. Real store, queue engine and citizens' registry."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import qrcode
from kiosk_testlib import CARD, CARD_ELDER, CENTRE, OTHER, View, dwell, enter_live, make_kiosk

from kiosk.config import Config
from kiosk.config.vision import vision_config
from kiosk.queue.appointments import booking_qr_payload
from kiosk.session.setup import worker_settings
from kiosk.vision.qr import read_cccd

ID_NUMBER = "079090001234"  # CARD: Trần Thị Bình


def _qr_frame(text: str) -> np.ndarray:
    """A 960x540 grey room with the QR (as a phone shows it) in the lower left."""
    img = np.asarray(qrcode.make(text, box_size=6, border=4).convert("L"), dtype=np.uint8)
    frame = np.full((540, 960), 120, dtype=np.uint8)
    frame[300:300 + img.shape[0], 60:60 + img.shape[1]] = img
    return frame


def _label(text: str) -> str | None:
    prefixes = worker_settings(vision_config(Config.from_dict({}), env={})).text_prefixes
    scan = read_cccd(_qr_frame(text), keep_prefixes=tuple(p.encode() for p in prefixes))
    assert scan.record is None
    return scan.other


def _book(k, name: str = "Trần Thị Bình", service: str = "DD"):
    slot = datetime.fromtimestamp(k.clock.now(), k.clock.tz).replace(second=0, microsecond=0) + timedelta(minutes=60)
    slot = slot.replace(minute=slot.minute - slot.minute % 15)
    appt = k.flow.appointments.book(service, slot, lookup=k.citizens.lookup_key(ID_NUMBER),
                                    holder=k.citizens.holder_key(ID_NUMBER, name))
    k.clock.advance(slot.timestamp() - k.clock.now() - 10 * 60)  # the check-in window is open
    return appt


def _show_booking_qr(k, code: str) -> dict:
    label = _label(booking_qr_payload(code))
    assert label == f"KIOSK-BOOKING:{code}"
    enter_live(k, OTHER)
    k.t += 0.2
    k.clock.advance(0.2)
    k.flow.on_observation(replace(k.vision.observe(View(OTHER, CENTRE), k.t), label=label))
    return k.flow.snapshot()


def _show_card(k, card: str = CARD) -> dict:
    for _ in range(3):
        snap = k.feed(View(OTHER, CENTRE, card=card))
    if snap["state"] == "consent":
        snap, _ = dwell(k, OTHER, "consent:no", CENTRE)
    return snap


def _state(k, code: str) -> str:
    return k.store.conn().execute("SELECT state FROM appointments WHERE code = ?", [code]).fetchone()[0]


def test_the_booking_qr_then_its_card_checks_the_booking_in(tmp_path):
    k = make_kiosk(tmp_path)
    appt = _book(k)
    snap = _show_booking_qr(k, appt.code)
    assert snap["state"] == "present" and snap["notice"]["code"] == "booking_qr_read"
    assert snap["notice"]["vi"].startswith("Đã đọc mã lịch hẹn. Mời Quý khách đưa mã QR trên thẻ căn cước/CCCD")
    assert appt.code not in str(snap)  # the code is not shown back
    snap = _show_card(k)
    assert snap["state"] == "ticket" and snap["ticket"]["service"] == "DD"
    assert snap["ticket"]["priority"] == "appointment"
    assert _state(k, appt.code) == "checked_in"


def test_the_booking_qr_with_another_card_checks_nothing_in(tmp_path):
    k = make_kiosk(tmp_path)
    appt = _book(k)
    _show_booking_qr(k, appt.code)
    snap = _show_card(k, CARD_ELDER)  # someone else's card after her QR (a phone passed on)
    assert snap["state"] in ("services", "priority")
    assert snap["notice"]["code"] == "booking_qr_other_card"
    assert _state(k, appt.code) == "booked"


def test_a_cancelled_or_unknown_booking_qr_is_refused_at_once(tmp_path):
    k = make_kiosk(tmp_path)
    appt = _book(k)
    k.flow.appointments.cancel(appt.code)
    snap = _show_booking_qr(k, appt.code)
    assert snap["notice"]["code"] == "booking_qr_unknown" and snap["notice"]["kind"] == "error"
    # other QR codes are not labels: a URL is still a URL (a card error), never a booking
    assert _label("https://example.org/KIOSK-BOOKING:ABCDEFGHJK") is None

"""What the booking confirmation shows beyond the code: the service's name, the slot as Vietnamese read it
("07:30, thứ Tư 02/12/2026") and the booking's QR (``KIOSK-BOOKING:CODE``, kiosk.queue.appointments) as an SVG
data URL, rendered here so the page needs no QR library. docs/booking.md, "The confirmation"."""
from __future__ import annotations

import base64
import io
from datetime import datetime, tzinfo

from kiosk.queue.appointments import booking_qr_payload

# Monday first, as datetime.weekday() counts; "thứ" lower case inside a phrase
WEEKDAYS_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def when_vi(ts: float, tz: tzinfo) -> str:
    """``07:30, thứ Tư 02/12/2026`` in the centre's time zone."""
    at = datetime.fromtimestamp(ts, tz)
    return f"{at:%H:%M}, {WEEKDAYS_VI[at.weekday()]} {at:%d/%m/%Y}"


def qr_data_url(code: str) -> str:
    """The booking's QR as ``data:image/svg+xml;base64,…`` (img-src allows data:)."""
    import qrcode
    import qrcode.constants
    import qrcode.image.svg

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4,
                       image_factory=qrcode.image.svg.SvgPathFillImage)
    qr.add_data(booking_qr_payload(code))
    out = io.BytesIO()
    qr.make_image().save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def confirmation(appt_api: dict, slot_start: float, service_name: str, tz: tzinfo) -> dict:
    """The booking's API answer with what the confirmation shows."""
    return {**appt_api, "service_name": service_name, "when_vi": when_vi(slot_start, tz),
            "qr": qr_data_url(appt_api["code"])}

"""Kiosk tickets are printed with a QR to the tracking page; a printer out of paper or unplugged is
reported to the kiosk and monitor, and the ticket is still issued (shown on screen instead)."""
from __future__ import annotations

import numpy as np
import zxingcpp
from devices_support import *  # noqa: F403
from devices_support import PUBLIC_URL, bearer, issue, received, sio


def _drain(app) -> None:
    hub = app.extensions["kiosk"].devices
    assert app.extensions["kiosk"].bus.wait_idle(5)
    assert hub.printing.wait_idle(10)


def _qr_text(image) -> str:
    pixels = np.asarray(image.convert("L"))
    found = zxingcpp.read_barcodes(pixels)
    assert found, "no QR code on the printed ticket"
    return found[0].text


def test_kiosk_ticket_prints_with_tracking_qr_showing_position(devices_app, client, tokens, sims):
    printer = sims["printer"]
    first = issue(client, tokens["kiosk"])
    second = issue(client, tokens["kiosk"])
    assert printer.wait_for_jobs(2, timeout=10)
    _drain(devices_app)
    url = _qr_text(printer.jobs[1].image())
    assert url.startswith(PUBLIC_URL + f"/t/{second['id']}/")
    path = url[len(PUBLIC_URL):]

    data = client.get(path).json  # JSON when asked without a browser's Accept
    assert data["number"] == second["number"] and data["state"] == "waiting"
    assert data["position"] == 2 and data["people_ahead"] == 1
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert second["number"] in html and "Số người chờ trước Quý khách" in html and "Thời gian chờ dự kiến" in html

    client.post("/api/v1/counters/1/next", headers=bearer(tokens["officer1"]))
    assert client.get(path).json["position"] == 1  # the first ticket was called
    assert client.get(f"/t/{first['id']}/{path.rsplit('/', 1)[1]}").status_code == 404  # sig is per ticket


def test_paper_out_is_reported_and_ticket_still_issued(devices_app, client, tokens, sims):
    printer = sims["printer"]
    kiosk_socket = sio(devices_app, "/kiosk", tokens["kiosk"])
    monitor = sio(devices_app, "/monitor", tokens["manager"])
    printer.set_state(paper_out=True)
    ticket = issue(client, tokens["kiosk"])  # 201: the citizen has a ticket whatever the printer does
    _drain(devices_app)

    def unprinted(events):
        return any(e.get("unprinted") for e in events)

    events = received(kiosk_socket, "/kiosk", "device_status", until=unprinted)
    failed = next(e for e in events if e.get("unprinted"))
    assert failed["device"] == "printer" and failed["paper_out"] is True and failed["can_print"] is False
    assert failed["message"]  # Vietnamese text for the kiosk screen
    assert failed["unprinted"]["number"] == ticket["number"]
    assert failed["unprinted"]["tracking_url"].startswith(PUBLIC_URL + f"/t/{ticket['id']}/")
    assert any(e.get("paper_out") for e in received(monitor, "/monitor", "device_status"))
    assert printer.jobs == []
    status = client.get("/api/v1/devices/summary", headers=bearer(tokens["kiosk"])).json
    assert status["printer"]["status"] == "paper_out" and status["printer"]["not_printed"] == 1
    assert _printer_row(client, tokens) == ("fault", "Máy in hết giấy")

    printer.set_state(paper_out=False, unplugged=True)  # cable pulled: offline, still no crash
    issue(client, tokens["kiosk"])
    _drain(devices_app)
    assert devices_app.extensions["kiosk"].devices.monitor.latest.status.value == "offline"
    assert _printer_row(client, tokens) == ("offline", "Máy in không kết nối")

    printer.set_state(unplugged=False)
    back = received(monitor, "/monitor", "device_status", until=lambda e: any(x.get("status") == "online" for x in e))
    assert any(x.get("status") == "online" for x in back)
    assert _printer_row(client, tokens)[0] == "online"
    issue(client, tokens["kiosk"])
    assert printer.wait_for_jobs(1, timeout=10)


def _printer_row(client, tokens) -> tuple[str, str]:
    """The PC printer's state and detail on the health board (GET /api/v1/devices)."""
    rows = client.get("/api/v1/devices", headers=bearer(tokens["manager"])).json
    row = next(r for r in rows if r["id"] == "printer:pc")
    assert row["kind"] == "printer" and row["last_seen"] is not None
    return row["state"], row["detail"]


def test_counter_issued_ticket_is_not_printed_at_the_kiosk(devices_app, client, tokens, sims):
    officer_ticket = client.post("/api/v1/tickets", json={"service": "HT"}, headers=bearer(tokens["officer1"]))
    assert officer_ticket.status_code == 201
    _drain(devices_app)
    assert sims["printer"].jobs == []

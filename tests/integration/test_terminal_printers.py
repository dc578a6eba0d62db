"""A printer per terminal: a ticket prints at the terminal where it was issued, and a terminal whose printer
is out of paper is the only one that shows its tickets on screen (with the tracking QR)."""
from __future__ import annotations

from devices_support import *  # noqa: F403
from devices_support import bearer, issue, received, sio, wait_for

from hardware.printer.simulator import PrinterSimulator
from kiosk.accounts.registry import create_token, token_principal


def _terminal(kiosk, token: str) -> int:
    return token_principal(kiosk.store.conn(), token).id


def test_each_terminal_prints_at_its_own_printer(devices_app, client, tokens, sims):
    kiosk = devices_app.extensions["kiosk"]
    mine, theirs = PrinterSimulator.pty().start(), PrinterSimulator.pty().start()
    try:
        with kiosk.store.transaction() as conn:
            t1, t2 = create_token(conn, "kiosk", label="Kiosk A"), create_token(conn, "kiosk", label="Kiosk B")
        admin = bearer(tokens["admin"])
        for token, sim in ((t1, mine), (t2, theirs)):
            r = client.put(f"/api/v1/kiosk/terminals/{_terminal(kiosk, token)}", json={"printer_url": sim.url},
                           headers=admin)
            assert r.status_code == 200 and r.json["printer_url"] == sim.url
        bad = client.put(f"/api/v1/kiosk/terminals/{_terminal(kiosk, t1)}", json={"printer_url": "ftp://x"},
                         headers=admin)
        assert bad.status_code == 422
        assert client.put(f"/api/v1/kiosk/terminals/{_terminal(kiosk, t1)}", json={"camera": "browser"},
                          headers=bearer(tokens["manager"])).status_code == 403
        sock1, sock2 = sio(devices_app, "/kiosk", t1), sio(devices_app, "/kiosk", t2)
        first = issue(client, t1)
        second = issue(client, t2)
        assert first["printer"]["ok"] and second["printer"]["ok"]
        assert mine.wait_for_jobs(1, timeout=10) and theirs.wait_for_jobs(1, timeout=10)
        assert sims["printer"].jobs == []  # the centre's default printer printed none of them

        mine.set_state(paper_out=True)
        station = kiosk.terminals.get(_terminal(kiosk, t1)).printer
        station.monitor.poll()
        assert wait_for(lambda: not station.ok, 5)
        third = issue(client, t1)
        assert third["printer"] == {"ok": False}
        assert third["tracking_url"].startswith(f"/t/{third['id']}/")
        qr = client.get(third["tracking_url"] + "/qr.svg")
        assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
        assert client.get(f"/t/{third['id']}/0000000000000000/qr.svg").status_code == 404
        fourth = issue(client, t2)
        assert fourth["printer"] == {"ok": True}
        assert theirs.wait_for_jobs(2, timeout=10)
        assert len(mine.jobs) == 1

        events = received(sock1, "/kiosk", "device_status", until=lambda e: any(x.get("unprinted") for x in e))
        assert any(x.get("unprinted", {}).get("number") == third["number"] for x in events)
        others = received(sock2, "/kiosk", "device_status", timeout=1.0)
        assert not any(x.get("paper_out") or x.get("unprinted") for x in others), others

        listing = client.get("/api/v1/kiosk/terminals", headers=bearer(tokens["manager"])).json["terminals"]
        by_name = {t["name"]: t for t in listing}
        assert by_name["Kiosk A"]["running"]["printer_ok"] is False
        assert by_name["Kiosk B"]["running"]["printer_ok"] is True
        assert client.get("/api/v1/kiosk/terminals", headers=bearer(t1)).status_code == 403
    finally:
        mine.stop()
        theirs.stop()

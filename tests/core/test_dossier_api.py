"""The officer's desk over HTTP (issue 13): POST /tickets/ID/dossier, GET /counters/N/desk (the booking's time
and the masked name, made on the server), and the managers' ticket list GET /reports/tickets with its
downloads, which agrees with GET /events."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from core_fixtures import MORNING, bearer

CODE = "000.00.12.H26-241202-0001"
DAY = MORNING.date().isoformat()


def _issue(client, tokens, service="HT"):
    r = client.post("/api/v1/tickets", json={"service": service}, headers=bearer(tokens["kiosk"]))
    assert r.status_code == 201
    return r.json


def _booked_ticket(app, clock):
    """A citizen reads their card at the kiosk (sealed record), books 08:15 and checks in with the card."""
    kiosk = app.extensions["kiosk"]
    ref = kiosk.citizens.remember_card({"id_number": "001099012345", "full_name": "NGUYỄN VĂN AN",
                                        "date_of_birth": "1980-01-02"})
    appt = kiosk.appointments.book("HT", MORNING + timedelta(minutes=15), lookup=ref.lookup)
    return kiosk.appointments.check_in(appt, citizen_key=ref.lookup).ticket


def test_officer_notes_the_ticket_at_the_counter(app, client, tokens, clock):
    h = bearer(tokens["officer1"])
    t = _issue(client, tokens)
    assert client.post("/api/v1/counters/1/next", headers=h).json["ticket"]["id"] == t["id"]
    url = f"/api/v1/tickets/{t['id']}/dossier"
    r = client.post(url, json={"code": CODE.lower(), "note": "thiếu  bản sao"}, headers=h)
    assert r.status_code == 200, r.json
    assert r.json == {"ticket_id": t["id"], "dossier_code": CODE, "note": "thiếu bản sao"}
    assert client.post(url, json={"note": ""}, headers=h).json == {"ticket_id": t["id"], "dossier_code": CODE,
                                                                   "note": ""}
    # refusals: bad values (422), another counter's officer (409), a kiosk (403), an empty body
    bad = client.post(url, json={"code": "mã 1"}, headers=h)
    assert bad.status_code == 422 and bad.json["error"]["code"] == "invalid_dossier_code"
    assert bad.json["error"]["message_vi"].startswith("Mã hồ sơ gồm 3 đến 40 ký tự")
    assert client.post(url, json={"note": "x" * 201}, headers=h).json["error"]["code"] == "invalid_note"
    other = client.post(url, json={"code": "X-1"}, headers=bearer(tokens["officer3"]))
    assert other.status_code == 409 and other.json["error"]["code"] == "note_refused"
    assert other.json["error"]["message_vi"] == \
        f"Số {t['number']} được phục vụ tại quầy 1, không phải quầy của Quý khách: không ghi được mã hồ sơ."
    assert client.post(url, json={"code": "X-1"}, headers=bearer(tokens["kiosk"])).status_code == 403
    assert client.post(url, json={"code": "X-1"}, headers=bearer(tokens["manager"])).status_code == 403
    for body in ({}, {"code": "X-1", "extra": 1}, {"code": 5}):
        assert client.post(url, json=body, headers=h).status_code == 422
    assert client.post("/api/v1/tickets/999999/dossier", json={"code": "X-1"}, headers=h).status_code == 404
    assert client.post(url, json={"code": "X-1"}, headers=bearer(tokens["admin"])).status_code == 200
    # the desk shows it; after the finish it is the recent ticket for 10 minutes, then not
    client.post("/api/v1/counters/1/start", headers=h)
    desk = client.get("/api/v1/counters/1/desk", headers=h).json
    assert desk["current"]["id"] == t["id"] and desk["current"]["dossier_code"] == "X-1"
    assert desk["current"]["appointment"] is None and desk["current"]["citizen"] is None
    client.post("/api/v1/counters/1/finish", headers=h)
    desk = client.get("/api/v1/counters/1/desk", headers=h).json
    assert desk["current"] is None and desk["recent"]["id"] == t["id"] and desk["recent"]["notable_until"]
    assert client.post(url, json={"code": CODE}, headers=h).status_code == 200
    clock.advance(601)
    assert client.get("/api/v1/counters/1/desk", headers=h).json["recent"] is None
    late = client.post(url, json={"code": "X-2"}, headers=h)
    assert late.status_code == 409 and "quá 10 phút" in late.json["error"]["message_vi"]
    assert client.get("/api/v1/counters/1/desk", headers=bearer(tokens["officer3"])).status_code == 403


def test_the_desk_shows_the_booking_time_and_the_masked_name_only(app, client, tokens, clock):
    h = bearer(tokens["officer1"])
    booked = _booked_ticket(app, clock)
    assert client.post("/api/v1/counters/1/next", headers=h).json["ticket"]["id"] == booked.id
    r = client.get("/api/v1/counters/1/desk", headers=h)
    assert r.status_code == 200
    current = r.json["current"]
    assert current["appointment"]["time"] == "08:15" and current["appointment"]["slot_start"].endswith("+07:00")
    assert current["citizen"] == {"name": "NGUYỄN V. A."}
    text = r.get_data(as_text=True)
    assert "001099012345" not in text and "VĂN AN" not in text and "1980" not in text
    # the queue snapshot, which every kiosk receives, carries none of it
    snap = client.get("/api/v1/queue", headers=bearer(tokens["kiosk"])).get_data(as_text=True)
    assert "NGUYỄN" not in snap and "slot_start" not in snap
    # a card-identified walk-in: the masked name, no appointment
    client.post("/api/v1/counters/1/start", headers=h)
    client.post("/api/v1/counters/1/finish", headers=h)
    kiosk = app.extensions["kiosk"]
    ref = kiosk.citizens.remember_card({"id_number": "001099054321", "full_name": "Trần Thị Bích"})
    walk_in = kiosk.engine.issue_ticket("HT", citizen_key=ref.lookup).ticket
    assert client.post("/api/v1/counters/1/next", headers=h).json["ticket"]["id"] == walk_in.id
    current = client.get("/api/v1/counters/1/desk", headers=h).json["current"]
    assert current["citizen"] == {"name": "Trần T. B."} and current["appointment"] is None
    # each showing audited once per officer and ticket, however often the console re-reads it
    client.get("/api/v1/counters/1/desk", headers=h)
    audit = [tuple(r) for r in kiosk.store.conn().execute(
        "SELECT action, citizen_id, detail FROM audit_log WHERE action = 'masked_name' ORDER BY id")]
    assert [(a, d) for a, _, d in audit] == [("masked_name", f"ticket {booked.id}"),
                                             ("masked_name", f"ticket {walk_in.id}")]
    assert audit[1][1] == ref.id


def test_the_ticket_list_agrees_with_the_event_log_and_downloads(app, client, tokens, clock):
    h, m = bearer(tokens["officer1"]), bearer(tokens["manager"])
    tickets = [_issue(client, tokens) for _ in range(3)]
    for i, t in enumerate(tickets[:2]):
        client.post("/api/v1/counters/1/next", headers=h)
        client.post("/api/v1/counters/1/start", headers=h)
        clock.advance(120)
        client.post(f"/api/v1/tickets/{t['id']}/dossier", json={"code": f"HS-{i + 1}", "note": "bổ sung"}, headers=h)
        client.post("/api/v1/counters/1/finish", headers=h)
    r = client.get(f"/api/v1/reports/tickets?from={DAY}&to={DAY}", headers=m)
    assert r.status_code == 200, r.json
    rows = r.json["rows"]
    assert [x["number"] for x in rows] == [t["number"] for t in tickets]
    assert [x["dossier_code"] for x in rows] == ["HS-1", "HS-2", None]
    events = client.get("/api/v1/events?limit=1000", headers=m).json
    for row in rows:
        mine = [e for e in events if e["ticket_id"] == row["id"]]
        by_type = {}
        for e in mine:
            by_type.setdefault(e["type"], e)
        noted = [e for e in mine if e["type"] == "ticket_noted"]
        assert row["dossier_code"] == (noted[-1]["dossier_code"] if noted else None)
        assert row["note"] == (noted[-1]["note"] if noted else "")
        assert (row["counter"], row["outcome"]) == ((1, "done") if noted else (None, "waiting"))
        if "ticket_finished" in by_type:
            assert row["service_s"] == round(by_type["ticket_finished"]["at"] - by_type["ticket_started"]["at"], 1)
            assert row["wait_s"] == round(by_type["ticket_called"]["at"] - by_type["ticket_issued"]["at"], 1)
    report = client.get(f"/api/v1/reports?from={DAY}&to={DAY}&by=service", headers=m).json
    assert report["total"]["dossiers"] == 2
    assert "Số phiếu có mã hồ sơ" in client.get(f"/api/v1/reports?from={DAY}&to={DAY}&format=csv",
                                                 headers=m).get_data(as_text=True)
    # downloads: the same rows, Vietnamese titles
    got = client.get(f"/api/v1/reports/tickets?from={DAY}&to={DAY}&format=csv", headers=m)
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert f'filename="danh-sach-so-{DAY}.csv"' in got.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(got.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][:3] == ["Ngày", "Số thứ tự", "Lĩnh vực"] and "Mã hồ sơ" in table[0]
    assert len(table) == 4 and table[1][table[0].index("Mã hồ sơ")] == "HS-1"
    xlsx = client.get(f"/api/v1/reports/tickets?from={DAY}&to={DAY}&service=HT&format=xlsx", headers=m)
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert "HS-2" in values and "bổ sung" in values
    # only managers (and admins); bad parameters are 400s
    assert client.get(f"/api/v1/reports/tickets?from={DAY}&to={DAY}", headers=h).status_code == 403
    for q in ("", f"from={DAY}", f"from={DAY}&to=2026-12-31", f"from={DAY}&to={DAY}&service=NOPE",
              f"from={DAY}&to={DAY}&format=pdf", f"from=2026-11-24&to={DAY}"):
        assert client.get(f"/api/v1/reports/tickets?{q}", headers=m).status_code == 400, q


def test_the_openapi_document_describes_the_new_routes(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/tickets/{id}/dossier", "/counters/{n}/desk", "/reports/tickets"} <= set(paths)
    body = paths["/tickets/{id}/dossier"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"code", "note"} and body["properties"]["code"]["maxLength"] == 40

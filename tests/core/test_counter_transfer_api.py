"""Transfer to one counter over HTTP (issue 13): POST /tickets/ID/transfer {"counter": N} (with or without
"service"), its refusals in Vietnamese, the snapshot's `directed` list, and the call that only counter N makes.

Demo catalogue: counter 1 serves HT then CT, 2 pools HT and CT, 3 serves DD and XD, 6 serves LD, KD, HT.
"""
from __future__ import annotations

from core_fixtures import bearer


def _issue(client, tokens, service="HT"):
    r = client.post("/api/v1/tickets", json={"service": service}, headers=bearer(tokens["kiosk"]))
    assert r.status_code == 201
    return r.json


def test_officer_transfers_to_counter_2_which_alone_calls_it_next(client, tokens):
    o1, admin = bearer(tokens["officer1"]), bearer(tokens["admin"])
    first, second = _issue(client, tokens), _issue(client, tokens)
    assert client.post("/api/v1/counters/1/next", json={}, headers=o1).json["ticket"]["id"] == first["id"]
    r = client.post(f"/api/v1/tickets/{first['id']}/transfer", json={"counter": 2}, headers=o1)
    assert r.status_code == 200, r.json
    t = r.json["ticket"]
    assert (t["state"], t["service"], t["target_counter"], t["target_from"]) == ("waiting", "HT", 2, 1)
    snap = client.get("/api/v1/queue", headers=admin).json
    views = {c["number"]: c for c in snap["counters"]}
    assert [(d["number"], d["from_counter"]) for d in views[2]["directed"]] == [(first["number"], 1)]
    assert views[6]["directed"] == []
    # counter 6 serves HT too, but is not the one it was sent to: it gets the next ticket of the queue
    assert client.post("/api/v1/counters/6/next", json={}, headers=admin).json["ticket"]["id"] == second["id"]
    assert client.post("/api/v1/counters/2/next", json={}, headers=admin).json["ticket"]["id"] == first["id"]
    events = client.get("/api/v1/events?since=0&limit=1000", headers=bearer(tokens["manager"])).json
    moved = [e for e in events if e["type"] == "ticket_transferred"][-1]
    assert (moved["from"], moved["to"], moved["to_counter"], moved["counter"]) == ("HT", "HT", 2, 1)


def test_service_and_counter_together(client, tokens):
    o1 = bearer(tokens["officer1"])
    t = _issue(client, tokens)
    r = client.post(f"/api/v1/tickets/{t['id']}/transfer", json={"service": "DD", "counter": 3}, headers=o1)
    assert r.status_code == 200 and (r.json["ticket"]["service"], r.json["ticket"]["target_counter"]) == ("DD", 3)
    # a later transfer to a service alone clears the direction
    r = client.post(f"/api/v1/tickets/{t['id']}/transfer", json={"service": "HT"}, headers=o1)
    assert r.status_code == 200 and r.json["ticket"]["target_counter"] is None


def test_refusals_are_specific_vietnamese_and_change_nothing(client, tokens):
    o1, o3 = bearer(tokens["officer1"]), bearer(tokens["officer3"])
    t = _issue(client, tokens)
    path = f"/api/v1/tickets/{t['id']}/transfer"
    r = client.post(path, json={"counter": 3}, headers=o1)  # counter 3 serves DD and XD, not HT
    assert r.status_code == 422 and r.json["error"]["code"] == "transfer_counter_not_serving"
    assert r.json["error"]["message_vi"].startswith("Quầy 3 không phục vụ lĩnh vực Tư pháp")
    assert t["number"] in r.json["error"]["message_vi"]
    r = client.post(path, json={"counter": 99}, headers=o1)
    assert r.status_code == 404 and r.json["error"]["code"] == "transfer_no_counter"
    assert r.json["error"]["message_vi"] == f"Không có quầy số 99 để chuyển số {t['number']} đến."
    r = client.post(path, json={}, headers=o1)
    assert r.status_code in (400, 422)
    r = client.post(path, json={"note": "x"}, headers=o1)
    assert r.status_code == 422 and r.json["error"]["message_vi"].startswith("Vui lòng chọn lĩnh vực hoặc quầy")
    for bad in ("2", True, 2.5, [2], -1):
        r = client.post(path, json={"counter": bad}, headers=o1)
        assert 400 <= r.status_code < 500, (bad, r.status_code)
    assert client.get(f"/api/v1/tickets/{t['id']}", headers=o1).json["state"] == "waiting"
    # directed to counter 2: counter 1's officer cannot take it by typing its number
    assert client.post(path, json={"counter": 2}, headers=o1).status_code == 200
    r = client.post("/api/v1/counters/1/call", json={"number": t["number"]}, headers=o1)
    assert r.status_code == 409 and r.json["error"]["message_vi"] == (
        f"Số {t['number']} đã được chuyển đến quầy 2: chỉ quầy 2 gọi số này.")
    r = client.post(path, json={"counter": 2}, headers=o3)
    assert r.status_code == 422 and r.json["error"]["code"] == "transfer_same_counter"


def test_a_paused_target_is_allowed_and_the_ticket_waits_for_it(client, tokens):
    o1, admin = bearer(tokens["officer1"]), bearer(tokens["admin"])
    assert client.post("/api/v1/counters/2/pause", json={"reason": "Nghỉ giải lao"}, headers=admin).status_code == 200
    t = _issue(client, tokens)
    r = client.post(f"/api/v1/tickets/{t['id']}/transfer", json={"counter": 2}, headers=o1)
    assert r.status_code == 200
    assert client.post("/api/v1/counters/1/next", json={}, headers=o1).json["ticket"] is None
    assert client.get(f"/api/v1/tickets/{t['id']}", headers=o1).json["position"] == 1
    assert client.post("/api/v1/counters/2/resume", json={}, headers=admin).status_code == 200
    assert client.post("/api/v1/counters/2/next", json={}, headers=admin).json["ticket"]["id"] == t["id"]

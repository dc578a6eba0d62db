"""The counters' rating tablets in GET /api/v1/devices (and so on the monitor's device tiles): one row per active
``rating`` token, online while its /rate socket is connected, offline with when it left, gone once revoked."""
from __future__ import annotations

from core_fixtures import bearer
from test_sockets import sio

from kiosk.accounts.registry import create_token, revoke_token


def tablets_of(client, tokens) -> dict[str, dict]:
    r = client.get("/api/v1/devices", headers=bearer(tokens["manager"]))
    assert r.status_code == 200
    return {d["id"]: d for d in r.json if d["kind"] == "rating"}


def test_each_counters_tablet_is_listed_with_connected_and_last_seen(app, client, tokens):
    with app.extensions["kiosk"].store.transaction() as conn:
        one = create_token(conn, "rating", 1, "Máy đánh giá quầy 1")
        create_token(conn, "rating", 3)  # no label: named after its counter
        ids = [r[0] for r in conn.execute("SELECT id FROM api_tokens WHERE role = 'rating' ORDER BY counter_number")]
    rows = tablets_of(client, tokens)
    assert list(rows) == [f"rating:{ids[0]}", f"rating:{ids[1]}"]
    first, third = rows[f"rating:{ids[0]}"], rows[f"rating:{ids[1]}"]
    assert first == {"id": f"rating:{ids[0]}", "kind": "rating", "name": "Máy đánh giá quầy 1", "state": "offline",
                     "detail": "Máy đánh giá quầy 1 chưa kết nối từ khi khởi động", "last_seen": None}
    assert third["name"] == "Máy đánh giá quầy 3" and third["state"] == "offline"

    tablet = sio(app, "/rate", auth={"token": one})
    assert tablet.is_connected("/rate")
    first = tablets_of(client, tokens)[f"rating:{ids[0]}"]
    assert first["state"] == "online" and first["detail"] == "Đang kết nối (quầy 1)"
    assert isinstance(first["last_seen"], float)
    assert tablets_of(client, tokens)[f"rating:{ids[1]}"]["state"] == "offline"  # counter 3's is still off

    tablet.disconnect("/rate")
    first = tablets_of(client, tokens)[f"rating:{ids[0]}"]
    assert first["state"] == "offline" and first["detail"] == "Máy đánh giá quầy 1 đã ngắt kết nối"
    assert isinstance(first["last_seen"], float)

    with app.extensions["kiosk"].store.transaction() as conn:
        revoke_token(conn, ids[1])
    assert list(tablets_of(client, tokens)) == [f"rating:{ids[0]}"]  # a revoked tablet is no device any more


def test_the_officer_and_the_kiosk_see_the_tablets_too(app, client, tokens):
    with app.extensions["kiosk"].store.transaction() as conn:
        create_token(conn, "rating", 1)
    for role in ("officer1", "kiosk"):
        r = client.get("/api/v1/devices", headers=bearer(tokens[role]))
        assert r.status_code == 200 and [d["kind"] for d in r.json].count("rating") == 1

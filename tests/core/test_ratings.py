"""Citizens rate a finished visit once, from the ticket's tracking link; the monitor sees satisfaction."""
from __future__ import annotations

import pytest
from core_fixtures import bearer

from kiosk.display.tracking import tracking_path
from kiosk.queue.errors import IllegalTransition, InvalidInput, QueueError
from kiosk.queue.ratings import rate
from kiosk.queue.stats import day_statistics


def finish_one(engine, service="HT", counter=1):
    t = engine.issue_ticket(service).ticket
    engine.call_next(counter)
    engine.start(counter)
    engine.finish(counter)
    return t


def test_rate_once_only_after_service(engine, clock, store):
    waiting = engine.issue_ticket("DD").ticket
    with pytest.raises(IllegalTransition):
        rate(engine, waiting.id, 5)
    t = finish_one(engine)
    assert rate(engine, t.id, 4, "  Cán bộ   nhiệt tình ")["label"] == "Hài lòng"
    with pytest.raises(QueueError) as exc:
        rate(engine, t.id, 1)
    assert exc.value.code == "already_rated"
    for bad in (0, 6, "5", True, None):
        with pytest.raises(InvalidInput):
            rate(engine, finish_one(engine).id, bad)
    late = finish_one(engine)
    clock.advance(25 * 3600)
    with pytest.raises(IllegalTransition):
        rate(engine, late.id, 5)
    assert store.conn().execute("SELECT comment FROM ratings").fetchone()[0] == "Cán bộ nhiệt tình"


def test_satisfaction_in_day_statistics(engine, store, clock):
    for score in (5, 4, 2):
        rate(engine, finish_one(engine).id, score)
    stats = day_statistics(store.conn(), clock)
    ht = stats["services"]["HT"]
    assert ht["ratings"] == 3 and ht["mean_score"] == 3.67 and ht["satisfied_rate"] == 0.667
    assert stats["counters"][1]["ratings"] == 3
    assert stats["totals"]["satisfied_rate"] == 0.667


def test_rating_through_the_tracking_link(app, client, tokens):
    engine = app.extensions["kiosk"].engine
    t = finish_one(engine, "HT", 1)
    path = tracking_path(app.config["SECRET_KEY"], t.id)
    page = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Quý khách có hài lòng" in page and "Rất hài lòng" in page
    assert client.post(path[:-3] + "xyz/rating", data={"score": "5"}).status_code == 404
    r = client.post(path + "/rating", data={"score": "5", "comment": "Nhanh"})
    assert r.status_code == 303 and r.headers["Location"].endswith(path)
    page = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Cảm ơn Quý khách đã đánh giá" in page and "Rất hài lòng" in page
    r = client.post(path + "/rating", json={"score": 3})
    assert r.status_code == 409 and r.json["error"]["code"] == "already_rated"
    stats = client.get("/api/v1/stats", headers=bearer(tokens["manager"])).json
    assert stats["totals"]["ratings"] == 1 and stats["totals"]["mean_score"] == 5

"""The health board on its own (pure Python, an injected clock): transitions raise and clear alerts, a
device first seen in trouble raises one, a failing provider is logged once and skipped, the list is
told again only when something changed; the hall displays' presence as a provider."""
from __future__ import annotations

import logging

import pytest

from kiosk.devices.displays import PUBLIC_ID, PUBLIC_NAME, DisplayPresence
from kiosk.devices.health import LOG_EVERY_S, DeviceAlert, DeviceHealth, HealthBoard


class Clock:
    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class Devices:
    """A provider whose rows the test sets: id -> (state, detail)."""

    def __init__(self, kind: str = "printer", **states: tuple[str, str]) -> None:
        self.kind, self.states, self.seen = kind, dict(states), {}

    def __call__(self) -> list[DeviceHealth]:
        return [DeviceHealth(i, self.kind, f"Thiết bị {i}", s, d, self.seen.get(i)) for i, (s, d) in self.states.items()]


def board_with(*providers, clock=None):
    alerts: list[DeviceAlert] = []
    lists: list[list[DeviceHealth]] = []
    board = HealthBoard(clock or Clock(), on_alert=alerts.append, on_change=lists.append)
    for p in providers:
        board.add_provider(p)
    return board, alerts, lists


def test_offline_raises_an_alert_fault_changes_it_online_clears_it():
    clock = Clock()
    devices = Devices(p1=("online", "Máy in sẵn sàng"))
    board, alerts, _ = board_with(devices, clock=clock)
    board.poll()
    assert alerts == [] and board.alerts() == []

    clock.t += 2
    devices.states["p1"] = ("offline", "Máy in không kết nối")
    board.poll()
    assert [(a.id, a.state, a.active, a.at) for a in alerts] == [("p1", "offline", True, clock.t)]
    assert alerts[0].payload() == {"id": "p1", "kind": "printer", "name": "Thiết bị p1", "state": "offline",
                                   "detail": "Máy in không kết nối", "at": clock.t, "active": True}
    clock.t += 2
    board.poll()  # still offline: nothing new
    assert len(alerts) == 1 and [a.id for a in board.alerts()] == ["p1"]

    clock.t += 2
    devices.states["p1"] = ("fault", "Máy in hết giấy")
    board.poll()
    assert [(a.state, a.detail, a.active) for a in alerts[1:]] == [("fault", "Máy in hết giấy", True)]
    devices.states["p1"] = ("fault", "Nắp máy in đang mở")
    board.poll()  # another trouble of the same device: told, still one active alert
    assert alerts[-1].detail == "Nắp máy in đang mở" and len(board.alerts()) == 1

    clock.t += 2
    devices.states["p1"] = ("online", "Máy in sẵn sàng")
    board.poll()
    assert (alerts[-1].id, alerts[-1].state, alerts[-1].active, alerts[-1].at) == ("p1", "online", False, clock.t)
    assert board.alerts() == []
    count = len(alerts)
    board.poll()
    assert len(alerts) == count


def test_a_device_first_seen_in_trouble_raises_an_alert_and_one_that_is_gone_clears_it():
    clock = Clock()
    devices = Devices(p1=("offline", "Máy in không kết nối"), p2=("online", ""), p3=("offline", "Đang kiểm tra"))
    board, alerts, _ = board_with(devices, clock=clock)
    board.poll()
    assert alerts == []  # starting up: a link may still be coming up, a printer not yet asked
    clock.t += 2
    devices.states["p3"] = ("online", "")  # came up within settle_s: never an alert
    board.poll()
    assert alerts == []
    clock.t += board.settle_s
    board.poll()
    assert [(a.id, a.active, a.at) for a in alerts] == [("p1", True, clock.t)]
    del devices.states["p1"]  # e.g. its terminal was removed
    board.poll()
    assert [(a.id, a.active) for a in alerts] == [("p1", True), ("p1", False)]
    assert board.alerts() == [] and [d.id for d in board.snapshot(max_age_s=0)] == ["p2", "p3"]


def test_a_provider_that_raises_is_logged_once_and_skipped(caplog):
    clock = Clock()
    good = Devices("pager", base=("online", "Đã kết nối"))
    calls = {"n": 0}
    flaky_rows = Devices("led", bus=("online", ""))

    def flaky():
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError("driver gone")
        return flaky_rows()

    board, alerts, _ = board_with(flaky, good, clock=clock)
    board.poll()
    with caplog.at_level(logging.INFO, logger="kiosk.devices.health"):
        for _ in range(20):
            clock.t += 2
            good.states["base"] = ("offline", "Mất kết nối") if clock.t % 4 else ("online", "Đã kết nối")
            rows = board.poll()
            assert {d.id for d in rows} == {"base", "bus"}  # the failing one keeps its last known row
        failures = [r for r in caplog.records if "flaky" in r.getMessage()]
        assert len(failures) == 1 and failures[0].exc_info is not None
        clock.t += LOG_EVERY_S
        board.poll()
        assert len([r for r in caplog.records if "flaky" in r.getMessage()]) == 2
    assert calls["n"] == 22
    assert any(a.id == "base" and a.active for a in alerts) and any(a.id == "base" and not a.active for a in alerts)

    def wrong():
        return [{"id": "x"}]

    board.add_provider(wrong)
    assert {d.id for d in board.poll()} == {"base", "bus"}  # rows of the wrong type count as a failure


def test_a_listener_that_raises_does_not_stop_the_board():
    devices = Devices(p1=("offline", ""))
    board = HealthBoard(Clock(), settle_s=0, on_alert=lambda a: 1 / 0, on_change=lambda d: 1 / 0)
    seen: list[DeviceAlert] = []
    board.add_alert_listener(seen.append)
    board.add_provider(devices)
    board.poll()
    assert [a.id for a in seen] == ["p1"]


def test_devices_are_sorted_by_kind_then_name_and_the_list_is_told_when_it_changed():
    clock = Clock()
    printers = Devices("printer", b=("online", ""), a=("online", ""))
    pager = Devices("pager", base=("online", ""))
    displays = Devices("display", d2=("online", ""))
    board, _, lists = board_with(printers, pager, displays, clock=clock)
    rows = board.poll()
    assert [(d.kind, d.id) for d in rows] == [("display", "d2"), ("printer", "a"), ("printer", "b"), ("pager", "base")]
    assert len(lists) == 1 and [d.id for d in lists[0]] == [d.id for d in rows]
    pager.seen["base"] = clock.t  # only a heartbeat moved: not told before refresh_s
    clock.t += 2
    board.poll()
    assert len(lists) == 1
    clock.t += board.refresh_s
    board.poll()
    assert len(lists) == 2 and lists[1][-1].last_seen == pager.seen["base"]
    board.poll()
    assert len(lists) == 2
    printers.states["a"] = ("online", "Máy in sắp hết giấy")
    board.poll()
    assert len(lists) == 3


def test_snapshot_polls_only_when_the_last_poll_is_old():
    clock = Clock()
    calls = {"n": 0}

    def counted():
        calls["n"] += 1
        return []

    board, _, _ = board_with(counted, clock=clock)
    board.snapshot()
    board.snapshot()
    assert calls["n"] == 1
    clock.t += 1.5
    board.snapshot()
    assert calls["n"] == 2


def test_device_rows_refuse_unknown_kinds_and_states():
    row = DeviceHealth("led:bus", "led", "Bảng LED", "online", "", None)
    assert row.to_api() == {"id": "led:bus", "kind": "led", "name": "Bảng LED", "state": "online", "detail": "",
                            "last_seen": None}
    with pytest.raises(ValueError, match="kind"):
        DeviceHealth("x", "toaster", "", "online", "", None)
    with pytest.raises(ValueError, match="state"):
        DeviceHealth("x", "led", "", "broken", "", None)
    with pytest.raises(ValueError, match="id"):
        DeviceHealth("", "led", "", "online", "", None)


def test_display_presence_counts_sockets_per_display():
    clock = Clock()
    presence = DisplayPresence(clock)
    assert presence.health() == []  # a display never connected is not a device
    presence.connected("s1", "display:7", "Màn hình tầng 1")
    presence.connected("s2", "display:7", "Màn hình tầng 1")
    presence.connected("p1", PUBLIC_ID, PUBLIC_NAME)
    presence.connected("p2", PUBLIC_ID, PUBLIC_NAME)
    rows = {d.id: d for d in presence.health()}
    assert rows["display:7"].state == "online" and rows["display:7"].last_seen == clock.t
    assert rows[PUBLIC_ID].name == PUBLIC_NAME and rows[PUBLIC_ID].detail == "2 màn hình đang kết nối"
    clock.t += 5
    presence.disconnected("s1")
    presence.disconnected("p1")
    presence.disconnected("unknown-sid")
    assert {d.id: d.state for d in presence.health()} == {"display:7": "online", PUBLIC_ID: "online"}
    clock.t += 5
    left = clock.t
    presence.disconnected("s2")
    presence.disconnected("p2")
    clock.t += 60
    rows = {d.id: d for d in presence.health()}
    assert (rows["display:7"].state, rows["display:7"].last_seen) == ("offline", left)
    assert rows[PUBLIC_ID].state == "offline" and rows[PUBLIC_ID].detail == "Không còn màn hình nào kết nối"
    presence.connected("s3", "display:7", "Màn hình tầng 1")
    assert {d.id: d.state for d in presence.health()}["display:7"] == "online"

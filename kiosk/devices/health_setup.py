"""Wiring of the health board: the hub's devices and the hall displays as providers, the /monitor
namespace as its listener, and its poll as a background part of the supervisor.

Other parts add their own devices with ``services.health.add_provider(fn)`` (kiosk terminals and
their cameras and printers); a provider added after the start is polled from the next round on.
"""
from __future__ import annotations

import functools
from typing import Any

from kiosk.devices.displays import DisplayPresence
from kiosk.devices.health import POLL_S, DeviceAlert, DeviceHealth, HealthBoard
from kiosk.devices.providers import led_health, printer_health
from kiosk.pager.health import pager_health
from kiosk.runtime.lifecycle import Supervisor
from kiosk.runtime.tasks import RepeatingTask
from kiosk.texts.vi import page_text

PC_PRINTER_ID = "printer:pc"
PC_PRINTER_NAME = page_text("devices.pc_printer")
MONITOR = "/monitor"


def build_health(services: Any, supervisor: Supervisor, poll_s: float = POLL_S) -> tuple[HealthBoard, DisplayPresence]:
    """The board over ``services.devices`` and a DisplayPresence for /display; its poll is added to
    the supervisor (started after every device it watches, stopped before them)."""
    socketio = services.socketio

    def alert(event: DeviceAlert) -> None:
        socketio.emit("device_alert", event.payload(), namespace=MONITOR)

    def changed(devices: list[DeviceHealth]) -> None:
        socketio.emit("device_health", [d.to_api() for d in devices], namespace=MONITOR)

    board = HealthBoard(on_alert=alert, on_change=changed)
    presence = DisplayPresence()
    hub = services.devices
    if hub is not None and hub.driver is not None:
        board.add_provider(functools.partial(pager_health, hub.link), "pager")
    if hub is not None and hub.led is not None:
        board.add_provider(functools.partial(led_health, hub.led), "led")
    if hub is not None and hub.monitor is not None:
        board.add_provider(functools.partial(printer_health, PC_PRINTER_ID, PC_PRINTER_NAME, hub.monitor), "printer")
    board.add_provider(presence.health, "displays")
    task = RepeatingTask(poll_s, board.poll, "device-health")
    supervisor.add("device-health", task.stop, start=task.start)
    return board, presence

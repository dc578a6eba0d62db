"""Health rows of the devices the hub drives: a ticket printer and the counter LED bus.

``printer_health(device_id, name, monitor)`` works for any printer with a PrinterMonitor (the PC's, or
one per kiosk terminal); ``led_health(bus)`` for the LED bus. They read what the drivers already know
(the monitor's latest status poll, the bus's last write): nothing here touches a device.
"""
from __future__ import annotations

import os
from typing import Any

from hardware.printer.status import STATUS_MESSAGES_VI, PrinterStatus
from kiosk.devices.health import DeviceHealth

LED_ID = "led:bus"
PRINTER_FAULTS = (PrinterStatus.PAPER_OUT, PrinterStatus.COVER_OPEN, PrinterStatus.ERROR)


def printer_health(device_id: str, name: str, monitor: Any) -> list[DeviceHealth]:
    """One printer (``monitor``: a hardware.printer.escpos_printer.PrinterMonitor): online while it
    prints (paper near its end included, said in the detail), fault when it says why it cannot (paper
    out, cover open, cutter or head error, or it reports itself offline), offline when it does not
    answer. Last seen = the last status poll it answered."""
    report = monitor.latest
    seen = monitor.last_answer_at
    if report is None:
        return [DeviceHealth(device_id, "printer", name, "offline", "Đang kiểm tra máy in", seen)]
    status = report.status
    if status in PRINTER_FAULTS:
        state = "fault"
    elif status is PrinterStatus.OFFLINE:
        # a printer that answers "I am offline" is there but stopped (paper fed by the button, ...)
        state = "fault" if report.replies else "offline"
    else:
        state = "online"
    detail = STATUS_MESSAGES_VI[status]
    if status is PrinterStatus.OFFLINE and report.replies:
        detail = "Máy in báo tạm dừng (ngoại tuyến)"
    return [DeviceHealth(device_id, "printer", name, state, detail, seen)]


def led_health(bus: Any) -> list[DeviceHealth]:
    """The LED bus (``bus``: a hardware.led_board.LedBus): boards never answer a write, so its state is
    the last write's outcome; before the first, whether the adapter's device file is there."""
    boards = len(bus.config.boards)
    name = f"Bảng LED quầy ({boards} bảng)"
    url = bus.config.url
    last = bus.last_write
    if last is None:
        if url.startswith("/") and not os.path.exists(url):
            return [DeviceHealth(LED_ID, "led", name, "offline", f"Không thấy bộ chuyển đổi RS-485 {url}", None)]
        return [DeviceHealth(LED_ID, "led", name, "online", "Chưa có lệnh nào từ khi khởi động", None)]
    if last.ok:
        return [DeviceHealth(LED_ID, "led", name, "online", "Lệnh gần nhất đã gửi tới bảng", bus.last_ok_at)]
    return [DeviceHealth(LED_ID, "led", name, "offline", f"Không gửi được lệnh tới bảng LED ({url})",
                         bus.last_ok_at)]

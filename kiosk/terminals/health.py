"""The kiosk terminals as devices for the monitor's health board (kiosk.devices.health): each terminal's
page (kiosk), its camera and its printer.

A terminal is online while one of its pages is connected with its token; its camera is online while
frames come (a browser camera) or the PC camera reads (its worker's observations), a fault when the
page reported its webcam lost or the worker is down, offline before anything is known. A printer is
one entry however many terminals share it.
"""
from __future__ import annotations

from typing import Any

__all__ = ["CAMERA_REASONS_VI", "terminal_health"]

CAMERA_REASONS_VI = {
    "denied": "Chưa được cấp quyền dùng camera trên trình duyệt",
    "not_found": "Không tìm thấy webcam",
    "ended": "Webcam bị rút hoặc ngừng",
    "unsupported": "Trình duyệt không cho dùng camera (cần HTTPS)",
    "no_frames": "Không nhận được hình từ webcam",
    "unavailable": "Webcam không dùng được",
}


def _kiosk_entry(t: Any, DeviceHealth: Any) -> Any:
    connected = len(t.sockets)
    return DeviceHealth(
        id=f"kiosk:{t.id}", kind="kiosk", name=t.name, state="online" if connected else "offline",
        detail=f"{connected} màn hình đang kết nối" if connected else "Không có màn hình nào kết nối",
        last_seen=t.wall() if connected else t.last_seen)


def _camera_entry(t: Any, DeviceHealth: Any) -> Any | None:
    if t.flow is None:
        return None
    report = t.camera_report
    if t.browser:
        if report.ok:
            state, detail = "online", f"Webcam của ki-ốt · {report.frames} khung hình"
        elif report.ok is False:
            state, detail = "fault", CAMERA_REASONS_VI.get(report.reason, "Webcam không dùng được")
        else:
            state, detail = "offline", "Chưa nhận hình từ webcam của ki-ốt"
        return DeviceHealth(id=f"camera:{t.id}", kind="camera", name=f"Camera {t.name}", state=state,
                            detail=detail, last_seen=report.last_frame)
    up = t.worker is not None and t.worker.alive
    ok = up and t.flow.camera_ok
    return DeviceHealth(id=f"camera:{t.id}", kind="camera", name=f"Camera {t.name}",
                        state="online" if ok else "fault",
                        detail=f"Camera {t.camera}" if ok else "Camera không đọc được hình (ki-ốt dùng cảm ứng)",
                        last_seen=t.wall() if ok else None)


def terminal_health(hub: Any, printer_health: Any = None, skip_url: str | None = None) -> list[Any]:
    """Every terminal's kiosk, camera and (once each) printer entry. ``printer_health(device_id, name,
    monitor)`` makes a printer's entry (kiosk.devices.providers); without it printers are left out, as is
    the printer at ``skip_url`` (the centre's own, listed by the devices' provider)."""
    from kiosk.devices.health import DeviceHealth

    out: list[Any] = []
    printers: dict[str, tuple[Any, list[str]]] = {}
    for t in hub.all():
        out.append(_kiosk_entry(t, DeviceHealth))
        camera = _camera_entry(t, DeviceHealth)
        if camera is not None:
            out.append(camera)
        if t.printer is not None:
            printers.setdefault(t.printer.url, (t.printer, []))[1].append(t.name)
    if printer_health is not None:
        from kiosk.devices.printers import printer_device_id

        for url, (station, names) in printers.items():
            if url == skip_url:
                continue
            out.extend(printer_health(f"printer:{printer_device_id(url)}", "Máy in " + ", ".join(names), station.monitor))
    return out

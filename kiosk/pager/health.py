"""The pager base station on the health board: online while the link is up, fault while the base
station refuses our session, offline otherwise (port gone, base silent); last seen = its last frame."""
from __future__ import annotations

from kiosk.devices.health import DeviceHealth
from kiosk.pager.link import PagerLink

DEVICE_ID = "pager:base"
NAME = "Trạm gốc thẻ rung"
FAULT_VI = {
    "UNSUPPORTED_VERSION": "không hỗ trợ phiên bản giao thức của máy chủ",
    "UNKNOWN_TYPE": "không hiểu lệnh mở phiên",
    "BAD_LENGTH": "lệnh mở phiên sai định dạng",
    "BAD_VALUE": "từ chối thông số phiên",
}


def pager_health(link: PagerLink) -> list[DeviceHealth]:
    """The base station's row, or none when no base station is configured."""
    status = link.status()
    if not status["configured"]:
        return []
    port = status["port"] or status["url"] or "tự dò"
    if status["link"] == "up":
        state, detail = "online", f"Đã kết nối (cổng {port})"
    elif status["fault"]:
        why = FAULT_VI.get(status["fault"], f"mã {status['fault']}")
        state, detail = "fault", f"Trạm gốc báo lỗi: {why} (cổng {port})"
    else:
        state, detail = "offline", f"Mất kết nối với trạm gốc (cổng {port})"
    return [DeviceHealth(DEVICE_ID, "pager", NAME, state, detail, status["last_seen"])]

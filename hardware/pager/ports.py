"""Finding the base station again after an unplug: by its udev symlink, else by USB VID:PID."""
from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

# udev gives the base station this name (hardware/udev/99-kiosk-pager.rules).
DEFAULT_SYMLINKS: tuple[str, ...] = ("/dev/kiosk-pager",)
# The base station's USB-UART: a Silicon Labs CP2102N whose product string is programmed to
# "Kiosk Pager Base"; the string tells it apart from other CP210x adapters on the same PC.
DEFAULT_USB_IDS: tuple[tuple[int, int], ...] = ((0x10C4, 0xEA60),)
PRODUCT_HINT = "Kiosk Pager"


def find_port(symlinks: Iterable[str] = DEFAULT_SYMLINKS,
              usb_ids: Iterable[tuple[int, int]] = DEFAULT_USB_IDS,
              product_hint: str = PRODUCT_HINT,
              ports: Iterable[Any] | None = None) -> str | None:
    """Return the device path of the base station, or None when it is not plugged in.

    The first existing path in ``symlinks`` wins. Otherwise the serial ports (``ports``, default
    ``serial.tools.list_ports.comports()``) are searched for a USB VID:PID in ``usb_ids``; a port whose
    product string contains ``product_hint`` is preferred over a bare VID:PID match.
    """
    for link in symlinks:
        if os.path.exists(link):
            return link
    if ports is None:
        from serial.tools import list_ports

        ports = list_ports.comports()
    wanted = {(vid, pid) for vid, pid in usb_ids}
    fallback = None
    for port in ports:
        if (getattr(port, "vid", None), getattr(port, "pid", None)) not in wanted:
            continue
        if product_hint and product_hint.lower() in (getattr(port, "product", None) or "").lower():
            return port.device
        fallback = fallback or port.device
    return fallback

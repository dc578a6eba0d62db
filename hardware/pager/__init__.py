"""Radio pager cards: the PC <-> base-station protocol (firmware_config/serial_protocol.md), the threaded
pyserial driver and a simulator of the base station and its cards. Importing opens no device."""
from __future__ import annotations

from .driver import LINK_DOWN, LINK_UP, STATUS_DELIVERED, STATUS_SENT, STATUS_UNREACHABLE, PagerDriver
from .errors import FrameError, PagerError, PagerLinkError, PagerNakError
from .labels import format_pager_label, parse_pager_label
from .ports import find_port
from .simulator import FaultConfig, PagerSimulator, ReceivedPage

__all__ = [
    "PagerDriver", "PagerSimulator", "FaultConfig", "ReceivedPage", "find_port",
    "PagerError", "FrameError", "PagerLinkError", "PagerNakError",
    "STATUS_SENT", "STATUS_DELIVERED", "STATUS_UNREACHABLE", "LINK_UP", "LINK_DOWN",
    "format_pager_label", "parse_pager_label",
]

"""Exceptions of the pager package: every bad input ends in one of these, with a clear message."""
from __future__ import annotations


class PagerError(Exception):
    """Base class of every error raised by hardware.pager."""


class FrameError(PagerError, ValueError):
    """A frame or message body could not be decoded (bad COBS, CRC, length or field value)."""


class BadValueError(FrameError):
    """A well-formed body with a value outside what the receiver accepts (an unknown config key, a value
    out of range, a reserved id); a receiver answers it with NAK BAD_VALUE, not BAD_LENGTH."""


class PagerNakError(PagerError):
    """The base station refused a request with a NAK; ``code`` is the NakCode."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class PagerLinkError(PagerError):
    """The base station is not reachable (no port, link down, or no answer in time)."""

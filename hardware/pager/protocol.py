"""A byte-fed frame splitter in the style of pyserial's ``serial.threaded.Packetizer``.

Feed it any chunks of bytes with ``data_received``; it splits at 0x00, decodes each block and calls
``handle_frame`` for good frames and ``handle_bad_frame`` for garbage, so one corrupted frame costs
exactly that frame and the next delimiter resynchronises the stream.
"""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod

from .errors import FrameError
from .messages import MAX_ENCODED, Frame, decode_frame

log = logging.getLogger(__name__)


class FrameProtocol(ABC):
    """Splits a byte stream into frames; override ``handle_frame`` (and ``handle_bad_frame``)."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: object | None = None
        self.overflowing = False
        self.frames_ok = 0
        self.frames_bad = 0

    def connection_made(self, transport: object) -> None:
        """Remember the transport and drop any half frame left from an earlier connection."""
        self.transport = transport
        self.buffer.clear()
        self.overflowing = False

    def data_received(self, data: bytes) -> None:
        """Consume a chunk of bytes; calls the handlers for every complete block."""
        start = 0
        while True:
            end = data.find(b"\x00", start)
            if end < 0:
                self._append(data[start:])
                return
            self._append(data[start:end])
            block = bytes(self.buffer)
            overflowed = self.overflowing
            self.buffer.clear()
            self.overflowing = False
            start = end + 1
            if overflowed:
                self._bad(block, FrameError(f"block longer than {MAX_ENCODED} bytes dropped"))
            elif block:  # back-to-back delimiters are idle fill, not errors
                try:
                    frame = decode_frame(block)
                except FrameError as exc:
                    self._bad(block, exc)
                else:
                    self.frames_ok += 1
                    self.handle_frame(frame)

    def _append(self, chunk: bytes) -> None:
        if self.overflowing:
            return
        self.buffer += chunk
        if len(self.buffer) > MAX_ENCODED:
            # Garbage without a delimiter: drop it now so memory stays bounded, resync at the next 0x00.
            self.buffer.clear()
            self.overflowing = True

    def _bad(self, block: bytes, exc: FrameError) -> None:
        self.frames_bad += 1
        self.handle_bad_frame(block, exc)

    def connection_lost(self, exc: BaseException | None) -> None:
        """Forget the transport and any partial frame."""
        self.transport = None
        self.buffer.clear()
        self.overflowing = False

    @abstractmethod
    def handle_frame(self, frame: Frame) -> None:
        """Called with every frame that passed COBS and CRC checks."""

    def handle_bad_frame(self, block: bytes, exc: FrameError) -> None:
        """Called with every block that failed to decode; the default logs at debug level."""
        log.debug("dropped bad frame (%d bytes): %s", len(block), exc)

"""A test's own end of a real serial line to the pager driver or the simulated base station.

``WirePeer.pty()`` makes a pty whose slave the PagerDriver opens (the test plays the base station);
``WirePeer.serial(url)`` opens the simulator's pty with pyserial (the test plays the PC). Either way the
test sees every byte the other side wrote (``raw``), the frames decoded from them by the reference
receiver (hardware.pager.protocol.FrameProtocol), and writes whatever bytes it likes.
"""
from __future__ import annotations

import json
import os
import select
import time
from collections.abc import Callable
from pathlib import Path

import serial

from hardware.pager.errors import FrameError
from hardware.pager.messages import Frame, MsgType, encode_frame
from hardware.pager.protocol import FrameProtocol
from hardware.pager.transports import PtyEnd

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "firmware_config" / "test_vectors" / "frames.json")
                     .read_text(encoding="utf-8"))
BY_NAME = {vector["name"]: vector for vector in VECTORS["frames"]}


def wire(name: str) -> bytes:
    """A golden frame's wire bytes (COBS + trailing 0x00), as in frames.json."""
    return bytes.fromhex(BY_NAME[name]["wire_hex"].replace(" ", ""))


def sent(name: str) -> bytes:
    """What a v1.1 sender writes for a golden frame: one 0x00 before its wire bytes."""
    return b"\x00" + wire(name)


class _Collector(FrameProtocol):
    def __init__(self) -> None:
        super().__init__()
        self.frames: list[Frame] = []
        self.errors: list[FrameError] = []

    def handle_frame(self, frame: Frame) -> None:
        self.frames.append(frame)

    def handle_bad_frame(self, block: bytes, exc: FrameError) -> None:
        self.errors.append(exc)


def collect(data: bytes) -> _Collector:
    """Feed ``data`` to a fresh reference receiver; returns it (``frames``, ``errors``)."""
    collector = _Collector()
    collector.data_received(data)
    return collector


class WirePeer:
    """Reads and writes one end of a pty; never answers anything by itself."""

    def __init__(self, fd: int, write: Callable[[bytes], object], close: Callable[[], object], url: str) -> None:
        self.fd = fd
        self._write = write
        self._close = close
        self.url = url
        self.raw = bytearray()
        self._rx = _Collector()
        self._seen = 0

    @classmethod
    def pty(cls) -> WirePeer:
        end = PtyEnd()
        end.open()
        assert end.master is not None
        return cls(end.master, end.write, end.dispose, end.url)

    @classmethod
    def serial(cls, url: str) -> WirePeer:
        port = serial.Serial(url, 115200, timeout=0)
        return cls(port.fileno(), port.write, port.close, url)

    @property
    def frames(self) -> list[Frame]:
        return self._rx.frames

    def close(self) -> None:
        self._close()

    def send(self, data: bytes) -> None:
        self._write(data)

    def send_frame(self, frame: Frame) -> None:
        """Send one frame the v1.1 way (0x00, COBS, 0x00)."""
        self._write(b"\x00" + encode_frame(frame))

    def poll(self, timeout: float) -> None:
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if ready:
            try:
                data = os.read(self.fd, 4096)
            except (BlockingIOError, OSError):
                return
            self.raw += data
            self._rx.data_received(data)

    def expect(self, match: Callable[[Frame], bool], timeout: float = 3.0, what: str = "frame") -> Frame:
        """The next frame (not returned before) for which ``match`` is true; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            while self._seen < len(self.frames):
                frame = self.frames[self._seen]
                self._seen += 1
                if match(frame):
                    return frame
            remaining = deadline - time.monotonic()
            got = [(f.type, f.seq) for f in self.frames]
            assert remaining > 0, f"no {what} within {timeout} s; got (type, seq) {got}"
            self.poll(min(remaining, 0.05))

    def expect_answer(self, seq: int, timeout: float = 3.0) -> Frame:
        """The ACK or NAK to our frame ``seq``."""
        return self.expect(lambda f: f.type in (MsgType.ACK, MsgType.NAK) and f.seq == seq, timeout,
                           f"answer to seq {seq}")

    def quiet(self, seconds: float) -> None:
        """Keep reading for ``seconds`` (to see that something does NOT come)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.poll(deadline - time.monotonic())

    def wait_bytes(self, data: bytes, timeout: float = 3.0) -> None:
        """Until ``data`` appears in what the other side wrote."""
        deadline = time.monotonic() + timeout
        while data not in self.raw:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{data.hex(' ')} not seen on the wire within {timeout} s"
            self.poll(min(remaining, 0.05))

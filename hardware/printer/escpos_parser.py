"""An incremental parser of the ESC/POS byte stream a ticket printer receives.

Used by the printer simulator to answer status queries and to rebuild the printed raster images,
so tests can compare what reached the "paper" with what was rendered. It knows the lengths of
the common commands, so image data that happens to contain 0x10 0x04 is never mistaken for a
status query.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10

# ESC x n: commands with one parameter byte.
_ESC_ONE = set(b"!-3EGJMRUVadegijlrtv{ ")
_ESC_NONE = set(b"2<@")
_GS_ONE = set(b"!BHIbfhrwaT")
_GS_TWO = set(b"LWP$\\")
_FS_NONE = set(b".&")


@dataclass(frozen=True)
class Raster:
    """One GS v 0 raster image: width in dots, height in dots, packed rows (1 = black)."""

    width: int
    height: int
    mode: int
    data: bytes

    def to_image(self) -> Image.Image:
        """The raster as a mode "1" PIL image, black where the printer burns a dot."""
        # "1;I": a set bit is black, as on the paper.
        return Image.frombytes("1", (self.width, self.height), self.data, "raw", "1;I")


@dataclass
class Event:
    """One command seen in the stream: kind is init, status, raster, cut, text or other."""

    kind: str
    value: object = None


@dataclass
class EscposStreamParser:
    """Feed bytes in any chunking; complete commands come back as :class:`Event` objects."""

    _buf: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[Event]:
        """Add ``data`` and return the events of every command now complete."""
        self._buf += data
        events: list[Event] = []
        while self._buf:
            parsed = self._parse_one()
            if parsed is None:  # incomplete command: wait for more bytes
                break
            length, event = parsed
            del self._buf[:length]
            if event is not None:
                events.append(event)
        return events

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a command."""
        return len(self._buf)

    def _parse_one(self) -> tuple[int, Event | None] | None:
        b = self._buf
        first = b[0]
        if first == DLE:
            return self._dle()
        if first == ESC:
            return self._esc()
        if first == GS:
            return self._gs()
        if first == FS:
            if len(b) < 2:
                return None
            if b[1] in _FS_NONE:
                return 2, Event("other", bytes(b[:2]))
            if b[1] == ord("p"):
                return (4, Event("other", bytes(b[:4]))) if len(b) >= 4 else None
            return 2, Event("other", bytes(b[:2]))
        # Plain text and LF/CR/HT up to the next control introducer.
        end = 0
        while end < len(b) and b[end] not in (DLE, ESC, GS, FS):
            end += 1
        return end, Event("text", bytes(b[:end]))

    def _dle(self) -> tuple[int, Event | None] | None:
        b = self._buf
        if len(b) < 3:
            return None
        if b[1] == 0x04:
            return 3, Event("status", b[2])
        if b[1] == 0x14:  # DLE DC4 fn m t: real-time pulse / power off / clear buffer
            return (5, Event("other", bytes(b[:5]))) if len(b) >= 5 else None
        if b[1] == 0x05:  # DLE ENQ n: real-time request
            return 3, Event("other", bytes(b[:3]))
        return 1, Event("text", bytes(b[:1]))

    def _esc(self) -> tuple[int, Event | None] | None:
        b = self._buf
        if len(b) < 2:
            return None
        cmd = b[1]
        if cmd == ord("@"):
            return 2, Event("init")
        if cmd in _ESC_NONE:
            return 2, Event("other", bytes(b[:2]))
        if cmd == ord("*"):  # ESC * m nL nH d1..dk: column bit image
            if len(b) < 5:
                return None
            dots = b[3] + 256 * b[4]
            size = 5 + dots * (3 if b[2] in (32, 33) else 1)
            return (size, Event("other", b"ESC*")) if len(b) >= size else None
        if cmd == ord("p"):  # ESC p m t1 t2: drawer kick
            return (5, Event("other", bytes(b[:5]))) if len(b) >= 5 else None
        if cmd in (ord("c"), ord("$"), ord("\\")):
            return (4, Event("other", bytes(b[:4]))) if len(b) >= 4 else None
        if cmd in _ESC_ONE:
            return (3, Event("other", bytes(b[:3]))) if len(b) >= 3 else None
        return 2, Event("other", bytes(b[:2]))

    def _gs(self) -> tuple[int, Event | None] | None:
        b = self._buf
        if len(b) < 2:
            return None
        cmd = b[1]
        if cmd == ord("v"):  # GS v 0 m xL xH yL yH d1..dk
            if len(b) < 8:
                return None
            xbytes, height = b[4] + 256 * b[5], b[6] + 256 * b[7]
            size = 8 + xbytes * height
            if len(b) < size:
                return None
            return size, Event("raster", Raster(xbytes * 8, height, b[3], bytes(b[8:size])))
        if cmd == ord("V"):  # GS V m [n]: cut
            if len(b) < 3:
                return None
            size = 3 if b[2] in (0, 1, 48, 49) else 4
            return (size, Event("cut", b[2])) if len(b) >= size else None
        if cmd in (ord("("), ord("8")):  # GS ( fn pL pH data, GS 8 L p1..p4 data
            if cmd == ord("(") and len(b) >= 5:
                size = 5 + b[3] + 256 * b[4]
            elif cmd == ord("8") and len(b) >= 7:
                size = 7 + int.from_bytes(b[3:7], "little")
            else:
                return None
            return (size, Event("other", bytes(b[:2]))) if len(b) >= size else None
        if cmd == ord("k"):  # GS k m ...: barcode, NUL-terminated (m<=6) or counted (m>=65)
            if len(b) < 3:
                return None
            if b[2] <= 6:
                end = b.find(b"\x00", 3)
                return (end + 1, Event("other", b"GSk")) if end >= 0 else None
            if len(b) < 4:
                return None
            size = 4 + b[3]
            return (size, Event("other", b"GSk")) if len(b) >= size else None
        if cmd in _GS_TWO:
            return (4, Event("other", bytes(b[:4]))) if len(b) >= 4 else None
        if cmd in _GS_ONE:
            return (3, Event("other", bytes(b[:3]))) if len(b) >= 3 else None
        return 2, Event("other", bytes(b[:2]))


def stack_rasters(rasters: list[Raster]) -> Image.Image:
    """Join raster fragments top to bottom into one mode "1" image (how the paper shows them)."""
    if not rasters:
        raise ValueError("no raster images to stack")
    width = max(r.width for r in rasters)
    out = Image.new("1", (width, sum(r.height for r in rasters)), 1)
    y = 0
    for raster in rasters:
        out.paste(raster.to_image(), (0, y))
        y += raster.height
    return out

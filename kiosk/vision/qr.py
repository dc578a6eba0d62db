"""Find and read the CCCD QR code in a camera frame.

zxing-cpp does the work: it returns the symbol's raw bytes (no charset guessing: the bytes are
decoded as strict UTF-8 by :func:`kiosk.vision.cccd.parse_cccd`), finds small, rotated,
tilted and mirrored symbols by itself, and reads a 1280x720 frame in about 1 ms. When the plain
pass reads no card, a short ladder of cheap image fixes runs (unsharp mask for blur, 2x upscale
for small symbols, both), stopping at the first valid card. Measured on the generated hard cases
(``bench/bench_cccd.py``), each rung adds reads the others miss; zbar (pyzbar) adds none on top of
the ladder, is ~15x slower and, in its default mode, mis-decodes UTF-8 Vietnamese as Shift-JIS, so
it is off by default (``use_zbar=True`` runs it last, in zbar's binary mode, raw bytes only).

Every decoded payload goes through :func:`parse_cccd`; anything that fails (mojibake, a URL, a
VNeID token, a bad field) is a rejection, never a card. Frames stay in memory; nothing is logged.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from kiosk.vision.cccd import CccdError, CccdRecord, parse_cccd

__all__ = ["CccdScan", "QrSymbol", "PASSES", "read_cccd", "read_qr_symbols", "to_gray"]

Corners = tuple[tuple[float, float], ...]


@dataclass(frozen=True, repr=False)
class QrSymbol:
    """One decoded QR symbol: its raw bytes, its 4 corners in frame pixels, who read it and in which pass."""

    data: bytes
    corners: Corners
    decoder: str
    pass_name: str

    def __repr__(self) -> str:
        # The bytes are a citizen's card data: never in a repr.
        return f"QrSymbol(<{len(self.data)} bytes>, decoder={self.decoder!r}, pass={self.pass_name!r})"


@dataclass(frozen=True)
class CccdScan:
    """The outcome of reading one frame.

    ``record`` is the card when a valid CCCD QR was read, else ``error`` says why not: code
    ``no_qr`` (no QR code in view), ``qr_unreadable`` (a QR code is in view but could not be
    decoded: closer, steadier, less glare), or a :data:`kiosk.vision.cccd.REASON_CODES` code for a
    QR that is not a card's (``url``, ``vneid_token``, ``mojibake`` …). ``corners`` locate the QR
    (for the card outline on screen) when one was seen.
    """

    record: CccdRecord | None
    error: CccdError | None
    corners: Corners | None = None
    decoder: str | None = None
    pass_name: str | None = None
    # The text of a QR that is not a card but starts with one of read_cccd's ``keep_prefixes``
    # (e.g. a pager card's label). Never in a repr: it is read from a citizen's hand.
    other: str | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True when a valid card was read."""
        return self.record is not None


def to_gray(frame: np.ndarray) -> np.ndarray:
    """A contiguous uint8 greyscale view of a frame: HxW, HxWx1, HxWx3 (BGR or RGB) or HxWx4.

    Raises ValueError with a clear message for anything else. BGR and RGB give slightly different
    greys, which does not matter to a black-and-white symbol.
    """
    if not isinstance(frame, np.ndarray):
        raise ValueError(f"frame must be a numpy array, not {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise ValueError(f"frame must be uint8 (as OpenCV gives), not {frame.dtype}")
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if frame.ndim == 2:
        gray = frame
    elif frame.ndim == 3 and frame.shape[2] == 3:
        gray = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_BGR2GRAY)
    elif frame.ndim == 3 and frame.shape[2] == 4:
        gray = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_BGRA2GRAY)
    else:
        raise ValueError(f"frame must be HxW, HxWx3 or HxWx4, not shape {frame.shape}")
    if gray.shape[0] < 21 or gray.shape[1] < 21:
        raise ValueError(f"frame of {gray.shape[1]}x{gray.shape[0]} px is too small to hold a QR code")
    return np.ascontiguousarray(gray)


def _unsharp(gray: np.ndarray, sigma: float = 2.0, amount: float = 1.5) -> np.ndarray:
    blurred = cv2.GaussianBlur(gray, (0, 0), sigma)
    return cv2.addWeighted(gray, 1 + amount, blurred, -amount, 0)


def _upscale(gray: np.ndarray) -> np.ndarray:
    return cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)


# (name, image fix, scale of the fixed image relative to the frame). Order = cheapest first.
PASSES: tuple[tuple[str, Callable[[np.ndarray], np.ndarray], float], ...] = (
    ("plain", lambda g: g, 1.0),
    ("sharpen", _unsharp, 1.0),
    ("upscale", _upscale, 2.0),
    ("sharpen_upscale", lambda g: _upscale(_unsharp(g)), 2.0),
)


def _corners(position: object, scale: float) -> Corners:
    points = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)  # type: ignore[attr-defined]
    return tuple((p.x / scale, p.y / scale) for p in points)


def _zxing(gray: np.ndarray, pass_name: str, scale: float) -> tuple[list[QrSymbol], Corners | None]:
    """Decoded QR symbols of one image, and the corners of a QR seen but not decodable (or None)."""
    import zxingcpp  # imported on first use: nothing heavy at import time

    found: list[QrSymbol] = []
    unreadable: Corners | None = None
    for barcode in zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode, return_errors=True):
        if barcode.valid:
            found.append(
                QrSymbol(bytes(barcode.bytes), _corners(barcode.position, scale), "zxing", pass_name)
            )
        elif unreadable is None:
            unreadable = _corners(barcode.position, scale)
    return found, unreadable


def _zbar(gray: np.ndarray) -> list[QrSymbol]:
    """QR symbols read by zbar in binary mode (raw bytes, no Shift-JIS/Big5 guessing).

    Uses pyzbar 0.1.9's internal helpers because its public ``decode`` cannot set zbar options.
    Returns [] when zbar is not installed.
    """
    try:
        from ctypes import c_void_p, cast

        from pyzbar import pyzbar
        from pyzbar.wrapper import (
            ZBarConfig,
            ZBarSymbol,
            zbar_image_scanner_set_config,
            zbar_image_set_data,
            zbar_image_set_format,
            zbar_image_set_size,
            zbar_scan_image,
        )
    except (ImportError, OSError):
        return []
    zbar_cfg_binary = 4  # ZBAR_CFG_BINARY in zbar >= 0.23; pyzbar's enum predates it
    pixels, width, height = pyzbar._pixel_data(gray)
    found: list[QrSymbol] = []
    with pyzbar._image_scanner() as scanner:
        zbar_image_scanner_set_config(scanner, ZBarSymbol.NONE, ZBarConfig.CFG_ENABLE, 0)
        zbar_image_scanner_set_config(scanner, ZBarSymbol.QRCODE, ZBarConfig.CFG_ENABLE, 1)
        zbar_image_scanner_set_config(scanner, ZBarSymbol.QRCODE, zbar_cfg_binary, 1)
        with pyzbar._image() as image:
            zbar_image_set_format(image, pyzbar._FOURCC["L800"])
            zbar_image_set_size(image, width, height)
            zbar_image_set_data(image, cast(pixels, c_void_p), len(pixels), None)
            if zbar_scan_image(scanner, image) < 0:
                return []
            for symbol in pyzbar._decode_symbols(pyzbar._symbols_for_image(image)):
                corners = tuple((float(p.x), float(p.y)) for p in symbol.polygon[:4])
                found.append(QrSymbol(bytes(symbol.data), corners, "zbar", "zbar_binary"))
    return found


def _symbol_passes(
    gray: np.ndarray, passes: int, use_zbar: bool
) -> Iterator[tuple[list[QrSymbol], Corners | None]]:
    for name, fix, scale in PASSES[:passes]:
        yield _zxing(fix(gray), name, scale)
    if use_zbar:
        yield _zbar(gray), None


def read_qr_symbols(
    frame: np.ndarray, *, passes: int = len(PASSES), use_zbar: bool = False
) -> list[QrSymbol]:
    """Every distinct QR symbol any pass decodes in *frame* (no CCCD check), in pass order.

    For tools and measurement; the kiosk uses :func:`read_cccd`, which stops at the first card.
    """
    gray = to_gray(frame)
    seen: set[bytes] = set()
    found: list[QrSymbol] = []
    for symbols, _ in _symbol_passes(gray, passes, use_zbar):
        for symbol in symbols:
            if symbol.data not in seen:
                seen.add(symbol.data)
                found.append(symbol)
    return found


MAX_OTHER_CHARS = 64  # a pager label is ~16 characters; anything longer is not reported


def _other_text(data: bytes, prefixes: tuple[bytes, ...]) -> str | None:
    """The text of a non-card symbol when it starts with one of *prefixes* (strict UTF-8, short)."""
    if not prefixes or len(data) > MAX_OTHER_CHARS or not data.startswith(prefixes):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_cccd(
    frame: np.ndarray,
    *,
    today: datetime.date | None = None,
    passes: int = len(PASSES),
    use_zbar: bool = False,
    keep_prefixes: tuple[bytes, ...] = (),
) -> CccdScan:
    """Read the CCCD QR code in a camera frame (numpy uint8, BGR/RGB/grey, as OpenCV gives).

    Runs the passes of :data:`PASSES` (the first *passes* of them; 1 = plain zxing only, for a
    kiosk that must save CPU), then zbar when *use_zbar*, and returns at the first payload that
    :func:`parse_cccd` accepts. Otherwise the scan's ``error`` says why (see :class:`CccdScan`).

    A symbol that :func:`parse_cccd` refuses but whose bytes start with one of *keep_prefixes*
    (e.g. ``b"PAGER:"``) is not a rejection: its text is returned in ``other`` (a card payload is
    never reported there, since only refused payloads are considered). Raises ValueError for a
    frame that is not an image array.
    """
    gray = to_gray(frame)
    rejected: CccdScan | None = None
    unreadable_at: Corners | None = None
    other: tuple[str, Corners] | None = None
    tried: set[bytes] = set()
    for symbols, unreadable in _symbol_passes(gray, passes, use_zbar):
        unreadable_at = unreadable_at or unreadable
        for symbol in symbols:
            if symbol.data in tried:
                continue
            tried.add(symbol.data)
            try:
                record = parse_cccd(symbol.data, today=today)
            except CccdError as exc:
                text = _other_text(symbol.data, keep_prefixes)
                if text is not None:
                    other = other or (text, symbol.corners)
                else:
                    rejected = rejected or CccdScan(None, exc, symbol.corners, symbol.decoder, symbol.pass_name)
                continue
            return CccdScan(record, None, symbol.corners, symbol.decoder, symbol.pass_name,
                            other[0] if other else None)
        if other is not None and rejected is None:
            break  # a label was read plainly: no card hides behind it, spare the other passes
    if other is not None:
        return CccdScan(None, CccdError("no_qr", "no ID card QR code in view"), other[1], other=other[0])
    if rejected is not None:
        return rejected
    if unreadable_at is not None:
        return CccdScan(
            None, CccdError("qr_unreadable", "a QR code is in view but could not be read"), unreadable_at
        )
    return CccdScan(None, CccdError("no_qr", "no QR code found in the image"))

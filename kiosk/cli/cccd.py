"""``kiosk cccd decode IMAGE...``: read the CCCD QR code of image files, one JSON line per image.

Registered in the ``kiosk`` CLI as ``kiosk.cli.cccd:cccd``. It prints the card's fields in
clear because the operator asked for them; nothing is logged and no image is written anywhere.
"""

from __future__ import annotations

import datetime
import json
import sys
import time
from pathlib import Path
from typing import Any

import click

__all__ = ["DECODE_KEYS", "cccd", "decode_image_file"]

# The keys of every output line, in this order (DESIGN.md).
DECODE_KEYS: tuple[str, ...] = (
    "file",
    "ok",
    "id_number",
    "old_id_number",
    "full_name",
    "date_of_birth",
    "sex",
    "address",
    "issue_date",
    "extra_fields",
    "warnings",
    "error",
    "ms",
)

# A camera still or a phone photo is far smaller; refuse anything bigger before decoding it.
MAX_FILE_BYTES = 50 * 1024 * 1024


def _result(file: str, error: str | None, ms: float, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    line: dict[str, Any] = dict.fromkeys(DECODE_KEYS)
    line.update(file=file, ok=fields is not None, extra_fields=[], warnings=[], error=error, ms=round(ms, 1))
    if fields is not None:
        line.update(fields)
    return line


def decode_image_file(path: str | Path, *, today: datetime.date | None = None) -> dict[str, Any]:
    """Read one image file and return its output line as a dict with exactly :data:`DECODE_KEYS`.

    Never raises for bad input: an unreadable file, a non-image, an image with no QR or with a QR
    that is not a card's gives ``ok: False`` and ``error`` as ``"<code>: <message>"``. ``ms`` is the
    time to decode the image and read the QR code.
    """
    import cv2
    import numpy as np

    from kiosk.vision.qr import read_cccd

    name = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_FILE_BYTES:
            return _result(name, f"file_too_large: {size} bytes (limit {MAX_FILE_BYTES})", 0.0)
        raw = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        return _result(name, f"unreadable_file: {exc.strerror or exc}", 0.0)
    start = time.perf_counter()
    frame = cv2.imdecode(raw, cv2.IMREAD_COLOR) if raw.size else None
    if frame is None:
        return _result(
            name,
            "not_an_image: the file is not an image OpenCV can read",
            (time.perf_counter() - start) * 1000,
        )
    try:
        scan = read_cccd(frame, today=today)
    except ValueError as exc:
        return _result(name, f"bad_image: {exc}", (time.perf_counter() - start) * 1000)
    ms = (time.perf_counter() - start) * 1000
    if scan.record is None:
        error = scan.error
        return _result(name, f"{error.code}: {error.message}" if error else "no_qr", ms)
    return _result(name, None, ms, scan.record.to_json())


@click.group("cccd")
def cccd() -> None:
    """CCCD / căn cước card QR codes."""


@cccd.command("decode")
@click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=True))
def decode(images: tuple[str, ...]) -> None:
    """Read the CCCD QR code of each IMAGE; print one JSON object per image, one per line.

    Exits 0 even when some images hold no valid card (their line has "ok": false and an "error").
    """
    for image in images:
        _write_line(json.dumps(decode_image_file(image), ensure_ascii=False))


def _write_line(line: str) -> None:
    """Write UTF-8 whatever the locale says, so Vietnamese names never fail on a C-locale console."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(line + "\n")
    else:
        buffer.write(line.encode("utf-8") + b"\n")
        buffer.flush()

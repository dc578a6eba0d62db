"""The framed messages between the service and a vision worker process (over the child's stdin/stdout).

One message on the wire::

    b"KVW1" | header length (u32, big-endian) | body length (u32, big-endian) | header | body

The header is a UTF-8 JSON object whose ``"t"`` names the message; binary parts (a JPEG, a raw RGB
frame, face templates, a serialised gallery) travel in the body, named and sized by the header's
``"b": [[name, length], ...]``, in that order. Both sides check the magic and the limits, so a stray
byte on the pipe is a :class:`ProtocolError` at the next message, never a misread one.

Service -> worker: ``config`` (first), ``gallery_set`` (body ``gallery``: kiosk.vision.gallery
``Gallery.to_bytes``), ``gallery_put`` / ``gallery_remove`` (one identity), ``session`` (``active``),
``today`` (``date``), ``reset``, ``ping`` (``id``), ``frame`` (``seq``, ``ts``, ``kind`` "jpeg" or "rgb"
with ``w``/``h``; body ``data``), ``debug`` (test hooks, honoured only with KIOSK_VISION_WORKER_HOOKS=1),
``stop``.

Worker -> service: ``ready``, ``obs`` (an Observation; body ``preview`` and ``tpl``: the templates
encoded since the last observation, per track), ``pong`` (``id``, stats), ``dropped`` / ``skipped``
(``seq``: a pushed frame not processed: busy / the presence gate's rate), ``error`` (``code``,
``message``, ``traceback``, optional ``seq``, ``fatal``), ``log`` (a log record), ``bye``.

Frames and payloads are never logged; a :class:`ProtocolError` names the fault, never the bytes.
Nothing here imports an image library: the service side uses it too.
"""
from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from typing import Any, BinaryIO

import numpy as np

from kiosk.vision.cccd import CccdRecord
from kiosk.vision.observation import FaceView, Observation

__all__ = [
    "FrameError",
    "MAGIC",
    "MAX_BODY",
    "MAX_FRAME_BYTES",
    "MAX_HEADER",
    "ProtocolError",
    "check_jpeg",
    "check_rgb",
    "decode_observation",
    "encode_observation",
    "pack",
    "read_message",
]

MAGIC = b"KVW1"
_PREFIX = struct.Struct(">4sII")
MAX_HEADER = 1 << 20          # JSON headers are small; a longer one means a broken stream
MAX_BODY = 512 << 20          # a gallery of about a million templates
MAX_FRAME_BYTES = 32 << 20    # one pushed frame (a 4K RGB frame is 25 MB)
MAX_FRAME_PIXELS = 40_000_000
TEMPLATE_BYTES = 516          # kiosk.vision.gallery.template_to_bytes

Blobs = dict[str, bytes]


class ProtocolError(ValueError):
    """The byte stream is not a valid message (bad magic, oversized, truncated, bad header)."""


class FrameError(ValueError):
    """A pushed frame that is not an image the worker can read (not a JPEG, truncated, wrong size)."""


def pack(header: dict[str, Any], blobs: Iterable[tuple[str, bytes | bytearray | memoryview]] = ()) -> bytes:
    """One message as bytes (header must be JSON-serialisable; ``"b"`` is set here)."""
    parts = [(name, memoryview(data).cast("B")) for name, data in blobs]
    if parts:
        header = {**header, "b": [[name, len(data)] for name, data in parts]}
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    body_len = sum(len(d) for _, d in parts)
    if len(head) > MAX_HEADER:
        raise ProtocolError(f"message header of {len(head)} bytes is over the limit of {MAX_HEADER}")
    if body_len > MAX_BODY:
        raise ProtocolError(f"message body of {body_len} bytes is over the limit of {MAX_BODY}")
    return b"".join([_PREFIX.pack(MAGIC, len(head), body_len), head, *(bytes(d) for _, d in parts)])


def _read_exact(stream: BinaryIO, n: int, what: str, at_start: bool = False) -> bytes | None:
    chunks: list[bytes] = []
    got = 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            if at_start and got == 0:
                return None
            raise ProtocolError(f"stream ended inside a message ({what}: {got} of {n} bytes)")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks) if len(chunks) != 1 else chunks[0]


def read_message(stream: BinaryIO) -> tuple[dict[str, Any], Blobs] | None:
    """The next message, or None at a clean end of the stream (between messages).

    Raises ProtocolError for anything else.
    """
    prefix = _read_exact(stream, _PREFIX.size, "prefix", at_start=True)
    if prefix is None:
        return None
    magic, head_len, body_len = _PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise ProtocolError("bad magic: the stream is not framed vision-worker messages")
    if head_len > MAX_HEADER or body_len > MAX_BODY:
        raise ProtocolError(f"message sizes over the limits (header {head_len}, body {body_len})")
    head = _read_exact(stream, head_len, "header")
    body = _read_exact(stream, body_len, "body") if body_len else b""
    try:
        header = json.loads(head.decode("utf-8"))  # type: ignore[union-attr]
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError("message header is not UTF-8 JSON") from None
    if not isinstance(header, dict) or not isinstance(header.get("t"), str):
        raise ProtocolError("message header is not an object with a type \"t\"")
    blobs: Blobs = {}
    spec = header.pop("b", [])
    pos = 0
    try:
        for name, length in spec:
            if not isinstance(name, str) or not isinstance(length, int) or length < 0:
                raise TypeError
            blobs[name] = body[pos:pos + length]  # type: ignore[index]
            pos += length
    except (TypeError, ValueError):
        raise ProtocolError("message header has a bad body layout \"b\"") from None
    if pos != body_len:
        raise ProtocolError(f"message body layout ({pos} bytes) does not match its length ({body_len})")
    return header, blobs


# ------------------------------------------------------------------------------------------------
# pushed frames


def check_jpeg(data: Any) -> bytes:
    """The bytes of a pushed JPEG after the cheap checks (type, size, start and end markers).

    Raises FrameError saying what is wrong. The worker decodes it; a JPEG that passes these checks
    and still does not decode is reported by the worker the same way.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise FrameError(f"a JPEG frame must be bytes, not {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise FrameError("empty frame")
    if len(data) > MAX_FRAME_BYTES:
        raise FrameError(f"frame of {len(data)} bytes is over the limit of {MAX_FRAME_BYTES}")
    if not data.startswith(b"\xff\xd8\xff"):
        raise FrameError("not a JPEG image (no start-of-image marker)")
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise FrameError("truncated JPEG image (no end-of-image marker)")
    return data


def check_rgb(frame: Any) -> np.ndarray:
    """A raw RGB frame (H, W, 3) uint8 as a C-contiguous array; raises FrameError otherwise."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise FrameError("a raw frame must be an RGB uint8 array (H, W, 3)")
    h, w = frame.shape[:2]
    if min(h, w) < 16 or h * w > MAX_FRAME_PIXELS:
        raise FrameError(f"a raw frame of {w}x{h} is too small or too large")
    return np.ascontiguousarray(frame)


# ------------------------------------------------------------------------------------------------
# observations


def _opt_str(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _round(values: Iterable[float], digits: int = 5) -> list[float]:
    return [round(float(v), digits) for v in values]


def encode_observation(obs: Observation, templates: dict[int, list[np.ndarray]] | None = None,
                       extra: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """(header, blobs) of an ``obs`` message. ``templates``: the new templates per track id."""
    from kiosk.vision.gallery import template_to_bytes

    header: dict[str, Any] = {
        "t": "obs", "ts": obs.timestamp, "ok": obs.camera_ok,
        "faces": [[f.track_id, _round(f.box), f.decision, f.liveness, f.accepted, f.identity, f.quality_ok,
                   list(f.quality_reasons), f.templates] for f in obs.faces],
        "card": obs.card.to_json() if obs.card is not None else None,
        "seen": obs.card_seen, "pending": obs.card_pending, "err": obs.card_error,
        "outline": None if obs.card_outline is None else [_round(p) for p in obs.card_outline],
        "size": None if obs.frame_size is None else list(obs.frame_size),
        "ms": round(obs.ms, 2), "fe": obs.face_engine_ok, "label": obs.label, "gated": obs.gated,
        **(extra or {}),
    }
    blobs: list[tuple[str, bytes]] = []
    if obs.preview is not None:
        blobs.append(("preview", bytes(obs.preview)))
    if templates:
        header["tpl"] = [[tid, len(ts)] for tid, ts in templates.items() if ts]
        blobs.append(("tpl", b"".join(template_to_bytes(t) for ts in templates.values() for t in ts)))
    return header, blobs


def decode_observation(header: dict[str, Any], blobs: Blobs) -> tuple[Observation, dict[int, list[np.ndarray]]]:
    """(Observation, new templates per track id) of an ``obs`` message; raises ProtocolError."""
    from kiosk.vision.gallery import GalleryError, template_from_bytes

    try:
        faces = tuple(
            FaceView(int(tid), tuple(float(v) for v in box), str(decision), str(liveness), bool(accepted),
                     None if identity is None else str(identity), bool(quality_ok),
                     tuple(str(r) for r in reasons), int(n))  # type: ignore[arg-type]
            for tid, box, decision, liveness, accepted, identity, quality_ok, reasons, n in header.get("faces", ()))
        card = CccdRecord.from_json(header["card"]) if header.get("card") is not None else None
        outline = header.get("outline")
        size = header.get("size")
        obs = Observation(
            timestamp=float(header["ts"]), camera_ok=bool(header["ok"]), faces=faces, card=card,
            card_seen=bool(header.get("seen", False)), card_pending=bool(header.get("pending", False)),
            card_error=_opt_str(header.get("err")),
            card_outline=None if outline is None else tuple((float(x), float(y)) for x, y in outline),
            frame_size=None if size is None else (int(size[0]), int(size[1])),
            preview=blobs.get("preview"), ms=float(header.get("ms", 0.0)),
            face_engine_ok=bool(header.get("fe", True)), label=_opt_str(header.get("label")),
            gated=bool(header.get("gated", False)))
        templates: dict[int, list[np.ndarray]] = {}
        data = blobs.get("tpl", b"")
        pos = 0
        for tid, count in header.get("tpl", ()):
            chunk = [template_from_bytes(data[pos + i * TEMPLATE_BYTES:pos + (i + 1) * TEMPLATE_BYTES])
                     for i in range(int(count))]
            templates[int(tid)] = chunk
            pos += int(count) * TEMPLATE_BYTES
        if pos != len(data):
            raise ValueError("template bytes do not match their count")
    except (KeyError, TypeError, ValueError, GalleryError) as exc:
        raise ProtocolError(f"bad observation message ({type(exc).__name__})") from None
    return obs, templates

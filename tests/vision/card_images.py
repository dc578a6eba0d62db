"""Synthetic hard cases for CCCD QR reading, made in memory (shared by tests and bench/bench_cccd.py).

A card-like image (light patterned background, photo box, text lines, the QR code top right, as on
the chip CCCD) is placed in a cluttered 1280x720 camera frame, then distorted the ways a kiosk
camera sees it: small, rotated, tilted in perspective, blurred, with a glare blob, mirrored, with
sensor noise and JPEG compression. Everything is deterministic for a given seed.

Also here: how zbar-style decoders mangle UTF-8 (the payload's bytes read as Shift-JIS, Big5 or
Windows-1252), for the mojibake rejection tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import qrcode
import qrcode.constants

FRAME_W, FRAME_H = 1280, 720
CARD_W, CARD_H = 856, 540  # 85.6 x 54 mm at 10 px/mm
# The card is drawn with the QR at this many px per module, then scaled to the wanted size.
_DRAW_MODULE_PX = 6


@dataclass(frozen=True)
class Distortion:
    """How one generated frame is distorted. ``module_px`` is the QR module size in the frame."""

    module_px: float = 4.0
    angle_deg: float = 0.0  # in-plane rotation
    tilt_x_deg: float = 0.0  # out-of-plane rotation about the vertical axis (perspective)
    tilt_y_deg: float = 0.0  # about the horizontal axis
    blur_sigma: float = 0.0  # Gaussian blur in frame pixels
    glare: float = 0.0  # 0..1, strength of a bright blob over part of the QR
    mirrored: bool = False
    noise: float = 3.0  # sensor noise, grey levels (std)
    jpeg_quality: int = 85  # 0 = no JPEG round trip
    center: tuple[float, float] = (0.5, 0.5)  # card centre in frame, as fractions


@dataclass(frozen=True)
class CardFrame:
    """One generated frame: ``frame`` is BGR uint8 of FRAME_H x FRAME_W, ``payload`` the true text."""

    name: str
    frame: np.ndarray
    payload: str
    distortion: Distortion


def render_qr(payload: str, *, module_px: int = 4, border: int = 4, optimize: int = 0) -> np.ndarray:
    """The payload as a QR code (EC level M, UTF-8, no ECI), greyscale uint8, black on white.

    ``optimize=8`` makes digit runs of 8 or more numeric segments, mixing modes like the real card.
    """
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=border)
    if optimize:
        qr.add_data(payload, optimize=optimize)  # python-qrcode encodes str as UTF-8 bytes
    else:
        qr.add_data(payload.encode("utf-8"), optimize=0)
    qr.make(fit=True)
    modules = np.array(qr.get_matrix(), dtype=bool)
    image = np.where(modules, 0, 255).astype(np.uint8)
    return np.kron(image, np.ones((module_px, module_px), dtype=np.uint8))


def _qr_module_count(qr_image: np.ndarray, module_px: int, border: int) -> int:
    return qr_image.shape[0] // module_px - 2 * border


def card_image(
    payload: str, *, rng: np.random.Generator, optimize: int = 0
) -> tuple[np.ndarray, float, tuple[float, float]]:
    """A card-like BGR image with the QR top right; returns (image, module px, QR centre (x, y))."""
    qr = render_qr(payload, module_px=_DRAW_MODULE_PX, border=2, optimize=optimize)
    side = qr.shape[0]
    # On the chip CCCD the QR code is about a third of the card's height.
    height = int(side / 0.33)
    width = int(height * CARD_W / CARD_H)
    # Light, low-contrast guilloche-like background, as printed on the card.
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    waves = 12 * np.sin(xx / 23.0 + 3 * np.sin(yy / 41.0)) + 8 * np.cos(yy / 17.0)
    base = np.array([226, 232, 238], dtype=np.float32)  # BGR, pale
    tint = np.array(rng.uniform(-12, 12, 3), dtype=np.float32)
    card = np.clip(base + tint + waves[..., None], 0, 255).astype(np.uint8)
    # Photo box and text lines (dark shapes near the QR make the detector's job realistic).
    ph, pw = int(height * 0.42), int(height * 0.33)
    cv2.rectangle(
        card,
        (int(width * 0.04), int(height * 0.35)),
        (int(width * 0.04) + pw, int(height * 0.35) + ph),
        (120, 110, 100),
        -1,
    )
    for row in range(6):
        y = int(height * (0.38 + row * 0.09))
        x0 = int(width * 0.04) + pw + 20
        length = int(rng.uniform(0.25, 0.5) * width)
        cv2.rectangle(card, (x0, y), (x0 + length, y + max(4, height // 60)), (60, 50, 40), -1)
    cv2.putText(
        card,
        "CONG HOA XA HOI CHU NGHIA VIET NAM",
        (int(width * 0.04), int(height * 0.08)),
        cv2.FONT_HERSHEY_SIMPLEX,
        height / 900,
        (40, 40, 160),
        2,
    )
    margin = int(height * 0.04)
    y0, x0 = margin, width - margin - side
    card[y0 : y0 + side, x0 : x0 + side] = cv2.cvtColor(qr, cv2.COLOR_GRAY2BGR)
    # Ink on the card is not pure black, the card not pure white.
    card = cv2.addWeighted(card, 0.88, np.full_like(card, 20), 1.0, 0)
    return card, float(_DRAW_MODULE_PX), (x0 + side / 2, y0 + side / 2)


def _background(rng: np.random.Generator) -> np.ndarray:
    """A cluttered room-like BGR frame: gradient, a few boxes and lines."""
    yy, xx = np.mgrid[0:FRAME_H, 0:FRAME_W].astype(np.float32)
    grad = 70 + 60 * (xx / FRAME_W) + 30 * np.sin(yy / 90.0)
    frame = np.clip(np.stack([grad, grad * 0.9, grad * 0.8], axis=-1), 0, 255).astype(np.uint8)
    for _ in range(8):
        x, y = int(rng.integers(0, FRAME_W)), int(rng.integers(0, FRAME_H))
        w, h = int(rng.integers(40, 300)), int(rng.integers(40, 300))
        color = tuple(int(c) for c in rng.integers(20, 200, 3))
        cv2.rectangle(frame, (x, y), (x + w, y + h), color, -1)
    return frame


def _rotation(tilt_x: float, tilt_y: float, angle: float) -> np.ndarray:
    ax, ay, az = (math.radians(v) for v in (tilt_y, tilt_x, angle))
    rx = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    ry = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    rz = np.array([[math.cos(az), -math.sin(az), 0], [math.sin(az), math.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


def place_card(
    card: np.ndarray,
    card_module_px: float,
    qr_centre: tuple[float, float],
    d: Distortion,
    rng: np.random.Generator,
) -> np.ndarray:
    """Project the card into a background frame by a pinhole camera, then apply the distortions.

    The QR code's centre lands at ``d.center``: the citizen aims the QR at the box on screen, and
    the rest of the card may leave the frame.
    """
    scale = d.module_px / card_module_px
    h, w = card.shape[:2]
    # Pre-shrink with area averaging so the perspective warp does not alias the QR modules.
    pre = min(1.0, scale * 1.25)
    small = cv2.resize(card, (max(8, int(w * pre)), max(8, int(h * pre))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    qx, qy = qr_centre
    corners3d = np.array([[-qx, -qy, 0], [w - qx, -qy, 0], [w - qx, h - qy, 0], [-qx, h - qy, 0]]) * scale
    rotated = corners3d @ _rotation(d.tilt_x_deg, d.tilt_y_deg, d.angle_deg).T
    focal = 1000.0  # px, a typical 720p webcam
    depth = focal
    cx, cy = d.center[0] * FRAME_W, d.center[1] * FRAME_H
    projected = np.array(
        [[cx + focal * x / (depth + z), cy + focal * y / (depth + z)] for x, y, z in rotated]
    )
    src = np.array([[0, 0], [sw, 0], [sw, sh], [0, sh]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, projected.astype(np.float32))
    frame = _background(rng)
    warped = cv2.warpPerspective(small, matrix, (FRAME_W, FRAME_H), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((sh, sw), 255, np.uint8), matrix, (FRAME_W, FRAME_H))
    frame[mask > 127] = warped[mask > 127]
    if d.glare > 0:
        frame = _add_glare(frame, d, rng)
    if d.blur_sigma > 0:
        frame = cv2.GaussianBlur(frame, (0, 0), d.blur_sigma)
    if d.noise > 0:
        frame = np.clip(frame + rng.normal(0, d.noise, frame.shape), 0, 255).astype(np.uint8)
    if d.mirrored:
        frame = cv2.flip(frame, 1)
    if d.jpeg_quality:
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, d.jpeg_quality])
        frame = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return frame


def _add_glare(frame: np.ndarray, d: Distortion, rng: np.random.Generator) -> np.ndarray:
    """A soft bright blob over part of the QR code, as from a ceiling light on the card's laminate.

    Its spread is 6 modules (about an eighth of the symbol); at full strength it washes out a disc
    of about 4 modules' radius completely and lowers the contrast around it, which error
    correction level M can recover from, so an exact read is still possible.
    """
    cx, cy = d.center[0] * FRAME_W, d.center[1] * FRAME_H
    px = cx + rng.uniform(-12, 12) * d.module_px
    py = cy + rng.uniform(-12, 12) * d.module_px
    sigma = 6.0 * d.module_px
    yy, xx = np.mgrid[0:FRAME_H, 0:FRAME_W].astype(np.float32)
    blob = np.exp(-((xx - px) ** 2 + (yy - py) ** 2) / (2 * sigma**2))
    lifted = frame.astype(np.float32) + (255 * 1.2 * d.glare) * blob[..., None]
    return np.clip(lifted, 0, 255).astype(np.uint8)


def make_frame(payload: str, d: Distortion, *, seed: int = 0, optimize: int = 0, name: str = "") -> CardFrame:
    """One generated camera frame showing a card whose QR holds *payload*."""
    rng = np.random.default_rng(seed)
    card, card_module_px, qr_centre = card_image(payload, rng=rng, optimize=optimize)
    frame = place_card(card, card_module_px, qr_centre, d, rng)
    return CardFrame(name or "frame", frame, payload, d)


# The kinds of hard case, each a function of a random generator giving one Distortion. The ranges
# reach past what plain zxing-cpp reads (modules under 2 px, blur of half a module, strong glare),
# so the set measures the fixes in kiosk.vision.qr, not just the decoder.
def _small(r: np.random.Generator) -> Distortion:
    return Distortion(
        module_px=r.uniform(1.5, 2.2),
        angle_deg=r.uniform(-20, 20),
        center=(r.uniform(0.25, 0.75), r.uniform(0.3, 0.7)),
    )


def _rotated(r: np.random.Generator) -> Distortion:
    return Distortion(module_px=r.uniform(2.5, 4.5), angle_deg=r.uniform(0, 360))


def _tilted(r: np.random.Generator) -> Distortion:
    return Distortion(
        module_px=r.uniform(3.0, 5.0),
        angle_deg=r.uniform(-30, 30),
        tilt_x_deg=r.choice([-1, 1]) * r.uniform(30, 55),
        tilt_y_deg=r.uniform(-30, 30),
    )


def _blurred(r: np.random.Generator) -> Distortion:
    module = r.uniform(3.5, 4.5)
    return Distortion(module_px=module, angle_deg=r.uniform(0, 360), blur_sigma=module * r.uniform(0.35, 0.5))


def _glare(r: np.random.Generator) -> Distortion:
    return Distortion(module_px=r.uniform(3.0, 4.5), angle_deg=r.uniform(0, 360), glare=r.uniform(0.8, 1.3))


def _mirrored(r: np.random.Generator) -> Distortion:
    return Distortion(
        module_px=r.uniform(2.5, 4.5), angle_deg=r.uniform(0, 360), blur_sigma=0.6, mirrored=True
    )


def _combined(r: np.random.Generator) -> Distortion:
    module = r.uniform(2.6, 3.6)
    return Distortion(
        module_px=module,
        angle_deg=r.uniform(0, 360),
        tilt_x_deg=r.uniform(-30, 30),
        tilt_y_deg=r.uniform(-20, 20),
        blur_sigma=module * r.uniform(0.2, 0.33),
        glare=r.uniform(0.0, 0.8),
        mirrored=bool(r.integers(0, 2)),
        noise=5.0,
        jpeg_quality=70,
    )


KINDS = {
    "small": _small,
    "rotated": _rotated,
    "tilted": _tilted,
    "blurred": _blurred,
    "glare": _glare,
    "mirrored": _mirrored,
    "combined": _combined,
}


def distorted_set(payloads: list[str], kinds: list[str] | None = None, *, seed: int = 7) -> list[CardFrame]:
    """One frame per (payload, kind), alternating pure-byte and numeric+byte QR encodings."""
    frames: list[CardFrame] = []
    for i, payload in enumerate(payloads):
        for kind in kinds or list(KINDS):
            rng = np.random.default_rng([seed, i, list(KINDS).index(kind)])
            d = KINDS[kind](rng)
            frame_seed = int(rng.integers(0, 2**31))
            optimize = 8 if i % 2 else 0
            frames.append(make_frame(payload, d, seed=frame_seed, optimize=optimize, name=f"{i}-{kind}"))
    return frames


def mojibake(text: str, codec: str) -> str:
    """What a decoder that guesses *codec* (``shift_jis``, ``big5``, ``cp1252``) makes of UTF-8 text."""
    return text.encode("utf-8").decode(codec, errors="replace")

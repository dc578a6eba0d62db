"""Face detection, landmarks, quality and encoding on RGB numpy images.

The engine is face_recognition (dlib's HOG detector, shape predictors and ResNet encoder, with the
model files of face_recognition_models). Models load lazily, on the first call that needs them:
importing this module loads nothing.

Boxes are ``FaceBox(top, right, bottom, left)`` in the pixel coordinates of the image passed in,
the order face_recognition uses. Templates are 128-d float32 vectors; two templates of the same
person are usually less than 0.5 apart (euclidean distance).
"""
from __future__ import annotations

import functools
import io
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

TEMPLATE_SIZE = 128


@dataclass(frozen=True)
class FaceModel:
    """What makes the templates: templates of two models are not comparable, and every threshold of
    the decision rule belongs to one model. A replacement model (docs/faces.md, "Other face and liveness
    models") comes with its own descriptor, and stored templates tagged with another ``name`` need
    re-enrolment."""

    name: str
    version: str
    template_size: int
    metric: str


MODEL = FaceModel(name="dlib-resnet", version="dlib_face_recognition_resnet_model_v1",
                  template_size=TEMPLATE_SIZE, metric="euclidean")

# Kiosk frames: detect on a copy whose longest side is at most this. HOG's window is 80 px, so a face
# must be at least 80 px wide in the downscaled copy (upsample 0): about an arm's length from a
# 640x480 webcam. Still photos (enrolment, `kiosk faces identify`) use PHOTO_DETECT instead.
KIOSK_DETECT_MAX_SIDE = 640
KIOSK_DETECT_UPSAMPLE = 0
PHOTO_DETECT_MAX_SIDE = 1024
PHOTO_DETECT_UPSAMPLE = 1

MAX_IMAGE_PIXELS = 40_000_000
MIN_IMAGE_SIDE = 16


class FaceError(ValueError):
    """Base class of the errors of the face engine."""


class FaceImageError(FaceError):
    """The input is not a usable image (missing file, not an image, wrong array shape or type)."""


class FaceEngineError(RuntimeError):
    """The face engine could not be loaded (a missing package or model file)."""


@dataclass(frozen=True)
class FaceBox:
    """A face rectangle in (top, right, bottom, left) order, pixel coordinates of its image."""

    top: int
    right: int
    bottom: int
    left: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def center(self) -> tuple[float, float]:
        """(x, y) of the centre."""
        return ((self.left + self.right) / 2.0, (self.top + self.bottom) / 2.0)

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.top, self.right, self.bottom, self.left)

    def iou(self, other: FaceBox) -> float:
        """Intersection over union of two boxes (0 when they do not overlap)."""
        w = min(self.right, other.right) - max(self.left, other.left)
        h = min(self.bottom, other.bottom) - max(self.top, other.top)
        if w <= 0 or h <= 0:
            return 0.0
        inter = w * h
        union = self.width * self.height + other.width * other.height - inter
        return inter / union if union > 0 else 0.0


@dataclass(frozen=True)
class Quality:
    """How usable a detected face is for encoding.

    ``size_px``: box width in pixels; ``sharpness``: variance of the Laplacian of the face scaled to
    100 px wide (scale-free); ``yaw``: nose offset from the middle of the face, -1..1 (0 = frontal);
    ``roll_deg``: tilt of the eye line. ``ok`` is True when every check passes, else ``reasons``
    names the failed ones ("too_small", "blurry", "not_frontal", "tilted", "cut_off").
    """

    size_px: int
    sharpness: float
    yaw: float
    roll_deg: float
    ok: bool
    reasons: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"size_px": self.size_px, "sharpness": round(self.sharpness, 1), "yaw": round(self.yaw, 3),
                "roll_deg": round(self.roll_deg, 1), "ok": self.ok, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class QualityRules:
    """Thresholds of the quality check (measured on testdata/faces, see docs/faces.md)."""

    min_size_px: int = 80
    min_sharpness: float = 20.0
    max_abs_yaw: float = 0.35
    max_abs_roll_deg: float = 25.0


DEFAULT_QUALITY_RULES = QualityRules()


@dataclass(frozen=True)
class DetectedFace:
    """One face found in an image: its box, 68 landmarks (x, y) and quality."""

    box: FaceBox
    landmarks: np.ndarray
    quality: Quality


# ---------------------------------------------------------------------------------------------
# engine loading


@functools.cache
def engine() -> ModuleType:
    """Import face_recognition (which loads the dlib models) once, on first use.

    face_recognition_models imports ``pkg_resources`` (setuptools < 81); when that import fails,
    face_recognition prints a hint and calls ``quit()``. Importing face_recognition_models first
    turns that into a clear FaceEngineError instead of an exit of the whole process.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            import face_recognition_models  # noqa: F401
    except ImportError as exc:
        raise FaceEngineError(
            "face_recognition_models cannot be imported (it needs pkg_resources from setuptools<81): "
            f"{exc}") from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import face_recognition
    except ImportError as exc:
        raise FaceEngineError(f"face_recognition or dlib cannot be imported: {exc}") from exc
    except RuntimeError as exc:  # dlib raises RuntimeError on an unreadable model file
        raise FaceEngineError(f"face model files could not be loaded: {exc}") from exc
    return face_recognition


# ---------------------------------------------------------------------------------------------
# images


def load_image(source: str | Path | bytes) -> np.ndarray:
    """Load an image file (path or bytes) as an RGB uint8 array (H, W, 3).

    EXIF orientation is applied; alpha and palette transparency are dropped; greyscale becomes RGB.
    Raises FaceImageError with a clear message for a missing, unreadable or absurdly sized file.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    name = "<bytes>" if isinstance(source, bytes | bytearray) else str(source)
    try:
        fp: Any = io.BytesIO(source) if isinstance(source, bytes | bytearray) else open(source, "rb")
    except FileNotFoundError:
        raise FaceImageError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise FaceImageError(f"{name}: is a directory, not an image") from None
    except OSError as exc:
        raise FaceImageError(f"{name}: cannot be opened ({exc.strerror or exc})") from None
    with fp:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                img = Image.open(fp)
                if img.width * img.height > MAX_IMAGE_PIXELS:
                    raise FaceImageError(f"{name}: image too large ({img.width}x{img.height})")
                img.load()
                img = ImageOps.exif_transpose(img)
        except FaceImageError:
            raise
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise FaceImageError(f"{name}: not a readable image") from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise FaceImageError(f"{name}: damaged image ({exc})") from None
        if img.mode != "RGB":
            # convert('RGB') drops alpha; palette and greyscale modes are expanded first
            img = img.convert("RGBA").convert("RGB") if img.mode in ("P", "PA", "LA") else img.convert("RGB")
        arr = np.asarray(img, dtype=np.uint8)
    return as_rgb(arr)


def as_rgb(frame: Any) -> np.ndarray:
    """Check a camera frame and return it as a C-contiguous RGB uint8 array (H, W, 3).

    Accepts (H, W) greyscale, (H, W, 3) RGB and (H, W, 4) RGBA (alpha dropped). Anything else
    raises FaceImageError.
    """
    if not isinstance(frame, np.ndarray):
        raise FaceImageError(f"a frame must be a numpy array, not {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise FaceImageError(f"a frame must be uint8, not {frame.dtype}")
    if frame.ndim == 2:
        frame = np.stack([frame] * 3, axis=-1)
    elif frame.ndim != 3 or frame.shape[2] not in (3, 4):
        raise FaceImageError(f"a frame must be (H, W), (H, W, 3) or (H, W, 4), not {frame.shape}")
    elif frame.shape[2] == 4:
        frame = frame[:, :, :3]
    h, w = frame.shape[:2]
    if min(h, w) < MIN_IMAGE_SIDE:
        raise FaceImageError(f"frame too small ({w}x{h})")
    if h * w > MAX_IMAGE_PIXELS:
        raise FaceImageError(f"frame too large ({w}x{h})")
    return np.ascontiguousarray(frame)


# ---------------------------------------------------------------------------------------------
# detection, landmarks, quality, encoding


def detect_faces(rgb: np.ndarray, max_side: int | None = KIOSK_DETECT_MAX_SIDE,
                 upsample: int = KIOSK_DETECT_UPSAMPLE) -> list[FaceBox]:
    """Find faces with dlib's HOG detector on a copy downscaled to ``max_side``.

    Returns boxes in the coordinates of ``rgb`` (clipped to the image), largest first.
    ``max_side=None`` detects at full resolution.
    """
    import cv2

    rgb = as_rgb(rgb)
    h, w = rgb.shape[:2]
    scale = 1.0
    small = rgb
    if max_side is not None and max(h, w) > max_side:
        scale = max_side / max(h, w)
        small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))),
                           interpolation=cv2.INTER_AREA)
    rects = engine().api.face_detector(small, int(upsample))
    boxes = []
    for r in rects:
        top = max(0, round(r.top() / scale))
        left = max(0, round(r.left() / scale))
        bottom = min(h, round(r.bottom() / scale))
        right = min(w, round(r.right() / scale))
        if right - left >= 4 and bottom - top >= 4:
            boxes.append(FaceBox(top, right, bottom, left))
    boxes.sort(key=lambda b: b.width * b.height, reverse=True)
    return boxes


def _rect(box: FaceBox) -> Any:
    import dlib

    return dlib.rectangle(box.left, box.top, box.right, box.bottom)


def landmarks68(rgb: np.ndarray, box: FaceBox) -> np.ndarray:
    """The 68 dlib landmarks of the face in ``box`` as a float32 array (68, 2) of (x, y)."""
    shape = engine().api.pose_predictor_68_point(rgb, _rect(box))
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)


def sharpness(rgb: np.ndarray, box: FaceBox) -> float:
    """Variance of the Laplacian of the face, scaled to 100 px wide so it does not depend on size."""
    import cv2

    h, w = rgb.shape[:2]
    # the central part of the box: skin, eyes, nose, mouth (background edges would inflate it)
    mx, my = box.width // 6, box.height // 6
    crop = rgb[max(0, box.top + my):min(h, box.bottom - my), max(0, box.left + mx):min(w, box.right - mx)]
    if crop.size == 0:
        return 0.0
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    gray = cv2.resize(gray, (100, max(1, round(100 * gray.shape[0] / gray.shape[1]))),
                      interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def pose_from_landmarks(points: np.ndarray) -> tuple[float, float]:
    """(yaw, roll_deg) of a face from its 68 landmarks.

    yaw: where the nose tip lies between the two sides of the jaw, -1..1, 0 when frontal.
    roll: angle of the line through the eye centres, in degrees.
    """
    left_jaw, right_jaw, nose = points[0], points[16], points[30]
    span = float(right_jaw[0] - left_jaw[0])
    yaw = 0.0 if span <= 1 else 2.0 * (float(nose[0] - left_jaw[0]) / span) - 1.0
    eye_l = points[36:42].mean(axis=0)
    eye_r = points[42:48].mean(axis=0)
    roll = math.degrees(math.atan2(float(eye_r[1] - eye_l[1]), float(eye_r[0] - eye_l[0])))
    return yaw, roll


def judge_quality(rgb: np.ndarray, box: FaceBox, points: np.ndarray,
                  rules: QualityRules = DEFAULT_QUALITY_RULES) -> Quality:
    """Judge size, sharpness, frontal pose and whether the face is cut by the frame edge."""
    h, w = rgb.shape[:2]
    sharp = sharpness(rgb, box)
    yaw, roll = pose_from_landmarks(points)
    reasons = []
    if box.width < rules.min_size_px:
        reasons.append("too_small")
    if sharp < rules.min_sharpness:
        reasons.append("blurry")
    if abs(yaw) > rules.max_abs_yaw:
        reasons.append("not_frontal")
    if abs(roll) > rules.max_abs_roll_deg:
        reasons.append("tilted")
    margin = 0.05 * box.width
    xs, ys = points[:, 0], points[:, 1]
    if xs.min() < -margin or ys.min() < -margin or xs.max() > w + margin or ys.max() > h + margin:
        reasons.append("cut_off")
    return Quality(box.width, sharp, yaw, roll, not reasons, tuple(reasons))


def analyse_faces(rgb: np.ndarray, max_side: int | None = KIOSK_DETECT_MAX_SIDE,
                  upsample: int = KIOSK_DETECT_UPSAMPLE,
                  rules: QualityRules = DEFAULT_QUALITY_RULES) -> list[DetectedFace]:
    """Detect faces and give each its landmarks and quality (no encoding: that is the slow step)."""
    rgb = as_rgb(rgb)
    out = []
    for box in detect_faces(rgb, max_side, upsample):
        pts = landmarks68(rgb, box)
        out.append(DetectedFace(box, pts, judge_quality(rgb, box, pts, rules)))
    return out


def encode_face(rgb: np.ndarray, box: FaceBox, jitters: int = 1) -> np.ndarray:
    """The 128-d template (float32) of the face in ``box``, as face_recognition.face_encodings does.

    Uses the 5-point landmarks for alignment, the library default, so distances match the
    figures measured in testdata/faces.
    """
    rgb = as_rgb(rgb)
    api = engine().api
    shape = api.pose_predictor_5_point(rgb, _rect(box))
    vec = api.face_encoder.compute_face_descriptor(rgb, shape, int(jitters))
    return np.asarray(vec, dtype=np.float32)


def encode_image(rgb: np.ndarray, max_side: int | None = PHOTO_DETECT_MAX_SIDE,
                 upsample: int = PHOTO_DETECT_UPSAMPLE) -> list[tuple[FaceBox, np.ndarray]]:
    """Detect and encode every face of a still photo (enrolment, `kiosk faces identify`)."""
    rgb = as_rgb(rgb)
    return [(box, encode_face(rgb, box)) for box in detect_faces(rgb, max_side, upsample)]

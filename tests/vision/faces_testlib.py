"""Helpers shared by the tests/vision/test_faces_*.py modules: encodings of testdata/faces, computed
once per test session (encoding costs about 0.15 s per photo on this CPU), and generated sequences."""
from __future__ import annotations

import csv
import functools
from pathlib import Path

import numpy as np

from kiosk.vision import faces


@functools.cache
def people_encodings(root: Path) -> dict[str, tuple[str, np.ndarray]]:
    """{relative path: (identity, template)} for every photo of faces/labels.csv."""
    out = {}
    with open(root / "faces" / "labels.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            found = faces.encode_image(faces.load_image(root / "faces" / row["path"]))
            assert len(found) == 1, row["path"]
            out[row["path"]] = (row["identity"], found[0][1])
    return out


@functools.cache
def image(root: Path, rel: str) -> np.ndarray:
    """A testdata image as RGB (cached; callers must not modify it)."""
    arr = faces.load_image(root / "faces" / rel)
    arr.setflags(write=False)
    return arr


def rigid_sequence(img: np.ndarray, kind: str, n: int = 8) -> list[np.ndarray]:
    """A flat picture moved in front of the camera: translated, rotated+scaled, or tilted in depth."""
    import cv2

    h, w = img.shape[:2]
    out = []
    for i in range(n):
        a = i / (n - 1)
        if kind == "translate":
            m = np.array([[1, 0, 40 * a], [0, 1, -25 * a], [0, 0, 1]], dtype=np.float64)
        elif kind == "rotate":
            m = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), 12 * a, 1 + 0.15 * a), [0, 0, 1]])
        else:  # tilt: the picture turned about its vertical axis (perspective)
            s = 0.12 * a
            src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
            dst = np.float32([[0, h * s / 2], [w, 0], [w, h], [0, h * (1 - s / 2)]])
            m = cv2.getPerspectiveTransform(src, dst)
        out.append(cv2.warpPerspective(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE))
    return out


def head_turn_sequence(img: np.ndarray, points: np.ndarray, n: int = 8, amp: float = 0.15) -> list[np.ndarray]:
    """A real head turning a little: the nose moves sideways against the rest of the face (parallax),
    which no view of a flat picture can do. ``amp`` in inter-ocular distances."""
    import cv2

    from kiosk.vision.liveness import inter_ocular

    h, w = img.shape[:2]
    iod = inter_ocular(points)
    nose = points[30]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bump = np.exp(-((xx - nose[0]) ** 2 + (yy - nose[1]) ** 2) / (2 * (0.35 * iod) ** 2))
    out = []
    for i in range(n):
        shift = np.sin(np.pi * i / (n - 1)) * amp * iod
        out.append(cv2.remap(img, (xx - shift * bump).astype(np.float32), yy, cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE))
    return out

"""Image loading, detection on downscaled frames, quality and encoding, on testdata/faces."""
from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
from faces_testlib import image, people_encodings

from kiosk.vision import faces
from kiosk.vision.gallery import distance


def test_importing_the_face_modules_loads_no_model() -> None:
    code = ("import sys, kiosk.vision.faces, kiosk.vision.gallery, kiosk.vision.tracker, "
            "kiosk.vision.liveness, kiosk.cli.faces; "
            "print(sorted(m for m in ('dlib', 'face_recognition', 'flask', 'kiosk.queue') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_rgba_png_loads_as_rgb_and_encodes_like_the_jpeg(shared_testdata) -> None:
    rgba = faces.load_image(shared_testdata / "faces/variants/obama2_rgba.png")
    assert rgba.shape[2] == 3 and rgba.dtype == np.uint8
    found = faces.encode_image(rgba)
    assert len(found) == 1
    _, jpeg_template = people_encodings(shared_testdata)["people/obama/obama2.jpg"]
    assert distance(found[0][1], jpeg_template) < 0.1


def test_the_model_descriptor_describes_the_templates_made(shared_testdata) -> None:
    template = faces.encode_image(image(shared_testdata, "people/obama/obama2.jpg"))[0][1]
    assert template.shape == (faces.MODEL.template_size,) and template.dtype == np.float32
    assert faces.MODEL.metric == "euclidean"  # the gallery's distance (kiosk.vision.gallery.distance)


def test_load_image_rejects_bad_files_with_clear_errors(tmp_path) -> None:
    with pytest.raises(faces.FaceImageError, match="file not found"):
        faces.load_image(tmp_path / "missing.jpg")
    (tmp_path / "notes.jpg").write_text("not a picture")
    with pytest.raises(faces.FaceImageError, match="not a readable image"):
        faces.load_image(tmp_path / "notes.jpg")
    with pytest.raises(faces.FaceImageError, match="directory"):
        faces.load_image(tmp_path)
    with pytest.raises(faces.FaceImageError):
        faces.load_image(b"\xff\xd8\xff\xe0 truncated jpeg")


def test_load_image_accepts_bytes_and_greyscale(shared_testdata) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.open(shared_testdata / "faces/people/obama/obama.jpg").convert("L").save(buf, "PNG")
    arr = faces.load_image(buf.getvalue())
    assert arr.ndim == 3 and arr.shape[2] == 3
    assert np.array_equal(arr[..., 0], arr[..., 1])


@pytest.mark.parametrize("frame", [
    np.zeros((100, 100, 3), dtype=np.float32),
    np.zeros((100, 100, 2), dtype=np.uint8),
    np.zeros((8, 8, 3), dtype=np.uint8),
    [[0, 1], [2, 3]],
])
def test_as_rgb_rejects_what_is_not_a_frame(frame) -> None:
    with pytest.raises(faces.FaceImageError):
        faces.as_rgb(frame)


def test_as_rgb_drops_alpha_of_a_frame() -> None:
    frame = np.zeros((40, 50, 4), dtype=np.uint8)
    frame[..., 3] = 255
    assert faces.as_rgb(frame).shape == (40, 50, 3)


def test_scene_face_counts_match_the_reference_detector(shared_testdata) -> None:
    with open(shared_testdata / "faces/scenes/scenes.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        boxes = faces.detect_faces(image(shared_testdata, row["path"]), faces.PHOTO_DETECT_MAX_SIDE,
                                   faces.PHOTO_DETECT_UPSAMPLE)
        assert len(boxes) == int(row["faces_detected_hog"]), row["path"]


@pytest.mark.parametrize("name", ["obama-720p.jpg", "obama-1080p.jpg"])
def test_downscaled_detection_returns_boxes_in_frame_coordinates(shared_testdata, name) -> None:
    ref = json.loads((shared_testdata / "faces/face_recognition_results.json").read_text())
    entry = next(v for k, v in ref.items() if isinstance(v, dict) and f"variants/{name}" in v)
    ref_box = faces.FaceBox(*entry[f"variants/{name}"]["boxes"][0])
    frame = image(shared_testdata, f"variants/{name}")
    boxes = faces.detect_faces(frame)  # kiosk setting: detection on a copy at most 640 px
    assert max(frame.shape) > faces.KIOSK_DETECT_MAX_SIDE
    assert len(boxes) == 1
    assert boxes[0].iou(ref_box) > 0.6


def test_mirrored_frame_gives_the_same_person(shared_testdata) -> None:
    frame = image(shared_testdata, "people/matt/img30.jpg")
    mirrored = np.ascontiguousarray(frame[:, ::-1])
    (box, template), = faces.encode_image(mirrored)
    _, original = people_encodings(shared_testdata)["people/matt/img30.jpg"]
    assert distance(template, original) < 0.25
    w = frame.shape[1]
    (orig_box, _), = faces.encode_image(frame)
    # the mirrored box is about the original box reflected about the vertical axis (HOG is not exactly
    # symmetric)
    reflected = faces.FaceBox(box.top, w - box.left, box.bottom, w - box.right)
    assert reflected.iou(orig_box) > 0.8


def test_no_face_in_a_blank_frame() -> None:
    assert faces.detect_faces(np.full((480, 640, 3), 127, dtype=np.uint8)) == []


def test_quality_flags_blur_small_faces_and_passes_a_good_frontal_face(shared_testdata) -> None:
    import cv2

    frame = image(shared_testdata, "people/angelina/img1.jpg")
    good, = faces.analyse_faces(frame, faces.PHOTO_DETECT_MAX_SIDE, 1)
    assert good.quality.ok, good.quality
    blurred = cv2.GaussianBlur(frame, (0, 0), 5)
    bad, = faces.analyse_faces(blurred, faces.PHOTO_DETECT_MAX_SIDE, 1)
    assert "blurry" in bad.quality.reasons and not bad.quality.ok
    small = cv2.resize(frame, None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA)
    tiny, = faces.analyse_faces(small, None, 1)
    assert "too_small" in tiny.quality.reasons


def test_quality_flags_a_turned_face(shared_testdata) -> None:
    # obama2 is a three-quarter view (measured yaw about -0.5)
    face, = faces.analyse_faces(image(shared_testdata, "people/obama/obama2.jpg"), faces.PHOTO_DETECT_MAX_SIDE, 1)
    assert "not_frontal" in face.quality.reasons

"""Liveness: flat pictures moved rigidly are not live; a face with parallax or a blink is."""
from __future__ import annotations

import numpy as np
import pytest
from faces_testlib import head_turn_sequence, image, rigid_sequence

from kiosk.vision import faces
from kiosk.vision.liveness import LIVE, PENDING, SPOOF, LivenessChecker, eye_aspect_ratio, parallax


def _points(root, rel: str) -> tuple[np.ndarray, np.ndarray]:
    frame = image(root, rel)
    face, = faces.analyse_faces(frame, faces.PHOTO_DETECT_MAX_SIDE, 1)
    return frame, face.landmarks.astype(np.float64)


def _run(frames: list[np.ndarray]) -> str:
    checker = LivenessChecker()
    verdict = checker.verdict
    for i, frame in enumerate(frames):
        found = faces.analyse_faces(frame)
        assert found, f"no face in frame {i}"
        verdict = checker.update(i * 0.1, found[0].landmarks)
    return verdict.state


def _homography(points: np.ndarray, h: np.ndarray) -> np.ndarray:
    p = np.hstack([points, np.ones((len(points), 1))]) @ h.T
    return p[:, :2] / p[:, 2:]


def test_landmarks_of_a_flat_picture_under_any_homography_are_spoof(shared_testdata) -> None:
    _, pts = _points(shared_testdata, "people/obama/obama.jpg")
    checker = LivenessChecker()
    for i in range(8):
        a = i / 7
        h = np.array([[1 + 0.1 * a, 0.05 * a, 30 * a], [-0.04 * a, 1.0, 10 * a], [2e-4 * a, 1e-4 * a, 1]])
        v = checker.update(i * 0.1, _homography(pts, h))
    assert v.state == SPOOF and v.reason == "flat_motion"
    assert parallax(pts, _homography(pts, h)) < 1e-6


def test_a_still_face_stays_pending_and_single_frames_are_never_live(shared_testdata) -> None:
    _, pts = _points(shared_testdata, "people/obama/obama.jpg")
    checker = LivenessChecker()
    for i in range(10):
        v = checker.update(i * 0.1, pts)
    assert v.state == PENDING
    for name in ("live", "print_attack", "screen_attack"):
        _, p = _points(shared_testdata, f"spoof/{name}.jpg")
        assert LivenessChecker().update(0.0, p).state == PENDING


def test_nose_parallax_in_landmarks_is_live(shared_testdata) -> None:
    _, pts = _points(shared_testdata, "people/obama/obama.jpg")
    iod = np.linalg.norm(pts[36:42].mean(0) - pts[42:48].mean(0))
    checker = LivenessChecker()
    for i in range(8):
        moved = pts.copy()
        moved[27:36, 0] += 0.12 * iod * np.sin(np.pi * i / 7)  # the nose turns with the head
        v = checker.update(i * 0.1, moved)
    assert v.state == LIVE and v.reason == "head_parallax"


def test_a_blink_in_landmarks_is_live(shared_testdata) -> None:
    _, pts = _points(shared_testdata, "people/obama/obama.jpg")
    open_ear = eye_aspect_ratio(pts)
    checker = LivenessChecker()
    for i, closing in enumerate([0, 0, 0, 0.8, 0.8, 0, 0, 0]):
        p = pts.copy()
        for eye in (slice(36, 42), slice(42, 48)):
            centre_y = p[eye, 1].mean()
            p[eye, 1] = centre_y + (p[eye, 1] - centre_y) * (1 - closing)
        if closing:
            assert eye_aspect_ratio(p) < 0.5 * open_ear
        v = checker.update(i * 0.1, p)
    assert v.blink and v.state == LIVE and v.reason == "blink"


@pytest.mark.parametrize("kind", ["translate", "rotate", "tilt"])
def test_a_screen_or_photo_moved_in_front_of_the_camera_is_not_live(shared_testdata, kind) -> None:
    # screen_attack is frontal enough for every frame to count; print_attack is a turned face
    for rel in ("spoof/screen_attack.jpg", "people/matt/img30.jpg"):
        assert _run(rigid_sequence(image(shared_testdata, rel), kind)) != LIVE, (rel, kind)


def test_the_printed_photo_sample_moved_is_not_live(shared_testdata) -> None:
    assert _run(rigid_sequence(image(shared_testdata, "spoof/print_attack.jpg"), "rotate")) != LIVE


@pytest.mark.parametrize("rel", ["people/obama/obama.jpg", "people/angelina/img1.jpg", "spoof/screen_attack.jpg"])
def test_a_head_turning_a_little_is_live(shared_testdata, rel) -> None:
    # screen_attack with a turning head stands for a video replay: the motion cue cannot stop it
    frame, pts = _points(shared_testdata, rel)
    assert _run(head_turn_sequence(frame, pts)) == LIVE


def test_bad_landmarks_are_refused() -> None:
    with pytest.raises(ValueError):
        LivenessChecker().update(0.0, np.zeros((5, 2)))
    with pytest.raises(ValueError):
        LivenessChecker().update(0.0, np.full((68, 2), np.nan))

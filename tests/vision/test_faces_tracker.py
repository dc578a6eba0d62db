"""Tracking, encoding once per sampled frame, agreement over frames, and the whole observer."""
from __future__ import annotations

import numpy as np
import pytest
from faces_testlib import head_turn_sequence, image, people_encodings, rigid_sequence

from kiosk.vision import faces
from kiosk.vision.faces import FaceBox
from kiosk.vision.gallery import Gallery, Match
from kiosk.vision.tracker import IDENTIFIED, PENDING, UNKNOWN, FaceObserver, FaceTracker, agree


def test_tracker_keeps_ids_by_overlap_and_drops_lost_tracks() -> None:
    tr = FaceTracker(max_missing_s=0.5)
    a, b = tr.update([FaceBox(100, 200, 200, 100), FaceBox(100, 500, 200, 400)], 0.0)
    a2, b2 = tr.update([FaceBox(110, 505, 210, 405), FaceBox(105, 210, 205, 110)], 0.1)
    assert (a2.track_id, b2.track_id) == (b.track_id, a.track_id)
    c, = tr.update([FaceBox(300, 700, 400, 600)], 0.2)
    assert c.track_id not in (a.track_id, b.track_id)
    tr.update([FaceBox(300, 700, 400, 600)], 0.9)
    assert list(tr.tracks) == [c.track_id]


def test_agreement_needs_successive_accepted_matches_of_one_identity() -> None:
    yes = Match("a", "a", 0.3, 0.2, True, "accepted")
    other = Match("b", "b", 0.3, 0.2, True, "accepted")
    no = Match(None, "a", 0.55, 0.2, False, "too_far")
    assert agree([yes], 2) == (PENDING, None)
    assert agree([yes, yes], 2) == (IDENTIFIED, "a")
    assert agree([yes, no], 2) == (PENDING, None)
    assert agree([other, yes], 2) == (PENDING, None)
    assert agree([no, yes], 1) == (IDENTIFIED, "a")


def _gallery(root, paths: list[str]) -> Gallery:
    encs = people_encodings(root)
    g = Gallery()
    for p in paths:
        g.add(encs[p][0], encs[p][1])
    return g


@pytest.mark.parametrize("mirror", [False, True])
def test_observer_identifies_a_live_enrolled_citizen_encoding_sparingly(shared_testdata, mirror) -> None:
    g = _gallery(shared_testdata, ["people/obama/obama2.jpg", "people/obama/obama3.jpg", "people/biden/biden2.jpg",
                                   "people/matt/img30.jpg"])
    frame = image(shared_testdata, "variants/obama-720p.jpg")
    if mirror:
        frame = np.ascontiguousarray(frame[:, ::-1])
    full, = faces.analyse_faces(frame, None, 1)
    frames = head_turn_sequence(frame, full.landmarks.astype(np.float64), n=10)
    obs = FaceObserver(g)
    results = [obs.observe(f, 10.0 + i * 0.1) for i, f in enumerate(frames)]
    assert all(len(r.faces) == 1 for r in results)
    track_ids = {r.primary.track_id for r in results}
    assert len(track_ids) == 1
    encoded = sum(r.primary.encoded for r in results)
    assert encoded == 2  # two agreeing encodings, then no more
    last = results[-1].primary
    assert last.decision == IDENTIFIED and last.identity == "obama" and last.distance < 0.48
    assert last.liveness.state == "live" and last.accepted
    assert last.box.iou(full.box) > 0.6  # boxes come back in frame coordinates
    assert len(obs.templates_of(last.track_id)) == 2


def test_observer_never_accepts_a_flat_picture_of_an_enrolled_citizen(shared_testdata) -> None:
    g = _gallery(shared_testdata, ["people/matt/img29.jpg", "people/matt/img31.jpg"])
    obs = FaceObserver(g)
    results = [obs.observe(f, i * 0.1) for i, f in
               enumerate(rigid_sequence(image(shared_testdata, "people/matt/img30.jpg"), "translate", 10))]
    last = results[-1].primary
    assert last.identity == "matt" and last.liveness.state != "live" and not last.accepted


def test_observer_gives_unknown_for_a_lookalike_after_a_few_encodings(shared_testdata) -> None:
    # leonardo img35 is 0.52 from matt img31 (a false match at 0.6)
    g = _gallery(shared_testdata, ["people/matt/img31.jpg", "people/matt/img30.jpg"])
    obs = FaceObserver(g, max_encodings=3)
    frame = image(shared_testdata, "people/leonardo/img35.jpg")
    results = [obs.observe(frame, i * 0.3) for i in range(8)]
    assert results[-1].primary.decision == UNKNOWN and results[-1].primary.identity is None
    assert sum(r.primary.encoded for r in results) == 3


def test_observer_with_no_face_and_with_a_bad_frame() -> None:
    obs = FaceObserver(Gallery())
    r = obs.observe(np.full((480, 640, 3), 40, dtype=np.uint8), 0.0)
    assert r.faces == [] and r.primary is None
    with pytest.raises(faces.FaceImageError):
        obs.observe(np.zeros((480, 640), dtype=np.float64), 0.1)

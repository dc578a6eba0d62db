"""Face pipeline benchmark: prints ms per frame (one face / no face), gallery match time at 100,000
templates, and true/false match rates of the decision rule on ../shared/testdata/faces.

Run: .venv/bin/python bench/bench_faces.py   (KIOSK_TESTDATA overrides the test data folder)
"""
from __future__ import annotations

import csv
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.vision import faces  # noqa: E402
from kiosk.vision.gallery import DEFAULT_RULE, Gallery  # noqa: E402
from kiosk.vision.tracker import FaceObserver  # noqa: E402


def testdata() -> Path:
    path = Path(os.environ.get("KIOSK_TESTDATA", ROOT.parent / "shared" / "testdata"))
    if not (path / "faces").is_dir():
        sys.exit(f"test data not found at {path} (set KIOSK_TESTDATA)")
    return path


def pipeline(root: Path) -> None:
    faces.engine()  # model loading is not a per-frame cost
    g = Gallery()
    g.add("obama", faces.encode_image(faces.load_image(root / "faces/people/obama/obama2.jpg"))[0][1])
    for name in ("obama-480p.jpg", "obama-720p.jpg", "obama-1080p.jpg"):
        frame = faces.load_image(root / "faces/variants" / name)
        obs = FaceObserver(g)
        ms = [obs.observe(frame, i * 0.1).ms for i in range(40)]
        h, w = frame.shape[:2]
        print(f"one face, {w}x{h}: median {statistics.median(ms):.1f} ms/frame, max {max(ms):.1f} ms "
              f"(the frames that encode; {sum(1 for _ in ms)} frames)")
        blank = np.random.default_rng(0).integers(60, 200, frame.shape, dtype=np.uint8)
        blank = (blank // 40 * 40).astype(np.uint8)  # some texture, no face
        ms = [obs.observe(blank, 10 + i * 0.1).ms for i in range(30)]
        print(f"no face,  {w}x{h}: median {statistics.median(ms):.1f} ms/frame")
    frame = faces.load_image(root / "faces/variants/obama-720p.jpg")
    box = faces.detect_faces(frame)[0]
    t = []
    for _ in range(10):
        t0 = time.perf_counter()
        faces.encode_face(frame, box)
        t.append((time.perf_counter() - t0) * 1000)
    print(f"one encoding (done once or twice per tracked face): median {statistics.median(t):.1f} ms")


def gallery_speed() -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(0, 0.09, (100_000, 128)).astype(np.float32)
    g = Gallery()
    for i in range(0, 100_000, 2):
        g.add_many(f"citizen-{i // 2}", data[i:i + 2])
    probes = data[rng.integers(0, 100_000, 50)] + rng.normal(0, 0.02, (50, 128)).astype(np.float32)
    t = []
    for p in probes:
        t0 = time.perf_counter()
        g.match(p)
        t.append((time.perf_counter() - t0) * 1000)
    print(f"gallery match, {len(g)} templates / {len(g.identities())} identities: "
          f"median {statistics.median(t):.2f} ms, max {max(t):.2f} ms")


def rates(root: Path) -> None:
    encs = {}
    with open(root / "faces/labels.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            encs[row["path"]] = (row["identity"], faces.encode_image(faces.load_image(root / "faces" / row["path"]))[0][1])
    paths = list(encs)
    ids = np.array([encs[p][0] for p in paths])

    def gallery(sel: list[str]) -> Gallery:
        g = Gallery()
        for p in sel:
            g.add(encs[p][0], encs[p][1])
        return g

    rule = DEFAULT_RULE
    print(f"decision rule: distance <= {rule.threshold}, margin >= {rule.min_margin}, "
          f"{rule.agreement_frames} agreeing encodings at the kiosk")
    tm = fm = fo = 0
    for p in paths:
        m = gallery([q for q in paths if q != p]).match(encs[p][1])
        tm += m.accepted and m.identity == encs[p][0]
        fm += m.accepted and m.identity != encs[p][0]
        fo += gallery([q for q in paths if encs[q][0] != encs[p][0]]).match(encs[p][1]).accepted
    n = len(paths)
    print(f"leave-one-out (all other photos enrolled): true match {tm}/{n} = {tm / n:.1%}, "
          f"false match {fm}/{n}; open set (own identity removed): false match {fo}/{n}")
    rng = np.random.default_rng(0)
    for k in (1, 2, 3):
        tm = tot = fm = fo = 0
        for _ in range(100):
            sel = []
            for u in sorted(set(ids)):
                idx = [i for i in range(n) if ids[i] == u]
                sel += list(rng.choice(idx, min(k, len(idx) - 1), replace=False))
            g = gallery([paths[i] for i in sel])
            for i in set(range(n)) - set(sel):
                m = g.match(encs[paths[i]][1])
                tot += 1
                tm += m.accepted and m.identity == ids[i]
                fm += m.accepted and m.identity != ids[i]
        print(f"{k} enrolment photo(s) per person, 100 random galleries: true match {tm / tot:.1%}, "
              f"false match {fm}/{tot}")
    with open(root / "faces/hard_impostor_pairs.csv", newline="", encoding="utf-8") as fh:
        hard = list(csv.DictReader(fh))
    acc = sum(gallery([r["file_b"]]).match(encs[r["file_a"]][1]).accepted for r in hard)
    acc06 = sum(float(r["distance"]) <= 0.6 for r in hard)
    print(f"hard impostor pairs: {acc}/{len(hard)} accepted (at tolerance 0.6: {acc06}/{len(hard)})")
    with open(root / "faces/hard_genuine_pairs.csv", newline="", encoding="utf-8") as fh:
        hard = list(csv.DictReader(fh))
    acc = sum(gallery([r["file_b"]]).match(encs[r["file_a"]][1]).accepted for r in hard)
    print(f"hard genuine pairs (one photo enrolled): {acc}/{len(hard)} accepted")
    iu = np.triu_indices(n, 1)
    d = np.array([[np.linalg.norm(encs[a][1] - encs[b][1]) for b in paths] for a in paths])[iu]
    same = (ids[:, None] == ids[None, :])[iu]
    print(f"all pairs: genuine {same.sum()} accepted {np.mean(d[same] <= rule.threshold):.1%}; "
          f"impostor {(~same).sum()} accepted {int(np.sum(d[~same] <= rule.threshold))}")


if __name__ == "__main__":
    root = testdata()
    print(f"CPU threads: {os.cpu_count()}")
    pipeline(root)
    gallery_speed()
    rates(root)

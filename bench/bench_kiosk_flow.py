"""Benchmark of the touch-free kiosk pipeline on this machine (prints figures; not a test).

- pipeline ms per frame (QR ladder + face detection/tracking/liveness; encodings included when they
  happen) on empty frames, frames with one face, frames with a card and a face;
- preview JPEG encoding ms and size;
- the whole first-visit + later-visit flow of tests/kiosk (frames, wall time), when
  ../shared/testdata is present.

Run: .venv/bin/python bench/bench_kiosk_flow.py
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "kiosk"))


def _median_ms(fn, n: int) -> tuple[float, float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    from conftest import testdata_dir
    from kiosk_testlib import CARD, enter_live, face_crop, head_turn, make_kiosk, scene

    from kiosk.vision.gallery import Gallery
    from kiosk.vision.pipeline import PipelineSettings, VisionPipeline, encode_preview
    from kiosk.vision.tracker import FaceObserver

    empty = scene()
    pipe = VisionPipeline(FaceObserver(Gallery()), settings=PipelineSettings(preview_interval_s=0))
    pipe.process(empty, 0.0)  # loads the face models
    t = [1.0]

    def run(frame):
        t[0] += 0.1
        return pipe.process(frame, t[0])

    med, worst = _median_ms(lambda: run(empty), 30)
    print(f"pipeline, empty 960x540 frame (QR ladder + face detection): median {med:.1f} ms, max {worst:.1f} ms")
    qr_only = VisionPipeline(None, settings=PipelineSettings(preview_interval_s=0, qr_passes=1))
    med, worst = _median_ms(lambda: qr_only.process(empty, 0.0), 30)
    print(f"pipeline, empty frame, QR plain pass only, no faces: median {med:.1f} ms")
    med, worst = _median_ms(lambda: encode_preview(empty), 30)
    print(f"preview JPEG 320 px: median {med:.2f} ms, {len(encode_preview(empty))} bytes (empty room)")

    root = testdata_dir()
    if root is None:
        print("shared test data absent: face figures skipped")
        return
    crop, pts = face_crop(root, "people/obama/obama.jpg")
    frames = [scene(head_turn(crop, pts, i)) for i in range(8)]
    times = []
    for i in range(40):
        obs = run(frames[i % 8])
        times.append(obs.ms)
    print(f"pipeline, one face 960x540 (tracked; encodes up to 4 times per track): median "
          f"{statistics.median(times):.1f} ms, max {max(times):.1f} ms")
    card = scene(crop, card=CARD)
    med, worst = _median_ms(lambda: run(card), 20)
    print(f"pipeline, card + face in view: median {med:.1f} ms, max {worst:.1f} ms")
    big = scene(crop)
    print(f"preview JPEG of a face frame: {len(encode_preview(big))} bytes")

    with tempfile.TemporaryDirectory() as tmp:
        from test_kiosk_flow_camera import first_visit

        k = make_kiosk(Path(tmp))
        t0 = time.perf_counter()
        snap, _, _ = first_visit(k, crop, pts)
        first = time.perf_counter() - t0
        n_first = len(k.states)
        for _ in range(25):
            k.feed(scene())
        t1 = time.perf_counter()
        snap2 = enter_live(k, crop, pts)
        later = time.perf_counter() - t1
        print(f"first visit (idle -> card -> consent -> enrol -> ticket {snap['ticket']['number']}): "
              f"{n_first} frames, {first:.1f} s of processing")
        print(f"later visit recognised by face: state {snap2['state']} after 8 frames, {later:.2f} s of processing")


if __name__ == "__main__":
    main()

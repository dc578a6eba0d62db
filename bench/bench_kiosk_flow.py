"""Benchmark of the touch-free kiosk's vision on this machine (prints figures; not a test).

- pipeline ms per frame (QR ladder + face detection/tracking/liveness; encodings included when they
  happen) on empty frames, frames with one face, frames with a card and a face: what the vision
  worker spends on a frame when its presence gate lets it through;
- the presence gate's cheap check (the only work on a frame of an empty hall) and the preview JPEG;
- one pushed frame's round trip through a real vision worker process (pipe, protocol, gate);
- the whole first-visit + later-visit flow through a real worker, and through the fast fake vision
  the session tests use, when ../shared/testdata (or KIOSK_TESTDATA) is present.

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
    import cv2
    from kiosk_testlib import (
        CARD,
        PERSON,
        enter_live,
        face_crop,
        first_visit,
        head_turn,
        leave,
        make_kiosk,
        scene,
    )
    from shared_data import testdata_dir

    from kiosk.vision.gallery import Gallery
    from kiosk.vision.pipeline import PipelineSettings, VisionPipeline, encode_preview
    from kiosk.vision.sources import _empty_room
    from kiosk.vision.tracker import FaceObserver
    from kiosk.vision.worker.client import VisionWorker, WorkerSettings
    from kiosk.vision.worker.presence import PresenceGate, small_from_jpeg, small_from_rgb

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
    hall = _empty_room(1280, 720)
    gate = PresenceGate()
    med, _ = _median_ms(lambda: gate.moved(small_from_rgb(hall), 0.0), 50)
    print(f"presence gate, 1280x720 RGB frame (downscale + grey + blur + diff): median {med:.2f} ms")
    jpeg = cv2.imencode(".jpg", cv2.cvtColor(_empty_room(640, 480), cv2.COLOR_RGB2BGR))[1].tobytes()
    med, _ = _median_ms(lambda: gate.moved(small_from_jpeg(jpeg), 0.0), 50)
    print(f"presence gate, 640x480 JPEG (decoded at a quarter size): median {med:.2f} ms")
    med, worst = _median_ms(lambda: encode_preview(empty), 30)
    print(f"preview JPEG 320 px: median {med:.2f} ms, {len(encode_preview(empty))} bytes (empty room)")

    worker = VisionWorker(WorkerSettings(source=None, faces=True, preview_interval_s=0.0), name="bench")
    worker.start()
    assert worker.wait_ready(120)
    worker.process_jpeg(jpeg, 0.0)  # the first look is a full one
    ts = [100.0]

    def round_trip(session: bool):
        ts[0] += 0.5  # at the presence rate: every frame is looked at
        worker.set_session(session)
        return worker.process_jpeg(jpeg, ts[0])

    med, worst = _median_ms(lambda: round_trip(False), 30)
    print(f"worker round trip, pushed 640x480 JPEG of an empty hall (gated: cheap check only): median {med:.1f} ms")
    med, worst = _median_ms(lambda: round_trip(True), 30)
    print(f"worker round trip, same frame during a session (full pipeline): median {med:.1f} ms, max {worst:.1f} ms")
    worker.stop(5)

    root = testdata_dir()
    if root is None:
        print("shared test data absent: face figures skipped")
        return
    crop, pts = face_crop(root, PERSON)
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
    print(f"preview JPEG of a face frame: {len(encode_preview(scene(crop)))} bytes")

    for label, kw in (("through a real vision worker", {"worker": True, "testdata": root}), ("fake vision", {})):
        with tempfile.TemporaryDirectory() as tmp:
            k = make_kiosk(Path(tmp), **kw)
            try:
                t0 = time.perf_counter()
                snap, _, _ = first_visit(k, PERSON)
                first = time.perf_counter() - t0
                n_first = len(k.states)
                leave(k)
                t1 = time.perf_counter()
                snap2 = enter_live(k, PERSON)
                later = time.perf_counter() - t1
            finally:
                k.close()
        print(f"{label}: first visit (idle -> card -> consent -> enrol -> ticket {snap['ticket']['number']}) "
              f"{n_first} frames in {first:.2f} s; later visit recognised: state {snap2['state']} after 8 frames, "
              f"{later:.2f} s")


if __name__ == "__main__":
    main()

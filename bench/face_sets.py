"""The shared face sets as templates, for the face benchmarks and the calibration.

Two sets of ../shared/testdata/faces (KIOSK_TESTDATA overrides the folder): ``western`` (``people/``,
68 photos, 15 identities) and ``east_asian`` (``east_asian/people/``, 110 photos, 23 identities). Each
photo is encoded once with the kiosk's engine (``kiosk.vision.faces.encode_image``, still-photo
detection, the largest face) and the templates are cached outside the repository, under
``~/.cache/kiosk-bench/`` (``KIOSK_BENCH_CACHE`` overrides), keyed by the photo's bytes and the engine's
version: the photos are public test data, never copied into the project.

    from face_sets import load_set
    s = load_set("east_asian")      # FaceSet(name, files, identities, templates (n, 128) float32)
"""
from __future__ import annotations

import csv
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SETS = {"western": "faces", "east_asian": "faces/east_asian"}


@dataclass(frozen=True)
class FaceSet:
    """One labelled set: ``templates[i]`` is the photo ``files[i]`` of ``identities[i]``."""

    name: str
    files: list[str]
    identities: list[str]
    templates: np.ndarray

    @property
    def labels(self) -> np.ndarray:
        """Identity index per photo (0..k-1, in the order of ``names``)."""
        index = {n: i for i, n in enumerate(self.names)}
        return np.array([index[i] for i in self.identities])

    @property
    def names(self) -> list[str]:
        return sorted(set(self.identities))


def testdata() -> Path:
    path = Path(os.environ.get("KIOSK_TESTDATA", ROOT.parent / "shared" / "testdata"))
    if not (path / "faces").is_dir():
        sys.exit(f"test data not found at {path} (set KIOSK_TESTDATA)")
    return path


def _cache_dir() -> Path:
    path = Path(os.environ.get("KIOSK_BENCH_CACHE", Path.home() / ".cache" / "kiosk-bench"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _engine_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for dist in ("dlib-bin", "face-recognition-models", "face_recognition"):
        try:
            parts.append(f"{dist}={version(dist)}")
        except PackageNotFoundError:
            parts.append(f"{dist}=?")
    return ";".join(parts)


def load_set(name: str) -> FaceSet:
    """Templates of every photo of set ``name`` ("western" or "east_asian"), from the cache when it holds them."""
    if name not in SETS:
        raise ValueError(f"unknown face set {name!r}: one of {', '.join(SETS)}")
    folder = testdata() / SETS[name]
    with open(folder / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = [(r["path"], r["identity"]) for r in csv.DictReader(fh)]
    digest = hashlib.sha256(_engine_version().encode())
    for rel, _ in rows:
        digest.update(rel.encode())
        digest.update(hashlib.sha256((folder / rel).read_bytes()).digest())
    cache = _cache_dir() / f"{name}-{digest.hexdigest()[:16]}.npz"
    if cache.exists():
        data = np.load(cache, allow_pickle=False)
        return FaceSet(name, list(data["files"]), list(data["identities"]), data["templates"].astype(np.float32))
    from kiosk.vision import faces

    files, identities, templates = [], [], []
    for rel, identity in rows:
        found = faces.encode_image(faces.load_image(folder / rel))
        if not found:
            print(f"warning: no face in {rel}; left out", file=sys.stderr)
            continue
        largest = max(found, key=lambda f: f[0].width * f[0].height)
        files.append(rel)
        identities.append(identity)
        templates.append(np.asarray(largest[1], dtype=np.float32))
    out = FaceSet(name, files, identities, np.stack(templates))
    np.savez(cache, files=np.array(files), identities=np.array(identities), templates=out.templates)
    return out


if __name__ == "__main__":
    for set_name in SETS:
        s = load_set(set_name)
        print(f"{set_name}: {len(s.files)} photos, {len(s.names)} identities")

"""Compare face-recognition models on the shared face sets, from each model's embeddings.

Model-agnostic: it reads ``MODEL-SET.npz`` files (files, identities, embeddings, metric, model,
ms_embed, ms_detect) written by a runner: bench/face_model_runners.py for dlib and the models run from
Python, or a Node runner under bench/node/ for a TF.js model. Every model is scored on the same photos
with the same protocol, per set (Western ``faces/people``, East Asian ``faces/east_asian/people``):

- every pair: equal error rate (EER), the threshold that gives it, and the false-match and
  false-non-match rates at that threshold;
- open-set identification at 0 false accepts, leave identities out: the identities are split in two
  halves. The threshold is the smallest distance between two different people of the training half
  (every pair: no false match there). On the held-out half some identities are enrolled (one photo
  each) and the others are strangers; every other photo is a probe, proposed as its nearest enrolled
  identity when under the threshold. Scored: TMR (the right identity proposed) and the false-accept
  rate actually seen (a stranger, or someone else, proposed). Repeated over random splits, both ways
  round. The last column tunes the threshold on the held-out probes themselves (the largest that
  accepts none of them wrongly): optimistic, what the issue's first table did.

    python bench/bench_face_models.py /tmp/fmodels/emb            # every MODEL-SET.npz there
    python bench/bench_face_models.py a-western.npz a-east_asian.npz
"""
from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SET_ORDER = ("east_asian", "western")


@dataclass(frozen=True)
class Embeddings:
    model: str
    set_name: str
    identities: np.ndarray
    emb: np.ndarray
    metric: str
    ms_embed: float
    ms_detect: float


def load(path: Path) -> Embeddings:
    d = np.load(path, allow_pickle=False)
    set_name = path.stem.rsplit("-", 1)[1]
    return Embeddings(str(d["model"]), set_name, d["identities"], d["embeddings"].astype(np.float64),
                      str(d["metric"]), float(d["ms_embed"]), float(d["ms_detect"]))


def distances(e: Embeddings) -> np.ndarray:
    """All-pairs distance matrix: euclidean, or 1 - cosine similarity for metric "cosine"."""
    x = e.emb
    if e.metric == "cosine":
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
        return 1.0 - x @ x.T
    sq = (x * x).sum(1)
    return np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0))


def every_pair(d: np.ndarray, ids: np.ndarray) -> dict[str, float]:
    """EER over every pair of photos, its threshold, and the false-match/non-match rates there."""
    iu = np.triu_indices(len(ids), 1)
    same = (ids[:, None] == ids[None, :])[iu]
    dist = d[iu]
    gen, imp = np.sort(dist[same]), np.sort(dist[~same])
    best = None
    for t in np.unique(dist):
        fnmr = 1.0 - np.searchsorted(gen, t, side="right") / len(gen)
        fmr = np.searchsorted(imp, t, side="right") / len(imp)
        gap = abs(fnmr - fmr)
        if best is None or gap < best[0]:
            best = (gap, t, fmr, fnmr)
    _, t, fmr, fnmr = best
    return {"eer": (fmr + fnmr) / 2, "threshold": float(t), "fmr": fmr, "fnmr": fnmr}


def open_set_trial(d: np.ndarray, ids: np.ndarray, half: list[str], rng: np.random.Generator,
                   enrol_share: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One open-set exercise on the identities ``half``: (nearest distance, right identity?, stranger?)
    per probe. One random photo of each enrolled identity is its template."""
    half = list(rng.permutation(half))
    n_enrol = max(2, round(len(half) * enrol_share))
    enrolled, strangers = half[:n_enrol], set(half[n_enrol:])
    gallery, owner = [], []
    for name in enrolled:
        idx = np.flatnonzero(ids == name)
        gallery.append(int(rng.choice(idx)))
        owner.append(name)
    gallery_set = set(gallery)
    probes = [i for i in range(len(ids)) if ids[i] in half and i not in gallery_set]
    sub = d[np.ix_(probes, gallery)]
    nearest = sub.argmin(1)
    dist = sub[np.arange(len(probes)), nearest]
    right = np.array([owner[j] == ids[p] for p, j in zip(probes, nearest, strict=True)])
    stranger = np.array([ids[p] in strangers for p in probes])
    return dist, right, stranger


def zero_fa_threshold(dist: np.ndarray, right: np.ndarray) -> float:
    """The largest threshold (accept when distance < t) that accepts no stranger and no wrong identity."""
    wrong = dist[~right]
    return float(wrong.min()) if len(wrong) else float("inf")


def zero_fm_pair_threshold(d: np.ndarray, ids: np.ndarray, half: list[str]) -> float:
    """The smallest distance between photos of two different people of ``half``."""
    idx = np.flatnonzero(np.isin(ids, half))
    sub, who = d[np.ix_(idx, idx)], ids[idx]
    return float(sub[who[:, None] != who[None, :]].min())


def open_set(d: np.ndarray, ids: np.ndarray, repeats: int = 100, enrol_share: float = 0.67,
             seed: int = 0) -> dict[str, float]:
    """Leave-identities-out TMR at 0 false accepts (threshold from the other half), with the
    false-accept rate actually seen on the held-out half, and the optimistic same-half TMR."""
    rng = np.random.default_rng(seed)
    names = sorted(set(ids))
    tmr, fa, opt = [], [], []
    for _ in range(repeats):
        perm = list(rng.permutation(names))
        halves = perm[: len(perm) // 2], perm[len(perm) // 2:]
        for train, test in ((0, 1), (1, 0)):
            t = zero_fm_pair_threshold(d, ids, halves[train])
            dist, right, stranger = open_set_trial(d, ids, halves[test], rng, enrol_share)
            accepted = dist < t
            genuine = ~stranger
            tmr.append((accepted & right & genuine).sum() / max(1, genuine.sum()))
            fa.append((accepted & ~right).sum() / len(dist))
            t_opt = zero_fa_threshold(dist, right)
            opt.append(((dist < t_opt) & right & genuine).sum() / max(1, genuine.sum()))
    return {"tmr": float(np.mean(tmr)), "fa": float(np.mean(fa)), "tmr_optimistic": float(np.mean(opt))}


def report(runs: list[Embeddings], repeats: int) -> None:
    by_model: dict[str, dict[str, Embeddings]] = defaultdict(dict)
    for e in runs:
        by_model[e.model][e.set_name] = e
    rows = []
    for model, sets in by_model.items():
        row = {"model": model}
        for set_name in SET_ORDER:
            if set_name not in sets:
                continue
            e = sets[set_name]
            d = distances(e)
            row[set_name] = (every_pair(d, e.identities), open_set(d, e.identities, repeats), len(e.identities),
                             len(set(e.identities)), e.ms_embed, e.ms_detect)
            row["dim"] = e.emb.shape[1]
        rows.append(row)
    print(f"every pair; open set: threshold = no false match among the training half's pairs; on the "
          f"held-out half 2/3 of the identities enrolled with 1 photo each ({repeats} splits x 2)\n")
    print("| model | dim | set | photos / ids | EER | threshold | FMR / FNMR there | open-set TMR at 0 FA "
          "(held-out) | FA seen on held-out | TMR, tuned on the probes | ms embed (+ detect) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        for set_name in SET_ORDER:
            if set_name not in row:
                continue
            pair, osi, n, k, ms_embed, ms_detect = row[set_name]
            print(f"| {row['model']} | {row['dim']} | {set_name} | {n} / {k} | {pair['eer']:.2%} | "
                  f"{pair['threshold']:.3f} | {pair['fmr']:.2%} / {pair['fnmr']:.2%} | {osi['tmr']:.0%} | "
                  f"{osi['fa']:.1%} | {osi['tmr_optimistic']:.0%} | {ms_embed:.0f} (+ {ms_detect:.0f}) |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+", type=Path, help="MODEL-SET.npz files, or folders of them")
    ap.add_argument("--repeats", type=int, default=100, help="random identity splits (default 100)")
    args = ap.parse_args()
    files = []
    for p in args.paths:
        files.extend(sorted(p.glob("*-*.npz")) if p.is_dir() else [p])
    if not files:
        ap.error("no MODEL-SET.npz found")
    report([load(f) for f in files], args.repeats)


if __name__ == "__main__":
    main()

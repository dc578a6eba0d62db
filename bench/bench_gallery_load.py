"""Face gallery load at start: prints, for 5,000 / 20,000 / 60,000 enrolled citizens (60,000 is a year at a
district centre), the time to have the kiosks' gallery ready, all of it and within the gallery window; and
a retention purge of 5,000 citizens.

The store is synthetic but real: the migrations, the citizens registry's own sealing (AES-GCM of the CCCD
record and of the templates, ``pack_templates``), 1.5 templates a citizen on average, last seen spread evenly
over the past year, a granted face consent each, two tickets each; the largest store also holds the
citizens the purge deletes (last seen more than a year ago), which "all" loads too. ``--old`` writes the templates the way they
were sealed before (a JSON list of hex strings), which the registry still reads.

"Ready" is what the service does before a kiosk can recognise anyone: ``gallery_from_store`` (one query,
one decryption a citizen, one matrix), ``Gallery.to_bytes`` (sent to each terminal's vision worker) and
``Gallery.from_bytes`` (in the worker).

Run: .venv/bin/python bench/bench_gallery_load.py [--sizes 5000,20000,60000] [--old] [--window 90]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.citizens.crypto import Vault, load_or_create_key  # noqa: E402
from kiosk.citizens.registry import (  # noqa: E402
    FACE_CONSENT_PURPOSE,
    FACE_PURPOSE,
    RECORD_PURPOSE,
    CitizenRegistry,
    pack_templates,
)
from kiosk.queue.clock import FakeClock  # noqa: E402
from kiosk.session.setup import gallery_from_store  # noqa: E402
from kiosk.store import open_store  # noqa: E402
from kiosk.vision.gallery import Gallery, template_to_bytes  # noqa: E402

DAY = 86400.0
NOW = 1_800_000_000.0


def seed(data: Path, n: int, old: bool, expired: int = 0) -> CitizenRegistry:
    """N enrolled citizens (and EXPIRED more, last seen beyond a year) in a fresh store under DATA."""
    store = open_store(data)
    vault = Vault(load_or_create_key(data / "keys" / "citizen.key"))
    registry = CitizenRegistry(store, vault, FakeClock(NOW))
    rng = np.random.default_rng(1)
    citizens, consents, tickets = [], [], []
    for i in range(n + expired):
        templates = [template_to_bytes(rng.normal(0, 0.1, 128)) for _ in range(1 + (i % 2))]
        plain = json.dumps([t.hex() for t in templates]).encode() if old else pack_templates(templates, len(templates))
        record = json.dumps({"id_number": f"{i:012d}", "full_name": "Nguyễn Văn A", "date_of_birth": "1980-01-01"},
                            ensure_ascii=False).encode()
        seen = NOW - (rng.uniform(0, 364) if i < n else rng.uniform(366, 700)) * DAY
        lookup = vault.lookup(f"{i:012d}")
        citizens.append((i + 1, lookup, vault.seal(record, RECORD_PURPOSE), vault.seal(plain, FACE_PURPOSE), i + 1,
                         seen - DAY, seen, seen - DAY))
        consents.append((i + 1, i + 1, FACE_CONSENT_PURPOSE, "v1", 1, "kiosk", seen - DAY))
        tickets += [(f"d{i}", lookup), (f"e{i}", lookup)]
    with store.transaction() as conn:
        conn.execute("PRAGMA defer_foreign_keys = ON")  # citizens and their consents point at each other
        conn.execute("INSERT INTO services (code, name, prefix) VALUES ('HT', 'Hộ tịch', 'A')")
        conn.executemany("INSERT INTO consents (id, citizen_id, purpose, text_version, granted, channel, at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", consents)
        conn.executemany("INSERT INTO citizens (id, lookup, record, face, face_consent_id, created_at, last_seen_at, "
                         "face_enrolled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", citizens)
        conn.executemany("INSERT INTO tickets (day, prefix, seq, number, service_code, priority, state, issued_at, "
                         "citizen_key) VALUES (?, 'A', 1, 'A001', 'HT', 'normal', 'done', 0, ?)", tickets)
    return registry


def timed(fn, repeat: int = 3):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def ready(registry: CitizenRegistry, since: float | None) -> tuple[float, float, float, int, int]:
    """(load, to_bytes, from_bytes) seconds, best of 3, and the citizens and templates held."""
    load_s, gallery = timed(lambda: gallery_from_store(registry, since))
    send_s, blob = timed(gallery.to_bytes)
    recv_s, _ = timed(lambda: Gallery.from_bytes(blob))
    return load_s, send_s, recv_s, len(gallery.identities()), len(gallery)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="5000,20000,60000")
    ap.add_argument("--old", action="store_true", help="templates sealed in the older JSON-hex form")
    ap.add_argument("--window", type=int, default=90, help="gallery window in days")
    ap.add_argument("--purge", type=int, default=5000, help="expired citizens purged after the largest size")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"blobs: {'JSON-hex (before)' if args.old else 'compact'}; window {args.window} days; best of 3")
    print(f"{'enrolled':>9} {'loaded':>6} {'citizens':>9} {'templates':>9} {'load s':>7} {'to_bytes s':>10} {'from_bytes s':>12}"
          f" {'ready s':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for k, n in enumerate(sizes):
            last = k == len(sizes) - 1
            registry = seed(Path(tmp) / f"d{n}", n, args.old, args.purge if last else 0)
            for label, since in (("all", None), (f"{args.window} d", NOW - args.window * DAY)):
                load_s, send_s, recv_s, people, size = ready(registry, since)
                print(f"{n:>9} {label:>6} {people:>9} {size:>9} {load_s:>7.2f} {send_s:>10.2f} {recv_s:>12.2f}"
                      f" {load_s + send_s + recv_s:>7.2f}")
            if last and args.purge:
                conn = registry.store.conn()
                plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN UPDATE consents SET citizen_id = NULL "
                                                   "WHERE citizen_id = ?", [1])]
                t0 = time.perf_counter()
                purged = registry.purge_expired(365)
                print(f"retention purge: {purged} citizens in {time.perf_counter() - t0:.2f} s "
                      f"(consents by {'; '.join(plan)})")
            registry.store.close()


if __name__ == "__main__":
    main()

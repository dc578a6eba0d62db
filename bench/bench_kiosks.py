"""Kiosk terminals streaming their webcams to the real server: what each costs, how fast it reacts, and what
it does to the hall displays.

For each count of terminals (``--terminals``, default 0,1,2,4,6; 0 is the baseline without any), a fresh
server (`kiosk serve`, gevent, ``[vision] enabled = true, faces = true``, devices off) with that many kiosk
tokens, every one a terminal whose camera is the browser's. Each terminal is a python-socketio client on
/kiosk that sends ``kiosk_frame`` as the page does: 640x480 JPEGs (quality 70) at the rate the server asks
(``kiosk_rate``: 2 a second while idle, 8 in a session), the next frame only after the last one's ack, one
frame period after the last one started. What it shows loops over a scenario, shifted by ``i / N`` of a
cycle at terminal ``i``: a person steps up (a testdata/faces photo composited into the room, its head
turning a little; Western and East Asian faces in turn) for PERSON_S, holds up an invented CCCD card
(kiosk.vision.sources.demo_card_frame) for CARD_S, then leaves (the empty room) for GONE_S, longer than
the flow's ``leave_s`` so the terminal is idle again before the next cycle. One cycle at every terminal
is run first as a warm-up and not counted. During the ``--seconds`` window that follows, an officer calls
a ticket every quarter second at counter 6 while 50 ``/display`` clients (bench/display_clients.py) listen.

Printed for each count:

- **CPU per terminal**: CPU seconds of the server's vision worker processes (children of the server
  running ``kiosk.vision.worker``, from /proc/PID/stat) over the window, divided by the window and by the
  number of terminals (% of one core); the web process's own CPU, and the machine's (2 cores = 200 %).
- **frame -> kiosk_state**: for each scenario step that must change the terminal's state, the time
  from sending the first frame that shows the change (the person appears: ``idle`` -> ``present``; the
  card appears: ``present`` -> ``consent``) to the arrival of the first ``kiosk_state`` in that state,
  both read on this process's monotonic clock. It spans the frame's trip, the worker's presence gate
  and pipeline (for the card, the two agreeing reads the flow waits for: at least one more frame), the
  flow and the state's trip back. p50/p99 over every such step of every terminal; "missed": the state did
  not come before the step ended (the step is then left out of the percentiles).
- **ack**: p50/p99 from sending a frame to its ack (the web process's own handling of a frame; the ack
  does not wait for the worker).
- **frames**: sent, accepted, dropped (ack ``accepted: false``: the terminal's worker was still busy with
  the previous frame) and refused (ack ``ok: false``, by error code).
- **call -> ticket_called**: from the call-next HTTP response to ``ticket_called`` at the slowest of the
  50 displays, p50/p99 over the calls of the window (the issue's target: p99 <= 50 ms at 4 terminals), and
  the call-next HTTP response time itself.

Everything shares this machine's cores: the server and its workers (their own scheduler group, the
workers at nice +10 within it), the display clients and this process. Skipped, with a message, when the
face photos (../shared/testdata/faces, or KIOSK_TESTDATA) are absent.

    .venv/bin/python bench/bench_kiosks.py [--terminals 1,2,4,6] [--seconds N]
"""
from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "kiosk"))
from bench_connections import Displays  # noqa: E402
from proc_stats import cpu_seconds, cpu_ticks, vision_workers  # noqa: E402
from server_process import ServerProcess, create_token  # noqa: E402
from shared_data import testdata_dir  # noqa: E402
from shared_setup import lift_daily_limits, pct, seeded_data_dir  # noqa: E402

W, H = 640, 480
QUALITY = 70  # what the page's canvas.toBlob(…, 0.7) gives
PERSON_S, CARD_S, GONE_S = 3.0, 4.0, 7.0
CYCLE_S = PERSON_S + CARD_S + GONE_S
DISPLAYS = 50
CALL_EVERY_S = 0.25
# Western and East Asian faces in turn (testdata/faces; one face each, found by HOG at upsample 1)
FACES = ["people/obama/obama.jpg", "east_asian/people/ahn_jaehyun/20004_1.jpg", "people/angelina/img1.jpg",
         "east_asian/people/lee_haena/20002_1.jpg", "people/biden/biden.jpg", "east_asian/people/chen_xiao/113_1.jpg"]
# invented citizens (no real person), one card per terminal
NAMES = ["Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em", "Vũ Thị Giang", "Đặng Văn Hùng"]
CONFIG = "[vision]\nenabled = true\nfaces = true\n[devices]\nenabled = false\n"


def card_payload(i: int) -> str:
    sex = "Nữ" if i % 2 == 0 else "Nam"
    return (f"0790900012{30 + i:02d}||{NAMES[i % len(NAMES)]}|0203199{i % 10}|{sex}|"
            f"{12 + i} Lê Lợi, Phường Bến Nghé, TP Hồ Chí Minh|10052021")


def find_testdata() -> Path | None:
    """testdata_dir(), else the nearest ../shared/testdata above this checkout (a worktree sits deeper)."""
    found = testdata_dir()
    if found is not None:
        return found
    return next((p / "shared" / "testdata" for p in ROOT.parents if (p / "shared" / "testdata").is_dir()), None)


# ------------------------------------------------------------------------------------------------
# what a terminal's camera sees


@dataclass
class Scenario:
    """JPEG frames of one terminal: the empty room, the person (head turning), the person with the card."""

    empty: bytes
    person: list[bytes]
    card: list[bytes]

    def view(self, t: float) -> str:
        """What is in view ``t`` seconds into the scenario (before 0: the empty room)."""
        if t < 0:
            return "empty"
        t %= CYCLE_S
        return "person" if t < PERSON_S else "card" if t < PERSON_S + CARD_S else "empty"

    def frame(self, view: str, n: int) -> bytes:
        return self.empty if view == "empty" else getattr(self, view)[n % 8]


def _jpeg(rgb) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
    assert ok
    return buf.tobytes()


def build_scenario(root: Path, face_rel: str, card: str) -> Scenario:
    import numpy as np
    from kiosk_testlib import face_crop, head_turn

    from kiosk.vision.sources import _empty_room, demo_card_frame

    room = _empty_room(W, H)
    card_frame = demo_card_frame(card, width=W, height=H, module_px=3, centre=(0.5, 0.8))
    card_mask = np.any(card_frame != room, axis=-1)
    crop, pts = face_crop(root, face_rel)
    person, with_card = [], []
    for i in range(8):
        face = head_turn(crop, pts, i)
        fh, fw = face.shape[:2]
        x0, y0 = W // 2 - fw // 2, int(H * 0.33) - fh // 2  # the face a little high: the cursor in the neutral band
        frame = room.copy()
        sx, sy = max(0, -x0), max(0, -y0)
        region = face[sy:sy + H - max(0, y0), sx:sx + W - max(0, x0)]
        frame[max(0, y0):max(0, y0) + region.shape[0], max(0, x0):max(0, x0) + region.shape[1]] = region
        person.append(_jpeg(frame))
        frame[card_mask] = card_frame[card_mask]  # the card is held in front of the body
        with_card.append(_jpeg(frame))
    return Scenario(_jpeg(room), person, with_card)


# ------------------------------------------------------------------------------------------------
# one terminal


@dataclass
class Step:
    """A scenario step that must change the state: ``expect`` from ``sent`` (the first frame showing it)."""

    expect: str
    sent: float
    until: float
    before: str | None  # the state shown when it was sent


@dataclass
class Counts:
    sent: int = 0
    accepted: int = 0
    dropped: int = 0
    refused: collections.Counter = field(default_factory=collections.Counter)
    ack_ms: list[float] = field(default_factory=list)


class TerminalClient:
    """A kiosk page's socket: streams its scenario at the rate asked, records states, rates and acks."""

    def __init__(self, url: str, token: str, scenario: Scenario) -> None:
        self.scenario = scenario
        self.sio = socketio.Client(reconnection=False)
        self.states: list[tuple[float, str]] = []
        self.fps = 0.0
        self.counts = Counts()
        self.steps: list[Step] = []
        self.start_at: float | None = None  # monotonic time the scenario starts (None: the empty room)
        self.halt = threading.Event()
        self.sio.on("kiosk_state", lambda s: self.states.append((time.monotonic(), s["state"])), namespace="/kiosk")
        self.sio.on("kiosk_rate", self._rate, namespace="/kiosk")
        self.sio.connect(url, namespaces=["/kiosk"], auth={"token": token}, transports=["websocket"])
        self.thread = threading.Thread(target=self._stream, daemon=True)
        self.thread.start()

    def _rate(self, msg: dict) -> None:
        self.fps = float(msg["fps"])

    def state_at(self, t: float) -> str | None:
        shown = [s for at, s in self.states if at <= t]
        return shown[-1] if shown else None

    def _stream(self) -> None:
        n, last_view = 0, "empty"
        while not self.halt.is_set():
            fps = self.fps
            if fps <= 0:
                self.halt.wait(0.1)
                continue
            started = time.monotonic()
            view = "empty" if self.start_at is None else self.scenario.view(started - self.start_at)
            if view != last_view and view in ("person", "card") and self.start_at is not None:
                offset = (started - self.start_at) % CYCLE_S
                left = (PERSON_S - offset) if view == "person" else (PERSON_S + CARD_S - offset)
                self.steps.append(Step("present" if view == "person" else "consent", started, started + left,
                                       self.state_at(started)))
            last_view = view
            n += 1
            try:
                ack = self.sio.call("kiosk_frame", {"seq": n, "jpeg": self.scenario.frame(view, n)},
                                    namespace="/kiosk", timeout=10)
            except socketio.exceptions.TimeoutError:
                ack = {"ok": False, "error": "ack_timeout"}
            except Exception as exc:  # the socket closed: the phase is over or the server died
                if not self.halt.is_set():
                    print(f"  a terminal's socket failed: {exc}")
                return
            c = self.counts
            c.ack_ms.append((time.monotonic() - started) * 1000)
            c.sent += 1
            if ack.get("ok"):
                if ack.get("accepted"):
                    c.accepted += 1
                else:
                    c.dropped += 1
            else:
                c.refused[ack.get("error", "?")] += 1
            self.halt.wait(max(0.0, 1.0 / fps - (time.monotonic() - started)))

    def reset(self) -> None:
        self.counts = Counts()
        self.steps = []

    def latencies(self) -> tuple[dict[str, list[float]], dict[str, int], int]:
        """({expected state: [ms]}, {expected state: missed}, steps whose state was already shown)."""
        out: dict[str, list[float]] = {"present": [], "consent": []}
        missed = {"present": 0, "consent": 0}
        already = 0
        for step in self.steps:
            if step.before == step.expect:
                already += 1
                continue
            got = next((at for at, s in self.states if s == step.expect and step.sent <= at <= step.until), None)
            if got is None:
                missed[step.expect] += 1
            else:
                out[step.expect].append((got - step.sent) * 1000)
        return out, missed, already

    def close(self) -> None:
        self.halt.set()
        self.thread.join(12)
        try:
            self.sio.disconnect()
        except Exception:
            pass


# ------------------------------------------------------------------------------------------------
# the calls


class Calls:
    """An officer calling a ticket every CALL_EVERY_S at counter 6 until stopped."""

    def __init__(self, url: str, officer: str, tickets: int) -> None:
        self.url, self.headers = url, {"Authorization": f"Bearer {officer}"}
        self.session = requests.Session()
        for _ in range(tickets):
            self.session.post(url + "/api/v1/tickets", json={"service": "LD"}, headers=self.headers, timeout=10)
        self.sent: list[tuple[str, float]] = []
        self.http_ms: list[float] = []
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.halt.is_set():
            t = time.monotonic()
            r = self.session.post(self.url + "/api/v1/counters/6/next", json={"finish_current": True},
                                  headers=self.headers, timeout=10)
            t0 = time.monotonic()
            if r.status_code != 200:
                print(f"  call-next answered {r.status_code}: {r.text[:200]}")
                return
            self.http_ms.append((t0 - t) * 1000)
            self.sent.append((r.json()["ticket"]["number"], t0))
            self.session.post(self.url + "/api/v1/counters/6/start", headers=self.headers, timeout=10)
            self.halt.wait(CALL_EVERY_S)

    def slowest_screen(self, displays: Displays) -> tuple[list[float], int]:
        """ms from each call to its ticket_called at the slowest display (sorted), and deliveries missing."""
        arrivals = displays.arrivals()
        out, missing = [], 0
        for number, t0 in self.sent:
            got = arrivals.get(number, [])
            missing += displays.connected - len(got)
            if got:
                out.append((max(got) - t0) * 1000)
        return sorted(out), missing


# ------------------------------------------------------------------------------------------------
# one phase


def _p(values: list[float]) -> str:
    if not values:
        return "-"
    values = sorted(values)
    return f"p50 {statistics.median(values):.0f} ms, p99 {pct(values, 0.99):.0f} ms"


def machine_busy() -> tuple[int, int]:
    """(busy, all) clock ticks of the machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def setup_data(tmp: Path, terminals: int) -> tuple[Path, list[str], str, str]:
    """A seeded data dir whose only camera terminals are TERMINALS new kiosk tokens (the demo seed's two
    terminals set to touch only); returns (data dir, their tokens, admin token, officer token)."""
    from kiosk.store import open_store
    from kiosk.terminals import registry

    data = seeded_data_dir(tmp)
    store = open_store(data)
    try:
        with store.transaction() as tx:
            for row in registry.list_terminals(tx):
                registry.update_terminal(tx, row.id, {"camera": "none"})
    finally:
        store.close()
    tokens = [create_token(data, "kiosk") for _ in range(terminals)]
    return data, tokens, create_token(data, "admin"), create_token(data, "officer", counter=6)


def _until(pred, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def run_phase(n: int, scenarios: list[Scenario], seconds: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data, tokens, admin, officer = setup_data(Path(tmp), n)
        cfg = Path(tmp) / "kiosk.toml"
        cfg.write_text(CONFIG)
        server = ServerProcess(data, demo=False, extra_args=["--config", str(cfg)]).start(timeout=60)
        terminals: list[TerminalClient] = []
        try:
            lift_daily_limits(server.url, admin)
            terminals = [TerminalClient(server.url, tok, scenarios[i]) for i, tok in enumerate(tokens)]
            if not _until(lambda: all(t.counts.accepted for t in terminals), 120):
                raise RuntimeError("not every terminal's worker took a frame within 120 s")
            if terminals:  # warm-up: one cycle everywhere at once (models, first tracks), not counted
                now = time.monotonic()
                for t in terminals:
                    t.start_at = now
                time.sleep(CYCLE_S)
                for t in terminals:
                    t.start_at = None
                if not _until(lambda: all(t.state_at(time.monotonic()) in (None, "idle") for t in terminals), 30):
                    print("  note: not every terminal was idle after the warm-up")
            displays = Displays(server.url, DISPLAYS)
            calls = Calls(server.url, officer, int(seconds / CALL_EVERY_S) + 20)
            workers = vision_workers(server.proc.pid)
            pids = [server.proc.pid, *workers]
            before, busy0, t0 = cpu_ticks(pids), machine_busy(), time.monotonic()
            for i, t in enumerate(terminals):
                t.reset()
                t.start_at = t0 + i * CYCLE_S / n
            calls.thread.start()
            time.sleep(seconds)
            calls.halt.set()
            after, busy1, window = cpu_ticks(pids), machine_busy(), time.monotonic() - t0
            for t in terminals:
                t.halt.set()
            calls.thread.join(15)
            called, missing = calls.slowest_screen(displays)
            now_workers = vision_workers(server.proc.pid)
            status = requests.get(server.url + "/api/v1/kiosk/terminals", timeout=10,
                                  headers={"Authorization": f"Bearer {admin}"}).json()["terminals"]
        finally:
            for t in terminals:
                t.close()
            server.stop()
    lat: dict[str, list[float]] = {"present": [], "consent": []}
    missed = {"present": 0, "consent": 0}
    already = 0
    counts = Counts()
    for t in terminals:
        got, miss, al = t.latencies()
        for k in lat:
            lat[k] += got[k]
            missed[k] += miss[k]
        already += al
        counts.sent += t.counts.sent
        counts.accepted += t.counts.accepted
        counts.dropped += t.counts.dropped
        counts.refused.update(t.counts.refused)
        counts.ack_ms += t.counts.ack_ms
    worker_cpu = cpu_seconds({p: before[p] for p in workers if p in before}, after) / window * 100
    web_cpu = cpu_seconds({server.proc.pid: before[server.proc.pid]}, after) / window * 100
    machine = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]) * 200
    return {"n": n, "window": window, "worker_cpu": worker_cpu, "web_cpu": web_cpu, "machine": machine,
            "workers": len(workers), "restarted": len(set(workers) - set(now_workers)), "lat": lat,
            "missed": missed, "already": already, "counts": counts, "called": called, "missing": missing,
            "http_ms": sorted(calls.http_ms), "status": status}


def report(r: dict) -> None:
    n, c = r["n"], r["counts"]
    print(f"{n} terminal{'s' if n != 1 else ''} ({r['window']:.0f} s window):")
    if n:
        print(f"  CPU: vision workers {r['worker_cpu']:.0f} % of one core = {r['worker_cpu'] / n:.0f} % per terminal "
              f"({r['workers']} workers, {r['restarted']} restarted); web process {r['web_cpu']:.0f} %; "
              f"machine {r['machine']:.0f} % of 200 %")
        refused = ", ".join(f"{k} {v}" for k, v in sorted(c.refused.items())) or "none"
        print(f"  frames: {c.sent} sent ({c.sent / r['window'] / n:.1f}/s per terminal), {c.accepted} accepted, "
              f"{c.dropped} dropped (worker busy, {c.dropped / max(1, c.sent) * 100:.0f} %), refused: {refused}; "
              f"frame -> ack {_p(c.ack_ms)}")
        lat, missed = r["lat"], r["missed"]
        print(f"  frame -> kiosk_state: person steps up -> present {_p(lat['present'])} "
              f"(n={len(lat['present'])}, {missed['present']} missed); card shown -> consent {_p(lat['consent'])} "
              f"(n={len(lat['consent'])}, {missed['consent']} missed)"
              + (f"; {r['already']} steps found the state already shown" if r["already"] else ""))
    else:
        print(f"  CPU: web process {r['web_cpu']:.0f} %; machine {r['machine']:.0f} % of 200 %")
    called = r["called"]
    target = " — target p99 <= 50 ms" if n == 4 else ""
    print(f"  call -> ticket_called at the slowest of {DISPLAYS} /display clients: {_p(called)}, "
          f"max {called[-1] if called else float('nan'):.0f} ms over {len(called)} calls "
          f"({r['missing']} deliveries missing){target}; call-next HTTP {_p(r['http_ms'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--terminals", default="0,1,2,4,6", help="comma-separated counts (default 0,1,2,4,6)")
    parser.add_argument("--seconds", type=float, default=45.0, help="measured window per count (default 45)")
    args = parser.parse_args()
    try:
        counts = [int(x) for x in args.terminals.split(",") if x.strip()]
    except ValueError:
        parser.error("--terminals must be whole numbers separated by commas, e.g. 1,2,4,6")
    if any(not 0 <= k <= len(FACES) for k in counts):
        parser.error(f"--terminals: each count must be 0..{len(FACES)}")
    if args.seconds < 5:
        parser.error("--seconds must be at least 5")
    root = find_testdata()
    missing = [rel for rel in FACES if root is None or not (root / "faces" / rel).is_file()]
    if missing:
        where = "no testdata folder found" if root is None else f"missing in {root / 'faces'}: {', '.join(missing)}"
        print(f"SKIPPED: the kiosk bench needs the face photos ({where}); set KIOSK_TESTDATA to the shared "
              "testdata folder (see tests/shared_data.py)")
        return
    print(f"scenario per terminal, a cycle of {CYCLE_S:.0f} s: a person steps up ({PERSON_S:.0f} s), shows a "
          f"CCCD card ({CARD_S:.0f} s), leaves ({GONE_S:.0f} s); faces on; 640x480 JPEG q{QUALITY}; "
          f"a call every {CALL_EVERY_S} s")
    scenarios = [build_scenario(root, FACES[i], card_payload(i)) for i in range(max(counts, default=0))]
    results = []
    for n in counts:
        r = run_phase(n, scenarios, args.seconds)
        report(r)
        results.append(r)
    print("\nterminals | CPU/terminal | web CPU | present p50/p99 | consent p50/p99 | dropped | refused | "
          "call->display p50/p99")
    for r in results:
        c, lat = r["counts"], r["lat"]

        def pp(v: list[float]) -> str:
            return f"{statistics.median(v):.0f}/{pct(sorted(v), 0.99):.0f}" if v else "-"

        per = f"{r['worker_cpu'] / r['n']:.0f} %" if r["n"] else "-"
        print(f"{r['n']:>9} | {per:>12} | {r['web_cpu']:>5.0f} % | {pp(lat['present']):>15} | "
              f"{pp(lat['consent']):>15} | {c.dropped:>7} | {sum(c.refused.values()):>7} | "
              f"{pp(r['called']):>10} ms")


if __name__ == "__main__":
    main()

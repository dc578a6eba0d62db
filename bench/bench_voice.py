"""Time from a counter's call to its announcement audio being ready (target <= 300 ms).

Prints figures; not a test. Run: .venv/bin/python bench/bench_voice.py [--n 30]

Measured paths:
- espeak-ng, first call in the process (nothing cached yet);
- espeak-ng, a new ticket each time (the chime is cached, the sentence is not);
- a recall of the same ticket (served from the render cache);
- recorded clips (a generated 44.1 kHz folder, so every clip is resampled on first load; cached after);
- through the Announcer: submit() until the listener holds the WAV, with an idle queue.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.display.announcement import Call, all_clip_names  # noqa: E402
from kiosk.display.announcer import Announcer  # noqa: E402
from kiosk.display.tts import Voice, VoiceConfig  # noqa: E402

TARGET_MS = 300.0


def report(label: str, samples_ms: list[float]) -> None:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    worst = ordered[-1]
    verdict = "OK" if worst <= TARGET_MS else "OVER TARGET"
    print(f"{label:<48} n={len(ordered):3d}  median {statistics.median(ordered):7.1f} ms  "
          f"p95 {p95:7.1f} ms  max {worst:7.1f} ms  [{verdict}, target <= {TARGET_MS:.0f} ms]")


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000.0


def make_clips(folder: Path) -> None:
    rate = 44100
    for index, name in enumerate(sorted(all_clip_names())):
        seconds = 1.6 if name.startswith("phrase_") else 0.35
        n = round(seconds * rate)
        tone = 0.4 * np.sin(2 * np.pi * (180 + 3 * index) * np.arange(n) / rate)
        with wave.open(str(folder / f"{name}.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes((tone * 32767).astype("<i2").tobytes())


def tickets(n: int, start: int) -> list[Call]:
    return [Call(f"{'ABCD'[i % 4]}{start + i:03d}", 1 + i % 12) for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="renders per measured path")
    args = parser.parse_args()
    print(f"voice benchmark: repeat=2, 22050 Hz mono, {args.n} renders per path")

    if shutil.which("espeak-ng"):
        voice = Voice(VoiceConfig(repeat=2))
        report("espeak-ng, first call in the process", [timed(lambda: voice.render(Call("A001", 1)))])
        report("espeak-ng, new ticket each time", [timed(lambda c=c: voice.render(c)) for c in tickets(args.n, 100)])
        report("recall of the same ticket (cache hit)", [timed(lambda: voice.render(Call("A001", 1)))
                                                          for _ in range(args.n)])
    else:
        print("espeak-ng not installed: espeak figures skipped (apt-get install espeak-ng)")
        voice = None

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_clips(folder)
        clip_voice = Voice(VoiceConfig(clips_dir=folder, repeat=2, missing_clips="error"))
        report("recorded clips, first call (loads + resamples)", [timed(lambda: clip_voice.render(Call("B015", 3)))])
        report("recorded clips, new ticket each time",
               [timed(lambda c=c: clip_voice.render(c)) for c in tickets(args.n, 200)])

    if voice is not None:
        arrived = threading.Event()
        latencies: list[float] = []
        announcer = Announcer(voice.render, listeners=[lambda _result: arrived.set()], pace=False)
        for call in tickets(args.n, 500):
            arrived.clear()
            start = time.perf_counter()
            announcer.submit(call)
            arrived.wait(5)
            latencies.append((time.perf_counter() - start) * 1000.0)
        announcer.close()
        report("Announcer: submit() -> listener has the WAV", latencies)


if __name__ == "__main__":
    main()

"""Time from a counter's call (engine.call_next) to (a) the page frame arriving at the simulated base
station over a pty and (b) the hall announcement's audio being ready (rendered by espeak-ng).

Targets: (a) <= 20 ms, (b) <= 300 ms. Runs the real app factory with the pager simulator, printer
simulator and LED bus simulator; prints median / p90 / max over N calls.

    .venv/bin/python bench/bench_call_fanout.py [--calls 30]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hardware.led_board import LedBusSimulator  # noqa: E402
from hardware.pager import PagerSimulator  # noqa: E402
from hardware.pager.messages import MsgType  # noqa: E402
from hardware.printer.simulator import PrinterSimulator  # noqa: E402
from kiosk.app import create_app  # noqa: E402
from kiosk.demo.centre import open_demo_counters, seed_demo  # noqa: E402
from kiosk.store import open_store  # noqa: E402


def _summary(name: str, values: list[float], target: float) -> None:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
    verdict = "OK" if p90 <= target else "OVER TARGET"
    print(f"{name:38s} n={len(values):3d} median={statistics.median(values):7.1f} ms  p90={p90:7.1f} ms  "
          f"max={values[-1]:7.1f} ms  (target <= {target:.0f} ms: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-fanout-"))
    store = open_store(folder)
    seed_demo(store)
    store.close()
    pager = PagerSimulator(cards=[1, 2, 3]).start()
    printer = PrinterSimulator.pty().start()
    led = LedBusSimulator([1, 2, 3]).start()
    app = create_app({
        "data_dir": str(folder),
        "voice": {"pace": False},
        "pager": {"url": pager.url, "officer_cards": {"1": 1, "2": 2, "3": 3}},
        "printer": {"url": printer.url, "poll_s": 5.0},
        "led": {"url": led.port, "boards": {"1": 1, "2": 2, "3": 3}},
    })
    kiosk = app.extensions["kiosk"]
    hub = kiosk.devices
    engine = kiosk.engine
    try:
        open_demo_counters(engine)
        assert hub.driver.wait_link(5), "pager link did not come up"
        page_at: dict[str, float] = {}
        audio_at: dict[str, float] = {}
        got = threading.Condition()

        def on_frame(frame, at: float) -> None:
            if frame.type == MsgType.PAGE and frame.node == 1:
                ticket = frame.body[7:7 + frame.body[6]].decode("ascii")
                with got:
                    page_at.setdefault(ticket, at)
                    got.notify_all()

        def on_audio(result) -> None:
            with got:
                audio_at.setdefault(result.call.number, time.perf_counter())
                got.notify_all()

        pager.frame_hook = on_frame
        hub.announcer.add_listener(on_audio)
        for _ in range(args.calls):
            engine.issue_ticket("HT", channel="counter")  # not printed: the bench measures calls
        to_page, to_audio = [], []
        for _ in range(args.calls):
            start = time.perf_counter()
            number = engine.call_next(1, finish_current=True).number
            with got:
                got.wait_for(lambda n=number: n in page_at and n in audio_at, 10)
            to_page.append((page_at[number] - start) * 1000)
            to_audio.append((audio_at[number] - start) * 1000)
            engine.start(1)
            kiosk.bus.wait_idle(5)
        print(f"call fan-out on this machine ({args.calls} calls, espeak-ng voice, pager/printer/LED simulators on ptys)")
        _summary("call -> page frame at base station", to_page, 20)
        _summary("call -> announcement audio ready", to_audio, 300)
    finally:
        kiosk.close()
        for sim in (pager, printer, led):
            sim.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

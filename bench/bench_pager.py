"""Time from a PagerDriver.page() call to the PAGE frame arriving on the other end of a real pty
(the simulated base station), and to the delivery report. Target: <= 20 ms to the wire.

    .venv/bin/python bench/bench_pager.py [--pages 200] [--transport pty|tcp]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hardware.pager.driver import PagerDriver  # noqa: E402
from hardware.pager.messages import MsgType, Page  # noqa: E402
from hardware.pager.simulator import PagerSimulator  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--transport", choices=("pty", "tcp"), default="pty")
    args = parser.parse_args()

    arrived: dict[int, float] = {}
    delivered: dict[int, float] = {}
    done = threading.Event()

    def on_frame(frame, at: float) -> None:
        if frame.type == MsgType.PAGE:
            arrived.setdefault(Page.unpack(frame.body).page_id, at)

    def on_status(page_id: int, card_id: int, status: str) -> None:
        if status == "delivered":
            delivered[page_id] = time.perf_counter()
            done.set()

    sim = PagerSimulator(cards=8, transport=args.transport, radio_delay_s=0.0)
    sim.frame_hook = on_frame
    sim.start()
    driver = PagerDriver(sim.url, on_page_status=on_status).start()
    try:
        if not driver.wait_link(5):
            print("link did not come up", file=sys.stderr)
            return 1
        called: dict[int, float] = {}
        for n in range(args.pages):
            done.clear()
            started = time.perf_counter()
            page_id = driver.page(n % 8 + 1, f"A{n % 1000:03d}", counter=n % 8 + 1, text="Xin mời công dân")
            called[page_id] = started
            done.wait(2.0)  # one call at a time, like a counter pressing "next"
        to_wire = [1000 * (arrived[p] - t) for p, t in called.items() if p in arrived]
        to_report = [1000 * (delivered[p] - t) for p, t in called.items() if p in delivered]
    finally:
        driver.stop()
        sim.stop()
    print(f"pager bench over {args.transport}: {args.pages} pages, {len(to_wire)} seen on the wire, "
          f"{len(to_report)} delivered")
    for name, values in (("page() -> frame on the wire", to_wire), ("page() -> delivery report", to_report)):
        print(f"  {name}: median {statistics.median(values):.2f} ms, p95 {percentile(values, 0.95):.2f} ms, "
              f"max {max(values):.2f} ms")
    print(f"  target page() -> wire <= 20 ms: {'met' if percentile(to_wire, 0.95) <= 20 else 'MISSED'} (p95)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

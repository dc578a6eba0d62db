"""Print timing figures for the ticket printer and LED boards on this machine (not a test).

Run: .venv/bin/python bench/bench_printer_led.py
"""
from __future__ import annotations

import statistics
import time
from datetime import datetime

from hardware.led_board import LedBoardConfig, LedBus, LedBusSimulator
from hardware.printer.escpos_printer import TicketPrinter, ticket_job_bytes
from hardware.printer.simulator import PrinterSimulator
from hardware.printer.ticket_data import TicketData
from hardware.printer.ticket_image import render_ticket


def ms(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    return f"median {statistics.median(samples) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms   (n={len(samples)})"


def timed(func, n: int) -> list[float]:  # noqa: ANN001
    out = []
    for _ in range(n):
        start = time.perf_counter()
        func()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    ticket = TicketData("Bộ phận Một cửa UBND quận Hà Đông", "Hộ tịch", "A015", 5, 15,
                        datetime(2026, 11, 21, 8, 15), "http://192.168.1.10:8080/t/3f9a1c2b",
                        "Ưu tiên: người cao tuổi")
    render_ticket(ticket, 80)  # warm the font cache
    for width in (58, 80):
        image = render_ticket(ticket, width)
        print(f"render ticket {width} mm ({image.width}x{image.height}):  {ms(timed(lambda w=width: render_ticket(ticket, w), 20))}")
        job = ticket_job_bytes(image)
        print(f"ESC/POS job {width} mm: {len(job)} bytes; build {ms(timed(lambda i=image: ticket_job_bytes(i), 20))}")

    for name, factory in (("pty", PrinterSimulator.pty), ("tcp", PrinterSimulator.tcp)):
        with factory() as sim:
            printer = TicketPrinter(sim.url, paper_width=80, timeout=0.5)
            printer.status()
            print(f"status poll (DLE EOT 1..4) over {name}: {ms(timed(printer.status, 50))}")
            start = time.perf_counter()
            for i in range(10):
                printer.print_ticket(ticket)
                sim.wait_for_jobs(i + 1, timeout=10)
            print(f"render + status + print + simulator receipt over {name}: "
                  f"{(time.perf_counter() - start) / 10 * 1000:7.2f} ms per ticket")
            sim.set_state(unplugged=True)
            print(f"status of a silent printer over {name} (timeout 0.5 s): {ms(timed(printer.status, 3))}")
            printer.close()

    with LedBusSimulator([1]) as sim:
        bus = LedBus(LedBoardConfig(url=sim.port, boards={1: 1}))
        bus.show(1, "A000")
        sim.wait_for_frames(1)
        samples = []
        for i in range(1, 101):
            start = time.perf_counter()
            bus.show(1, f"A{i:03d}")
            sim.wait_for_frames(i + 1)
            samples.append(time.perf_counter() - start)
        print(f"LED call -> frame parsed by the board (pty): {ms(samples)}")
        print("  (on a real 9600-baud RS-485 bus an 11-byte frame adds 11.5 ms of wire time)")
        bus.close()


if __name__ == "__main__":
    main()

"""Status replies that come late, or not at all, over a real pty: never read as the answer to another query."""
from __future__ import annotations

import os
import select
import threading
import time
import tty
from collections.abc import Iterator

import pytest

from hardware.printer.escpos_printer import PrinterMonitor, TicketPrinter
from hardware.printer.simulator import PrinterSimulator
from hardware.printer.status import PrinterStatus, encode_status

PAPER_OUT = encode_status(paper_out=True)  # n1..n4 = 0x1A 0x32 0x12 0x7E: four different bytes


@pytest.fixture
def paper_out_sim() -> Iterator[PrinterSimulator]:
    with PrinterSimulator.pty() as sim:
        sim.set_state(paper_out=True)
        yield sim


@pytest.mark.parametrize(("timeout", "delay_ms"), [(0.2, 100), (0.2, 250), (0.2, 400), (0.2, 550),
                                                   (0.5, 300), (0.5, 550)])
def test_late_replies_are_never_taken_for_another_query(paper_out_sim, timeout: float, delay_ms: int) -> None:  # noqa: ANN001
    paper_out_sim.reply_delay_ms = delay_ms
    with TicketPrinter(paper_out_sim.url, timeout=timeout) as printer:
        reports = [printer.status() for _ in range(3)]  # back to back, as a monitor's repeat does
    for report in reports:
        assert {n: PAPER_OUT[n] for n in report.replies} == report.replies  # each byte is its own query's
        if delay_ms / 1000 < timeout:
            assert report.status is PrinterStatus.PAPER_OUT and report.unanswered is None
        else:  # every first query times out: offline, as documented, and never "error" or "online"
            assert report.status is PrinterStatus.OFFLINE and report.unanswered == 1
            assert report.replies == {} and "no reply to DLE EOT 1" in report.detail


def test_one_late_reply_does_not_flash_offline_on_the_monitor(paper_out_sim) -> None:  # noqa: ANN001
    printer = TicketPrinter(paper_out_sim.url, timeout=0.5)
    monitor = PrinterMonitor(printer, interval=60)
    heard: list[PrinterStatus] = []
    monitor.add_listener(lambda new, old: heard.append(new.status))
    paper_out_sim.reply_delay_ms = 550  # the first query's reply comes 50 ms after its timeout
    threading.Timer(0.1, lambda: setattr(paper_out_sim, "reply_delay_ms", 0)).start()
    try:
        report = monitor.poll()
    finally:
        printer.close()
    assert report.status is PrinterStatus.PAPER_OUT and report.replies == PAPER_OUT
    assert heard == [PrinterStatus.PAPER_OUT]
    assert paper_out_sim.status_queries == 5  # the missed query, then a full poll


def test_missing_reply_reads_offline(paper_out_sim) -> None:  # noqa: ANN001
    paper_out_sim.set_state(unplugged=True)
    with TicketPrinter(paper_out_sim.url, timeout=0.1) as printer:
        report = PrinterMonitor(printer).poll()
        assert report.status is PrinterStatus.OFFLINE and not report.can_print
        assert report.unanswered == 1 and report.replies == {}
        paper_out_sim.set_state(unplugged=False)
        assert printer.status().status is PrinterStatus.PAPER_OUT


class ScriptedPrinter:
    """The printer end of a pty that answers each DLE EOT n with PAPER_OUT[n], late where told.

    ``late`` maps the index of a query (0 = the first one received) to the delay of its reply.
    """

    def __init__(self, late: dict[int, float]) -> None:
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        self._slave = slave
        self.late = late
        self.queries: list[int] = []
        self._timers: list[threading.Timer] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            buffer += os.read(self.master, 64)
            while (start := buffer.find(b"\x10\x04")) >= 0 and len(buffer) >= start + 3:
                n, buffer = buffer[start + 2], buffer[start + 3:]
                index = len(self.queries)
                self.queries.append(n)
                reply = bytes([PAPER_OUT[n]])
                if index in self.late:
                    self._timers.append(timer := threading.Timer(self.late[index], os.write, (self.master, reply)))
                    timer.start()
                else:
                    os.write(self.master, reply)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for timer in self._timers:  # a reply written after close could land in a new pty with this fd
            timer.cancel()
            timer.join()
        os.close(self.master)
        os.close(self._slave)


@pytest.mark.parametrize("late_s", [0.25, 0.4, 0.55])
def test_a_missed_reply_ends_the_poll_and_is_thrown_away_when_it_comes(late_s: float) -> None:
    script = ScriptedPrinter(late={1: late_s})  # the reply to the first poll's DLE EOT 2
    try:
        with TicketPrinter(f"serial://{script.port}", timeout=0.2) as printer:
            first = printer.status()
            start = time.monotonic()
            second = printer.status()
            waited = time.monotonic() - start
    finally:
        script.close()
    # n1 came, n2 did not: the poll stops there, and says what it knows (the printer says offline).
    assert first.replies == {1: PAPER_OUT[1]} and first.unanswered == 2
    assert first.status is PrinterStatus.OFFLINE and "no reply to DLE EOT 2" in first.detail
    assert script.queries == [1, 2, 1, 2, 3, 4]
    # The late n2 reply was awaited and discarded; it was not taken as the next poll's n1.
    assert second.replies == PAPER_OUT and second.status is PrinterStatus.PAPER_OUT
    assert waited < late_s  # it stopped waiting when the owed reply came (about late_s - 0.2 s)

"""Printer status (DLE EOT 1..4): decoding, and the driver against the simulator over a pty and TCP."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from hardware.printer.escpos_printer import PrinterMonitor, PrinterUnavailableError, TicketPrinter
from hardware.printer.simulator import PrinterSimulator
from hardware.printer.status import (
    PrinterStatus,
    StatusReplyError,
    decode_status,
    encode_status,
    status_query,
)
from hardware.printer.ticket_data import TicketData

ALL_CLEAR = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}


def ticket(number: str = "A015") -> TicketData:
    return TicketData("Bộ phận Một cửa", "Đất đai", number, 0, 0, datetime(2026, 11, 21, 7, 31),
                      "https://mot-cua.example.vn/t/1")


# -- decoding -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("replies", "status"),
    [
        (ALL_CLEAR, PrinterStatus.ONLINE),
        ({**ALL_CLEAR, 4: 0x1E}, PrinterStatus.PAPER_NEAR_END),  # bits 2-3 of n=4
        ({1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E}, PrinterStatus.PAPER_OUT),  # an Epson TM-T20 with no roll
        ({**ALL_CLEAR, 4: 0x72}, PrinterStatus.PAPER_OUT),  # paper-end sensor alone
        ({1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12}, PrinterStatus.COVER_OPEN),
        ({1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12}, PrinterStatus.ERROR),  # auto-cutter error
        ({1: 0x1A, 2: 0x12, 3: 0x12, 4: 0x12}, PrinterStatus.OFFLINE),
        ({}, PrinterStatus.OFFLINE),
        ({1: 0x12}, PrinterStatus.ONLINE),  # later answers lost: decode what arrived
    ],
)
def test_decode_status_table(replies: dict[int, int], status: PrinterStatus) -> None:
    report = decode_status(replies)
    assert report.status is status
    assert report.can_print == (status in (PrinterStatus.ONLINE, PrinterStatus.PAPER_NEAR_END))
    assert report.as_dict()["status"] == status.value and report.message_vi


@pytest.mark.parametrize("replies", [{1: 0x00}, {1: 0xFF}, {4: 0x13}, {5: 0x12}])
def test_decode_status_rejects_bytes_without_the_fixed_bits(replies: dict[int, int]) -> None:
    with pytest.raises(StatusReplyError):
        decode_status(replies)


@pytest.mark.parametrize(
    "flags",
    [{}, {"paper_out": True}, {"paper_near_end": True}, {"cover_open": True}, {"offline": True},
     {"cutter_error": True}],
)
def test_encode_decode_round_trip(flags: dict[str, bool]) -> None:
    report = decode_status(encode_status(**flags))
    expected = {
        "paper_out": PrinterStatus.PAPER_OUT, "paper_near_end": PrinterStatus.PAPER_NEAR_END,
        "cover_open": PrinterStatus.COVER_OPEN, "offline": PrinterStatus.OFFLINE,
        "cutter_error": PrinterStatus.ERROR,
    }
    assert report.status is (expected[next(iter(flags))] if flags else PrinterStatus.ONLINE)


def test_status_query_bytes() -> None:
    assert [status_query(n) for n in (1, 2, 3, 4)] == [b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x03",
                                                        b"\x10\x04\x04"]
    with pytest.raises(ValueError):
        status_query(5)


# -- driver against the simulator -----------------------------------------------------------------
@pytest.fixture(params=["pty", "tcp"])
def sim_printer(request: pytest.FixtureRequest) -> Iterator[tuple[PrinterSimulator, TicketPrinter]]:
    sim = (PrinterSimulator.pty() if request.param == "pty" else PrinterSimulator.tcp()).start()
    printer = TicketPrinter(sim.url, paper_width=58, timeout=0.2)
    yield sim, printer
    printer.close()
    sim.stop()


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ({}, PrinterStatus.ONLINE),
        ({"paper_near_end": True}, PrinterStatus.PAPER_NEAR_END),
        ({"paper_out": True}, PrinterStatus.PAPER_OUT),
        ({"cover_open": True}, PrinterStatus.COVER_OPEN),
        ({"offline": True}, PrinterStatus.OFFLINE),
        ({"cutter_error": True}, PrinterStatus.ERROR),
        ({"unplugged": True}, PrinterStatus.OFFLINE),
    ],
)
def test_status_over_the_wire(sim_printer, state: dict[str, bool], status: PrinterStatus) -> None:  # noqa: ANN001
    sim, printer = sim_printer
    sim.set_state(**state)
    report = printer.status()
    assert report.status is status
    if state.get("unplugged"):
        assert report.replies == {} and sim.status_queries == 0
    else:
        assert sorted(report.replies) == [1, 2, 3, 4] and sim.status_queries == 4


def test_printed_image_arrives_bit_exact(sim_printer) -> None:  # noqa: ANN001
    sim, printer = sim_printer
    printer.print_ticket(ticket("A015"))
    printer.print_ticket(ticket("A016"))
    assert sim.wait_for_jobs(2, timeout=5)
    assert [job.image().tobytes() for job in sim.jobs] == [
        printer.render(ticket("A015")).tobytes(), printer.render(ticket("A016")).tobytes()]
    assert all(job.cut for job in sim.jobs)


def test_paper_out_refuses_to_print_then_recovers(sim_printer) -> None:  # noqa: ANN001
    sim, printer = sim_printer
    sim.set_state(paper_out=True)
    with pytest.raises(PrinterUnavailableError) as err:
        printer.print_ticket(ticket())
    assert err.value.report.status is PrinterStatus.PAPER_OUT
    assert sim.bytes_received == 12  # the 4 status queries only: no ticket was sent
    sim.set_state(paper_out=False)
    assert printer.print_ticket(ticket()).status is PrinterStatus.ONLINE
    assert sim.wait_for_jobs(1)


def test_silent_printer_times_out_quickly(sim_printer) -> None:  # noqa: ANN001
    sim, printer = sim_printer
    sim.set_state(unplugged=True)
    start = time.monotonic()
    assert printer.status(timeout=0.1).status is PrinterStatus.OFFLINE
    # One timed-out query is enough to call it offline; the other three are not waited for.
    assert time.monotonic() - start < 0.35
    sim.set_state(unplugged=False)
    assert printer.status().status is PrinterStatus.ONLINE


def test_stray_bytes_before_the_reply_are_skipped() -> None:
    with PrinterSimulator.pty() as sim:
        printer = TicketPrinter(sim.url, timeout=0.2)
        assert printer.status().status is PrinterStatus.ONLINE
        # A late reply from an earlier query sits in the input buffer: it must not shift the answers.
        import os

        os.write(sim._master, bytes([0x7E]))  # noqa: SLF001 (inject on the printer side of the pty)
        sim.set_state(paper_out=True)
        assert printer.status().status is PrinterStatus.PAPER_OUT
        printer.close()


def test_character_device_url_reads_status() -> None:
    # file:// on a character device (the usblp case) is opened read-write; a pty stands in for it.
    with PrinterSimulator.pty() as sim:
        with TicketPrinter(f"file://{sim.port}", paper_width=58, timeout=0.2) as printer:
            sim.set_state(cover_open=True)
            assert printer.status().status is PrinterStatus.COVER_OPEN
            sim.set_state(cover_open=False)
            printer.print_ticket(ticket())
        assert sim.wait_for_jobs(1)


def test_network_printer_reconnects_after_restart() -> None:
    sim = PrinterSimulator.tcp().start()
    host, port = sim.address  # type: ignore[misc]
    printer = TicketPrinter(sim.url, timeout=0.2)
    assert printer.status().status is PrinterStatus.ONLINE
    sim.stop()  # power cut: the connection dies and nothing listens
    assert printer.status().status is PrinterStatus.OFFLINE
    sim = PrinterSimulator.tcp(host, port).start()
    try:
        assert printer.status().status is PrinterStatus.ONLINE
        printer.print_ticket(ticket())
        assert sim.wait_for_jobs(1)
    finally:
        printer.close()
        sim.stop()


def test_monitor_notifies_listeners_on_change_only() -> None:
    with PrinterSimulator.pty() as sim:
        printer = TicketPrinter(sim.url, timeout=0.2)
        monitor = PrinterMonitor(printer, interval=0.05)
        seen: list[tuple[PrinterStatus, PrinterStatus | None]] = []
        changed = threading.Event()

        def listener(new, old) -> None:  # noqa: ANN001
            seen.append((new.status, old.status if old else None))
            changed.set()

        def broken(new, old) -> None:  # noqa: ANN001
            raise RuntimeError("a faulty listener must not stop the others")

        monitor.add_listener(broken)
        monitor.add_listener(listener)
        monitor.start()
        try:
            assert changed.wait(2)
            changed.clear()
            time.sleep(0.2)  # several polls with no change
            assert seen == [(PrinterStatus.ONLINE, None)]
            sim.set_state(paper_out=True)
            assert changed.wait(2)
            assert seen[-1] == (PrinterStatus.PAPER_OUT, PrinterStatus.ONLINE)
            assert monitor.latest is not None and not monitor.latest.can_print
            monitor.stop()
            assert len(seen) == 2
            # A print that failed hands its report straight to the monitor.
            sim.set_state(paper_out=False, cover_open=True)
            with pytest.raises(PrinterUnavailableError) as err:
                printer.print_ticket(ticket())
            monitor.update(err.value.report)
            assert seen[-1] == (PrinterStatus.COVER_OPEN, PrinterStatus.PAPER_OUT)
            monitor.update(err.value.report)
            assert len(seen) == 3
        finally:
            monitor.stop()
            printer.close()


def test_a_bug_in_a_poll_is_logged_with_its_traceback_a_missing_device_in_one_line(monkeypatch, caplog) -> None:  # noqa: ANN001
    import hardware.printer.escpos_printer as escpos_printer

    def broken(replies):  # noqa: ANN001, ANN202
        raise TypeError("a bug, not the device")

    with PrinterSimulator.pty() as sim:
        printer = TicketPrinter(sim.url, timeout=0.2)
        monkeypatch.setattr(escpos_printer, "decode_status", broken)
        with caplog.at_level("INFO", logger="hardware.printer.escpos_printer"):
            assert printer.status().status is PrinterStatus.OFFLINE
        bug = [r for r in caplog.records if "status failed" in r.getMessage()]
        assert bug and bug[0].exc_info and bug[0].exc_info[0] is TypeError  # the traceback, not just a name
        monkeypatch.undo()
        sim.set_state(unplugged=True)
        caplog.clear()
        with caplog.at_level("INFO", logger="hardware.printer.escpos_printer"):
            printer._drop()  # noqa: SLF001
            sim.stop()  # the device itself is gone: one line, no traceback
            assert printer.status().status is PrinterStatus.OFFLINE
        assert caplog.records and all(not r.exc_info for r in caplog.records)
        printer.close()


def test_simulator_keeps_only_the_last_jobs_but_counts_all(sim_printer) -> None:  # noqa: ANN001
    sim, printer = sim_printer
    sim.keep_jobs = 2  # a demo printer runs for months: its job history must not grow without end
    for number in ("A001", "A002", "A003"):
        printer.print_ticket(ticket(number))
    assert sim.wait_for_jobs(3, timeout=5)
    assert sim.printed_jobs == 3 and len(sim.jobs) == 2
    assert [job.image().tobytes() for job in sim.jobs] == [printer.render(ticket(n)).tobytes() for n in ("A002", "A003")]

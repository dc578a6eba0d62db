"""The ESC/POS byte stream of a ticket (python-escpos Dummy), its parser, and printer URLs."""
from __future__ import annotations

from datetime import datetime

import pytest
from PIL import Image

from hardware.printer.escpos_parser import EscposStreamParser, stack_rasters
from hardware.printer.escpos_printer import (
    PrinterError,
    PrinterUnavailableError,
    TicketPrinter,
    parse_printer_url,
    ticket_job_bytes,
)
from hardware.printer.status import PrinterStatus
from hardware.printer.ticket_data import TicketData
from hardware.printer.ticket_image import render_ticket


def make_ticket(number: str = "A015") -> TicketData:
    return TicketData("Bộ phận Một cửa", "Hộ tịch", number, 2, 6, datetime(2026, 11, 21, 9, 30),
                      "http://kiosk.local/t/abc")


def raster_headers(job: bytes) -> list[tuple[int, int, int]]:
    """(mode, width bytes, height) of every GS v 0 command, walking the stream by hand."""
    found, i = [], 0
    while (i := job.find(b"\x1dv0", i)) >= 0:
        mode, xbytes, height = job[i + 3], int.from_bytes(job[i + 4:i + 6], "little"), int.from_bytes(
            job[i + 6:i + 8], "little")
        found.append((mode, xbytes, height))
        i += 8 + xbytes * height  # skip the image data: it may contain b"\x1dv0" by chance
    return found


@pytest.mark.parametrize(("width", "dots"), [(58, 384), (80, 576)])
def test_job_bytes_init_raster_of_right_size_and_cut(width: int, dots: int) -> None:
    image = render_ticket(make_ticket(), width)
    job = ticket_job_bytes(image, fragment_height=256)
    assert job.startswith(b"\x1b@")  # ESC @ initialise
    headers = raster_headers(job)
    assert headers and all(mode == 0 and xbytes == dots // 8 for mode, xbytes, _ in headers)
    assert [h for _, _, h in headers[:-1]] == [256] * (len(headers) - 1)
    assert sum(h for _, _, h in headers) == image.height
    assert job.endswith(b"\x1dV\x00")  # GS V 0: full cut, after the feed


def test_parsed_job_rebuilds_the_exact_image() -> None:
    image = render_ticket(make_ticket(), 80)
    job = ticket_job_bytes(image, fragment_height=200)
    events = EscposStreamParser().feed(job)
    kinds = [e.kind for e in events]
    assert kinds[0] == "init" and kinds[-1] == "cut" and "status" not in kinds
    rebuilt = stack_rasters([e.value for e in events if e.kind == "raster"])  # type: ignore[misc]
    assert rebuilt.size == image.size
    assert rebuilt.tobytes() == image.tobytes()


def test_parser_is_independent_of_chunking() -> None:
    job = ticket_job_bytes(render_ticket(make_ticket(), 58)) + b"\x10\x04\x04"
    whole = EscposStreamParser().feed(job)
    parser = EscposStreamParser()
    pieces = []
    for start in range(0, len(job), 7):
        pieces += parser.feed(job[start:start + 7])
    assert [(e.kind, e.value) for e in pieces] == [(e.kind, e.value) for e in whole]
    assert whole[-1].kind == "status" and whole[-1].value == 4
    assert parser.pending == 0


def test_status_query_bytes_inside_image_data_are_not_queries() -> None:
    # A raster whose data is DLE EOT 1 repeated: a naive scanner would answer it.
    raster = b"\x1dv0\x00\x02\x00\x02\x00" + b"\x10\x04\x01\x10"
    events = EscposStreamParser().feed(b"\x1b@" + raster + b"\x10\x04\x02")
    assert [e.kind for e in events] == ["init", "raster", "status"]
    assert events[2].value == 2


def test_job_rejects_non_bilevel_image() -> None:
    with pytest.raises(ValueError, match="mode '1'"):
        ticket_job_bytes(Image.new("L", (384, 100), 255))


@pytest.mark.parametrize(
    ("url", "kind", "target", "extra"),
    [
        ("/dev/kiosk-printer", "serial", "/dev/kiosk-printer", 19200),
        ("serial:///dev/ttyUSB0?baudrate=115200", "serial", "/dev/ttyUSB0", 115200),
        ("tcp://192.168.1.50:9100", "tcp", "192.168.1.50", 9100),
        ("socket://printer.local", "tcp", "printer.local", 9100),
        ("usb://0416:5011", "usb", "0416:5011", None),
        ("file:///dev/usb/lp0", "file", "/dev/usb/lp0", None),
        ("dummy:", "dummy", "", None),
    ],
)
def test_printer_urls(url: str, kind: str, target: str, extra: int | None) -> None:
    spec = parse_printer_url(url)
    assert (spec.kind, spec.target) == (kind, target)
    if kind == "serial":
        assert spec.baudrate == extra
    if kind == "tcp":
        assert spec.port == extra


@pytest.mark.parametrize("url", ["", "lpt1", "http://x", "serial:///dev/x?baudrate=1234", "usb://zz:11", "tcp://"])
def test_bad_printer_urls_are_rejected(url: str) -> None:
    with pytest.raises(PrinterError, match="printer URL|baud rate"):
        parse_printer_url(url)


def test_file_printer_receives_the_job_and_reports_unknown(tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "spool.bin"
    out.write_bytes(b"")
    with TicketPrinter(f"file://{out}", paper_width=58) as printer:
        report = printer.print_ticket(make_ticket())
        assert report.status is PrinterStatus.UNKNOWN and report.can_print
    assert out.read_bytes() == ticket_job_bytes(printer.render(make_ticket()))


def test_missing_serial_device_is_offline_not_an_exception(tmp_path) -> None:  # noqa: ANN001
    printer = TicketPrinter(f"serial://{tmp_path}/no-such-tty", timeout=0.05)
    report = printer.status()
    assert report.status is PrinterStatus.OFFLINE and not report.can_print
    assert "no-such-tty" in report.detail
    with pytest.raises(PrinterUnavailableError) as err:
        printer.print_ticket(make_ticket())
    assert err.value.report.status is PrinterStatus.OFFLINE


def test_image_wider_than_paper_is_rejected() -> None:
    printer = TicketPrinter("dummy:", paper_width=58)
    with pytest.raises(ValueError, match="384 dots"):
        printer.print_image(render_ticket(make_ticket(), 80))

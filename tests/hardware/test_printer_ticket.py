"""The ticket image: validated data, paper widths, and real OCR / QR decoding of the rendered ticket."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import unicodedata
from datetime import datetime

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from hardware.printer.escpos_printer import TicketPrinter
from hardware.printer.simulator import PrinterSimulator
from hardware.printer.ticket_data import TicketData, TicketDataError
from hardware.printer.ticket_image import FontNotFoundError, find_fonts, paper_width_dots, render_ticket

CENTRE = "Bộ phận Một cửa UBND quận Hà Đông"
URL = "http://192.168.1.10:8080/t/3f9a1c2b7d"


def make_ticket(**overrides: object) -> TicketData:
    fields: dict[str, object] = {
        "centre_name": CENTRE,
        "service_name": "Hộ tịch",
        "ticket_number": "A015",
        "people_ahead": 7,
        "estimated_wait_min": 25,
        "issued_at": datetime(2026, 11, 21, 8, 15),
        "qr_url": URL,
        "priority_label": "",
    }
    fields.update(overrides)
    return TicketData(**fields)  # type: ignore[arg-type]


def _tesseract_ready() -> str | None:
    if shutil.which("tesseract") is None:
        return "tesseract not installed (Debian packages tesseract-ocr tesseract-ocr-vie)"
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
    return None if "vie" in langs else "tesseract Vietnamese data missing (Debian package tesseract-ocr-vie)"


needs_ocr = pytest.mark.skipif(_tesseract_ready() is not None, reason=str(_tesseract_ready()))


def ocr(image: Image.Image, psm: int = 6) -> str:
    """Tesseract's Vietnamese reading of ``image`` (NFC, whitespace-normalised lines)."""
    buf = io.BytesIO()
    image.convert("L").save(buf, format="PNG")
    out = subprocess.run(
        ["tesseract", "stdin", "stdout", "-l", "vie", "--psm", str(psm)],
        input=buf.getvalue(), capture_output=True, check=True, timeout=60,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},  # one thread: the suite runs on 2 cores
    ).stdout.decode("utf-8")
    return unicodedata.normalize("NFC", "\n".join(" ".join(line.split()) for line in out.splitlines()))


def ocr_ticket_number(image: Image.Image) -> set[str]:
    """Upper-cased words read at full size and at half size (tesseract skips very large glyphs)."""
    half = image.convert("L").resize((image.width // 2, image.height // 2), Image.LANCZOS)
    return {w.upper() for w in (ocr(image, psm=4) + "\n" + ocr(half, psm=11)).split()}


# -- data -----------------------------------------------------------------------------------------
def test_ticket_data_normalises_nfd_to_nfc_and_whitespace() -> None:
    nfd = unicodedata.normalize("NFD", "  Hộ   tịch ")
    ticket = make_ticket(service_name=nfd, ticket_number="a015")
    assert ticket.service_name == "Hộ tịch"
    assert unicodedata.is_normalized("NFC", ticket.service_name)
    assert ticket.ticket_number == "A015"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("centre_name", "", "must not be empty"),
        ("centre_name", None, "must be a string"),
        ("service_name", "x" * 121, "too long"),
        ("service_name", "Hộ\x07tịch", "control characters"),
        ("ticket_number", "015", "look like A015"),
        ("ticket_number", "A-15", "look like A015"),
        ("people_ahead", -1, "between 0 and"),
        ("people_ahead", True, "must be an integer"),
        ("estimated_wait_min", 2.5, "must be an integer"),
        ("issued_at", "08:15", "must be a datetime"),
        ("qr_url", "ftp://x/y", "http:// or https://"),
        ("qr_url", "http://x/a b", "printable ASCII"),
    ],
)
def test_ticket_data_rejects_bad_fields_with_clear_message(field: str, value: object, message: str) -> None:
    with pytest.raises(TicketDataError, match=message):
        make_ticket(**{field: value})


# -- rendering ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("width", "dots"), [(58, 384), (80, 576), (512, 512)])
def test_render_is_one_bit_at_paper_width(width: int, dots: int) -> None:
    image = render_ticket(make_ticket(), width)
    assert image.mode == "1"
    assert image.width == dots
    assert image.height % 8 == 0 and 500 < image.height < 1600
    pixels = np.asarray(image.convert("L"))
    assert set(np.unique(pixels)) == {0, 255}
    # Real ink, but mostly paper: a blank or solid image would both fail here.
    assert 0.05 < (pixels == 0).mean() < 0.4


@pytest.mark.parametrize("width", [0, 57, 300, 1000, "80", True])
def test_bad_paper_width_is_rejected(width: object) -> None:
    with pytest.raises(ValueError, match="paper width"):
        paper_width_dots(width)  # type: ignore[arg-type]


def test_render_rejects_non_ticket() -> None:
    with pytest.raises(TypeError, match="TicketData"):
        render_ticket({"ticket_number": "A015"})  # type: ignore[arg-type]


def test_missing_font_folder_names_the_package(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(FontNotFoundError, match="fonts-dejavu-core"):
        find_fonts(tmp_path)


def test_render_is_deterministic_and_depends_on_the_number() -> None:
    a = render_ticket(make_ticket(), 80).tobytes()
    assert a == render_ticket(make_ticket(), 80).tobytes()
    assert a != render_ticket(make_ticket(ticket_number="A016"), 80).tobytes()


def test_long_centre_name_wraps_instead_of_clipping() -> None:
    short = render_ticket(make_ticket(centre_name="UBND"), 58)
    long = render_ticket(make_ticket(centre_name=" ".join(["Trung tâm Phục vụ hành chính công"] * 3)), 58)
    assert long.height > short.height + 40


# -- OCR and QR on the rendered image -------------------------------------------------------------
@pytest.mark.parametrize("width", [80, 58])
def test_qr_on_ticket_decodes_to_the_url(width: int) -> None:
    image = render_ticket(make_ticket(), width)
    results = zxingcpp.read_barcodes(np.asarray(image.convert("L")))
    assert [r.text for r in results if r.format == zxingcpp.BarcodeFormat.QRCode] == [URL]


@needs_ocr
@pytest.mark.parametrize(("width", "number"), [(80, "A015"), (58, "B107")])
def test_ocr_reads_number_and_vietnamese_words(width: int, number: str) -> None:
    ticket = make_ticket(ticket_number=number, priority_label="Ưu tiên: người cao tuổi")
    image = render_ticket(ticket, width)
    text = " ".join(ocr(image).split())  # phrases may wrap differently on 58 and 80 mm
    assert number in ocr_ticket_number(image)
    for phrase in ("Một cửa", "Hà Đông", "Hộ tịch", "SỐ THỨ TỰ", "chờ trước Quý khách: 7",
                   "khoảng 25 phút", "08:15", "21/11/2026", "theo dõi lượt"):
        assert phrase in text, f"{phrase!r} not read on the {width} mm ticket:\n{text}"
    assert "Ưu tiên: người cao tuổi" in text


@needs_ocr
def test_ocr_distinguishes_tickets() -> None:
    words = ocr_ticket_number(render_ticket(make_ticket(ticket_number="C042"), 80))
    assert "C042" in words and "A015" not in words


@needs_ocr
def test_ticket_received_by_the_printer_reads_right() -> None:
    # The image the simulated printer rebuilt from the ESC/POS bytes it received over a pty.
    with PrinterSimulator.pty() as sim:
        with TicketPrinter(sim.url, paper_width=80, timeout=0.2) as printer:
            printer.print_ticket(make_ticket(ticket_number="D208", service_name="Chứng thực"))
        assert sim.wait_for_jobs(1)
        printed = sim.jobs[0].image()
    text = " ".join(ocr(printed).split())
    assert "D208" in ocr_ticket_number(printed)
    assert "Chứng thực" in text and "Hà Đông" in text
    assert [r.text for r in zxingcpp.read_barcodes(np.asarray(printed.convert("L")))] == [URL]


# -- the reprint's copy mark (issue 13) -----------------------------------------------------------------
def test_copy_label_is_validated_and_optional() -> None:
    assert make_ticket().copy_label == ""
    assert make_ticket(copy_label="  BẢN IN LẠI ").copy_label == "BẢN IN LẠI"
    with pytest.raises(TicketDataError):
        make_ticket(copy_label="X" * 41)


def test_copy_mark_makes_the_slip_longer_and_different() -> None:
    original, copy = render_ticket(make_ticket(), 80), render_ticket(make_ticket(copy_label="BẢN IN LẠI"), 80)
    assert copy.height > original.height
    assert copy.width == original.width


@needs_ocr
@pytest.mark.parametrize("width", [80, 58])
def test_ocr_reads_the_copy_mark_on_a_reprint(width: int) -> None:
    copy = render_ticket(make_ticket(ticket_number="A015", copy_label="BẢN IN LẠI"), width)
    text = " ".join(ocr(copy).split())
    assert "BẢN IN LẠI" in text, text
    assert "A015" in ocr_ticket_number(copy)  # the same number, not a new one
    assert "IN LẠI" not in " ".join(ocr(render_ticket(make_ticket(), width)).split())

"""Render a queue ticket as a 1-bit image, so Vietnamese diacritics print right on any ESC/POS printer.

Thermal printers' built-in code pages (CP1258 at best, often none) cannot print Vietnamese
reliably, so every character is drawn here with a TrueType font that covers Vietnamese and the
printer only receives a raster image.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from hardware.printer.ticket_data import TicketData

#: Printable dots across the paper at 203 dpi: 58 mm rolls and 80 mm rolls.
PAPER_WIDTH_DOTS = {58: 384, 80: 576}

#: Folders searched for DejaVu fonts (Debian package fonts-dejavu-core), after $KIOSK_TICKET_FONT_DIR.
FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/local/share/fonts/dejavu",
)
_REGULAR = "DejaVuSans.ttf"
_BOLD = "DejaVuSans-Bold.ttf"
# The ticket number uses the monospaced bold face: its dotted zero cannot be read as the letter O.
_NUMBER = "DejaVuSansMono-Bold.ttf"


class FontNotFoundError(RuntimeError):
    """No TrueType font covering Vietnamese was found."""


@dataclass(frozen=True)
class TicketFonts:
    """Paths of the regular and bold TrueType fonts used on the ticket."""

    regular: Path
    bold: Path
    number: Path


def find_fonts(font_dir: str | os.PathLike[str] | None = None) -> TicketFonts:
    """Locate DejaVu Sans regular and bold.

    Looks in ``font_dir`` if given, else in $KIOSK_TICKET_FONT_DIR, else in :data:`FONT_DIRS`.
    Raises :class:`FontNotFoundError` naming the Debian package to install.
    """
    if font_dir is not None:
        candidates = [Path(font_dir)]
    else:
        env = os.environ.get("KIOSK_TICKET_FONT_DIR")
        candidates = ([Path(env)] if env else []) + [Path(d) for d in FONT_DIRS]
    for folder in candidates:
        regular, bold, number = folder / _REGULAR, folder / _BOLD, folder / _NUMBER
        if regular.is_file() and bold.is_file() and number.is_file():
            return TicketFonts(regular=regular, bold=bold, number=number)
    searched = ", ".join(str(c) for c in candidates)
    raise FontNotFoundError(
        f"{_REGULAR}, {_BOLD} and {_NUMBER} not found in {searched}; install the Debian package fonts-dejavu-core "
        "or point KIOSK_TICKET_FONT_DIR at a folder holding them"
    )


def paper_width_dots(width: int) -> int:
    """Printable width in dots for a paper width given in mm (58 or 80) or directly in dots.

    Raises ValueError for anything else; a width in dots must be a multiple of 8 (raster bytes).
    """
    if isinstance(width, bool) or not isinstance(width, int):
        raise ValueError(f"paper width must be an integer (58, 80 or dots), got {width!r}")
    if width in PAPER_WIDTH_DOTS:
        return PAPER_WIDTH_DOTS[width]
    if 256 <= width <= 832 and width % 8 == 0:
        return width
    raise ValueError(f"paper width must be 58 or 80 (mm) or 256..832 dots in steps of 8, got {width}")


class _Canvas:
    """A growing greyscale canvas; text is anti-aliased then thresholded once at the end."""

    def __init__(self, width: int, fonts: TicketFonts) -> None:
        self.width = width
        self.margin = max(8, width // 48)
        self.fonts = fonts
        self.img = Image.new("L", (width, 3000), 255)
        self.draw = ImageDraw.Draw(self.img)
        self.y = self.margin
        self._cache: dict[tuple[Path, int], ImageFont.FreeTypeFont] = {}

    def font(self, size: int, bold: bool = False, path: Path | None = None) -> ImageFont.FreeTypeFont:
        path = path or (self.fonts.bold if bold else self.fonts.regular)
        key = (path, size)
        if key not in self._cache:
            self._cache[key] = ImageFont.truetype(str(path), size)
        return self._cache[key]

    def _wrap(self, text: str, font: ImageFont.FreeTypeFont) -> list[str]:
        usable = self.width - 2 * self.margin
        lines: list[str] = []
        line = ""
        for word in text.split(" "):
            trial = f"{line} {word}" if line else word
            if font.getlength(trial) <= usable:
                line = trial
                continue
            if line:
                lines.append(line)
            # A single word wider than the paper is split by characters rather than clipped.
            while font.getlength(word) > usable and len(word) > 1:
                cut = len(word)
                while cut > 1 and font.getlength(word[:cut]) > usable:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        if line:
            lines.append(line)
        return lines

    def text(self, text: str, size: int, *, bold: bool = False, gap: int = 6) -> None:
        font = self.font(size, bold)
        ascent, descent = font.getmetrics()
        for line in self._wrap(text, font):
            x = (self.width - font.getlength(line)) / 2
            self.draw.text((x, self.y), line, font=font, fill=0)
            self.y += ascent + descent + gap

    def boxed_text(self, text: str, size: int) -> None:
        """Bold text in a thick frame (black on white: inverted text smears on worn thermal heads)."""
        pad, top = size // 2, self.y
        self.y += pad
        self.text(text, size, bold=True, gap=2)
        self.y += pad
        for y in (top, self.y):  # rules above and below: OCR and eyes both read a frame-less line best
            self.draw.rectangle((self.margin, y, self.width - self.margin - 1, y + 3), fill=0)
        self.y += 8

    def fitted_text(self, text: str, size: int) -> None:
        """One line in the number font, shrunk until it fits the paper: the big ticket number."""
        usable = self.width - 2 * self.margin
        path = self.fonts.number
        while size > 12 and self.font(size, path=path).getlength(text) > usable:
            size -= 4
        font = self.font(size, path=path)
        left, top, right, bottom = font.getbbox(text)
        x = (self.width - (right - left)) / 2 - left
        self.draw.text((x, self.y - top), text, font=font, fill=0)
        self.y += bottom - top + size // 5

    def rule(self, gap: int = 10) -> None:
        self.y += gap // 2
        self.draw.line((self.margin, self.y, self.width - self.margin, self.y), fill=0, width=2)
        self.y += gap

    def qr(self, url: str, max_fraction: float = 0.62) -> None:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        code.add_data(url)
        code.make(fit=True)
        matrix = code.get_matrix()  # includes the 4-module quiet zone
        modules = len(matrix)
        # Whole dots per module: a scaled QR would blur into grey that a thermal head cannot print.
        scale = max(2, int(self.width * max_fraction) // modules)
        x0 = (self.width - modules * scale) // 2
        for row, cells in enumerate(matrix):
            for col, dark in enumerate(cells):
                if dark:
                    x, y = x0 + col * scale, self.y + row * scale
                    self.draw.rectangle((x, y, x + scale - 1, y + scale - 1), fill=0)
        self.y += modules * scale

    def finish(self) -> Image.Image:
        self.y += self.margin
        # Height a multiple of 8 keeps raster fragments and column-mode printing aligned.
        height = (self.y + 7) // 8 * 8
        cropped = self.img.crop((0, 0, self.width, height))
        return cropped.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)


def ticket_lines(ticket: TicketData) -> dict[str, str]:
    """The Vietnamese wording of each line of the ticket (NFC), keyed by purpose."""
    wait = ticket.estimated_wait_min
    # A no-break space keeps a number and its unit on one line.
    wait_text = "dưới 1\u00a0phút" if wait == 0 else f"khoảng {wait}\u00a0phút"
    return {
        "number_label": "SỐ THỨ TỰ CỦA QUÝ KHÁCH",
        "people_ahead": f"Số người chờ trước Quý khách: {ticket.people_ahead}",
        "wait": f"Thời gian chờ dự kiến: {wait_text}",
        "issued": "Giờ lấy số: " + ticket.issued_at.strftime("%H:%M  %d/%m/%Y"),
        "qr_caption": "Quét mã QR để theo dõi lượt của Quý khách",
        "footer": "Xin vui lòng chờ đến lượt được gọi số",
    }


def render_ticket(ticket: TicketData, width: int = 80, *, font_dir: str | os.PathLike[str] | None = None) -> Image.Image:
    """Render ``ticket`` as a mode "1" PIL image, black on white, exactly as it is printed.

    ``width`` is the paper width in mm (58 or 80) or the printable width in dots (multiple of 8).
    Raises ValueError for a bad width, TicketDataError (a ValueError) via TicketData for bad data,
    FontNotFoundError when DejaVu Sans is missing.
    """
    if not isinstance(ticket, TicketData):
        raise TypeError(f"render_ticket needs a TicketData, got {type(ticket).__name__}")
    dots = paper_width_dots(width)
    canvas = _Canvas(dots, find_fonts(font_dir))
    body = max(20, round(dots * 0.042))
    lines = ticket_lines(ticket)

    if ticket.copy_label:  # a reprint: said first and boxed, so nobody takes it for a second number
        canvas.boxed_text(ticket.copy_label, body + 4)
        canvas.y += 4
    canvas.text(ticket.centre_name, body + 2, bold=True)
    canvas.rule()
    canvas.text(ticket.service_name, body + 2, bold=True)
    canvas.y += 4
    canvas.text(lines["number_label"], body)
    canvas.y += body // 3
    canvas.fitted_text(ticket.ticket_number, round(dots * 0.30))
    if ticket.priority_label:
        canvas.boxed_text(ticket.priority_label, body)
    canvas.rule()
    canvas.text(lines["people_ahead"], body)
    canvas.text(lines["wait"], body)
    canvas.text(lines["issued"], body)
    canvas.y += body // 2
    canvas.qr(ticket.qr_url)
    canvas.text(lines["qr_caption"], body - 2)
    canvas.rule()
    canvas.text(lines["footer"], body - 2)
    return canvas.finish()

"""``kiosk printer ...``: preview a ticket image, query a printer's status, print a test ticket.

Registered by the lead as the click group ``kiosk.cli.printer:printer``.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from hardware.printer.escpos_printer import (
    PrinterError,
    PrinterUnavailableError,
    TicketPrinter,
    ticket_job_bytes,
)
from hardware.printer.ticket_data import TicketData, TicketDataError
from hardware.printer.ticket_image import FontNotFoundError, paper_width_dots, render_ticket

_DEFAULT_URL = "http://127.0.0.1:8080/t/demo"


def _ticket_options(func):  # noqa: ANN001, ANN202 (click decorator plumbing)
    options = [
        click.option("--ticket", "ticket", default="A015", show_default=True, help="Ticket number."),
        click.option("--service", default="Hộ tịch", show_default=True, help="Service (lĩnh vực) name."),
        click.option("--centre", default="Bộ phận Một cửa", show_default=True, help="Centre name."),
        click.option("--ahead", type=int, default=3, show_default=True, help="People waiting ahead."),
        click.option("--wait", "wait_min", type=int, default=10, show_default=True, help="Estimated wait, minutes."),
        click.option("--time", "issued", default=None, help="Issue time 'YYYY-MM-DD HH:MM' (default: now)."),
        click.option("--url", "qr_url", default=_DEFAULT_URL, show_default=True, help="URL in the QR code."),
        click.option("--priority", default="", help="Priority label, e.g. 'Ưu tiên: người cao tuổi'."),
        click.option("--width", "width", type=int, default=80, show_default=True,
                     help="Paper width in mm (58 or 80) or printable dots."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _ticket(ticket: str, service: str, centre: str, ahead: int, wait_min: int, issued: str | None,
            qr_url: str, priority: str) -> TicketData:
    try:
        when = datetime.strptime(issued, "%Y-%m-%d %H:%M") if issued else datetime.now().replace(microsecond=0)
    except ValueError:
        raise click.BadParameter("use 'YYYY-MM-DD HH:MM'", param_hint="--time") from None
    try:
        return TicketData(centre, service, ticket, ahead, wait_min, when, qr_url, priority)
    except TicketDataError as exc:
        raise click.UsageError(str(exc)) from None


@click.group("printer")
def printer() -> None:
    """ESC/POS ticket printer: preview, status, test print."""


@printer.command("preview")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="PNG file to write (the exact 1-bit image that would be printed).")
@click.option("--escpos", "escpos_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the ESC/POS bytes that would be sent.")
@_ticket_options
def preview(out: Path, escpos_out: Path | None, ticket: str, service: str, centre: str, ahead: int,
            wait_min: int, issued: str | None, qr_url: str, priority: str, width: int) -> None:
    """Write the ticket image that would be printed, without a printer."""
    data = _ticket(ticket, service, centre, ahead, wait_min, issued, qr_url, priority)
    try:
        dots = paper_width_dots(width)
        image = render_ticket(data, dots)
    except (ValueError, FontNotFoundError) as exc:
        raise click.UsageError(str(exc)) from None
    try:
        image.save(out, format="PNG")
        if escpos_out is not None:
            escpos_out.write_bytes(ticket_job_bytes(image, width_dots=dots))
    except OSError as exc:
        raise click.ClickException(f"cannot write {exc.filename}: {exc.strerror}") from None
    click.echo(f"{out} {image.width}x{image.height}")


@printer.command("status")
@click.option("--port", "url", default="serial:///dev/kiosk-printer", show_default=True, help="Printer URL.")
@click.option("--timeout", type=float, default=0.5, show_default=True, help="Seconds per status reply.")
def status(url: str, timeout: float) -> None:
    """Query DLE EOT 1..4 and print the decoded status as JSON."""
    try:
        with TicketPrinter(url, timeout=timeout) as dev:
            report = dev.status()
    except PrinterError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False))


@printer.command("test")
@click.option("--port", "url", default="serial:///dev/kiosk-printer", show_default=True, help="Printer URL.")
@_ticket_options
def test_print(url: str, ticket: str, service: str, centre: str, ahead: int, wait_min: int,
               issued: str | None, qr_url: str, priority: str, width: int) -> None:
    """Print one test ticket; exit 1 with the status when the printer cannot print."""
    data = _ticket(ticket, service, centre, ahead, wait_min, issued, qr_url, priority)
    try:
        with TicketPrinter(url, paper_width=width) as dev:
            report = dev.print_ticket(data)
    except (PrinterError, ValueError, FontNotFoundError) as exc:
        raise click.UsageError(str(exc)) from None
    except PrinterUnavailableError as exc:
        click.echo(json.dumps(exc.report.as_dict(), ensure_ascii=False))
        raise SystemExit(1) from None
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False))

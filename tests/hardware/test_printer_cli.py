"""``kiosk printer preview|status|test`` through click's runner."""
from __future__ import annotations

import json
from datetime import datetime

import numpy as np
from click.testing import CliRunner
from PIL import Image

from hardware.printer.escpos_printer import ticket_job_bytes
from hardware.printer.simulator import PrinterSimulator
from hardware.printer.ticket_data import TicketData
from hardware.printer.ticket_image import render_ticket
from kiosk.cli.printer import printer

ARGS = ["--ticket", "B042", "--service", "Đất đai", "--centre", "UBND phường Phúc Xá", "--ahead", "4",
        "--wait", "12", "--time", "2026-11-21 10:05", "--url", "http://10.0.0.2:8080/t/xyz", "--width", "58"]


def test_preview_writes_the_exact_printed_image_and_bytes(tmp_path) -> None:  # noqa: ANN001
    out, raw = tmp_path / "ticket.png", tmp_path / "ticket.bin"
    result = CliRunner().invoke(printer, ["preview", "--out", str(out), "--escpos", str(raw), *ARGS])
    assert result.exit_code == 0, result.output
    expected = render_ticket(TicketData("UBND phường Phúc Xá", "Đất đai", "B042", 4, 12,
                                        datetime(2026, 11, 21, 10, 5), "http://10.0.0.2:8080/t/xyz"), 58)
    written = Image.open(out)
    assert written.mode == "1" and written.size == expected.size
    assert np.array_equal(np.asarray(written), np.asarray(expected))
    assert raw.read_bytes() == ticket_job_bytes(expected)
    assert f"{expected.width}x{expected.height}" in result.output


def test_preview_bad_input_is_a_usage_error(tmp_path) -> None:  # noqa: ANN001
    runner = CliRunner()
    bad_number = runner.invoke(printer, ["preview", "--out", str(tmp_path / "x.png"), "--ticket", "15"])
    assert bad_number.exit_code == 2 and "look like A015" in bad_number.output
    bad_time = runner.invoke(printer, ["preview", "--out", str(tmp_path / "x.png"), "--time", "10h05"])
    assert bad_time.exit_code == 2 and "YYYY-MM-DD HH:MM" in bad_time.output
    bad_width = runner.invoke(printer, ["preview", "--out", str(tmp_path / "x.png"), "--width", "70"])
    assert bad_width.exit_code == 2 and "paper width" in bad_width.output
    unwritable = runner.invoke(printer, ["preview", "--out", str(tmp_path / "no" / "dir" / "x.png")])
    assert unwritable.exit_code == 1 and "cannot write" in unwritable.output
    assert not (tmp_path / "x.png").exists()


def test_status_and_test_print_against_the_simulator() -> None:
    with PrinterSimulator.pty() as sim:
        runner = CliRunner()
        status = runner.invoke(printer, ["status", "--port", sim.url, "--timeout", "0.2"])
        assert status.exit_code == 0, status.output
        assert json.loads(status.output)["status"] == "online"
        printed = runner.invoke(printer, ["test", "--port", sim.url, *ARGS])
        assert printed.exit_code == 0, printed.output
        assert sim.wait_for_jobs(1)
        sim.set_state(paper_out=True)
        refused = runner.invoke(printer, ["test", "--port", sim.url, *ARGS])
        assert refused.exit_code == 1
        assert json.loads(refused.output)["message"] == "Máy in hết giấy"
        assert len(sim.jobs) == 1

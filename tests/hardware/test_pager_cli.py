"""`kiosk pager test` and `kiosk pager simulate` through click, against the real simulator."""
from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from hardware.pager.simulator import PagerSimulator
from kiosk.cli.pager import pager, run_sim_command

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def sim():
    simulator = PagerSimulator(cards=3).start()
    yield simulator
    simulator.stop()


def test_pager_test_prints_delivery(sim: PagerSimulator) -> None:
    result = CliRunner().invoke(pager, ["test", "--port", sim.url, "--card", "2", "--ticket", "A015",
                                        "--counter", "3"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("card 2: delivered in ")
    shown = sim.pages(2)
    assert [(page.ticket, page.counter, page.test) for page in shown] == [("A015", 3, True)]


def test_pager_test_json_and_unreachable(sim: PagerSimulator) -> None:
    result = CliRunner().invoke(pager, ["test", "--port", sim.url, "--card", "42", "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["status"] == "unreachable" and report["card"] == 42


def test_pager_test_without_base_station(tmp_path) -> None:
    result = CliRunner().invoke(pager, ["test", "--port", str(tmp_path / "none"), "--card", "1",
                                        "--timeout", "0.5"])
    assert result.exit_code == 2
    assert "no base station" in result.output


def test_pager_test_rejects_bad_ticket(sim: PagerSimulator) -> None:
    result = CliRunner().invoke(pager, ["test", "--port", sim.url, "--card", "1", "--ticket", "a b"])
    assert result.exit_code == 2 and "ticket" in result.output


def test_simulate_runs_commands_from_stdin(tmp_path) -> None:
    link = tmp_path / "pager"
    result = CliRunner().invoke(pager, ["simulate", "--cards", "2", "--link", str(link)],
                                input="help\npress 1 next\npress 1 dance\npages 1\nrange 2 off\nquit\n")
    assert result.exit_code == 0, result.output
    assert f"on {link}" in result.output
    assert "card 1: next pressed" in result.output
    assert "no pages" in result.output and "card 2 out of range" in result.output
    assert "unknown button 'dance'" in result.stderr


def test_sim_commands_give_clear_errors(sim: PagerSimulator) -> None:
    assert run_sim_command(sim, "quit") is None
    assert "boot id" in run_sim_command(sim, "reboot")
    for bad, message in (("press 9 next", "no card 9"), ("fly", "bad command"), ("pages x", "invalid literal")):
        with pytest.raises(click.UsageError, match=message):
            run_sim_command(sim, bad)

"""``kiosk pager ...``: send a test page to a card, or run the base-station simulator from a terminal."""
from __future__ import annotations

import json
import shlex
import sys
import time

import click

from hardware.pager.driver import PagerDriver
from hardware.pager.errors import PagerError
from hardware.pager.messages import BUTTONS_BY_NAME
from hardware.pager.simulator import FaultConfig, PagerSimulator

EXIT_DELIVERED, EXIT_UNREACHABLE, EXIT_NO_LINK = 0, 1, 2


@click.group(name="pager")
def pager() -> None:
    """Radio pager cards: test a card, or simulate a base station."""


@pager.command("test")
@click.option("--port", "port", default=None, metavar="URL",
              help="Device path or pyserial URL (socket://host:port); default: find /dev/kiosk-pager or the USB id.")
@click.option("--card", "card", required=True, type=click.IntRange(1, 0xFFFE), help="Card id to page.")
@click.option("--ticket", default="T000", show_default=True, help="Ticket number shown on the card.")
@click.option("--counter", default=0, type=click.IntRange(0, 255), show_default=True, help="Counter number.")
@click.option("--text", default="Thử nghiệm thẻ rung", show_default=True, help="Text shown on the card.")
@click.option("--timeout", default=15.0, type=click.FloatRange(0.5, 600), show_default=True,
              help="Seconds to wait for the delivery report.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a sentence.")
def test_page(port: str | None, card: int, ticket: str, counter: int, text: str, timeout: float,
              as_json: bool) -> None:
    """Send a test page to card CARD and print the delivery result (exit 0 delivered, 1 unreachable,
    2 no base station)."""
    driver = PagerDriver(port)
    started = time.monotonic()
    try:
        try:
            page_id = driver.page(card, ticket, counter, text, test=True)
        except PagerError as exc:
            raise click.BadParameter(str(exc)) from None
        driver.start()
        link = driver.wait_link(min(timeout, 5.0))
        status = driver.wait_page(page_id, max(0.0, timeout - (time.monotonic() - started))) if link else "no_link"
    finally:
        driver.stop()
    elapsed = time.monotonic() - started
    if status not in ("delivered", "unreachable", "no_link"):
        status = "unreachable"  # accepted by the base station but no report in time
    result = {"port": driver.port_name or port, "card": card, "page_id": page_id, "status": status,
              "seconds": round(elapsed, 3)}
    if as_json:
        click.echo(json.dumps(result))
    elif status == "no_link":
        click.echo(f"no base station answered on {port or 'the default port'} (status: no_link)")
    else:
        click.echo(f"card {card}: {status} in {elapsed:.2f} s (page {page_id} via {result['port']})")
    sys.exit({"delivered": EXIT_DELIVERED, "unreachable": EXIT_UNREACHABLE}.get(status, EXIT_NO_LINK))


SIM_HELP = """commands:
  press CARD BUTTON     press a button (next, recall, no_show, finish)
  pages CARD            list the pages card CARD has shown
  range CARD on|off     move a card into or out of radio range
  unplug [SECONDS]      pull the USB cable (replug after SECONDS, default 2)
  reboot                reboot the base station
  stats                 frame and fault counters
  help                  this text
  quit                  stop the simulator"""


def run_sim_command(sim: PagerSimulator, line: str) -> str | None:
    """Run one terminal command against the simulator; returns the reply, or None for quit.

    Raises click.UsageError with a clear message for a bad command.
    """
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if not words:
        return ""
    command, args = words[0].lower(), words[1:]
    try:
        if command in ("quit", "exit"):
            return None
        if command == "help":
            return SIM_HELP
        if command == "press" and len(args) == 2:
            press_id = sim.press(int(args[0]), args[1])
            return f"card {args[0]}: {args[1]} pressed (press id {press_id})"
        if command == "pages" and len(args) == 1:
            pages = sim.pages(int(args[0]))
            return "\n".join(f"{page.page_id}: {page.ticket} -> counter {page.counter}"
                             f"{' (recall)' if page.recall else ''} {page.text}" for page in pages) or "no pages"
        if command == "range" and len(args) == 2 and args[1] in ("on", "off"):
            sim.set_in_range(int(args[0]), args[1] == "on")
            return f"card {args[0]} {'in' if args[1] == 'on' else 'out of'} range"
        if command == "unplug" and len(args) <= 1:
            seconds = float(args[0]) if args else 2.0
            sim.unplug(seconds)
            return f"unplugged for {seconds:g} s"
        if command == "reboot" and not args:
            sim.reboot()
            return f"rebooted, boot id {sim.boot_id:08X}"
        if command == "stats" and not args:
            return json.dumps(sim.stats)
    except (ValueError, PagerError) as exc:
        raise click.UsageError(str(exc)) from None
    raise click.UsageError(f"bad command {line.strip()!r}; type help")


@pager.command("simulate")
@click.option("--cards", default=4, type=click.IntRange(1, 1000), show_default=True, help="Number of cards (ids 1..N).")
@click.option("--tcp", "tcp_port", default=None, type=click.IntRange(0, 65535),
              help="Listen on 127.0.0.1:PORT (socket://) instead of a pty.")
@click.option("--link", "link_path", default=None, help="Symlink to create for the pty (default: a temp path).")
@click.option("--drop", default=0.0, type=click.FloatRange(0, 1), help="Probability a frame is dropped.")
@click.option("--corrupt", default=0.0, type=click.FloatRange(0, 1), help="Probability a frame is corrupted.")
@click.option("--duplicate", default=0.0, type=click.FloatRange(0, 1), help="Probability a frame is duplicated.")
@click.option("--delay", default=0.0, type=click.FloatRange(0, 1), help="Probability a frame is delayed 50 ms.")
def simulate(cards: int, tcp_port: int | None, link_path: str | None, drop: float, corrupt: float,
             duplicate: float, delay: float) -> None:
    """Run a simulated base station with CARDS cards; press their buttons from the terminal."""
    faults = FaultConfig(drop=drop, corrupt=corrupt, duplicate=duplicate, delay=delay)
    if tcp_port is not None:
        sim = PagerSimulator(cards, transport="tcp", port=tcp_port, faults=faults)
    else:
        sim = PagerSimulator(cards, link_path=link_path, faults=faults)
    sim.start()
    try:
        click.echo(f"pager simulator with cards 1..{cards} on {sim.url}")
        click.echo("type help for commands")
        for line in sys.stdin:
            try:
                reply = run_sim_command(sim, line)
            except click.UsageError as exc:
                click.echo(f"error: {exc.message}", err=True)
                continue
            if reply is None:
                break
            if reply:
                click.echo(reply)
    finally:
        sim.stop()


__all__ = ["pager", "run_sim_command", "BUTTONS_BY_NAME"]

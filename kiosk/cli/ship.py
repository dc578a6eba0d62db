"""`kiosk ship`: send this centre's events to the city database (kiosk/city, docs/city.md).

Exit status: 0 shipped (or nothing to ship); 1 the city database could not be reached or failed (one
pass; `--follow` keeps trying with backoff); 2 a wrong configuration; 3 refused: the centre's history no
longer continues the city's copy (a restore), nothing written; `--new-epoch` once the restore is confirmed.
"""
from __future__ import annotations

import signal
import threading

import click

EXIT_FAILED, EXIT_REFUSED = 1, 3


class Refused(click.ClickException):
    exit_code = EXIT_REFUSED


@click.command("ship")
@click.option("--city", "dsn", help="The city database, postgresql://user@host:5432/dbname (default: [city] dsn).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="The centre's data directory (default ./data).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="TOML configuration file.")
@click.option("--site-code", help="This centre's code at the city (default: [city] site_code).")
@click.option("--site-name", help="This centre's name at the city (default: [city] site_name).")
@click.option("--follow", is_flag=True, help="Keep shipping every [city] interval_s until stopped.")
@click.option("--new-epoch", is_flag=True,
              help="After a restore of the centre's database is confirmed: start a new epoch and ship again.")
def ship(dsn: str | None, data_dir: str | None, config_file: str | None, site_code: str | None,
         site_name: str | None, follow: bool, new_epoch: bool) -> None:
    """Send this centre's events (and rating scores, catalogue, heartbeat) to the city's PostgreSQL."""
    import psycopg

    from kiosk.city.db import connect, migrate
    from kiosk.city.follow import ShipLoop
    from kiosk.city.setup import build_shipper, safe_dsn
    from kiosk.city.ship import RestoreDetected, ShipError
    from kiosk.cli.main import ConfigProblem, _config
    from kiosk.config.core import ConfigError, read_toml
    from kiosk.runtime.logs import setup_logging

    given = {k: v for k, v in {"dsn": dsn, "site_code": site_code, "site_name": site_name}.items() if v}
    try:
        in_file = read_toml(config_file).get("city", {}) if config_file else {}
    except ConfigError as exc:
        raise ConfigProblem(exc) from None
    city = {**in_file, **given} if isinstance(in_file, dict) else in_file  # a non-table is refused below
    cfg = _config(config_file, data_dir=data_dir, city=city or None)
    if not cfg.city.dsn:
        raise click.UsageError("no city database: give --city postgresql://… or set [city] dsn")
    setup_logging(cfg.log_level)
    where = safe_dsn(cfg.city.dsn)
    try:
        shipper = build_shipper(cfg)
    except ShipError as exc:
        raise click.ClickException(str(exc)) from None

    if new_epoch:
        try:
            with connect(cfg.city.dsn) as conn:
                migrate(conn)
                epoch = shipper.new_epoch(conn)
        except ShipError as exc:
            raise click.ClickException(str(exc)) from None
        except psycopg.Error as exc:
            raise click.ClickException(f"the city database {where} failed: {exc}") from None
        click.echo(f"site {cfg.city.site_code}: epoch {epoch} started; shipping the centre's events again")

    if not follow:
        try:
            with connect(cfg.city.dsn) as conn:
                migrate(conn)
                result = shipper.ship_once(conn)
        except RestoreDetected as exc:
            raise Refused(str(exc)) from None
        except psycopg.Error as exc:
            err = click.ClickException(f"the city database {where} failed: {str(exc).strip()} (nothing of the "
                                       f"failed batch was kept; run again to resume)")
            err.exit_code = EXIT_FAILED
            raise err from None
        finally:
            shipper.reader.close()
        click.echo(f"site {cfg.city.site_code} -> {where}: {result.line()}")
        return

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    loop = ShipLoop(cfg.city.dsn, shipper)
    click.echo(f"site {cfg.city.site_code} -> {where}: shipping every {cfg.city.interval_s:g} s (Ctrl-C stops)")
    try:
        while not stop.is_set():
            try:
                result = loop.tick(stopping=stop.is_set)
            except RestoreDetected as exc:
                raise Refused(str(exc)) from None
            if result is not None and result.events:
                click.echo(result.line())
            stop.wait(cfg.city.interval_s if loop.failures == 0 else
                      max(0.2, min(cfg.city.interval_s, loop.next_try - loop.monotonic())))
    finally:
        loop.close()
        shipper.reader.close()

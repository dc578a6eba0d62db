"""`kiosk seed-history`: a new data dir with working days of the demo centre's history (kiosk.demo.history)."""
from __future__ import annotations

import click


@click.command("seed-history")
@click.option("--data-dir", required=True, type=click.Path(file_okay=False), help="A new, empty data directory.")
@click.option("--days", required=True, type=click.IntRange(1, 20 * 250), help="Working days (Mon-Fri), ending yesterday.")
@click.option("--per-day", required=True, type=click.IntRange(1, 5000), help="Tickets on an ordinary day.")
@click.option("--seed", default=0, show_default=True, type=int, help="The same seed gives the same history.")
def seed_history(data_dir: str, days: int, per_day: int, seed: int) -> None:
    """Fill an empty data dir with N working days of the demo centre, through the real queue engine on a
    simulated clock (for demos, load tests and benchmarks)."""
    from pathlib import Path

    from kiosk.cli.main import _config
    from kiosk.demo.history import HistoryError, check_empty
    from kiosk.demo.history import seed_history as seed_days

    cfg = _config(None, data_dir=data_dir)
    try:
        check_empty(Path(cfg.data_dir))
    except HistoryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Seeding {days} working days of about {per_day:,} tickets into {data_dir} (seed {seed}) ...")
    try:
        summary, logins = seed_days(cfg, days, per_day, seed, progress=click.echo)
    except HistoryError as exc:
        raise click.ClickException(str(exc)) from None
    for line in summary.lines():
        click.echo(line)
    click.echo("Demo centre logins (shown once):")
    for user, secret in logins.items():
        click.echo(f"  {user:14s} {secret}")
    click.echo(f"Serve it with: kiosk serve --demo --data-dir {data_dir}")

"""`kiosk backup` and `kiosk restore`: the database copied while the service runs, and put back
(kiosk.store.backup; the steps for an operator are in docs/operations.md)."""
from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli.main import _config
from kiosk.store.db import DB_FILE


@click.command("backup")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The backup file to write.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Data directory (default ./data).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="TOML configuration file.")
def backup(out: str, data_dir: str | None, config_file: str | None) -> None:
    """A consistent copy of the database, taken while the service runs (the key file is not in it:
    back it up apart)."""
    from kiosk.store.backup import BackupError, backup_database

    cfg = _config(config_file, data_dir=data_dir)
    try:
        result = backup_database(Path(cfg.data_dir) / DB_FILE, Path(out))
    except BackupError as exc:
        raise click.ClickException(f"backup failed: {exc}") from None
    click.echo(f"backup written: {result.path} ({result.bytes / 1e6:.1f} MB, schema {result.schema_version}, "
               f"events up to {result.max_event_id}, {result.seconds:.1f} s, integrity ok)")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--data-dir", type=click.Path(file_okay=False), help="Data directory (default ./data).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="TOML configuration file.")
def restore(file: str, data_dir: str | None, config_file: str | None) -> None:
    """Put a backup back as the data dir's database (refused while the service runs on that dir); the
    database it replaces is kept aside as kiosk.db.before-restore-TIMESTAMP."""
    from kiosk.store.backup import BackupError, restore_database
    from kiosk.store.lock import DataDirBusy

    cfg = _config(config_file, data_dir=data_dir)
    folder = Path(cfg.data_dir)
    key = Path(cfg.key_file) if cfg.key_file else folder / "keys" / "citizen.key"
    try:
        done = restore_database(Path(file), folder, key)
    except (BackupError, DataDirBusy) as exc:
        raise click.ClickException(f"restore refused: {exc}") from None
    click.echo(f"restored {file} into {done['restored']} (schema {done['schema_version']}, events up to "
               f"{done['max_event_id']}).")
    if done["kept"]:
        click.echo(f"the database it replaced is kept as {done['kept']}")
    click.echo("Start the service again; it upgrades the schema if needed.")

"""``kiosk tls init``: the centre-local CA and the server certificate for HTTPS on the LAN.

Registered by kiosk/cli/main.py as ``kiosk.cli.tls:tls``. Bad input is one line and exit status 2,
with nothing written; files already there that cannot be used are one line and exit status 1.
"""
from __future__ import annotations

from pathlib import Path

import click

from kiosk.tls import TlsFiles
from kiosk.tls.issue import MAX_SERVER_DAYS, ServerRequest, TlsInputError, TlsStateError, issue


class BadInput(click.ClickException):
    """Wrong options: one line on stderr (no usage text around it), exit status 2 like click's own."""

    exit_code = 2


@click.group("tls")
def tls() -> None:
    """HTTPS on the centre's LAN: a centre-local CA and the server certificate."""


@tls.command("init")
@click.option("--name", required=True, help="The centre's name, shown on the CA (e.g. \"Một cửa Hà Đông\").")
@click.option("--ip", "ips", multiple=True, metavar="IP",
              help="This PC's address on the LAN, as terminals reach it; repeat for several.")
@click.option("--dns", "dns", multiple=True, metavar="HOST", help="A host name of this PC; repeat for several.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Data directory (default from the config).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="TOML configuration file.")
@click.option("--days", type=int, default=MAX_SERVER_DAYS, show_default=True,
              help=f"Validity of the server certificate (1..{MAX_SERVER_DAYS}).")
@click.option("--force", is_flag=True, help="Make a new CA too (every terminal must then install it again).")
def init(name: str, ips: tuple[str, ...], dns: tuple[str, ...], data_dir: str | None, config_file: str | None,
         days: int, force: bool) -> None:
    """Make the CA once (kept on later runs) and issue the server certificate it signs."""
    from kiosk.cli.main import _config

    try:
        request = ServerRequest.parse(name, ips, dns, days)
    except TlsInputError as exc:
        raise BadInput(str(exc)) from None
    cfg = _config(config_file, data_dir=data_dir)
    files = TlsFiles.of(Path(cfg.data_dir))
    try:
        done = issue(files, request, force=force)
    except TlsStateError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write into {files.folder}: {exc.strerror or exc}") from None

    state = "kept: terminals that trust it need nothing new" if done.ca_reused else "new"
    names = ", ".join([*done.host_names, *map(str, done.addresses)])
    click.echo(f"CA certificate:          {files.ca_cert} ({state})")
    click.echo(f"CA key (mode 600):       {files.ca_key}")
    click.echo(f"server certificate:      {files.server_cert} (with the CA's, as a chain)")
    click.echo(f"server key (mode 600):   {files.server_key}")
    click.echo(f"CA SHA-256 fingerprint:  {done.ca_fingerprint}")
    click.echo(f"server certificate for:  {names}")
    click.echo(f"valid until:             {done.server_not_after:%Y-%m-%d} (the CA until {done.ca_not_after:%Y-%m-%d})")
    first = next((str(a) for a in done.addresses if not a.is_loopback), "THIS_PC_IP")
    port = cfg.port
    click.echo("Next steps:")
    if cfg.tls:
        click.echo("  1. restart the service (tls is on already) to serve the new certificate")
    else:
        click.echo("  1. set `tls = true` under [kiosk] in the config file and restart the service")
    click.echo(f"  2. install {files.ca_cert.name} as a trusted CA on every terminal, checking the fingerprint "
               "(docs/deployment.md)")
    click.echo(f"  3. open https://{first}:{port}/device?token=KIOSK_TOKEN on each kiosk terminal")
    if not done.ca_reused:
        click.echo(f"  keep a copy of {files.ca_key.name} apart (whoever has it can make certificates the "
                   "terminals trust)")

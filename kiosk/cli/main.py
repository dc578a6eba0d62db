"""The `kiosk` command: serve, tokens, and the device/vision tools of the other parts."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from kiosk.config.core import Config, ConfigError

# Commands of the other parts, imported only when asked for: `kiosk serve` must be able to apply gevent's
# monkey-patching before numpy, OpenCV or serial code is loaded, and `kiosk --help` stays quick.
LAZY_COMMANDS = {
    "cccd": "kiosk.cli.cccd:cccd",
    "faces": "kiosk.cli.faces:faces",
    "announce": "kiosk.cli.announce:announce",
    "pager": "kiosk.cli.pager:pager",
    "printer": "kiosk.cli.printer:printer",
    "tls": "kiosk.cli.tls:tls",
    "seed-history": "kiosk.cli.history:seed_history",
    "backup": "kiosk.cli.backup:backup",
    "restore": "kiosk.cli.backup:restore",
    "ship": "kiosk.cli.ship:ship",
    "city": "kiosk.cli.city:city",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS:
            module_name, _, attr = LAZY_COMMANDS[name].partition(":")
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, name)


@click.group(cls=_LazyGroup)
def main() -> None:
    """Kiosk and queue service of a one-stop-shop centre (bộ phận một cửa)."""


class ConfigProblem(click.ClickException):
    """A wrong configuration: ``Error: [table] key: …`` on stderr, one line per problem, exit status 2."""

    exit_code = 2

    def __init__(self, error: ConfigError) -> None:
        problems = error.problems
        if len(problems) == 1:
            super().__init__(problems[0])
        else:
            super().__init__(f"{len(problems)} problems in the configuration:\n" +
                             "\n".join(f"  {line}" for line in problems))


class StartRefused(click.ClickException):
    """The store or the key file cannot be used: what is wrong and what to restore, exit status 2."""

    exit_code = 2


def _config(config_file: str | None, **overrides) -> Config:
    """The whole configuration, every table validated (before anything starts or is created)."""
    try:
        return Config.load(config_file, **overrides)
    except ConfigError as exc:
        raise ConfigProblem(exc) from None


@main.command()
@click.option("--demo", is_flag=True, help="Seed a demo centre and simulate camera, pagers and printer.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Data directory (default ./data).")
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port (default 8080).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="TOML configuration file.")
def serve(demo: bool, data_dir: str | None, host: str | None, port: int | None, config_file: str | None) -> None:
    """Run the service."""
    from gevent import monkey

    monkey.patch_all()  # before anything opens a socket, a thread or a subprocess (kiosk.runtime.serving)

    from kiosk.app import create_app
    from kiosk.runtime.logs import setup_logging
    from kiosk.runtime.serving import ServeOptions
    from kiosk.runtime.serving import serve as run_server

    cfg = _config(config_file, data_dir=data_dir, host=host, port=port, demo=demo or None)
    ssl_context = _tls_context(cfg) if cfg.tls else None
    setup_logging(cfg.log_level)
    base = f"{cfg.url_scheme}://{cfg.host}:{cfg.port}"
    lock = _lock_data_dir(Path(cfg.data_dir))  # held until this process ends: `kiosk restore` is refused
    if cfg.demo:
        from kiosk.demo.centre import seed_demo
        from kiosk.store.health import StoreUnusable, open_checked

        try:
            store = open_checked(Path(cfg.data_dir))
        except StoreUnusable as exc:
            raise StartRefused(str(exc)) from None
        logins = seed_demo(store)
        store.close()
        if logins:
            click.echo("Demo centre created. Logins (shown once):")
            for user, secret in logins.items():
                click.echo(f"  {user:14s} {secret}")
            click.echo(f"  Kiosk 1 (demo card):      {base}/device?token={logins['kiosk-token']}")
            click.echo(f"  Kiosk 2 (browser webcam): {base}/device?token={logins['kiosk-2-token']}")
            click.echo(f"  hall display: {base}/display")
        else:
            click.echo("Demo data already present; logins were printed when it was created.")

    def factory():
        app = create_app(cfg, async_mode="gevent")
        if cfg.demo:
            from kiosk.demo.centre import open_demo_counters

            open_demo_counters(app.extensions["kiosk"].engine)
        return app

    options = ServeOptions(host=cfg.host, port=cfg.port, header_timeout_s=cfg.header_timeout_s,
                           idle_timeout_s=cfg.idle_timeout_s, max_connections=cfg.max_connections,
                           ssl_context=ssl_context)
    from kiosk.citizens.keyfile import KeyProblem
    from kiosk.store.health import StoreUnusable

    try:
        sys.exit(run_server(factory, options, on_ready=lambda: click.echo(f"Serving on {base}")))
    except (StoreUnusable, KeyProblem) as exc:  # said plainly, exit status 2: nothing was started
        raise StartRefused(str(exc)) from None
    finally:
        lock.release()


def _lock_data_dir(data_dir: Path):
    """The data dir's lock (kiosk.store.lock), or StartRefused: another service or a restore holds it, or
    the dir cannot be written."""
    from kiosk.store.lock import DataDirBusy, DataDirLock

    try:
        return DataDirLock(data_dir, "serve").acquire()
    except DataDirBusy as exc:
        raise StartRefused(str(exc)) from None
    except OSError as exc:
        raise StartRefused(f"The data directory {data_dir} is not writable by this user ({exc.strerror or exc}): "
                           f"the service keeps every ticket there, and its lock file kiosk.lock. Give it back "
                           f"write permission (chown/chmod) and start again.") from None


def _tls_context(cfg: Config):
    """The server's TLS context (after monkey-patching: gevent's SSLContext); a wrong certificate or key
    is one line on stderr and exit status 1, before anything is started or created."""
    from kiosk.tls.context import TlsError, server_context

    try:
        context, warnings = server_context(cfg.tls_cert_path, cfg.tls_key_path)
    except TlsError as exc:
        raise click.ClickException(str(exc)) from None
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)
    return context


@main.group()
def token() -> None:
    """Bearer tokens for devices and integrations."""


@token.command("create")
@click.option("--role", required=True, type=click.Choice(["kiosk", "officer", "manager", "admin", "display", "rating"]))
@click.option("--counter", type=int, help="Counter number (required for officer and rating tokens).")
@click.option("--label", default="", help="What the token is for.")
@click.option("--name", default="", help="A kiosk terminal's name, shown on the monitor (same as --label).")
@click.option("--data-dir", type=click.Path(file_okay=False))
@click.option("--config", "config_file", type=click.Path(dir_okay=False))
def token_create(role: str, counter: int | None, label: str, name: str, data_dir: str | None,
                 config_file: str | None) -> None:
    """Print one new bearer token and nothing else. A kiosk token is a terminal (its camera, printer and
    pager prefix are set on the admin page, or follow the centre's defaults)."""
    from kiosk.accounts.registry import create_token
    from kiosk.queue.errors import QueueError
    from kiosk.store import open_store

    cfg = _config(config_file, data_dir=data_dir)
    store = open_store(Path(cfg.data_dir))
    try:
        with store.transaction() as conn:
            if name and label and name != label:
                raise click.UsageError("give --name or --label, not both")
            secret = create_token(conn, role, counter, name or label)
    except QueueError as exc:
        raise click.UsageError(exc.message) from None
    finally:
        store.close()
    click.echo(secret)


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(["officer", "manager", "admin"]))
@click.option("--counter", type=int)
@click.option("--full-name", default="")
@click.option("--data-dir", type=click.Path(file_okay=False))
@click.password_option()
def create_user(username: str, role: str, counter: int | None, full_name: str, data_dir: str | None,
                password: str) -> None:
    """Create a login for a person."""
    from kiosk.accounts.registry import create_user as create
    from kiosk.queue.errors import QueueError
    from kiosk.store import open_store

    store = open_store(Path(_config(None, data_dir=data_dir).data_dir))
    try:
        with store.transaction() as conn:
            create(conn, username, password, role, full_name, counter)
    except QueueError as exc:
        raise click.UsageError(exc.message) from None
    finally:
        store.close()
    click.echo(f"user {username} created")


if __name__ == "__main__":
    sys.exit(main())

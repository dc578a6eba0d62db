"""`kiosk city serve` (the city's dashboard and API over its PostgreSQL) and `kiosk city create-user`."""
from __future__ import annotations

import click


@click.group("city")
def city() -> None:
    """The city's dashboard over the database the centres ship to (PostgreSQL)."""


@city.command("serve")
@click.option("--dsn", required=True, envvar="KIOSK_CITY_DSN", help="postgresql://… of the city database.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8090, show_default=True, type=int, help="Port.")
@click.option("--rollup-interval", default=30.0, show_default=True, type=float,
              help="Seconds between builds of the daily rollups (the figures' delay at most).")
def serve(dsn: str, host: str, port: int, rollup_interval: float) -> None:
    """Serve /city and /api/v1/city/… ."""
    from werkzeug.serving import make_server

    from kiosk.city.app import create_city_app

    try:
        app = create_city_app(dsn, {"rollup_interval_s": rollup_interval})
    except Exception as exc:  # noqa: BLE001 - unreachable or not a city database: say so, no traceback
        raise click.ClickException(f"cannot open the city database: {exc}") from None
    server = make_server(host, port, app, threaded=True)
    click.echo(f"City dashboard on http://{host}:{server.port}/city (Ctrl-C stops it)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if app.city.builder is not None:
            app.city.builder.stop()


@city.command("create-user")
@click.option("--dsn", required=True, envvar="KIOSK_CITY_DSN", help="postgresql://… of the city database.")
@click.option("--role", type=click.Choice(["city_manager", "city_admin"]), default="city_manager", show_default=True)
@click.option("--password", help="The password (else asked for, twice; at least 10 characters).")
@click.argument("username")
def create_user(dsn: str, role: str, password: str | None, username: str) -> None:
    """A login for the city dashboard."""
    import psycopg

    from kiosk.city.dashboard.users import CityUserError
    from kiosk.city.dashboard.users import create_user as create
    from kiosk.city.db import migrate

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with psycopg.connect(dsn, connect_timeout=10) as conn:
            migrate(conn)
            user = create(conn, username.strip().lower(), password, role)
    except CityUserError as exc:
        raise click.ClickException(str(exc)) from None
    except psycopg.Error as exc:
        raise click.ClickException(f"cannot use the city database: {exc}".strip()) from None
    click.echo(f"Created {user.username} ({user.role}).")

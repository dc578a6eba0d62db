"""`make city-demo`: the city's view on one machine, in about a minute.

A PostgreSQL in a temporary folder (initdb + pg_ctl, as `nobody` when run as root, on a free port), three
demo centres with seeded history (`kiosk seed-history`, different seeds), shipped to it, the city dashboard
(`kiosk city serve`'s app) and a login printed. Two centres then keep shipping (`kiosk ship --follow`, with
its heartbeats); the third stays "offline" (its last shipment two hours ago) to show how a centre out of
touch looks. Ctrl-C stops it all and
removes the folder.

    python -m kiosk.city.demo [--days 5] [--per-day 60] [--port 8090]
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CENTRES = [("ba-dinh", "Bộ phận một cửa phường Ba Đình", 1), ("hoan-kiem", "Bộ phận một cửa phường Hoàn Kiếm", 2),
           ("cau-giay", "Bộ phận một cửa phường Cầu Giấy", 3)]
OFFLINE = "cau-giay"


def temp_postgres(root: Path):
    """A throwaway cluster (kiosk.city.pgtemp), started."""
    from kiosk.city.pgtemp import PgCluster, find_pg_bin

    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise SystemExit("PostgreSQL is not installed: apt-get install postgresql (make city-demo does it)")
    pg = PgCluster(bin_dir, root)
    pg.start()
    pg.wait_ready()
    return pg


def seed(root: Path, days: int, per_day: int) -> list[tuple[Path, str, str]]:
    """The three centres' data dirs, seeded in parallel by `kiosk seed-history`."""
    kiosk = kiosk_command()
    jobs = []
    for site, name, number in CENTRES:
        data = root / site
        jobs.append((subprocess.Popen([*kiosk, "seed-history", "--data-dir", str(data), "--days", str(days),
                                       "--per-day", str(per_day), "--seed", str(number)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), data, site, name))
    out = []
    for proc, data, site, name in jobs:
        if proc.wait() != 0:
            raise SystemExit(f"seed-history of {site} failed: {proc.stderr.read().decode()[-500:]}")
        out.append((data, site, name))
    return out


def kiosk_command() -> list[str]:
    return [sys.executable, "-c", "from kiosk.cli.main import main; main()"]


def ship_all(dsn: str, centres: list[tuple[Path, str, str]]) -> list[subprocess.Popen]:
    """`kiosk ship` each centre once (the catch-up), then `kiosk ship --follow` for those online (their
    heartbeats keep them fresh); the offline one's last shipment is set two hours back."""
    import psycopg

    followers = []
    for data, site, name in centres:
        args = [*kiosk_command(), "ship", "--city", dsn, "--data-dir", str(data), "--site-code", site,
                "--site-name", name]
        done = subprocess.run(args, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise SystemExit(f"kiosk ship of {site} failed: {done.stderr.strip()[-500:]}")
        print(f"  {done.stdout.strip()}")
        if site != OFFLINE:
            followers.append(subprocess.Popen([*args, "--follow"], stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE sites SET last_shipment_at = now() - interval '2 hours', "
                     "heartbeat_at = now() - interval '2 hours' WHERE site = %s", [OFFLINE])
    return followers


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # a SIGTERM cleans up like Ctrl-C: PostgreSQL stopped, the folder removed


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--per-day", type=int, default=60)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8090)
    args = ap.parse_args(argv)

    import psycopg
    from werkzeug.serving import make_server

    from kiosk.city.app import create_city_app
    from kiosk.city.dashboard.users import create_user

    signal.signal(signal.SIGTERM, _interrupt)
    root = Path(tempfile.mkdtemp(prefix="kiosk-city-demo-"))
    os.chmod(root, 0o755)  # the server's user (nobody, under root) reaches its folder inside
    started = time.monotonic()
    pg = None
    followers: list[subprocess.Popen] = []
    app = None
    try:
        pg = temp_postgres(root / "db")  # a folder of its own: the server's user owns it
        pg.admin('CREATE DATABASE "city"')
        dsn = pg.dsn("city")
        print(f"PostgreSQL in {root / 'db'} on port {pg.port}")
        print(f"Seeding three demo centres ({args.days} working days x about {args.per_day} tickets) ...")
        centres = seed(root, args.days, args.per_day)
        print("Shipping them (kiosk ship) ...")
        followers = ship_all(dsn, centres)
        password = secrets.token_urlsafe(9)
        with psycopg.connect(dsn) as conn:
            create_user(conn, "thanhpho", password, "city_manager")
        app = create_city_app(dsn, {"rollup_interval_s": 15})
        server = make_server(args.host, args.port, app, threaded=True)
        print(f"Ready in {time.monotonic() - started:.0f} s.")
        print(f"  Open  http://{args.host}:{server.port}/city")
        print(f"  Login thanhpho / {password}   (city_manager)")
        print(f"  DSN   {dsn}")
        print("Ctrl-C stops the dashboard and PostgreSQL and removes the folder.")
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for proc in followers:  # the shippers this demo started, by their handles
            proc.terminate()
        for proc in followers:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if app is not None and app.city.builder is not None:
            app.city.builder.stop()
        try:
            if pg is not None:
                pg.stop()
        except Exception:  # noqa: BLE001 - already gone
            pass
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

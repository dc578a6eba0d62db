"""`make city-demo`: the city's view on one machine, in about a minute.

A PostgreSQL in a temporary folder (initdb + pg_ctl, as `nobody` when run as root, on a free port), three
demo centres with seeded history (`kiosk seed-history`, different seeds), shipped to it, the city dashboard
(`kiosk city serve`'s app) and a login printed. Two centres then keep sending heartbeats; the third stays
"offline" (its last shipment two hours ago) to show how a centre out of touch looks. Ctrl-C stops it all and
removes the folder.

    python -m kiosk.city.demo [--days 5] [--per-day 60] [--port 8090]
"""
from __future__ import annotations

import argparse
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CENTRES = [("ba-dinh", "Bộ phận một cửa phường Ba Đình", 1), ("hoan-kiem", "Bộ phận một cửa phường Hoàn Kiếm", 2),
           ("cau-giay", "Bộ phận một cửa phường Cầu Giấy", 3)]
OFFLINE = "cau-giay"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempPostgres:
    """A throwaway PostgreSQL cluster in ROOT (trust auth on 127.0.0.1 only)."""

    def __init__(self, root: Path) -> None:
        found = sorted((int(Path(d).parent.name), Path(d)) for d in glob.glob("/usr/lib/postgresql/*/bin")
                       if Path(d, "initdb").exists() and Path(d).parent.name.isdigit())
        if not found:
            raise SystemExit("PostgreSQL is not installed: apt-get install postgresql (make city-demo does it)")
        self.bin, self.root, self.port = found[-1][1], root, free_port()
        self.prefix: list[str] = []
        (root / "sock").mkdir(parents=True)
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            nobody = pwd.getpwnam("nobody")
            self.prefix = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
            for p in (root, root / "sock"):
                os.chown(p, nobody.pw_uid, nobody.pw_gid)
            os.chmod(root, 0o755)
        self._run("initdb", "-D", str(root / "pg"), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                  "--locale=C.UTF-8")
        with open(root / "pg" / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{root / 'sock'}'\n")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.prefix, str(self.bin / tool), *args], check=True, capture_output=True, cwd=self.root,
                       timeout=120)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.root / "pg"), "-l", str(self.root / "pg.log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.root / "pg"), "-m", "fast", "-w", "stop")

    def dsn(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"


def seed(root: Path, days: int, per_day: int) -> list[tuple[Path, str, str]]:
    """The three centres' data dirs, seeded in parallel by `kiosk seed-history`."""
    kiosk = [sys.executable, "-c", "from kiosk.cli.main import main; main()"]
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


def ship_all(dsn: str, centres: list[tuple[Path, str, str]]) -> None:
    """Ship each centre (the temporary loader until `kiosk ship` lands; see kiosk/city/dashboard/loader_tmp.py)."""
    import psycopg

    from kiosk.city.dashboard.loader_tmp import load_centre
    from kiosk.city.db import migrate

    with psycopg.connect(dsn) as conn:
        migrate(conn)
        for data, site, name in centres:
            shipped = time.time() - (7200 if site == OFFLINE else 0)
            n = load_centre(conn, data / "kiosk.db", site, name, shipped_at=shipped)
            print(f"  {site} {name}: {n:,} events shipped")


def heartbeats(dsn: str, stop: threading.Event) -> None:
    """What a following shipper does between batches: the centres that are online say so."""
    import psycopg

    while not stop.is_set():
        try:
            with psycopg.connect(dsn) as conn:
                conn.execute("UPDATE sites SET heartbeat_at = now(), centre_clock = extract(epoch FROM now()) "
                             "WHERE site <> %s", [OFFLINE])
        except psycopg.Error:
            pass
        stop.wait(20)


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
    pg = TempPostgres(root / "db")  # a folder of its own: the server's user owns it
    stop = threading.Event()
    app = None
    try:
        pg.start()
        with psycopg.connect(pg.dsn(), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "city"')
        dsn = pg.dsn("city")
        print(f"PostgreSQL in {root / 'db'} on port {pg.port}")
        print(f"Seeding three demo centres ({args.days} working days x about {args.per_day} tickets) ...")
        centres = seed(root, args.days, args.per_day)
        ship_all(dsn, centres)
        password = secrets.token_urlsafe(9)
        with psycopg.connect(dsn) as conn:
            create_user(conn, "thanhpho", password, "city_manager")
        threading.Thread(target=heartbeats, args=(dsn, stop), daemon=True).start()
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
        stop.set()
        if app is not None and app.city.builder is not None:
            app.city.builder.stop()
        try:
            pg.stop()
        except Exception:  # noqa: BLE001 - never started, or already gone
            pass
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

"""A throwaway PostgreSQL cluster in a temporary folder: for the tests, the benchmarks and the city demo.

`PgCluster(bin_dir, root)` runs `initdb` in ROOT/data (trust authentication, UTF-8, on a free port of
127.0.0.1, its unix socket in ROOT/sockets); `start()`, `stop(mode)` (`immediate` is a crash: recovery
from the WAL at the next start), `running()`, `dsn(dbname)`. PostgreSQL refuses to run as root: as root,
its commands run as `nobody` (setpriv, or runuser) in a folder owned by nobody. Settings are for
throwaway clusters only (no fsync): never for the city's real database.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

SUPERUSER = "postgres"


def find_pg_bin() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin holding initdb and pg_ctl, else their folder on PATH."""
    found = []
    for folder in glob.glob("/usr/lib/postgresql/*/bin"):
        path = Path(folder)
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            try:
                found.append((int(path.parent.name), path))
            except ValueError:
                continue
    if found:
        return max(found)[1]
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user_prefix() -> tuple[list[str], int | None, int | None]:
    """How to run the server's commands as a non-root user: (argv prefix, uid, gid)."""
    if os.geteuid() != 0:
        return [], None, None
    nobody = pwd.getpwnam("nobody")
    if shutil.which("setpriv"):
        return ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"], \
            nobody.pw_uid, nobody.pw_gid
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"], nobody.pw_uid, nobody.pw_gid
    raise RuntimeError("running as root without setpriv or runuser: cannot start PostgreSQL as non-root")


class PgCluster:
    """One initdb'd cluster in a temporary folder; start/stop like an operator would."""

    def __init__(self, bin_dir: Path, root: Path):
        self.bin_dir = bin_dir
        self.root = root
        self.data = root / "data"
        self.sockets = root / "sockets"
        self.log = root / "server.log"
        self.port = free_port()
        self.host = "127.0.0.1"
        self._prefix, uid, gid = _as_user_prefix()
        self.sockets.mkdir(parents=True)
        if uid is not None:
            for path in (root, self.sockets):
                os.chown(path, uid, gid)
            os.chmod(root, 0o755)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions", "--no-sync")
        # Tests only: no fsync (the OS page cache survives a `pg_ctl stop -m immediate`, so crash
        # recovery from the WAL is still exercised); a small footprint on a shared 2-core machine.
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '{self.host}'\n"
                f"unix_socket_directories = '{self.sockets}'\n"
                "fsync = off\nfull_page_writes = off\nshared_buffers = 32MB\nmax_connections = 60\n"
                "log_min_messages = warning\n")

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        argv = [*self._prefix, str(self.bin_dir / tool), *args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=self.root)
        if check and done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
        return done

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """`pg_ctl stop -m MODE`; `immediate` is a crash: no checkpoint, recovery at the next start."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE) on the postgres database."""
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(sql)

    def wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.dsn(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

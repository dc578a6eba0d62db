"""The citizens' data key at start: opened and checked against the database, never replaced over data.

A new key is made only for a database that holds nothing sealed and no record of an earlier key. The
database keeps a check value of its key (an HMAC of a constant, under the key's MAC half: it says nothing
of the key nor of any citizen), so a key file that is missing, damaged or another centre's is found at
start, not later as 500s on every staff read, searches that find nothing, and each returning citizen
stored a second time.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from kiosk.citizens.crypto import CryptoError, Vault, load_or_create_key
from kiosk.citizens.registry import RECORD_PURPOSE

KEY_CHECK = "citizen_key_check"


class KeyProblem(RuntimeError):
    """The key file does not fit this database; the message says what to restore."""


def _sealed_rows(conn: sqlite3.Connection) -> int:
    return conn.execute(
        "SELECT (SELECT COUNT(*) FROM citizens) + "
        "(SELECT COUNT(*) FROM appointments WHERE contact IS NOT NULL OR lookup IS NOT NULL)").fetchone()[0]


def _restore(path: Path) -> str:
    return (f"Restore the key file from its backup (kept apart from the database backups, see "
            f"docs/operations.md) to {path} (mode 600, owned by the service's user), or set [kiosk] key_file "
            f"to where it is, and start again.")


def open_vault(path: Path, store) -> Vault:
    """The Vault of ``path``, checked against the store (creating the key only for a store without data
    sealed under an earlier one); raises KeyProblem."""
    conn = store.conn()
    row = conn.execute("SELECT value FROM settings WHERE key = ?", [KEY_CHECK]).fetchone()
    recorded = row[0] if row else None
    if not path.exists():
        sealed = _sealed_rows(conn)
        if recorded is not None or sealed:
            held = f"{sealed} sealed records of citizens and appointments" if sealed else "data sealed under a key"
            raise KeyProblem(
                f"The citizens' data key {path} is missing, but the database holds {held}. The service does not "
                f"make a new key over them: nothing sealed could be read again and every returning citizen "
                f"would be stored twice. {_restore(path)}")
    try:
        vault = Vault(load_or_create_key(path))
    except (CryptoError, OSError) as exc:
        raise KeyProblem(f"The citizens' data key {path} cannot be used ({exc}). {_restore(path)}") from None
    check = vault.lookup(KEY_CHECK)
    if recorded is None:
        if not _opens_a_record(vault, conn):
            raise KeyProblem(f"The key file {path} does not open the citizens' records of this database: it "
                             f"is another key. {_restore(path)}")
        with store.transaction() as tx:
            tx.execute("INSERT INTO settings (key, value) VALUES (?, ?)", [KEY_CHECK, check])
    elif recorded != check:
        raise KeyProblem(f"The key file {path} is not the key of this database (its check value differs): it is "
                         f"another centre's or a new one. {_restore(path)}")
    return vault


def check_key_fits(path: Path, conn: sqlite3.Connection, source: Path | str = "the backup") -> None:
    """Does the key file at ``path`` open the data sealed in the database of ``conn`` (a backup about to
    be restored)? Reads only; raises KeyProblem saying which key to restore first."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", [KEY_CHECK]).fetchone()
    recorded = row[0] if row else None
    first = (f"Restore the key file that belongs to this backup (kept apart from the database backups, see "
             f"docs/operations.md) to {path}, or set [kiosk] key_file to where it is, then run the restore again; "
             f"the current database is unchanged.")
    if not path.exists():
        sealed = _sealed_rows(conn)
        if recorded is not None or sealed:
            raise KeyProblem(f"{source} holds data sealed under a key, but there is no key file at {path}. {first}")
        return
    try:
        vault = Vault(load_or_create_key(path))
    except (CryptoError, OSError) as exc:
        raise KeyProblem(f"The key file {path} cannot be used ({exc}). {first}") from None
    if recorded is not None:
        if recorded != vault.lookup(KEY_CHECK):
            raise KeyProblem(f"The key file {path} does not open the sealed data of {source} (its check value "
                             f"differs): the backup was made under another key. {first}")
        return
    if not _opens_a_record(vault, conn):
        raise KeyProblem(f"The key file {path} does not open the citizens' records of {source}: it is "
                         f"another key. {first}")


def _opens_a_record(vault: Vault, conn: sqlite3.Connection) -> bool:
    """Does ``vault`` open a citizen's record of ``conn`` (True when there is none to try)? For stores made
    before the key check value was recorded."""
    sample = conn.execute("SELECT record FROM citizens LIMIT 1").fetchone()
    if sample is None:
        return True
    try:
        vault.open(sample[0], RECORD_PURPOSE)
    except CryptoError:
        return False
    return True

"""City logins (``city_users``): city managers read the dashboard and reports; city admins also manage logins.

Passwords are hashed as the centre's accounts are (werkzeug's scrypt); a failed login costs the same time
whether or not the user exists.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

ROLES = ("city_manager", "city_admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
_DUMMY_HASH = generate_password_hash("not a password of anyone")


class CityUserError(ValueError):
    """A login that cannot be created as asked."""


@dataclass(frozen=True)
class CityUser:
    username: str
    role: str


def create_user(conn: Any, username: str, password: str, role: str) -> CityUser:
    if role not in ROLES:
        raise CityUserError(f"role must be one of {', '.join(ROLES)}")
    if not USERNAME.match(username):
        raise CityUserError("username: 2-64 lowercase letters, digits, '.', '_' or '-'")
    if len(password) < MIN_PASSWORD:
        raise CityUserError(f"password: at least {MIN_PASSWORD} characters")
    with conn.transaction():
        if conn.execute("SELECT 1 FROM city_users WHERE username = %s", [username]).fetchone():
            raise CityUserError(f"user {username!r} exists")
        conn.execute("INSERT INTO city_users (username, password_hash, role) VALUES (%s, %s, %s)",
                     [username, generate_password_hash(password), role])
    return CityUser(username, role)


def authenticate(conn: Any, username: str, password: str) -> CityUser | None:
    row = conn.execute("SELECT password_hash, role, active FROM city_users WHERE username = %s",
                       [username]).fetchone()
    ok = check_password_hash(row[0] if row else _DUMMY_HASH, password)
    if row is None or not ok or not row[2]:
        return None
    return CityUser(username, row[1])


def active_user(conn: Any, username: str) -> CityUser | None:
    row = conn.execute("SELECT role FROM city_users WHERE username = %s AND active", [username]).fetchone()
    return CityUser(username, row[0]) if row else None

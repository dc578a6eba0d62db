"""The ``[accounts]`` table: how long sign-in sessions live, and when sign-in attempts are refused.

    [accounts]
    session_max_hours = 12            # 0.25..168: a staff session ends this long after sign-in, whatever
    session_idle_minutes = 120        # 5..1440: ... or after this long with no request and no open page
    device_session_days = 30          # 1..365: a kiosk or display PC signed in with its token (/device)
    login_failures_per_account = 5    # 1..100 failed sign-ins to one username within the window ...
    login_failures_per_address = 20   # 1..10000 ... or from one address, then refused until they age out
    login_window_minutes = 15         # 1..1440

An open page (a Socket.IO connection) counts as activity, so a console left open at a counter stays signed
in until ``session_max_hours``. See docs/operations.md (Sessions and sign-in lockout).
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kiosk.accounts.sessions import SessionPolicy
from kiosk.config.base import Table


class AccountSettings(Table):
    """Session lifetimes and sign-in throttling."""

    table = "accounts"

    session_max_hours: Annotated[float, Field(ge=0.25, le=168)] = 12.0
    session_idle_minutes: Annotated[float, Field(ge=5, le=1440)] = 120.0
    device_session_days: Annotated[float, Field(ge=1, le=365)] = 30.0
    login_failures_per_account: Annotated[int, Field(ge=1, le=100)] = 5
    login_failures_per_address: Annotated[int, Field(ge=1, le=10_000)] = 20
    login_window_minutes: Annotated[float, Field(ge=1, le=1440)] = 15.0

    def session_policy(self) -> SessionPolicy:
        device_s = self.device_session_days * 86400.0
        return SessionPolicy(staff_max_s=self.session_max_hours * 3600.0,
                             staff_idle_s=self.session_idle_minutes * 60.0,
                             device_max_s=device_s, device_idle_s=device_s)

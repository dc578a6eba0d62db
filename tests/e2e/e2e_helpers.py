"""Helpers shared by the browser tests."""
from __future__ import annotations

from e2e_server import LiveServer


def login(page, server: LiveServer, user: str, next_path: str) -> None:
    """Sign in through the real login form."""
    page.goto(f"{server.url}/login?next={next_path}")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", server.logins[user])
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_path}*")

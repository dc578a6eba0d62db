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


def open_kiosk(new_page, server: LiveServer, init_script: str | None = None, tile: str = "HT"):
    """The kiosk page at 1920x1080, signed in with the demo kiosk token, its tiles shown and live."""
    page = new_page(1920, 1080)
    if init_script:
        page.add_init_script(init_script)
    page.goto(f"{server.url}/device?token={server.logins['kiosk-token']}")
    page.wait_for_url("**/kiosk")
    page.wait_for_selector(f".tile[data-code='{tile}']")
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    return page

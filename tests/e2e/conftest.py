"""Browser tests: the real server in a subprocess, Debian's Chromium driven by Playwright.

Skipped with a clear message where /usr/bin/chromium (apt-get install chromium) or the playwright
package (pip install playwright) is missing. Never runs `playwright install`: no browser download.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import login
from e2e_server import LiveServer

CHROMIUM = os.environ.get("KIOSK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SHOTS = Path(os.environ.get("KIOSK_E2E_SHOTS", "/tmp/kiosk-e2e"))


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (or set KIOSK_CHROMIUM)")
    return CHROMIUM


@pytest.fixture(scope="session")
def playwright_api(chromium_path: str):
    """The Playwright instance (one per session: a second sync_playwright() in this thread is refused);
    tests that need Chromium with flags of their own (a fake webcam) launch it from here."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed: pip install playwright")
    with sync_api.sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_api, chromium_path: str):
    b = playwright_api.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def launch_chromium(playwright_api, chromium_path: str):
    """launch_chromium(flags) -> a Chromium of its own with FLAGS added (e.g. a fake webcam), closed after the test."""
    launched = []

    def launch(flags: list[str]):
        b = playwright_api.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS + list(flags))
        launched.append(b)
        return b

    yield launch
    for b in launched:
        b.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("e2e") / "data").start()
    yield srv
    srv.stop()


@pytest.fixture
def new_page(browser, server):
    """new_page(width, height) -> a page in a fresh browser context (own cookies).

    A JavaScript error, or any request that leaves the server (CDN, web font …), fails the test.
    """
    contexts = []
    errors: list[str] = []
    outside: list[str] = []

    def watch(request) -> None:
        local = (server.url + "/", "data:", f"blob:{server.url}/", f"ws://127.0.0.1:{server.port}/")
        if not request.url.startswith(local):
            outside.append(request.url)

    def make(width: int = 1920, height: int = 1080):
        # a centre's PCs keep Vietnam's time: pages that default to "today" must agree with the server's day
        ctx = browser.new_context(bypass_csp=True, viewport={"width": width, "height": height}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
        ctx.set_default_timeout(8000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("request", watch)
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not outside, f"pages fetched something outside the server: {outside}"


@pytest.fixture(scope="session")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.fixture
def officer_page(new_page, server):
    """officer_page(counter) -> the console of that counter, signed in as its officer, live."""

    def make(counter: int, width: int = 1366, height: int = 768):
        page = new_page(width, height)
        login(page, server, f"quay{counter}", "/counter")
        page.wait_for_selector("#console:not([hidden])")
        page.wait_for_function("document.body.dataset.connected === 'yes'")
        return page

    return make

"""Screenshots of every page for docs/pages.md: `python bench/screenshots.py [--out docs/screenshots]`.

Starts the demo server on a fresh data dir (the browser tests' LiveServer: known logins), puts a little
life in the queue (tickets, calls, an announcement), and drives Debian's Chromium (/usr/bin/chromium, or
KIOSK_CHROMIUM) through Playwright as tests/e2e do. Each page is saved as a JPEG, at half its screen size
beyond 800 px wide (Pillow), so the whole set stays a few hundred KB. Needs no network: no browser download.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "e2e"), str(ROOT / "tests")]

from e2e_helpers import login  # noqa: E402
from e2e_server import LiveServer  # noqa: E402
from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

CHROMIUM = os.environ.get("KIOSK_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
NOTICE = "Trung tâm nghỉ Tết Dương lịch ngày 01/01/2027. Giờ làm việc: 07:30–11:30 và 13:30–17:00."

# (file name, viewport, who signs in (None = nobody, "kiosk" = the kiosk device), path, what to wait for)
PAGES = [
    ("kiosk", (1080, 1920), "kiosk", "/kiosk", "body[data-connected=yes]"),
    ("counter", (1366, 768), "quay1", "/counter", "#console:not([hidden])"),
    ("display", (1920, 1080), None, "/display", "#notice-bar:not([hidden])"),
    ("monitor", (1366, 768), "lanhdao", "/monitor", "#services-table tbody tr"),
    ("reports", (1366, 768), "lanhdao", "/reports", "body"),
    ("admin", (1366, 768), "admin", "/admin", "#services-table tbody tr"),
    ("book", (1366, 768), None, "/book", "body"),
    ("tracking", (412, 915), None, "TRACK", "body[data-connected=yes]"),
    ("login", (1366, 768), None, "/login", "form"),
]


def _liven(server: LiveServer) -> str:
    """A few tickets and calls, the hall's announcement; the tracking path of a waiting ticket."""
    for service in ("HT", "HT", "DD", "KD", "HT", "XD", "CT", "LD"):
        last = server.issue(service, "elderly" if service == "DD" else "normal")
    for counter in (1, 2, 3):
        server.api("POST", f"/counters/{counter}/next", server.tokens[f"officer{counter}"], {})
    server.api("PUT", "/admin/announcements", server.tokens["admin"], {"lines": [NOTICE]})
    return last["tracking_url"]


def _save(png: bytes, path: Path) -> int:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.width > 800:  # a phone's page is small already
        image = image.resize((image.width // 2, image.height // 2), Image.LANCZOS)
    image.save(path, "JPEG", quality=72, optimize=True)
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp) / "data").start()
        try:
            track = _liven(server)
            total = 0
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for name, (w, h), who, path, ready in PAGES:
                    ctx = browser.new_context(viewport={"width": w, "height": h}, locale="vi-VN")
                    page = ctx.new_page()
                    if who == "kiosk":
                        page.goto(f"{server.url}/device?token={server.logins['kiosk-token']}")
                    elif who:
                        login(page, server, who, path)
                    page.goto(server.url + (track if path == "TRACK" else path))
                    page.wait_for_selector(ready, timeout=10000)
                    page.wait_for_timeout(1200)  # live data and fonts settle
                    size = _save(page.screenshot(), args.out / f"{name}.jpg")
                    total += size
                    print(f"{name:10s} {w}x{h} -> {name}.jpg {size // 1024} KB")
                    ctx.close()
                browser.close()
            print(f"total {total // 1024} KB in {args.out}")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

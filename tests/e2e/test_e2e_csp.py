"""Every page works under its Content-Security-Policy: opened in a Chromium context that enforces it (the
other browser tests bypass CSP, because Playwright's polling waits evaluate strings), each page connects
and renders with no `securitypolicyviolation` and no JavaScript error."""
from __future__ import annotations

import pytest
from e2e_helpers import login

pytestmark = pytest.mark.e2e

RECORD = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""

PAGES = [("lanhdao", "/monitor"), ("quay1", "/counter"), ("admin", "/admin"), (None, "/display"), (None, "/book"),
         (None, "/login"), ("quay1", "/account/password")]


def _enforcing(browser, width: int, height: int):
    """A context that enforces the pages' CSP (no bypass) and records violations; (context, page, errors)."""
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
    ctx.add_init_script(RECORD)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return ctx, page, errors


@pytest.mark.parametrize("user, path", PAGES, ids=[p for _, p in PAGES])
def test_page_runs_under_its_csp(browser, server, user, path):
    ctx, page, errors = _enforcing(browser, 1366, 768)
    try:
        if user:
            login(page, server, user, path)
        else:
            page.goto(server.url + path)
        if path in ("/monitor", "/counter", "/display"):
            page.wait_for_selector("body[data-connected='yes']", timeout=15000)
        page.wait_for_timeout(1500)  # the first pushes and fetches come in
        header = page.evaluate("() => 1")  # evaluate() of a function runs even under CSP
        assert header == 1
        assert page.evaluate("() => window.__cspViolations") == []
        assert errors == []
    finally:
        ctx.close()


def test_kiosk_page_runs_under_its_csp(browser, server):
    ctx, page, errors = _enforcing(browser, 1080, 1920)
    try:
        page.goto(f"{server.url}/device?token={server.logins['kiosk-token']}")
        page.wait_for_url("**/kiosk")
        page.wait_for_selector("body[data-connected='yes']", timeout=15000)
        page.wait_for_timeout(2500)  # the demo camera's preview frames are blob: images
        assert page.evaluate("() => window.__cspViolations") == []
        assert errors == []
    finally:
        ctx.close()


def test_rating_tablet_page_runs_under_its_csp(browser, server):
    token = server.api("POST", "/admin/tokens", server.tokens["admin"], {"role": "rating", "counter": 1}).json()["token"]
    ctx, page, errors = _enforcing(browser, 1024, 600)
    try:
        page.goto(f"{server.url}/device?token={token}")
        page.wait_for_url("**/rate?counter=1")
        page.wait_for_selector("body[data-connected='yes']", timeout=15000)
        page.wait_for_timeout(1500)
        assert page.evaluate("() => window.__cspViolations") == []
        assert errors == []
    finally:
        ctx.close()

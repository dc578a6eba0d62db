"""An open staff page whose sign-in ends (the user deactivated) leaves for the login page by itself."""
from __future__ import annotations

import re
import time

import pytest
from e2e_helpers import login

pytestmark = pytest.mark.e2e


def test_an_open_monitor_goes_to_the_login_when_its_user_is_deactivated(new_page, server):
    password = "mat-khau-e2e-1"
    r = server.api("POST", "/admin/users", server.tokens["admin"],
                   {"username": "lanhdao-e2e", "password": password, "role": "manager", "full_name": "Thử Nghiệm"})
    assert r.status_code == 201, r.text
    server.logins["lanhdao-e2e"] = password
    page = new_page(1280, 800)
    login(page, server, "lanhdao-e2e", "/monitor")
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    started = time.monotonic()
    assert server.api("POST", f"/admin/users/{r.json()['id']}/active", server.tokens["admin"],
                      {"active": False}).ok
    page.wait_for_url(re.compile(r"/login(\?|$)"), timeout=5000, wait_until="commit")
    assert time.monotonic() - started < 5
    page.wait_for_selector("h1:has-text('Đăng nhập')")
    assert "/login" in page.url

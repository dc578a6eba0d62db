"""A kiosk terminal's browser on the LAN: Debian's Chromium, with the centre CA installed in its NSS
database as docs/deployment.md says, trusts the service's certificate, gets a secure context (so the
webcam) at a LAN host name, is redirected from a plain-HTTP bookmark, and runs the live hall display
over wss. Without the CA it refuses the page.

The LAN host name is mapped to 127.0.0.1 inside Chromium (--host-resolver-rules): no traffic leaves the
machine, yet the origin is not loopback, so only HTTPS makes it a secure context.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from server_process import KIOSK, ServerProcess, checkout_env

pytestmark = pytest.mark.e2e

HOST = "motcua.lan"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--host-resolver-rules=MAP {HOST} 127.0.0.1",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("tls-e2e")
    data = root / "data"
    r = subprocess.run([str(KIOSK), "tls", "init", "--name", "Một cửa Hà Đông", "--ip", "192.168.1.10",
                        "--dns", HOST, "--data-dir", str(data)], capture_output=True, text=True, timeout=60,
                       env=checkout_env())
    assert r.returncode == 0, r.stderr
    cfg = root / "kiosk.toml"
    cfg.write_text("[kiosk]\ntls = true\n[vision]\nenabled = false\n")
    server = ServerProcess(data, extra_args=["--config", str(cfg)], ca=data / "tls" / "ca.crt").start()
    yield server
    server.stop()


def _home_trusting(ca, home):
    """A HOME whose NSS database trusts ``ca`` for servers, made with certutil as the docs say."""
    certutil = shutil.which("certutil")
    if certutil is None:
        pytest.skip("certutil not found: apt-get install -y libnss3-tools")
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run([certutil, "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True, timeout=30)
    subprocess.run([certutil, "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "Mot cua Ha Dong CA",
                    "-i", str(ca)], check=True, timeout=30)
    return home


def test_a_terminal_with_the_ca_gets_a_secure_context_and_the_live_display(browser, chromium_path, tls_server,
                                                                          tmp_path, shots):
    home = _home_trusting(tls_server.verify, tmp_path / "home")
    terminal = browser.browser_type.launch(executable_path=chromium_path, args=ARGS,
                                           env={**os.environ, "HOME": str(home)})
    try:
        # bypass_csp: the polling below evaluates a string, which the page's own CSP (no eval) refuses
        page = terminal.new_page(viewport={"width": 1280, "height": 720}, locale="vi-VN", bypass_csp=True)
        page.set_default_timeout(10000)
        origin = f"https://{HOST}:{tls_server.port}"
        assert page.goto(origin + "/healthz").ok
        assert page.evaluate("window.isSecureContext") is True
        tracks = page.evaluate("""async () => {
            const stream = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}});
            const n = stream.getVideoTracks().length;
            stream.getTracks().forEach(t => t.stop());
            return n;
        }""")
        assert tracks == 1  # the webcam path a kiosk page needs
        # a hall TV still bookmarked at http:// lands on https and goes live over wss
        page.goto(f"http://{HOST}:{tls_server.port}/display")
        assert page.url == origin + "/display"
        page.wait_for_function("document.body.dataset.connected === 'yes'")
        page.screenshot(path=str(shots / "tls_display.png"))
    finally:
        terminal.close()


def test_a_terminal_without_the_ca_refuses_the_page(browser, chromium_path, tls_server, tmp_path):
    home = tmp_path / "empty-home"
    home.mkdir()
    terminal = browser.browser_type.launch(executable_path=chromium_path, args=ARGS,
                                           env={**os.environ, "HOME": str(home)})
    try:
        page = terminal.new_page()
        with pytest.raises(Exception, match="ERR_CERT_AUTHORITY_INVALID"):
            page.goto(f"https://{HOST}:{tls_server.port}/healthz")
    finally:
        terminal.close()

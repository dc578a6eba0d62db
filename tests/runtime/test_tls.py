"""HTTPS on the LAN: `kiosk tls init` makes a centre CA and a server certificate, and `kiosk serve` with
`tls = true` serves them to clients that trust only that CA, over HTTP and WebSocket, while silent or
plain-HTTP clients on the TLS port are dropped or redirected and never hold the server."""
from __future__ import annotations

import ipaddress
import socket
import ssl
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from server_process import KIOSK, ServerProcess, checkout_env, create_token

from kiosk.config.core import Config
from kiosk.tls.context import TlsError, check_files


def _init(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(KIOSK), "tls", "init", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=60, env=checkout_env())


def _certs(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# ---- kiosk tls init ----------------------------------------------------------------------------------

def test_init_makes_a_ca_and_a_server_certificate_that_chains_to_it(tmp_path):
    data = tmp_path / "data"
    r = _init(data, "--name", "Một cửa Hà Đông", "--ip", "192.168.1.10", "--ip", "10.0.0.5",
              "--dns", "MotCua.lan")
    assert r.returncode == 0, r.stderr
    tls = data / "tls"
    assert sorted(p.name for p in tls.iterdir()) == ["ca.crt", "ca.key", "server.crt", "server.key"]
    assert (tls / "ca.key").stat().st_mode & 0o777 == 0o600
    assert (tls / "server.key").stat().st_mode & 0o777 == 0o600

    (ca,) = _certs(tls / "ca.crt")
    leaf, chained_ca = _certs(tls / "server.crt")
    assert chained_ca == ca  # leaf first, then the CA: clients get the whole chain
    leaf.verify_directly_issued_by(ca)
    ca.verify_directly_issued_by(ca)
    (common,) = ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert common.value == "Một cửa Hà Đông — CA nội bộ"
    basic = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    assert timedelta(days=3640) < ca.not_valid_after_utc - ca.not_valid_before_utc < timedelta(days=3660)

    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address(a) for a in ("192.168.1.10", "10.0.0.5", "127.0.0.1", "::1")}
    assert set(san.get_values_for_type(x509.DNSName)) == {
        "motcua.lan", "mot-cua-ha-dong", "mot-cua-ha-dong.local", "localhost"}
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert lifetime <= timedelta(days=825, hours=1) and leaf.not_valid_before_utc <= datetime.now(UTC)

    fingerprint = ca.fingerprint(hashes.SHA256()).hex(":").upper()
    assert fingerprint in r.stdout and str(tls / "ca.crt") in r.stdout and "tls = true" in r.stdout
    assert check_files(tls / "server.crt", tls / "server.key") == []


def test_rerun_keeps_the_ca_and_reissues_the_server_certificate_and_force_makes_a_new_ca(tmp_path):
    data = tmp_path / "data"
    assert _init(data, "--name", "Hà Đông", "--ip", "192.168.1.10").returncode == 0
    tls = data / "tls"
    first = _snapshot(tls)
    r = _init(data, "--name", "Hà Đông", "--ip", "192.168.1.20", "--days", "30")
    assert r.returncode == 0, r.stderr
    second = _snapshot(tls)
    assert second["ca.crt"] == first["ca.crt"] and second["ca.key"] == first["ca.key"]
    assert second["server.key"] != first["server.key"] and "kept" in r.stdout
    leaf, _ = _certs(tls / "server.crt")
    leaf.verify_directly_issued_by(_certs(tls / "ca.crt")[0])
    ips = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.IPAddress)
    assert ipaddress.ip_address("192.168.1.20") in ips and ipaddress.ip_address("192.168.1.10") not in ips
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= timedelta(days=30, hours=1)

    assert _init(data, "--name", "Hà Đông", "--ip", "192.168.1.20", "--force").returncode == 0
    third = _snapshot(tls)
    assert third["ca.crt"] != first["ca.crt"] and third["ca.key"] != first["ca.key"]
    _certs(tls / "server.crt")[0].verify_directly_issued_by(_certs(tls / "ca.crt")[0])
    assert not [p for p in tls.iterdir() if p.name.startswith(".")]  # no temporary file left


@pytest.mark.parametrize("args,message", [
    (["--name", "Hà Đông", "--ip", "192.168.1"], '--ip "192.168.1" is not an IP address'),
    (["--name", "Hà Đông", "--ip", "0.0.0.0"], "not an address a terminal can reach"),
    (["--name", "  ", "--ip", "192.168.1.10"], "--name must not be empty"),
    (["--name", "Hà Đông"], "at least one --ip"),
    (["--name", "Hà Đông", "--ip", "192.168.1.10", "--dns", "bad_host!"], '--dns "bad_host!" is not a host name'),
    (["--name", "Hà Đông", "--ip", "192.168.1.10", "--days", "900"], "--days must be between 1 and 825"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, args, message):
    data = tmp_path / "data"
    r = _init(data, *args)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [f"Error: {r.stderr.strip().removeprefix('Error: ')}"]
    assert message in r.stderr
    assert not data.exists()

    assert _init(data, "--name", "Hà Đông", "--ip", "192.168.1.10").returncode == 0
    before = _snapshot(data / "tls")
    assert _init(data, *args).returncode == 2
    assert _snapshot(data / "tls") == before


def test_a_missing_ca_key_is_refused_and_nothing_changes(tmp_path):
    data = tmp_path / "data"
    assert _init(data, "--name", "Hà Đông", "--ip", "192.168.1.10").returncode == 0
    (data / "tls" / "ca.key").unlink()  # moved to the safe, say
    before = _snapshot(data / "tls")
    r = _init(data, "--name", "Hà Đông", "--ip", "192.168.1.11")
    assert r.returncode == 1 and "ca.key is missing" in r.stderr and "--force" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert _snapshot(data / "tls") == before


# ---- configuration and the checks at start ---------------------------------------------------------------

def test_tls_makes_the_session_cookie_secure_unless_set(tmp_path):
    assert Config.from_dict({"data_dir": str(tmp_path)}).session_cookie_secure is False
    on = Config.from_dict({"data_dir": str(tmp_path), "tls": True})
    assert on.session_cookie_secure is True and on.url_scheme == "https"
    assert on.tls_cert_path == tmp_path / "tls" / "server.crt" and on.tls_key_path == tmp_path / "tls" / "server.key"
    assert Config.from_dict({"tls": True, "session_cookie_secure": False}).session_cookie_secure is False
    env = Config.load(env={"KIOSK_TLS": "1", "KIOSK_TLS_CERT": "/etc/kiosk/c.pem"})
    assert env.tls and env.session_cookie_secure and env.tls_cert_path == Path("/etc/kiosk/c.pem")


def test_a_key_of_another_certificate_is_a_clear_error(tmp_path):
    assert _init(tmp_path / "a", "--name", "A", "--ip", "192.168.1.10").returncode == 0
    assert _init(tmp_path / "b", "--name", "B", "--ip", "192.168.1.10").returncode == 0
    cert, other_key = tmp_path / "a" / "tls" / "server.crt", tmp_path / "b" / "tls" / "server.key"
    with pytest.raises(TlsError, match=r"\[kiosk\] tls_key: .* is not the key of the certificate"):
        check_files(cert, other_key)
    with pytest.raises(TlsError, match="is not a PEM certificate"):
        check_files(other_key, other_key)


def test_an_expiring_certificate_is_a_warning(tmp_path):
    assert _init(tmp_path, "--name", "A", "--ip", "192.168.1.10", "--days", "10").returncode == 0
    tls = tmp_path / "tls"
    (warning,) = check_files(tls / "server.crt", tls / "server.key")
    assert "expires on" in warning
    (warning,) = check_files(tls / "server.crt", tls / "server.key", now=datetime.now(UTC) + timedelta(days=11))
    assert "expired on" in warning


@pytest.mark.parametrize("broken", ["missing", "mismatched"])
def test_serve_with_tls_and_a_bad_certificate_exits_1_with_one_line(tmp_path, broken):
    data = tmp_path / "data"
    if broken == "mismatched":
        assert _init(data, "--name", "A", "--ip", "192.168.1.10").returncode == 0
        assert _init(tmp_path / "other", "--name", "B", "--ip", "192.168.1.10").returncode == 0
        (data / "tls" / "server.key").write_bytes((tmp_path / "other" / "tls" / "server.key").read_bytes())
    r = subprocess.run([str(KIOSK), "serve", "--data-dir", str(data), "--port", "1"], capture_output=True,
                       text=True, timeout=60, env=checkout_env({"KIOSK_TLS": "true"}))
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    if broken == "missing":
        assert str(data / "tls" / "server.crt") in lines[0] and "does not exist" in lines[0]
    else:
        assert "is not the key of the certificate" in lines[0]
    assert "kiosk tls init" in lines[0]
    assert not (data / "kiosk.db").exists()  # refused before anything was created


# ---- the real server over TLS ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("tls")
    data = root / "data"
    r = _init(data, "--name", "Một cửa Hà Đông", "--ip", "192.168.1.10")
    assert r.returncode == 0, r.stderr
    cfg = root / "kiosk.toml"
    cfg.write_text("[kiosk]\ntls = true\nheader_timeout_s = 2.0\n[vision]\nenabled = false\n")
    server = ServerProcess(data, extra_args=["--config", str(cfg)], ca=data / "tls" / "ca.crt").start()
    yield server
    server.stop()
    assert server.proc.returncode == 0
    log = Path(server.log.name).read_text(errors="replace")
    assert "Traceback" not in log, log  # failed handshakes and plain HTTP are dropped quietly


def _trusting_only_the_ca(server: ServerProcess) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=server.verify)  # with cafile, no system root is loaded


def test_https_is_served_to_a_client_that_trusts_only_the_centre_ca(tls_server):
    context = _trusting_only_the_ca(tls_server)
    for host in ("127.0.0.1", "localhost"):
        with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as raw, \
                context.wrap_socket(raw, server_hostname=host) as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
            tls.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}:{tls_server.port}\r\nConnection: close\r\n\r\n"
                        .encode())
            answer = b""
            while chunk := tls.recv(4096):
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200")
    login = requests.get(tls_server.url + "/login", verify=tls_server.verify, timeout=10)
    assert login.status_code == 200
    assert "secure" in login.headers["Set-Cookie"].lower()  # tls = true made the session cookie Secure
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_server.url + "/healthz", timeout=10)  # the system's roots do not know this CA


def test_display_gets_ticket_called_over_wss(tls_server):
    import socketio

    officer = create_token(tls_server.data_dir, "officer", counter=1)
    kiosk = create_token(tls_server.data_dir, "kiosk")
    http = requests.Session()
    http.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override the session's verify
    http.verify = tls_server.verify
    client = socketio.Client(reconnection=False, http_session=http)
    called = []
    client.on("ticket_called", called.append, namespace="/display")
    client.connect(tls_server.url, namespaces=["/display"], transports=["websocket"], wait_timeout=10)
    try:
        assert client.transport() == "websocket"
        r = http.post(tls_server.url + "/api/v1/tickets", json={"service": "HT"},
                      headers={"Authorization": f"Bearer {kiosk}"}, timeout=10)
        assert r.status_code == 201, r.text
        r = http.post(tls_server.url + "/api/v1/counters/1/next", json={"finish_current": True},
                      headers={"Authorization": f"Bearer {officer}"}, timeout=10)
        assert r.status_code == 200 and r.json()["ticket"], r.text
        deadline = time.monotonic() + 10
        while not called and time.monotonic() < deadline:
            time.sleep(0.05)
        assert called and called[0]["counter"] in (1, "1") and called[0]["number"] == r.json()["ticket"]["number"]
    finally:
        client.disconnect()


def test_plain_http_on_the_tls_port_is_redirected_and_the_server_goes_on(tls_server):
    plain = tls_server.url.replace("https://", "http://")
    r = requests.get(plain + "/display?x=1", allow_redirects=False, timeout=10)
    assert r.status_code == 301 and r.headers["Location"] == f"{tls_server.url}/display?x=1"
    assert "HTTPS" in r.text
    r = requests.post(plain + "/api/v1/tickets", json={"service": "HT"}, allow_redirects=False, timeout=10)
    assert r.status_code == 400  # a write is never redirected into a GET
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as s:
        s.sendall(b"\x00\x01garbage\r\n\r\n")
        s.settimeout(10)
        assert s.recv(100).startswith(b"HTTP/1.1 400")
    assert requests.get(tls_server.url + "/healthz", verify=tls_server.verify, timeout=10).ok


def _closed_by_server(s: socket.socket, within: float) -> bool:
    s.settimeout(within)
    try:
        return s.recv(1024) == b""
    except TimeoutError:
        return False
    except OSError:
        return True  # reset: closed as well


def test_a_handshake_that_never_completes_is_dropped_after_the_header_deadline(tls_server):
    started = time.monotonic()
    silent = [socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) for _ in range(50)]
    half = [socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) for _ in range(20)]
    for s in half:
        s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # the start of a ClientHello, no more
    # and connections that finish the handshake, then never send a request
    context = _trusting_only_the_ca(tls_server)
    mute = [context.wrap_socket(socket.create_connection(("127.0.0.1", tls_server.port), timeout=10),
                                server_hostname="127.0.0.1") for _ in range(10)]
    assert requests.get(tls_server.url + "/healthz", verify=tls_server.verify, timeout=5).ok  # others go on
    try:
        assert all(_closed_by_server(s, 8) for s in silent + half + mute)
        assert time.monotonic() - started >= 1.5  # held until the deadline (2 s here), not refused at once
    finally:
        for s in silent + half + mute:
            s.close()
    assert requests.get(tls_server.url + "/healthz", verify=tls_server.verify, timeout=5).ok


@pytest.mark.parametrize("head,expected", [
    (b"GET /kiosk HTTP/1.1\r\nHost: 192.168.1.10:8443", "Location: https://192.168.1.10:8443/kiosk"),
    (b"HEAD / HTTP/1.1\r\nhost: motcua.lan", "Location: https://motcua.lan:8443/"),
    (b"GET / HTTP/1.1\r\nHost: [::1]:8443", "Location: https://[::1]:8443/"),
    (b"GET / HTTP/1.1\r\nHost: evil.example/x?", "400 Bad Request"),
    (b"GET http://other/ HTTP/1.1\r\nHost: a", "400 Bad Request"),
    (b"GET / HTTP/1.1", "400 Bad Request"),
])
def test_plain_http_answer_redirects_only_to_the_same_host(head, expected):
    from kiosk.runtime.serving_tls import plain_http_answer

    answer = plain_http_answer(head, 8443).decode()
    assert expected in answer and answer.count("\r\n\r\n") == 1
    assert "Hệ thống" in answer  # Vietnamese first

"""HTTPS for the gevent server: the TLS handshake under the header deadline, plain HTTP answered.

gevent's own TLS server does the handshake as soon as a connection is accepted, with no time limit:
a client that opens TCP and sends nothing would hold its greenlet and socket for ever, and a failed
handshake is printed as a traceback. Here the handshake must finish within ``header_timeout_s`` (then
the request head has its own deadline, kiosk.runtime.serving), and a failure closes the connection
quietly.

A browser that still has ``http://PC:PORT/...`` (a hall TV's bookmark) sends plain HTTP to the TLS
port: the first byte tells (a TLS handshake starts with 0x16), and a GET is redirected to the same
address over https instead of failing with an unreadable error.
"""
from __future__ import annotations

import contextlib
import logging
import re
import socket
from typing import Any

log = logging.getLogger(__name__)

_TLS_HANDSHAKE = 0x16  # the content type of a TLS record that opens a handshake
_MAX_HEAD = 8192
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$")
_TARGET = re.compile(r"^/[\x21-\x7e]*$")


class _Deadline(Exception):
    """The handshake (or the plain request head) did not come in time."""


def plain_http_answer(head: bytes, port: int) -> bytes:
    """The answer to a plain HTTP request on the TLS port: a redirect to https for GET and HEAD with a
    usable Host, else 400; both say, in Vietnamese first, that the service speaks HTTPS."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    host = next((line.split(":", 1)[1].strip() for line in lines[1:] if line.lower().startswith("host:")), "")
    found = _HOST.match(host)
    if len(parts) == 3 and parts[0] in ("GET", "HEAD") and _TARGET.match(parts[1]) and found:
        netloc = found.group(1) + ("" if port == 443 else f":{port}")
        location = f"https://{netloc}{parts[1]}"
        body = f"Hệ thống dùng kết nối bảo mật: {location}\nThis service uses HTTPS: {location}\n".encode()
        status, extra = "301 Moved Permanently", f"Location: {location}\r\n"
    else:
        body = ("Hệ thống chỉ nhận kết nối bảo mật (https://).\n"
                "This port speaks HTTPS only: use https://.\n").encode()
        status, extra = "400 Bad Request", ""
    return (f"HTTP/1.1 {status}\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode("latin-1") + body


def tls_server_class(header_timeout: float) -> type:
    """gevent's WSGIServer whose TLS connections must finish their handshake within ``header_timeout``."""
    import gevent
    from gevent.pywsgi import WSGIServer

    class TlsWSGIServer(WSGIServer):
        def wrap_socket_and_handle(self, client_socket: Any, address: Any) -> Any:  # type: ignore[override]
            tls = self._handshake(client_socket, address)
            if tls is None:
                return None
            try:
                return self.handle(tls, address)
            finally:
                tls.close()

        def _handshake(self, sock: Any, address: Any) -> Any:
            """The TLS socket once its handshake is done, or None (the connection is closed)."""
            tls = None
            try:
                with gevent.Timeout(header_timeout, _Deadline()):
                    first = sock.recv(1, socket.MSG_PEEK)
                    if first and first[0] != _TLS_HANDSHAKE:
                        self._answer_plain(sock)
                    elif first:
                        tls = self.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
                        tls.do_handshake()
                        return tls
            except (_Deadline, OSError) as exc:  # ssl.SSLError is an OSError
                log.debug("TLS connection from %s dropped: %s", address[0] if address else "?",
                          type(exc).__name__ if isinstance(exc, _Deadline) else exc)
            for s in (tls, sock):
                if s is not None:
                    with contextlib.suppress(OSError):
                        s.close()
            return None

        def _answer_plain(self, sock: Any) -> None:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < _MAX_HEAD:
                chunk = sock.recv(_MAX_HEAD - len(head))
                if not chunk:
                    return
                head += chunk
            sock.sendall(plain_http_answer(head.split(b"\r\n\r\n", 1)[0], self.server_port))
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)

    return TlsWSGIServer

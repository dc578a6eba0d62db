"""Serving: one process, gevent's WSGI server, Flask-SocketIO in gevent mode (simple-websocket).

Why gevent: a centre keeps thousands of connections open (hall displays, kiosks, consoles, phones on the
tracking page). A greenlet per connection costs a few kilobytes where an OS thread costs a stack and a
scheduler slot, and a connection that never speaks costs nothing but its socket. What would stall an event
loop is kept out of this process or off the loop: face detection/encoding and the QR ladder run in vision
worker processes, password hashing and ticket rendering go to gevent's thread pool
(kiosk.runtime.blocking), SQLite statements are short. One process because the queue engine, the event
bus and the Socket.IO rooms live in memory; a single centre needs no more (see bench/bench_connections.py).

With an ``ssl_context`` it serves HTTPS (kiosk.runtime.serving_tls): the TLS handshake has the same
deadline as a request head, and plain HTTP on that port is redirected to https.

Every connection has a deadline for its request line and headers (``header_timeout_s``) and an idle
timeout on its socket after that (``idle_timeout_s``: request bodies, and WebSockets, which Engine.IO pings
every 25 s), so a silent or slow client is dropped instead of holding a slot. Connections beyond
``max_connections`` wait in the listen backlog.

Stop (SIGTERM from systemd, or SIGINT): stop listening, let requests in flight finish (up to 1 s), stop
every background part through the supervisor (announcements, prints and pages accepted are finished),
close the remaining WebSockets and exit 0, all within 5 s.
"""
from __future__ import annotations

import contextlib
import json
import logging
import resource
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    header_timeout_s: float = 10.0
    idle_timeout_s: float = 60.0
    max_connections: int = 5000
    backlog: int = 2048
    stop_timeout_s: float = 4.5
    ssl_context: Any = None  # an ssl.SSLContext (gevent's) to serve HTTPS; kiosk.tls.context builds it

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"


class _HeaderDeadline(Exception):
    """The client did not send its request line and headers in time."""


def raise_open_files_limit(wanted: int) -> int:
    """Raise the soft limit of open files towards ``wanted`` (up to the hard limit); returns the new one.

    Each connection is a file descriptor; systemd's default soft limit (1,024) is below a centre's load.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


_STOPPING_BODY = json.dumps({"error": {
    "code": "stopping", "message": "the service is stopping; retry in a moment",
    "message_vi": "Hệ thống đang tạm dừng, Quý khách vui lòng thử lại sau giây lát."}}, ensure_ascii=False).encode()


def pin_malloc_mmap_threshold(size: int = 128 * 1024) -> bool:
    """Keep allocations above ``size`` in their own mmap, returned to the system when freed.

    glibc raises its mmap threshold each time a large block is freed (up to 32 MiB), after which the
    hall voice's WAV clips (~0.5 MiB each), camera previews and ticket images come from the heap and
    fragment it: the server's RSS then grows for days. Setting the threshold explicitly turns that
    adjustment off. Returns False where the C library is not glibc.
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(-3, size))  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        return False


class InFlight:
    """WSGI middleware counting plain HTTP requests in progress (not WebSocket upgrades, which last).

    Once ``closing`` is set, a request arriving on a kept-alive connection gets 503 and the connection is
    closed: nothing new is accepted while the parts finish what was (a retry with the kiosk's
    Idempotency-Key after the restart is safe)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.count = 0
        self.closing = False

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.closing:
            start_response("503 Service Unavailable", [("Content-Type", "application/json"),
                                                      ("Connection", "close"), ("Retry-After", "5")])
            return [_STOPPING_BODY]
        if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            return self.app(environ, start_response)
        self.count += 1
        try:
            # Responses here are small and built at once; counting until the iterable is returned is enough.
            return self.app(environ, start_response)
        finally:
            self.count -= 1

    def wait_idle(self, timeout: float) -> bool:
        import gevent

        end = time.monotonic() + timeout
        while self.count and time.monotonic() < end:
            gevent.sleep(0.02)
        return self.count == 0


def _handler_class(header_timeout: float, idle_timeout: float) -> type:
    import gevent
    from gevent.pywsgi import WSGIHandler

    class DeadlineHandler(WSGIHandler):
        """gevent's handler with a deadline on the request head and an idle timeout on the socket."""

        _deadline: Any = None

        def handle(self):  # type: ignore[override]
            # Small answers go out at once: Nagle's algorithm would hold the body of a response behind
            # its headers until the client's delayed ACK (up to 40 ms a request).
            with contextlib.suppress(OSError):
                self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return super().handle()

        def handle_one_request(self):  # type: ignore[override]
            self._deadline = gevent.Timeout(header_timeout, _HeaderDeadline())
            self._deadline.start()
            try:
                return super().handle_one_request()
            except _HeaderDeadline:
                return None  # close quietly: nothing was asked
            finally:
                self._deadline.close()

        def run_application(self):  # type: ignore[override]
            self._deadline.close()  # the head is in; the application has its own time
            if self.socket is not None:
                self.socket.settimeout(idle_timeout)
            upgrade = self.environ.get("HTTP_UPGRADE", "").lower() == "websocket"
            try:
                return super().run_application()
            finally:
                if upgrade and self.socket is not None:
                    # The WebSocket ran on a duplicate of this socket and is over: close the connection
                    # now (the server closes first, RFC 6455), instead of waiting for the client to.
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.socket.shutdown(socket.SHUT_RDWR)

        def _handle_client_error(self, ex):  # type: ignore[override]
            if isinstance(ex, _HeaderDeadline | TimeoutError):
                return None
            return super()._handle_client_error(ex)

        def log_request(self) -> None:  # access logs stay off: URLs can carry tracking signatures
            return None

    return DeadlineHandler


def serve(build: Callable[[], Any], options: ServeOptions,
          on_ready: Callable[[], object] | None = None) -> int:
    """Build the app (after gevent's monkey-patching) and serve until SIGTERM/SIGINT; returns 0
    (1 when the address cannot be listened on).

    ``build`` returns the Flask app; its ``extensions["kiosk"]`` is the KioskServices whose supervisor
    is stopped on the way out.
    """
    import gevent
    from gevent.event import Event
    from gevent.pool import Pool
    from gevent.pywsgi import WSGIServer

    raise_open_files_limit(options.max_connections + 1024)
    pin_malloc_mmap_threshold()
    app = build()
    services = app.extensions["kiosk"]
    counted = InFlight(app)
    server_class, tls = WSGIServer, {}
    if options.ssl_context is not None:
        from kiosk.runtime.serving_tls import tls_server_class

        server_class, tls = tls_server_class(options.header_timeout_s), {"ssl_context": options.ssl_context}
    server = server_class(
        (options.host, options.port), counted, backlog=options.backlog, spawn=Pool(options.max_connections),
        handler_class=_handler_class(options.header_timeout_s, options.idle_timeout_s),
        log=None, error_log=logging.getLogger("kiosk.http"), **tls,
    )
    stopping = Event()

    def ask_stop(signum: int) -> None:
        if not stopping.is_set():
            log.info("signal %d: stopping", signum)
            stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, ask_stop, signum)
    try:
        server.start()
    except OSError as exc:  # the port is taken, or the address is not this machine's
        log.error("cannot listen on %s:%d: %s", options.host, options.port, exc.strerror or exc)
        services.close(timeout=2.0)
        return 1
    log.info("serving %s on %s:%d", options.scheme, options.host, options.port)
    if on_ready is not None:
        on_ready()
    stopping.wait()
    started = time.monotonic()
    server.close()  # no new connections,
    counted.closing = True  # and no new requests on kept-alive ones
    counted.wait_idle(1.0)
    services.close(timeout=max(0.5, options.stop_timeout_s - (time.monotonic() - started) - 0.3))
    server.stop(timeout=0.1)  # what is left are WebSockets and long-polls: close them
    log.info("stopped in %.1f s", time.monotonic() - started)
    return 0

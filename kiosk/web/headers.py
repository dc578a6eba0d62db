"""Security headers on every answer: the pages load script only from this server (no inline script,
nothing from elsewhere), are never framed, and say nothing of their address to other sites.

connect-src names ws:/wss: of this host: Socket.IO's WebSocket is same-origin, but older Chromium builds
did not match ``'self'`` against ws:. img-src and media-src allow ``blob:``: the kiosk shows its camera
preview and the hall plays its voice from in-page blobs. A page that must be framed would set its own
``frame-ancestors``; none does today.
"""
from __future__ import annotations

from flask import Flask, Response, request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; font-src 'self'; connect-src 'self' ws://{host} wss://{host}; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def install_headers(app: Flask) -> None:
    """Add the headers to every response of ``app`` (an answer that set one keeps its own)."""

    @app.after_request
    def _headers(response: Response) -> Response:
        host = request.host  # the Host the browser used: what its WebSocket will connect to
        response.headers.setdefault("Content-Security-Policy", CSP.format(host=host))
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        if request.path == "/device":  # the device token is in this URL: no copy in a cache, no referrer
            response.headers["Cache-Control"] = "no-store"
            response.headers["Referrer-Policy"] = "no-referrer"
        return response

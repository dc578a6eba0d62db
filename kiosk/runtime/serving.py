"""Serving: gunicorn with one process and many threads, Flask-SocketIO in threading mode.

Why: a real HTTP server (not Werkzeug's development server) that handles WebSocket upgrades with
simple-websocket in plain OS threads. Threads, not gevent/eventlet, because the camera pipeline
(dlib), the serial drivers and SQLite all block in C code, which an event loop would stall on; one
process because the queue engine, the event bus and the Socket.IO rooms live in memory.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)


class _Gunicorn(BaseApplication):
    def __init__(self, factory: Callable[[], Flask], options: dict[str, Any]) -> None:
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        # Built in the worker, after the fork: SQLite connections and threads must not cross a fork.
        return self.factory()


def serve(factory: Callable[[], Flask], host: str, port: int, threads: int = 64) -> None:
    """Run until SIGTERM/SIGINT."""
    options = {
        "bind": f"{host}:{port}",
        "workers": 1,  # the queue state, event bus and Socket.IO rooms are per process
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 0,  # long-polling and WebSocket connections stay open
        "graceful_timeout": 10,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "preload_app": False,
    }
    _Gunicorn(factory, options).run()

"""Run a call that blocks in C code off the event loop when serving under gevent.

Under ``kiosk serve`` every connection is a greenlet of one OS thread: a 100 ms password hash (scrypt,
which releases the GIL) would stop every hall screen for 100 ms. ``run_blocking`` hands such a call to
gevent's pool of real threads and lets the other greenlets run meanwhile; without gevent (tests, the CLI)
it simply calls.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _under_gevent() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


def run_blocking(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, on a real thread when the server runs on gevent. ``fn`` must not touch the
    store or Socket.IO (they belong to the event loop's thread)."""
    if not _under_gevent():
        return fn(*args)
    import gevent

    return gevent.get_hub().threadpool.apply(fn, args)

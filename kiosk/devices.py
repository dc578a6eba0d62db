"""Wiring of the call fan-out (voice, pagers, printer, LED boards) into the app."""
from __future__ import annotations


def install(app, kiosk) -> None:
    """Nothing yet: devices are wired here."""

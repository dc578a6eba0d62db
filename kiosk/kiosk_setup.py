"""Wiring of the touch-free kiosk (camera, CCCD, faces, consent) into the app."""
from __future__ import annotations


def install(app, kiosk) -> None:
    """Nothing yet: the touch-free kiosk is wired here."""

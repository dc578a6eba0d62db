"""HTTPS on the centre's LAN: a centre-local certificate authority, the server certificate it signs,
and the TLS context the server serves with.

Kiosk terminals are browsers on the LAN, and a browser lets a page use the webcam (getUserMedia) only in
a secure context: https, or the loopback address. A public certificate cannot be had for a private
address without internet, so the centre makes its own CA once (``kiosk tls init``), installs its
certificate on every terminal, and the service presents a server certificate signed by it.

Files, under ``DATA_DIR/tls/``: ``ca.crt``, ``ca.key`` (mode 600), ``server.crt`` (leaf then CA) and
``server.key`` (mode 600). ``kiosk.tls.issue`` makes them, ``kiosk.tls.context`` loads and checks them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["TlsFiles"]


@dataclass(frozen=True)
class TlsFiles:
    """Where the centre's certificates and keys are kept in a data dir."""

    folder: Path

    @classmethod
    def of(cls, data_dir: Path | str) -> TlsFiles:
        return cls(Path(data_dir) / "tls")

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.folder / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.folder / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.folder / "server.key"

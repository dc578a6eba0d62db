"""Encryption of citizens' data at rest, with the key in a file outside the database.

The key file holds 64 random bytes: 32 for AES-256-GCM (records, face templates) and 32 for an
HMAC-SHA256 that turns an ID number into a pseudonymous lookup key (so the database can find a
citizen, and count their tickets, without holding the number in clear). Losing the key file makes
the encrypted data unreadable by design; back it up apart from the database.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 64
NONCE_BYTES = 12


class CryptoError(RuntimeError):
    """The key file is missing, malformed, or a ciphertext does not open with it."""


def load_or_create_key(path: Path) -> bytes:
    """Read the key file, creating it (mode 600) on first use."""
    if path.exists():
        data = path.read_bytes()
        if len(data) != KEY_BYTES:
            raise CryptoError(f"key file {path} is damaged (expected {KEY_BYTES} bytes)")
        return data
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
        fh.flush()
        os.fsync(fh.fileno())
    return key


class Vault:
    """Seals and opens personal data; `purpose` binds a ciphertext to what it is (no swapping)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise CryptoError("wrong key length")
        self._aead = AESGCM(key[:32])
        self._mac_key = key[32:]

    def seal(self, plaintext: bytes, purpose: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, purpose.encode())

    def open(self, sealed: bytes, purpose: str) -> bytes:
        if len(sealed) <= NONCE_BYTES:
            raise CryptoError("sealed data too short")
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], purpose.encode())
        except InvalidTag:
            raise CryptoError("sealed data does not open with this key") from None

    def lookup(self, id_number: str) -> str:
        """A stable pseudonym for an ID number (HMAC-SHA256, hex)."""
        return hmac.new(self._mac_key, id_number.encode(), hashlib.sha256).hexdigest()

    def mac(self, purpose: str, *parts: str) -> str:
        """A keyed hash (HMAC-SHA256, hex) of ``parts`` for ``purpose``: what may be compared but never read
        back (an ID number bound to a name, the last digits of an ID number). Each part is length-prefixed
        and the purpose leads, so no two inputs meet and none meets ``lookup`` (a bare ID number)."""
        message = "\x00".join([purpose, *(f"{len(p)}:{p}" for p in parts)])
        return hmac.new(self._mac_key, message.encode(), hashlib.sha256).hexdigest()

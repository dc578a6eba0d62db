"""The server's TLS context, from the certificate and key files, checked before anything starts.

Each way the files can be wrong (missing, unreadable, not PEM, an encrypted key, a key of another
certificate) is one line naming the file and what to do, so the operator never reads a traceback from
OpenSSL. An expired certificate is a warning, not a stop: the counters' consoles can still be used after
clicking through, and the operator sees the warning in the journal.
"""
from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

_INIT = "run `kiosk tls init --name NAME --ip THIS_PC_IP` (docs/deployment.md)"
_SOON = timedelta(days=30)


class TlsError(Exception):
    """The certificate or key cannot be served; the message is one line naming the file."""


def _read(path: Path, what: str, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise TlsError(f"[kiosk] {setting}: the {what} {path} does not exist; {_INIT}") from None
    except IsADirectoryError:
        raise TlsError(f"[kiosk] {setting}: the {what} {path} is a folder, not a file") from None
    except PermissionError:
        raise TlsError(f"[kiosk] {setting}: the {what} {path} cannot be read by this user (permission "
                       "denied); it must belong to the service's user, mode 600 for a key") from None
    except OSError as exc:
        raise TlsError(f"[kiosk] {setting}: the {what} {path} cannot be read: {exc.strerror or exc}") from None


def check_files(cert_path: Path, key_path: Path, now: datetime | None = None) -> list[str]:
    """Check that the certificate chain and the key can be served together; returns warnings
    (expiry). Raises TlsError."""
    certs_pem = _read(cert_path, "server certificate", "tls_cert")
    key_pem = _read(key_path, "server key", "tls_key")
    try:
        chain = x509.load_pem_x509_certificates(certs_pem)
    except ValueError:
        raise TlsError(f"[kiosk] tls_cert: {cert_path} is not a PEM certificate; {_INIT}") from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except TypeError:
        raise TlsError(f"[kiosk] tls_key: {key_path} is encrypted with a passphrase; the service needs it "
                       "unencrypted (mode 600)") from None
    except (ValueError, UnsupportedAlgorithm):
        raise TlsError(f"[kiosk] tls_key: {key_path} is not a PEM private key; {_INIT}") from None
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if key.public_key().public_bytes(*spki) != chain[0].public_key().public_bytes(*spki):
        raise TlsError(f"[kiosk] tls_key: {key_path} is not the key of the certificate {cert_path}; "
                       f"{_INIT} to issue both again")
    now = now or datetime.now(UTC)
    leaf = chain[0]
    warnings = []
    if leaf.not_valid_after_utc <= now:
        warnings.append(f"the server certificate {cert_path} expired on {leaf.not_valid_after_utc:%Y-%m-%d}: "
                        f"browsers refuse it; {_INIT} again")
    elif leaf.not_valid_before_utc > now:
        warnings.append(f"the server certificate {cert_path} is valid only from "
                        f"{leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC: check this PC's clock")
    elif leaf.not_valid_after_utc - now < _SOON:
        warnings.append(f"the server certificate {cert_path} expires on {leaf.not_valid_after_utc:%Y-%m-%d}; "
                        f"{_INIT} again before then (terminals keep the CA)")
    return warnings


def server_context(cert_path: Path, key_path: Path,
                   context_class: type[ssl.SSLContext] | None = None) -> tuple[ssl.SSLContext, list[str]]:
    """A server context (TLS 1.2 or later, HTTP/1.1) with the chain and key, and the warnings of
    ``check_files``. Raises TlsError.

    ``context_class`` defaults to ``ssl.SSLContext`` as it is at call time: gevent's own once the
    process is monkey-patched, which its server needs."""
    warnings = check_files(cert_path, key_path)
    context = (context_class or ssl.SSLContext)(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["http/1.1"])
    try:
        context.load_cert_chain(str(cert_path), str(key_path))
    except (ssl.SSLError, OSError) as exc:
        raise TlsError(f"[kiosk] tls_cert: {cert_path} with {key_path} cannot be served: {exc}; {_INIT}") from None
    return context, warnings

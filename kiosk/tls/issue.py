"""Making the centre's CA and the server certificate it signs (``kiosk tls init``).

The CA is made once and kept: every terminal trusts its certificate, so re-running re-issues only the
server certificate (a new address, a renewal) and the terminals keep working. ``force`` makes a new CA
too, after which every terminal must install the new ``ca.crt``.

Keys are EC P-256: small, fast, and accepted by Chromium, Windows and Android alike. The CA may sign
server certificates only (pathlen 0) and lives 10 years; a server certificate lives at most 825 days,
the longest that Apple's and Chromium's rules for locally trusted roots accept.

Every file is written to a temporary file in the same folder, flushed and renamed over the old one, so a
crash leaves either the old file or the new one, never half a key. Keys are written before their
certificates: a key without its certificate (a crash in between) is simply made again.
"""
from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kiosk.tls import TlsFiles

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

CA_DAYS = 3650
MAX_SERVER_DAYS = 825
MAX_NAME = 50  # the CA's common name "<NAME> — CA nội bộ" must fit X.509's 64 characters
_LOOPBACK_HOSTS = ("localhost",)
_LOOPBACK_IPS = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Terminals' clocks may run a little behind the PC's: a certificate valid from "now" would be refused.
_BACKDATE = timedelta(hours=1)


class TlsInputError(ValueError):
    """What was asked for is wrong (a bad address, an empty name); nothing was written."""


class TlsStateError(RuntimeError):
    """The files already in the tls folder cannot be used as they are; nothing was written."""


@dataclass(frozen=True)
class ServerRequest:
    """A checked request: the centre's name, the addresses and host names terminals will use."""

    name: str
    ips: tuple[IPAddress, ...]
    dns: tuple[str, ...]
    days: int = MAX_SERVER_DAYS

    @classmethod
    def parse(cls, name: str, ips: list[str] | tuple[str, ...], dns: list[str] | tuple[str, ...] = (),
              days: int = MAX_SERVER_DAYS) -> ServerRequest:
        """Check what the operator typed; raises TlsInputError with one line naming the option."""
        name = unicodedata.normalize("NFC", (name or "").strip())
        if not name:
            raise TlsInputError("--name must not be empty (the centre's name, shown on the CA certificate)")
        if len(name) > MAX_NAME:
            raise TlsInputError(f"--name is {len(name)} characters long; at most {MAX_NAME} fit a certificate")
        if any(unicodedata.category(ch).startswith("C") for ch in name):
            raise TlsInputError("--name must not contain control characters")
        if not ips:
            raise TlsInputError("give at least one --ip: this PC's address on the centre's LAN (e.g. 192.168.1.10)")
        addresses = tuple(dict.fromkeys(_address(text) for text in ips))
        hosts = tuple(dict.fromkeys(_host(text) for text in dns))
        if not 1 <= days <= MAX_SERVER_DAYS:
            raise TlsInputError(f"--days must be between 1 and {MAX_SERVER_DAYS}, not {days}")
        return cls(name=name, ips=addresses, dns=hosts, days=days)

    @property
    def host_names(self) -> tuple[str, ...]:
        """Every DNS name of the certificate: the --dns names, the name's host form, then localhost."""
        derived = host_label(self.name)
        extra = (derived, f"{derived}.local") if derived else ()
        return tuple(dict.fromkeys((*self.dns, *extra, *_LOOPBACK_HOSTS)))

    @property
    def addresses(self) -> tuple[IPAddress, ...]:
        """Every IP address of the certificate: the --ip ones, then the loopback addresses."""
        return tuple(dict.fromkeys((*self.ips, *_LOOPBACK_IPS)))


def host_label(name: str) -> str:
    """The name as one DNS label: ``Một cửa Hà Đông`` -> ``mot-cua-ha-dong`` ("" when nothing is left)."""
    text = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:63].strip("-")


def _address(text: str) -> IPAddress:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        raise TlsInputError(f'--ip "{text}" is not an IP address (write this PC\'s LAN address, '
                            'e.g. 192.168.1.10)') from None
    if address.is_unspecified or address.is_multicast:
        raise TlsInputError(f"--ip {address} is not an address a terminal can reach; give this PC's LAN address")
    return address


def _host(text: str) -> str:
    host = text.strip().rstrip(".").lower()
    labels = host.split(".")
    if not host or len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise TlsInputError(f'--dns "{text}" is not a host name (letters, digits and hyphens, '
                            'dot-separated, e.g. motcua.local)')
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(host)
        raise TlsInputError(f"--dns {host} is an IP address: give it with --ip")
    return host


@dataclass(frozen=True)
class Issued:
    """What ``issue`` made: the files, whether the CA was kept, and what the server certificate covers."""

    files: TlsFiles
    ca_reused: bool
    ca_fingerprint: str  # SHA-256 of the CA certificate, colon-separated hex, as browsers show it
    ca_not_after: datetime
    server_not_after: datetime
    host_names: tuple[str, ...]
    addresses: tuple[IPAddress, ...]


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint as shown by browsers and certutil: ``AB:CD:…``."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def issue(files: TlsFiles, request: ServerRequest, force: bool = False, now: datetime | None = None) -> Issued:
    """Make (or keep) the CA and issue a new server certificate into ``files``.

    Raises TlsStateError, before writing anything, when the CA on disk cannot be used (its key is
    missing or does not match, or it has expired): ``force`` makes a new one.
    """
    now = now or datetime.now(UTC)
    existing = None if force else _existing_ca(files, now)
    if existing is None:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = _ca_certificate(request.name, ca_key, now)
    else:
        ca_key, ca_cert = existing
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _server_certificate(request, server_key, ca_key, ca_cert, now)

    files.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if existing is None:
        _write_atomic(files.ca_key, _key_pem(ca_key), 0o600)
        _write_atomic(files.ca_cert, _cert_pem(ca_cert), 0o644)
    _write_atomic(files.server_key, _key_pem(server_key), 0o600)
    _write_atomic(files.server_cert, _cert_pem(server_cert) + _cert_pem(ca_cert), 0o644)
    return Issued(files=files, ca_reused=existing is not None, ca_fingerprint=fingerprint(ca_cert),
                  ca_not_after=ca_cert.not_valid_after_utc, server_not_after=server_cert.not_valid_after_utc,
                  host_names=request.host_names, addresses=request.addresses)


def _existing_ca(files: TlsFiles, now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None:
    """The CA already made, or None when there is none (a lone ca.key from an interrupted run counts as none)."""
    if not files.ca_cert.exists():
        return None
    again = "run `kiosk tls init --force` to make a new CA (every terminal must then install the new ca.crt)"
    try:
        cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    except ValueError:
        raise TlsStateError(f"{files.ca_cert} is not a PEM certificate; {again}") from None
    if not files.ca_key.exists():
        raise TlsStateError(f"{files.ca_key} is missing (put the CA's key back, if it was moved away, or {again})")
    try:
        key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    except (ValueError, TypeError):
        raise TlsStateError(f"{files.ca_key} is not an unencrypted PEM private key; {again}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or _public(key) != _public_of(cert):
        raise TlsStateError(f"{files.ca_key} does not belong to {files.ca_cert}; {again}")
    if cert.not_valid_after_utc <= now + timedelta(days=1):
        raise TlsStateError(f"the CA {files.ca_cert} expired on {cert.not_valid_after_utc:%Y-%m-%d}; {again}")
    return key, cert


def _ca_certificate(name: str, key: ec.EllipticCurvePrivateKey, now: datetime) -> x509.Certificate:
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{name} — CA nội bộ"),
    ])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE).not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )


def _server_certificate(request: ServerRequest, key: ec.EllipticCurvePrivateKey, ca_key: ec.EllipticCurvePrivateKey,
                        ca_cert: x509.Certificate, now: datetime) -> x509.Certificate:
    hosts, addresses = request.host_names, request.addresses
    common = hosts[0] if request.dns or host_label(request.name) else str(addresses[0])
    not_after = min(now + timedelta(days=request.days), ca_cert.not_valid_after_utc)
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, request.name),
                                 x509.NameAttribute(NameOID.COMMON_NAME, common)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE).not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(h) for h in hosts] + [x509.IPAddress(a) for a in addresses]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _public(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _public_of(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, with exactly ``mode``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)  # exactly this, whatever the umask or a leftover file's mode
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a power cut
    finally:
        os.close(dir_fd)

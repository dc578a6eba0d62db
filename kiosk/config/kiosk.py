"""The ``[kiosk]`` settings (also accepted at the top level of the config file).

    [kiosk]
    data_dir = "/var/lib/kiosk"       # kiosk.db, the session key, keys/; also --data-dir, KIOSK_DATA_DIR
    host = "127.0.0.1"
    port = 8080                       # 1..65535
    demo = false                      # a demo centre with simulated camera, pagers, printer, LED boards
    centre_name = "Trung tâm Phục vụ Hành chính công"
    timezone = "Asia/Ho_Chi_Minh"     # an IANA name; the local day on which ticket numbers restart
    priority_policy = "strict"        # "strict", "interleave" or "wait_balanced"
    interleave_every = 3              # 1..100: interleave: one priority ticket after this many normal
    priority_bonus_minutes = 15       # 0..1440: wait_balanced: priority counts as this much more waiting
    auto_no_show_after_recalls = 0    # 0..20: no-show automatically after N recalls (0 = never)
    no_show_min_s = 60                # 0..3600: an officer's no-show needs this long since the last call
    closing_time = "17:30"            # "HH:MM": the day ends, tickets not served expire, counters close
    default_service_minutes = 5.0     # (0, 480]: service time assumed before there is history
    display_public = true             # the hall display needs no login (ticket and counter numbers only)
    max_body_bytes = 65536            # 1024..16 MiB; larger request bodies get 413
    threads = 64                      # ignored (gevent serves connections without threads); still accepted
    header_timeout_s = 10.0           # 0.5..120: a client sends its request line and headers within this
    idle_timeout_s = 60.0             # 30..3600: a connection silent this long is closed
    max_connections = 5000            # 50..100000 served at once; more wait in the listen backlog
    log_level = "INFO"                # DEBUG, INFO, WARNING, ERROR or CRITICAL
    # secret_key = "…"                # 16+ characters; default: made once into DATA_DIR/secret_key
    session_cookie_secure = false     # true behind HTTPS; default true when tls = true
    tls = false                       # serve HTTPS with DATA_DIR/tls/server.crt and server.key (`kiosk tls init`)
    # tls_cert = "/etc/kiosk/server.crt"  # another certificate chain (PEM, leaf first)
    # tls_key = "/etc/kiosk/server.key"   # and its key (PEM, unencrypted, mode 600)
    key_file = "/etc/kiosk/citizen.key"   # citizens' data key; default DATA_DIR/keys/citizen.key
    retention_days = 365              # 1..3650: citizens not seen for this long are deleted
    consent_text_version = "2026-11-v1"
    reprint_window_s = 60             # 0..600: "In lại phiếu" at the kiosk this long after a ticket (0 = never)
    reprint_max_copies = 2            # 1..5 copies of one ticket (kiosk.terminals.reprint)
    voice_guidance = false            # the kiosk says each question aloud on its speaker, at every terminal
    voice_guidance_terminals = []     # or only at these terminals (kiosk token ids, `kiosk token list`)

Every setting can also come from an environment variable ``KIOSK_<NAME>`` (``KIOSK_PORT=9000``),
converted from text: ``KIOSK_PORT=abc`` is refused like ``port = "abc"`` in the file.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BeforeValidator, Field, field_validator, model_validator

from kiosk.config.base import PathText, Table, Text
from kiosk.queue.dayend import parse_closing_time
from kiosk.queue.errors import InvalidInput


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value  # log_level = "info" is INFO


class KioskSettings(Table):
    """The service itself: where it keeps its data and listens, the centre, the queue policy."""

    table = "kiosk"

    data_dir: PathText = Path("data")
    host: Text = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8080
    demo: bool = False
    centre_name: Text = "Trung tâm Phục vụ Hành chính công"
    timezone: Text = "Asia/Ho_Chi_Minh"
    priority_policy: Literal["strict", "interleave", "wait_balanced"] = "strict"
    interleave_every: Annotated[int, Field(ge=1, le=100)] = 3
    priority_bonus_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = 15
    auto_no_show_after_recalls: Annotated[int, Field(ge=0, le=20)] = 0
    no_show_min_s: Annotated[int, Field(ge=0, le=3600)] = 60  # seconds since the (last) call (engine.no_show)
    closing_time: Text = "17:30"  # the day ends then (kiosk/queue/dayend.py)
    default_service_minutes: Annotated[float, Field(gt=0, le=480)] = 5.0
    display_public: bool = True  # the hall display shows only ticket and counter numbers
    max_body_bytes: Annotated[int, Field(ge=1024, le=16 * 1024 * 1024)] = 64 * 1024
    threads: Annotated[int, Field(ge=1, le=1000)] = 64  # ignored since the move to gevent; accepted so old files load
    header_timeout_s: Annotated[float, Field(ge=0.5, le=120)] = 10.0  # request line and headers within this
    idle_timeout_s: Annotated[float, Field(ge=30, le=3600)] = 60.0  # a silent connection is closed (WS pinged every 25 s)
    max_connections: Annotated[int, Field(ge=50, le=100_000)] = 5000  # more wait in the listen backlog
    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], BeforeValidator(_upper)] = "INFO"
    secret_key: Annotated[str, Field(min_length=16)] | None = None  # default: made once into the data dir
    session_cookie_secure: bool = False  # set to True when tls is on and this is not given (see below)
    tls: bool = False  # HTTPS: kiosk terminals need a secure context for their webcam
    tls_cert: PathText | None = None  # default DATA_DIR/tls/server.crt
    tls_key: PathText | None = None  # default DATA_DIR/tls/server.key
    key_file: PathText | None = None  # citizens' data key; default DATA_DIR/keys/citizen.key (keep a backup apart)
    retention_days: Annotated[int, Field(ge=1, le=3650)] = 365  # citizens not seen for this long are deleted
    consent_text_version: Text = "2026-11-v1"
    reprint_window_s: Annotated[int, Field(ge=0, le=600)] = 60  # a copy of the last ticket, kiosk.terminals.reprint
    reprint_max_copies: Annotated[int, Field(ge=1, le=5)] = 2
    voice_guidance: bool = False  # spoken guidance at the kiosks (kiosk.display.guidance); off by default
    voice_guidance_terminals: list[Annotated[int, Field(ge=1)]] = []  # on at these terminals only

    def guidance_on(self, terminal_id: int | None) -> bool:
        """Whether the kiosk page of ``terminal_id`` speaks its questions."""
        return self.voice_guidance or (terminal_id is not None and terminal_id in self.voice_guidance_terminals)

    @model_validator(mode="before")
    @classmethod
    def _secure_cookie_over_tls(cls, values: object) -> object:
        # A session cookie sent over plain HTTP could be read on the LAN; over HTTPS it is marked Secure,
        # unless the operator said otherwise.
        if isinstance(values, Mapping) and values.get("tls") is True and "session_cookie_secure" not in values:
            return {**values, "session_cookie_secure": True}
        return values

    @property
    def url_scheme(self) -> str:
        """``https`` when the service serves TLS, else ``http``."""
        return "https" if self.tls else "http"

    @property
    def tls_cert_path(self) -> Path:
        """The server certificate chain served when ``tls`` is on."""
        return self.tls_cert or Path(self.data_dir) / "tls" / "server.crt"

    @property
    def tls_key_path(self) -> Path:
        """The server certificate's key."""
        return self.tls_key or Path(self.data_dir) / "tls" / "server.key"

    @field_validator("closing_time")
    @classmethod
    def _time_of_day(cls, text: str) -> str:
        try:
            return parse_closing_time(text)
        except InvalidInput:
            raise ValueError(f'"{text[:20]}" is not a time of day as "HH:MM" (00:00-23:59)') from None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            if available_timezones():  # without any zone database the clock falls back to UTC+7
                raise ValueError(f'unknown time zone "{name}" (an IANA name like "Asia/Ho_Chi_Minh")') from None
        return name

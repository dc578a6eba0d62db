"""Configuration: defaults, then a TOML file, then KIOSK_* environment variables, then arguments."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """The configuration is wrong; the message names the setting."""


@dataclass
class Config:
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 8080
    demo: bool = False
    centre_name: str = "Trung tâm Phục vụ Hành chính công"
    timezone: str = "Asia/Ho_Chi_Minh"
    priority_policy: str = "strict"
    interleave_every: int = 3
    priority_bonus_minutes: int = 15
    auto_no_show_after_recalls: int = 0
    default_service_minutes: float = 5.0
    display_public: bool = True  # the hall display shows only ticket and counter numbers
    max_body_bytes: int = 64 * 1024
    threads: int = 64  # no longer used (gevent serves each connection without a thread); accepted
    header_timeout_s: float = 10.0  # a client must send its request line and headers within this
    idle_timeout_s: float = 60.0  # a connection silent this long is closed (WebSockets are pinged every 25 s)
    max_connections: int = 5000  # more wait in the listen backlog
    log_level: str = "INFO"
    secret_key: str | None = None  # default: generated once into the data dir
    session_cookie_secure: bool = False
    key_file: Path | None = None  # citizens' data key; default DATA_DIR/keys/citizen.key (keep a backup apart)
    retention_days: int = 365  # citizens not seen for this long are deleted automatically
    consent_text_version: str = "2026-11-v1"
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None = None, env: dict[str, str] | None = None, **overrides: Any) -> Config:
        """Build a config from a TOML file (optional), the environment and explicit overrides."""
        values: dict[str, Any] = {}
        if path:
            try:
                with open(path, "rb") as fh:
                    raw = tomllib.load(fh)
            except FileNotFoundError:
                raise ConfigError(f"config file not found: {path}") from None
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
            # settings at top level or under [kiosk]; other tables ([vision], [devices] …) go to `extra`
            values.update({k: v for k, v in raw.items() if k != "kiosk"})
            values.update(raw.get("kiosk", {}))
        env = os.environ if env is None else env
        names = {f.name for f in fields(cls)}
        for key, value in env.items():
            if key.startswith("KIOSK_") and key[6:].lower() in names:
                values[key[6:].lower()] = value
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Config:
        cfg = cls()
        known = {f.name: f for f in fields(cls)}
        for key, value in values.items():
            if key not in known:
                cfg.extra[key] = value
                continue
            default = getattr(cfg, key)
            setattr(cfg, key, _coerce(key, value, default))
        cfg.validate()
        return cfg

    def validate(self) -> None:
        if not 1 <= self.port <= 65535:
            raise ConfigError("port must be between 1 and 65535")
        if self.priority_policy not in ("strict", "interleave", "wait_balanced"):
            raise ConfigError("priority_policy must be strict, interleave or wait_balanced")
        if not 1 <= self.threads <= 1000:
            raise ConfigError("threads must be between 1 and 1000")
        if not 1 <= self.retention_days <= 3650:
            raise ConfigError("retention_days must be between 1 and 3650")
        if not 0.5 <= self.header_timeout_s <= 120:
            raise ConfigError("header_timeout_s must be between 0.5 and 120 seconds")
        if not 30 <= self.idle_timeout_s <= 3600:
            raise ConfigError("idle_timeout_s must be between 30 and 3600 seconds")
        if not 50 <= self.max_connections <= 100_000:
            raise ConfigError("max_connections must be between 50 and 100000")
        if self.default_service_minutes <= 0:
            raise ConfigError("default_service_minutes must be positive")


def _coerce(key: str, value: Any, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if isinstance(default, Path) or key == "key_file":
            return Path(value)
        if isinstance(default, int):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if isinstance(default, float):
            return float(value)
        if default is None or isinstance(default, str):
            if not isinstance(value, (str, int, float)):
                raise ValueError(value)
            return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {key!r} has a bad value: {value!r}") from None
    return value

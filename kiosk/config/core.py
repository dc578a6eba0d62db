"""Configuration: defaults, then a TOML file, then KIOSK_* environment variables, then arguments.

``Config`` is the whole configuration, validated at once: the ``[kiosk]`` settings as attributes of
their own (``config.port``, ``config.data_dir`` …; kiosk/config/kiosk.py), and one typed model per
table (``config.vision``, ``config.devices``, ``config.voice``, ``config.pager``, ``config.printer``,
``config.led``, ``config.appointments``, ``config.alerts``, ``config.accounts``, ``config.backup``,
``config.city``; kiosk/config/vision.py, devices.py, appointments.py, alerts.py, accounts.py, backup.py, city.py).

Every problem raises ConfigError with one line per problem naming ``[table] key``, e.g.
``[appointments] slot_minute: unknown setting (known: …)``.
"""
from __future__ import annotations

import os
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, ValidationError, field_validator, model_validator

from kiosk.config.accounts import AccountSettings
from kiosk.config.alerts import AlertSettings
from kiosk.config.appointments import AppointmentSettings
from kiosk.config.backup import BackupSettings
from kiosk.config.base import ConfigError, config_error, toml_value
from kiosk.config.city import CitySettings
from kiosk.config.devices import DevicesSettings, LedSettings, PagerSettings, PrinterSettings, VoiceSettings
from kiosk.config.kiosk import KioskSettings
from kiosk.config.vision import SWITCH_ENV, VisionSettings, parse_switch

__all__ = ["Config", "ConfigError"]

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class Config(KioskSettings):
    """The service's configuration: the [kiosk] settings, and the other tables as typed attributes."""

    #: the tables besides [kiosk], by attribute name
    TABLES: ClassVar[dict[str, str]] = {"vision": "vision", "devices": "devices", "voice": "voice",
                                        "pager": "pager", "printer": "printer", "led": "led",
                                        "appointments": "appointments", "alerts": "alerts",
                                        "accounts": "accounts", "backup": "backup",
                                        "city": "city"}

    vision: VisionSettings = Field(default_factory=VisionSettings)
    devices: DevicesSettings = Field(default_factory=DevicesSettings)
    voice: VoiceSettings = Field(default_factory=VoiceSettings)
    pager: PagerSettings = Field(default_factory=PagerSettings)
    printer: PrinterSettings = Field(default_factory=PrinterSettings)
    led: LedSettings | None = None  # None: no LED boards (an empty [led] table too)
    appointments: AppointmentSettings = Field(default_factory=AppointmentSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    accounts: AccountSettings = Field(default_factory=AccountSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    city: CitySettings = Field(default_factory=CitySettings)

    @field_validator("led", mode="before")
    @classmethod
    def _empty_led(cls, value: Any) -> Any:
        return None if isinstance(value, Mapping) and not value else value

    @model_validator(mode="after")
    def _window_within_retention(self) -> Config:
        # a citizen out of the retention period is deleted: a longer gallery window would promise templates
        # that are gone
        if self.vision.gallery_window_days > self.retention_days:
            raise ValueError(f"retention_days: must be at least [vision] gallery_window_days "
                             f"({self.vision.gallery_window_days}), not {self.retention_days}")
        return self

    @property
    def kiosk(self) -> KioskSettings:
        """The [kiosk] settings on their own."""
        return KioskSettings(**{name: getattr(self, name) for name in KioskSettings.model_fields})

    @property
    def extra(self) -> dict[str, Any]:
        """The tables given (as plain values), for code written before the typed tables."""
        return {name: getattr(self, name).model_dump() for name in self.TABLES
                if name in self.model_fields_set and getattr(self, name) is not None}

    @classmethod
    def load(cls, path: str | Path | None = None, env: Mapping[str, str] | None = None, **overrides: Any) -> Config:
        """Build a config from a TOML file (optional), the environment (``KIOSK_<NAME>`` for the
        [kiosk] settings, KIOSK_VISION_ENABLED for [vision] enabled) and explicit overrides (None
        ones ignored). Raises ConfigError."""
        values: dict[str, Any] = read_toml(path) if path else {}
        env = os.environ if env is None else env
        sources: dict[tuple[str, str], str] = {}
        problems: list[str] = []
        for name in KioskSettings.model_fields:
            variable = f"KIOSK_{name.upper()}"
            text = env.get(variable, "")
            if not text.strip():
                continue  # unset, or set to nothing: as if unset
            try:
                values[name] = _from_env(name, text)
                sources[("kiosk", name)] = variable
            except ValueError as exc:
                problems.append(f"[kiosk] {name}: {exc} (from {variable})")
                values.pop(name, None)
        try:
            switch = parse_switch(env.get(SWITCH_ENV))
        except ValueError as exc:
            problems.append(f"[vision] enabled: {exc}")
        else:
            if switch is not None:
                vision = values.get("vision", {})
                values["vision"] = {**vision, "enabled": switch} if isinstance(vision, Mapping) else vision
                sources[("vision", "enabled")] = SWITCH_ENV
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            config = cls.from_dict(values, sources=sources)
        except ConfigError as exc:
            raise ConfigError(problems + exc.problems) from None
        if problems:
            raise ConfigError(problems)
        return config

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], sources: Mapping[tuple[str, str], str] | None = None) -> Config:
        """Validate settings given as in the file: [kiosk] settings at the top level (or under
        "kiosk"), tables as dicts (``{"data_dir": …, "vision": {"camera": 0}}``). Raises ConfigError."""
        values = dict(values)
        kiosk = values.pop("kiosk", {})
        if not isinstance(kiosk, Mapping):
            raise ConfigError(f"[kiosk] must be a table of settings, not {type(kiosk).__name__}")
        values.update(kiosk)
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise config_error(cls, exc, cls.TABLES, sources) from None


def read_toml(path: str | Path) -> dict[str, Any]:
    """The settings of a TOML file: top-level keys, then those of [kiosk] over them."""
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a folder") from None
    except PermissionError:
        raise ConfigError(f"config file {path} cannot be read (permission denied)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    kiosk = raw.pop("kiosk", {})
    if not isinstance(kiosk, dict):
        raise ConfigError(f"[kiosk] must be a table of settings, not {type(kiosk).__name__}")
    return {**raw, **kiosk}


def _from_env(name: str, text: str) -> Any:
    """An environment variable's text as the [kiosk] setting's type (validated afterwards)."""
    annotation = KioskSettings.model_fields[name].annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    text = text.strip()
    if annotation is bool:
        if text.lower() not in _TRUE + _FALSE:
            raise ValueError(f"must be true or false (1/0, yes/no, on/off), not {toml_value(text)}")
        return text.lower() in _TRUE
    if annotation is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"must be a whole number, not {toml_value(text)}") from None
    if annotation is float:
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"must be a number, not {toml_value(text)}") from None
    if typing.get_origin(annotation) is list:  # whole numbers separated by commas: "1,3"
        try:
            return [int(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise ValueError(f"must be whole numbers separated by commas, not {toml_value(text)}") from None
    return text

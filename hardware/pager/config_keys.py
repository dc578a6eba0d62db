"""Settings of the base station and the cards, as carried by CONFIG_GET / CONFIG_SET.

The JSON Schemas in firmware_config/schema/ describe the same settings; a test checks they agree.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from .errors import BadValueError, FrameError


@dataclass(frozen=True)
class ConfigKey:
    """One setting: wire code, name, struct format of its value, allowed range, default, scope."""

    code: int
    name: str
    fmt: str
    minimum: int
    maximum: int
    default: int
    scope: str  # "base" (node 0) or "card" (node = card id)


CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(0x01, "radio_channel", ">B", 0, 15, 3, "base"),
    ConfigKey(0x02, "tx_power_dbm", ">b", -10, 20, 10, "base"),
    ConfigKey(0x03, "site_id", ">H", 1, 0xFFFE, 1, "base"),
    ConfigKey(0x04, "card_id_min", ">H", 1, 0xFFFE, 1, "base"),
    ConfigKey(0x05, "card_id_max", ">H", 1, 0xFFFE, 64, "base"),
    ConfigKey(0x06, "pairing_window_s", ">H", 10, 600, 60, "base"),
    ConfigKey(0x07, "heartbeat_s", ">B", 1, 60, 1, "base"),
    ConfigKey(0x08, "page_radio_retries", ">B", 0, 10, 3, "base"),
    ConfigKey(0x20, "card_heartbeat_s", ">H", 5, 3600, 30, "card"),
    ConfigKey(0x21, "vibrate", ">B", 0, 1, 1, "card"),
    ConfigKey(0x22, "beep_volume", ">B", 0, 3, 2, "card"),
    ConfigKey(0x23, "display_timeout_s", ">B", 1, 255, 30, "card"),
)

KEYS_BY_CODE = {key.code: key for key in CONFIG_KEYS}
KEYS_BY_NAME = {key.name: key for key in CONFIG_KEYS}


def lookup_key(key: int | str) -> ConfigKey:
    """Return the ConfigKey for a wire code or a name; raises BadValueError (a FrameError) for an unknown
    key: on the wire that is NAK BAD_VALUE, like a value out of range (serial_protocol.md, Config keys)."""
    found = KEYS_BY_NAME.get(key) if isinstance(key, str) else KEYS_BY_CODE.get(key)
    if found is None:
        raise BadValueError(f"unknown config key {key!r}; known: {', '.join(KEYS_BY_NAME)}")
    return found


def check_value(key: ConfigKey, value: object) -> int:
    """Return ``value`` when it is a valid integer for ``key``; raises BadValueError otherwise."""
    if not isinstance(value, int) or isinstance(value, bool) or not key.minimum <= value <= key.maximum:
        raise BadValueError(f"{key.name} must be an integer in {key.minimum}..{key.maximum}, got {value!r}")
    return value


def pack_config_get(key: int | str) -> bytes:
    """Body of CONFIG_GET: the key code."""
    return bytes([lookup_key(key).code])


def pack_config_value(key: int | str, value: int) -> bytes:
    """Body of CONFIG_SET and of the ACK to CONFIG_GET: key code then the value in the key's format."""
    found = lookup_key(key)
    return bytes([found.code]) + struct.pack(found.fmt, check_value(found, value))


def unpack_config_get(body: bytes) -> ConfigKey:
    """Parse a CONFIG_GET body."""
    if len(body) != 1:
        raise FrameError(f"CONFIG_GET body must be 1 byte, got {len(body)}")
    return lookup_key(body[0])


def unpack_config_value(body: bytes) -> tuple[ConfigKey, int]:
    """Parse a CONFIG_SET body (or a CONFIG_GET ACK): returns the key and a range-checked value.

    A body of the wrong length raises FrameError (NAK BAD_LENGTH); an unknown key or a value out of range
    raises BadValueError (NAK BAD_VALUE)."""
    if not body:
        raise FrameError("config body is empty")
    key = lookup_key(body[0])
    size = struct.calcsize(key.fmt)
    if len(body) != 1 + size:
        raise FrameError(f"{key.name} value must be {size} bytes, got {len(body) - 1}")
    return key, check_value(key, struct.unpack(key.fmt, body[1:])[0])


def validate_profile(profile: dict, scope: str) -> dict[str, int]:
    """Check a settings profile (name -> value) of scope "base" or "card"; returns the values.

    Raises FrameError naming the first unknown key, wrong scope or out-of-range value.
    """
    if not isinstance(profile, dict):
        raise FrameError(f"a {scope} profile must be a JSON object, got {type(profile).__name__}")
    values: dict[str, int] = {}
    for name, value in profile.items():
        if name.startswith("$") or name == "description":
            continue
        key = lookup_key(name)
        if key.scope != scope:
            raise FrameError(f"{name} is a {key.scope} setting, not a {scope} setting")
        values[name] = check_value(key, value)
    if scope == "base" and values.get("card_id_min", 1) > values.get("card_id_max", 0xFFFE):
        raise FrameError("card_id_min must not be greater than card_id_max")
    return values

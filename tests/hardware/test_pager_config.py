"""Settings schema, the Python key table, the example profiles and the udev rule agree; port finding."""
from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from hardware.pager import config_keys
from hardware.pager.errors import FrameError
from hardware.pager.ports import find_port

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware_config"
SCHEMAS = {"base": FIRMWARE / "schema" / "base_station.schema.json", "card": FIRMWARE / "schema" / "card.schema.json"}


@pytest.mark.parametrize("scope", ["base", "card"])
def test_schema_matches_the_key_table(scope: str) -> None:
    schema = json.loads(SCHEMAS[scope].read_text(encoding="utf-8"))
    settings = {name: spec for name, spec in schema["properties"].items() if "x-config-key" in spec}
    keys = {key.name: key for key in config_keys.CONFIG_KEYS if key.scope == scope}
    assert settings.keys() == keys.keys()
    for name, spec in settings.items():
        key = keys[name]
        assert (spec["minimum"], spec["maximum"], spec["default"]) == (key.minimum, key.maximum, key.default)
        assert int(spec["x-config-key"], 16) == key.code
    assert schema["additionalProperties"] is False
    # $id names the file itself (v1.1: it said base.schema.json), so a validator resolving $schema finds it
    assert schema["$id"] == f"https://kiosk.local/firmware_config/schema/{SCHEMAS[scope].name}"


def test_spec_lists_every_config_key() -> None:
    spec = (FIRMWARE / "serial_protocol.md").read_text(encoding="utf-8")
    for key in config_keys.CONFIG_KEYS:
        row = f"| 0x{key.code:02X} | {key.name} | {key.scope} |"
        assert row in spec, row


@pytest.mark.parametrize("path", sorted((FIRMWARE / "profiles").glob("*.json")), ids=lambda path: path.name)
def test_example_profiles_are_valid(path: Path) -> None:
    profile = json.loads(path.read_text(encoding="utf-8"))
    scope = "base" if path.name.startswith("base") else "card"
    assert profile["$schema"].endswith(SCHEMAS[scope].name)
    values = config_keys.validate_profile(profile, scope)
    assert values, "a profile sets at least one value"
    for name, value in values.items():  # every value survives the wire encoding
        assert config_keys.unpack_config_value(config_keys.pack_config_value(name, value))[1] == value


@pytest.mark.parametrize("profile, scope, message", [
    ({"radio_channel": 16}, "base", "radio_channel"),
    ({"radio_channel": "3"}, "base", "integer"),
    ({"vibrate": 1}, "base", "card setting"),
    ({"colour": 1}, "card", "unknown config key"),
    ({"card_id_min": 50, "card_id_max": 10}, "base", "card_id_min"),
    ([], "base", "JSON object"),
])
def test_bad_profiles_are_refused_clearly(profile: object, scope: str, message: str) -> None:
    with pytest.raises(FrameError, match=message):
        config_keys.validate_profile(profile, scope)


def test_signed_value_round_trip() -> None:
    body = config_keys.pack_config_value("tx_power_dbm", -10)
    assert body == b"\x02\xf6"
    assert config_keys.unpack_config_value(body)[1] == -10
    with pytest.raises(FrameError, match="2 bytes"):
        config_keys.unpack_config_value(b"\x03\x01")


def test_udev_rule_names_the_default_symlink_and_usb_id() -> None:
    rule = (ROOT / "hardware" / "udev" / "99-kiosk-pager.rules").read_text()
    active = [line for line in rule.splitlines() if line and not line.startswith("#")]
    assert len(active) == 1
    assert 'SYMLINK+="kiosk-pager"' in active[0]
    assert 'ATTRS{idVendor}=="10c4"' in active[0] and 'ATTRS{idProduct}=="ea60"' in active[0]


def test_find_port_prefers_the_symlink(tmp_path: Path) -> None:
    link = tmp_path / "kiosk-pager"
    os.symlink("/dev/null", link)
    assert find_port([str(tmp_path / "missing"), str(link)], ports=[]) == str(link)


def test_find_port_by_usb_id_prefers_the_product_string() -> None:
    ports = [SimpleNamespace(device="/dev/ttyUSB0", vid=0x1A86, pid=0x7523, product="USB Serial"),
             SimpleNamespace(device="/dev/ttyUSB1", vid=0x10C4, pid=0xEA60, product="CP2102N USB to UART"),
             SimpleNamespace(device="/dev/ttyUSB2", vid=0x10C4, pid=0xEA60, product="Kiosk Pager Base v1"),
             SimpleNamespace(device="/dev/ttyS0", vid=None, pid=None, product=None)]
    assert find_port([], ports=ports) == "/dev/ttyUSB2"
    assert find_port([], ports=ports[:2]) == "/dev/ttyUSB1"
    assert find_port([], ports=[ports[0], ports[3]]) is None


def test_pager_labels() -> None:
    from hardware.pager.labels import format_pager_label, parse_pager_label

    assert parse_pager_label(format_pager_label(12, 105)) == 105
    assert parse_pager_label(" PAGER:12:7 \n", site_id=12) == 7
    with pytest.raises(FrameError, match="site 3"):
        parse_pager_label("PAGER:3:7", site_id=12)
    for bad in ("PAGER:12", "pager:1:2", "PAGER:0:5", "001099012345", None):
        with pytest.raises(FrameError):
            parse_pager_label(bad)  # type: ignore[arg-type]
    with pytest.raises(FrameError, match="card_id"):
        format_pager_label(1, 0)

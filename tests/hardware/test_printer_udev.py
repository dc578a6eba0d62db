"""The udev rules for the printer and LED bus are well-formed and give the agreed stable names."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

UDEV = Path(__file__).resolve().parents[2] / "hardware" / "udev"
# KEY=="value", KEY{attr}=="value", KEY+="value", KEY="value"
_PAIR = re.compile(r'^\s*([A-Z_]+(?:\{[A-Za-z_]+\})?)\s*(==|!=|\+=|=)\s*"([^"]*)"\s*$')


def rules(name: str) -> list[dict[str, tuple[str, str]]]:
    parsed = []
    for number, line in enumerate((UDEV / name).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pairs = {}
        for part in line.split(", "):
            match = _PAIR.match(part)
            assert match, f"{name}:{number}: cannot parse {part!r}"
            pairs[match[1]] = (match[2], match[3])
        parsed.append(pairs)
    return parsed


@pytest.mark.parametrize(("name", "symlink"), [("99-kiosk-printer.rules", "kiosk-printer"),
                                               ("99-kiosk-led.rules", "kiosk-led")])
def test_rules_give_stable_name_and_group(name: str, symlink: str) -> None:
    parsed = rules(name)
    named = [r for r in parsed if "SYMLINK" in r]
    assert named, f"{name} names no device"
    for rule in parsed:
        assert rule["GROUP"] == ("=", "kiosk") and rule["MODE"] == ("=", "0660")
        vendor = rule.get("ATTRS{idVendor}") or rule.get("ATTR{idVendor}")
        assert vendor and re.fullmatch(r"[0-9a-f]{4}", vendor[1])
    for rule in named:
        assert rule["SYMLINK"] == ("+=", symlink)
        assert rule["SUBSYSTEM"][1] in ("tty", "usbmisc")

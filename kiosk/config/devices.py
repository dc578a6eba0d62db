"""Settings of the call fan-out devices, read from the TOML tables [devices], [voice], [pager],
[printer] and [led] (they arrive in ``Config.extra``). Every bad value raises DeviceConfigError
naming the table and the key, so a wrong config stops the start with a clear message.

    [devices]
    enabled = true                 # false: no voice, pager, printer or LED at all
    public_url = "http://192.168.1.10:8080"   # base of the tracking URL printed as QR

    [voice]
    enabled = true
    clips_dir = "/var/lib/kiosk/voice"        # recorded clips; absent = espeak-ng
    repeat = 2
    digits = false                 # read A015 digit by digit
    speaker = false                # also play on the PC's own speaker
    pace = true                    # wait out each announcement before handing out the next

    [pager]
    url = "/dev/kiosk-pager"       # "auto": find by udev name / USB id
    baudrate = 115200
    site_id = 1                    # citizens' card labels PAGER:<site>:<card> must match
    officer_cards = { 1 = 1, 2 = 2 }   # card -> counter; the admin API overrides it at run time
    citizen_cards = [101, 150]     # range of card ids handed to citizens

    [printer]
    url = "serial:///dev/kiosk-printer?baudrate=19200"
    paper_width = 80
    poll_s = 5.0

    [led]                          # as hardware.led_board.LedBoardConfig
    url = "/dev/kiosk-led"
    boards = { 1 = 1, 2 = 2 }
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from kiosk.config.core import ConfigError

MAX_CARD = 0xFFFE


class DeviceConfigError(ConfigError):
    """A device setting is wrong; the message names the table and key."""


@dataclass(frozen=True)
class VoiceSettings:
    enabled: bool = True
    clips_dir: Path | None = None
    repeat: int = 2
    digits: bool = False
    speaker: bool = False
    pace: bool = True


@dataclass(frozen=True)
class PagerSettings:
    url: str | None = None  # None: no pager link
    baudrate: int = 115200
    site_id: int = 1
    officer_cards: dict[int, int] = field(default_factory=dict)
    citizen_cards: tuple[int, int] = (101, 999)


@dataclass(frozen=True)
class PrinterSettings:
    url: str | None = None  # None: no printer
    paper_width: int = 80
    poll_s: float = 5.0


@dataclass(frozen=True)
class DeviceSettings:
    enabled: bool = True
    public_url: str | None = None
    voice: VoiceSettings = VoiceSettings()
    pager: PagerSettings = PagerSettings()
    printer: PrinterSettings = PrinterSettings()
    led: dict[str, Any] | None = None  # LedBoardConfig.from_dict input; None: no LED boards


def _table(extra: dict[str, Any], name: str) -> dict[str, Any]:
    value = extra.get(name, {})
    if not isinstance(value, dict):
        raise DeviceConfigError(f"[{name}] must be a table")
    return value


def _check_keys(name: str, table: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise DeviceConfigError(f"[{name}] has unknown settings: {', '.join(unknown)} "
                                f"(known: {', '.join(sorted(allowed))})")


def _bool(name: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise DeviceConfigError(f"[{name}] {key} must be true or false, not {value!r}")
    return value


def _int(name: str, key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DeviceConfigError(f"[{name}] {key} must be a whole number {low}..{high}, not {value!r}")
    return value


def _text(name: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DeviceConfigError(f"[{name}] {key} must be non-empty text, not {value!r}")
    return value.strip()


def _card_map(name: str, key: str, value: Any) -> dict[int, int]:
    if not isinstance(value, dict):
        raise DeviceConfigError(f"[{name}] {key} must map card number to counter number")
    out: dict[int, int] = {}
    for card, counter in value.items():
        try:
            card_id = int(card)
        except (TypeError, ValueError):
            raise DeviceConfigError(f"[{name}] {key}: card {card!r} is not a number") from None
        out[_int(name, f"{key} card", card_id, 1, MAX_CARD)] = _int(name, f"{key}.{card}", counter, 1, 999)
    return out


def parse_voice(table: dict[str, Any]) -> VoiceSettings:
    _check_keys("voice", table, {"enabled", "clips_dir", "repeat", "digits", "speaker", "pace"})
    clips = table.get("clips_dir")
    return VoiceSettings(
        enabled=_bool("voice", "enabled", table.get("enabled", True)),
        clips_dir=Path(_text("voice", "clips_dir", clips)) if clips not in (None, "") else None,
        repeat=_int("voice", "repeat", table.get("repeat", 2), 1, 5),
        digits=_bool("voice", "digits", table.get("digits", False)),
        speaker=_bool("voice", "speaker", table.get("speaker", False)),
        pace=_bool("voice", "pace", table.get("pace", True)),
    )


def parse_pager(table: dict[str, Any]) -> PagerSettings:
    _check_keys("pager", table, {"url", "baudrate", "site_id", "officer_cards", "citizen_cards"})
    url = table.get("url")
    cards = table.get("citizen_cards", [101, 999])
    if (not isinstance(cards, (list, tuple)) or len(cards) != 2
            or any(isinstance(c, bool) or not isinstance(c, int) for c in cards)
            or not 1 <= cards[0] <= cards[1] <= MAX_CARD):
        raise DeviceConfigError(f"[pager] citizen_cards must be [first, last] card ids in 1..{MAX_CARD}")
    officer = _card_map("pager", "officer_cards", table.get("officer_cards", {}))
    clash = sorted(c for c in officer if cards[0] <= c <= cards[1])
    if clash:
        raise DeviceConfigError(f"[pager] officer cards {clash} lie in the citizen_cards range {list(cards)}")
    return PagerSettings(
        url=_text("pager", "url", url) if url is not None else None,
        baudrate=_int("pager", "baudrate", table.get("baudrate", 115200), 1200, 4_000_000),
        site_id=_int("pager", "site_id", table.get("site_id", 1), 1, MAX_CARD),
        officer_cards=officer,
        citizen_cards=(cards[0], cards[1]),
    )


def parse_printer(table: dict[str, Any]) -> PrinterSettings:
    _check_keys("printer", table, {"url", "paper_width", "poll_s"})
    url = table.get("url")
    width = table.get("paper_width", 80)
    if width not in (58, 80) or isinstance(width, bool):
        raise DeviceConfigError(f"[printer] paper_width must be 58 or 80 (mm), not {width!r}")
    poll = table.get("poll_s", 5.0)
    if isinstance(poll, bool) or not isinstance(poll, (int, float)) or not 0.2 <= poll <= 3600:
        raise DeviceConfigError(f"[printer] poll_s must be 0.2..3600 seconds, not {poll!r}")
    if url is not None:
        from hardware.printer.escpos_printer import PrinterError, parse_printer_url

        try:
            parse_printer_url(_text("printer", "url", url))
        except (PrinterError, ValueError) as exc:
            raise DeviceConfigError(f"[printer] url: {exc}") from None
    return PrinterSettings(url=url, paper_width=width, poll_s=float(poll))


def parse_led(table: dict[str, Any]) -> dict[str, Any] | None:
    if not table:
        return None
    from hardware.led_board import LedBoardConfig, LedFrameError

    try:
        LedBoardConfig.from_dict(table)
    except (LedFrameError, TypeError) as exc:
        raise DeviceConfigError(f"[led] {exc}") from None
    return dict(table)


def parse_public_url(value: Any) -> str | None:
    if value is None:
        return None
    text = _text("devices", "public_url", value).rstrip("/")
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or any(ch.isspace() for ch in text):
        raise DeviceConfigError(f"[devices] public_url must be an http(s) URL, not {value!r}")
    return text


def device_settings(extra: dict[str, Any]) -> DeviceSettings:
    """Parse and validate the device tables of ``Config.extra``; raises DeviceConfigError."""
    devices = _table(extra, "devices")
    _check_keys("devices", devices, {"enabled", "public_url"})
    return DeviceSettings(
        enabled=_bool("devices", "enabled", devices.get("enabled", True)),
        public_url=parse_public_url(devices.get("public_url")),
        voice=parse_voice(_table(extra, "voice")),
        pager=parse_pager(_table(extra, "pager")),
        printer=parse_printer(_table(extra, "printer")),
        led=parse_led(_table(extra, "led")),
    )

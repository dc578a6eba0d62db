"""The call fan-out devices' tables: [devices], [voice], [pager], [printer] and [led].

    [devices]
    enabled = true                 # false: no voice, pager, printer or LED at all
    public_url = "http://192.168.1.10:8080"   # http(s) base of the tracking URL printed as QR

    [voice]
    enabled = true
    # clips_dir = "/var/lib/kiosk/voice"      # a folder of recorded clips; absent = espeak-ng
    repeat = 2                     # 1..5
    digits = false                 # read A015 digit by digit
    speaker = false                # also play on the PC's own speaker
    pace = true                    # wait out each announcement before handing out the next

    [pager]
    url = "/dev/kiosk-pager"       # "auto": find by udev name / USB id; absent = no pagers
    baudrate = 115200              # 1200..4000000
    site_id = 1                    # 1..65534; citizens' card labels PAGER:<site>:<card> must match
    officer_cards = { 1 = 1, 2 = 2 }   # card (1..65534) -> counter (1..999); the admin API overrides it
    citizen_cards = [101, 150]     # [first, last] card ids handed to citizens; no officer card inside

    [printer]
    url = "serial:///dev/kiosk-printer?baudrate=19200"   # or tcp://IP:9100, file:///dev/…; absent = none
    paper_width = 80               # 58 or 80 (mm)
    poll_s = 5.0                   # 0.2..3600

    [led]                          # converted to hardware.led_board.LedBoardConfig; absent = no boards
    url = "/dev/kiosk-led"
    baudrate = 9600                # 1200, 2400, 4800, 9600, 19200, 38400, 57600 or 115200
    boards = { 1 = 1, 2 = 2 }      # counter -> board address 1..99, one board per address
    width = 4                      # characters per board, 1..16
    flash = true
    rs485_rts = false              # drive the transceiver's DE pin with RTS

``device_settings(config)`` gathers them into the DeviceSettings the device wiring builds from.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlparse

from pydantic import BeforeValidator, Field, field_validator, model_validator

from kiosk.config.base import ConfigError, PathText, Table, Text, numbered, toml_value

if TYPE_CHECKING:
    from hardware.led_board import LedBoardConfig
    from kiosk.config.core import Config

MAX_CARD = 0xFFFE
DEVICE_TABLES = ("devices", "voice", "pager", "printer", "led")

Card = Annotated[int, Field(ge=1, le=MAX_CARD)]
Counter = Annotated[int, Field(ge=1, le=999)]


class DeviceConfigError(ConfigError):
    """A device setting is wrong; the message names the table and key."""


def _no_path(value: Any) -> Any:
    return None if value == "" else value  # clips_dir = "" means no clips, as if absent


class DevicesSettings(Table):
    """``[devices]``: the whole fan-out on or off, and the address printed in the ticket QR."""

    table = "devices"

    enabled: bool = True
    public_url: Text | None = None  # default: http://HOST:PORT (https with [kiosk] tls)

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or any(ch.isspace() for ch in url):
            raise ValueError(f'must be an http(s) URL like "http://192.168.1.10:8080", not "{url}"')
        return url.rstrip("/")


class VoiceSettings(Table):
    """``[voice]``: the hall announcements."""

    table = "voice"

    enabled: bool = True
    clips_dir: Annotated[PathText | None, BeforeValidator(_no_path)] = None
    repeat: Annotated[int, Field(ge=1, le=5)] = 2
    digits: bool = False
    speaker: bool = False
    pace: bool = True

    @model_validator(mode="after")
    def _clips_exist(self) -> VoiceSettings:
        if self.enabled and self.clips_dir is not None and not self.clips_dir.is_dir():
            raise ValueError(f"clips_dir: {self.clips_dir} is not a folder")
        return self


def _pair(value: Any) -> Any:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return tuple(value)
    if isinstance(value, (list, tuple)) or isinstance(value, str):
        raise ValueError(f"must be [first, last] card numbers, like [101, 150], not {toml_value(value)}")
    return value


class PagerSettings(Table):
    """``[pager]``: the pager base station and who holds which card."""

    table = "pager"

    url: Text | None = None  # None: no pager link; "auto": find the base station
    baudrate: Annotated[int, Field(ge=1200, le=4_000_000)] = 115200
    site_id: Card = 1
    officer_cards: numbered(Card, Counter, "a table of card = counter") = {}
    citizen_cards: Annotated[tuple[Card, Card], BeforeValidator(_pair)] = (101, 999)

    @model_validator(mode="after")
    def _ranges(self) -> PagerSettings:
        first, last = self.citizen_cards
        if first > last:
            raise ValueError(f"citizen_cards: the first card ({first}) must not come after the last ({last})")
        clash = sorted(card for card in self.officer_cards if first <= card <= last)
        if clash:
            raise ValueError(f"officer_cards: card{'s' if len(clash) > 1 else ''} {', '.join(map(str, clash))} "
                             f"lie{'' if len(clash) > 1 else 's'} in the citizen_cards range [{first}, {last}]")
        return self


class PrinterSettings(Table):
    """``[printer]``: the ticket printer."""

    table = "printer"

    url: Text | None = None  # None: no printer
    paper_width: Literal[58, 80] = 80
    poll_s: Annotated[float, Field(ge=0.2, le=3600)] = 5.0

    @field_validator("url")
    @classmethod
    def _printer_url(cls, url: str | None) -> str | None:
        if url is not None:
            from hardware.printer.escpos_printer import PrinterError, parse_printer_url

            try:
                parse_printer_url(url)
            except (PrinterError, ValueError) as exc:
                raise ValueError(str(exc)) from None
        return url


class LedSettings(Table):
    """``[led]``: the counters' LED number boards on one RS-485 bus (see hardware.led_board)."""

    table = "led"

    url: Text = "/dev/kiosk-led"
    baudrate: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] = 9600
    boards: numbered(Counter, Annotated[int, Field(ge=1, le=99)], "a table of counter = board address") = {}
    width: Annotated[int, Field(ge=1, le=16)] = 4
    flash: bool = True
    rs485_rts: bool = False

    @model_validator(mode="after")
    def _one_board_per_address(self) -> LedSettings:
        seen: dict[int, int] = {}
        for counter, address in self.boards.items():
            if address in seen:
                raise ValueError(f"boards: counters {seen[address]} and {counter} share board address {address}")
            seen[address] = counter
        from hardware.led_board import LedFrameError

        try:
            self.board_config()  # the driver's own checks
        except LedFrameError as exc:
            raise ValueError(str(exc)) from None
        return self

    def board_config(self) -> LedBoardConfig:
        """The hardware driver's configuration."""
        from hardware.led_board import LedBoardConfig

        return LedBoardConfig(url=self.url, baudrate=self.baudrate, boards=dict(self.boards), width=self.width,
                              flash=self.flash, rs485_rts=self.rs485_rts)


@dataclass(frozen=True)
class DeviceSettings:
    """The device tables together, as the device wiring (kiosk.devices.hub) builds from them."""

    enabled: bool = True
    public_url: str | None = None
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    pager: PagerSettings = field(default_factory=PagerSettings)
    printer: PrinterSettings = field(default_factory=PrinterSettings)
    led: LedSettings | None = None  # None: no LED boards


def device_settings(source: Config | Mapping[str, Any]) -> DeviceSettings:
    """The device tables of a Config, or of a mapping of tables as in the file (``{"pager": {…}}``,
    other keys ignored); raises DeviceConfigError naming ``[table] key``."""
    from kiosk.config.core import Config

    if not isinstance(source, Config):
        try:
            source = Config.from_dict({name: source[name] for name in DEVICE_TABLES if name in source})
        except ConfigError as exc:
            raise DeviceConfigError(exc.problems) from None
    return DeviceSettings(enabled=source.devices.enabled, public_url=source.devices.public_url,
                          voice=source.voice, pager=source.pager, printer=source.printer, led=source.led)


"""The devices of a centre: the call fan-out to voice, pagers, printer and LED boards.

``build_devices(services, secret, supervisor)`` reads the [devices], [voice], [pager], [printer] and
[led] tables (kiosk/config/devices.py), builds each configured device, subscribes the fan-out and the
ticket printing to the event bus and adds every background part to the supervisor, which starts and
stops them. In demo mode (``config.demo``) the pager base station, the printer and the LED bus are
simulators started in-process on ptys, reachable from ``/demo/devices``. The app factory keeps the
result as ``services.devices`` (a DeviceHub) for the web layer and tests.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any

from kiosk.config.devices import DeviceSettings, LedSettings, PagerSettings, PrinterSettings, device_settings
from kiosk.display.fanout import CallFanout
from kiosk.display.tracking import tracking_path
from kiosk.pager.cards import PagerCards
from kiosk.pager.link import PagerLink
from kiosk.runtime.lifecycle import Supervisor

log = logging.getLogger(__name__)

DEMO_OFFICER_CARDS = {n: n for n in range(1, 7)}  # card n belongs to the demo's counter n
DEMO_CITIZEN_CARDS = (101, 120)


@dataclass
class DeviceHub:
    """The devices of one centre, as built from the config."""

    settings: DeviceSettings
    cards: PagerCards
    link: PagerLink
    fanout: CallFanout | None = None
    voice: Any = None  # kiosk.display.tts.Voice
    announcer: Any = None  # kiosk.display.announcer.Announcer
    audio: Any = None  # kiosk.display.announcer.AudioStore
    driver: Any = None  # hardware.pager.PagerDriver
    printer: Any = None  # hardware.printer.escpos_printer.TicketPrinter: the centre's [printer]
    monitor: Any = None  # PrinterMonitor
    printing: Any = None  # kiosk.display.printing.TicketPrintService
    printers: Any = None  # kiosk.devices.printers.PrinterPool (the three above are its default station's)
    led: Any = None  # hardware.led_board.LedBus
    simulators: dict[str, Any] = field(default_factory=dict)  # demo: "pager", "printer", "led"
    public_url: str = ""

    def status(self) -> dict[str, Any]:
        """JSON-ready state of the call devices, for GET /api/v1/devices/summary."""
        voice = {"enabled": self.announcer is not None}
        if self.voice is not None:
            voice["source"] = "clips" if self.voice.config.clips_dir else "espeak"
            voice["pending"] = self.announcer.pending()
        if self.monitor is not None:
            latest = self.monitor.latest
            printer = {"configured": True, **(latest.as_dict() if latest else {"status": "unknown",
                                                                               "message": "Đang kiểm tra máy in"})}
            printer.update(self.printing.counts if self.printing else {})
        else:
            printer = {"configured": False}
        led = {"configured": self.led is not None}
        if self.led is not None:
            led["boards"] = {str(k): v for k, v in self.led.config.boards.items()}
        return {"enabled": self.settings.enabled, "demo": bool(self.simulators), "voice": voice,
                "pager": self.link.status(), "printer": printer, "led": led}


def _notifier(socketio):
    def notify(name: str, payload: dict[str, Any], counter: int | None) -> None:
        if name == "device_status":
            for ns in ("/kiosk", "/monitor"):
                socketio.emit(name, payload, namespace=ns)
            if payload.get("device") == "pager":
                socketio.emit(name, payload, namespace="/counter")
            return
        if counter is not None:
            socketio.emit(name, payload, namespace="/counter", to=f"counter:{counter}")
        socketio.emit(name, payload, namespace="/monitor")

    return notify


def _start_simulators(settings: DeviceSettings, supervisor: Supervisor, sims: dict[str, Any]) -> DeviceSettings:
    """Demo mode: a base station with cards, a printer and LED boards on ptys, replacing the config's.

    They are added to the supervisor first, so they stop last, after the drivers talking to them."""
    from hardware.led_board import LedBusSimulator
    from hardware.pager import PagerSimulator
    from hardware.printer.simulator import PrinterSimulator

    first, last = DEMO_CITIZEN_CARDS
    pager = PagerSimulator(cards=[*DEMO_OFFICER_CARDS, *range(first, last + 1)]).start()
    supervisor.add("pager-simulator", lambda deadline: pager.stop())
    printer = PrinterSimulator.pty().start()
    supervisor.add("printer-simulator", lambda deadline: printer.stop())
    led = LedBusSimulator(sorted(set(DEMO_OFFICER_CARDS.values()))).start()
    supervisor.add("led-simulator", lambda deadline: led.stop())
    sims.update(pager=pager, printer=printer, led=led)
    return replace(
        settings,
        pager=PagerSettings(url=pager.url, officer_cards=dict(DEMO_OFFICER_CARDS), citizen_cards=DEMO_CITIZEN_CARDS),
        printer=PrinterSettings(url=printer.url, paper_width=80, poll_s=2.0),
        led=LedSettings(url=led.port, boards={n: n for n in DEMO_OFFICER_CARDS.values()}),
    )


def _build_voice(hub: DeviceHub, socketio) -> None:
    from kiosk.display.announcer import Announcer, AudioStore, speaker_player
    from kiosk.display.tts import Voice, VoiceConfig

    cfg = hub.settings.voice
    voice = Voice(VoiceConfig(clips_dir=cfg.clips_dir, repeat=cfg.repeat, digits=cfg.digits))
    if cfg.clips_dir is None and not voice.engine.available():
        log.error("hall voice disabled: espeak-ng is not installed (apt-get install espeak-ng) "
                  "and no [voice] clips_dir is set")
        return
    if cfg.clips_dir is not None and not cfg.clips_dir.is_dir():
        from kiosk.config.devices import DeviceConfigError

        raise DeviceConfigError(f"[voice] clips_dir {cfg.clips_dir} is not a folder")
    audio = AudioStore()

    def emit(result) -> None:
        socketio.emit("announcement", {
            "url": f"/audio/{result.key}.wav", "number": result.call.number, "counter": result.call.counter,
            "recall": result.call.recall, "duration_s": round(result.duration_s, 2),
            "text": result.audio.display_text,
        }, namespace="/display")

    hub.voice, hub.audio = voice, audio
    hub.announcer = Announcer(voice.render, listeners=[audio.put_result, emit],
                              player=speaker_player if cfg.speaker else None, pace=cfg.pace)
    voice.warm_up()


def _build_pager(hub: DeviceHub, supervisor: Supervisor) -> None:
    from hardware.pager import PagerDriver

    cfg = hub.settings.pager
    link = hub.link
    driver = PagerDriver(None if cfg.url == "auto" else cfg.url, baudrate=cfg.baudrate,
                         on_button=link.on_button, on_page_status=link.on_page_status, on_link=link.on_link,
                         on_card_status=link.on_card_status)
    link.driver = hub.driver = driver

    def stop(deadline: float) -> None:
        left = driver.flush(deadline)  # pages accepted before the stop reach the base station
        if left:
            log.warning("pager: %d page(s) not handed to the base station before the stop", left)
        driver.stop(timeout=max(0.2, deadline - time.monotonic()))

    supervisor.add("pager-driver", stop, start=driver.start)


def _build_printers(hub: DeviceHub, services: Any, secret: str, supervisor: Supervisor) -> None:
    """The printer pool (kiosk.devices.printers): the centre's [printer], if any, and each terminal's own."""
    from hardware.printer.escpos_printer import PrinterMonitor, TicketPrinter
    from kiosk.devices.printers import PrinterPool, PrinterStation
    from kiosk.display.printing import TicketPrintService

    cfg = hub.settings.printer

    def make_station(url: str, simulator: Any) -> PrinterStation:
        printer = TicketPrinter(url, paper_width=cfg.paper_width)
        monitor = PrinterMonitor(printer, interval=cfg.poll_s)
        printing = TicketPrintService(
            services.engine, services.config.centre_name, printer, monitor,
            lambda ticket_id: hub.public_url + tracking_path(secret, ticket_id), pool.notify_for(url))
        return PrinterStation(url, printer, monitor, printing, simulator=simulator)

    pool = PrinterPool(make_station, services.socketio.emit, default_url=cfg.url,
                       demo=bool(hub.simulators))
    hub.printers = pool
    if cfg.url:
        default = pool.station(cfg.url, simulator=None)
        hub.printer, hub.monitor, hub.printing = default.printer, default.monitor, default.printing
    services.bus.subscribe(pool)
    supervisor.add("printers", pool.stop, start=pool.start)


def _page_sender(driver):
    def page(card: int, number: str, counter: int, text: str, recall: bool) -> int:
        # The protocol carries counters 0..255; a larger number is shown in the text only.
        return driver.page(card, number, counter if counter <= 255 else 0, text, recall=recall)

    return page


def build_devices(services: Any, secret: str, supervisor: Supervisor) -> DeviceHub:
    """Build the configured devices (or the demo simulators), subscribe them to the bus and add each to
    the supervisor in start order: simulators, pager driver, LED bus, printer, ticket printing, voice."""
    settings = device_settings(services.config)  # validated with the config
    sims: dict[str, Any] = {}
    if settings.enabled and services.config.demo:
        settings = _start_simulators(settings, supervisor, sims)
    cards = PagerCards(services.store, services.engine, settings.pager.officer_cards, settings.pager.citizen_cards)
    notify = _notifier(services.socketio)
    cfg = services.config
    hub = DeviceHub(settings=settings, cards=cards, link=PagerLink(services.engine, cards, notify),
                    simulators=sims, public_url=settings.public_url or f"{cfg.url_scheme}://{cfg.host}:{cfg.port}")
    if not settings.enabled:
        return hub
    if settings.pager.url:
        _build_pager(hub, supervisor)
    if settings.led:
        from hardware.led_board import LedBus

        hub.led = LedBus(settings.led.board_config())
        supervisor.add("led-bus", lambda deadline: hub.led.close())
    _build_printers(hub, services, secret, supervisor)
    if settings.voice.enabled:
        _build_voice(hub, services.socketio)
        if hub.announcer is not None:
            supervisor.add("announcer", hub.announcer.stop, start=hub.announcer.start)
    hub.fanout = CallFanout(
        announce=hub.announcer.submit if hub.announcer else None,
        page=_page_sender(hub.driver) if hub.driver else None,
        router=cards,
        show=hub.led.on_ticket_called if hub.led else None,
        on_page=hub.link.on_page_sent,
        tz=services.engine.clock.tz,
    )
    services.bus.subscribe(hub.fanout)
    services.bus.subscribe(cards.release_finished)
    return hub

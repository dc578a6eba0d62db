"""Wiring of the call fan-out (voice, pagers, printer, LED boards) into the app.

``install(app, kiosk)`` reads the [devices], [voice], [pager], [printer] and [led] tables
(kiosk/config/devices.py), builds each configured device, subscribes the fan-out and the ticket
printing to the event bus, registers the devices blueprint and stops everything on close. In demo
mode (``config.demo``) the pager base station, the printer and the LED bus are simulators started
in-process on ptys, reachable from ``/demo/devices``.

Everything built is kept in ``kiosk.extras["devices"]`` (a DeviceHub) for the web layer and tests.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from kiosk.config.devices import DeviceSettings, PagerSettings, PrinterSettings, device_settings
from kiosk.display.fanout import CallFanout
from kiosk.display.tracking import tracking_path
from kiosk.pager.cards import PagerCards
from kiosk.pager.link import PagerLink

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
    printer: Any = None  # hardware.printer.escpos_printer.TicketPrinter
    monitor: Any = None  # PrinterMonitor
    printing: Any = None  # kiosk.ticket_printing.TicketPrintService
    led: Any = None  # hardware.led_board.LedBus
    simulators: dict[str, Any] = field(default_factory=dict)  # demo: "pager", "printer", "led"
    public_url: str = ""

    def status(self) -> dict[str, Any]:
        """JSON-ready state of every device, for GET /api/v1/devices."""
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


def _start_simulators(settings: DeviceSettings, hub_sims: dict[str, Any]) -> DeviceSettings:
    """Demo mode: a base station with cards, a printer and LED boards on ptys, replacing the config's."""
    from hardware.led_board import LedBusSimulator
    from hardware.pager import PagerSimulator
    from hardware.printer.simulator import PrinterSimulator

    first, last = DEMO_CITIZEN_CARDS
    pager = PagerSimulator(cards=[*DEMO_OFFICER_CARDS, *range(first, last + 1)]).start()
    hub_sims["pager"] = pager
    printer = PrinterSimulator.pty().start()
    hub_sims["printer"] = printer
    led = LedBusSimulator(sorted(set(DEMO_OFFICER_CARDS.values()))).start()
    hub_sims["led"] = led
    return replace(
        settings,
        pager=PagerSettings(url=pager.url, officer_cards=dict(DEMO_OFFICER_CARDS), citizen_cards=DEMO_CITIZEN_CARDS),
        printer=PrinterSettings(url=printer.url, paper_width=80, poll_s=2.0),
        led={"url": led.port, "boards": {str(n): n for n in DEMO_OFFICER_CARDS.values()}},
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


def _build_pager(hub: DeviceHub, on_close: list) -> None:
    from hardware.pager import PagerDriver

    cfg = hub.settings.pager
    link = hub.link
    driver = PagerDriver(None if cfg.url == "auto" else cfg.url, baudrate=cfg.baudrate,
                         on_button=link.on_button, on_page_status=link.on_page_status, on_link=link.on_link,
                         on_card_status=link.on_card_status)
    link.driver = hub.driver = driver
    driver.start()
    on_close.append(driver.stop)


def _build_printer(hub: DeviceHub, kiosk, notify, secret: str, on_close: list) -> None:
    from hardware.printer.escpos_printer import PrinterMonitor, TicketPrinter
    from kiosk.display.printing import TicketPrintService

    cfg = hub.settings.printer
    hub.printer = TicketPrinter(cfg.url, paper_width=cfg.paper_width)
    hub.monitor = PrinterMonitor(hub.printer, interval=cfg.poll_s)
    hub.printing = TicketPrintService(
        kiosk.engine, kiosk.config.centre_name, hub.printer, hub.monitor,
        lambda ticket_id: hub.public_url + tracking_path(secret, ticket_id), notify)
    kiosk.bus.subscribe(hub.printing)
    hub.monitor.start()
    on_close += [hub.printing.stop, hub.monitor.stop, hub.printer.close]


def _page_sender(driver):
    def page(card: int, number: str, counter: int, text: str, recall: bool) -> int:
        # The protocol carries counters 0..255; a larger number is shown in the text only.
        return driver.page(card, number, counter if counter <= 255 else 0, text, recall=recall)

    return page


def install(app, kiosk) -> None:
    """Build the configured devices (or the demo simulators) and wire them to the bus and the web."""
    from kiosk.web.api import devices as api_devices
    from kiosk.web.pages import devices as pages_devices

    settings = device_settings(kiosk.config.extra)  # DeviceConfigError stops the start
    app.register_blueprint(api_devices.bp)
    app.register_blueprint(pages_devices.bp)
    on_close: list = []
    sims: dict[str, Any] = {}
    try:
        if settings.enabled and kiosk.config.demo:
            settings = _start_simulators(settings, sims)
        cards = PagerCards(kiosk.store, kiosk.engine, settings.pager.officer_cards, settings.pager.citizen_cards)
        notify = _notifier(kiosk.socketio)
        hub = DeviceHub(settings=settings, cards=cards, link=PagerLink(kiosk.engine, cards, notify),
                        simulators=sims,
                        public_url=settings.public_url or f"http://{kiosk.config.host}:{kiosk.config.port}")
        kiosk.extras["devices"] = hub
        if not settings.enabled:
            return
        if settings.voice.enabled:
            _build_voice(hub, kiosk.socketio)
            if hub.announcer is not None:
                on_close.append(lambda: hub.announcer.close(drain=False, timeout=5))
        if settings.pager.url:
            _build_pager(hub, on_close)
        if settings.printer.url:
            _build_printer(hub, kiosk, notify, app.config["SECRET_KEY"], on_close)
        if settings.led:
            from hardware.led_board import LedBoardConfig, LedBus

            hub.led = LedBus(LedBoardConfig.from_dict(settings.led))
            on_close.append(hub.led.close)
        hub.fanout = CallFanout(
            announce=hub.announcer.submit if hub.announcer else None,
            page=_page_sender(hub.driver) if hub.driver else None,
            router=cards,
            show=hub.led.on_ticket_called if hub.led else None,
            on_page=hub.link.on_page_sent,
            tz=kiosk.engine.clock.tz,
        )
        kiosk.bus.subscribe(hub.fanout)
        kiosk.bus.subscribe(cards.release_finished)
    except BaseException:
        for stop in [*on_close, *(sim.stop for sim in sims.values())]:
            stop()  # a start that fails leaves no thread or pty behind
        raise
    # Simulators stop last: the drivers talking to them are closed first.
    on_close += [sim.stop for sim in sims.values()]
    kiosk.extras.setdefault("on_close", []).extend(on_close)
    for hook in kiosk.extras.pop("on_devices", []):  # parts installed earlier, e.g. the kiosk screen
        hook(hub)

"""The officer's pager card acting on the queue, and page delivery reports for the screens.

``PagerLink`` is given to ``PagerDriver`` as its callbacks. The driver already suppresses duplicate
frames and repeated button presses (each press carries the card's press id), so every callback
here is one real press; this module applies it exactly once and never retries an action.

Button -> queue action on the card's counter (docs/devices.md). Each button lists the plans it
tries in order (`BUTTONS`): the first that the transitions table (kiosk/queue/transitions.py)
allows in the counter's situation is applied; when none is, the first is tried anyway so that the
engine refuses it with its reason. What that gives:

| button  | current ticket of the counter | plan applied                                     |
|---------|-------------------------------|--------------------------------------------------|
| next    | none                          | ``next``                                         |
| next    | serving                       | ``finish_next`` (finish it, call the next)       |
| next    | called (citizen just arrived) | ``start``                                        |
| recall  | called                        | ``recall``                                       |
| no_show | called                        | ``no_show``                                      |
| finish  | serving                       | ``finish``                                       |
| finish  | called                        | ``start`` then ``finish`` (served at once; the   |
|         |                               | finish says ``service_unknown``: no service time)|

"next" on a called ticket starts it rather than skipping the citizen who is standing at the
counter: skipping is what "no_show" is for, and one button must never lose a citizen. "finish"
on a called ticket records a service of (almost) zero length instead of refusing, because an
officer who served without pressing "next" first still finished the service.
A refused action (e.g. recall with no current ticket) changes nothing and is reported.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from hardware.pager.errors import PagerError
from kiosk.display.fanout import SentPage
from kiosk.pager.cards import PagerCards
from kiosk.queue import transitions
from kiosk.queue.errors import QueueError

log = logging.getLogger(__name__)

# notify(event_name, payload, counter or None): the web layer emits it on Socket.IO
Notifier = Callable[[str, dict[str, Any], "int | None"], object]
_PAGE_MEMORY = 512
NO_ONE_WAITING_TEXT = "Không còn ai chờ"

# button -> the plans (queue actions applied one after another) it tries, in order of preference
BUTTONS: dict[str, tuple[tuple[str, ...], ...]] = {
    "next": (("next",), ("finish_next",), ("start",)),
    "recall": (("recall",),),
    "no_show": (("no_show",),),
    "finish": (("finish",), ("start", "finish")),
}
# what a press reports as its action (pager_button payload), when not the plan's only action
_REPORTED = {("next",): "call_next", ("finish_next",): "call_next", ("start", "finish"): "start_finish"}


def button_plan(button: str, counter_state: str, current_state: str | None) -> tuple[str, ...]:
    """The actions one press of ``button`` applies in this situation (KeyError: no such button)."""
    plans = BUTTONS[button]
    return next((p for p in plans if transitions.follow(p, counter_state, current_state)), plans[0])


class PagerLink:
    """Callbacks of the PagerDriver: buttons -> queue engine, page reports and link state -> screens."""

    def __init__(self, engine, cards: PagerCards, notify: Notifier | None = None) -> None:
        self.engine = engine
        self.cards = cards
        self.notify = notify or (lambda name, payload, counter: None)
        self.driver = None  # set by the wiring, to page "no one waiting" back to the card
        self.link = "down"
        self.card_status: dict[int, dict[str, Any]] = {}
        self.presses: dict[str, int] = {"applied": 0, "refused": 0, "unassigned": 0}
        self._pages: OrderedDict[int, SentPage] = OrderedDict()
        self._early: dict[int, list[str]] = {}
        self._lock = threading.Lock()

    # -- buttons ----------------------------------------------------------------------------------
    def on_button(self, card: int, button: str) -> dict[str, Any]:
        """Apply one press of ``button`` on ``card`` to its counter; returns what was reported."""
        counter = self.cards.counter_of(card)
        report: dict[str, Any] = {"card": card, "button": button, "counter": counter, "ok": False,
                                  "action": None, "ticket": None, "message": ""}
        if counter is None:
            self.presses["unassigned"] += 1
            report["message"] = f"card {card} is not assigned to a counter"
            log.warning("pager button %s on unassigned card %d ignored", button, card)
            self.notify("pager_button", report, None)
            return report
        try:
            action, ticket = self._apply(counter, button)
        except QueueError as exc:
            self.presses["refused"] += 1
            report["message"] = exc.message
            log.info("pager card %d %s refused at counter %d: %s", card, button, counter, exc.message)
        else:
            self.presses["applied"] += 1
            report.update(ok=True, action=action, ticket=ticket.number if ticket else None)
            if action == "call_next" and ticket is None:
                report["message"] = NO_ONE_WAITING_TEXT
                self._page_no_one(card, counter)
        self.notify("pager_button", report, counter)
        return report

    def _apply(self, counter: int, button: str) -> tuple[str, Any]:
        if button not in BUTTONS:
            raise QueueError(f"unknown pager button {button!r}", code="invalid", text="pager_button_unknown")
        engine = self.engine
        state = engine.counter(counter)
        officer = state.officer_id
        current = engine.ticket(state.current_ticket_id) if state.current_ticket_id else None
        plan = button_plan(button, state.state, current.state if current is not None else None)
        steps: dict[str, Callable[[], Any]] = {
            "next": lambda: engine.call_next(counter, officer),
            "finish_next": lambda: engine.call_next(counter, officer, finish_current=True),
            "start": lambda: engine.start(counter, officer),
            "recall": lambda: engine.recall(counter, officer),
            "no_show": lambda: engine.no_show(counter, officer),
            "finish": lambda: engine.finish(counter, officer),
        }
        ticket = None
        if plan == ("start", "finish"):  # one transaction whose finish says the service time is unknown
            return _REPORTED[plan], engine.finish_unstarted(counter, officer)
        for action in plan:  # each step is checked by the engine again: a race is refused, not guessed
            ticket = steps[action]()
        return _REPORTED.get(plan, plan[0]), ticket

    def _page_no_one(self, card: int, counter: int) -> None:
        driver = self.driver
        if driver is None:
            return
        try:
            driver.page(card, "---", counter if counter <= 255 else 0, NO_ONE_WAITING_TEXT)
        except (PagerError, ValueError) as exc:  # a refused page is only a missed courtesy
            log.info("could not tell card %d that no one waits: %s", card, exc)
        except Exception:
            log.exception("could not tell card %d that no one waits", card)

    # -- pages ------------------------------------------------------------------------------------
    def on_page_sent(self, page: SentPage) -> None:
        """The fan-out queued a page: remember it so its delivery reports reach the right counter."""
        with self._lock:
            self._pages[page.page_id] = page
            while len(self._pages) > _PAGE_MEMORY:
                self._pages.popitem(last=False)
            early = self._early.pop(page.page_id, [])
        for status in early:
            self._report(page, status)

    def on_page_status(self, page_id: int, card: int, status: str) -> None:
        """Driver callback: a page was sent / delivered / unreachable."""
        with self._lock:
            page = self._pages.get(page_id)
            if page is None:
                # The driver can report before page() has returned to the fan-out: keep it briefly.
                self._early.setdefault(page_id, []).append(status)
                while len(self._early) > 64:
                    self._early.pop(next(iter(self._early)))
                return
        self._report(page, status)

    def _report(self, page: SentPage, status: str) -> None:
        payload = {"page_id": page.page_id, "card": page.card, "ticket": page.number, "status": status,
                   "counter": page.counter, "kind": page.kind, "at": time.time()}
        self.notify("page_status", payload, page.counter)

    # -- link and cards ---------------------------------------------------------------------------
    def on_link(self, state: str) -> None:
        """Driver callback: the base station link went up or down."""
        self.link = state
        self.notify("device_status", {"device": "pager", "link": state}, None)

    def on_card_status(self, card: int, info: dict[str, Any]) -> None:
        """Driver callback: a card's radio/battery state."""
        self.card_status[card] = dict(info)

    def status(self) -> dict[str, Any]:
        """JSON-ready state of the link, for GET /api/v1/devices/summary and the health board."""
        driver = self.driver
        base = getattr(driver, "base_info", None) if driver is not None else None
        return {
            "configured": driver is not None,
            "link": self.link,
            "port": getattr(driver, "port_name", None),
            "url": getattr(driver, "url", None),
            "fault": getattr(driver, "fault", None),
            "last_seen": getattr(driver, "last_heard", None),
            "base": {"site_id": getattr(base, "site_id", None), "boot_id": getattr(base, "boot_id", None)}
            if base is not None else None,
            "officer_cards": {str(k): v for k, v in self.cards.officer_assignments().items()},
            "cards": {str(k): v for k, v in self.card_status.items()},
            "presses": dict(self.presses),
        }

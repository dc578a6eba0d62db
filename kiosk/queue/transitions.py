"""The state machine of tickets and counters, in one table.

A counter's situation is its state (closed, open, paused) and the state of its current ticket
(None, called or serving). `COUNTER_TRANSITIONS` lists every action allowed in each situation and
the situation it leads to; `TICKET_TRANSITIONS` says from which ticket state each action may take a
ticket and where. The engine checks every action against these tables (anything else is an
`IllegalTransition` that changes nothing, with the reason `refusal` words), the live snapshot lists
per counter the actions `allowed_actions` gives (the officer console's buttons follow that list),
and the pager card's buttons are mapped onto these actions (kiosk/pager/link.py).

Actions: ``next`` (call the next waiting ticket), ``finish_next`` (finish the ticket being served, if
any, then call the next: ``POST /counters/N/next {"finish_current": true}``), ``call`` (a particular
waiting or held ticket), ``recall``, ``start``, ``finish``, ``no_show``, ``hold``, ``transfer``,
``pause``, ``resume``, ``open``, ``close``; ticket-only: ``return`` (a held ticket back to its
queue), ``cancel`` and ``expire`` (the day ended before the ticket was served: kiosk/queue/dayend.py says
when; a ticket being served expires only at the end of an earlier day).
"""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.queue.errors import IllegalTransition
from kiosk.queue.model import Counter, Ticket

CLOSED, OPEN, PAUSED = "closed", "open", "paused"
CALLED, SERVING = "called", "serving"
IDLE = None  # no current ticket
AT_COUNTER = (CALLED, SERVING)  # the states of a counter's current ticket


@dataclass(frozen=True)
class Transition:
    """One allowed action at a counter: from which situation, and the situation it leads to."""

    action: str
    counter: str  # the counter's state before
    current: str | None  # its current ticket's state before (IDLE: none)
    to_counter: str
    to_current: str | None


COUNTER_TRANSITIONS: tuple[Transition, ...] = (
    #          action         counter  current  -> counter  current
    Transition("next",        OPEN,    IDLE,       OPEN,    CALLED),  # stays IDLE when nobody waits
    Transition("finish_next", OPEN,    IDLE,       OPEN,    CALLED),  # nothing to finish: as next
    Transition("finish_next", OPEN,    SERVING,    OPEN,    CALLED),  # the served ticket is done first
    Transition("call",        OPEN,    IDLE,       OPEN,    CALLED),
    Transition("recall",      OPEN,    CALLED,     OPEN,    CALLED),  # past the automatic limit: no_show
    Transition("start",       OPEN,    CALLED,     OPEN,    SERVING),
    Transition("finish",      OPEN,    SERVING,    OPEN,    IDLE),
    Transition("no_show",     OPEN,    CALLED,     OPEN,    IDLE),
    Transition("hold",        OPEN,    CALLED,     OPEN,    IDLE),
    Transition("hold",        OPEN,    SERVING,    OPEN,    IDLE),
    Transition("transfer",    OPEN,    CALLED,     OPEN,    IDLE),
    Transition("transfer",    OPEN,    SERVING,    OPEN,    IDLE),
    Transition("pause",       OPEN,    IDLE,       PAUSED,  IDLE),
    Transition("resume",      PAUSED,  IDLE,       OPEN,    IDLE),
    Transition("close",       OPEN,    IDLE,       CLOSED,  IDLE),
    Transition("close",       PAUSED,  IDLE,       CLOSED,  IDLE),
    Transition("open",        CLOSED,  IDLE,       OPEN,    IDLE),
)

# action -> {ticket state before: ticket state after}; for finish_next, the ticket being served
TICKET_TRANSITIONS: dict[str, dict[str, str]] = {
    "call": {"waiting": CALLED, "held": CALLED},
    "recall": {CALLED: CALLED},
    "start": {CALLED: SERVING},
    "finish": {SERVING: "done"},
    "finish_next": {SERVING: "done"},
    "no_show": {CALLED: "no_show"},
    "hold": {CALLED: "held", SERVING: "held"},
    "transfer": {"waiting": "waiting", "held": "waiting", CALLED: "waiting", SERVING: "waiting"},
    "return": {"held": "waiting"},
    "cancel": {"waiting": "cancelled", "held": "cancelled"},
    "expire": {"waiting": "expired", "held": "expired", CALLED: "expired", SERVING: "expired"},
}

# every action at a counter, in table order; the situations a counter can be in
COUNTER_ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.action for t in COUNTER_TRANSITIONS))
SITUATIONS: tuple[tuple[str, str | None], ...] = (
    (CLOSED, IDLE), (OPEN, IDLE), (OPEN, CALLED), (OPEN, SERVING), (PAUSED, IDLE),
)

_BY_KEY = {(t.action, t.counter, t.current): t for t in COUNTER_TRANSITIONS}
_ALLOWED = {s: tuple(a for a in COUNTER_ACTIONS if (a, *s) in _BY_KEY) for s in SITUATIONS}
# What an officer is asked to do instead, by action (the counter actions' reasons, see `refusal`).
_VERBS = {"recall": "recall", "start": "start", "finish": "finish", "no_show": "mark as no-show", "hold": "hold",
          "transfer": "transfer"}
_CALLING = ("next", "finish_next", "call")


def transition(action: str, counter: str, current: str | None) -> Transition | None:
    """The row allowing ``action`` in this situation, or None when the table forbids it."""
    return _BY_KEY.get((action, counter, current))


def allowed_actions(counter: str, current: str | None) -> tuple[str, ...]:
    """The actions allowed now at a counter in this situation (the snapshot's ``actions``)."""
    return _ALLOWED.get((counter, current), ())


def ticket_transition(action: str, state: str) -> str | None:
    """The state ``action`` leads a ticket in ``state`` to, or None when it is not allowed."""
    return TICKET_TRANSITIONS.get(action, {}).get(state)


def _words(state: str) -> str:
    return state.replace("_", " ")


def refusal(action: str, counter: Counter, current: Ticket | None) -> str:
    """Why ``action`` is not allowed at ``counter`` with ``current``, in the words the API returns."""
    return _refusal(action, counter, current)[0]


def _refusal(action: str, counter: Counter, current: Ticket | None) -> tuple[str, str, dict]:
    """(English reason, key of the Vietnamese sentence in kiosk/texts/vi.py, the values it shows)."""
    n, state = counter.number, counter.state
    if action in _VERBS:
        if current is None:
            return f"counter {n} has no current ticket to {_VERBS[action]}", "counter_no_current", \
                {"counter": n, "verb": action}
        return f"cannot {_VERBS[action]} ticket {current.number}: it is {_words(current.state)}", \
            "ticket_wrong_state", {"verb": action, "ticket": current.number, "state": current.state}
    states = {t.counter for t in COUNTER_TRANSITIONS if t.action == action}
    values = {"counter": n, "counter_state": state, "verb": action}
    if action in _CALLING:
        if state not in states:
            return f"counter {n} is {state}: open or resume it before calling", "counter_not_open_to_call", values
        busy = current.number if current is not None else "a ticket"
        serving = current is not None and current.state == SERVING
        hint = "finish it" if serving else "start it or mark it no-show"
        return f"counter {n} is still busy with {busy}: {hint} first", \
            "counter_busy_serving" if serving else "counter_busy_called", {**values, "ticket": busy}
    if action == "open":
        return f"counter {n} is already {state}", "counter_already", values
    if action == "resume":
        return f"counter {n} is {state}, not paused", "counter_not_paused", values
    if state not in states:
        if action == "close":
            return f"counter {n} is already closed", "counter_already", values
        return f"counter {n} is {state}: only an open counter can pause", "counter_not_open_to_pause", values
    busy = current.number if current is not None else "a ticket"
    return f"counter {n} is busy with {busy}: finish, hold or transfer it before you {action}", \
        "counter_busy_to_leave", {**values, "ticket": busy}


def ticket_refusal(action: str, ticket: Ticket) -> str:
    """Why ``action`` cannot take ``ticket`` from its state, in the words the API returns."""
    return _ticket_refusal(action, ticket)[0]


def _ticket_refusal(action: str, ticket: Ticket) -> tuple[str, str, dict]:
    state = _words(ticket.state)
    values = {"ticket": ticket.number, "state": ticket.state}
    if action == "call":
        return f"ticket {ticket.number} is {state}, not waiting", "ticket_not_waiting", values
    if action == "return":
        return f"ticket {ticket.number} is {state}, not held", "ticket_not_held", values
    if action == "cancel":
        return f"ticket {ticket.number} is {state}: cannot cancel", "ticket_cannot_cancel", values
    return f"ticket {ticket.number} is {state}", "ticket_state", values


def _refused(reason: tuple[str, str, dict]) -> IllegalTransition:
    message, text, values = reason
    return IllegalTransition(message, text=text, values=values)


def require_counter_state(action: str, counter: Counter, current: Ticket | None) -> None:
    """Refuse when no situation of ``counter``'s state allows ``action`` (its current ticket aside)."""
    if not any(t.action == action and t.counter == counter.state for t in COUNTER_TRANSITIONS):
        raise _refused(_refusal(action, counter, current))


def check(action: str, counter: Counter, current: Ticket | None) -> Transition:
    """The transition of ``action`` at ``counter`` now; IllegalTransition when the table forbids it."""
    found = transition(action, counter.state, current.state if current is not None else IDLE)
    if found is None:
        raise _refused(_refusal(action, counter, current))
    return found


def check_ticket(action: str, ticket: Ticket) -> str:
    """The state ``action`` takes ``ticket`` to; IllegalTransition when the table forbids it."""
    to = ticket_transition(action, ticket.state)
    if to is None:
        raise _refused(_ticket_refusal(action, ticket))
    return to


def follow(actions: tuple[str, ...], counter: str, current: str | None) -> tuple[str, str | None] | None:
    """The situation after applying ``actions`` one after another, or None if one is not allowed."""
    situation = (counter, current)
    for action in actions:
        found = transition(action, *situation)
        if found is None:
            return None
        situation = (found.to_counter, found.to_current)
    return situation


__all__ = ["COUNTER_ACTIONS", "COUNTER_TRANSITIONS", "SITUATIONS", "TICKET_TRANSITIONS", "Transition",
           "allowed_actions", "check", "check_ticket", "follow", "refusal", "require_counter_state",
           "ticket_refusal", "ticket_transition", "transition"]

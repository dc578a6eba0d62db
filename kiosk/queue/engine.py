"""The queue engine: every ticket and counter action, checked and recorded in one transaction.

Plain Python over the store with an injected clock; it knows nothing of HTTP or devices. Each
action writes the state change and its event row(s) in one transaction, then hands the events to
`publish` after commit (the web layer's event bus).
"""
from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.queue import dayend, dossier
from kiosk.queue import events as ev
from kiosk.queue import transitions as tr
from kiosk.queue.clock import Clock, ClockWatch, day_bounds, local_day
from kiosk.queue.errors import IllegalTransition, InvalidInput, LimitReached, NotFound, ServiceClosed
from kiosk.queue.forecast import Place, SimCounter, Waiting, forecast
from kiosk.queue.model import PRIORITIES, Counter, Service, Ticket
from kiosk.queue.priorities import PriorityPolicy, next_for_counter, next_streak

MAX_SEQ = 999  # three digits after the prefix
DEFAULT_SERVICE_SECONDS = 300.0


class StoreLike(Protocol):
    def conn(self) -> sqlite3.Connection: ...

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any: ...


@dataclass(frozen=True)
class QueueSettings:
    """What a centre chooses about its queue."""

    policy: PriorityPolicy = PriorityPolicy()
    auto_no_show_after_recalls: int = 0  # 0 = never automatic
    closing_time: str = dayend.CLOSING_TIME  # "HH:MM": the day ends (kiosk/queue/dayend.py)
    # an officer's no-show needs this many seconds since the (last) call: the citizen must have had time to
    # walk up. 0 here (the bare engine); `[kiosk] no_show_min_s` gives the service's default (60).
    no_show_min_s: int = 0

    def to_json(self) -> str:
        return json.dumps({
            "policy": self.policy.name, "interleave_every": self.policy.interleave_every,
            "priority_bonus_minutes": self.policy.priority_bonus_minutes,
            "auto_no_show_after_recalls": self.auto_no_show_after_recalls, "closing_time": self.closing_time,
            "no_show_min_s": self.no_show_min_s,
        })

    @classmethod
    def from_dict(cls, data: dict[str, Any], base: QueueSettings | None = None) -> QueueSettings:
        base = base or cls()
        try:
            policy = PriorityPolicy(
                name=str(data.get("policy", base.policy.name)),
                interleave_every=int(data.get("interleave_every", base.policy.interleave_every)),
                priority_bonus_minutes=int(data.get("priority_bonus_minutes", base.policy.priority_bonus_minutes)),
            )
            auto = int(data.get("auto_no_show_after_recalls", base.auto_no_show_after_recalls))
            min_s = data.get("no_show_min_s", base.no_show_min_s)
            if isinstance(min_s, bool) or not isinstance(min_s, int | float):
                raise TypeError("no_show_min_s must be a number of seconds")
            min_s = int(min_s)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"bad queue setting: {exc}", text="queue_setting_number") from None
        if not 0 <= auto <= 20:
            raise InvalidInput("auto_no_show_after_recalls must be between 0 and 20", text="field_between",
                               values={"field": "auto_no_show_after_recalls", "low": 0, "high": 20})
        if not 0 <= min_s <= 3600:
            raise InvalidInput("no_show_min_s must be between 0 and 3600", text="field_between",
                               values={"field": "no_show_min_s", "low": 0, "high": 3600})
        closing = dayend.parse_closing_time(data.get("closing_time", base.closing_time))
        return cls(policy=policy, auto_no_show_after_recalls=auto, closing_time=closing, no_show_min_s=min_s)


@dataclass(frozen=True)
class TicketNotes:
    """What an officer wrote on a ticket (kiosk/queue/dossier.py)."""

    dossier_code: str | None = None
    note: str = ""


KEEP: Any = object()  # note_ticket: leave this one as it is


@dataclass(frozen=True)
class IssuedTicket:
    ticket: Ticket
    position: int
    estimated_wait_s: int
    replayed: bool = False  # a retried request: the ticket issued the first time, nothing new


class _Tx:
    """One transaction's connection and the events it will publish."""

    def __init__(self, conn: sqlite3.Connection, day_of: Callable[[float], str], known_day: str | None) -> None:
        self.conn = conn
        self.events: list[ev.Event] = []
        self._day_of = day_of
        self.day = known_day  # the local day whose first event is known to be in `days`

    def record(self, event: ev.Event) -> None:
        row = event.row()
        cur = self.conn.execute(
            "INSERT INTO events (at, type, ticket_id, counter_number, officer_id, service_code, data) "
            "VALUES (:at, :type, :ticket_id, :counter_number, :officer_id, :service_code, :data)",
            row,
        )
        day = self._day_of(event.at)
        if day != self.day:  # the day's first event (or the first this process writes): today's reads start here
            self.conn.execute("INSERT OR IGNORE INTO days (day, first_event_id) VALUES (?, ?)", [day, cur.lastrowid])
            self.day = day
        self.events.append(event)


class QueueEngine:
    """Services, counters and tickets of one centre."""

    def __init__(
        self,
        store: StoreLike,
        clock: Clock,
        settings: QueueSettings | None = None,
        publish: Callable[[ev.Event], None] | None = None,
        default_service_seconds: float = DEFAULT_SERVICE_SECONDS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.publish = publish or (lambda event: None)
        self.default_service_seconds = default_service_seconds
        self._settings = self._load_settings(settings or QueueSettings())
        self._known_day: str | None = None  # kiosk.queue.days: the day whose `days` row is written
        self._clock_watch = ClockWatch(clock)  # a wall-clock step is logged; the queue's order ignores it
        self._day_begun: str | None = None  # the local day whose earlier days this process has ended
        self._ended_through: float | None = None  # the latest day-end cutoff applied (end_day_if_due)

    # -- settings -------------------------------------------------------------------------
    def _load_settings(self, default: QueueSettings) -> QueueSettings:
        row = self.store.conn().execute("SELECT value FROM settings WHERE key = 'queue'").fetchone()
        return QueueSettings.from_dict(json.loads(row["value"]), default) if row else default

    @property
    def settings(self) -> QueueSettings:
        return self._settings

    def update_settings(self, changes: dict[str, Any]) -> QueueSettings:
        """Change the priority policy or automatic no-show; kept in the store."""
        new = QueueSettings.from_dict(changes, self._settings)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES ('queue', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [new.to_json()],
            )
        self._settings = new
        return new

    # -- transactions ---------------------------------------------------------------------
    def _run(self, action: Callable[[_Tx], Any]) -> Any:
        self._clock_watch.check()
        self._begin_day()
        return self._commit(action)

    def _commit(self, action: Callable[[_Tx], Any]) -> Any:
        def body(conn: sqlite3.Connection) -> tuple[Any, _Tx]:
            tx = _Tx(conn, lambda at: local_day(self.clock, at), self._known_day)
            return action(tx), tx

        result, tx = self.store.write(body)
        self._known_day = tx.day
        for event in tx.events:
            self.publish(event)
        return result

    # -- reads ----------------------------------------------------------------------------
    @staticmethod
    def _service(conn: sqlite3.Connection, code: Any) -> Service:
        if not isinstance(code, str) or not code:
            raise InvalidInput("service must be a service code (text)", text="field_text",
                               values={"field": "service"})
        row = conn.execute("SELECT * FROM services WHERE code = ?", [code]).fetchone()
        if row is None:
            raise NotFound(f"no service with code {code!r}", text="no_service", values={"service": code})
        return Service.from_row(row)

    @staticmethod
    def _counter(conn: sqlite3.Connection, number: Any) -> Counter:
        if isinstance(number, bool) or not isinstance(number, int):
            raise InvalidInput("counter must be a counter number", text="field_whole_number",
                               values={"field": "counter"})
        row = conn.execute("SELECT * FROM counters WHERE number = ?", [number]).fetchone()
        if row is None:
            raise NotFound(f"no counter number {number}", text="no_counter", values={"counter": number})
        services = tuple(
            r[0] for r in conn.execute(
                "SELECT service_code FROM counter_services WHERE counter_number = ? ORDER BY rank, service_code",
                [number],
            )
        )
        return Counter(
            number=row["number"], name=row["name"], state=row["state"], pause_reason=row["pause_reason"],
            officer_id=row["officer_id"], current_ticket_id=row["current_ticket_id"],
            normal_streak=row["normal_streak"], services=services,
        )

    @staticmethod
    def _ticket(conn: sqlite3.Connection, ticket_id: Any) -> Ticket:
        if isinstance(ticket_id, bool) or not isinstance(ticket_id, int):
            raise InvalidInput("ticket id must be a whole number", text="ticket_id_number")
        row = conn.execute("SELECT * FROM tickets WHERE id = ?", [ticket_id]).fetchone()
        if row is None:
            raise NotFound(f"no ticket with id {ticket_id}", text="no_ticket")
        return Ticket.from_row(row)

    def services(self) -> list[Service]:
        rows = self.store.conn().execute("SELECT * FROM services ORDER BY sort, code").fetchall()
        return [Service.from_row(r) for r in rows]

    def service(self, code: str) -> Service:
        return self._service(self.store.conn(), code)

    def counters(self) -> list[Counter]:
        conn = self.store.conn()
        return [self._counter(conn, r[0]) for r in conn.execute("SELECT number FROM counters ORDER BY number")]

    def counter(self, number: int) -> Counter:
        return self._counter(self.store.conn(), number)

    def ticket(self, ticket_id: int) -> Ticket:
        return self._ticket(self.store.conn(), ticket_id)

    def current_ticket(self, counter: int) -> Ticket | None:
        c = self.counter(counter)
        return self.ticket(c.current_ticket_id) if c.current_ticket_id else None

    def waiting(self, service: str | None = None) -> list[Ticket]:
        """Waiting tickets in order of issue (ticket id, not the wall clock: the order a FIFO queue serves)."""
        sql = "SELECT * FROM tickets WHERE state = 'waiting'"
        args: list[Any] = []
        if service is not None:
            sql += " AND service_code = ?"
            args.append(service)
        rows = self.store.conn().execute(sql + " ORDER BY id", args).fetchall()
        return [Ticket.from_row(r) for r in rows]

    def ticket_by_number(self, number: Any, day: str | None = None) -> Ticket:
        """Today's (or ``day``'s) ticket of a number such as "A012" (typed by an officer: case and blanks
        do not matter). Numbers are unique in a day: each service has its own prefix."""
        if not isinstance(number, str) or not number.strip():
            raise InvalidInput("number must be a ticket number such as A012", text="ticket_number_format")
        wanted = "".join(number.split()).upper()
        if len(wanted) > 10:
            raise InvalidInput("number must be a ticket number such as A012", text="ticket_number_format")
        row = self.store.conn().execute("SELECT * FROM tickets WHERE day = ? AND number = ? ORDER BY id DESC LIMIT 1",
                                        [day or local_day(self.clock), wanted]).fetchone()
        if row is None:
            raise NotFound(f"no ticket {wanted} today", code="ticket_number_not_found")
        return Ticket.from_row(row)

    def held(self) -> list[Ticket]:
        rows = self.store.conn().execute("SELECT * FROM tickets WHERE state = 'held' ORDER BY id").fetchall()
        return [Ticket.from_row(r) for r in rows]

    def tickets_of_day(self, day: str | None = None) -> list[Ticket]:
        day = day or local_day(self.clock)
        rows = self.store.conn().execute("SELECT * FROM tickets WHERE day = ? ORDER BY id", [day]).fetchall()
        return [Ticket.from_row(r) for r in rows]

    # -- estimates ------------------------------------------------------------------------
    def _mean_service_seconds(self, conn: sqlite3.Connection, service: str) -> float:
        # the index tickets_finished (service_code, state, finished_at) reads the newest 20 and stops
        rows = conn.execute(
            "SELECT finished_at - started_at FROM tickets WHERE service_code = ? AND state = 'done' "
            "AND started_at IS NOT NULL ORDER BY finished_at DESC LIMIT 20",
            [service],
        ).fetchall()
        durations = [r[0] for r in rows if r[0] is not None and r[0] > 0]
        return sum(durations) / len(durations) if durations else self.default_service_seconds

    @staticmethod
    def _counter_services(conn: sqlite3.Connection, counter: int) -> list[tuple[str, int]]:
        """A counter's services as (code, rank), in its order of preference."""
        return [(r[0], r[1]) for r in conn.execute(
            "SELECT service_code, rank FROM counter_services WHERE counter_number = ? ORDER BY rank, service_code",
            [counter])]

    def _forecast(self, conn: sqlite3.Connection, ticket_ids: Iterable[int] | None) -> dict[int, Place]:
        """kiosk.queue.forecast over the waiting tickets and the counters as they are now."""
        waiting = [Waiting(*r) for r in conn.execute(
            "SELECT id, service_code, priority, issued_at, target_counter FROM tickets WHERE state = 'waiting'")]
        ranked: dict[int, list[tuple[str, int]]] = {}
        for number, code, rank in conn.execute(
                "SELECT counter_number, service_code, rank FROM counter_services ORDER BY counter_number, rank, "
                "service_code"):
            ranked.setdefault(number, []).append((code, rank))
        counters = [SimCounter(r[0], tuple(ranked.get(r[0], ())), r[2], r[1] == "open")
                    for r in conn.execute("SELECT number, state, normal_streak FROM counters")]
        return forecast(waiting, counters, self._settings.policy, self.clock.now(),
                        lambda code: self._mean_service_seconds(conn, code),
                        None if ticket_ids is None else set(ticket_ids))

    def forecast(self, ticket_ids: Iterable[int] | None = None) -> dict[int, Place]:
        """The place (position, estimated wait) of each waiting ticket of ``ticket_ids`` (None: all waiting),
        in one simulation of the counters calling next (kiosk/queue/forecast.py); a ticket not waiting has
        no entry."""
        return self._forecast(self.store.conn(), ticket_ids)

    def position(self, ticket_id: int) -> tuple[int, int] | None:
        """(position, estimated wait seconds) of a waiting ticket; None when it is not waiting."""
        conn = self.store.conn()
        ticket = self._ticket(conn, ticket_id)
        if ticket.state != "waiting":
            return None
        place = self._forecast(conn, [ticket.id])[ticket.id]
        return place.position, place.estimated_wait_s

    # -- issuing --------------------------------------------------------------------------
    def issue_ticket(
        self,
        service: str,
        priority: str = "normal",
        channel: str = "kiosk",
        citizen_key: str | None = None,
        request_key: tuple[str, str] | None = None,
        terminal: int | None = None,
    ) -> IssuedTicket:
        """Issue the next number of a service: A001, A002 … restarting each day.

        ``request_key`` (issuer, key) makes the request idempotent for the local day: a retry with the
        same pair returns the ticket the first request issued (``replayed``) and issues nothing. The key
        is stored in the ticket's own transaction, so a request acknowledged before a crash replays too.
        ``terminal`` is the kiosk terminal (its token id) that issued it: its printer prints the ticket.
        """
        if priority not in PRIORITIES:
            raise InvalidInput(f"priority must be one of {', '.join(PRIORITIES)}", text="priority_unknown")

        def action(tx: _Tx) -> IssuedTicket:
            if request_key is not None:
                first = tx.conn.execute(
                    "SELECT ticket_id FROM ticket_requests WHERE issuer = ? AND day = ? AND key = ?",
                    [request_key[0], local_day(self.clock, self.clock.now()), request_key[1]],
                ).fetchone()
                if first is not None:
                    ticket = self._ticket(tx.conn, first[0])
                    known = self._forecast(tx.conn, [ticket.id]).get(ticket.id)  # none: no longer waiting
                    return IssuedTicket(ticket, known.position if known else 0,
                                        known.estimated_wait_s if known else 0, replayed=True)
            svc = self._service(tx.conn, service)
            if not svc.is_open:
                raise ServiceClosed(f"service {svc.code} is not taking tickets now", text="service_closed_now",
                                    values={"service": svc.name})
            now = self.clock.now()
            day = local_day(self.clock, now)
            issued_today = tx.conn.execute(
                "SELECT COUNT(*) FROM tickets WHERE day = ? AND service_code = ?",
                [day, svc.code],
            ).fetchone()[0]
            if svc.daily_limit is not None and issued_today >= svc.daily_limit:
                raise LimitReached(f"service {svc.code} has reached its daily limit of {svc.daily_limit} tickets",
                                   text="daily_limit", values={"service": svc.name, "limit": svc.daily_limit})
            if citizen_key and svc.person_daily_limit is not None:
                mine = tx.conn.execute(
                    "SELECT COUNT(*) FROM tickets WHERE day = ? AND service_code = ? AND citizen_key = ?",
                    [day, svc.code, citizen_key],
                ).fetchone()[0]
                if mine >= svc.person_daily_limit:
                    raise LimitReached(
                        f"this citizen already has {mine} ticket(s) for {svc.code} today "
                        f"(limit {svc.person_daily_limit})",
                        code="person_limit_reached", text="person_daily_limit",
                        values={"count": mine, "service": svc.name, "limit": svc.person_daily_limit},
                    )
            seq = tx.conn.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM tickets WHERE day = ? AND prefix = ?", [day, svc.prefix]
            ).fetchone()[0]
            if seq > MAX_SEQ:
                raise LimitReached(f"no ticket numbers left today for prefix {svc.prefix}", text="prefix_exhausted",
                                   values={"prefix": svc.prefix})
            number = f"{svc.prefix}{seq:03d}"
            cur = tx.conn.execute(
                "INSERT INTO tickets (day, prefix, seq, number, service_code, priority, state, channel, "
                "issued_at, citizen_key, terminal_id) VALUES (?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?, ?)",
                [day, svc.prefix, seq, number, svc.code, priority, channel, now, citizen_key, terminal],
            )
            ticket = self._ticket(tx.conn, cur.lastrowid)
            place = self._forecast(tx.conn, [ticket.id])[ticket.id]
            position, wait = place.position, place.estimated_wait_s
            if request_key is not None:
                tx.conn.execute("INSERT INTO ticket_requests (issuer, day, key, ticket_id) VALUES (?, ?, ?, ?)",
                                [request_key[0], day, request_key[1], ticket.id])
            tx.record(ev.TicketIssued(
                at=now, ticket_id=ticket.id, number=number, service=svc.code, priority=priority, channel=channel,
                position=position, terminal=terminal,
            ))
            return IssuedTicket(ticket, position, wait)

        return self._run(action)

    # -- counter actions ------------------------------------------------------------------
    # Every action is checked against the transitions table (kiosk/queue/transitions.py) before it
    # changes anything, and takes the states it leads to from there.
    def _update_counter(self, tx: _Tx, counter: int, **values: Any) -> None:
        values["updated_at"] = self.clock.now()
        sets = ", ".join(f"{k} = :{k}" for k in values)
        tx.conn.execute(f"UPDATE counters SET {sets} WHERE number = :number", {**values, "number": counter})

    def _update_ticket(self, tx: _Tx, ticket_id: int, **values: Any) -> Ticket:
        sets = ", ".join(f"{k} = :{k}" for k in values)
        tx.conn.execute(f"UPDATE tickets SET {sets} WHERE id = :id", {**values, "id": ticket_id})
        return self._ticket(tx.conn, ticket_id)

    def _situation(self, tx: _Tx, counter: int) -> tuple[Counter, Ticket | None]:
        """A counter and its current ticket (None when it has none)."""
        c = self._counter(tx.conn, counter)
        return c, (self._ticket(tx.conn, c.current_ticket_id) if c.current_ticket_id is not None else None)

    def _checked(self, tx: _Tx, action: str, counter: int) -> tuple[Counter, Ticket | None, tr.Transition]:
        c, current = self._situation(tx, counter)
        return c, current, tr.check(action, c, current)

    def _do_finish(self, tx: _Tx, c: Counter, ticket: Ticket, officer_id: int | None, action: str,
                   service_unknown: bool = False) -> Ticket:
        now = self.clock.now()
        done = self._update_ticket(tx, ticket.id, state=tr.check_ticket(action, ticket), finished_at=now)
        self._update_counter(tx, c.number, current_ticket_id=None)
        tx.record(ev.TicketFinished(
            at=now, ticket_id=ticket.id, number=ticket.number, service=ticket.service, counter=c.number,
            officer_id=officer_id, service_unknown=service_unknown,
        ))
        return done

    def _do_call(self, tx: _Tx, c: Counter, ticket: Ticket, officer_id: int | None) -> Ticket:
        now = self.clock.now()
        called = self._update_ticket(
            tx, ticket.id, state=tr.check_ticket("call", ticket), counter_number=c.number, called_at=now,
            recalls=0, started_at=None, target_counter=None, target_from=None,  # a call fulfils a direction
        )
        self._update_counter(tx, c.number, current_ticket_id=ticket.id,
                             normal_streak=next_streak(ticket, c.normal_streak))
        tx.record(ev.TicketCalled(
            at=now, ticket_id=ticket.id, number=ticket.number, service=ticket.service, priority=ticket.priority,
            counter=c.number, officer_id=officer_id, service_name=self._service(tx.conn, ticket.service).name,
            counter_name=c.name,
        ))
        return called

    @staticmethod
    def _head(conn: sqlite3.Connection, service: str, is_priority: bool) -> Ticket | None:
        """The first waiting ticket of a service's normal or priority group, in queue order (ticket id): one
        seek of the index tickets_queue (a few for the priority categories), however long the queue."""
        if is_priority:
            categories = [p for p in PRIORITIES if p != "normal"]
            row = conn.execute(
                "SELECT * FROM tickets WHERE state = 'waiting' AND service_code = ? "
                f"AND priority IN ({', '.join('?' * len(categories))}) AND target_counter IS NULL "
                "ORDER BY id LIMIT 1",
                [service, *categories]).fetchone()
        else:
            row = conn.execute(
                "SELECT * FROM tickets WHERE state = 'waiting' AND service_code = ? AND priority = 'normal' "
                "AND target_counter IS NULL ORDER BY id LIMIT 1", [service]).fetchone()
        return Ticket.from_row(row) if row is not None else None

    @staticmethod
    def _directed_head(conn: sqlite3.Connection, counter: int, is_priority: bool) -> Ticket | None:
        """The first waiting ticket transferred to ``counter`` of the normal or priority group, in queue order:
        a seek of the partial index tickets_directed (only directed rows)."""
        if is_priority:
            categories = [p for p in PRIORITIES if p != "normal"]
            row = conn.execute(
                "SELECT * FROM tickets WHERE target_counter = ? AND state = 'waiting' "
                f"AND priority IN ({', '.join('?' * len(categories))}) ORDER BY id LIMIT 1",
                [counter, *categories]).fetchone()
        else:
            row = conn.execute(
                "SELECT * FROM tickets WHERE target_counter = ? AND state = 'waiting' AND priority = 'normal' "
                "ORDER BY id LIMIT 1", [counter]).fetchone()
        return Ticket.from_row(row) if row is not None else None

    def call_next(self, counter: int, officer_id: int | None = None, finish_current: bool = False) -> Ticket | None:
        """Call the next waiting ticket for this counter (None when nobody waits).

        ``finish_current``: a ticket being served is finished first (the ``finish_next`` action).
        """

        def action(tx: _Tx) -> Ticket | None:
            name = "finish_next" if finish_current else "next"
            c, current, _ = self._checked(tx, name, counter)
            if current is not None:  # finish_next: the ticket being served is done first
                self._do_finish(tx, c, current, officer_id, name)
                c = self._counter(tx.conn, counter)
            chosen = next_for_counter(
                self._counter_services(tx.conn, counter), lambda code, prio: self._head(tx.conn, code, prio),
                self._settings.policy, c.normal_streak, self.clock.now(),
                directed=lambda prio: self._directed_head(tx.conn, counter, prio))
            return self._do_call(tx, c, chosen, officer_id) if chosen is not None else None

        return self._run(action)

    def call_ticket(self, counter: int, ticket_id: int, officer_id: int | None = None) -> Ticket:
        """Call one particular waiting (or held) ticket of a service this counter serves."""

        def action(tx: _Tx) -> Ticket:
            c, current = self._situation(tx, counter)
            tr.require_counter_state("call", c, current)
            ticket = self._ticket(tx.conn, ticket_id)
            tr.check_ticket("call", ticket)
            if ticket.target_counter not in (None, counter):  # transferred to another counter: only it calls
                raise IllegalTransition(f"ticket {ticket.number} is transferred to counter {ticket.target_counter}",
                                        text="ticket_directed_elsewhere",
                                        values={"ticket": ticket.number, "target": ticket.target_counter})
            if ticket.service not in c.services and ticket.target_counter != counter:
                raise IllegalTransition(f"counter {counter} does not serve {ticket.service}", text="counter_not_serving",
                                        values={"counter": counter, "service": ticket.service})
            tr.check("call", c, current)
            return self._do_call(tx, c, ticket, officer_id)

        return self._run(action)

    def recall(self, counter: int, officer_id: int | None = None) -> Ticket:
        """Call the current ticket again (counted); past the configured count it becomes a no-show."""

        def action(tx: _Tx) -> Ticket:
            c, ticket, _ = self._checked(tx, "recall", counter)
            assert ticket is not None
            now = self.clock.now()
            limit = self._settings.auto_no_show_after_recalls
            if limit and ticket.recalls >= limit:
                return self._do_no_show(tx, c, ticket, officer_id, automatic=True)
            recalled = self._update_ticket(
                tx, ticket.id, state=tr.check_ticket("recall", ticket), recalls=ticket.recalls + 1, called_at=now
            )
            tx.record(ev.TicketRecalled(
                at=now, ticket_id=ticket.id, number=ticket.number, service=ticket.service, priority=ticket.priority,
                counter=counter, officer_id=officer_id, recalls=recalled.recalls,
                service_name=self._service(tx.conn, ticket.service).name, counter_name=c.name,
            ))
            return recalled

        return self._run(action)

    def start(self, counter: int, officer_id: int | None = None) -> Ticket:
        """The called citizen has reached the counter: service begins."""

        def action(tx: _Tx) -> Ticket:
            _, ticket, _ = self._checked(tx, "start", counter)
            assert ticket is not None
            now = self.clock.now()
            started = self._update_ticket(tx, ticket.id, state=tr.check_ticket("start", ticket), started_at=now)
            tx.record(ev.TicketStarted(
                at=now, ticket_id=ticket.id, number=ticket.number, service=ticket.service, counter=counter,
                officer_id=officer_id,
            ))
            return started

        return self._run(action)

    def finish(self, counter: int, officer_id: int | None = None) -> Ticket:
        """Service of the current ticket is over."""

        def action(tx: _Tx) -> Ticket:
            c, ticket, _ = self._checked(tx, "finish", counter)
            assert ticket is not None
            return self._do_finish(tx, c, ticket, officer_id, "finish")

        return self._run(action)

    def finish_unstarted(self, counter: int, officer_id: int | None = None) -> Ticket:
        """A ticket only called is finished at once (the pager card's "finish" on a called ticket): it is
        started and finished in one transaction, and its finish event says ``service_unknown``, so the
        statistics leave it out of the mean service time (unknown, not zero: kiosk.queue.stats.service_time).
        The row's start and finish are the same instant, which the recent mean of the estimates skips
        (``_mean_service_seconds`` counts durations above zero only)."""

        def action(tx: _Tx) -> Ticket:
            c, ticket, _ = self._checked(tx, "start", counter)
            assert ticket is not None
            now = self.clock.now()
            self._update_ticket(tx, ticket.id, state=tr.check_ticket("start", ticket), started_at=now)
            tx.record(ev.TicketStarted(
                at=now, ticket_id=ticket.id, number=ticket.number, service=ticket.service, counter=counter,
                officer_id=officer_id,
            ))
            return self._do_finish(tx, c, self._ticket(tx.conn, ticket.id), officer_id, "finish",
                                   service_unknown=True)

        return self._run(action)

    def _do_no_show(self, tx: _Tx, c: Counter, ticket: Ticket, officer_id: int | None, automatic: bool) -> Ticket:
        now = self.clock.now()
        gone = self._update_ticket(tx, ticket.id, state=tr.check_ticket("no_show", ticket), finished_at=now)
        self._update_counter(tx, c.number, current_ticket_id=None)
        tx.record(ev.TicketNoShow(
            at=now, ticket_id=ticket.id, number=ticket.number, service=ticket.service, counter=c.number,
            officer_id=officer_id, automatic=automatic, recalls=ticket.recalls,
        ))
        return gone

    def no_show(self, counter: int, officer_id: int | None = None) -> Ticket:
        """The called citizen did not come. Refused (``no_show_too_soon``) before ``no_show_min_s`` seconds
        since the last call or recall: a citizen called a moment ago is still walking to the counter."""

        def action(tx: _Tx) -> Ticket:
            c, ticket, _ = self._checked(tx, "no_show", counter)
            assert ticket is not None
            least = self._settings.no_show_min_s
            since = self.clock.now() - ticket.called_at if ticket.called_at is not None else None
            # a negative span is a wall clock stepped back: no wait is known, so nothing is refused
            if least and since is not None and 0 <= since < least:
                raise IllegalTransition(
                    f"ticket {ticket.number} was called {int(since)} s ago; a no-show needs {least} s since the "
                    f"last call", code="no_show_too_soon")
            return self._do_no_show(tx, c, ticket, officer_id, automatic=False)

        return self._run(action)

    def hold(self, counter: int, officer_id: int | None = None, reason: str = "") -> Ticket:
        """Set the current ticket aside (the citizen must fetch a paper); it can return to the queue."""
        reason = _clean_reason(reason, required=False)

        def action(tx: _Tx) -> Ticket:
            _, ticket, _ = self._checked(tx, "hold", counter)
            assert ticket is not None
            now = self.clock.now()
            held = self._update_ticket(tx, ticket.id, state=tr.check_ticket("hold", ticket))
            self._update_counter(tx, counter, current_ticket_id=None)
            tx.record(ev.TicketHeld(
                at=now, ticket_id=ticket.id, number=ticket.number, service=ticket.service, counter=counter,
                officer_id=officer_id, reason=reason,
            ))
            return held

        return self._run(action)

    def return_held(self, ticket_id: int, counter: int | None = None, officer_id: int | None = None) -> Ticket:
        """A held ticket goes back into its queue at its original place."""

        def action(tx: _Tx) -> Ticket:
            ticket = self._ticket(tx.conn, ticket_id)
            to = tr.check_ticket("return", ticket)
            if counter is not None and ticket.counter not in (None, counter):
                raise IllegalTransition(f"ticket {ticket.number} was held by counter {ticket.counter}",
                                        text="ticket_held_elsewhere",
                                        values={"ticket": ticket.number, "holder": ticket.counter})
            back = self._update_ticket(tx, ticket.id, state=to, counter_number=None)
            tx.record(ev.TicketReturned(
                at=self.clock.now(), ticket_id=ticket.id, number=ticket.number, service=ticket.service,
                counter=counter, officer_id=officer_id,
            ))
            return back

        return self._run(action)

    def transfer(
        self, ticket_id: int, service: str | None = None, counter: int | None = None, officer_id: int | None = None,
        to_counter: int | None = None,
    ) -> Ticket:
        """Move a ticket to another service's queue, or direct it to one counter (``to_counter``: only that
        counter calls it, before its ordinary queue; kiosk/queue/priorities.py), or both. It keeps its number
        and original issue time (its place: the ticket id). ``counter`` is the acting officer's counter.

        Without ``service`` a direction keeps the ticket's service (then the same service is fine); the
        target must list the ticket's (new) service. A closed or paused target is allowed: the ticket waits
        for it (the console warns), as a citizen sent to a colleague on a break would. A transfer to a service
        alone clears any direction."""

        def action(tx: _Tx) -> Ticket:
            ticket = self._ticket(tx.conn, ticket_id)
            if service is None and to_counter is None:
                raise InvalidInput("give a service, a counter or both to transfer to", text="transfer_needs_target")
            target = self._service(tx.conn, service) if service is not None else self._service(tx.conn, ticket.service)
            if to_counter is None and target.code == ticket.service:
                raise InvalidInput(f"ticket {ticket.number} is already in {target.code}", text="ticket_same_service",
                                   values={"ticket": ticket.number, "service": target.name})
            if to_counter is not None:
                self._check_target(tx, ticket, target, to_counter)
            to = tr.check_ticket("transfer", ticket)
            if ticket.state in tr.AT_COUNTER:
                if counter is not None and ticket.counter != counter:
                    raise IllegalTransition(f"ticket {ticket.number} belongs to counter {ticket.counter}",
                                            text="ticket_other_counter",
                                            values={"ticket": ticket.number, "holder": ticket.counter})
                holder, current = self._situation(tx, ticket.counter)
                tr.check("transfer", holder, current)
                self._update_counter(tx, holder.number, current_ticket_id=None)
            moved = self._update_ticket(
                tx, ticket.id, state=to, service_code=target.code, counter_number=None,
                called_at=None, started_at=None, recalls=0, target_counter=to_counter,
                target_from=counter if to_counter is not None else None,
            )
            tx.record(ev.TicketTransferred(
                at=self.clock.now(), ticket_id=ticket.id, number=ticket.number, service=target.code,
                from_service=ticket.service, counter=counter, officer_id=officer_id, to_counter=to_counter,
            ))
            return moved

        return self._run(action)

    def _check_target(self, tx: _Tx, ticket: Ticket, target: Service, number: Any) -> None:
        """A counter a ticket may be directed to: it exists, lists the service, and is not where it is now."""
        if isinstance(number, bool) or not isinstance(number, int):
            raise InvalidInput("counter must be a counter number", text="field_whole_number", values={"field": "counter"})
        row = tx.conn.execute("SELECT 1 FROM counters WHERE number = ?", [number]).fetchone()
        if row is None:
            raise NotFound(f"no counter number {number} to transfer to", code="transfer_no_counter",
                           text="transfer_no_counter", values={"ticket": ticket.number, "counter": number})
        if target.code not in self._counter(tx.conn, number).services:
            raise InvalidInput(f"counter {number} does not serve {target.code}", code="transfer_counter_not_serving",
                               text="transfer_counter_not_serving",
                               values={"ticket": ticket.number, "counter": number, "service": target.name})
        here = ticket.counter if ticket.state in tr.AT_COUNTER else ticket.target_counter
        if here == number and target.code == ticket.service:
            raise InvalidInput(f"ticket {ticket.number} is already at counter {number}", code="transfer_same_counter",
                               text="transfer_same_counter", values={"ticket": ticket.number, "counter": number})

    def cancel(self, ticket_id: int, officer_id: int | None = None, reason: str = "") -> Ticket:
        """Cancel a waiting or held ticket."""
        reason = _clean_reason(reason, required=False)

        def action(tx: _Tx) -> Ticket:
            ticket = self._ticket(tx.conn, ticket_id)
            to = tr.check_ticket("cancel", ticket)
            gone = self._update_ticket(tx, ticket.id, state=to, finished_at=self.clock.now(),
                                       target_counter=None, target_from=None)  # a direction only while waiting
            tx.record(ev.TicketCancelled(
                at=self.clock.now(), ticket_id=ticket.id, number=ticket.number, service=ticket.service,
                officer_id=officer_id, reason=reason,
            ))
            return gone

        return self._run(action)

    # -- the dossier code and note (kiosk/queue/dossier.py) ---------------------------------
    def note_ticket(self, ticket_id: int, dossier_code: Any = KEEP, note: Any = KEEP, counter: int | None = None,
                    officer_id: int | None = None) -> TicketNotes:
        """Write the dossier code and/or the note of a ticket (None or "" clears one; KEEP leaves it).

        Only the ticket at COUNTER (called or being served there) or one COUNTER finished at most
        ``dossier.NOTE_WINDOW_S`` ago; COUNTER None (an administrator) skips the counter check, not the others.
        """
        code = dossier_code if dossier_code is KEEP else dossier.clean_code(dossier_code)
        text = note if note is KEEP else dossier.clean_note(note)

        def action(tx: _Tx) -> TicketNotes:
            ticket = self._ticket(tx.conn, ticket_id)
            now = self.clock.now()
            if ticket.state not in ("called", "serving", "done"):
                raise IllegalTransition(f"ticket {ticket.number} is {ticket.state}: no dossier code can be noted",
                                        code="note_refused", text="note_ticket_state",
                                        values={"ticket": ticket.number, "state": ticket.state})
            if counter is not None and ticket.counter != counter:
                raise IllegalTransition(f"ticket {ticket.number} is counter {ticket.counter}'s, not {counter}'s",
                                        code="note_refused", text="note_other_counter",
                                        values={"ticket": ticket.number, "holder": ticket.counter})
            if ticket.state == "done" and (ticket.finished_at is None
                                           or now - ticket.finished_at > dossier.NOTE_WINDOW_S):
                raise IllegalTransition(f"ticket {ticket.number} was finished more than "
                                        f"{dossier.NOTE_WINDOW_S // 60} minutes ago", code="note_refused",
                                        text="note_too_late",
                                        values={"ticket": ticket.number, "minutes": dossier.NOTE_WINDOW_S // 60})
            before = self._notes(tx.conn, ticket.id)
            notes = TicketNotes(before.dossier_code if code is KEEP else code, before.note if text is KEEP else text)
            tx.conn.execute("UPDATE tickets SET dossier_code = ?, note = ? WHERE id = ?",
                            [notes.dossier_code, notes.note or None, ticket.id])
            tx.record(ev.TicketNoted(
                at=now, ticket_id=ticket.id, number=ticket.number, service=ticket.service, counter=counter,
                officer_id=officer_id, dossier_code=notes.dossier_code, note=notes.note,
            ))
            return notes

        return self._run(action)

    @staticmethod
    def _notes(conn: sqlite3.Connection, ticket_id: int) -> TicketNotes:
        row = conn.execute("SELECT dossier_code, note FROM tickets WHERE id = ?", [ticket_id]).fetchone()
        if row is None:
            raise NotFound(f"no ticket with id {ticket_id}", text="no_ticket")
        return TicketNotes(row[0], row[1] or "")

    def ticket_notes(self, ticket_id: int) -> TicketNotes:
        """The dossier code and note of a ticket ((None, "") when none was written)."""
        return self._notes(self.store.conn(), ticket_id)

    def ticket_origin(self, ticket_id: int) -> tuple[str | None, float | None]:
        """(citizen key, booked slot start) of a ticket: the opaque key of the citizen whose card or face took
        it (None: anonymous) and the start of the booking it was checked in from (None: a walk-in)."""
        conn = self.store.conn()
        row = conn.execute("SELECT citizen_key FROM tickets WHERE id = ?", [ticket_id]).fetchone()
        if row is None:
            raise NotFound(f"no ticket with id {ticket_id}", text="no_ticket")
        booked = conn.execute("SELECT slot_start FROM appointments WHERE ticket_id = ? LIMIT 1", [ticket_id]).fetchone()
        return row[0], booked[0] if booked else None

    def last_finished(self, counter: int, within_s: float = dossier.NOTE_WINDOW_S) -> Ticket | None:
        """The ticket COUNTER finished last, if within the last WITHIN_S seconds (today's tickets only)."""
        now = self.clock.now()
        row = self.store.conn().execute(
            "SELECT * FROM tickets WHERE day = ? AND counter_number = ? AND state = 'done' AND finished_at >= ? "
            "ORDER BY finished_at DESC, id DESC LIMIT 1", [local_day(self.clock, now), counter, now - within_s],
        ).fetchone()
        return Ticket.from_row(row) if row is not None else None

    # -- counter state --------------------------------------------------------------------
    def open_counter(self, counter: int, officer_id: int | None = None) -> Counter:
        def action(tx: _Tx) -> Counter:
            _, _, move = self._checked(tx, "open", counter)
            self._update_counter(tx, counter, state=move.to_counter, officer_id=officer_id, pause_reason=None)
            tx.record(ev.CounterOpened(at=self.clock.now(), counter=counter, officer_id=officer_id))
            return self._counter(tx.conn, counter)

        return self._run(action)

    def pause(self, counter: int, reason: Any, officer_id: int | None = None) -> Counter:
        """Pause a counter with a reason (break, meeting, system fault …)."""
        reason = _clean_reason(reason, required=True)

        def action(tx: _Tx) -> Counter:
            _, _, move = self._checked(tx, "pause", counter)
            self._update_counter(tx, counter, state=move.to_counter, pause_reason=reason)
            tx.record(ev.CounterPaused(at=self.clock.now(), counter=counter, officer_id=officer_id, reason=reason))
            return self._counter(tx.conn, counter)

        return self._run(action)

    def resume(self, counter: int, officer_id: int | None = None) -> Counter:
        def action(tx: _Tx) -> Counter:
            _, _, move = self._checked(tx, "resume", counter)
            self._update_counter(tx, counter, state=move.to_counter, pause_reason=None)
            tx.record(ev.CounterResumed(at=self.clock.now(), counter=counter, officer_id=officer_id))
            return self._counter(tx.conn, counter)

        return self._run(action)

    def close_counter(self, counter: int, officer_id: int | None = None) -> Counter:
        def action(tx: _Tx) -> Counter:
            _, _, move = self._checked(tx, "close", counter)
            self._update_counter(tx, counter, state=move.to_counter, pause_reason=None, officer_id=None)
            tx.record(ev.CounterClosed(at=self.clock.now(), counter=counter, officer_id=officer_id))
            return self._counter(tx.conn, counter)

        return self._run(action)

    # -- the day's end (kiosk/queue/dayend.py) ------------------------------------------------
    def end_day(self, cutoff: float | None = None) -> list[Ticket]:
        """End the day at ``cutoff`` (default now): tickets issued before it and not served expire, idle
        counters untouched since close. Returns the expired tickets; ending a day twice does nothing more."""
        return self._commit(lambda tx: self._end_day(tx, self.clock.now() if cutoff is None else cutoff))

    def end_day_if_due(self) -> list[Ticket]:
        """The day-end ticker's call: end the day once its closing time (or the next day) has come."""
        cutoff = dayend.due_cutoff(self.clock, self.clock.now(), self._settings.closing_time)
        if self._ended_through is not None and cutoff <= self._ended_through:
            return []
        expired = self.end_day(cutoff)
        self._ended_through = cutoff
        self._day_begun = local_day(self.clock, cutoff)
        return expired

    def _begin_day(self) -> None:
        """Before the first action of a local day (in this process), end the days before it: the service
        may have been off at closing. Its own transaction: the day ends even if the action is refused."""
        today = local_day(self.clock)
        if today != self._day_begun:
            self._commit(lambda tx: self._end_day(tx, day_bounds(self.clock, today)[0]))
            self._day_begun = today

    def _end_day(self, tx: _Tx, cutoff: float) -> list[Ticket]:
        states = tuple(tr.TICKET_TRANSITIONS[dayend.EXPIRE])
        # the open tickets only (index tickets_waiting by state): O(today) once the days before have ended
        tickets = [Ticket.from_row(r) for r in tx.conn.execute(
            f"SELECT * FROM tickets WHERE state IN ({', '.join('?' * len(states))}) AND issued_at < ? ORDER BY id",
            [*states, cutoff])]
        counters = [(self._counter(tx.conn, r[0]), r[1]) for r in tx.conn.execute(
            "SELECT number, updated_at FROM counters WHERE state != ? ORDER BY number", [tr.CLOSED])]
        todo = dayend.plan(self.clock, cutoff, tickets, counters)
        now = self.clock.now()
        holders = {c.current_ticket_id: c.number for c, _ in counters if c.current_ticket_id is not None}
        expired = []
        for ticket in todo.expire:
            if ticket.id in holders:
                self._update_counter(tx, holders[ticket.id], current_ticket_id=None)
            expired.append(self._update_ticket(
                tx, ticket.id, state=tr.check_ticket(dayend.EXPIRE, ticket), finished_at=now,
                target_counter=None, target_from=None))
            tx.record(ev.TicketExpired(
                at=now, ticket_id=ticket.id, number=ticket.number, service=ticket.service, was=ticket.state,
                day=ticket.day, counter=ticket.counter,
            ))
        for number in todo.close:
            c, current = self._situation(tx, number)
            move = tr.check("close", c, current)
            self._update_counter(tx, number, state=move.to_counter, pause_reason=None, officer_id=None)
            tx.record(ev.CounterClosed(at=now, counter=number))
        return expired

    # -- history --------------------------------------------------------------------------
    def events(self, since_id: int = 0, limit: int = 1000) -> Iterator[tuple[int, ev.Event]]:
        rows = self.store.conn().execute(
            "SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", [since_id, limit]
        ).fetchall()
        for row in rows:
            yield row["id"], ev.event_from_row(dict(row))


def _clean_reason(reason: Any, required: bool) -> str:
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        raise InvalidInput("reason must be text", text="field_text", values={"field": "reason"})
    reason = " ".join(reason.split())
    if required and not reason:
        raise InvalidInput("a reason is required", text="field_required", values={"field": "reason"})
    if len(reason) > 200:
        raise InvalidInput("reason is too long (200 characters at most)", text="field_too_long",
                           values={"field": "reason", "max_len": 200})
    return unicodedata.normalize("NFC", reason)


__all__ = ["KEEP", "QueueEngine", "QueueSettings", "IssuedTicket", "TicketNotes"]

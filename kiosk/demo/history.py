"""`kiosk seed-history`: working days of the demo centre, through the real queue engine on a simulated clock.

Every ticket, call and counter action is a call of the real `QueueEngine` (and ratings, citizens and
their consents and faces go through `kiosk.queue.ratings` and the real `CitizenRegistry`), so the rows
are exactly what a centre's own days write. A discrete-event simulation decides who arrives when and
what each officer does next:

- arrivals in the opening hours (07:30-11:30, 13:30-17:00) with a morning peak and an afternoon bump,
  Mondays busier than Fridays; services weighted; a few per cent in priority categories;
- six counters with their officers: open in the morning, a lunch pause, now and then a short break,
  closed at the end of the day once their queues are empty (or half an hour past closing);
- calls with the centre's priority policy, recalls, no-shows, holds for a missing paper (returned to the
  queue later), transfers to another service, cancellations by citizens who leave, ratings;
- a quarter of the kiosk tickets from citizens who show their CCCD card: new ones are remembered (sealed)
  and asked for face consent, and those who agree are enrolled with invented templates; returning ones
  are recognised by face or card.

The centre grows with the load: the demo's six counters, and one more (with its officer, serving the
services of a demo counter) for every ``TICKETS_PER_COUNTER`` tickets a day beyond them (17 counters at
2,000 a day). Service times then fill about 80 % of the counters' open hours (two to three minutes at
2,000 a day; capped at 15 minutes), so the morning peak builds a queue that drains before lunch.
At the end of each day every ticket is served, a no-show or cancelled, or expired by the engine's own day
end (`QueueEngine.end_day`); nothing is left waiting.

Speed: one transaction per simulated day with ``synchronous = OFF`` (a seed that crashes is simply run
again into a new directory); the connection goes back to ``FULL`` at the end.
"""
from __future__ import annotations

import heapq
import itertools
import math
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.accounts import registry as accounts
from kiosk.citizens.crypto import Vault, load_or_create_key
from kiosk.citizens.face_checks import record_face_check
from kiosk.citizens.registry import CitizenRegistry
from kiosk.demo.centre import DEMO_COUNTERS, DEMO_SERVICES, seed_demo
from kiosk.demo.people import invented_card, invented_face, invented_name
from kiosk.queue.catalog import save_counter
from kiosk.queue.clock import FakeClock, SystemClock, centre_timezone
from kiosk.queue.engine import MAX_SEQ, QueueEngine, QueueSettings
from kiosk.queue.errors import LimitReached
from kiosk.queue.priorities import PriorityPolicy
from kiosk.queue.ratings import rate
from kiosk.reports.rollups import build_days, calendar_days, missing_days
from kiosk.store import open_store

MORNING = (7 * 60 + 30, 11 * 60 + 30)  # minutes after midnight
AFTERNOON = (13 * 60 + 30, 17 * 60)
LATE_S = 30 * 60  # counters keep serving their queue this long past a session's end
# relative arrivals per half hour of each session: the morning peak, the afternoon bump
MORNING_WEIGHTS = (0.6, 1.2, 1.6, 1.7, 1.5, 1.2, 0.9, 0.6)
AFTERNOON_WEIGHTS = (0.8, 1.1, 1.3, 1.2, 0.9, 0.7, 0.4)
WEEKDAY_FACTOR = (1.15, 1.0, 0.95, 1.0, 0.9)  # Monday .. Friday
SERVICE_WEIGHTS = {"HT": 0.25, "DD": 0.15, "KD": 0.12, "XD": 0.08, "LD": 0.12, "CT": 0.28}
SERVICE_LENGTH = {"HT": 1.0, "DD": 1.5, "KD": 1.3, "XD": 1.4, "LD": 1.0, "CT": 0.5}  # relative service time
PRIORITY_WEIGHTS = {"normal": 95.5, "elderly": 2.5, "disabled": 0.6, "pregnant": 0.8, "merit": 0.6}
SCORE_WEIGHTS = {5: 55, 4: 28, 3: 11, 2: 4, 1: 2}
COMMENTS = ("Cán bộ nhiệt tình, hướng dẫn rõ ràng", "Chờ hơi lâu", "Thủ tục nhanh gọn", "Cần thêm ghế chờ")
BREAKS = ("Nghỉ giải lao", "Họp giao ban", "Sự cố máy tính", "Tiếp khách")
LUNCH = "Nghỉ trưa"
UTILISATION = 0.8
TICKETS_PER_COUNTER = 120  # a busy officer's day at a quick service
OVERHEAD_S = 30.0  # per ticket at a counter besides walk and service: calling, recalls, the officer's pace
MAX_SERVICE_S = 15 * 60
TEMPLATES_PER_FACE = 3  # [vision] enrol_templates' default
# shares of what happens (per ticket unless said otherwise)
P_COUNTER_ISSUED = 0.08  # issued by an officer at the counter, not at a kiosk
P_CARD = 0.25  # of kiosk tickets: the citizen shows a CCCD card (or is recognised)
P_RETURNING = 0.45  # of those: a citizen seen before
P_FACE_CONSENT, P_FACE_DECLINE = 0.45, 0.35  # a new citizen's answer (the rest walk past the question)
P_BY_FACE = 0.7  # an enrolled returning citizen is recognised by face rather than showing the card
P_NOT_ME = 0.02  # a face match the citizen rejects ("not me"): then the card
P_ABSENT = 0.05  # called, never comes: recalls, then no-show
P_LATE = 0.08  # called, comes only after a recall
P_HOLD, P_TRANSFER = 0.015, 0.02  # of served tickets
P_FINISH_NEXT = 0.3  # the officer finishes and calls the next in one press
P_CANCEL = 0.01  # leaves while waiting
P_RATED = 0.3  # of finished tickets
P_BREAK = 0.004  # per call, in the core hours: a short pause


class HistoryError(RuntimeError):
    """The history cannot be seeded here (e.g. the data directory is not empty)."""


@dataclass
class HistorySummary:
    days: int
    first_day: str
    last_day: str
    tickets: int
    refused: int
    events: int
    citizens: int
    templates: int
    ratings: int
    db_bytes: int
    seconds: float

    def lines(self) -> list[str]:
        return [
            f"days:      {self.days} working days, {self.first_day} .. {self.last_day}",
            f"tickets:   {self.tickets:,} ({self.refused:,} refused at the daily limits)",
            f"events:    {self.events:,}",
            f"citizens:  {self.citizens:,} ({self.templates:,} face templates)",
            f"ratings:   {self.ratings:,}",
            f"database:  {self.db_bytes / 1e6:.1f} MB",
            f"time:      {self.seconds:.1f} s ({self.tickets / max(self.seconds, 1e-9):,.0f} tickets/s)",
        ]


def working_days(count: int, last: date) -> list[date]:
    """The ``count`` weekdays (Monday-Friday) up to and including ``last``, oldest first."""
    out: list[date] = []
    day = last
    while len(out) < count:
        if day.weekday() < 5:
            out.append(day)
        day -= timedelta(days=1)
    return out[::-1]


def check_empty(data_dir: Path) -> None:
    if data_dir.exists() and not data_dir.is_dir():
        raise HistoryError(f"{data_dir} is a file, not a data directory")
    if data_dir.exists() and any(data_dir.iterdir()):
        raise HistoryError(f"{data_dir} is not empty: seed-history fills a new, empty data directory only "
                           "(it never adds to a centre's own data); choose another --data-dir")


def seed_history(config: Any, days: int, per_day: int, seed: int = 0, last_day: date | None = None,
                 progress: Callable[[str], None] | None = None) -> tuple[HistorySummary, dict[str, str]]:
    """Fill ``config.data_dir`` (empty) with the demo centre and ``days`` working days of about ``per_day``
    tickets each, ending ``last_day`` (default: yesterday, the centre's time); returns the summary and the
    demo's logins (to be shown once)."""
    if days < 0 or per_day < 1:
        raise HistoryError("--days must be 0 or more and --per-day at least 1")
    data_dir = Path(config.data_dir)
    check_empty(data_dir)
    started = time.monotonic()
    tz = centre_timezone(config.timezone)
    last_day = last_day or (datetime.now(tz).date() - timedelta(days=1))
    calendar = working_days(days, last_day)
    store = open_store(data_dir)
    try:
        logins = seed_demo(store)
        assert logins is not None  # a new store
        conn = store.conn()
        conn.execute("PRAGMA synchronous = OFF")  # see the module doc; back to FULL below
        conn.execute("PRAGMA cache_size = -131072")  # 128 MiB: the indexes of a year stay in memory
        _lift_daily_limits(conn, per_day)
        logins.update(_add_counters(store, per_day))
        clock = FakeClock(datetime.combine(calendar[0] if calendar else last_day, datetime.min.time(), tz), tz=tz)
        settings = QueueSettings(
            policy=PriorityPolicy(config.priority_policy, config.interleave_every, config.priority_bonus_minutes),
            auto_no_show_after_recalls=config.auto_no_show_after_recalls,
        )
        engine = QueueEngine(store, clock, settings, default_service_seconds=config.default_service_minutes * 60)
        vault = Vault(load_or_create_key(Path(config.key_file or data_dir / "keys" / "citizen.key")))
        centre = _Centre(engine, CitizenRegistry(store, vault, clock), config.consent_text_version, per_day, seed)
        refused = 0
        every = max(1, len(calendar) // 20)
        for i, day in enumerate(calendar, 1):
            with store.transaction():
                refused += _Day(centre, day, random.Random(f"{seed}:{day.isoformat()}")).run()
            if progress and (i % every == 0 or i == len(calendar)):
                progress(f"  {day.isoformat()}  day {i}/{len(calendar)}  {centre.tickets:,} tickets  "
                         f"{time.monotonic() - started:.0f} s")
        if calendar:
            # the report rollups a running centre would have built by now (hourly), so a seeded store's
            # first year report reads rollups, not a year of events
            if progress:
                progress("  report rollups ...")
            now = SystemClock(tz)
            build_days(store, now, missing_days(conn, now, calendar_days(calendar[0], calendar[-1])))
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = conn.execute(
            "SELECT (SELECT COUNT(*) FROM tickets), (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM citizens), "
            "(SELECT COUNT(*) FROM ratings)").fetchone()
        summary = HistorySummary(
            days=len(calendar), first_day=calendar[0].isoformat() if calendar else "-",
            last_day=calendar[-1].isoformat() if calendar else "-",
            tickets=counts[0], refused=refused, events=counts[1], citizens=counts[2],
            templates=centre.templates, ratings=counts[3], db_bytes=_db_bytes(data_dir),
            seconds=time.monotonic() - started)
    finally:
        store.close()
    return summary, logins


def counters_for(per_day: int) -> int:
    return max(len(DEMO_COUNTERS), math.ceil(per_day / TICKETS_PER_COUNTER))


def _add_counters(store: Any, per_day: int) -> dict[str, str]:
    """Counters 7, 8 ... for a centre busier than the demo ward, each like a demo counter, with an officer."""
    logins: dict[str, str] = {}
    rng = random.Random("officers")
    with store.transaction() as tx:
        for number in range(len(DEMO_COUNTERS) + 1, counters_for(per_day) + 1):
            save_counter(tx, number, f"Quầy {number}", DEMO_COUNTERS[(number - 1) % len(DEMO_COUNTERS)][2], True)
            password = secrets.token_urlsafe(9)
            accounts.create_user(tx, f"quay{number}", password, "officer", invented_name(rng), counter=number)
            logins[f"quay{number}"] = password
    return logins


def _db_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.glob("kiosk.db*"))


def _lift_daily_limits(conn: Any, per_day: int) -> None:
    """The demo's daily limits fit a ward; a bigger day gets room for its busiest Monday."""
    busiest = per_day * max(WEEKDAY_FACTOR) * 1.3
    for svc in DEMO_SERVICES:
        room = min(MAX_SEQ, math.ceil(busiest * SERVICE_WEIGHTS[svc["code"]]))
        conn.execute("UPDATE services SET daily_limit = MAX(daily_limit, ?) WHERE code = ?", [room, svc["code"]])


@dataclass
class _Citizen:
    id: int
    card: dict[str, Any]
    has_face: bool


class _Centre:
    """What lasts from day to day: the engine, the registry, the officers and the citizens met so far."""

    def __init__(self, engine: QueueEngine, registry: CitizenRegistry, consent_version: str, per_day: int,
                 seed: int) -> None:
        self.engine, self.registry, self.consent_version = engine, registry, consent_version
        conn = engine.store.conn()
        self.officers = {r[0]: r[1] for r in conn.execute(
            "SELECT counter_number, id FROM users WHERE role = 'officer' AND counter_number IS NOT NULL")}
        self.terminals = [r[0] for r in conn.execute("SELECT token_id FROM terminals ORDER BY token_id")]
        self.counters = {c.number: c.services for c in engine.counters()}
        self.citizens: list[_Citizen] = []
        self.rng = random.Random(f"{seed}:citizens")
        self.per_day = per_day
        self.tickets = 0
        self.templates = 0
        budget = UTILISATION * len(self.counters) * (
            (MORNING[1] - MORNING[0]) + (AFTERNOON[1] - AFTERNOON[0])) * 60 / per_day
        self.walk_s = min(60.0, 0.15 * budget)
        self.service_s = min(MAX_SERVICE_S, max(20.0, budget - self.walk_s - OVERHEAD_S))


class _Day:
    """One working day as a discrete-event simulation: a heap of (time, order, action, arguments)."""

    def __init__(self, centre: _Centre, day: date, rng: random.Random) -> None:
        self.c, self.day, self.rng = centre, day, rng
        self.dossiers = 0  # the day's dossier codes so far (the one-door system numbers them per day)
        self.engine = centre.engine
        tz = self.engine.clock.tz
        self.midnight = datetime.combine(day, datetime.min.time(), tz).timestamp()
        self.heap: list[tuple[float, int, str, tuple[Any, ...]]] = []
        self.order = itertools.count()
        self.idle: set[int] = set()  # open counters with nobody to call
        self.phase = "closed"  # closed, morning, lunch, afternoon, evening
        self.refused = 0

    def at(self, minutes: float) -> float:
        return self.midnight + minutes * 60

    def push(self, t: float, action: str, *args: Any) -> None:
        heapq.heappush(self.heap, (t, next(self.order), action, args))

    # -- the day ----------------------------------------------------------------------------
    def run(self) -> int:
        self._arrivals()
        for n in self.c.counters:
            self.push(self.at(MORNING[0]) + self.rng.uniform(0, 600), "open", n)
        self.push(self.at(MORNING[0]), "phase", "morning")
        self.push(self.at(MORNING[1]), "phase", "lunch")
        self.push(self.at(MORNING[1]) + LATE_S, "phase", "lunch_late")
        self.push(self.at(AFTERNOON[0]), "phase", "afternoon")
        self.push(self.at(AFTERNOON[1]), "phase", "evening")
        self.push(self.at(AFTERNOON[1]) + LATE_S, "phase", "evening_late")
        clock = self.engine.clock
        while self.heap:
            t, _, action, args = heapq.heappop(self.heap)
            clock.set(max(t, clock.now()))
            getattr(self, f"_on_{action}")(*args)
        self._close_day()
        return self.refused

    def _arrivals(self) -> None:
        rng = self.rng
        n = max(1, round(self.c.per_day * WEEKDAY_FACTOR[self.day.weekday()] * rng.uniform(0.92, 1.08)))
        slots = [(MORNING[0] + 30 * i, w) for i, w in enumerate(MORNING_WEIGHTS)]
        slots += [(AFTERNOON[0] + 30 * i, w) for i, w in enumerate(AFTERNOON_WEIGHTS)]
        starts = rng.choices([s for s, _ in slots], weights=[w for _, w in slots], k=n)
        services, weights = list(SERVICE_WEIGHTS), list(SERVICE_WEIGHTS.values())
        priorities, p_weights = list(PRIORITY_WEIGHTS), list(PRIORITY_WEIGHTS.values())
        for start in starts:
            t = self.at(start + rng.uniform(0, 30))
            self.push(t, "arrive", rng.choices(services, weights)[0], rng.choices(priorities, p_weights)[0])

    def _close_day(self) -> None:
        engine = self.engine
        engine.end_day()  # the engine's own day end: what is left expires (ticket_expired)
        for counter in engine.counters():
            if counter.state != "closed":
                if counter.state == "open" and counter.current_ticket_id is not None:
                    raise HistoryError(f"counter {counter.number} still has a ticket at the day's end")
                engine.close_counter(counter.number, self.c.officers.get(counter.number))
        left = engine.store.conn().execute(
            "SELECT COUNT(*) FROM tickets WHERE day = ? AND state IN ('waiting', 'called', 'serving', 'held')",
            [self.day.isoformat()]).fetchone()[0]
        if left:
            raise HistoryError(f"{left} ticket(s) of {self.day} still open at the day's end")

    # -- events -----------------------------------------------------------------------------
    def _on_phase(self, phase: str) -> None:
        self.phase = phase
        if phase in ("lunch", "lunch_late", "evening", "evening_late"):
            for n in sorted(self.idle):  # an idle counter pauses or closes now
                self.idle.discard(n)
                self.push(self.engine.clock.now(), "free", n)

    def _on_open(self, n: int) -> None:
        self.engine.open_counter(n, self.c.officers.get(n))
        self.push(self.engine.clock.now(), "free", n)

    def _on_resume(self, n: int) -> None:
        self.engine.resume(n, self.c.officers.get(n))
        self.push(self.engine.clock.now(), "free", n)

    def _on_arrive(self, service: str, priority: str) -> None:
        rng, c = self.rng, self.c
        channel, terminal, key = "kiosk", rng.choice(c.terminals), None
        if rng.random() < P_COUNTER_ISSUED:
            channel, terminal = "counter", None
        elif rng.random() < P_CARD:
            key, elderly = self._citizen()
            if elderly and priority == "normal" and rng.random() < 0.5:
                priority = "elderly"  # the kiosk proposes it to a citizen of 60 or more
        try:
            issued = self.engine.issue_ticket(service, priority, channel=channel, citizen_key=key, terminal=terminal)
        except LimitReached:
            self.refused += 1
            return
        c.tickets += 1
        if rng.random() < P_CANCEL:
            self.push(self.engine.clock.now() + rng.uniform(600, 3600), "leave", issued.ticket.id)
        self._wake(service)

    def _citizen(self) -> tuple[str, bool]:
        """A citizen at the kiosk, through the registry as the kiosk flow does: (lookup key, is 60 or more)."""
        rng, c, registry = self.rng, self.c, self.c.registry
        engine = self.engine
        if c.citizens and rng.random() < P_RETURNING:
            who = rng.choice(c.citizens)
            if who.has_face and rng.random() < P_BY_FACE:
                outcome = "rejected" if rng.random() < P_NOT_ME else "confirmed"
                record_face_check(engine.store.conn(), outcome, engine.clock.now(), self.day.isoformat(),
                                  rng.choice(c.terminals))
                if outcome == "confirmed":
                    ref = registry.seen(who.id)
                    return ref.lookup, ref.proposes_elderly
            ref = registry.remember_card(who.card)
            return ref.lookup, ref.proposes_elderly
        card = invented_card(c.rng, self.day)
        ref = registry.remember_card(card)
        who = _Citizen(ref.id, card, False)
        c.citizens.append(who)
        answer = rng.random()
        if answer < P_FACE_CONSENT:
            from kiosk.vision.gallery import template_to_bytes

            consent = registry.record_consent(ref.id, True, c.consent_version)
            templates = invented_face(c.rng, TEMPLATES_PER_FACE)
            registry.enrol_face(ref.id, [template_to_bytes(t) for t in templates], consent)
            who.has_face = True
            c.templates += len(templates)
        elif answer < P_FACE_CONSENT + P_FACE_DECLINE:
            registry.record_consent(ref.id, False, c.consent_version)
        return ref.lookup, ref.proposes_elderly

    def _wake(self, service: str) -> None:
        """A ticket is waiting in ``service``: an idle counter serving it calls, a few seconds later."""
        for n in sorted(self.idle):
            if service in self.c.counters[n]:
                self.idle.discard(n)
                self.push(self.engine.clock.now() + self.rng.uniform(3, 20), "free", n)
                return

    def _on_free(self, n: int) -> None:
        """Counter ``n`` has nobody at it: pause, close, or call the next."""
        engine, rng, officer = self.engine, self.rng, self.c.officers.get(n)
        if self.phase in ("lunch_late", "evening_late"):
            self._stop(n)
            return
        if self.phase == "morning" or self.phase == "afternoon":
            core = self.phase == "morning" and self.at(MORNING[0] + 60) < engine.clock.now() < self.at(MORNING[1] - 30)
            core = core or (self.phase == "afternoon" and engine.clock.now() < self.at(AFTERNOON[1] - 30))
            if core and rng.random() < P_BREAK:
                engine.pause(n, rng.choice(BREAKS), officer)
                self.push(engine.clock.now() + rng.uniform(300, 900), "resume", n)
                return
        ticket = engine.call_next(n, officer)
        self._called(n, ticket)

    def _stop(self, n: int) -> None:
        engine, officer = self.engine, self.c.officers.get(n)
        if self.phase.startswith("lunch"):
            engine.pause(n, LUNCH, officer)
            self.push(self.at(AFTERNOON[0]) + self.rng.uniform(0, 300), "resume", n)
        else:
            engine.close_counter(n, officer)

    def _called(self, n: int, ticket: Any) -> None:
        rng, now = self.rng, self.engine.clock.now()
        if ticket is None:
            if self.phase in ("lunch", "evening"):
                self._stop(n)  # the session is over and nobody waits
            else:
                self.idle.add(n)
            return
        roll = rng.random()
        if roll < P_ABSENT:
            self.push(now + rng.uniform(45, 90), "recall", n, ticket.id, rng.choice((1, 2)))
        elif roll < P_ABSENT + P_LATE:
            self.push(now + rng.uniform(45, 90), "recall", n, ticket.id, 0)
        else:
            self.push(now + self._walk(), "start", n, ticket.id)

    def _walk(self) -> float:
        return self.rng.uniform(0.3, 1.7) * self.c.walk_s

    def _on_recall(self, n: int, ticket_id: int, more: int) -> None:
        """A recall; ``more``: recalls still to come before the no-show (0: the citizen comes now)."""
        engine, rng = self.engine, self.rng
        engine.recall(n, self.c.officers.get(n))
        if engine.ticket(ticket_id).state == "no_show":  # past the centre's automatic no-show limit
            self.push(engine.clock.now() + rng.uniform(5, 20), "free", n)
        elif more == 0:
            self.push(engine.clock.now() + self._walk(), "start", n, ticket_id)
        elif more == 1:
            self.push(engine.clock.now() + rng.uniform(45, 90), "no_show", n, ticket_id)
        else:
            self.push(engine.clock.now() + rng.uniform(45, 90), "recall", n, ticket_id, more - 1)

    def _on_no_show(self, n: int, ticket_id: int) -> None:
        self.engine.no_show(n, self.c.officers.get(n))
        self.push(self.engine.clock.now() + self.rng.uniform(5, 20), "free", n)

    def _on_start(self, n: int, ticket_id: int) -> None:
        ticket = self.engine.start(n, self.c.officers.get(n))
        mean = self.c.service_s * SERVICE_LENGTH[ticket.service]
        length = self.rng.lognormvariate(math.log(mean) - 0.125, 0.5)  # mean ``mean``
        self.push(self.engine.clock.now() + length, "end", n, ticket_id)

    def _on_end(self, n: int, ticket_id: int) -> None:
        """Service is over: finished (maybe calling the next at once), held for a paper, or transferred."""
        engine, rng, officer = self.engine, self.rng, self.c.officers.get(n)
        now = engine.clock.now()
        roll = rng.random()
        if roll < P_HOLD:
            engine.hold(n, officer, "Bổ sung giấy tờ")
            self.push(now + rng.uniform(300, 1500), "return", n, ticket_id)
        elif roll < P_HOLD + P_TRANSFER:
            ticket = engine.ticket(ticket_id)
            target = rng.choice([s for s in SERVICE_WEIGHTS if s != ticket.service])
            engine.transfer(ticket_id, target, counter=n, officer_id=officer)
            self._wake(target)
        elif self.phase in ("morning", "afternoon") and rng.random() < P_FINISH_NEXT:
            self._dossier(n, ticket_id, officer)
            self._finished(ticket_id)
            self._called(n, engine.call_next(n, officer, finish_current=True))
            return
        else:
            self._dossier(n, ticket_id, officer)
            engine.finish(n, officer)
            self._finished(ticket_id)
        self.push(now + rng.uniform(5, 30), "free", n)

    def _dossier(self, n: int, ticket_id: int, officer: int | None) -> None:
        """Most files received get the one-door system's dossier code, typed on the console before the finish;
        chosen by the ticket id, not the day's random stream, so the rest of the history is as it was."""
        if ticket_id % 5 >= 3:
            return
        self.dossiers += 1
        note = "Hẹn trả kết quả sau 3 ngày làm việc" if ticket_id % 11 == 0 else ""
        self.engine.note_ticket(ticket_id, f"000.00.12.H26-{self.day:%y%m%d}-{self.dossiers:04d}", note, counter=n,
                                officer_id=officer)

    def _finished(self, ticket_id: int) -> None:
        if self.rng.random() < P_RATED:
            self.push(self.engine.clock.now() + self.rng.uniform(30, 600), "rate", ticket_id)

    def _on_rate(self, ticket_id: int) -> None:
        rng = self.rng
        score = rng.choices(list(SCORE_WEIGHTS), list(SCORE_WEIGHTS.values()))[0]
        rate(self.engine, ticket_id, score, rng.choice(COMMENTS) if rng.random() < 0.05 else "")

    def _on_return(self, n: int, ticket_id: int) -> None:
        """The citizen is back with the paper: the held ticket returns to its place in the queue."""
        if self.phase in ("evening", "evening_late"):
            return  # too late today: the day end takes it
        ticket = self.engine.return_held(ticket_id, counter=n, officer_id=self.c.officers.get(n))
        self._wake(ticket.service)

    def _on_leave(self, ticket_id: int) -> None:
        """A citizen gives up waiting; the officer cancels the ticket."""
        ticket = self.engine.ticket(ticket_id)
        if ticket.state == "waiting":
            serving = [n for n, services in self.c.counters.items() if ticket.service in services]
            self.engine.cancel(ticket_id, self.c.officers.get(serving[0]), "Công dân không chờ nữa")

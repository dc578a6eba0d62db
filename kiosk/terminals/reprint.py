"""A copy of the last ticket issued at a kiosk terminal ("In lại phiếu"), for a short while after its issue.

The rule (:func:`check_reprint`, the one copy of it): only the last ticket issued at *this* terminal, within
``[kiosk] reprint_window_s`` (60 s) of its issue, at most ``reprint_max_copies`` (2) copies. Anything else is
refused with a specific Vietnamese sentence (kiosk/texts/vi.py REFUSALS). A copy is no new ticket and no new
number: the terminal's printer worker prints the same ticket marked "BẢN IN LẠI" (kiosk.display.printing).

Each copy is written to the append-only audit log (action ``ticket_reprint``; the kiosk token as actor; the
ticket's id, number and copy number as detail; no citizen) in the same transaction that counts the copies
before it, so two presses at once never make a third copy; staff read it at ``GET /api/v1/audit``.
A copy is refused while the terminal's printer reports it cannot print (the number stays on the screen).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from kiosk.queue.errors import NotFound, QueueError

log = logging.getLogger(__name__)

__all__ = ["ACTION", "ReprintRefused", "Reprints", "check_reprint", "flow_reprint"]

ACTION = "ticket_reprint"


class ReprintRefused(QueueError):
    """A copy that the rule refuses (``code``: reprint_expired, reprint_limit, reprint_not_last, reprint_printer)."""

    status = 409


def check_reprint(*, issued_at: float, now: float, copies: int, window_s: int, max_copies: int,
                  number: str, last_here: bool) -> None:
    """Raise ReprintRefused unless a copy of this ticket may be printed now (``copies``: made before)."""
    if not last_here:
        raise ReprintRefused(f"ticket {number} is not the last ticket issued at this kiosk", "reprint_not_last",
                             text="reprint_not_last", values={"ticket": number})
    if window_s <= 0 or now - issued_at > window_s:
        raise ReprintRefused(f"ticket {number} was issued more than {window_s} s ago", "reprint_expired",
                             text="reprint_expired", values={"ticket": number, "seconds": window_s})
    if copies >= max_copies:
        raise ReprintRefused(f"ticket {number} was already reprinted {copies} times", "reprint_limit",
                             text="reprint_limit", values={"ticket": number, "count": copies})


@dataclass(frozen=True)
class Copy:
    """A copy accepted: which one, and how many more may follow."""

    ticket_id: int
    number: str
    copy: int
    copies_left: int
    window_s: int

    def to_api(self) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "number": self.number, "copy": self.copy,
                "copies_left": self.copies_left, "window_s": self.window_s}


def _copies(conn: Any, ticket_id: int, terminal_id: int, since: float) -> int:
    """Copies of ``ticket_id`` already recorded: the audit log read newest first, only back to the ticket's issue
    (the audit log has no index but its id, and grows for years: this reads the last minute's rows)."""
    count = 0
    rows = conn.execute("SELECT at, action, actor_kind, actor_id, detail FROM audit_log ORDER BY id DESC")
    for row in rows:
        if row["at"] < since:
            break
        if row["action"] == ACTION and row["actor_kind"] == "token" and row["actor_id"] == terminal_id:
            try:
                count += json.loads(row["detail"]).get("ticket_id") == ticket_id
            except ValueError:
                continue
    return count


class Reprints:
    """Checks, records and queues copies (kiosk.app.KioskServices is ``kiosk``)."""

    def __init__(self, kiosk: Any) -> None:
        self.kiosk = kiosk

    def reprint(self, ticket_id: int, terminal_id: int) -> Copy:
        """A copy of ``ticket_id`` asked for at ``terminal_id``: recorded, then queued on its printer."""
        from kiosk.display.printing import Reprint

        config, store = self.kiosk.config, self.kiosk.store
        printers = self.kiosk.devices.printers if self.kiosk.devices is not None else None
        station = printers.station_of(terminal_id) if printers is not None else None  # where its tickets print
        with store.transaction() as conn:
            row = conn.execute("SELECT number, issued_at, terminal_id FROM tickets WHERE id = ?",
                               [ticket_id]).fetchone()
            if row is None:
                raise NotFound(f"no ticket {ticket_id}", text="no_ticket")
            now = self.kiosk.clock.now()
            last_here, copies = row["terminal_id"] == terminal_id, 0
            if last_here and now - row["issued_at"] <= config.reprint_window_s:
                # Within the window only, so both reads stay within the last minute's rows whatever the history:
                # a later ticket here closes the window (a primary-key range), and the copies made so far.
                last_here = conn.execute("SELECT 1 FROM tickets WHERE id > ? AND terminal_id = ? LIMIT 1",
                                         [ticket_id, terminal_id]).fetchone() is None
                copies = _copies(conn, ticket_id, terminal_id, since=row["issued_at"])
            check_reprint(issued_at=row["issued_at"], now=now, copies=copies, window_s=config.reprint_window_s,
                          max_copies=config.reprint_max_copies, number=row["number"], last_here=last_here)
            if station is None or not station.ok:
                raise ReprintRefused(f"the printer of terminal {terminal_id} cannot print", "reprint_printer",
                                     text="reprint_printer", values={"ticket": row["number"]})
            copy = copies + 1
            detail = json.dumps({"ticket_id": ticket_id, "number": row["number"], "copy": copy})
            conn.execute("INSERT INTO audit_log (at, actor_kind, actor_id, actor_role, action, citizen_id, detail) "
                         "VALUES (?, 'token', ?, 'kiosk', ?, NULL, ?)",
                         [now, terminal_id, ACTION, detail])
        station.printing.reprint(Reprint(ticket_id, terminal_id, copy))
        log.info("ticket %s reprinted at terminal %d (copy %d)", row["number"], terminal_id, copy)
        return Copy(ticket_id, row["number"], copy, config.reprint_max_copies - copy, config.reprint_window_s)


def flow_reprint(kiosk: Any, terminal_id: int):
    """The touch-free session's ``reprint(ticket_id) -> (ok, vi, en, more)`` of one terminal (kiosk.session.flow)."""
    from kiosk.texts.vi import error_vi

    def reprint(ticket_id: int) -> tuple[bool, str, str, bool]:
        try:
            copy = Reprints(kiosk).reprint(ticket_id, terminal_id)
        except QueueError as exc:  # the printer may come back; the window and the count do not
            return False, error_vi(exc.code, exc.text, exc.values), exc.message, exc.code == "reprint_printer"
        return (True, f"Đang in lại phiếu số {copy.number} (bản in lại thứ {copy.copy}).",
                f"Reprinting ticket {copy.number} (copy {copy.copy}).", copy.copies_left > 0)

    return reprint

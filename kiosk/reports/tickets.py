"""The list of tickets of a period, one row per ticket (GET /api/v1/reports/tickets, docs/reports.md).

Each row is the ticket's fact replayed from its events (kiosk/reports/replay.py: the same definitions of
wait, service time, counter and officer as the aggregate reports), with its number, priority and the dossier
code and note an officer wrote on it (kiosk/queue/dossier.py; the tickets table keeps the newest). For the
managers of the centre only: it names officers and carries the notes, so it never leaves the centre.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kiosk.queue.clock import Clock, iso
from kiosk.reports import labels as vi
from kiosk.reports.query import FORMATS, ReportError, _date
from kiosk.reports.replay import replay
from kiosk.reports.rollups import calendar_days

MAX_DAYS = 31  # a month of a busy centre is ~60,000 rows: enough for one download
OUTCOMES_VI = {"waiting": "Đang chờ", "called": "Đã gọi", "serving": "Đang phục vụ", "held": "Đang tạm giữ",
               "done": "Đã phục vụ", "no_show": "Vắng mặt", "cancelled": "Đã hủy",
               "expired": "Hết giờ, chưa phục vụ"}
# row key -> column title of the CSV/XLSX
COLUMNS_VI = {
    "day_vi": "Ngày", "number": "Số thứ tự", "service_name": "Lĩnh vực", "priority_vi": "Đối tượng",
    "outcome_vi": "Kết quả", "counter_name": "Quầy", "officer": "Cán bộ", "issued_time": "Giờ lấy số",
    "called_time": "Giờ gọi", "started_time": "Giờ bắt đầu", "finished_time": "Giờ kết thúc",
    "wait_s": "Thời gian chờ (giây)", "service_s": "Thời gian phục vụ (giây)", "dossier_code": "Mã hồ sơ",
    "note": "Ghi chú",
}


@dataclass(frozen=True)
class TicketQuery:
    first: date
    last: date
    service: str | None = None
    format: str = "json"


def parse_ticket_query(args: Mapping[str, str], services: set[str]) -> TicketQuery:
    first, last = _date(args, "from"), _date(args, "to")
    if first > last:
        raise ReportError("'from' is after 'to'")
    if (last - first).days + 1 > MAX_DAYS:
        raise ReportError(f"the ticket list spans at most {MAX_DAYS} days")
    service = args.get("service") or None
    if service is not None and service not in services:
        raise ReportError(f"no service with code {service[:32]!r}")
    fmt = args.get("format", "json")
    if fmt not in FORMATS:
        raise ReportError(f"'format' must be one of {', '.join(FORMATS)}")
    return TicketQuery(first, last, service, fmt)


def _day_facts(conn: Any, day: str) -> list[Any]:
    rows = conn.execute(
        "SELECT e.type, e.at, e.ticket_id, e.counter_number, e.officer_id, e.service_code, "
        "CASE WHEN e.type = 'ticket_finished' THEN json_extract(e.data, '$.service_unknown') END AS service_unknown "
        "FROM tickets t JOIN events e ON e.ticket_id = t.id WHERE t.day = ? ORDER BY e.id", [day])
    return replay(rows)


def ticket_rows(store: Any, clock: Clock, q: TicketQuery) -> list[dict[str, Any]]:
    """The rows of the tickets issued from Q.first to Q.last (of Q.service: its last service), in issue order."""
    from kiosk.queue.model import PRIORITY_LABELS_VI

    conn = store.conn()
    services = {r[0]: r[1] for r in conn.execute("SELECT code, name FROM services")}
    counters = {r[0]: r[1] for r in conn.execute("SELECT number, name FROM counters")}
    officers = {r[0]: r[1] or r[2] for r in conn.execute("SELECT id, full_name, username FROM users")}
    tz = clock.tz
    out: list[dict[str, Any]] = []
    for day in calendar_days(q.first, q.last):
        own = {r[0]: r for r in conn.execute(
            "SELECT id, number, priority, channel, dossier_code, note FROM tickets WHERE day = ?", [day])}
        for t in sorted(_day_facts(conn, day), key=lambda f: f.ticket_id):
            if q.service is not None and t.service != q.service:
                continue
            ticket = own.get(t.ticket_id)
            if ticket is None:
                continue
            out.append({
                "id": t.ticket_id, "day": day, "number": ticket[1], "service": t.service,
                "service_name": services.get(t.service, t.service), "priority": ticket[2], "channel": ticket[3],
                "outcome": t.outcome, "counter": t.counter,
                "counter_name": None if t.counter is None else counters.get(t.counter, f"Quầy {t.counter}"),
                "officer_id": t.officer,
                "officer": None if t.officer is None else officers.get(t.officer, f"Cán bộ #{t.officer}"),
                "issued_at": iso(t.issued_at, tz), "called_at": iso(t.called_at, tz),
                "started_at": iso(t.started_at, tz), "finished_at": iso(t.finished_at, tz),
                "wait_s": _round(t.wait_s), "service_s": _round(t.service_s),
                "dossier_code": ticket[4], "note": ticket[5] or "",
                "priority_vi": PRIORITY_LABELS_VI.get(ticket[2], ticket[2]),
                "outcome_vi": OUTCOMES_VI.get(t.outcome, t.outcome),
            })
    return out


def _round(seconds: float | None) -> float | None:
    return round(seconds, 1) if seconds is not None else None


def _time(text: str | None) -> str | None:
    return text[11:19] if text else None  # "2026-12-02T07:31:05+07:00" -> "07:31:05"


def export_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows as the downloads show them: the day as dd/mm/yyyy, the times as HH:MM:SS (local)."""
    return [{**r, "day_vi": f"{date.fromisoformat(r['day']):%d/%m/%Y}", "issued_time": _time(r["issued_at"]),
             "called_time": _time(r["called_at"]), "started_time": _time(r["started_at"]),
             "finished_time": _time(r["finished_at"])} for r in rows]


def columns() -> list[tuple[str, str]]:
    return list(COLUMNS_VI.items())


def titles(centre: str, q: TicketQuery, made_at: datetime, service_name: str | None) -> list[str]:
    what = "Danh sách số thứ tự" + (f" – lĩnh vực {service_name}" if service_name else "")
    return [centre, what, vi.period_vi(q.first, q.last), f"Lập lúc {made_at:%H:%M %d/%m/%Y}"]


def filename(q: TicketQuery) -> str:
    period = q.first.isoformat() if q.first == q.last else f"{q.first.isoformat()}_{q.last.isoformat()}"
    service = "".join(c for c in q.service or "" if c.isascii() and (c.isalnum() or c in "_-"))
    return f"danh-sach-so-{period}{'-' + service if service else ''}.{q.format}"

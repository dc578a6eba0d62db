"""Reports for managers (DESIGN.md): GET /api/v1/reports and the monthly summary, as JSON, CSV or XLSX.

GET /api/v1/reports?from=YYYY-MM-DD&to=YYYY-MM-DD&by=service|counter|officer|day|hour|month[&format=csv|xlsx]
GET /api/v1/reports/monthly?year=YYYY[&format=csv|xlsx]
GET /api/v1/reports/tickets?from=YYYY-MM-DD&to=YYYY-MM-DD[&service=CODE][&format=csv|xlsx]
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, jsonify, request

from kiosk.reports import export
from kiosk.reports import tickets as ticket_list
from kiosk.reports.monthly import monthly, parse_year
from kiosk.reports.query import FORMATS, ReportError, parse_query, report
from kiosk.web.errors import ApiError
from kiosk.web.security import require, services

bp = Blueprint("api_reports", __name__, url_prefix="/api/v1")

MIME = {"csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _made_at() -> str:
    clock = services().clock
    return f"{datetime.fromtimestamp(clock.now(), clock.tz):%H:%M %d/%m/%Y}"


def _download(body: bytes, fmt: str, filename: str) -> Response:
    return Response(body, mimetype=MIME[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def _bad(exc: ReportError) -> ApiError:
    return ApiError(400, "bad_request", str(exc))


@bp.get("/reports")
@require("manager")
def reports():
    try:
        q = parse_query(request.args)
    except ReportError as exc:
        raise _bad(exc) from None
    kiosk = services()
    body = report(kiosk.store, kiosk.clock, q)
    if q.format == "json":
        return jsonify(body)
    columns = export.centre_report_columns(q.by)
    name = export.report_filename(q.by, q.first, q.last, q.format)
    if q.format == "csv":
        return _download(export.to_csv(columns, body["rows"], body["total"]), "csv", name)
    titles = export.report_titles(kiosk.config.centre_name, q.by, q.first, q.last, _made_at())
    return _download(export.to_xlsx(titles, columns, body["rows"], body["total"]), "xlsx", name)


@bp.get("/reports/monthly")
@require("manager")
def reports_monthly():
    kiosk = services()
    fmt = request.args.get("format", "json")
    try:
        if fmt not in FORMATS:
            raise ReportError(f"'format' must be one of {', '.join(FORMATS)}")
        year = parse_year(request.args.get("year"), kiosk.clock)
    except ReportError as exc:
        raise _bad(exc) from None
    body = monthly(kiosk.store, kiosk.clock, year)
    if fmt == "json":
        return jsonify(body)
    columns = export.monthly_columns()
    name = f"bao-cao-thang-{year}.{fmt}"
    if fmt == "csv":
        return _download(export.to_csv(columns, body["rows"], body["total"]), "csv", name)
    titles = [kiosk.config.centre_name, "Báo cáo tổng hợp theo tháng", f"Năm {year}", f"Lập lúc {_made_at()}"]
    return _download(export.to_xlsx(titles, columns, body["rows"], body["total"], sheet=f"Năm {year}"), "xlsx",
                     name)


@bp.get("/reports/tickets")
@require("manager")
def reports_tickets():
    """One row per ticket of a period (at most 31 days), with its dossier code and note (kiosk/reports/tickets.py)."""
    kiosk = services()
    names = {s.code: s.name for s in kiosk.engine.services()}
    try:
        q = ticket_list.parse_ticket_query(request.args, set(names))
    except ReportError as exc:
        raise _bad(exc) from None
    rows = ticket_list.ticket_rows(kiosk.store, kiosk.clock, q)
    if q.format == "json":
        return jsonify({"from": q.first.isoformat(), "to": q.last.isoformat(), "service": q.service, "rows": rows})
    columns, shown, name = ticket_list.columns(), ticket_list.export_rows(rows), ticket_list.filename(q)
    if q.format == "csv":
        return _download(export.to_csv(columns, shown, None), "csv", name)
    made = datetime.fromtimestamp(kiosk.clock.now(), kiosk.clock.tz)
    titles = ticket_list.titles(kiosk.config.centre_name, q, made, names.get(q.service) if q.service else None)
    return _download(export.to_xlsx(titles, columns, shown, None, sheet="Danh sách số"), "xlsx", name)

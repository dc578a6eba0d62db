"""The city's API (DESIGN.md), for logged-in city managers and admins:

GET /api/v1/city/centres                       every centre, its freshness and today's figures
GET /api/v1/city/centres/SITE/services         one centre opened: its services today
GET /api/v1/city/reports?from&to&by=site|service[&site=SITE][&format=csv|xlsx]
GET /api/v1/city/users                         the city's logins (city_admin only)
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, current_app, jsonify, request

from kiosk.city.dashboard import queries
from kiosk.city.dashboard.auth import db, require_city
from kiosk.reports import export
from kiosk.reports.labels import period_vi
from kiosk.reports.query import ReportError
from kiosk.web.errors import ApiError

bp = Blueprint("city_api", __name__, url_prefix="/api/v1/city")

MIME = {"csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.get("/centres")
@require_city()
def centres():
    city = current_app.city
    return jsonify(queries.centres(db(), city.now(), city.stale_after_s))


@bp.get("/centres/<site>/services")
@require_city()
def centre_services(site: str):
    body = queries.site_services(db(), site, current_app.city.now())
    if body is None:
        raise ApiError(404, "not_found", f"no centre {site[:64]!r}")
    return jsonify(body)


@bp.get("/reports")
@require_city()
def reports():
    try:
        q = queries.parse_city_query(request.args)
    except ReportError as exc:
        raise ApiError(400, "bad_request", str(exc)) from None
    conn = db()
    if q.site is not None and not conn.execute("SELECT 1 FROM sites WHERE site = %s", [q.site]).fetchone():
        raise ApiError(404, "not_found", f"no centre {q.site!r}")
    body = queries.report(conn, q)
    if q.format == "json":
        return jsonify(body)
    columns = queries.report_columns(q.by)
    name = queries.report_filename(q)
    if q.format == "csv":
        data = export.to_csv(columns, body["rows"], body["total"])
    else:
        made = datetime.fromtimestamp(current_app.city.now(), current_app.city.tz)
        titles = [current_app.city.title, f"Báo cáo toàn thành phố theo {queries.BY_VI[q.by].lower()}"
                  + (f" — {q.site}" if q.site else ""), period_vi(q.first, q.last), f"Lập lúc {made:%H:%M %d/%m/%Y}"]
        data = export.to_xlsx(titles, columns, body["rows"], body["total"])
    return Response(data, mimetype=MIME[q.format], headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.get("/users")
@require_city("city_admin")
def users():
    rows = db().execute("SELECT username, role, active, created_at FROM city_users ORDER BY username").fetchall()
    return jsonify([{"username": u, "role": r, "active": a, "created_at": c.isoformat(timespec="seconds")}
                    for u, r, a, c in rows])

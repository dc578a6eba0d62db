"""Staff access to citizens' data: every read is audited; deletion on request; the audit log."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from kiosk.web.body import field, json_body
from kiosk.web.errors import ApiError
from kiosk.web.security import principal_from_request, require, services

bp = Blueprint("api_citizens", __name__, url_prefix="/api/v1")


def _registry():
    return services().citizens


@bp.post("/citizens/search")
@require("officer", "manager")
def search():
    id_number = field(json_body(), "id_number", str)
    if len(id_number) != 12 or not id_number.isdigit():
        raise ApiError(422, "invalid", "id_number must be 12 digits", text="id_number_format")
    return jsonify({"id": _registry().find(id_number, principal_from_request())})


@bp.get("/citizens/<int:citizen_id>")
@require("officer", "manager")
def read(citizen_id: int):
    reason = request.args.get("reason", "")[:200]
    return jsonify(_registry().read(citizen_id, principal_from_request(), reason))


@bp.delete("/citizens/<int:citizen_id>")
@require("officer")
def delete(citizen_id: int):
    _registry().delete(citizen_id, principal_from_request(), "citizen request")
    return jsonify({"id": citizen_id, "deleted": True})


@bp.post("/citizens/<int:citizen_id>/withdraw-face")
@require("officer")
def withdraw_face(citizen_id: int):
    json_body(allow_empty=True)
    _registry().withdraw_face_consent(citizen_id, principal_from_request())
    return jsonify({"id": citizen_id, "face": None})


@bp.get("/audit")
@require("manager")
def audit():
    return jsonify(_registry().audit_entries())

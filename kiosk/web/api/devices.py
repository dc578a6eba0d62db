"""HTTP endpoints of the devices: their health, announcement audio, the call devices' status, citizens'
pager cards, officer card assignments. Registered by the app factory; errors are 4xx JSON.

GET    /audio/<key>.wav                 the hall page plays the announcement (public like /display)
GET    /api/v1/devices                  every device's health (DESIGN.md) (kiosk, officer, manager)
GET    /api/v1/devices/alerts           active device alerts (manager)
GET    /api/v1/devices/summary          pager link, printer, LED, voice state (kiosk, officer, manager)
POST   /api/v1/tickets/<id>/pager       {"card": N} or {"label": "PAGER:<site>:<card>"} (officer, kiosk)
DELETE /api/v1/tickets/<id>/pager       release the card (officer, kiosk)
GET    /api/v1/devices/pager-cards      officer card -> counter, citizen range, bindings (admin)
PUT    /api/v1/devices/pager-cards      {"cards": {"<card>": <counter>, ...}} replaces them (admin)
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify

from kiosk.web.body import json_body
from kiosk.web.errors import ApiError
from kiosk.web.security import principal_from_request, require, services

bp = Blueprint("devices", __name__)
_AUDIO_KEY = re.compile(r"^[0-9]{6}-[0-9a-f]{8}$")


def hub():
    """The DeviceHub built by kiosk.devices.install."""
    found = services().devices
    if found is None:
        raise ApiError(404, "not_found", "devices are not installed", text="devices_missing")
    return found


@bp.get("/audio/<key>.wav")
def audio(key: str):
    if not services().config.display_public:
        principal = principal_from_request()
        if principal is None:
            raise ApiError(401, "unauthorized", "log in or send a bearer token")
    store = hub().audio
    wav = store.get(key) if store is not None and _AUDIO_KEY.match(key) else None
    if wav is None:
        raise ApiError(404, "not_found", "no such announcement (it may have expired)", text="announcement_missing")
    response = Response(wav, mimetype="audio/wav")
    response.headers["Cache-Control"] = "private, max-age=600"
    return response


@bp.get("/api/v1/devices")
@require("kiosk", "officer", "manager")
def devices_health():
    """[{"id", "kind", "name", "state", "detail", "last_seen"}], sorted by kind then name."""
    return jsonify([device.to_api() for device in services().health.snapshot(max_age_s=0.0)])


@bp.get("/api/v1/devices/alerts")
@require("manager")
def devices_alerts():
    """The active alerts, oldest first: the device_alert payloads with "active": true."""
    board = services().health
    board.snapshot(max_age_s=0.0)  # alerts as of now, not of the last background poll
    return jsonify([alert.payload() for alert in board.alerts()])


@bp.get("/api/v1/devices/summary")
@require("kiosk", "officer", "manager")
def devices_summary():
    return jsonify(hub().status())


def _card_from_body(data: dict) -> int:
    has_card, has_label = "card" in data, "label" in data
    if has_card == has_label:
        raise ApiError(422, "invalid", "send either 'card' (a number) or 'label' (the card's QR text)", text="card_body")
    if has_label:
        from hardware.pager import FrameError, parse_pager_label

        if not isinstance(data["label"], str):
            raise ApiError(422, "invalid", "'label' must be text", text="field_text", values={"field": "label"})
        try:
            return parse_pager_label(data["label"], hub().settings.pager.site_id)
        except FrameError as exc:
            raise ApiError(422, "invalid", str(exc), text="pager_label_bad") from None
    card = data["card"]
    if isinstance(card, bool) or not isinstance(card, int):
        raise ApiError(422, "invalid", "'card' must be a whole number", text="field_whole_number", values={"field": "card"})
    return card


@bp.post("/api/v1/tickets/<int:ticket_id>/pager")
@require("officer", "kiosk")
def bind_pager(ticket_id: int):
    data = json_body()
    unknown = set(data) - {"card", "label"}
    if unknown:
        raise ApiError(422, "invalid", f"unknown fields: {', '.join(sorted(unknown))}", text="unknown_fields",
                       values={"fields": ", ".join(f"«{f}»" for f in sorted(unknown))})
    card = _card_from_body(data)
    devices = hub()
    if devices.driver is None:
        raise ApiError(409, "no_pager", "no pager base station is configured at this centre")
    devices.cards.bind(ticket_id, card)
    ticket = services().engine.ticket(ticket_id)
    return jsonify({"ticket_id": ticket.id, "number": ticket.number, "card": card})


@bp.delete("/api/v1/tickets/<int:ticket_id>/pager")
@require("officer", "kiosk")
def unbind_pager(ticket_id: int):
    services().engine.ticket(ticket_id)  # 404 for an unknown ticket
    card = hub().cards.unbind(ticket_id)
    return jsonify({"ticket_id": ticket_id, "card": card})


def _cards_body():
    cards = hub().cards
    return {"cards": {str(k): v for k, v in cards.officer_assignments().items()},
            "citizen_cards": list(cards.citizen_range),
            "bindings": {str(k): v for k, v in cards.bindings().items()}}


@bp.get("/api/v1/devices/pager-cards")
@require("admin")
def get_pager_cards():
    return jsonify(_cards_body())


@bp.put("/api/v1/devices/pager-cards")
@require("admin")
def put_pager_cards():
    data = json_body()
    if set(data) != {"cards"}:
        raise ApiError(422, "invalid", "the body must be {\"cards\": {\"<card>\": <counter>, ...}}",
                       text="staff_cards_body")
    hub().cards.set_officer_assignments(data["cards"])
    return jsonify(_cards_body())

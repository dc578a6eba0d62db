"""Pages of the devices part: the citizen's ticket-tracking page (the printed QR) and the demo
panel that presses simulated pager-card buttons and empties the simulated printer.

GET  /t/<id>/<sig>           public; position and estimated wait in Vietnamese (JSON when asked); live over
                             Socket.IO /track (kiosk/web/realtime/track.py, js/track.js)
GET  /t/<id>/<sig>/qr.svg    public; the QR code of that link (shown by a kiosk whose printer is out of paper)
GET  /demo/devices           admin, demo mode only
POST /demo/devices/press     {"card": N, "button": "next|recall|no_show|finish"}
POST /demo/devices/printer   {"paper_out": bool, "cover_open": bool, "offline": bool, ...}
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template_string, request

from kiosk.display.track_status import LIVE_STATES, track_status, wait_text_vi
from kiosk.display.tracking import verify_signature
from kiosk.queue.clock import iso
from kiosk.queue.ratings import SCORES_VI, rating_of
from kiosk.web.body import json_body
from kiosk.web.errors import ApiError
from kiosk.web.security import csrf_token, require, services

bp = Blueprint("devices_pages", __name__)

TRACK_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{% if live %}<noscript><meta http-equiv="refresh" content="60"></noscript>{% endif %}
<title>{{ t("track.title", number=ticket.number) }}</title>
<style>body{font-family:"Noto Sans","DejaVu Sans",sans-serif;max-width:28rem;margin:1rem auto;padding:0 1rem;
text-align:center;color:#111}.num{font-size:4rem;font-weight:700;margin:.5rem 0}.state{font-size:1.4rem;
font-weight:600;margin:1rem 0}.called{color:#b00020}dl{display:grid;grid-template-columns:1fr auto;gap:.4rem 1rem;
text-align:left;font-size:1.1rem}dl[hidden]{display:none}dd{margin:0;font-weight:600}small{color:#555}</style></head>
<body data-ticket="{{ ticket.id }}" data-sig="{{ sig }}" data-state="{{ ticket.state }}" data-live="{{ 1 if live else 0 }}">
<p>{{ centre }}</p><p>{{ service }}</p>
<div class="num" id="ticket-number">{{ ticket.number }}</div>
<div class="state{% if ticket.state == 'called' %} called{% endif %}" id="ticket-state">{{ status.message }}</div>
<dl id="place"{% if not status.position %} hidden{% endif %}>
<dt>{{ t("track.people_ahead") }}</dt><dd id="people-ahead">{{ status.people_ahead if status.position else '' }}</dd>
<dt>{{ t("track.expected_wait") }}</dt><dd id="wait">{{ wait_text }}</dd>
</dl>
{% if ticket.state == 'done' %}{% if rated %}<p id="rated">{{ t("track.rated") }} <strong>{{ rated }}</strong></p>
{% else %}<form method="post" action="{{ rate_url }}" id="rating"><p><strong>{{ t("track.question") }}</strong></p>
{% for score, label in scores %}<button name="score" value="{{ score }}" style="display:block;width:100%;margin:.3rem 0;
padding:.7rem;font-size:1.1rem">{{ label }}</button>{% endfor %}
<input name="comment" maxlength="300" placeholder="{{ t("track.comment") }}" style="width:100%;padding:.5rem"></form>
{% endif %}{% endif %}
<p><small>{{ t("track.updated_at") }} <span id="updated">{{ now }}</span>{% if live %} · <span id="live">{{ t("track.live") }}</span>{% endif %}</small></p>
{% if live %}<script src="{{ texts_url() }}"></script>
<script src="{{ url_for('static', filename='js/common.js') }}"></script>
<script src="{{ url_for('static', filename='vendor/socket.io.min.js') }}"></script>
<script src="{{ url_for('static', filename='js/track.js') }}"></script>{% endif %}
</body></html>"""

DEMO_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="csrf-token" content="{{ csrf }}">
<title>{{ t("demo.title") }} / Simulated devices</title>
<link rel="stylesheet" href="{{ url_for('static', filename='app.css') }}"></head>
<body class="demo-devices"><main style="padding:1rem">
<h1>{{ t("demo.title") }} <small>Simulated devices (demo)</small></h1>
<h2>{{ t("demo.officer_cards") }} <small>Officer pager cards</small></h2>
<table id="cards"><tr><th>{{ t("demo.card") }} / Card</th><th>{{ t("demo.counter") }} / Counter</th><th></th><th>{{ t("demo.shown") }} / Shown</th></tr>
{% for card, counter in officer %}<tr data-card="{{ card }}"><td>{{ card }}</td><td>{{ counter }}</td><td>
<button data-button="next">{{ t("demo.next") }} / Next</button><button data-button="recall">{{ t("demo.recall") }} / Recall</button>
<button data-button="no_show">{{ t("demo.no_show") }} / No-show</button><button data-button="finish">{{ t("demo.finish") }} / Finish</button></td>
<td class="shown">{{ shown.get(card, '') }}</td></tr>{% endfor %}</table>
<h2>{{ t("demo.citizen_cards") }} <small>Citizen pager cards</small> {{ citizen[0] }}–{{ citizen[1] }}</h2>
<h2>{{ t("demo.printer") }} <small>Printer</small></h2>
<label><input type="checkbox" data-printer="paper_out" {% if printer.paper_out %}checked{% endif %}> {{ t("demo.paper_out") }} / Paper out</label>
<label><input type="checkbox" data-printer="cover_open" {% if printer.cover_open %}checked{% endif %}> {{ t("demo.cover_open") }} / Cover open</label>
<label><input type="checkbox" data-printer="unplugged" {% if printer.unplugged %}checked{% endif %}> {{ t("demo.unplugged") }} / Unplugged</label>
<p id="demo-result" role="status"></p>
</main><script src="{{ texts_url() }}"></script><script src="{{ url_for('static', filename='js/common.js') }}"></script>
<script src="{{ url_for('static', filename='js/demo_devices.js') }}"></script></body></html>"""

PRINTER_FLAGS = {"paper_out", "paper_near_end", "cover_open", "offline", "cutter_error", "unplugged"}
BUTTONS = ("next", "recall", "no_show", "finish")


def _wants_html() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


@bp.get("/t/<int:ticket_id>/<sig>/qr.svg")
def track_qr(ticket_id: int, sig: str):
    """The tracking link as an SVG QR code, the same link the printed ticket carries."""
    import io

    import qrcode
    import qrcode.image.svg

    if not verify_signature(current_app.config["SECRET_KEY"], ticket_id, sig):
        raise ApiError(404, "not_found", "no such ticket link", text="ticket_link_missing")
    services().engine.ticket(ticket_id)  # 404 for a ticket that is gone
    hub = services().devices
    base = hub.public_url if hub is not None and hub.public_url else request.host_url.rstrip("/")
    image = qrcode.make(f"{base}/t/{ticket_id}/{sig}", image_factory=qrcode.image.svg.SvgPathImage, box_size=10,
                        border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue(), 200, {"Content-Type": "image/svg+xml", "Cache-Control": "private, max-age=86400",
                                 "Referrer-Policy": "no-referrer"}


@bp.get("/t/<int:ticket_id>/<sig>")
def track(ticket_id: int, sig: str):
    kiosk = services()
    if not verify_signature(current_app.config["SECRET_KEY"], ticket_id, sig):
        raise ApiError(404, "not_found", "no such ticket link", text="ticket_link_missing")
    engine = kiosk.engine
    ticket = engine.ticket(ticket_id)
    status = track_status(ticket, engine.position(ticket_id))
    if not _wants_html():
        return jsonify(status)
    html = render_template_string(
        TRACK_PAGE, ticket=ticket, sig=sig, centre=kiosk.config.centre_name, service=engine.service(ticket.service).name,
        status=status, wait_text=wait_text_vi(status["estimated_wait_s"]), live=ticket.state in LIVE_STATES,
        now=iso(engine.clock.now(), engine.clock.tz)[11:16],
        rated=SCORES_VI.get(rating_of(engine, ticket_id)), scores=sorted(SCORES_VI.items(), reverse=True),
        rate_url=request.path.rstrip("/") + "/rating",
    )
    return html, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _simulators():
    hub = services().devices
    if hub is None or not hub.simulators:
        raise ApiError(404, "not_found", "the device simulators run only in demo mode (kiosk serve --demo)",
                       text="demo_only")
    return hub


@bp.get("/demo/devices")
@require("admin")
def demo_devices():
    hub = _simulators()
    pager = hub.simulators["pager"]
    shown = {}
    for card in hub.cards.officer_assignments():
        pages = pager.pages(card) if card in pager.cards else []
        shown[card] = pages[-1].ticket if pages else ""
    return render_template_string(
        DEMO_PAGE, csrf=csrf_token(), officer=sorted(hub.cards.officer_assignments().items()),
        citizen=hub.cards.citizen_range, printer=hub.simulators["printer"], shown=shown)


@bp.post("/demo/devices/press")
@require("admin")
def demo_press():
    hub = _simulators()
    data = json_body()
    card, button = data.get("card"), data.get("button")
    if isinstance(card, bool) or not isinstance(card, int):
        raise ApiError(422, "invalid", "'card' must be a card number", text="field_whole_number", values={"field": "card"})
    if button not in BUTTONS:
        raise ApiError(422, "invalid", f"'button' must be one of {', '.join(BUTTONS)}", text="pager_button_unknown")
    pager = hub.simulators["pager"]
    if card not in pager.cards:
        raise ApiError(404, "not_found", f"no card {card} in the simulator", text="demo_card_missing")
    press_id = pager.press(card, button)
    return jsonify({"card": card, "button": button, "press_id": press_id})


@bp.post("/demo/devices/printer")
@require("admin")
def demo_printer():
    hub = _simulators()
    data = json_body()
    unknown = set(data) - PRINTER_FLAGS
    if unknown or not data or not all(isinstance(v, bool) for v in data.values()):
        raise ApiError(422, "invalid", f"send true/false for any of: {', '.join(sorted(PRINTER_FLAGS))}",
                       text="demo_printer_flags")
    printer = hub.simulators["printer"]
    printer.set_state(**data)
    if hub.monitor is not None:
        report = hub.monitor.poll()  # screens learn now, not at the next poll
        return jsonify(report.as_dict())
    return jsonify({f: getattr(printer, f) for f in PRINTER_FLAGS})

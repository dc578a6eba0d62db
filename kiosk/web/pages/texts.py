"""The pages' share of the catalogue (kiosk/texts): ``t("key", **values)`` in every template, and for the
scripts one generated file, ``GET /texts/vi.js``, defining ``window.KIOSK_TEXTS`` (common.js's ``K.T`` reads it).

A file, not an inline script: the CSP allows script only from this server (kiosk/web/headers.py). Its URL
carries the content's hash (``?v=``, from ``texts_url()`` in base.html), so a browser keeps it for a year and a
new catalogue is a new URL; the ETag answers a revalidation with 304.
"""
from __future__ import annotations

import functools
import hashlib
import json

from flask import Blueprint, Flask, Response, request, url_for

from kiosk.texts import vi

bp = Blueprint("texts", __name__)
YEAR_S = 365 * 24 * 3600


@functools.lru_cache(maxsize=1)
def script() -> tuple[str, str]:
    """(the body of /texts/vi.js, its version): built once, the catalogue is code."""
    texts = json.dumps(vi.page_texts(), ensure_ascii=False, sort_keys=True, indent=0)
    body = ("/* Generated from kiosk/texts/ by kiosk/web/pages/texts.py: edit the catalogue, not this. */\n"
            f"window.KIOSK_TEXTS = Object.freeze({texts});\n")
    return body, hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def texts_url() -> str:
    return url_for("texts.texts_js", v=script()[1])


@bp.get("/texts/vi.js")
def texts_js():
    body, version = script()
    response = Response(body, mimetype="text/javascript")
    response.set_etag(version)
    # the versioned URL never changes content; an unversioned one is checked again after a few minutes
    response.headers["Cache-Control"] = (f"public, max-age={YEAR_S}, immutable" if request.args.get("v") == version
                                         else "public, max-age=300")
    return response.make_conditional(request)


def install_texts(app: Flask) -> None:
    """Register the script's route and the templates' globals ``t`` and ``texts_url``."""
    app.register_blueprint(bp)
    app.jinja_env.globals.update(t=vi.page_text, texts_url=texts_url)

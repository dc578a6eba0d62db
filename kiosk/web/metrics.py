"""``GET /metrics`` (DESIGN.md): Prometheus text format, for an admin or manager, or from this PC.

Each app has its own ``CollectorRegistry`` (tests build an app per test; nothing is global or made at
import): the queue, device and backup families read at scrape time (kiosk.runtime.metrics), the HTTP
request latency by route template, method and status class, the count of 5xx answers, and the process
(CPU, memory, open files).

Who may read it: a request that carries a token or a login session is judged by its role (manager or
admin: 200; other roles: 403; a bad token: 401), whatever its address; one without credentials is
answered only from the loopback address (a Prometheus on the counter PC itself), else 401. A reverse
proxy on this PC would make every client look local: scrape through it with a token.
"""
from __future__ import annotations

import ipaddress
import time
from typing import Any

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from kiosk.runtime.metrics import CentreCollector
from kiosk.web.errors import ApiError
from kiosk.web.security import principal_from_request, services

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
READERS = ("manager", "admin")
UNMATCHED = "<unmatched>"  # a 404 has no route template; one label for all, so no URL becomes a label

bp = Blueprint("metrics", __name__)


class Metrics:
    """One app's registry and the HTTP instruments fed by its request hooks."""

    def __init__(self, kiosk: Any) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.latency = Histogram("kiosk_http_request_duration_seconds",
                                 "HTTP request handling time, by route template, method and status class.",
                                 ["route", "method", "status"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.errors = Counter("kiosk_http_server_errors", "HTTP answers with a 5xx status, by route template.",
                              ["route"], registry=self.registry)
        self.registry.register(CentreCollector(kiosk))
        ProcessCollector(registry=self.registry)

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.latency.labels(route, method, f"{status // 100}xx").observe(seconds)
        if status >= 500:
            self.errors.labels(route).inc()

    def text(self) -> bytes:
        return generate_latest(self.registry)


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


@bp.get("/metrics")
def metrics():
    principal = principal_from_request()  # a bad token is a 401 here
    if principal is None:
        if not _loopback(request.remote_addr):
            raise ApiError(401, "unauthorized", "send a manager or admin token (or scrape from this PC)")
    elif principal.role not in READERS:
        raise ApiError(403, "forbidden", f"role {principal.role} may not read the metrics",
                       text="role_may_not", values={"role": principal.role})
    return Response(services().metrics.text(), mimetype=None, content_type=CONTENT_TYPE_LATEST)


def install_metrics(app: Flask, kiosk: Any) -> Metrics:
    """The app's Metrics, its request hooks and the /metrics route."""
    found = Metrics(kiosk)

    @app.before_request
    def _started() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _answered(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is not None:
            rule = request.url_rule
            found.observe(rule.rule if rule is not None else UNMATCHED, request.method, response.status_code,
                          time.perf_counter() - started)
        return response

    app.register_blueprint(bp)
    return found

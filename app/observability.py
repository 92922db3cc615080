"""What an operator sees of each request: Prometheus metrics (and ``/metrics`` itself), and with
JSON logs one line per request."""

from __future__ import annotations

import logging
import time

from apiflask import APIFlask
from flask import Response, g, request

from app import services
from app.auth import BEHEERDER, current_principal
from app.problems import ApiProblem

request_log = logging.getLogger("inburgering.request")


def register_observability(app: APIFlask) -> None:
    """Time, count (and log) every request; serve ``/metrics`` to a beheerder's bearer token."""
    json_logs = app.config.get("LOG_FORMAT") == "json"

    @app.before_request
    def _started() -> None:
        g._started = time.perf_counter()

    @app.after_request
    def _answered(response: Response) -> Response:
        started = g.pop("_started", None)
        if started is None:
            return response
        seconds = time.perf_counter() - started
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        metrics = services().metrics
        if metrics is not None:
            metrics.observe_request(route, request.method, response.status_code, seconds)
        if json_logs:
            # the route template, never the path or query (they may hold a search term or an id)
            principal = g.get("principal")
            request_log.info(
                "%s %s %s",
                request.method,
                route,
                response.status_code,
                extra={
                    "event": "request",
                    "method": request.method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                    "role": getattr(principal, "role", None),
                    "org": getattr(principal, "org_code", None),
                },
            )
        return response

    @app.get("/metrics")
    @app.doc(hide=True)
    def metrics() -> Response:
        """Prometheus text format; a beheerder's bearer token only (401 without, 403 for other roles)."""
        principal = current_principal()
        if principal.role != BEHEERDER:
            raise ApiProblem(403, "Forbidden", f"the role {principal.role} may not read metrics")
        svc = services()
        body = svc.metrics.exposition(svc.db, svc.clock)
        return Response(body, mimetype="text/plain", content_type="text/plain; version=0.0.4; charset=utf-8")

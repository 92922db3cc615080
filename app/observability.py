"""What an operator sees of each request: Prometheus metrics (and ``/metrics`` itself)."""

from __future__ import annotations

import time

from apiflask import APIFlask
from flask import Response, g, request

from app import services
from app.auth import BEHEERDER, current_principal
from app.problems import ApiProblem


def register_observability(app: APIFlask) -> None:
    """Time and count every request; serve ``/metrics`` to a beheerder's bearer token."""

    @app.before_request
    def _started() -> None:
        g._started = time.perf_counter()

    @app.after_request
    def _answered(response: Response) -> Response:
        started = g.pop("_started", None)
        metrics = services().metrics
        if started is not None and metrics is not None:
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            metrics.observe_request(
                route, request.method, response.status_code, time.perf_counter() - started
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

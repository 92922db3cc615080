"""The REST API v1: one blueprint per resource, registered here."""

from __future__ import annotations

from apiflask import APIFlask


def register_api(app: APIFlask) -> None:
    """Register every blueprint and the shared request/response hooks."""
    from app.api import health, subscriptions, tvs

    app.register_blueprint(health.bp, url_prefix="/api/v1")
    app.register_blueprint(subscriptions.bp, url_prefix="/api/v1")
    app.register_blueprint(tvs.bp, url_prefix="/api/v1")

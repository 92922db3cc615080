"""The REST API v1: one blueprint per resource, registered here."""

from __future__ import annotations

from apiflask import APIFlask


def register_api(app: APIFlask) -> None:
    """Register every blueprint and the shared request/response hooks."""
    from app.api import health

    app.register_blueprint(health.bp, url_prefix="/api/v1")

"""The running service: Flask app factory, REST API, worker and CLI wire the other packages together."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apiflask import APIFlask
from flask import current_app
from sqlalchemy import Engine

from app.config import load_config
from engine.clock import Clock, SystemClock
from storage.db import make_engine
from storage.service import WorkflowService

API_VERSION = "1.0.0"


@dataclass
class Services:
    """The live objects of one app: database, clock and the workflow service."""

    db: Engine
    clock: Clock
    workflow: WorkflowService
    config: dict[str, Any]


def services() -> Services:
    """The services of the current app (inside a request or app context)."""
    return current_app.extensions["inburgering"]  # type: ignore[no-any-return]


def build_services(
    config: Mapping[str, Any], clock: Clock | None = None, db: Engine | None = None
) -> Services:
    """Create the database engine, clock and workflow service from a loaded config."""
    clock = clock or config.get("CLOCK") or SystemClock()
    db = db or make_engine(config["DATABASE_URL"])
    return Services(db=db, clock=clock, workflow=WorkflowService(db, clock), config=dict(config))


def create_app(config: Mapping[str, Any] | None = None) -> APIFlask:
    """Build the app: defaults, then ``INBURGERING_*`` environment variables, then ``config``."""
    settings = load_config(config)
    app = APIFlask(
        __name__,
        title="Doorlopende Lijn API",
        version=API_VERSION,
        spec_path="/api/v1/openapi.json",
        docs_path="/api/v1/docs",
    )
    app.config.update(settings)
    if settings.get("SECRET_KEY"):
        app.secret_key = settings["SECRET_KEY"]
    app.extensions["inburgering"] = build_services(
        settings, clock=settings.get("CLOCK"), db=settings.get("DB_ENGINE")
    )

    from app.api import register_api

    register_api(app)
    return app

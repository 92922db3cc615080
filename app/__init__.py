"""The running service: Flask app factory, REST API, worker and CLI wire the other packages together."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from inspect import CO_COROUTINE
from typing import Any

from apiflask import APIFlask
from flask import current_app, g
from sqlalchemy import Connection, Engine

from app.config import load_config
from engine.budget import StepBudget
from engine.clock import Clock, SystemClock
from storage.db import make_engine, read_connection
from storage.service import WorkflowService

API_VERSION = "1.0.0"
API_PREFIX = "/api/v1"


@dataclass
class Services:
    """The live objects of one app: database, clock and the workflow service."""

    db: Engine
    clock: Clock
    workflow: WorkflowService
    config: dict[str, Any]
    #: the process's Prometheus metrics (``app.metrics.Metrics``); None when built without
    metrics: Any = None
    #: organisation rows read so far, by code: rows are never changed or deleted, so a row once
    #: read stays true (an unknown code is read again each time: it may be registered meanwhile)
    organisations: dict[str, Any] = field(default_factory=dict)


def services() -> Services:
    """The services of the current app (inside a request or app context)."""
    return current_app.extensions["inburgering"]  # type: ignore[no-any-return]


def db_connection(*, fresh: bool = False) -> Connection:
    """This request's read connection, opened on first use and closed at teardown.

    ``fresh=True`` ends the read transaction first, so that a read after a write of this request
    sees that write (a SQLite read transaction keeps the snapshot it began with).
    """
    conn = g.get("_db_conn")
    if conn is None:
        conn = read_connection(services().db)
        g._db_conn = conn
    elif fresh and conn.in_transaction():
        conn.rollback()
    return conn  # type: ignore[no-any-return]


def _close_connection(_exc: BaseException | None) -> None:
    conn = g.pop("_db_conn", None)
    if conn is not None:
        conn.close()


def build_services(
    config: Mapping[str, Any], clock: Clock | None = None, db: Engine | None = None
) -> Services:
    """Create the database engine, clock and workflow service from a loaded config."""
    # imported here, not at the top: ``inburgering serve`` chooses the metrics mode before this import
    from app.metrics import Metrics

    clock = clock or config.get("CLOCK") or SystemClock()
    db = db or make_engine(config["DATABASE_URL"])
    budget = StepBudget.from_settings(config)
    workflow = WorkflowService(db, clock, budget=budget, workflow_cache=int(config["WORKFLOW_CACHE"]))
    workflow.runtime.max_variables_bytes = int(config.get("MAX_VARIABLES_BYTES") or 256 * 1024)
    workflow.runtime.max_multi_instances = int(config.get("MAX_MULTI_INSTANCES") or 1000)
    metrics = Metrics()
    workflow.runtime = metrics.instrument(workflow.runtime)
    return Services(db=db, clock=clock, workflow=workflow, config=dict(config), metrics=metrics)


class _App(APIFlask):
    """APIFlask, with the check Flask makes of every hook and view on every request made cheaper."""

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        # A plain function or method is async only with CO_COROUTINE in its code (what
        # ``inspect.iscoroutinefunction`` reads, more slowly); anything else takes Flask's way.
        code = getattr(func, "__code__", None)
        if code is not None and not code.co_flags & CO_COROUTINE:
            return func
        return super().ensure_sync(func)


def create_app(config: Mapping[str, Any] | None = None) -> APIFlask:
    """Build the app: defaults, then ``INBURGERING_*`` environment variables, then ``config``."""
    from app.schemas import Problem

    settings = load_config(config)
    app = _App(
        __name__,
        title="Doorlopende Lijn API",
        version=API_VERSION,
        spec_path=f"{API_PREFIX}/openapi.json",
        docs_path=f"{API_PREFIX}/docs",
    )
    app.config.update(
        HTTP_ERROR_SCHEMA=Problem,
        VALIDATION_ERROR_SCHEMA=Problem,
        VALIDATION_ERROR_DESCRIPTION="Validation failed: `errors` names every bad field",
        AUTO_SERVERS=False,
        SYNC_LOCAL_SPEC=False,
        JSON_SORT_KEYS=False,
    )
    app.config.update(settings)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.strict_slashes = True
    if settings.get("SECRET_KEY"):
        app.secret_key = settings["SECRET_KEY"]
        # Sessions signed with a previous key stay valid while a key rotation is under way.
        app.config["SECRET_KEY_FALLBACKS"] = list(settings.get("SECRET_KEY_PREVIOUS") or ())
    app.extensions["inburgering"] = build_services(
        settings, clock=settings.get("CLOCK"), db=settings.get("DB_ENGINE")
    )
    app.teardown_appcontext(_close_connection)

    from app import tracing

    tracing.init_app(app)
    from app import processing_log

    processing_log.init_app(app)
    from app.observability import register_observability

    register_observability(app)
    from app import api_docs

    api_docs.configure(app)
    from app.api import register_api

    register_api(app)
    from app.tasklist import register_tasklist

    register_tasklist(app)
    return app

"""The REST API v1: one blueprint per resource, registered here.

To add a resource, write ``app/api/<name>.py`` with a blueprint ``bp`` and add its module name to
:data:`BLUEPRINT_MODULES`; every blueprint is mounted under ``/api/v1``.
"""

from __future__ import annotations

from importlib import import_module

from apiflask import APIFlask

from app import API_PREFIX

#: Modules in ``app.api`` with a blueprint ``bp``, in the order the OpenAPI document lists them.
BLUEPRINT_MODULES: list[str] = [
    "health",
    "process_definitions",
    "process_instances",
    "tasks",
    "messages",
    "signals",
    "external_tasks",
    "timers",
    "incidents",
    "subscriptions",
    "tvs",
    "migrations",
    "comments",
    "processing_log",
]


def register_api(app: APIFlask) -> None:
    """Register every blueprint and the shared request/response hooks."""
    from app.api.hooks import register_hooks

    register_hooks(app)
    for name in BLUEPRINT_MODULES:
        module = import_module(f"app.api.{name}")
        app.register_blueprint(module.bp, url_prefix=API_PREFIX)

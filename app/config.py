"""Configuration: defaults, then environment variables, then the config given to create_app."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": "sqlite:///var/inburgering.db",
    "SECRET_KEY": None,
    "SECRET_KEY_PREVIOUS": (),
    "TVS_WEBHOOK_SECRET": None,
    "TIMER_POLL_SECONDS": 1.0,
    "WEBHOOKS_ALLOW_INSECURE": False,
    "RUN_WORKER": False,
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    "MAX_JSON_BYTES": 1024 * 1024,
    "DEPLOY_BUNDLED": True,
    "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
    "VAR_DIR": "var",
    "TRUSTED_PROXIES": 0,
    "PROCESSING_LOG_RETENTION_DAYS": 1826,
    "MAX_SUBSCRIPTIONS_PER_ORGANISATION": 20,
    "MAX_VARIABLES_BYTES": 256 * 1024,
    "MAX_MULTI_INSTANCES": 1000,
    "WORKFLOW_CACHE": 2000,
    "LOG_FORMAT": "text",
    "LOG_LEVEL": "INFO",
}

_ENV: dict[str, tuple[str, Any]] = {
    "DATABASE_URL": ("DATABASE_URL", str),
    "SECRET_KEY": ("INBURGERING_SECRET_KEY", str),
    "SECRET_KEY_PREVIOUS": ("INBURGERING_SECRET_KEY_PREVIOUS", lambda v: split_keys(v)),
    "TVS_WEBHOOK_SECRET": ("TVS_WEBHOOK_SECRET", str),
    "TIMER_POLL_SECONDS": ("INBURGERING_TIMER_POLL_SECONDS", float),
    "WEBHOOKS_ALLOW_INSECURE": (
        "INBURGERING_WEBHOOKS_ALLOW_INSECURE",
        lambda v: v.strip().lower() in {"1", "true", "yes"},
    ),
    "PUBLIC_BASE_URL": ("INBURGERING_PUBLIC_BASE_URL", str),
    "VAR_DIR": ("INBURGERING_VAR_DIR", str),
    "TRUSTED_PROXIES": ("INBURGERING_TRUSTED_PROXIES", int),
    "PROCESSING_LOG_RETENTION_DAYS": ("INBURGERING_PROCESSING_LOG_RETENTION_DAYS", int),
    "MAX_SUBSCRIPTIONS_PER_ORGANISATION": ("INBURGERING_MAX_SUBSCRIPTIONS_PER_ORGANISATION", int),
    "MAX_VARIABLES_BYTES": ("INBURGERING_MAX_VARIABLES_BYTES", int),
    "MAX_MULTI_INSTANCES": ("INBURGERING_MAX_MULTI_INSTANCES", int),
    "WORKFLOW_CACHE": ("INBURGERING_WORKFLOW_CACHE", int),
    "LOG_FORMAT": ("INBURGERING_LOG_FORMAT", lambda v: v.strip().lower()),
    "LOG_LEVEL": ("INBURGERING_LOG_LEVEL", lambda v: v.strip().upper()),
    "WORKER_METRICS_LISTEN": ("INBURGERING_WORKER_METRICS_LISTEN", str),
}


def split_keys(value: str) -> tuple[str, ...]:
    """Keys separated by commas or white space (generated keys hold neither)."""
    return tuple(k for k in value.replace(",", " ").split() if k)


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Defaults, then environment variables (``INBURGERING_*`` and friends), then ``overrides``."""
    env = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    for key, (name, convert) in _ENV.items():
        if name in env and env[name] != "":
            config[key] = convert(env[name])
    for key, value in env.items():
        if key.startswith("INBURGERING_") and key[len("INBURGERING_") :] not in config:
            config[key[len("INBURGERING_") :]] = value
    config.update(overrides or {})
    return config

"""Logs: plain text by default (``make run``), JSON lines with ``INBURGERING_LOG_FORMAT=json``.

A JSON line carries ``time``, ``level``, ``logger``, ``message``, the W3C trace context of the
request or worker action it belongs to (``trace_id``, ``span_id``, ``traceparent``, from
:mod:`app.tracing`, the same ids the data-processing log records) and the fields the code adds
(``event``, ``route``, ``status``, ``duration_ms``, counts). One line per request
(logger ``inburgering.request``) and per worker action that did something (``inburgering.worker``).

No line holds a V-nummer, BSN or name: requests are logged by route template (``/api/v1/tasks/<task_id>``),
never with their path, query string or body, and a last filter masks any stand-alone number of
nine or ten digits (BSN, V-nummer) that found its way into a message anyway.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from app.tracing import TraceContextFilter

FORMATS = ("text", "json")
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
_PERSONAL_NUMBER = re.compile(r"(?<![\w-])\d{9,10}(?![\w-])")
MASK = "[nummer]"


#: SpiffWorkflow puts a task's data (names, V-nummers) on its log records as extra fields.
LIBRARY_EXTRAS = ("data", "internal_data")
#: Loggers that are told only warnings: SpiffWorkflow logs every task state change at INFO.
QUIET_LOGGERS = ("spiff",)


class PersonalNumberFilter(logging.Filter):
    """Masks stand-alone nine- or ten-digit numbers (a BSN, a V-nummer) in the message, and drops the
    task data SpiffWorkflow attaches to its records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("spiff"):
            for name in LIBRARY_EXTRAS:
                record.__dict__.pop(name, None)
        message = record.getMessage()
        masked = _PERSONAL_NUMBER.sub(MASK, message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def json_formatter() -> logging.Formatter:
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(  # type: ignore[no-any-return]
        JSON_FIELDS,
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
        json_ensure_ascii=False,
    )


def handler(log_format: str, stream: Any = None) -> logging.Handler:
    """A stream handler in ``log_format`` with the trace context and the number mask."""
    if log_format not in FORMATS:
        raise ValueError(f"INBURGERING_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    out = logging.StreamHandler(stream or sys.stderr)
    out.addFilter(TraceContextFilter())
    out.addFilter(PersonalNumberFilter())
    if log_format == "json":
        out.setFormatter(json_formatter())
    else:
        out.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return out


def configure_logging(config: dict[str, Any], stream: Any = None) -> None:
    """Send every log record (root logger) to stderr in the configured format and level."""
    log_format = str(config.get("LOG_FORMAT") or "text")
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_inburgering", False):
            root.removeHandler(old)
    new = handler(log_format, stream)
    new._inburgering = True  # type: ignore[attr-defined]
    root.addHandler(new)
    root.setLevel(str(config.get("LOG_LEVEL") or "INFO").upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def gunicorn_logconfig(config: dict[str, Any]) -> dict[str, Any]:
    """gunicorn's ``logconfig_dict`` for JSON logs: its own lines as JSON too, to stderr."""
    level = str(config.get("LOG_LEVEL") or "INFO").upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "trace": {"()": "app.tracing.TraceContextFilter"},
            "numbers": {"()": "app.logs.PersonalNumberFilter"},
        },
        "formatters": {"json": {"()": "app.logs.json_formatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["trace", "numbers"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            **{name: {"level": "WARNING"} for name in QUIET_LOGGERS},
        },
    }

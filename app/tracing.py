"""W3C Trace Context: a trace id and an operation (span) id for every request and worker action.

A request that brings a valid ``traceparent`` header continues that trace; any other request
starts a new one. Either way the request gets a new operation id (the span id of W3C Trace
Context, ``operation_id`` in the Logboek Dataverwerkingen), and the answer carries the result in
``traceparent`` and ``traceresponse`` headers. Worker actions (a timer sweep, a webhook delivery)
run inside :func:`operation` and so get ids of their own.

The ids are random, as OpenTelemetry's SDK makes them, and a ``traceparent`` header is read with
its W3C propagator; the running operation is kept in a context variable (no span object is made or
exported: nothing reads one, and making one cost a sixth of the fixed cost of a request). Code
anywhere in a request or worker action reads the ids with :func:`current`, :func:`trace_id`,
:func:`operation_id` or :func:`log_fields` (JSON logs), or adds them to log records with
:class:`TraceContextFilter`.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, request
from opentelemetry import trace
from opentelemetry.trace import SpanContext
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

__all__ = [
    "RESPONSE_HEADERS",
    "TraceContextFilter",
    "TraceIds",
    "current",
    "init_app",
    "log_fields",
    "operation",
    "operation_id",
    "parse_traceparent",
    "trace_id",
]

#: Response headers that carry the request's trace context back to the caller.
RESPONSE_HEADERS = ("traceparent", "traceresponse")

_propagator = TraceContextTextMapPropagator()
#: The operation running in this context (a request, a worker action), or None.
_running: ContextVar[TraceIds | None] = ContextVar("inburgering_trace_ids", default=None)


@dataclass(frozen=True)
class TraceIds:
    """The trace context of the running operation, as lowercase hex."""

    trace_id: str
    operation_id: str
    parent_operation_id: str | None
    sampled: bool

    @property
    def traceparent(self) -> str:
        """The W3C ``traceparent`` value naming this operation."""
        return f"00-{self.trace_id}-{self.operation_id}-{'01' if self.sampled else '00'}"


def parse_traceparent(value: str | None, tracestate: str | None = None) -> SpanContext | None:
    """The remote span context in a ``traceparent`` header, or None when absent or invalid."""
    if not value:
        return None
    carrier = {"traceparent": value}
    if tracestate:
        carrier["tracestate"] = tracestate
    span_context = trace.get_current_span(_propagator.extract(carrier)).get_span_context()
    return span_context if span_context.is_valid else None


def _new_id(bits: int) -> int:
    """A random id that is not all zeros (W3C Trace Context calls an all-zero id invalid)."""
    value = 0
    while value == 0:
        value = random.getrandbits(bits)
    return value


@contextlib.contextmanager
def operation(
    name: str,
    *,
    traceparent: str | None = None,
    tracestate: str | None = None,
    new_trace: bool = False,
) -> Iterator[TraceIds]:
    """Run the block as a new operation (``name``: what runs) with its own operation id.

    Its parent is the operation named by ``traceparent`` when that is valid, else the operation
    running now (a nested step of a request or sweep), else none: a new trace. ``new_trace=True``
    ignores the running operation (a worker action that is not part of what ran before it).
    """
    remote = parse_traceparent(traceparent, tracestate) if traceparent else None
    running = None if new_trace or remote is not None else _running.get()
    if remote is not None:
        trace_hex, parent = f"{remote.trace_id:032x}", f"{remote.span_id:016x}"
    elif running is not None:
        trace_hex, parent = running.trace_id, running.operation_id
    else:
        trace_hex, parent = f"{_new_id(128):032x}", None
    # every operation is recorded (LDV): always sampled, as the SDK's ALWAYS_ON sampler said
    operation_hex = f"{_new_id(64):016x}"
    ids = TraceIds(trace_id=trace_hex, operation_id=operation_hex, parent_operation_id=parent, sampled=True)
    token = _running.set(ids)
    try:
        yield ids
    finally:
        _running.reset(token)


def current() -> TraceIds | None:
    """The trace context of the running request or worker action, or None outside of one."""
    return _running.get()


def trace_id() -> str | None:
    """The running trace id (32 hex digits), or None."""
    ids = current()
    return ids.trace_id if ids is not None else None


def operation_id() -> str | None:
    """The running operation id (16 hex digits, the W3C span id), or None."""
    ids = current()
    return ids.operation_id if ids is not None else None


def log_fields() -> dict[str, str]:
    """``trace_id``, ``span_id`` and ``traceparent`` of the running operation for a JSON log line."""
    ids = current()
    if ids is None:
        return {}
    return {"trace_id": ids.trace_id, "span_id": ids.operation_id, "traceparent": ids.traceparent}


class TraceContextFilter(logging.Filter):
    """Adds ``trace_id``, ``span_id`` and ``traceparent`` (empty outside an operation) to log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = log_fields()
        for key in ("trace_id", "span_id", "traceparent"):
            setattr(record, key, fields.get(key, ""))
        return True


# -- Flask ----------------------------------------------------------------------------------------
def init_app(app: Flask) -> None:
    """Give every request an operation: before any other hook runs, until teardown."""

    def _start() -> None:
        rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
        manager = operation(
            f"{request.method} {rule}",
            traceparent=request.headers.get("traceparent"),
            tracestate=request.headers.get("tracestate"),
            new_trace=True,
        )
        g._trace_ids = manager.__enter__()
        g._trace_manager = manager

    def _echo(response: Response) -> Response:
        ids: TraceIds | None = g.get("_trace_ids")
        if ids is not None:
            for header in RESPONSE_HEADERS:
                response.headers[header] = ids.traceparent
        return response

    def _end(_exc: BaseException | None) -> None:
        manager: Any = g.pop("_trace_manager", None)
        g.pop("_trace_ids", None)
        if manager is not None:
            manager.__exit__(None, None, None)

    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_echo)
    app.teardown_request(_end)

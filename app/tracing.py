"""W3C Trace Context: a trace id and an operation (span) id for every request and worker action.

A request that brings a valid ``traceparent`` header continues that trace; any other request
starts a new one. Either way the request gets a new operation id (the span id of W3C Trace
Context, ``operation_id`` in the Logboek Dataverwerkingen), and the answer carries the result in
``traceparent`` and ``traceresponse`` headers. Worker actions (a timer sweep, a webhook delivery)
run inside :func:`operation` and so get ids of their own.

The ids come from OpenTelemetry's SDK (random ids, W3C propagation); no span is exported. Code
anywhere in a request or worker action reads them with :func:`current`, :func:`trace_id`,
:func:`operation_id` or :func:`log_fields` (JSON logs), or adds them to log records with
:class:`TraceContextFilter`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, request
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
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

# A private provider: the ids are ours whatever global provider an operator installs; nothing is exported.
_provider = TracerProvider(sampler=ALWAYS_ON)  # every operation is logged (LDV): always record
_tracer = _provider.get_tracer("doorlopende-lijn")
_propagator = TraceContextTextMapPropagator()


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


def _ids(span: trace.Span, parent: SpanContext | None) -> TraceIds:
    ctx = span.get_span_context()
    return TraceIds(
        trace_id=trace.format_trace_id(ctx.trace_id),
        operation_id=trace.format_span_id(ctx.span_id),
        parent_operation_id=trace.format_span_id(parent.span_id) if parent is not None else None,
        sampled=bool(ctx.trace_flags & TraceFlags.SAMPLED),
    )


@contextlib.contextmanager
def operation(
    name: str,
    *,
    traceparent: str | None = None,
    tracestate: str | None = None,
    new_trace: bool = False,
) -> Iterator[TraceIds]:
    """Run the block as a new operation with its own operation id.

    Its parent is the operation named by ``traceparent`` when that is valid, else the operation
    running now (a nested step of a request or sweep), else none: a new trace. ``new_trace=True``
    ignores the running operation (a worker action that is not part of what ran before it).
    """
    parent = parse_traceparent(traceparent, tracestate)
    if parent is not None:
        parent_ctx = trace.set_span_in_context(NonRecordingSpan(parent))
    elif new_trace:
        parent_ctx = otel_context.Context()
    else:
        parent_ctx = otel_context.get_current()
        running = trace.get_current_span(parent_ctx).get_span_context()
        parent = running if running.is_valid else None
    span = _tracer.start_span(name, context=parent_ctx)
    token = otel_context.attach(trace.set_span_in_context(span, parent_ctx))
    try:
        yield _ids(span, parent)
    finally:
        span.end()
        otel_context.detach(token)


def current() -> TraceIds | None:
    """The trace context of the running request or worker action, or None outside of one."""
    span = trace.get_current_span()
    if not span.get_span_context().is_valid:
        return None
    parent = getattr(span, "parent", None)  # the SDK's spans keep their parent's context
    return _ids(span, parent if isinstance(parent, SpanContext) and parent.is_valid else None)


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

"""W3C Trace Context: a request continues the caller's trace or starts one; each gets its own operation."""

from __future__ import annotations

import logging
import re

from flask import Flask

from app import tracing
from tests.api.conftest import Api

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$")
CALLER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def ids_of(response) -> tuple[str, str]:
    value = response.headers["traceparent"]
    assert response.headers["traceresponse"] == value
    match = TRACEPARENT.match(value)
    assert match, value
    return match.group(1), match.group(2)


def test_a_request_with_traceparent_continues_that_trace_with_a_new_operation(api: Api) -> None:
    trace_id, op = ids_of(api.get("/tasks", "km", headers={"traceparent": CALLER}))
    assert trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert op != "b7ad6b7169203331"
    _, again = ids_of(api.get("/tasks", "km", headers={"traceparent": CALLER}))
    assert again != op


def test_a_request_without_or_with_a_bad_traceparent_starts_a_new_trace(api: Api) -> None:
    first, _ = ids_of(api.get("/health"))
    second, _ = ids_of(api.get("/tasks", "km"))
    assert first != second
    for bad in (
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",  # all-zero trace id
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  # all-zero parent id
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # version ff is invalid
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",  # upper case
        "garbage",
    ):
        trace_id, _ = ids_of(api.get("/tasks", "km", headers={"traceparent": bad}))
        assert trace_id != "0af7651916cd43dd8448eb211c80319c", bad
        assert trace_id != "0" * 32


def test_errors_and_tasklist_pages_carry_the_trace_too(api: Api) -> None:
    ids_of(api.get("/tasks"))  # 401
    ids_of(api.get("/nothing-here"))  # 404
    ids_of(api.client.get("/tasklist/login"))


def test_the_view_sees_the_ids_of_its_request(api: Api) -> None:
    seen: list[tracing.TraceIds | None] = []
    app: Flask = api.app

    @app.get("/probe")
    def probe() -> str:
        seen.append(tracing.current())
        return "ok"

    response = api.client.get("/probe", headers={"traceparent": CALLER})
    trace_id, op = ids_of(response)
    (ids,) = seen
    assert ids is not None
    assert (ids.trace_id, ids.operation_id, ids.parent_operation_id) == (trace_id, op, "b7ad6b7169203331")
    assert tracing.current() is None  # nothing leaks out of the request


def test_operations_nest_and_worker_actions_start_new_traces() -> None:
    assert tracing.current() is None and tracing.log_fields() == {}
    with tracing.operation("timer sweep", new_trace=True) as sweep:
        assert tracing.trace_id() == sweep.trace_id and tracing.operation_id() == sweep.operation_id
        assert sweep.parent_operation_id is None
        with tracing.operation("step") as step:
            assert step.trace_id == sweep.trace_id
            assert step.parent_operation_id == sweep.operation_id != step.operation_id
            assert tracing.current() == step
        with tracing.operation("delivery", new_trace=True) as other:
            assert other.trace_id != sweep.trace_id
        assert tracing.current() == sweep
    assert tracing.current() is None


def test_traceparent_round_trips_and_log_records_get_the_ids() -> None:
    with tracing.operation("x", traceparent=CALLER) as ids:
        assert TRACEPARENT.match(ids.traceparent)
        parsed = tracing.parse_traceparent(ids.traceparent)
        assert parsed is not None and f"{parsed.span_id:016x}" == ids.operation_id
        record = logging.LogRecord("t", logging.INFO, __file__, 1, "m", None, None)
        assert tracing.TraceContextFilter().filter(record)
        assert (record.trace_id, record.span_id) == (ids.trace_id, ids.operation_id)  # type: ignore[attr-defined]
        assert tracing.log_fields()["traceparent"] == ids.traceparent
    assert tracing.parse_traceparent(None) is None
    assert tracing.parse_traceparent("00-abc") is None

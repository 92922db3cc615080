"""JSON logs: one line per request and per worker action, with the W3C trace context, without
V-nummer, BSN or name."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from app import create_app
from app.logs import configure_logging, handler
from app.worker import TimerJob, WorkerSettings
from engine.clock import ManualClock
from storage.db import write_connection
from storage.orgs import create_token
from tests.operability.case_driver import Case, deploy_shipped
from tests.webhooks.conftest import GM_A, Parties, app_config

V_NUMMER, NAAM = "1234567890", "Amina Yusuf"
TRACE_ID, PARENT = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    level = root.level
    stream = io.StringIO()
    configure_logging({"LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}, stream=stream)
    yield stream
    for old in [h for h in root.handlers if getattr(h, "_inburgering", False)]:
        root.removeHandler(old)
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_requests_and_worker_actions_log_one_json_line_each_with_their_trace(
    db: Engine, clock: ManualClock, parties: Parties, log_stream: io.StringIO
) -> None:
    with write_connection(db) as conn, conn.begin():
        systeem = create_token(conn, "TVS", "systeem", "tvs", clock.now())
    app = create_app(app_config(db, clock, LOG_FORMAT="json"))
    svc = app.extensions["inburgering"]
    deploy_shipped(svc.workflow)
    client = app.test_client()
    answer = client.post(
        "/api/v1/process-instances",
        json={
            "businessKey": V_NUMMER,
            "gemeente": GM_A,
            "variables": {"azc": "AZC-ZST", "koppeldatum": "2027-01-04", "naam": NAAM},
        },
        headers={"Authorization": f"Bearer {systeem}", "traceparent": f"00-{TRACE_ID}-{PARENT}-01"},
    )
    assert answer.status_code == 201, answer.json
    operation = answer.headers["traceresponse"].split("-")[2]
    detail = client.get(f"/api/v1/process-instances/{answer.json['id']}", headers=parties.auth("km_a"))
    assert detail.status_code == 200

    case = Case(svc.workflow, clock, answer.json["id"], sweep=TimerJob(None, svc, "w", WorkerSettings()))
    case.late_by = timedelta(seconds=5)
    case.fire_next_timer()

    logged = lines(log_stream)
    requests = [line for line in logged if line.get("event") == "request"]
    started = next(line for line in requests if line["route"] == "/api/v1/process-instances")
    assert started["logger"] == "inburgering.request" and started["level"] == "INFO"
    assert (started["method"], started["status"], started["role"], started["org"]) == (
        "POST",
        201,
        "systeem",
        "TVS",
    )
    assert started["duration_ms"] >= 0 and started["time"]
    assert started["trace_id"] == TRACE_ID and started["span_id"] == operation
    assert started["traceparent"] == f"00-{TRACE_ID}-{operation}-01"
    read = next(line for line in requests if line["route"] == "/api/v1/process-instances/<instance_id>")
    assert (
        read["status"] == 200 and read["trace_id"] != TRACE_ID
    )  # a request without traceparent: a new trace
    assert len(requests) == 2

    (sweep,) = [line for line in logged if line.get("event") == "timer-sweep"]
    assert sweep["logger"] == "inburgering.worker" and sweep["fired"] >= 1 and sweep["max_lateness_s"] == 5.0
    assert len(sweep["trace_id"]) == 32 and sweep["trace_id"] not in {TRACE_ID, read["trace_id"]}

    text = log_stream.getvalue()
    assert V_NUMMER not in text and "Amina" not in text and "Yusuf" not in text
    assert answer.json["id"] not in json.dumps(requests)  # requests are logged by route, not by path


def test_numbers_that_look_like_a_bsn_or_v_nummer_are_masked() -> None:
    stream = io.StringIO()
    log = logging.getLogger("tests.mask")
    log.propagate = False
    log.addHandler(handler("json", stream))
    try:
        log.warning(
            "lookup of %s failed for %s in instance %s at %d",
            "123456789",
            V_NUMMER,
            "0c5a3e52-9f0e-4c4e-8f1b-123456789012",
            1234,
        )
    finally:
        log.handlers.clear()
        log.propagate = True
    (line,) = lines(stream)
    assert line["message"] == (
        "lookup of [nummer] failed for [nummer] in instance 0c5a3e52-9f0e-4c4e-8f1b-123456789012 at 1234"
    )


def test_the_task_data_spiffworkflow_puts_on_its_records_is_dropped(log_stream: io.StringIO) -> None:
    spiff = logging.getLogger("spiff.task")
    assert not spiff.isEnabledFor(logging.INFO)  # every state change is logged at INFO: not ours to show
    spiff.warning(
        "Task failed", extra={"data": {"naam": NAAM}, "internal_data": {"x": V_NUMMER}, "task_id": "t1"}
    )
    (line,) = lines(log_stream)
    assert line["message"] == "Task failed" and line["task_id"] == "t1"
    assert "data" not in line and "internal_data" not in line


def test_text_stays_the_default_and_a_wrong_format_is_refused() -> None:
    from app.config import load_config

    assert load_config(environ={})["LOG_FORMAT"] == "text"
    assert load_config(environ={"INBURGERING_LOG_FORMAT": "JSON"})["LOG_FORMAT"] == "json"
    with pytest.raises(ValueError, match="INBURGERING_LOG_FORMAT"):
        handler("xml")

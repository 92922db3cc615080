"""``POST /signals`` over HTTP, the tenant rule for signals, and deliveries that survive a crash.

The tenant rule is Camunda 7's for a signal thrown inside a process instance
(``ThrowSignalEventActivityBehavior.findSignalEventSubscriptions``): the thrower's tenant and
subscriptions without a tenant; a thrower without a tenant reaches only subscriptions without one.
Here the gemeente is the tenant. ``POST /signals`` follows Camunda's ``POST /signal``: everyone by
default, ``gemeente`` (Camunda's ``tenantId``) or ``withoutTenantId`` to narrow it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from app.worker import SignalJob
from engine.clock import ManualClock
from storage import signal_store
from storage.db import write_connection
from storage.schema import process_instances, processing_records, signal_deliveries
from storage.signal_store import SignalScope
from tests.api.conftest import Api, make_api

RESOURCES = Path(__file__).parent / "resources" / "signal"
CATCH = "SignalEventTests.catchAlertSignal"
THROW = "SignalEventTests.throwAlertSignal"
START = "SignalEventTest.signalStartEvent"


@pytest.fixture
def api(db: Engine, clock: ManualClock) -> Iterator[Api]:
    api = make_api(db, clock)
    for name in (CATCH, THROW, START):
        api.app.extensions["inburgering"].workflow.deploy(
            f"{name}.bpmn20.xml", (RESOURCES / f"{name}.bpmn20.xml").read_bytes(), actor="test"
        )
    yield api


def _start(api: Api, key: str, gemeente: str | None) -> str:
    record = api.app.extensions["inburgering"].workflow.start(
        key, business_key=None, gemeente=gemeente, variables={}, actor="test"
    )
    return record.id


def _status(api: Api, instance_id: str) -> str:
    with api.db.connect() as conn:
        return str(
            conn.execute(
                select(process_instances.c.status).where(process_instances.c.id == instance_id)
            ).scalar_one()
        )


def _started(api: Api) -> list[str | None]:
    """Gemeenten of the instances a signal start event started (process startBySignal)."""
    with api.db.connect() as conn:
        return sorted(
            conn.execute(
                select(process_instances.c.gemeente).where(process_instances.c.process_key == "startBySignal")
            ).scalars(),
            key=lambda g: g or "",
        )


def _catchers(api: Api) -> dict[str | None, str]:
    return {gemeente: _start(api, "catchSignal", gemeente) for gemeente in ("GM0344", "GM0363", None)}


def _received(api: Api, catchers: dict[str | None, str]) -> set[str | None]:
    return {g for g, instance_id in catchers.items() if _status(api, instance_id) == "completed"}


def test_post_signals_reaches_every_waiting_instance_and_starts_new_ones(api: Api) -> None:
    catchers = _catchers(api)
    response = api.post("/signals", "sys", json={"signalName": "alert", "variables": {"reden": "test"}})
    assert response.status_code == 204, response.get_json()
    assert response.data == b""
    assert _received(api, catchers) == {"GM0344", "GM0363", None}
    assert _started(api) == [None]
    body = api.get(f"/process-instances/{catchers['GM0344']}", "bh").get_json()
    assert body["variables"]["reden"] == "test"


def test_post_signals_for_one_gemeente(api: Api) -> None:
    catchers = _catchers(api)
    assert api.post("/signals", "sys", json={"signalName": "alert", "gemeente": "GM0363"}).status_code == 204
    assert _received(api, catchers) == {"GM0363"}
    assert _started(api) == ["GM0363"]


def test_post_signals_without_tenant(api: Api) -> None:
    catchers = _catchers(api)
    response = api.post("/signals", "sys", json={"signalName": "alert", "withoutTenantId": True})
    assert response.status_code == 204
    assert _received(api, catchers) == {None}
    assert _started(api) == [None]


def test_signal_thrown_in_a_gemeente_reaches_only_it_and_instances_without_one(api: Api) -> None:
    catchers = _catchers(api)
    _start(api, "throwSignal", "GM0344")
    assert _received(api, catchers) == {"GM0344", None}
    assert _status(api, catchers["GM0363"]) == "active"
    assert _started(api) == ["GM0344"]  # the started instance belongs to the thrower's gemeente


def test_signal_thrown_without_gemeente_reaches_only_instances_without_one(api: Api) -> None:
    catchers = _catchers(api)
    _start(api, "throwSignal", None)
    assert _received(api, catchers) == {None}
    assert _started(api) == [None]


def test_nothing_waiting_is_not_an_error(api: Api) -> None:
    assert api.post("/signals", "sys", json={"signalName": "niemand"}).status_code == 204


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "signalName"),
        ({"signalName": ""}, "signalName"),
        ({"signalName": "alert", "gemeente": "Utrecht"}, "gemeente"),
        ({"signalName": "alert", "gemeente": "GM0344", "withoutTenantId": True}, "withoutTenantId"),
        ({"signalName": "alert", "variables": {"typename": 1}}, "variables.typename"),
        ({"signalName": "alert", "onbekend": 1}, "onbekend"),
    ],
)
def test_bad_bodies_name_the_field_and_change_nothing(api: Api, body: dict, field: str) -> None:
    catchers = _catchers(api)
    response = api.post("/signals", "sys", json=body)
    assert response.status_code == 422, response.get_json()
    assert response.content_type == "application/problem+json"
    assert field in [e["field"] for e in response.get_json()["errors"]]
    assert _received(api, catchers) == set()


@pytest.mark.parametrize("who", ["km", "cm", "po", "bh"])
def test_only_the_systeem_role_throws_signals(api: Api, who: str) -> None:
    catchers = _catchers(api)
    assert api.post("/signals", who, json={"signalName": "alert"}).status_code == 403
    assert _received(api, catchers) == set()


def test_a_delivery_left_by_a_crashed_worker_is_made_by_the_next_one(api: Api, clock: ManualClock) -> None:
    """Receivers are chosen in the thrower's transaction; a crash before delivery loses nothing."""
    workflow = api.app.extensions["inburgering"].workflow
    catcher = _start(api, "catchSignal", "GM0344")
    now = clock.now()
    with write_connection(api.db) as conn, conn.begin():
        ids = signal_store.enqueue(
            conn,
            signal_name="alert",
            variables={},
            scope=SignalScope.thrown_in("GM0344"),
            starts=workflow.signal_start_targets,
            now=now,
        )
        # a worker took them and died before delivering
        claimed = signal_store.claim(conn, now, "dead-worker", now + timedelta(seconds=60), ids=ids)
    assert len(claimed) == 2
    job = SignalJob(api.app.extensions["inburgering"], "w2")
    assert job() == 0  # the dead worker's lease still holds
    assert _status(api, catcher) == "active"
    clock.advance(timedelta(seconds=61))
    assert job() == 2
    assert _status(api, catcher) == "completed"
    assert _started(api) == ["GM0344"]
    with api.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(signal_deliveries)).scalar_one() == 0
    assert workflow.deliver_pending_signals(worker_id="w3") == []  # delivered once, never again
    with api.db.connect() as conn:
        logged = conn.execute(
            select(func.count())
            .select_from(processing_records)
            .where(processing_records.c.instance_id == catcher)
        ).scalar_one()
    assert logged >= 1  # the worker's delivery is in the data-processing log

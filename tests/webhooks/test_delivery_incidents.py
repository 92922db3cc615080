"""A webhook delivery that dies opens an incident; retrying it makes the delivery pending again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from engine.clock import ManualClock
from storage import incidents
from storage.db import write_connection
from storage.service import WorkflowService
from storage.webhook_schema import deliveries
from tests.webhooks.conftest import Parties, Receiver
from tests.webhooks.test_delivery import CONFIG, run_life, subscribe
from webhooks.dispatch import deliver_pending


def _deliver(db: Engine, clock: ManualClock) -> int:
    return deliver_pending(db, clock, CONFIG, worker_id="w-test")


def test_a_dead_delivery_is_an_incident_and_its_retry_delivers_it(
    client: Any,
    db: Engine,
    clock: ManualClock,
    parties: Parties,
    workflow: WorkflowService,
    receiver: Receiver,
) -> None:
    subscribe(client, parties, "km_a", receiver)
    instance_id = run_life(workflow)
    receiver.script = [503] * 100
    _deliver(db, clock)
    while True:
        with db.connect() as conn:
            first = conn.execute(select(deliveries).order_by(deliveries.c.seq)).first()
        if first.status != "pending":
            break
        clock.set(max(clock.now(), first.next_attempt_at))
        _deliver(db, clock)
    assert first.status == "dead"
    with db.connect() as conn:
        (incident,) = incidents.list_incidents(conn, kind="delivery").rows
    assert (incident.subject_id, incident.instance_id, incident.status) == (first.id, instance_id, "open")
    assert "HTTP 503" in incident.message and first.event_type in incident.message

    receiver.script = []  # the receiver is fixed
    with write_connection(db) as conn, conn.begin():
        incidents.retry_incident(conn, incident.id, now=clock.now(), by="user:beheer")
    with db.connect() as conn:
        again = conn.execute(select(deliveries).where(deliveries.c.id == first.id)).one()
    assert (again.status, again.attempts) == ("pending", 0)
    delivered_ids = set()
    for _ in range(20):
        if not _deliver(db, clock):
            break
        clock.advance(hours=1)
    delivered_ids = {a.event.get_attributes()["id"] for a in receiver.accepted()}
    assert first.event_id in delivered_ids
    with db.connect() as conn:
        assert conn.execute(select(deliveries.c.status).where(deliveries.c.id == first.id)).scalar_one() == (
            "delivered"
        )
        assert incidents.count_open(conn) == 0

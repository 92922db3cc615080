"""Outbound delivery to a real HTTP receiver on 127.0.0.1: order, retries, outages, tenants, 410/429.

Time is a ManualClock: between dispatch calls the test moves it past the backoff, nothing sleeps.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select

from engine.clock import ManualClock
from storage.db import write_connection
from storage.service import WorkflowService
from storage.webhook_schema import deliveries, subscriptions
from tests.timing import patience
from tests.webhooks.conftest import BASE_URL, GM_A, GM_B, SECRET_KEY, V_A, V_B, Parties, Receiver
from webhooks import backoff
from webhooks.dispatch import deliver_pending
from webhooks.events import FULL_EVENT_TYPES

CONFIG = {"WEBHOOKS_ALLOW_INSECURE": True, "PUBLIC_BASE_URL": BASE_URL, "SECRET_KEY": SECRET_KEY}
MOMENTS = ["na-koppeling", "voor-warme-overdracht", "bij-verhuizing"]


def subscribe(
    client: Any, parties: Parties, who: str, receiver: Receiver, types: Any = FULL_EVENT_TYPES
) -> str:
    answer = client.post(
        "/api/v1/subscriptions",
        json={"url": receiver.url, "eventTypes": list(types)},
        headers=parties.auth(who),
    )
    assert answer.status_code == 201, answer.json
    receiver.secret = answer.json["secret"]
    return str(answer.json["id"])


def run_life(workflow: WorkflowService, v_nummer: str = V_A, gemeente: str = GM_A) -> str:
    """Koppeling, huisvesting gevonden, verhuisd: three klantprofiel moments and the end."""
    record = workflow.start(
        "doorlopende_lijn",
        business_key=v_nummer,
        gemeente=gemeente,
        variables={"gemeente": gemeente, "azc": "AZC-Budel", "koppeldatum": "2027-01-04"},
        actor="test",
    )
    workflow.correlate("huisvesting_gevonden", v_nummer, {"verhuisdatum": "2027-03-01"}, actor="test")
    workflow.correlate("verhuisd", v_nummer, {"verhuisdatum": "2027-03-01"}, actor="test")
    return record.id


def described(arrivals: list[Any]) -> list[tuple[str, str | None]]:
    out = []
    for a in arrivals:
        data = a.event.get_data()
        out.append((a.event.get_type().removeprefix("nl.inburgering."), data.get("moment")))
    return out


EXPECTED = [("klantprofiel-gedeeld", m) for m in MOMENTS] + [("proces-afgerond", None)]


def deliver(db: Engine, clock: ManualClock, config: dict[str, Any] | None = None) -> int:
    return deliver_pending(db, clock, config or CONFIG, worker_id="test-worker")


def test_the_klantprofiel_moments_arrive_in_order_verified_and_thin(
    client: Any,
    db: Engine,
    clock: ManualClock,
    parties: Parties,
    workflow: WorkflowService,
    receiver: Receiver,
) -> None:
    subscribe(client, parties, "km_a", receiver)
    instance_id = run_life(workflow)
    assert deliver(db, clock) == 4
    assert receiver.failures == []
    arrivals = receiver.accepted()
    assert described(arrivals) == EXPECTED
    for a in arrivals:
        event = a.event
        assert a.webhook_id == event.get_id()
        assert event.get_specversion() == "1.0"
        assert event.get_source().startswith("urn:nld:oin:")
        assert event.get_datacontenttype() == "application/json"
        assert event.get_extension("dataref") == f"{BASE_URL}/api/v1/process-instances/{instance_id}"
        assert event.get_time() is not None
        data = event.get_data()
        assert data["processInstanceId"] == instance_id
        assert data["gemeente"] == GM_A
        assert a.headers["content-type"].startswith("application/cloudevents+json")
        raw = a.body.decode() + json.dumps(a.headers)
        assert V_A not in raw
    assert deliver(db, clock) == 0  # nothing twice


def test_receiver_down_then_gone_then_back_every_event_arrives_in_order(
    client: Any,
    db: Engine,
    clock: ManualClock,
    parties: Parties,
    workflow: WorkflowService,
    receiver: Receiver,
) -> None:
    subscription_id = subscribe(client, parties, "km_a", receiver)
    run_life(workflow)
    receiver.script = [503, 503, 503]
    for _ in range(3):
        assert deliver(db, clock) == 1  # only the first event of the instance is tried
        clock.advance(backoff.MAX_DELAY * (1 + backoff.JITTER))
    receiver.stop()
    for _ in range(2):
        assert deliver(db, clock) == 1  # connection refused
        clock.advance(backoff.MAX_DELAY * (1 + backoff.JITTER))
    receiver.start()
    while deliver(db, clock):
        clock.advance(backoff.MAX_DELAY * (1 + backoff.JITTER))
    assert receiver.failures == []
    assert described(receiver.accepted()) == EXPECTED
    first = receiver.arrivals[0].webhook_id
    assert [a.webhook_id for a in receiver.arrivals[:4]] == [first] * 4  # 3 × 503 then 200
    assert all(a.webhook_id == a.event.get_id() for a in receiver.arrivals)

    log = client.get(f"/api/v1/subscriptions/{subscription_id}/deliveries", headers=parties.auth("km_a")).json
    assert log["total"] == 4
    oldest = log["items"][-1]
    assert oldest["status"] == "delivered"
    assert oldest["attempts"] == 6
    codes = [a["statusCode"] for a in oldest["attemptLog"]]
    assert codes == [503, 503, 503, None, None, 200]
    assert "refused" in oldest["attemptLog"][3]["error"].lower()
    assert all(a["durationMs"] is not None for a in oldest["attemptLog"])


def test_a_gemeente_receives_nothing_about_another_gemeentes_status_holders(
    client: Any,
    db: Engine,
    clock: ManualClock,
    parties: Parties,
    workflow: WorkflowService,
    receiver: Receiver,
) -> None:
    subscribe(client, parties, "km_a", receiver)
    other = run_life(workflow, V_B, GM_B)
    assert deliver(db, clock) == 0
    own = run_life(workflow, V_A, GM_A)
    deliver(db, clock)
    arrivals = receiver.accepted()
    assert described(arrivals) == EXPECTED
    assert {a.event.get_data()["processInstanceId"] for a in arrivals} == {own}
    assert all(other not in a.body.decode() and GM_B not in a.body.decode() for a in arrivals)


def test_coa_subscriptions_receive_every_gemeente_but_only_the_types_asked_for(
    client: Any,
    db: Engine,
    clock: ManualClock,
    parties: Parties,
    workflow: WorkflowService,
    receiver: Receiver,
) -> None:
    subscribe(client, parties, "beheerder", receiver, ["nl.inburgering.proces-afgerond"])
    a = run_life(workflow, V_A, GM_A)
    b = run_life(workflow, V_B, GM_B)
    assert deliver(db, clock) == 2
    got = {(x.event.get_type(), x.event.get_data()["processInstanceId"]) for x in receiver.accepted()}
    assert got == {("nl.inburgering.proces-afgerond", a), ("nl.inburgering.proces-afgerond", b)}


def test_410_disables_the_subscription(
    client: Any,
    db: Engine,
    clock: ManualClock,
    parties: Parties,
    workflow: WorkflowService,
    receiver: Receiver,
) -> None:
    subscription_id = subscribe(client, parties, "km_a", receiver)
    run_life(workflow)
    receiver.script = [410]
    assert deliver(db, clock) == 1
    clock.advance(hours=30)
    assert deliver(db, clock) == 0
    shown = client.get(f"/api/v1/subscriptions/{subscription_id}", headers=parties.auth("km_a")).json
    assert shown["active"] is False
    assert "410" in shown["disabledReason"]
    dead = client.get(
        f"/api/v1/subscriptions/{subscription_id}/deliveries?status=dead", headers=parties.auth("km_a")
    ).json
    assert dead["total"] == 4


def test_429_honours_retry_after(
    client: Any,
    db: Engine,
    clock: ManualClock,
    parties: Parties,
    workflow: WorkflowService,
    receiver: Receiver,
) -> None:
    subscribe(client, parties, "km_a", receiver)
    run_life(workflow)
    receiver.script = [(429, {"Retry-After": "120"})]
    assert deliver(db, clock) == 1
    with db.connect() as conn:
        due = conn.execute(
            select(deliveries.c.next_attempt_at).where(deliveries.c.attempts == 1)
        ).scalar_one()
    assert due == clock.now() + timedelta(seconds=120)
    clock.advance(seconds=119)
    assert deliver(db, clock) == 0
    clock.advance(seconds=1)
    while deliver(db, clock):
        pass
    assert described(receiver.accepted()) == EXPECTED


def test_after_about_a_day_of_failures_a_delivery_is_dead_and_the_next_one_goes(
    client: Any,
    db: Engine,
    clock: ManualClock,
    parties: Parties,
    workflow: WorkflowService,
    receiver: Receiver,
) -> None:
    subscription_id = subscribe(client, parties, "km_a", receiver)
    run_life(workflow)
    start = clock.now()
    receiver.script = [500] * 100
    tries = deliver(db, clock)
    while True:
        with db.connect() as conn:
            first = conn.execute(select(deliveries).order_by(deliveries.c.seq)).first()
        if first.status != "pending":
            break
        clock.set(max(clock.now(), first.next_attempt_at))
        tries += deliver(db, clock)
    assert first.status == "dead"
    assert 18 <= (clock.now() - start).total_seconds() / 3600 <= 24.1  # the window closes at 24 h
    assert 10 <= first.attempts <= backoff.MAX_ATTEMPTS <= tries
    receiver.script = []
    clock.advance(backoff.MAX_DELAY * (1 + backoff.JITTER))  # the second event failed once meanwhile
    while deliver(db, clock):
        clock.advance(backoff.MAX_DELAY * (1 + backoff.JITTER))
    log = client.get(f"/api/v1/subscriptions/{subscription_id}/deliveries", headers=parties.auth("km_a")).json
    statuses = [item["status"] for item in reversed(log["items"])]
    assert statuses == ["dead", "delivered", "delivered", "delivered"]
    assert log["items"][-1]["lastStatus"] == 500
    assert described(receiver.accepted()) == EXPECTED[1:]
    assert log["items"][-2]["attempts"] == 2  # its budget counts from its own first attempt


def test_a_target_that_turns_private_is_refused_at_delivery(
    client: Any,
    db: Engine,
    clock: ManualClock,
    parties: Parties,
    workflow: WorkflowService,
    receiver: Receiver,
) -> None:
    subscription_id = subscribe(client, parties, "km_a", receiver)
    run_life(workflow)
    assert deliver(db, clock, {**CONFIG, "WEBHOOKS_ALLOW_INSECURE": False}) == 1
    assert receiver.arrivals == []
    log = client.get(f"/api/v1/subscriptions/{subscription_id}/deliveries", headers=parties.auth("km_a")).json
    assert "refused target" in log["items"][-1]["lastError"]


def test_a_deleted_subscription_gets_nothing_more(
    client: Any,
    db: Engine,
    clock: ManualClock,
    parties: Parties,
    workflow: WorkflowService,
    receiver: Receiver,
) -> None:
    subscription_id = subscribe(client, parties, "km_a", receiver)
    run_life(workflow)
    assert (
        client.delete(f"/api/v1/subscriptions/{subscription_id}", headers=parties.auth("km_a")).status_code
        == 204
    )
    assert deliver(db, clock) == 0
    with db.connect() as conn:
        assert conn.execute(select(subscriptions.c.active)).scalar_one() is False
    assert receiver.arrivals == []


def test_two_workers_share_the_work_and_keep_the_order(
    client: Any,
    db: Engine,
    clock: ManualClock,
    parties: Parties,
    workflow: WorkflowService,
    receiver: Receiver,
) -> None:
    subscribe(client, parties, "beheerder", receiver)
    ids = [run_life(workflow, f"{n:010d}", GM_A if n % 2 else GM_B) for n in range(1, 5)]
    import threading

    results: list[int] = []

    def work(name: str) -> None:
        while made := deliver_pending(db, clock, CONFIG, worker_id=name, limit=3):
            results.append(made)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=patience(60))
    assert receiver.failures == []
    arrivals = receiver.accepted()
    assert len(arrivals) == 16 and sum(results) == 16
    for instance_id in ids:
        mine = [a for a in arrivals if a.event.get_data()["processInstanceId"] == instance_id]
        assert described(mine) == EXPECTED
    with write_connection(db) as conn, conn.begin():
        assert {r.status for r in conn.execute(select(deliveries.c.status))} == {"delivered"}

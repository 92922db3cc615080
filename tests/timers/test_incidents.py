"""Incidents of the timer worker: a step that fails opens one, holds its timers, and a retry re-arms them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select

from engine.clock import ManualClock
from engine.errors import ProcessError
from storage import incidents, timer_store
from storage.db import write_connection
from storage.schema import timers
from storage.service import WorkflowService
from tests.conftest import FIXTURES
from tests.timers.conftest import Sweep

V_NUMMER = "1234567890"
FAILING = (FIXTURES / "engine" / "timer_then_failing_script.bpmn").read_bytes()


def _start(service: WorkflowService, key: str, **variables: object):
    return service.start(key, business_key=V_NUMMER, gemeente="GM0363", variables=variables, actor="user:s")


def _timer_rows(db: Engine, instance_id: str):
    with db.connect() as conn:
        return conn.execute(select(timers).where(timers.c.instance_id == instance_id)).all()


def test_a_timer_step_that_fails_opens_an_incident_and_the_worker_moves_on(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep
) -> None:
    service.deploy("faal.bpmn", FAILING, actor="test")
    bad = _start(service, "wacht_en_faal")
    good = _start(service, "termijn")
    clock.advance(hours=1)

    report = sweep()
    assert (report.claimed, report.fired, report.incidents) == (2, 1, 1)
    assert service.get(good.id).status == "completed"
    assert service.get(bad.id).status == "active"  # the failed step was rolled back
    with db.connect() as conn:
        page = incidents.list_incidents(conn, status="open")
        assert timer_store.oldest_overdue(conn, clock.now()) is None  # held, not overdue
        assert timer_store.next_due_at(conn, clock.now()) is None
    (incident,) = page.rows
    assert (incident.kind, incident.instance_id, incident.element_id) == ("timer", bad.id, "wacht_uur")
    assert "ontbreekt" in incident.message and V_NUMMER not in incident.message
    (row,) = _timer_rows(db, bad.id)
    assert row.incident_id == incident.id and row.attempts == 1

    clock.advance(days=1)
    assert sweep().claimed == 0  # held by the incident: nobody spins on it

    # Retried without a fix: it fails again and a new incident opens; the first is resolved.
    with write_connection(db) as conn, conn.begin():
        retried = incidents.retry_incident(conn, incident.id, now=clock.now(), by="user:beheer")
    assert (retried.status, retried.resolved_by) == ("resolved", "user:beheer")
    report = sweep()
    assert (report.claimed, report.incidents) == (1, 1)
    with db.connect() as conn:
        assert incidents.count_open(conn) == 1
        assert incidents.list_incidents(conn).total == 2


def test_a_retried_incident_fires_its_timer_once_the_cause_is_fixed(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep, monkeypatch
) -> None:
    rec = _start(service, "termijn")
    clock.advance(minutes=1)

    def broken(state, **kwargs):
        raise ProcessError("termijn_verstreken: the step failed")

    monkeypatch.setattr(service.runtime, "fire_due_timers", broken)
    assert sweep().incidents == 1
    monkeypatch.undo()
    with db.connect() as conn:
        (incident,) = incidents.list_incidents(conn, instance_id=rec.id).rows
    with write_connection(db) as conn, conn.begin():
        incidents.retry_incident(conn, incident.id, now=clock.now(), by="user:beheer")
    report = sweep()
    assert (report.claimed, report.fired, report.incidents) == (1, 1, 0)
    assert service.get(rec.id).status == "completed"


def test_other_failures_back_off_and_become_an_incident_after_max_attempts(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep, monkeypatch
) -> None:
    from app.worker_sweep import MAX_ATTEMPTS

    rec = _start(service, "termijn")
    clock.advance(minutes=1)

    def flaky(state, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(service.runtime, "fire_due_timers", flaky)
    for attempt in range(1, MAX_ATTEMPTS):
        report = sweep()
        assert (report.claimed, report.incidents) == (1, 0), attempt
        clock.advance(hours=2)  # past any backoff
    report = sweep()
    assert (report.claimed, report.incidents) == (1, 1)
    (row,) = _timer_rows(db, rec.id)
    assert row.attempts == MAX_ATTEMPTS and row.incident_id is not None
    clock.advance(days=1)
    assert sweep().claimed == 0


def test_one_open_incident_per_subject(db: Engine, clock: ManualClock) -> None:
    with write_connection(db) as conn, conn.begin():
        first = incidents.open_incident(
            conn, kind="delivery", subject_id="d-1", message="410 Gone", now=clock.now()
        )
        again = incidents.open_incident(
            conn, kind="delivery", subject_id="d-1", message="410 Gone", now=clock.now()
        )
        other = incidents.open_incident(conn, kind="delivery", subject_id="d-2", message="x", now=clock.now())
    assert first.id == again.id != other.id
    with write_connection(db) as conn, conn.begin():
        assert incidents.resolve_incident(conn, first.id, now=clock.now() + timedelta(1), by="u")
        assert not incidents.resolve_incident(conn, first.id, now=clock.now(), by="u")
        reopened = incidents.open_incident(
            conn, kind="delivery", subject_id="d-1", message="again", now=clock.now()
        )
    assert reopened.id != first.id
    with db.connect() as conn:
        assert incidents.count_open(conn) == 2
        assert [i.id for i in incidents.list_incidents(conn, status="resolved").rows] == [first.id]


LOOP = (FIXTURES / "engine" / "loop_without_wait_state.bpmn").read_bytes()
CYCLE = (FIXTURES / "engine" / "cycle_timer.bpmn").read_bytes()


def test_a_timer_step_over_its_budget_is_an_incident_and_never_completed(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep
) -> None:
    service.deploy("lus.bpmn", LOOP, actor="test")
    looping = _start(service, "lus", n=0, grens=1_000_000, wachten=True)
    good = _start(service, "termijn")
    clock.advance(hours=1)

    report = sweep()
    assert (report.fired, report.incidents) == (1, 1)
    assert service.get(good.id).status == "completed"
    assert service.get(looping.id).status == "active"
    with db.connect() as conn:
        (incident,) = incidents.list_incidents(conn, instance_id=looping.id).rows
    assert "budget" in incident.message and "engine iterations" in incident.message
    clock.advance(hours=1)
    assert sweep().claimed == 0


def test_a_zero_period_cycle_reached_in_the_worker_is_an_incident_not_an_endless_loop(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep
) -> None:
    service.deploy("cyclus.bpmn", CYCLE, actor="test")
    rec = _start(service, "herinneren", cyclus="R/PT0S", wachten=True)  # the cycle comes after an hour
    clock.advance(hours=1)
    report = sweep()
    assert (report.claimed, report.fired, report.incidents) == (1, 0, 1)
    with db.connect() as conn:
        (incident,) = incidents.list_incidents(conn, instance_id=rec.id).rows
    assert "TimerCycleTooShort" in incident.message and "herinnering" in incident.message
    for _ in range(3):  # the worker does not spin: nothing is claimable any more
        clock.advance(seconds=1)
        assert sweep().claimed == 0


def test_a_stopping_sweep_ends_after_the_step_in_flight_and_releases_the_rest(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep
) -> None:
    records = [
        service.start("termijn", business_key=f"123456789{i}", gemeente="GM0363", actor="user:s")
        for i in range(5)
    ]
    clock.advance(minutes=1)
    stepped: list[int] = []
    real = service.runtime.fire_due_timers

    def counting(state, **kwargs):
        stepped.append(1)
        return real(state, **kwargs)

    service.runtime.fire_due_timers = counting  # type: ignore[method-assign]
    report = sweep(should_stop=lambda: len(stepped) >= 2)
    assert (report.claimed, report.fired, report.errors, report.incidents) == (5, 2, 0, 0)
    assert report.released == 3
    with db.connect() as conn:
        assert timer_store.still_claimed(conn, [r.id for r in records], "w-test") == []
    # Another worker takes the rest over at once: no lease to wait for.
    report = sweep(worker_id="w-other")
    assert (report.claimed, report.fired) == (3, 3)
    assert sorted(service.get(r.id).status for r in records) == ["completed"] * 5

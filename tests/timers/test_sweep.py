"""The timer worker's sweep on a manual clock: due times, reschedules, fire-now, cancellation, failures."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from engine.clock import ManualClock
from storage import repository as repo
from storage.schema import audit_entries, timers
from storage.service import WorkflowService
from tests.conftest import BPMN_DIR, T0
from tests.timers.conftest import Sweep

BSN = "999990019"
V_NUMMER = "1234567890"


def _start(service: WorkflowService, key: str = "aanvraag", **variables: object):
    return service.start(key, business_key=V_NUMMER, gemeente="GM0363", variables=variables, actor="user:s")


def _timers(db: Engine, instance_id: str) -> dict[str, object]:
    with db.connect() as conn:
        return {r.element_id: r for r in repo.timers_for_instance(conn, instance_id)}


def _events(db: Engine, instance_id: str, kind: str = "termijn-verstreken") -> list[dict[str, object]]:
    with db.connect() as conn:
        return [r.data for r in repo.outbox_for_instance(conn, instance_id) if r.type == kind]


def _actions(db: Engine, instance_id: str) -> list[str]:
    with db.connect() as conn:
        rows = conn.execute(
            select(audit_entries.c.action)
            .where(audit_entries.c.instance_id == instance_id)
            .order_by(audit_entries.c.id)
        )
        return [r.action for r in rows]


def test_fourteen_day_default_fires_at_its_due_time_exactly_once(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep
) -> None:
    rec = _start(service)
    assert {e: t.due_at for e, t in _timers(db, rec.id).items()} == {
        "herinnering": T0 + timedelta(hours=1),
        "verlopen": T0 + timedelta(days=14),
    }
    clock.set(T0 + timedelta(days=14) - timedelta(microseconds=1))
    report = sweep()
    assert (report.fired, report.errors) == (1, 0)  # only the one-hour reminder, 14 days late
    assert report.max_lateness == timedelta(days=14, hours=-1, microseconds=-1)
    assert service.get(rec.id).status == "active"
    assert report.next_due_at == T0 + timedelta(days=14)

    clock.set(T0 + timedelta(days=14))
    report = sweep()
    assert (report.fired, report.conflicts, report.errors) == (1, 0, 0)
    assert report.max_lateness == timedelta(0)
    assert service.get(rec.id).status == "completed"
    assert _timers(db, rec.id) == {}
    assert [e["elementId"] for e in _events(db, rec.id)] == ["herinnering", "verlopen"]
    assert _actions(db, rec.id).count("timer-fired") == 2

    clock.advance(days=1)
    assert sweep().claimed == 0
    assert len(_events(db, rec.id)) == 2


@pytest.mark.skipif(
    not (BPMN_DIR / "doorlopende_lijn.bpmn").exists(), reason="bpmn/doorlopende_lijn.bpmn not drawn yet"
)
def test_scenario_term_of_the_shipped_diagram_defaults_fourteen_days_after_the_koppeldatum(
    db: Engine, clock: ManualClock, sweep: Sweep
) -> None:
    service = WorkflowService(db, clock)
    for path in sorted(BPMN_DIR.glob("*.dmn")) + sorted(BPMN_DIR.glob("*.bpmn")):
        service.deploy(path.name, path.read_bytes(), actor="test")
    rec = service.start(
        "doorlopende_lijn",
        business_key=V_NUMMER,
        gemeente="GM0363",
        variables={"gemeente": "GM0363", "azc": "AZC01", "koppeldatum": "2027-01-04"},
        actor="systeem",
    )
    due = _timers(db, rec.id)["termijn_scenariokeuze"].due_at
    assert due == datetime(2027, 1, 17, 23, 0, tzinfo=UTC)  # 18 January 00:00 in Amsterdam
    clock.set(due - timedelta(microseconds=1))
    sweep()
    assert "termijn_scenariokeuze" in _timers(db, rec.id)
    clock.set(due)
    sweep()
    assert "termijn_scenariokeuze" not in _timers(db, rec.id)
    assert service.get(rec.id).scenario == "3"
    assert [e["elementId"] for e in _events(db, rec.id)].count("termijn_scenariokeuze") == 1


def test_a_sweep_owning_some_gemeenten_fires_only_their_instances_timers(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep
) -> None:
    ours = _start(service)
    theirs = service.start(
        "aanvraag", business_key="1234567891", gemeente="GM0344", variables={}, actor="user:s"
    )
    clock.set(T0 + timedelta(hours=2))
    report = sweep(gemeenten=("GM0363",))
    assert (report.fired, report.claimed) == (1, 1)
    assert report.next_due_at == T0 + timedelta(days=14)  # ours; theirs is overdue but not ours
    assert "herinnering" not in _timers(db, ours.id)
    assert "herinnering" in _timers(db, theirs.id)
    report = sweep(gemeenten=("GM0344",))
    assert (report.fired, report.claimed) == (1, 1)
    assert "herinnering" not in _timers(db, theirs.id)


def test_reschedule_moves_the_due_time_in_index_and_engine(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep
) -> None:
    rec = _start(service)
    clock.advance(hours=1)
    assert sweep().fired == 1  # the reminder
    verlopen = _timers(db, rec.id)["verlopen"]

    later = T0 + timedelta(days=20)
    rec = service.reschedule_timer(verlopen.id, later, actor="user:beheerder")
    assert _timers(db, rec.id)["verlopen"].due_at == later
    engine_view = service.runtime.describe(rec.state)
    assert [(t.element_id, t.due_at) for t in engine_view.timers] == [("verlopen", later)]
    clock.set(T0 + timedelta(days=14, seconds=1))
    assert sweep().claimed == 0  # not at the old time
    assert service.get(rec.id).status == "active"

    sooner = T0 + timedelta(days=16)
    rec = service.reschedule_timer(verlopen.id, sooner, actor="user:beheerder")
    assert _timers(db, rec.id)["verlopen"].due_at == sooner
    assert service.runtime.describe(rec.state).timers[0].due_at == sooner
    clock.set(sooner - timedelta(microseconds=1))
    assert sweep().claimed == 0
    clock.set(sooner)
    report = sweep()
    assert (report.fired, report.max_lateness) == (1, timedelta(0))
    assert service.get(rec.id).status == "completed"
    assert [e["elementId"] for e in _events(db, rec.id)] == ["herinnering", "verlopen"]
    assert _actions(db, rec.id).count("timer-rescheduled") == 2


def test_fire_now_fires_once_and_the_worker_finds_nothing_left(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep
) -> None:
    rec = _start(service)
    verlopen = _timers(db, rec.id)["verlopen"]
    rec = service.fire_timer(verlopen.id, actor="user:beheerder")
    assert rec.status == "completed"
    assert [e["elementId"] for e in _events(db, rec.id)] == ["verlopen"]
    assert _actions(db, rec.id)[-3:] == ["timer-fire-requested", "timer-fired", "completed"]
    assert _timers(db, rec.id) == {}
    clock.advance(days=30)
    assert sweep().claimed == 0
    assert len(_events(db, rec.id)) == 1


def test_timer_cancelled_by_its_interrupting_path_never_fires(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep
) -> None:
    rec = _start(service, behandelaar="cm")
    (task,) = [t for t in _tasks(db, rec.id) if t.element_id == "beoordelen"]
    service.complete_task(task.id, {"besluit": "ja"}, actor="user:km")
    assert _timers(db, rec.id) == {}
    clock.advance(days=30)
    report = sweep()
    assert (report.claimed, report.fired) == (0, 0)
    assert _events(db, rec.id) == []
    assert "timer-fired" not in _actions(db, rec.id)


def test_timer_cancelled_between_claim_and_fire_does_not_fire(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep
) -> None:
    rec = _start(service)
    (task,) = _tasks(db, rec.id)
    clock.advance(days=15)

    def user_completes_first(claimed):
        assert {t.element_id for t in claimed} == {"herinnering", "verlopen"}
        service.complete_task(task.id, {"besluit": "nee"}, actor="user:km")

    report = sweep(on_claimed=user_completes_first)
    assert (report.claimed, report.fired, report.conflicts, report.errors) == (2, 0, 1, 0)
    assert service.get(rec.id).status == "completed"
    assert _events(db, rec.id) == []
    assert _timers(db, rec.id) == {}


def test_conflict_with_another_writer_reloads_and_retries_once(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep, monkeypatch
) -> None:
    rec = _start(service)
    verlopen = _timers(db, rec.id)["verlopen"]
    clock.advance(hours=1)
    original = service.runtime.fire_due_timers
    calls = []

    def interleaved(state, **kwargs):
        calls.append(1)
        result = original(state, **kwargs)
        if len(calls) == 1:  # a user writes the instance while the worker computes its step
            service.reschedule_timer(verlopen.id, T0 + timedelta(days=20), actor="user:beheerder")
        return result

    monkeypatch.setattr(service.runtime, "fire_due_timers", interleaved)
    report = sweep()
    assert (report.fired, report.conflicts, report.errors) == (1, 1, 0)
    assert len(calls) == 2
    assert [e["elementId"] for e in _events(db, rec.id)] == ["herinnering"]
    assert _timers(db, rec.id)["verlopen"].due_at == T0 + timedelta(days=20)


def test_a_second_worker_firing_first_makes_ours_a_no_op(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep, monkeypatch
) -> None:
    rec = _start(service)
    clock.advance(days=14)
    other = WorkflowService(db, clock)
    original = service.runtime.fire_due_timers

    def raced(state, **kwargs):
        result = original(state, **kwargs)
        other.fire_due(rec.id)  # a worker whose lease we took over fires in the meantime
        return result

    monkeypatch.setattr(service.runtime, "fire_due_timers", raced)
    report = sweep()
    assert (report.fired, report.conflicts, report.errors) == (0, 1, 0)
    assert [e["elementId"] for e in _events(db, rec.id)] == ["herinnering", "verlopen"]
    assert _actions(db, rec.id).count("timer-fired") == 2


def test_non_interrupting_timer_opens_its_escalation_task(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep
) -> None:
    rec = _start(service, "huisvesting")
    # 12 calendar weeks in Amsterdam: summer time began in between, so one hour less in UTC.
    twelve_weeks = T0 + timedelta(weeks=12, hours=-1)
    assert _timers(db, rec.id)["termijn_huisvesting"].due_at == twelve_weeks
    clock.set(twelve_weeks)
    report = sweep()
    assert report.fired == 1
    assert sorted(t.element_id for t in _tasks(db, rec.id)) == ["escalatie_huisvesting", "woning_zoeken"]
    assert _events(db, rec.id) == [
        {"elementId": "termijn_huisvesting", "processInstanceId": rec.id, "gemeente": "GM0363"}
    ]
    created = [e["elementId"] for e in _events(db, rec.id, "taak-aangemaakt")]
    assert created == ["woning_zoeken", "escalatie_huisvesting"]
    clock.advance(weeks=12)
    assert sweep().claimed == 0  # non-repeating: it fires once


def test_failure_is_recorded_released_with_backoff_and_retried(
    service: WorkflowService, db: Engine, clock: ManualClock, sweep: Sweep, monkeypatch, caplog
) -> None:
    rec = _start(service)
    clock.advance(hours=1)

    def broken(state, **kwargs):
        raise RuntimeError(f"boom for {V_NUMMER} {BSN}")

    monkeypatch.setattr(service.runtime, "fire_due_timers", broken)
    with caplog.at_level(logging.DEBUG, logger="inburgering.worker"):
        report = sweep()
    assert (report.claimed, report.fired, report.errors) == (1, 0, 1)
    with db.connect() as conn:
        row = conn.execute(select(timers).where(timers.c.element_id == "herinnering")).one()
    assert row.attempts == 1 and row.claimed_by is None
    assert "RuntimeError" in row.last_error
    assert clock.now() + timedelta(seconds=2.5) <= row.claimed_until <= clock.now() + timedelta(seconds=5)
    assert "timer sweep: fired 0" in caplog.text
    assert V_NUMMER not in caplog.text and BSN not in caplog.text

    assert sweep().claimed == 0  # backing off
    monkeypatch.undo()
    clock.advance(seconds=5)
    report = sweep()
    assert (report.claimed, report.fired, report.errors) == (1, 1, 0)
    assert [e["elementId"] for e in _events(db, rec.id)] == ["herinnering"]


def _tasks(db: Engine, instance_id: str):
    with db.connect() as conn:
        return repo.tasks_for_instance(conn, instance_id)

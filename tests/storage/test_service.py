"""Instances stored through the workflow service on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from engine.clock import ManualClock
from engine.errors import FormValidationError, TaskNotOpenError
from storage import repository as repo
from storage.errors import ConflictError, NotFound
from storage.schema import audit_entries, message_waits, outbox_events, process_instances, timers, user_tasks
from storage.service import WorkflowService
from tests.conftest import FIXTURES, T0
from tests.timing import patience


@pytest.fixture
def service(db: Engine, clock: ManualClock) -> WorkflowService:
    svc = WorkflowService(db, clock)
    svc.deploy("aanvraag.bpmn", (FIXTURES / "aanvraag.bpmn").read_bytes(), actor="test")
    return svc


def _count(db: Engine, table) -> int:
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _tasks(db: Engine, instance_id: str):
    with db.connect() as conn:
        return repo.tasks_for_instance(conn, instance_id)


def test_deploy_is_idempotent_and_versions(service: WorkflowService) -> None:
    content = (FIXTURES / "aanvraag.bpmn").read_bytes()
    again = service.deploy("aanvraag.bpmn", content, actor="test")
    assert not again.created
    assert dict(again.definitions) == {"aanvraag": 1, "uitvoering_proces": 1}
    v2 = service.deploy("aanvraag.bpmn", content.replace(b"Aanvraag beoordelen", b"Beoordelen"), actor="test")
    assert v2.created and dict(v2.definitions)["aanvraag"] == 2


def test_full_run_is_indexed_audited_and_outboxed(
    service: WorkflowService, db: Engine, clock: ManualClock
) -> None:
    rec = service.start(
        "aanvraag", business_key="V1", gemeente="GM0344", variables={"behandelaar": "cm"}, actor="user:s"
    )
    assert rec.status == "active" and rec.revision == 1 and rec.gemeente == "GM0344"
    (task,) = _tasks(db, rec.id)
    assert task.element_id == "beoordelen" and task.lane == "Gemeente" and task.gemeente == "GM0344"
    assert task.due_at == T0 + timedelta(days=3)
    with db.connect() as conn:
        due = sorted(r.due_at for r in repo.timers_for_instance(conn, rec.id))
    assert due == [T0 + timedelta(hours=1), T0 + timedelta(days=14)]

    with pytest.raises(ConflictError):
        service.start("aanvraag", business_key="V1", gemeente="GM0344", actor="user:s")

    with pytest.raises(NotFound):
        service.complete_task(task.id, {"besluit": "ja"}, actor="user:km", gemeente_scope="GM0363")
    rec = service.complete_task(
        task.id, {"besluit": "ja", "bedrag": 3}, actor="user:km", gemeente_scope="GM0344"
    )
    assert rec.revision == 2
    with pytest.raises(TaskNotOpenError):
        service.complete_task(task.id, {"besluit": "ja"}, actor="user:km")
    with pytest.raises(NotFound):
        service.complete_task(task.id, {"besluit": "ja"}, actor="user:km", gemeente_scope="GM0363")
    (task2,) = _tasks(db, rec.id)
    assert task2.element_id == "uitvoeren" and task2.lane == "COA" and task2.assignee == "cm"
    assert _count(db, timers) == 0
    rec = service.complete_task(task2.id, {"klaar": True}, actor="user:cm")
    assert _count(db, message_waits) == 1
    with pytest.raises(NotFound):
        service.correlate("bevestigd", "V-other", {}, actor="systeem")
    rec = service.correlate("bevestigd", "V1", {"kenmerk": "x"}, actor="systeem")
    assert rec.status == "completed" and rec.ended_at is not None
    assert _count(db, user_tasks) == 0 and _count(db, message_waits) == 0
    with db.connect() as conn:
        types = [r.type for r in repo.outbox_for_instance(conn, rec.id)]
        actions = [r.action for r in conn.execute(select(audit_entries).order_by(audit_entries.c.id))]
    assert types[0] == "taak-aangemaakt" and types[-1] == "proces-afgerond"
    assert "aanvraag-afgerond" in types
    assert actions[0] == "start" and "message-correlated" in actions and actions[-1] == "completed"
    # the business key may start again once the first instance has ended
    service.start("aanvraag", business_key="V1", gemeente="GM0344", actor="user:s")


def test_bad_form_changes_nothing(service: WorkflowService, db: Engine) -> None:
    rec = service.start("aanvraag", business_key="V2", gemeente="GM0344", actor="s")
    (task,) = _tasks(db, rec.id)
    before = (_count(db, audit_entries), _count(db, outbox_events))
    with pytest.raises(FormValidationError):
        service.complete_task(task.id, {"besluit": "?"}, actor="km")
    assert service.get(rec.id).revision == 1
    assert (_count(db, audit_entries), _count(db, outbox_events)) == before


def test_claims(service: WorkflowService, db: Engine) -> None:
    rec = service.start("aanvraag", business_key="V3", gemeente="GM0344", actor="s")
    (task,) = _tasks(db, rec.id)
    service.claim(task.id, "anna")
    service.claim(task.id, "anna")
    with pytest.raises(ConflictError):
        service.claim(task.id, "bert")
    with pytest.raises(ConflictError):
        service.complete_task(task.id, {"besluit": "nee"}, actor="user:bert", user="bert")
    with pytest.raises(ConflictError):
        service.unclaim(task.id, "bert")
    service.unclaim(task.id, "anna")
    service.claim(task.id, "bert")
    assert (
        service.complete_task(task.id, {"besluit": "nee"}, actor="user:bert", user="bert").status
        == "completed"
    )


def test_two_concurrent_completions_exactly_one_wins(service: WorkflowService, db: Engine) -> None:
    rec = service.start("aanvraag", business_key="V4", gemeente="GM0344", actor="s")
    (task,) = _tasks(db, rec.id)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    original = service.runtime.complete_task

    def slow_complete(*args, **kwargs):
        result = original(*args, **kwargs)
        barrier.wait(timeout=patience(10))  # both have run the engine before either writes
        return result

    service.runtime.complete_task = slow_complete  # type: ignore[method-assign]

    def worker(value: str) -> None:
        try:
            service.complete_task(task.id, {"besluit": value}, actor=f"user:{value}")
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=worker, args=(v,)) for v in ("ja", "nee")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=patience(30))
    assert sorted(outcomes) == ["conflict", "ok"]
    final = service.get(rec.id)
    assert final.revision == 2
    with db.connect() as conn:
        completions = conn.execute(
            select(func.count()).select_from(audit_entries).where(audit_entries.c.action == "task-completed")
        ).scalar_one()
    assert completions == 1


def test_failure_mid_step_leaves_nothing_half_written(
    service: WorkflowService, db: Engine, monkeypatch
) -> None:
    rec = service.start("aanvraag", business_key="V5", gemeente="GM0344", actor="s")
    (task,) = _tasks(db, rec.id)
    before = (
        _count(db, audit_entries),
        _count(db, outbox_events),
        _count(db, user_tasks),
        _count(db, timers),
    )

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(repo, "_write_history", boom)
    with pytest.raises(RuntimeError):
        service.complete_task(task.id, {"besluit": "nee"}, actor="km")
    monkeypatch.undo()
    after = (_count(db, audit_entries), _count(db, outbox_events), _count(db, user_tasks), _count(db, timers))
    assert after == before
    assert service.get(rec.id).revision == 1 and service.get(rec.id).status == "active"
    assert service.complete_task(task.id, {"besluit": "nee"}, actor="km").status == "completed"


def test_timers_fire_reschedule_and_terminate(
    service: WorkflowService, db: Engine, clock: ManualClock
) -> None:
    rec = service.start("aanvraag", business_key="V6", gemeente="GM0344", actor="s")
    with db.connect() as conn:
        rows = {r.element_id: r for r in repo.timers_for_instance(conn, rec.id)}
    new_due = T0 + timedelta(days=1)
    service.reschedule_timer(rows["verlopen"].id, new_due, actor="beheerder")
    with db.connect() as conn:
        assert repo.get_timer_row(conn, rows["verlopen"].id).due_at == new_due
    service.fire_timer(rows["herinnering"].id, actor="beheerder")
    with db.connect() as conn:
        assert repo.get_timer_row(conn, rows["herinnering"].id) is None
    clock.advance(days=1, seconds=1)
    rec = service.fire_due(rec.id)
    assert rec.status == "completed"
    rec2 = service.start("aanvraag", business_key="V7", gemeente="GM0344", actor="s")
    (open_task,) = _tasks(db, rec2.id)
    rec2 = service.terminate(rec2.id, actor="beheerder")
    with pytest.raises(TaskNotOpenError):  # cancelled, not unknown: 409 in the API
        service.complete_task(open_task.id, {"besluit": "ja"}, actor="km", gemeente_scope="GM0344")
    assert rec2.status == "terminated"
    with db.connect() as conn:
        assert (
            conn.execute(select(process_instances.c.status).where(process_instances.c.id == rec2.id)).scalar()
            == "terminated"
        )
    with pytest.raises(ConflictError):
        service.terminate(rec2.id, actor="beheerder")


def test_database_errors_do_not_carry_bound_values(db: Engine) -> None:
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from storage.schema import organisations

    row = {"code": "GM0344", "name": "V1234567890", "kind": "gemeente", "created_at": T0}
    with db.begin() as conn:
        conn.execute(insert(organisations).values(**row))
    with pytest.raises(IntegrityError) as err, db.begin() as conn:
        conn.execute(insert(organisations).values(**row))
    assert "V1234567890" not in str(err.value)


def test_a_conflict_in_a_timer_batch_leaves_the_others_written(
    service: WorkflowService, db: Engine, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = service.start("aanvraag", business_key="V8", gemeente="GM0344", actor="s")
    second = service.start("aanvraag", business_key="V9", gemeente="GM0344", actor="s")
    with db.connect() as conn:
        verlopen = {r.element_id: r for r in repo.timers_for_instance(conn, first.id)}["verlopen"]
    clock.advance(days=1, seconds=1)
    original = service.runtime.fire_due_timers
    calls: list[int] = []

    def interleaved(state, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        result = original(state, **kwargs)
        if len(calls) == 1:  # someone writes the first instance while the batch computes its steps
            WorkflowService(db, clock).reschedule_timer(
                verlopen.id, T0 + timedelta(days=30), actor="beheerder"
            )
        return result

    monkeypatch.setattr(service.runtime, "fire_due_timers", interleaved)
    outcomes = service.fire_due_many([first.id, second.id])
    conflicted, written = (first.id, second.id) if outcomes[first.id].conflict else (second.id, first.id)
    assert outcomes[conflicted].conflict
    assert outcomes[written].record is not None and not outcomes[written].conflict
    with db.connect() as conn:
        revisions = dict(conn.execute(select(process_instances.c.id, process_instances.c.revision)).all())
        fired = conn.execute(
            select(func.count())
            .select_from(audit_entries)
            .where(audit_entries.c.instance_id == written, audit_entries.c.action == "timer-fired")
        ).scalar_one()
    assert revisions[written] == 2 and fired >= 1  # the batch's write of the other one committed
    assert revisions[conflicted] == 2  # the other writer's revision, not the batch's

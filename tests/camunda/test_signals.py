"""Camunda 7's signal tests, ported: each test names the Camunda test it comes from.

Sources: camunda/camunda-bpm-platform, ``engine/src/test/java/org/camunda/bpm/engine/test/bpmn/event/``
``signal/SignalEventTest.java``, ``signal/SignalEventPayloadTest.java``,
``signal/SignalEventParseInvalidProcessTest.java`` and ``end/SignalEndEventTest.java``, with their
resources in ``resources/signal/`` (see its README for the few adaptations). Camunda's
``runtimeService.signalEventReceived(name)`` is our ``throw_signal`` (``POST /signals``); its event
subscriptions are our indexed signal waits. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from engine.clock import ManualClock
from engine.errors import DeployError
from storage import repository as repo
from storage.schema import process_instances, signal_deliveries, signal_waits, user_tasks
from storage.service import WorkflowService

RESOURCES = Path(__file__).parent / "resources" / "signal"


@pytest.fixture
def service(db: Engine, clock: ManualClock) -> WorkflowService:
    return WorkflowService(db, clock)


def deploy(service: WorkflowService, *names: str) -> None:
    for name in names:
        service.deploy(f"{name}.bpmn20.xml", (RESOURCES / f"{name}.bpmn20.xml").read_bytes(), actor="test")


def subscriptions(db: Engine, name: str | None = None) -> int:
    query = select(func.count()).select_from(signal_waits)
    if name is not None:
        query = query.where(signal_waits.c.signal_name == name)
    with db.connect() as conn:
        return int(conn.execute(query).scalar_one())


def active_instances(db: Engine) -> int:
    with db.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(process_instances)
                .where(process_instances.c.status == "active")
            ).scalar_one()
        )


def tasks(db: Engine, instance_id: str | None = None) -> list[tuple[str, str]]:
    """(element id, name) of open user tasks."""
    query = select(user_tasks.c.element_id, user_tasks.c.name).order_by(user_tasks.c.element_id)
    if instance_id is not None:
        query = query.where(user_tasks.c.instance_id == instance_id)
    with db.connect() as conn:
        return [(r.element_id, r.name) for r in conn.execute(query)]


def task_id(db: Engine, element_id: str) -> str:
    with db.connect() as conn:
        return str(
            conn.execute(select(user_tasks.c.id).where(user_tasks.c.element_id == element_id)).scalar_one()
        )


def pending_deliveries(db: Engine) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(signal_deliveries)).scalar_one())


# -- SignalEventTest ------------------------------------------------------------------------------
def test_signal_catch_intermediate(service: WorkflowService, db: Engine) -> None:
    """SignalEventTest.testSignalCatchIntermediate"""
    deploy(service, "SignalEventTests.catchAlertSignal", "SignalEventTests.throwAlertSignal")
    service.start("catchSignal", business_key=None, gemeente=None, actor="test")
    assert subscriptions(db) == 1
    assert active_instances(db) == 1
    service.start("throwSignal", business_key=None, gemeente=None, actor="test")
    assert subscriptions(db) == 0
    assert active_instances(db) == 0
    assert pending_deliveries(db) == 0


def test_signal_catch_boundary(service: WorkflowService, db: Engine) -> None:
    """SignalEventTest.testSignalCatchBoundary"""
    deploy(service, "SignalEventTests.catchAlertSignalBoundary", "SignalEventTests.throwAlertSignal")
    service.start("catchSignal", business_key=None, gemeente=None, actor="test")
    assert subscriptions(db) == 1
    assert active_instances(db) == 1
    service.start("throwSignal", business_key=None, gemeente=None, actor="test")
    assert subscriptions(db) == 0
    assert active_instances(db) == 0


def test_signal_catch_boundary_with_variables(service: WorkflowService, db: Engine) -> None:
    """SignalEventTest.testSignalCatchBoundaryWithVariables: the thrower's variables stay its own."""
    deploy(
        service,
        "SignalEventTests.catchAlertSignalBoundaryWithReceiveTask",
        "SignalEventTests.throwAlertSignal",
    )
    pi = service.start(
        "catchSignal", business_key=None, gemeente=None, variables={"processName": "catchSignal"}, actor="t"
    )
    service.start(
        "throwSignal", business_key=None, gemeente=None, variables={"processName": "throwSignal"}, actor="t"
    )
    assert service.get(pi.id).variables["processName"] == "catchSignal"


def test_signal_catch_different_signals(service: WorkflowService, db: Engine) -> None:
    """SignalEventTest.testSignalCatchDifferentSignals"""
    deploy(
        service,
        "SignalEventTests.catchMultipleSignals",
        "SignalEventTests.throwAlertSignal",
        "SignalEventTests.throwAbortSignal",
    )
    service.start("catchSignal", business_key=None, gemeente=None, actor="test")
    assert subscriptions(db) == 2
    assert active_instances(db) == 1
    service.start("throwAbort", business_key=None, gemeente=None, actor="test")
    assert subscriptions(db) == 1
    assert active_instances(db) == 1
    with db.connect() as conn:
        after_abort = conn.execute(select(user_tasks).where(user_tasks.c.assignee == "gonzo")).one()
    service.complete_task(after_abort.id, {}, actor="test")
    service.start("throwSignal", business_key=None, gemeente=None, actor="test")
    assert subscriptions(db) == 0
    assert active_instances(db) == 0


def test_signal_boundary_on_sub_process(service: WorkflowService, db: Engine) -> None:
    """SignalEventTest.testSignalBoundaryOnSubProcess"""
    deploy(service, "SignalEventTest.testSignalBoundaryOnSubProcess")
    pi = service.start("signalEventOnSubprocess", business_key=None, gemeente=None, actor="test")
    service.throw_signal("stopSignal", actor="test")
    assert service.get(pi.id).status == "completed"


def test_non_interrupting_signal(service: WorkflowService, db: Engine) -> None:
    """SignalEventTest.testNonInterruptingSignal"""
    deploy(service, "SignalEventTest.testNonInterruptingSignal")
    pi = service.start("nonInterruptingSignalEvent", business_key=None, gemeente=None, actor="test")
    assert [name for _, name in tasks(db, pi.id)] == ["My User Task"]
    service.throw_signal("alert", actor="test")
    assert sorted(name for _, name in tasks(db, pi.id)) == ["My Second User Task", "My User Task"]
    with db.connect() as conn:
        first = conn.execute(select(user_tasks.c.id).where(user_tasks.c.name == "My User Task")).scalar_one()
    service.complete_task(first, {}, actor="test")
    assert [name for _, name in tasks(db, pi.id)] == ["My Second User Task"]


def test_non_interrupting_signal_with_sub_process(service: WorkflowService, db: Engine) -> None:
    """SignalEventTest.testNonInterruptingSignalWithSubProcess"""
    deploy(service, "SignalEventTest.testNonInterruptingSignalWithSubProcess")
    pi = service.start("nonInterruptingSignalWithSubProcess", business_key=None, gemeente=None, actor="test")
    assert [name for _, name in tasks(db, pi.id)] == ["Approve"]
    service.throw_signal("alert", actor="test")
    assert sorted(name for _, name in tasks(db, pi.id)) == ["Approve", "Review"]

    def by_name(name: str) -> str:
        with db.connect() as conn:
            return str(conn.execute(select(user_tasks.c.id).where(user_tasks.c.name == name)).scalar_one())

    service.complete_task(by_name("Approve"), {}, actor="test")
    assert [name for _, name in tasks(db, pi.id)] == ["Review"]
    service.complete_task(by_name("Review"), {}, actor="test")
    assert len(tasks(db, pi.id)) == 1


def test_signal_start_event_in_event_sub_process(service: WorkflowService, db: Engine) -> None:
    """SignalEventTest.testSignalStartEventInEventSubProcess: the interrupting event subprocess runs"""
    deploy(service, "SignalEventTest.testSignalStartEventInEventSubProcess")
    pi = service.start("signalStartEventInEventSubProcess", business_key=None, gemeente=None, actor="test")
    assert len(tasks(db, pi.id)) == 1
    service.throw_signal("alert", actor="test")
    after = service.get(pi.id)
    assert after.variables.get("wasExecuted") is True
    assert tasks(db, pi.id) == []
    assert after.status == "completed"


def test_non_interrupting_signal_start_event_in_event_sub_process(
    service: WorkflowService, db: Engine
) -> None:
    """SignalEventTest.testNonInterruptingSignalStartEventInEventSubProcess"""
    deploy(service, "SignalEventTest.testNonInterruptingSignalStartEventInEventSubProcess")
    pi = service.start(
        "nonInterruptingSignalStartEventInEventSubProcess", business_key=None, gemeente=None, actor="test"
    )
    assert len(tasks(db, pi.id)) == 1
    service.throw_signal("alert", actor="test")
    after = service.get(pi.id)
    assert after.variables.get("wasExecuted") is True
    assert len(tasks(db, pi.id)) == 1
    assert after.status == "active"


def test_signal_start_event(service: WorkflowService, db: Engine) -> None:
    """SignalEventTest.testSignalStartEvent"""
    deploy(service, "SignalEventTest.signalStartEvent")
    assert service.signal_start_targets("alert") == [("startBySignal", 1)]
    service.throw_signal("alert", actor="test")
    assert len(tasks(db)) == 1


def test_multiple_processes_with_same_signal_start_event(service: WorkflowService, db: Engine) -> None:
    """SignalEventTest.testMultipleProcessesWithSameSignalStartEvent"""
    deploy(service, "SignalEventTest.signalStartEvent", "SignalEventTest.testOtherSignalStartEvent")
    assert len(service.signal_start_targets("alert")) == 2
    service.throw_signal("alert", actor="test")
    assert len(tasks(db)) == 2


def test_start_process_instance_by_signal_from_intermediate_throwing_signal_event(
    service: WorkflowService, db: Engine
) -> None:
    """SignalEventTest.testStartProcessInstanceBySignalFromIntermediateThrowingSignalEvent"""
    deploy(service, "SignalEventTest.signalStartEvent", "SignalEventTests.throwAlertSignal")
    service.start("throwSignal", business_key=None, gemeente=None, actor="test")
    assert len(tasks(db)) == 1


def test_processes_with_multiple_signal_start_events(service: WorkflowService, db: Engine) -> None:
    """SignalEventTest.testProcessesWithMultipleSignalStartEvents"""
    deploy(service, "SignalEventTest.testProcessesWithMultipleSignalStartEvents")
    service.throw_signal("alert", actor="test")
    assert len(tasks(db)) == 1


def test_throw_signal_multiple_cancelling_receivers(service: WorkflowService, db: Engine) -> None:
    """SignalEventTest.testThrowSignalMultipleCancellingReceivers: one terminate end, instance ended"""
    deploy(service, "SignalEventTests.catchAlertTwiceAndTerminate")
    pi = service.start("catchAlertTwiceAndTerminate", business_key=None, gemeente=None, actor="test")
    assert subscriptions(db, "alert") == 2
    service.throw_signal("alert", actor="test")
    assert active_instances(db) == 0
    assert service.get(pi.id).status == "completed"


def test_intermediate_throw_signal_multiple_cancelling_receivers(
    service: WorkflowService, db: Engine
) -> None:
    """SignalEventTest.testIntermediateThrowSignalMultipleCancellingReceivers"""
    deploy(service, "SignalEventTests.catchAlertTwiceAndTerminate", "SignalEventTests.throwAlertSignal")
    service.start("catchAlertTwiceAndTerminate", business_key=None, gemeente=None, actor="test")
    assert subscriptions(db, "alert") == 2
    service.start("throwSignal", business_key=None, gemeente=None, actor="test")
    assert active_instances(db) == 0


def test_no_continuation_when_signal_interrupts_throwing_activity(
    service: WorkflowService, db: Engine
) -> None:
    """SignalEventTest.testNoContinuationWhenSignalInterruptsThrowingActivity"""
    deploy(service, "SignalEventTest.testNoContinuationWhenSignalInterruptsThrowingActivity")
    service.start("signalEventSubProcess", business_key=None, gemeente=None, actor="test")
    service.complete_task(task_id(db, "subProcessTask"), {}, actor="test")
    assert [element for element, _ in tasks(db)] == ["eventSubProcessTask"]


# -- SignalEndEventTest ---------------------------------------------------------------------------
def test_catch_signal_end_event_in_embedded_subprocess(service: WorkflowService, db: Engine) -> None:
    """SignalEndEventTest.testCatchSignalEndEventInEmbeddedSubprocess"""
    deploy(service, "SignalEndEventTest.testCatchSignalEndEventInEmbeddedSubprocess")
    pi = service.start("catchSignalEndEventInEmbeddedSubprocess", business_key=None, gemeente=None, actor="t")
    assert [name for _, name in tasks(db)] == ["subprocessTask"]
    service.complete_task(task_id(db, "subprocessTask"), {}, actor="test")
    assert [name for _, name in tasks(db)] == ["task after catching the signal"]
    service.complete_task(task_id(db, "taskAfterSignalCatch"), {}, actor="test")
    assert service.get(pi.id).status == "completed"


def test_catch_signal_end_event_in_call_activity(service: WorkflowService, db: Engine) -> None:
    """SignalEndEventTest.testCatchSignalEndEventInCallActivity: a signal end event reaches another instance"""
    deploy(service, "SignalEndEventTest.catchSignalEndEvent", "SignalEndEventTest.processWithSignalEndEvent")
    catching = service.start("catchSignalEndEvent", business_key=None, gemeente=None, actor="test")
    assert subscriptions(db) == 1
    with db.connect() as conn:
        assert conn.execute(select(signal_waits.c.signal_name)).scalar_one() == "alert"
    throwing = service.start("processWithSignalEndEvent", business_key=None, gemeente=None, actor="test")
    assert throwing.status == "completed"
    assert [element for element, _ in tasks(db)] == ["taskAfterSignalCatch"]
    service.complete_task(task_id(db, "taskAfterSignalCatch"), {}, actor="test")
    assert service.get(catching.id).status == "completed"


# -- SignalEventPayloadTest -----------------------------------------------------------------------
def test_signal_payload_start(service: WorkflowService, db: Engine) -> None:
    """SignalEventPayloadTest.testSignalPayloadStart"""
    deploy(
        service,
        "SignalEventPayloadTests.throwSignalWithPayload",
        "SignalEventPayloadTests.catchSignalWithPayloadStart",
    )
    service.start(
        "throwPayloadSignal",
        business_key=None,
        gemeente=None,
        variables={"payloadVar1": "payloadVal1", "payloadVar2": "payloadVal2"},
        actor="test",
    )
    with db.connect() as conn:
        catching = conn.execute(select(user_tasks.c.instance_id)).scalar_one()
    assert service.get(catching).variables == {
        "payloadVar1Target": "payloadVal1",
        "payloadVar2Target": "payloadVal2",
    }


def test_signal_payload_intermediate(service: WorkflowService, db: Engine) -> None:
    """SignalEventPayloadTest.testSignalPayloadIntermediate"""
    deploy(
        service,
        "SignalEventPayloadTests.throwSignalWithPayload",
        "SignalEventPayloadTests.catchSignalWithPayloadIntermediate",
    )
    catching = service.start("catchIntermediatePayloadSignal", business_key=None, gemeente=None, actor="test")
    service.start(
        "throwPayloadSignal",
        business_key=None,
        gemeente=None,
        variables={"payloadVar1": "payloadVal1", "payloadVar2": "payloadVal2"},
        actor="test",
    )
    assert service.get(catching.id).variables == {
        "payloadVar1Target": "payloadVal1",
        "payloadVar2Target": "payloadVal2",
    }


def test_signal_all_source_variables_payload(service: WorkflowService, db: Engine) -> None:
    """SignalEventPayloadTest.testSignalAllSourceVariablesPayload"""
    deploy(
        service,
        "SignalEventPayloadTests.throwSignalWithAllVariablesPayload",
        "SignalEventPayloadTests.catchSignalWithPayloadIntermediate",
    )
    catching = service.start("catchIntermediatePayloadSignal", business_key=None, gemeente=None, actor="test")
    service.start(
        "throwPayloadSignal",
        business_key=None,
        gemeente=None,
        variables={"payloadVar1": "payloadVal1", "payloadVar2": "payloadVal2"},
        actor="test",
    )
    assert service.get(catching.id).variables == {"payloadVar1": "payloadVal1", "payloadVar2": "payloadVal2"}


# -- SignalEventParseInvalidProcessTest ----------------------------------------------------------
@pytest.mark.parametrize(
    ("resource", "message", "element"),
    [
        ("InvalidProcessWithDuplicateSignalNames", "duplicate signal name", "alertSignal2"),
        ("InvalidProcessWithNoSignalName", "signal with id 'alertSignal' has no name", "alertSignal"),
        ("InvalidProcessWithSignalNoId", "signal must have an id", None),
        (
            "InvalidProcessWithSignalNoRef",
            "signalEventDefinition does not have required property 'signalRef'",
            "signalEvent",
        ),
        (
            "InvalidProcessWithMultipleSignalStartEvents",
            "Cannot have more than one signal event subscription with name 'signal'",
            "start2",
        ),
        (
            "InvalidProcessWithMultipleInterruptingSignalEventSubProcesses",
            "Cannot have more than one signal event subscription with name 'alert'",
            "subprocessStartEvent2",
        ),
    ],
)
def test_parse_invalid_process_definition(
    service: WorkflowService, resource: str, message: str, element: str | None
) -> None:
    """SignalEventParseInvalidProcessTest.testParseInvalidProcessDefinition (each parameter)"""
    with pytest.raises(DeployError) as err:
        deploy(service, resource)
    matching = [p for p in err.value.problems if message in p.message]
    assert matching, [p.message for p in err.value.problems]
    assert matching[0].element_id == element


def test_instances_keep_their_records(service: WorkflowService, db: Engine) -> None:
    """Not from Camunda: the receiving instance's audit trail names the signal and who delivered it."""
    deploy(service, "SignalEventTests.catchAlertSignal", "SignalEventTests.throwAlertSignal")
    catching = service.start("catchSignal", business_key=None, gemeente=None, actor="test")
    service.start("throwSignal", business_key=None, gemeente=None, actor="test")
    with db.connect() as conn:
        rows, _ = repo.list_audit(conn, catching.id)
    received = [r for r in rows if r.action == "signal-received"]
    assert received and received[0].detail["signal"] == "alert"
    assert received[0].actor == "system:signal"

"""Signal names with expressions, and signal start events of nested event sub-processes.

Ported from ``SignalEventExpressionNameTest`` (resources in ``resources/signal/``; the
``DummyServiceTask`` delegate became a Python script task setting ``wasExecuted``, see its README).
Camunda's ``signalEventReceived(name)`` is ``POST /signals``; its event subscriptions are the
instance's indexed signal waits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from storage.schema import process_instances, signal_waits
from tests.camunda.conftest import RESOURCES, Camunda

S = "signal/SignalEventExpressionNameTest"


def _subscriptions(camunda: Camunda, name: str | None = None) -> int:
    query = select(func.count()).select_from(signal_waits)
    if name is not None:
        query = query.where(signal_waits.c.signal_name == name)
    with camunda.api.db.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _active(camunda: Camunda) -> int:
    query = select(func.count()).select_from(process_instances).where(process_instances.c.status == "active")
    with camunda.api.db.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _signal(camunda: Camunda, name: str, **variables: Any) -> None:
    response = camunda.api.post("/signals", "sys", json={"signalName": name, "variables": variables})
    assert response.status_code == 204, response.get_json()


def test_signal_catch_intermediate(camunda: Camunda) -> None:
    """SignalEventExpressionNameTest.testSignalCatchIntermediate"""
    camunda.deploy(f"{S}.testSignalCatchIntermediate.bpmn20.xml")
    camunda.start("catchSignal", {"var": "TestVar"})
    assert _subscriptions(camunda, "alert-TestVar") == 1


def test_signal_catch_intermediate_acts_on_event_receive(camunda: Camunda) -> None:
    """SignalEventExpressionNameTest.testSignalCatchIntermediateActsOnEventReceive"""
    camunda.deploy(f"{S}.testSignalCatchIntermediate.bpmn20.xml")
    camunda.start("catchSignal", {"var": "TestVar"})
    _signal(camunda, "alert-TestVar")
    assert _subscriptions(camunda, "alert-TestVar") == 0


def test_signal_throw_catch_intermediate(camunda: Camunda) -> None:
    """SignalEventExpressionNameTest.testSignalThrowCatchIntermediate"""
    camunda.deploy(
        f"{S}.testSignalCatchIntermediate.bpmn20.xml", f"{S}.testSignalThrowIntermediate.bpmn20.xml"
    )
    camunda.start("catchSignal", {"var": "TestVar"})
    assert _subscriptions(camunda, "alert-TestVar") == 1
    camunda.start("throwSignal", {"var": "TestVar"})
    assert _subscriptions(camunda, "alert-${var}") == 0
    assert _subscriptions(camunda, "alert-TestVar") == 0
    assert _active(camunda) == 0


def test_signal_throw_end_catch_intermediate(camunda: Camunda) -> None:
    """SignalEventExpressionNameTest.testSignalThrowEndCatchIntermediate"""
    camunda.deploy(f"{S}.testSignalCatchIntermediate.bpmn20.xml", f"{S}.testSignalThrowEnd.bpmn20.xml")
    camunda.start("catchSignal", {"var": "TestVar"})
    assert _subscriptions(camunda, "alert-TestVar") == 1
    camunda.start("throwEndSignal", {"var": "TestVar"})
    assert _subscriptions(camunda) == 0
    assert _active(camunda) == 0


def test_signal_catch_boundary(camunda: Camunda) -> None:
    """SignalEventExpressionNameTest.testSignalCatchBoundary"""
    camunda.deploy(f"{S}.testSignalCatchBoundary.bpmn20.xml", f"{S}.testSignalThrowIntermediate.bpmn20.xml")
    camunda.start("catchSignal", {"var": "TestVar"})
    assert _subscriptions(camunda, "alert-TestVar") == 1
    assert _active(camunda) == 1
    camunda.start("throwSignal", {"var": "TestVar"})
    assert _subscriptions(camunda, "alert-TestVar") == 0
    assert _active(camunda) == 0


def test_signal_start_event(camunda: Camunda) -> None:
    """SignalEventExpressionNameTest.testSignalStartEvent"""
    camunda.deploy(f"{S}.testSignalStartEvent.bpmn20.xml")
    services = camunda.api.app.extensions["inburgering"]
    assert services.workflow.signal_start_targets("alert-foo") == [("startBySignal", 1)]
    _signal(camunda, "alert-foo")
    with camunda.api.db.connect() as conn:
        started = conn.execute(select(process_instances.c.process_key)).scalars().all()
    assert started == ["startBySignal"]


def test_signal_start_event_in_event_sub_process(camunda: Camunda) -> None:
    """SignalEventExpressionNameTest.testSignalStartEventInEventSubProcess"""
    camunda.deploy(f"{S}.testSignalStartEventInEventSubProcess.bpmn20.xml")
    instance = camunda.start("signalStartEventInEventSubProcess")
    assert len(camunda.tasks(instance)) == 1
    _signal(camunda, "alert-foo")
    after = camunda.instance(instance)
    assert after["variables"]["wasExecuted"] is True
    assert after["openTasks"] == []
    assert after["status"] == "completed"


def test_signal_expression_error_handling(camunda: Camunda) -> None:
    """SignalEventExpressionNameTest.testSignalExpressionErrorHandling: 'var' cannot be resolved"""
    camunda.deploy(f"{S}.testSignalCatchIntermediate.bpmn20.xml")
    response = camunda.start_response("catchSignal", {})
    assert response.status_code == 422, response.get_json()
    assert "alert-${var}" in response.get_json()["detail"]
    assert _subscriptions(camunda) == 0
    assert _active(camunda) == 0


def test_signal_start_event_name_must_evaluate_without_variables(camunda: Camunda) -> None:
    """A process's signal start event is subscribed at deploy, as in Camunda: no variables there."""
    body = (RESOURCES / f"{S}.testSignalStartEvent.bpmn20.xml").read_bytes()
    errors = camunda.deploy_fails(body.replace(b"alert-${'foo'}", b"alert-${var}"))
    assert any("must evaluate without variables" in e["message"] for e in errors)


def test_thrown_signal_in_event_subprocess_in_subprocess(camunda: Camunda) -> None:
    """SignalEventTest.testThrownSignalInEventSubprocessInSubprocess"""
    camunda.deploy("signal/SignalEventTest.testThrownSignalInEventSubprocessInSubprocess.bpmn20.xml")
    instance = camunda.start("embeddedEventSubprocess")
    assert camunda.task_names(instance) == ["task in subprocess"]
    timers = camunda.timers(instance)
    assert len(timers) == 1
    instance = camunda.fire(timers[0])
    assert camunda.task_names(instance) == ["after catch"]
    assert camunda.timers(instance) == []


NESTED = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="Examples">
  <signal id="alert" name="alert-${{kind}}"/>
  <process id="nestedSignalEventSubprocess" isExecutable="true">
    <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="sub"/>
    <subProcess id="sub">
      <startEvent id="subStart"/><sequenceFlow id="f2" sourceRef="subStart" targetRef="task"/>
      <userTask id="task" name="task"/><sequenceFlow id="f3" sourceRef="task" targetRef="subEnd"/>
      <endEvent id="subEnd"/>
      <subProcess id="eventSub" triggeredByEvent="true">
        <startEvent id="eventSubStart" isInterrupting="{interrupting}">
          <signalEventDefinition signalRef="alert"/>
        </startEvent>
        <sequenceFlow id="f4" sourceRef="eventSubStart" targetRef="eventSubTask"/>
        <userTask id="eventSubTask" name="eventSubProcessTask"/>
        <sequenceFlow id="f5" sourceRef="eventSubTask" targetRef="eventSubEnd"/>
        <endEvent id="eventSubEnd"/>
      </subProcess>
    </subProcess>
    <sequenceFlow id="f6" sourceRef="sub" targetRef="after"/>
    <userTask id="after" name="after"/><sequenceFlow id="f7" sourceRef="after" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""


def test_non_interrupting_signal_start_event_in_nested_event_sub_process(camunda: Camunda) -> None:
    """SignalEventTest.testNonInterruptingSignalStartEventInEventSubProcess, the event sub-process
    nested in an embedded sub-process (as MessageEventSubprocessTest.testNonInterruptingInEmbeddedSubprocess)"""
    camunda.deploy(NESTED.format(interrupting="false").encode())
    instance = camunda.start("nestedSignalEventSubprocess", {"kind": "fire"})
    assert _subscriptions(camunda, "alert-fire") == 1
    _signal(camunda, "alert-fire")
    assert camunda.task_names(instance) == ["eventSubProcessTask", "task"]
    _signal(camunda, "alert-fire")
    assert camunda.task_names(instance) == ["eventSubProcessTask", "eventSubProcessTask", "task"]
    camunda.complete(instance, "task")
    for task in camunda.tasks(instance):
        assert camunda.api.post(f"/tasks/{task['id']}/complete", "bh", json={}).status_code == 200
    assert camunda.task_names(instance) == ["after"]


def test_interrupting_signal_start_event_in_nested_event_sub_process(camunda: Camunda) -> None:
    """SignalEventTest.testSignalStartEventInEventSubProcess, the event sub-process nested in an
    embedded sub-process: it cancels the sub-process's own work, and the process goes on after it"""
    camunda.deploy(NESTED.format(interrupting="true").encode())
    instance = camunda.start("nestedSignalEventSubprocess", {"kind": "fire"})
    _signal(camunda, "alert-fire")
    assert camunda.task_names(instance) == ["eventSubProcessTask"]
    instance = camunda.complete(instance, "eventSubProcessTask")
    assert instance["status"] == "active", instance
    assert camunda.task_names(instance) == ["after"]
    assert camunda.complete(instance, "after")["status"] == "completed"

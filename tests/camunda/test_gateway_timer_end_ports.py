"""Inclusive gateways, timers in event sub-processes and parallel paths, and end events as Camunda
runs them.

Ported from ``InclusiveGatewayTest`` (``bpmn/gateway/``), ``InterruptingEventSubProcessTest``
(``bpmn/subprocess/``), ``ExclusiveTimerEventTest`` (``bpmn/exclusive/``), ``MessageEndEventTest``
and ``TerminateEndEventTest`` (``bpmn/event/end/``), resources unchanged. Camunda's Java bean
``InclusiveGatewayTestOrder`` becomes a JSON object with its properties; its jobs are our timers
(``managementService.executeJob`` is ``POST /timers/{id}/fire``).
"""

from __future__ import annotations

from typing import Any

from tests.camunda.conftest import Camunda


def _order(price: int) -> dict[str, Any]:
    """``InclusiveGatewayTestOrder(price)`` with its ``isBasic``/``isStandard``/``isGold`` properties."""
    return {"price": price, "basic": price <= 100, "standard": price <= 150, "gold": price <= 200}


def test_inclusive_decide_based_on_bean_method(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testDecideBasedOnBeanMethod"""
    camunda.deploy("InclusiveGatewayTest.testDecideBasedOnBeanMethod.bpmn20.xml")
    instance = camunda.start("inclusiveDecisionBasedOnBeanMethod", {"order": _order(200)})
    assert camunda.task_names(instance) == ["Gold Member service"]
    instance = camunda.start("inclusiveDecisionBasedOnBeanMethod", {"order": _order(125)})
    assert camunda.task_names(instance) == ["Gold Member service", "Standard service"]
    response = camunda.start_response("inclusiveDecisionBasedOnBeanMethod", {"order": _order(300)})
    assert response.status_code == 422, response.get_json()


def test_inclusive_invalid_method_expression(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testInvalidMethodExpression (Camunda fails at start with "Unknown method
    used in expression"; the method call is refused at deploy, naming the flow)"""
    errors = camunda.deploy_fails("InclusiveGatewayTest.testInvalidMethodExpression.bpmn20.xml")
    flagged = [e for e in errors if e.get("elementId") == "flow2"]
    assert flagged and "invalidMethod" in flagged[0]["message"], errors


def test_inclusive_default_sequence_flow_execution_is_active(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testDefaultSequenceFlowExecutionIsActive"""
    camunda.deploy("InclusiveGatewayTest.testDefaultSequenceFlow.bpmn20.xml")
    instance = camunda.start("inclusiveGwDefaultSequenceFlow", {"input": 5})
    assert instance["status"] == "active"
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["theTask2"]
    assert "theTask2" in instance["activeElements"]


def test_interrupting_event_sub_process_time_cycle(camunda: Camunda) -> None:
    """InterruptingEventSubProcessTest.testTimeCycle"""
    camunda.deploy("InterruptingEventSubProcessTest.testTimeCycle.bpmn20.xml")
    instance = camunda.start("process")
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["task"]
    (timer,) = camunda.timers(instance)
    instance = camunda.fire(timer)
    assert camunda.timers(instance) == []
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["eventSubProcessTask"]
    assert camunda.complete(instance, "eventSubProcessTask")["status"] == "completed"


def test_exclusive_catching_timer_event(camunda: Camunda) -> None:
    """ExclusiveTimerEventTest.testCatchingTimerEvent"""
    camunda.deploy("ExclusiveTimerEventTest.testCatchingTimerEvent.bpmn20.xml")
    instance = camunda.start("exclusiveTimers")
    assert len(camunda.timers(instance)) == 3
    camunda.advance(minutes=50, seconds=5)
    instance = camunda.instance(instance)
    assert instance["timers"] == []
    assert instance["status"] == "completed"


def test_message_end_event(camunda: Camunda) -> None:
    """MessageEndEventTest.testMessageEndEvent"""
    camunda.deploy("MessageEndEventTest.testMessageEndEvent.bpmn20.xml")
    assert camunda.start("process")["status"] == "completed"


def test_terminate_in_sub_process_should_not_end_process_instance_in_history(camunda: Camunda) -> None:
    """TerminateEndEventTest.testTerminateInSubProcessShouldNotEndProcessInstanceInHistory"""
    camunda.deploy("TerminateEndEventTest.testTerminateInSubProcess.bpmn")
    instance = camunda.start("terminateEndEventExample")
    assert instance["status"] == "active"
    assert instance["endedAt"] is None


def test_terminate_in_sub_process_concurrent_should_not_end_process_instance_in_history(
    camunda: Camunda,
) -> None:
    """TerminateEndEventTest.testTerminateInSubProcessConcurrentShouldNotEndProcessInstanceInHistory"""
    camunda.deploy("TerminateEndEventTest.testTerminateInSubProcessConcurrent.bpmn")
    instance = camunda.start("terminateEndEventExample")
    assert instance["status"] == "active"
    assert instance["endedAt"] is None


_TIMER_PROCESS = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="http://camunda.org/examples">
  <process id="timerProcess" isExecutable="true">
    <startEvent id="start" camunda:asyncBefore="true"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="user-task-with-timer"/>
    <userTask id="user-task-with-timer"/>
    <boundaryEvent id="non-interuption-timer" attachedToRef="user-task-with-timer" cancelActivity="false">
      <timerEventDefinition><timeDuration>R/PT3S</timeDuration></timerEventDefinition>
    </boundaryEvent>
    <sequenceFlow id="f2" sourceRef="non-interuption-timer" targetRef="timerEnd"/>
    <endEvent id="timerEnd"/>
    <sequenceFlow id="f3" sourceRef="user-task-with-timer" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""


def test_should_execute_timer_job_on_or_after_due_date(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.shouldExecuteTimerJobOnOrAfterDueDate

    The Camunda test builds the process with the model API (``_TIMER_PROCESS`` is the same diagram);
    its clock stands still while the job executor runs, so the timer is not due yet.
    """
    camunda.deploy(_TIMER_PROCESS)
    instance = camunda.start("timerProcess")
    camunda.run_worker()
    (timer,) = camunda.timers(instance)
    assert timer["elementId"] == "non-interuption-timer"
    assert timer["dueAt"] == "2027-01-04T09:00:03Z"
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["user-task-with-timer"]


def test_activiti_namespace_is_read_as_camunda(camunda: Camunda) -> None:
    """The diagram of ExclusiveGatewayTest.testLoopWithManyIterations declares ``xmlns:camunda`` as
    ``http://activiti.org/bpmn``; Camunda reads its ``camunda:resultVariable`` all the same. (Its
    1,000 iterations in one step are more than ``INBURGERING_STEP_MAX_ITERATIONS`` allows: that
    start is refused whole, nothing changed; three iterations show the loop.)"""
    camunda.deploy("ExclusiveGatewayTest.testLoopWithManyIterations.bpmn")
    instance = camunda.start("testProcess", {"numOfIterations": 3})
    assert instance["status"] == "completed"
    assert camunda.variables(instance)["i"] == 4


def test_inclusive_loop_is_refused(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testLoop: its Groovy script reaches into the engine
    (``execution.getProcessInstance()``); the script task is refused at deploy, naming it"""
    errors = camunda.deploy_fails("InclusiveGatewayTest.testLoop.bpmn20.xml")
    assert [e.get("elementId") for e in errors] == ["A"], errors

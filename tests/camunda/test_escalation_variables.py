"""Escalation codes and call activity outputs as Camunda passes them (``EscalationEventTest``,
``EscalationEventSubprocessTest``).

Camunda reads a variable with ``runtimeService.getVariable(task.getExecutionId(), ...)``; we read the
instance's variables. Camunda sets a variable on the called instance with
``runtimeService.setVariable`` before completing its task; we complete the task with that variable,
which ``taskService.complete(id, variables)`` does the same way.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.camunda.conftest import Camunda

E = "EscalationEventTest"
S = "EscalationEventSubprocessTest"
CALLED = f"{E}.throwEscalationEvent.bpmn20.xml"


def _keys(camunda: Camunda, instance: dict) -> Counter[str]:
    return Counter(t["elementId"] for t in camunda.tasks(instance))


@pytest.mark.parametrize("test_class", [E, S])
def test_propagate_output_variables_two_times(camunda: Camunda, test_class: str) -> None:
    """EscalationEventTest.testPropagateOutputVariablesTwoTimes, EscalationEventSubprocessTest.testPropagateOutputVariablesTwoTimes"""
    camunda.deploy(
        CALLED, f"{test_class}.testPropagateOutputVariablesWhileCatchEscalationOnCallActivity.bpmn20.xml"
    )
    instance = camunda.start("catchEscalationProcess", {"input": 42})
    assert _keys(camunda, instance)["taskAfterCatchedEscalation"] == 1
    # (1) the variables have been passed for the first time (from sub process to super process)
    assert camunda.variables(instance)["output"] == 42
    # change variable "input" in the called process and complete its task
    instance = camunda.complete(instance, "task", {"input": 999})
    # (2) the variables have been passed for the second time
    assert camunda.variables(instance)["output"] == 999


def test_propagate_output_variables_without_catch_escalation(camunda: Camunda) -> None:
    """EscalationEventTest.testPropagateOutputVariablesWithoutCatchEscalation"""
    camunda.deploy(CALLED, f"{E}.testPropagateOutputVariablesWithoutCatchEscalation.bpmn20.xml")
    instance = camunda.start("catchEscalationProcess", {"input": 42})
    # the output variable of the called process is set on the process although nothing catches it
    assert camunda.variables(instance)["output"] == 42


@pytest.mark.parametrize(
    "test",
    [
        "testRetrieveEscalationCodeVariableOnBoundaryEvent",
        "testRetrieveEscalationCodeVariableOnBoundaryEventWithoutEscalationCode",
    ],
)
def test_retrieve_escalation_code_variable_on_boundary_event(camunda: Camunda, test: str) -> None:
    """EscalationEventTest.testRetrieveEscalationCodeVariableOnBoundaryEvent(WithoutEscalationCode)"""
    camunda.deploy(f"{E}.{test}.bpmn20.xml")
    instance = camunda.start("escalationProcess")
    # the boundary event catches the escalation thrown inside the subprocess
    assert [t["name"] for t in camunda.tasks(instance)].count("task after catched escalation") == 1
    # and sets the escalationCode of the escalation event to the declared variable
    assert camunda.variables(instance)["escalationCodeVar"] == "escalationCode"


SUPER = [
    f"{c}.{t}"
    for c in (E, S)
    for t in (
        "testInterruptingRetrieveEscalationCodeInSuperProcess",
        "testInterruptingRetrieveEscalationCodeInSuperProcessWithoutEscalationCode",
        "testNonInterruptingRetrieveEscalationCodeInSuperProcess",
        "testNonInterruptingRetrieveEscalationCodeInSuperProcessWithoutEscalationCode",
    )
]


@pytest.mark.parametrize("test", SUPER)
def test_retrieve_escalation_code_in_super_process(camunda: Camunda, test: str) -> None:
    """EscalationEventTest.test(Non)InterruptingRetrieveEscalationCodeInSuperProcess(WithoutEscalationCode),
    EscalationEventSubprocessTest.test(Non)InterruptingRetrieveEscalationCodeInSuperProcess(WithoutEscalationCode)"""
    camunda.deploy(CALLED, f"{test}.bpmn20.xml")
    instance = camunda.start("catchEscalationProcess")
    assert _keys(camunda, instance)["taskAfterCatchedEscalation"] == 1
    assert camunda.variables(instance)["escalationCodeVar"] == "escalationCode"


def test_non_interrupting_escalation_triggered_twice_with_main_task_completed_first(camunda: Camunda) -> None:
    """EscalationEventSubprocessTest.testNonInterruptingEscalationTriggeredTwiceWithMainTaskCompletedFirst"""
    camunda.deploy(f"{S}.testNonInterruptingEscalationTriggeredTwice.bpmn20.xml")
    instance = camunda.start("escalationProcess")
    instance = camunda.complete(instance, "TaskInMainprocess")
    assert _keys(camunda, instance)["TaskInSubprocess"] == 2


def test_non_interrupting_escalation_triggered_twice_with_subprocess_task_completed_first(
    camunda: Camunda,
) -> None:
    """EscalationEventSubprocessTest.testNonInterruptingEscalationTriggeredTwiceWithSubprocessTaskCompletedFirst"""
    camunda.deploy(f"{S}.testNonInterruptingEscalationTriggeredTwice.bpmn20.xml")
    instance = camunda.start("escalationProcess")
    instance = camunda.complete(instance, "TaskInSubprocess")
    instance = camunda.complete(instance, "TaskInMainprocess")
    assert _keys(camunda, instance)["TaskInSubprocess"] == 1


def test_non_interrupting_escalation_triggered_twice_by_intermediate_event_main_task_first(
    camunda: Camunda,
) -> None:
    """EscalationEventSubprocessTest.testNonInterruptingEscalationTriggeredTwiceByIntermediateEventWithMainTaskCompletedFirst"""
    camunda.deploy(f"{S}.testNonInterruptingEscalationTriggeredTwiceByIntermediateEvent.bpmn20.xml")
    instance = camunda.start("escalationProcess")
    instance = camunda.complete(instance, "FirstTaskInMainprocess")
    keys = _keys(camunda, instance)
    assert keys["TaskInSubprocess"] == 2
    assert keys["SecondTaskInMainprocess"] == 1


def test_non_interrupting_escalation_triggered_twice_by_intermediate_event_subprocess_task_first(
    camunda: Camunda,
) -> None:
    """EscalationEventSubprocessTest.testNonInterruptingEscalationTriggeredTwiceByIntermediateEventWithSubprocessTaskCompletedFirst"""
    camunda.deploy(f"{S}.testNonInterruptingEscalationTriggeredTwiceByIntermediateEvent.bpmn20.xml")
    instance = camunda.start("escalationProcess")
    instance = camunda.complete(instance, "TaskInSubprocess")
    instance = camunda.complete(instance, "FirstTaskInMainprocess")
    keys = _keys(camunda, instance)
    assert keys["TaskInSubprocess"] == 1
    assert keys["SecondTaskInMainprocess"] == 1


def test_throw_escalation_event_from_event_subprocess(camunda: Camunda) -> None:
    """EscalationEventSubprocessTest.testThrowEscalationEventFromEventSubprocess (CAM-9220)"""
    camunda.deploy(f"{S}.testThrowEscalationEventFromEventSubprocess.bpmn20.xml")
    instance = camunda.start("embeddedEventSubprocess")
    (timer,) = camunda.timers(instance)
    instance = camunda.fire(timer)
    names = Counter(t["name"] for t in camunda.tasks(instance))
    assert names["task in subprocess"] == 0
    assert names["task in process"] == 1
    # the second timer job is not there
    assert camunda.timers(instance) == []

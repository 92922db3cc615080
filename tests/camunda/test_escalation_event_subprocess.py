"""Escalation event sub-processes as Camunda runs them (``EscalationEventSubprocessTest``).

Resources are Camunda's, unchanged; ``EscalationEventTest.throwEscalationEvent`` is the called
process of the call activity cases. Each case starts the process and compares the open tasks by
name, as the Camunda test counts them.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.camunda.conftest import Camunda

S = "EscalationEventSubprocessTest"
CALLED = "EscalationEventTest.throwEscalationEvent.bpmn20.xml"
AFTER = "task after catched escalation"
IN_SUB = "task in subprocess"

CASES = {
    "testCatchEscalationEventInsideSubprocess": ("escalationProcess", {AFTER: 1, IN_SUB: 1}),
    "testCatchEscalationEventFromEmbeddedSubprocess": ("escalationProcess", {AFTER: 1, IN_SUB: 1}),
    "testCatchEscalationEventFromCallActivity": (
        "catchEscalationProcess",
        {AFTER: 1, "task after thrown escalation": 1},
    ),
    "testCatchEscalationEventFromTopLevelProcess": (
        "escalationProcess",
        {AFTER: 1, "task after thrown escalation": 1},
    ),
    "testCatchEscalationEventFromMultiInstanceSubprocess": ("escalationProcess", {AFTER: 5, IN_SUB: 5}),
    "testPreferEscalationEventSubprocessToBoundaryEvent": (
        "escalationProcess",
        {"task after catched escalation inside subprocess": 1, IN_SUB: 1},
    ),
    "testEscalationEventSubprocessWithEscalationCode": (
        "escalationProcess",
        {"task after catched escalation 1": 1, IN_SUB: 1},
    ),
    "testEscalationEventSubprocessWithoutEscalationCode": ("escalationProcess", {AFTER: 1, IN_SUB: 1}),
    "testInterruptionEscalationEventSubprocess": ("escalationProcess", {AFTER: 1}),
    "testInterruptingEscalationEventSubprocessWithCallActivity": ("catchEscalationProcess", {AFTER: 1}),
    "testInterruptionEscalationEventSubprocessWithMultiInstanceSubprocess": ("escalationProcess", {AFTER: 1}),
}


def _names(camunda: Camunda, instance: dict) -> Counter[str]:
    return Counter(t["name"] for t in camunda.tasks(instance))


def _deploy(camunda: Camunda, test: str) -> None:
    resource = f"{S}.{test}.bpmn20.xml"
    if "CallActivity" in test or "SuperProcess" in test:
        camunda.deploy(CALLED, resource)
    else:
        camunda.deploy(resource)


@pytest.mark.parametrize("test", sorted(CASES))
def test_escalation_event_subprocess(camunda: Camunda, test: str) -> None:
    """EscalationEventSubprocessTest.<test> (the open tasks after start, by name)"""
    key, expected = CASES[test]
    _deploy(camunda, test)
    instance = camunda.start(key)
    assert _names(camunda, instance) == Counter(expected)


RETHROW = {
    "testReThrowEscalationEventToBoundaryEvent": {
        "task after catched escalation on boundary event": 1,
        IN_SUB: 1,
    },
    "testReThrowEscalationEventToBoundaryEventWithoutEscalationCode": {
        "task after catched escalation on boundary event": 1,
        IN_SUB: 1,
    },
    "testReThrowEscalationEventToEventSubprocess": {
        "task after catched escalation on process level": 1,
        IN_SUB: 1,
    },
    "testReThrowEscalationEventIsNotCatched": {IN_SUB: 1},
}


@pytest.mark.parametrize("test", sorted(RETHROW))
def test_rethrow_escalation_event(camunda: Camunda, test: str) -> None:
    """EscalationEventSubprocessTest.testReThrowEscalationEvent* (complete the inner catch's task)"""
    _deploy(camunda, test)
    instance = camunda.start("escalationProcess")
    instance = camunda.complete(instance, "task after catched escalation inside subprocess")
    assert _names(camunda, instance) == Counter(RETHROW[test])


def test_throw_escalation_event_to_event_subprocess(camunda: Camunda) -> None:
    """EscalationEventSubprocessTest.testThrowEscalationEventToEventSubprocess"""
    _deploy(camunda, "testThrowEscalationEventToEventSubprocess")
    instance = camunda.start("escalationProcess")
    assert _names(camunda, instance) == Counter(
        {"task after catched escalation inside subprocess1": 1, IN_SUB: 1}
    )
    instance = camunda.complete(instance, "task after catched escalation inside subprocess1")
    assert _names(camunda, instance) == Counter(
        {"task after catched escalation inside subprocess2": 1, IN_SUB: 1}
    )


@pytest.mark.parametrize(
    "test",
    [
        "testRetrieveEscalationCodeVariableOnEventSubprocess",
        "testRetrieveEscalationCodeVariableOnEventSubprocessWithoutEscalationCode",
    ],
)
def test_retrieve_escalation_code_variable_on_event_subprocess(camunda: Camunda, test: str) -> None:
    """EscalationEventSubprocessTest.testRetrieveEscalationCodeVariableOnEventSubprocess(WithoutEscalationCode)"""
    _deploy(camunda, test)
    instance = camunda.start("escalationProcess")
    assert _names(camunda, instance)[AFTER] == 1
    assert camunda.variables(instance)["escalationCodeVar"] == "escalationCode"


@pytest.mark.parametrize(
    "test",
    [
        "testPropagateOutputVariablesWhileCatchEscalationOnCallActivity",
        "testPropagateOutputVariablesWhileCatchInterruptingEscalationOnCallActivity",
    ],
)
def test_propagate_output_variables_while_catch_escalation_on_call_activity(
    camunda: Camunda, test: str
) -> None:
    """EscalationEventSubprocessTest.testPropagateOutputVariablesWhileCatch(Interrupting)EscalationOnCallActivity"""
    _deploy(camunda, test)
    instance = camunda.start("catchEscalationProcess", {"input": 42})
    assert _names(camunda, instance)[AFTER] == 1
    assert camunda.variables(instance)["output"] == 42


def test_interrupting_escalation_boundary_event_on_multi_instance_subprocess(camunda: Camunda) -> None:
    """EscalationEventTest.testInterruptingEscalationBoundaryEventOnMultiInstanceSubprocess"""
    camunda.deploy(
        "EscalationEventTest.testInterruptingEscalationBoundaryEventOnMultiInstanceSubprocess.bpmn20.xml"
    )
    instance = camunda.start("escalationProcess")
    assert _names(camunda, instance) == Counter({AFTER: 1})

"""Compensation and transactions are refused at deploy, naming the element; never run in part.

Camunda runs these diagrams (``CompensateEventTest``, ``TransactionSubProcessTest``) or refuses
them with its own parse messages (``CompensationEventParseInvalidProcessTest``,
``TransactionSubProcessTest.test*Fails``). This service does not run compensation or transactions:
every such document is refused with a 422 whose problems name the compensation (or cancel)
event, and nothing is deployed. Resources are Camunda's, unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from tests.camunda.conftest import RESOURCES, Camunda

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
C = "CompensateEventTest"

# Camunda test method -> resource (the diagrams those tests run without Java)
RUN_BY_CAMUNDA = {
    f"{C}.testCompensateSubprocessInsideSubprocess": f"{C}.testCompensateSubprocessInsideSubprocess",
    f"{C}.testCompensateParallelSubprocessCompHandlerWaitstate": f"{C}.testCompensateParallelSubprocessCompHandlerWaitstate",
    f"{C}.testDeleteParallelSubprocessCompHandlerWaitstate": f"{C}.testCompensateParallelSubprocessCompHandlerWaitstate",
    f"{C}.testCompensateSubprocessWithBoundaryEvent": f"{C}.testCompensateSubprocessWithBoundaryEvent",
    f"{C}.testCompensateActivityInSubprocess": f"{C}.testCompensateActivityInSubprocess",
    f"{C}.testCompensateActivityInConcurrentSubprocess": f"{C}.testCompensateActivityInConcurrentSubprocess",
    f"{C}.testCompensateConcurrentMiActivity": f"{C}.testCompensateConcurrentMiActivity",
    f"{C}.testCompensateConcurrentMiSubprocess": f"{C}.testCompensateConcurrentMiSubprocess",
    f"{C}.testCompensateActivityRefMiActivity": f"{C}.testCompensateActivityRefMiActivity",
    f"{C}.testCompensateActivityRefMiSubprocess": f"{C}.testCompensateActivityRefMiSubprocess",
    f"{C}.testConcurrentExecutionsAndPendingCompensation": f"{C}.testConcurrentExecutionsAndPendingCompensation",
    f"{C}.testCancelProcessInstanceWithActiveCompensation": f"{C}.activityWithCompensationEndEvent",
    f"{C}.testCompensationEventSubProcessWithScope": f"{C}.testCompensationEventSubProcess",
    f"{C}.testCompensationEventSubProcessWithActivityRef": f"{C}.testCompensationEventSubProcessWithActivityRef",
    f"{C}.testCompensateMiSubprocessWithCompensationEventSubProcess": f"{C}.testCompensateMiSubprocessWithCompensationEventSubProcess",
    f"{C}.testCompensateParallelMiSubprocessWithCompensationEventSubProcess": f"{C}.testCompensateParallelMiSubprocessWithCompensationEventSubProcess",
    f"{C}.testCompensationEventSubprocessWithoutBoundaryEvents": f"{C}.testCompensationEventSubprocessWithoutBoundaryEvents",
    f"{C}.testCompensationEventSubprocessReThrowCompensationEvent": f"{C}.testCompensationEventSubprocessReThrowCompensationEvent",
    f"{C}.testCompensationEventSubprocessConsumeCompensationEvent": f"{C}.testCompensationEventSubprocessConsumeCompensationEvent",
    f"{C}.testSubprocessCompensationHandler": f"{C}.testSubprocessCompensationHandler",
    f"{C}.testSubprocessCompensationHandlerDeleteProcessInstance": f"{C}.testSubprocessCompensationHandler",
    f"{C}.testSubprocessCompensationHandlerWithEventSubprocess": f"{C}.testSubprocessCompensationHandlerWithEventSubprocess",
    f"{C}.testReceiveTaskCompensationHandler": f"{C}.testReceiveTaskCompensationHandler",
    "TransactionSubProcessTest.testCompensateSubprocess": "TransactionSubProcessTest.testCompensateSubprocess",
    "TransactionSubProcessTest.testCompensateSubprocessNotTriggered": "TransactionSubProcessTest.testCompensateSubprocess",
}

_P = "CompensationEventParseInvalidProcessTest"
# CompensationEventParseInvalidProcessTest.data(): resources Camunda refuses with its own messages
REFUSED_BY_CAMUNDA = [
    f"{_P}.illegalCompensateActivityRefParentScope",
    f"{_P}.illegalCompensateActivityRefNestedScope",
    f"{_P}.invalidActivityRefFails",
    f"{_P}.multipleCompensationCatchEventsCompensationAttributeMissingFails",
    f"{_P}.multipleCompensationCatchEventsFails",
    f"{_P}.multipleCompensationEventSubProcesses",
    f"{_P}.compensationEventSubProcessesAtProcessLevel",
    f"{_P}.compensationEventSubprocessAndBoundaryEvent",
    f"{_P}.invalidOutgoingSequenceflow",
    f"{_P}.invalidIncomingSequenceflow",
]


def _compensation_elements(resource: str) -> set[str]:
    root = etree.fromstring((RESOURCES / f"{resource}.bpmn20.xml").read_bytes())
    events = {
        definition.getparent().get("id")
        for definition in root.iter(f"{BPMN}compensateEventDefinition")
        if definition.getparent() is not None
    }
    handlers = {
        e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("isForCompensation") == "true"
    }
    return events | handlers


def _refused(camunda: Camunda, resource: str) -> list[dict[str, Any]]:
    before = camunda.api.get("/process-definitions", "po").get_json()["items"]
    problems = camunda.deploy_fails(f"{resource}.bpmn20.xml")
    assert camunda.api.get("/process-definitions", "po").get_json()["items"] == before  # nothing deployed
    return problems


@pytest.mark.parametrize("test", sorted(RUN_BY_CAMUNDA))
def test_compensation_is_refused_naming_the_event(camunda: Camunda, test: str) -> None:
    """CompensateEventTest.* and TransactionSubProcessTest.testCompensateSubprocess* (refused by name)"""
    resource = RUN_BY_CAMUNDA[test]
    problems = _refused(camunda, resource)
    named = {p.get("elementId") for p in problems if "compensation" in p["message"]}
    assert named and named <= _compensation_elements(resource), problems


@pytest.mark.parametrize("resource", REFUSED_BY_CAMUNDA)
def test_compensation_parse_invalid_process(camunda: Camunda, resource: str) -> None:
    """CompensationEventParseInvalidProcessTest.testParseInvalidProcessDefinition (refused, naming a
    compensation event of the document)"""
    problems = _refused(camunda, resource)
    named = {p.get("elementId") for p in problems if "compensation" in p["message"]}
    assert named and named <= _compensation_elements(resource), problems


@pytest.mark.parametrize(
    ("test", "element"),
    [
        ("testMultipleCancelBoundaryFails", "catchCancelTx2"),
        ("testCancelBoundaryNoTransactionFails", "catchCancelTx"),
        ("testCancelEndNoTransactionFails", "failure"),
    ],
)
def test_cancel_events_are_refused(camunda: Camunda, test: str, element: str) -> None:
    """TransactionSubProcessTest.testMultipleCancelBoundaryFails, .testCancelBoundaryNoTransactionFails,
    .testCancelEndNoTransactionFails (the element Camunda names is among those refused)"""
    problems = _refused(camunda, f"TransactionSubProcessTest.{test}")
    assert element in {p.get("elementId") for p in problems}, problems

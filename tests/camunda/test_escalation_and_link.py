"""Escalation and link events (issue 11, item 6)."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.camunda.conftest import Camunda

E = "EscalationEventTest"
# (Camunda test, resources, process key, open tasks by name right after the start)
STARTS = [
    (
        f"{E}.testThrowEscalationEventFromEmbeddedSubprocess",
        [f"{E}.testThrowEscalationEventFromEmbeddedSubprocess.bpmn20.xml"],
        "escalationProcess",
        {"task after catched escalation": 1, "task in subprocess": 1},
    ),
    (
        f"{E}.testThrowEscalationEventHierarchical",
        [f"{E}.testThrowEscalationEventHierarchical.bpmn20.xml"],
        "escalationProcess",
        {"task after catched escalation inside subprocess": 1, "task in subprocess": 1},
    ),
    (
        f"{E}.testThrowEscalationEventFromCallActivity",
        [
            f"{E}.throwEscalationEvent.bpmn20.xml",
            f"{E}.nonInterruptingEscalationBoundaryEventOnCallActivity.bpmn20.xml",
        ],
        "catchEscalationProcess",
        {"task after catched escalation": 1, "task after thrown escalation": 1},
    ),
    (
        f"{E}.testThrowEscalationEventNotCaught",
        [f"{E}.throwEscalationEvent.bpmn20.xml"],
        "throwEscalationProcess",
        {"task after thrown escalation": 1},
    ),
    (
        f"{E}.testBoundaryEventWithEscalationCode",
        [f"{E}.testBoundaryEventWithEscalationCode.bpmn20.xml"],
        "escalationProcess",
        {"task after catched escalation 1": 1, "task in subprocess": 1},
    ),
    (
        f"{E}.testBoundaryEventWithoutEscalationCode",
        [f"{E}.testBoundaryEventWithoutEscalationCode.bpmn20.xml"],
        "escalationProcess",
        {"task after catched escalation": 1, "task in subprocess": 1},
    ),
    (
        f"{E}.testBoundaryEventWithEmptyEscalationCode",
        [f"{E}.testBoundaryEventWithEmptyEscalationCode.bpmn20.xml"],
        "escalationProcess",
        {"task after catched escalation": 1, "task in subprocess": 1},
    ),
    (
        f"{E}.testBoundaryEventWithoutEscalationRef",
        [f"{E}.testBoundaryEventWithoutEscalationRef.bpmn20.xml"],
        "escalationProcess",
        {"task after catched escalation": 1, "task in subprocess": 1},
    ),
    (
        f"{E}.testNonInterruptingEscalationBoundaryEventOnMultiInstanceSubprocess",
        [f"{E}.testNonInterruptingEscalationBoundaryEventOnMultiInstanceSubprocess.bpmn20.xml"],
        "escalationProcess",
        {"task after catched escalation": 5, "task in subprocess": 5},
    ),
    (
        # @Ignore("CAM-4403") in Camunda: its engine takes the missing cancelActivity as true (interrupting),
        # as BPMN says; we assert what Camunda 7 does
        f"{E}.testImplicitNonInterruptingEscalationBoundaryEvent",
        [f"{E}.testImplicitNonInterruptingEscalationBoundaryEvent.bpmn20.xml"],
        "escalationProcess",
        {"task after catched escalation": 1},
    ),
    (
        f"{E}.testInterruptingEscalationBoundaryEvent",
        [f"{E}.testInterruptingEscalationBoundaryEvent.bpmn20.xml"],
        "escalationProcess",
        {"task after catched escalation": 1},
    ),
    (
        f"{E}.testInterruptingEscalationBoundaryEventOnCallActivity",
        [
            f"{E}.throwEscalationEvent.bpmn20.xml",
            f"{E}.interruptingEscalationBoundaryEventOnCallActivity.bpmn20.xml",
        ],
        "catchEscalationProcess",
        {"task after catched escalation": 1},
    ),
    (
        f"{E}.testParallelEscalationEndEvent",
        [f"{E}.testParallelEscalationEndEvent.bpmn20.xml"],
        "escalationProcess",
        {"task after catched escalation": 1, "task in subprocess": 1},
    ),
    (
        f"{E}.testEscalationEndEvent",
        [f"{E}.testEscalationEndEvent.bpmn20.xml"],
        "escalationProcess",
        {"task after catched escalation": 1},
    ),
]


@pytest.mark.parametrize(("source", "resources", "key", "expected"), STARTS, ids=[s[0] for s in STARTS])
def test_escalation_start(
    camunda: Camunda, source: str, resources: list[str], key: str, expected: dict
) -> None:
    camunda.deploy(*resources)
    instance = camunda.start(key)
    assert Counter(t["name"] for t in camunda.tasks(instance)) == Counter(expected), source


P = "EscalationEventParseInvalidProcessTest"
# EscalationEventParseInvalidProcessTest.data(): (resource, Camunda's message, element it names)
INVALID = [
    (f"{P}.missingIdOnEscalation.bpmn20.xml", "escalation must have an id", None),
    (
        f"{P}.invalidAttachement.bpmn20.xml",
        "An escalation boundary event should only be attached to a subprocess, a call activity or an user task",
        "escalationBoundaryEvent",
    ),
    (
        f"{P}.invalidEscalationRefOnBoundaryEvent.bpmn20.xml",
        "could not find escalation with id 'invalid-escalation'",
        "escalationBoundaryEvent",
    ),
    (
        f"{P}.multipleEscalationBoundaryEventsWithSameEscalationCode.bpmn20.xml",
        "multiple escalation boundary events with the same escalationCode 'escalationCode' are not supported on same scope",
        "escalationBoundaryEvent2",
    ),
    (
        f"{P}.multipleEscalationBoundaryEventsWithAndWithoutEscalationCode.bpmn20.xml",
        "The same scope can not contains an escalation boundary event without escalation code and another one with escalation code.",
        "escalationBoundaryEvent2",
    ),
    (
        f"{P}.multipleEscalationBoundaryEventsWithoutEscalationCode.bpmn20.xml",
        "The same scope can not contains more than one escalation boundary event without escalation code.",
        "escalationBoundaryEvent2",
    ),
    (
        f"{P}.missingEscalationCodeOnIntermediateThrowingEscalationEvent.bpmn20.xml",
        "throwing escalation event must have an 'escalationCode'",
        "escalationThrowingEvent",
    ),
    (
        f"{P}.missingEscalationRefOnIntermediateThrowingEvent.bpmn20.xml",
        "escalationEventDefinition does not have required attribute 'escalationRef'",
        "escalationThrowingEvent",
    ),
    (
        f"{P}.invalidEscalationRefOnIntermediateThrowingEvent.bpmn20.xml",
        "could not find escalation with id 'invalid-escalation'",
        "escalationThrowingEvent",
    ),
    (
        f"{P}.missingEscalationCodeOnEscalationEndEvent.bpmn20.xml",
        "escalation end event must have an 'escalationCode'",
        "theEnd",
    ),
    (
        f"{P}.missingEscalationRefOnEndEvent.bpmn20.xml",
        "escalationEventDefinition does not have required attribute 'escalationRef'",
        "theEnd",
    ),
    (
        f"{P}.invalidEscalationRefOnEndEvent.bpmn20.xml",
        "could not find escalation with id 'invalid-escalation'",
        "theEnd",
    ),
    (
        f"{P}.invalidEscalationRefOnEscalationEventSubprocess.bpmn20.xml",
        "could not find escalation with id 'invalid-escalation'",
        "escalationStartEvent",
    ),
    (
        f"{P}.multipleInterruptingEscalationEventSubprocesses.bpmn20.xml",
        "multiple escalation event subprocesses with the same escalationCode 'escalationCode' are not supported on same scope",
        "escalationStartEvent2",
    ),
    (
        f"{P}.multipleEscalationEventSubprocessWithSameEscalationCode.bpmn20.xml",
        "multiple escalation event subprocesses with the same escalationCode 'escalationCode' are not supported on same scope",
        "escalationStartEvent2",
    ),
    (
        f"{P}.multipleEscalationEventSubprocessWithAndWithoutEscalationCode.bpmn20.xml",
        "The same scope can not contains an escalation event subprocess without escalation code and another one with escalation code.",
        "escalationStartEvent2",
    ),
    (
        f"{P}.multipleEscalationEventSubprocessWithoutEscalationCode.bpmn20.xml",
        "The same scope can not contains more than one escalation event subprocess without escalation code.",
        "escalationStartEvent2",
    ),
]


@pytest.mark.parametrize(
    ("resource", "message", "element"), INVALID, ids=[i[0].split(".")[1] for i in INVALID]
)
def test_escalation_parse_invalid_process(
    camunda: Camunda, resource: str, message: str, element: str | None
) -> None:
    """EscalationEventParseInvalidProcessTest.testParseInvalidProcessDefinition"""
    errors = camunda.deploy_fails(resource)
    matching = [e for e in errors if message in e["message"]]
    assert matching, errors
    if element is not None:
        assert any(e.get("elementId") == element for e in matching), matching


def test_valid_event_link(camunda: Camunda) -> None:
    """LinkEventTest.testValidEventLink (runtimeService.signal is the trigger message named by the task id)"""
    camunda.deploy("LinkEventTest.testValidEventLink.bpmn20.xml")
    instance = camunda.start("linkEventValid")
    assert instance["activeElements"] == ["waitAfterLink1"]
    instance = camunda.correlate("waitAfterLink1", instance)
    assert instance["activeElements"] == ["waitAfterLink2"]
    assert camunda.correlate("waitAfterLink2", instance)["status"] == "completed"


def test_event_link_multiple_sources(camunda: Camunda) -> None:
    """LinkEventTest.testEventLinkMultipleSources"""
    camunda.deploy("LinkEventTest.testEventLinkMultipleSources.bpmn20.xml")
    instance = camunda.start("linkEventValid")
    waiting = [w for w in _waits(camunda, instance)]
    assert waiting == ["WaitAfterLink", "WaitAfterLink"]


def _waits(camunda: Camunda, instance: dict) -> list[str]:
    services = camunda.api.app.extensions["inburgering"]
    record = services.workflow.get(instance["id"])
    return [w.element_id for w in services.workflow.runtime.describe(record.state).message_waits]


def test_invalid_event_link_multiple_targets(camunda: Camunda) -> None:
    """LinkEventTest.testInvalidEventLinkMultipleTargets"""
    errors = camunda.deploy_fails("LinkEventTest.testInvalidEventLinkMultipleTargets.bpmn20.xml")
    flagged = [e for e in errors if e.get("elementId") == "IntermediateCatchEvent_2"]
    assert (
        flagged
        and "Multiple Intermediate Catch Events with the same link event name ('LinkA') are not allowed"
        in flagged[0]["message"]
    )


def test_catch_link_event_after_event_based_gateway_not_allowed(camunda: Camunda) -> None:
    """LinkEventTest.testCatchLinkEventAfterEventBasedGatewayNotAllowed"""
    errors = camunda.deploy_fails(
        "LinkEventTest.testCatchLinkEventAfterEventBasedGatewayNotAllowed.bpmn20.xml"
    )
    flagged = [e for e in errors if e.get("elementId") == "IntermediateCatchEvent_2"]
    assert (
        flagged
        and "IntermediateCatchLinkEvent is not allowed after an EventBasedGateway." in flagged[0]["message"]
    )

"""Deploy-time refusals Camunda 7's BpmnParse makes, with its messages, naming the element.

Ports of ``BpmnParseTest`` (``engine/src/test/java/org/camunda/bpm/engine/test/bpmn/parse/``):
each resource Camunda refuses is refused here with a 422 whose problems carry Camunda's message
(so a designer reads the same words in both) and the element id; nothing is deployed. The
resources Camunda accepts that need nothing we refuse are deployed here too.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.camunda.conftest import Camunda


def _refused(camunda: Camunda, resource: str) -> list[dict[str, Any]]:
    before = camunda.api.get("/process-definitions", "po").get_json()["items"]
    errors = camunda.deploy_fails(resource)
    assert camunda.api.get("/process-definitions", "po").get_json()["items"] == before  # nothing deployed
    return errors


def _has(errors: list[dict[str, Any]], message: str, element: str | None = None) -> bool:
    return any(message in e["message"] and (element is None or e.get("elementId") == element) for e in errors)


SUBPROCESS_START_EVENTS = [
    (
        "testInvalidSubProcessWithTimerStartEvent",
        "timerEventDefinition is not allowed on start event within a subprocess",
    ),
    (
        "testInvalidSubProcessWithMessageStartEvent",
        "messageEventDefinition only allowed on start event if subprocess is an event subprocess",
    ),
    (
        "testInvalidSubProcessWithConditionalStartEvent",
        "conditionalEventDefinition is not allowed on start event within a subprocess",
    ),
    (
        "testInvalidSubProcessWithSignalStartEvent",
        "signalEventDefintion only allowed on start event if subprocess is an event subprocess",
    ),
    (
        "testInvalidSubProcessWithErrorStartEvent",
        "errorEventDefinition only allowed on start event if subprocess is an event subprocess",
    ),
    (
        "testInvalidSubProcessWithEscalationStartEvent",
        "escalationEventDefinition is not allowed on start event within a subprocess",
    ),
    (
        "testInvalidSubProcessWithCompensationStartEvent",
        "compensateEventDefinition is not allowed on start event within a subprocess",
    ),
    (
        "testInvalidTransactionWithMessageStartEvent",
        "messageEventDefinition only allowed on start event if subprocess is an event subprocess",
    ),
    (
        "testInvalidTransactionWithTimerStartEvent",
        "timerEventDefinition is not allowed on start event within a subprocess",
    ),
    (
        "testInvalidTransactionWithConditionalStartEvent",
        "conditionalEventDefinition is not allowed on start event within a subprocess",
    ),
    (
        "testInvalidTransactionWithSignalStartEvent",
        "signalEventDefintion only allowed on start event if subprocess is an event subprocess",
    ),
    (
        "testInvalidTransactionWithErrorStartEvent",
        "errorEventDefinition only allowed on start event if subprocess is an event subprocess",
    ),
    (
        "testInvalidTransactionWithEscalationStartEvent",
        "escalationEventDefinition is not allowed on start event within a subprocess",
    ),
    (
        "testInvalidTransactionWithCompensationStartEvent",
        "compensateEventDefinition is not allowed on start event within a subprocess",
    ),
]


@pytest.mark.parametrize(
    ("test", "message"), SUBPROCESS_START_EVENTS, ids=[t for t, _ in SUBPROCESS_START_EVENTS]
)
def test_start_event_with_a_trigger_inside_a_plain_sub_process_is_refused(
    camunda: Camunda, test: str, message: str
) -> None:
    """BpmnParseTest.testInvalidSubProcessWith*StartEvent, .testInvalidTransactionWith*StartEvent"""
    errors = _refused(camunda, f"BpmnParseTest.{test}.bpmn")
    assert _has(errors, message), errors


def test_sub_process_without_start_event_is_refused(camunda: Camunda) -> None:
    """BpmnParseTest.testInvalidSubProcessWithoutStartEvent"""
    errors = _refused(camunda, "BpmnParseTest.testInvalidSubProcessWithoutStartEvent.bpmn")
    assert _has(errors, "subProcess must define a startEvent element", "SubProcess_1"), errors


def test_process_without_start_event_is_refused(camunda: Camunda) -> None:
    """BpmnParseTest.testInvalidProcessWithoutStartEvent"""
    errors = _refused(camunda, "BpmnParseTest.testInvalidProcessWithoutStartEvent.bpmn20.xml")
    assert _has(errors, "process must define a startEvent element"), errors


def test_invalid_process_definition_is_refused_by_the_schema(camunda: Camunda) -> None:
    """BpmnParseTest.testInvalidProcessDefinition"""
    errors = _refused(camunda, "BpmnParseTest.testInvalidProcessDefinition.bpmn20.xml")
    assert _has(errors, "invalidAttribute"), errors


def test_expression_parsing_errors(camunda: Camunda) -> None:
    """BpmnParseTest.testExpressionParsingErrors"""
    errors = _refused(camunda, "BpmnParseTest.testExpressionParsingErrors.bpmn")
    assert _has(errors, "${currentUser()", "Task_1p99tc1"), errors


def test_xml_parsing_errors(camunda: Camunda) -> None:
    """BpmnParseTest.testXmlParsingErrors"""
    errors = _refused(camunda, "BpmnParseTest.testXMLParsingErrors.bpmn")
    assert _has(errors, "not well-formed XML"), errors


def test_invalid_sequence_flow_in_and_out_of_event_sub_process(camunda: Camunda) -> None:
    """BpmnParseTest.testInvalidSequenceFlowInAndOutEventSubProcess"""
    errors = _refused(camunda, "BpmnParseTest.testInvalidSequenceFlowInAndOutEventSubProcess.bpmn20.xml")
    assert _has(
        errors,
        "start event of event subprocess must be of type 'error', 'message', 'timer', 'signal', "
        "'compensation' or 'escalation'",
    ), errors
    assert _has(errors, "Invalid incoming sequence flow of event subprocess"), errors
    assert _has(errors, "Invalid outgoing sequence flow of event subprocess"), errors


def test_parse_multiple_start_event(camunda: Camunda) -> None:
    """BpmnParseTest.testParseMultipleStartEvent"""
    errors = _refused(camunda, "BpmnParseTest.testParseMultipleStartEvent.bpmn20.xml")
    assert _has(
        errors, "timerEventDefinition is not allowed on start event within a subprocess", "startSubProcess"
    )
    assert _has(
        errors,
        "messageEventDefinition only allowed on start event if subprocess is an event subprocess",
        "startSubProcess",
    )


VARIABLE_MAPPINGS = [
    (
        "testNoCamundaInSourceThrowsError",
        [
            "Missing parameter 'source' or 'sourceExpression' when passing variables",
            "Missing attribute 'target' when attribute 'source' or 'sourceExpression' is set",
        ],
    ),
    (
        "testEmptyCamundaInSourceThrowsError",
        [
            "Empty attribute 'source' when passing variables",
            "Missing attribute 'target' when attribute 'source' or 'sourceExpression' is set",
        ],
    ),
    (
        "testNoCamundaInTargetThrowsError",
        ["Missing attribute 'target' when attribute 'source' or 'sourceExpression' is set"],
    ),
    (
        "testEmptyCamundaInTargetThrowsError",
        ["Empty attribute 'target' when attribute 'source' or 'sourceExpression' is set"],
    ),
    (
        "testNoCamundaOutSourceThrowsError",
        [
            "Missing parameter 'source' or 'sourceExpression' when passing variables",
            "Missing attribute 'target' when attribute 'source' or 'sourceExpression' is set",
        ],
    ),
    (
        "testEmptyCamundaOutSourceThrowsError",
        [
            "Empty attribute 'source' when passing variables",
            "Missing attribute 'target' when attribute 'source' or 'sourceExpression' is set",
        ],
    ),
    (
        "testNoCamundaOutTargetThrowsError",
        ["Missing attribute 'target' when attribute 'source' or 'sourceExpression' is set"],
    ),
    (
        "testEmptyCamundaOutTargetThrowsError",
        ["Empty attribute 'target' when attribute 'source' or 'sourceExpression' is set"],
    ),
]


@pytest.mark.parametrize(("test", "messages"), VARIABLE_MAPPINGS, ids=[t for t, _ in VARIABLE_MAPPINGS])
def test_incomplete_camunda_in_and_out_are_refused(camunda: Camunda, test: str, messages: list[str]) -> None:
    """BpmnParseTest.testNoCamundaIn*/testEmptyCamundaIn*/testNoCamundaOut*/testEmptyCamundaOut*ThrowsError"""
    errors = _refused(camunda, f"BpmnParseTest.{test}.bpmn20.xml")
    for message in messages:
        assert _has(errors, message, "callActivity"), errors


@pytest.mark.parametrize(
    "test",
    [
        "testParseProcessDefinitionInvalidTtl",
        "testParseProcessDefinitionNegativeTtl",
        "testParseProcessDefinitionMalformedStringTtl",
    ],
)
def test_unparsable_history_time_to_live_is_refused(camunda: Camunda, test: str) -> None:
    """BpmnParseTest.testParseProcessDefinitionInvalidTtl, .testParseProcessDefinitionNegativTtl, .testParseProcessDefinitionMalformedStringTtl"""
    errors = _refused(camunda, f"BpmnParseTest.{test}.bpmn20.xml")
    assert _has(errors, "Cannot parse historyTimeToLive", "oneTaskProcess"), errors


@pytest.mark.parametrize(
    "test",
    [
        "testParseProcessDefinitionTtl",
        "testParseProcessDefinitionStringTtl",
        "testParseProcessDefinitionEmptyTtl",
        "testParseProcessDefinitionWithoutTtl",
    ],
)
def test_history_time_to_live_as_camunda_reads_it(camunda: Camunda, test: str) -> None:
    """BpmnParseTest.testParseProcessDefinitionTtl, .testParseProcessDefinitionStringTtl, .testParseProcessDefinitionEmptyTtl, .testParseProcessDefinitionWithoutTtl"""
    (deployed,) = camunda.deploy(f"BpmnParseTest.{test}.bpmn20.xml")
    assert deployed["key"] == "oneTaskProcess"


@pytest.mark.parametrize(
    "resource",
    [
        "BpmnParseTest.testParseWithBpmnNamespacePrefix.bpmn20.xml",
        "BpmnParseTest.testParseWithMultipleDocumentation.bpmn20.xml",
        "BpmnParseTest.testParseCollaborationPlane.bpmn",
        "BpmnParseTest.testParseNamespaceInConditionExpressionType.bpmn20.xml",
        "BpmnParseTest.testParseDiagramInterchangeElementsForUnknownModelElements.bpmn20.xml",
        "BpmnParseTest.testParseSignalStartEvent.bpmn20.xml",
        "BpmnParseTest.testParseEscalationBoundaryEvent.bpmn20.xml",
        "BpmnParseTest.testParseEscalationIntermediateThrowingEvent.bpmn20.xml",
        "BpmnParseTest.testParseEscalationEndEvent.bpmn20.xml",
    ],
)
def test_documents_camunda_parses_are_deployed(camunda: Camunda, resource: str) -> None:
    """BpmnParseTest.testParseWithBpmnNamespacePrefix, .testParseWithMultipleDocumentation, .testParseCollaborationPlane, ..."""
    camunda.deploy(resource)


def test_process_definition_xxe_is_refused(camunda: Camunda) -> None:
    """BpmnParseTest.testParseProcessDefinitionXXE (Camunda refuses the external entity; so do we)"""
    errors = _refused(camunda, "BpmnParseTest.testParseProcessDefinitionXXE.bpmn20.xml")
    assert _has(errors, "external entities are not allowed") or _has(errors, "DOCTYPE"), errors

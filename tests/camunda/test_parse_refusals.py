"""More of Camunda 7's BpmnParse refusals and acceptances (``BpmnParseTest``).

Each document Camunda refuses is refused here with a 422 naming the element Camunda names (with
Camunda's words where a designer would look for them); nothing is deployed. Documents Camunda
accepts are deployed.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.camunda.conftest import Camunda

P = "BpmnParseTest"


def _refused(camunda: Camunda, resource: str | bytes) -> list[dict[str, Any]]:
    before = camunda.api.get("/process-definitions", "po").get_json()["items"]
    errors = camunda.deploy_fails(resource)
    assert camunda.api.get("/process-definitions", "po").get_json()["items"] == before  # nothing deployed
    return errors


def _elements(errors: list[dict[str, Any]]) -> list[str | None]:
    return [e.get("elementId") for e in errors]


def test_invalid_async_after_event_based_gateway(camunda: Camunda) -> None:
    """BpmnParseTest.testInvalidAsyncAfterEventBasedGateway"""
    errors = _refused(camunda, f"{P}.testInvalidAsyncAfterEventBasedGateway.bpmn")
    assert any("'asyncAfter' not supported for" in e["message"] for e in errors), errors
    assert "eventBasedGateway" in _elements(errors)


@pytest.mark.parametrize(
    ("test", "element"),
    [
        ("testParseInvalidConditionalBoundaryEvent", "conditionalBoundaryEvent"),
        ("testParseInvalidIntermediateConditionalEvent", "intermediateConditionalEvent"),
        ("testParseInvalidEventSubprocessConditionalStartEvent", "conditionalStartEventSubProcess"),
    ],
)
def test_parse_invalid_conditional_event(camunda: Camunda, test: str, element: str) -> None:
    """BpmnParseTest.testParseInvalidConditionalBoundaryEvent, .testParseInvalidIntermediateConditionalEvent,
    .testParseInvalidEventSubprocessConditionalStartEvent (a conditional event without condition)"""
    errors = _refused(camunda, f"{P}.{test}.bpmn")
    assert element in _elements(errors), errors


def test_invalid_execution_listener_class_definition(camunda: Camunda) -> None:
    """BpmnParseTest.testInvalidExecutionListenerClassDefinition (an empty listener class)"""
    errors = _refused(camunda, f"{P}.testInvalidExecutionListenerClassDefinition.bpmn")
    assert _elements(errors)[0] == "Task_1v32izq", errors


def test_timer_without_full_definition(camunda: Camunda) -> None:
    """BpmnParseTest.testTimerWithoutFullDefinition"""
    document = (
        b"<?xml version='1.0' encoding='UTF-8'?>"
        b"<definitions xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'"
        b"  xmlns='http://www.omg.org/spec/BPMN/20100524/MODEL'"
        b"  xmlns:camunda='http://camunda.org/schema/1.0/bpmn'"
        b"  targetNamespace='Examples'>"
        b"  <process id='process' isExecutable='true'>"
        b"    <startEvent id='start'>"
        b"      <timerEventDefinition id='TimerEventDefinition_1'/>"
        b"    </startEvent>"
        b"  </process>"
        b"</definitions>"
    )
    errors = _refused(camunda, document)
    assert len(errors) == 1, errors
    assert (
        "Timer needs configuration (either timeDate, timeCycle or timeDuration is needed)."
        in errors[0]["message"]
    )
    assert errors[0].get("elementId") == "start"


def test_sequence_flow_no_id_and_unexistant_destination(camunda: Camunda) -> None:
    """BpmnParseTest.testSequenceFlowNoIdAndUnexistantDestination"""
    document = (
        b"<?xml version='1.0' encoding='UTF-8'?>"
        b"<definitions xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'"
        b"  xmlns='http://www.omg.org/spec/BPMN/20100524/MODEL'"
        b"  xmlns:camunda='http://camunda.org/schema/1.0/bpmn'"
        b"  targetNamespace='Examples'>"
        b"  <process id='process' isExecutable='true'>"
        b"    <startEvent id='start'/>"
        b"    <sequenceFlow sourceRef='start' targetRef='eventBasedGateway' />"
        b"  </process>"
        b"</definitions>"
    )
    errors = _refused(camunda, document)
    assert any("Invalid destination 'eventBasedGateway' of sequence flow" in e["message"] for e in errors), (
        errors
    )


def test_multiple_start_events_in_a_sub_process(camunda: Camunda) -> None:
    """BpmnParseTest.testMultipleTimerStartEvents (its sub-process part; the process level is in
    test_timer_starts.py)"""
    errors = _refused(camunda, f"{P}.testMultipleTimerStartEvents.bpmn20.xml")
    message = "multiple start events not supported for subprocess"
    assert [e.get("elementId") for e in errors if message in e["message"]] == ["plainStartInSub1"], errors


@pytest.mark.parametrize(
    "resource",
    [
        f"{P}.testParseSwitchedSourceAndTargetRefsForAssociations.bpmn20.xml",
        f"{P}.testParseEmptyExtensionProperty.bpmn",
        f"{P}.testParseEscalationStartEvent.bpmn20.xml",
    ],
)
def test_parse_accepted(camunda: Camunda, resource: str) -> None:
    """BpmnParseTest.testParseSwitchedSourceAndTargetRefsForAssociations, .testParseEmptyExtensionProperty,
    .testParseEscalationStartEvent (deployed: one process definition more)"""
    before = len(camunda.api.get("/process-definitions", "po").get_json()["items"])
    camunda.deploy(resource)
    assert len(camunda.api.get("/process-definitions", "po").get_json()["items"]) == before + 1


def test_intermediate_catch_timer_event_with_time_cycle(camunda: Camunda) -> None:
    """BpmnParseTest.testIntermediateCatchTimerEventWithTimeCycleNotRecommendedInfoMessage
    (Camunda deploys it and logs a hint; the catch event fires once)"""
    document = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="Examples">
  <process id="process" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="timerintermediatecatchevent1" />
    <intermediateCatchEvent id="timerintermediatecatchevent1">
      <timerEventDefinition><timeCycle>0 0/5 * * * ?</timeCycle></timerEventDefinition>
    </intermediateCatchEvent>
    <sequenceFlow id="f2" sourceRef="timerintermediatecatchevent1" targetRef="end" />
    <endEvent id="end" />
  </process>
</definitions>
"""
    camunda.deploy(document)
    instance = camunda.start("process")
    (timer,) = camunda.timers(instance)
    assert camunda.fire(timer)["status"] == "completed"

"""Message start and intermediate message events at deploy, as Camunda checks them.

Ported from ``MessageStartEventTest`` and ``MessageIntermediateEventTest``
(``engine/src/test/java/org/camunda/bpm/engine/test/bpmn/event/message/``), resources unchanged.
``startProcessInstanceByMessage`` and ``createMessageCorrelation(..).correlateWithResult()`` are
``POST /messages``; a deployment Camunda refuses is a 422 naming the element.
"""

from __future__ import annotations

from typing import Any

from tests.camunda.conftest import Camunda

M = "MessageStartEventTest"


def _start_by_message(camunda: Camunda, name: str, **body: Any) -> dict[str, Any]:
    response = camunda.api.post(
        "/messages", "sys", json={"messageName": name, "businessKey": f"bk-{name}", **body}
    )
    assert response.status_code == 200, response.get_json()
    return camunda.instance(response.get_json()["processInstanceId"])


def test_same_message_name_fails(camunda: Camunda) -> None:
    """MessageStartEventTest.testSameMessageNameFails"""
    camunda.deploy(f"{M}.testSingleMessageStartEvent.bpmn20.xml")
    errors = camunda.deploy_fails("otherProcessWithNewInvoiceMessage.bpmn20.xml")
    assert any(
        "there already is a message event subscription for the message with name" in e["message"]
        for e in errors
    ), errors


def test_deploy_start_and_intermediate_event_with_same_message_in_same_process(camunda: Camunda) -> None:
    """MessageStartEventTest.testDeployStartAndIntermediateEventWithSameMessageInSameProcess"""
    resource = f"{M}.testDeployStartAndIntermediateEventWithSameMessageInSameProcess.bpmn"
    camunda.deploy(resource)
    instance = _start_by_message(camunda, "message")
    assert instance["status"] == "active"
    camunda.deploy(resource)  # deploying it again succeeds


def test_deploy_start_and_intermediate_event_with_same_message_different_processes_first_start_event(
    camunda: Camunda,
) -> None:
    """MessageStartEventTest.testDeployStartAndIntermediateEventWithSameMessageDifferentProcessesFirstStartEvent"""
    camunda.deploy(f"{M}.testDeployStartAndIntermediateEventWithSameMessageDifferentProcesses.bpmn")
    instance = _start_by_message(camunda, "message")
    assert instance["status"] == "active"
    camunda.deploy(f"{M}.testDeployStartAndIntermediateEventWithSameMessageDifferentProcesses2.bpmn")


def test_deploy_start_and_intermediate_event_with_same_message_different_processes_first_intermediate_event(
    camunda: Camunda,
) -> None:
    """MessageStartEventTest.testDeployStartAndIntermediateEventWithSameMessageDifferentProcessesFirstIntermediateEvent"""
    camunda.deploy(f"{M}.testDeployStartAndIntermediateEventWithSameMessageDifferentProcesses2.bpmn")
    instance = camunda.start("Process_2")
    assert instance["status"] == "active"
    camunda.deploy(f"{M}.testDeployStartAndIntermediateEventWithSameMessageDifferentProcesses.bpmn")


def test_using_expression_with_hash_tag_in_message_start_event_name_throws_exception(
    camunda: Camunda,
) -> None:
    """MessageStartEventTest.testUsingExpressionWithHashTagInMessageStartEventNameThrowsException"""
    errors = camunda.deploy_fails(
        f"{M}.testUsingExpressionWithHashTagInMessageStartEventNameThrowsException.bpmn20.xml"
    )
    assert any(
        "Invalid message name" in e["message"]
        and "expressions in the message start event name are not allowed!" in e["message"]
        for e in errors
    ), errors


def test_message_start_event_using_correlation_engine_and_local_variable(camunda: Camunda) -> None:
    """MessageStartEventTest.testMessageStartEventUsingCorrelationEngineAndLocalVariable"""
    camunda.deploy(f"{M}.testMessageStartEventUsingCorrelationEngine.bpmn")
    instance = _start_by_message(camunda, "newCorrelationStartMessage", variables={"var": "value"})
    assert instance["variables"]["var"] == "value"


def test_intermediate_empty_message_name_fails(camunda: Camunda) -> None:
    """MessageIntermediateEventTest.testEmptyMessageNameFails"""
    errors = camunda.deploy_fails("MessageIntermediateEventTest.testEmptyMessageNameFails.bpmn20.xml")
    assert any(
        "Cannot have a message event subscription with an empty or missing name" in e["message"]
        for e in errors
    ), errors
    assert errors[0]["elementId"] == "messageCatch"

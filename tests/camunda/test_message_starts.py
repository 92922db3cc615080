"""Message start events as Camunda runs them (``MessageStartEventTest``).

``startProcessInstanceByMessage(name)`` and a ``correlate`` that no instance waits for are
``POST /messages``: the process whose start event waits for the message starts there.
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


def test_message_start_event_and_none_start_event(camunda: Camunda) -> None:
    """MessageStartEventTest.testMessageStartEventAndNoneStartEvent"""
    camunda.deploy(f"{M}.testMessageStartEventAndNoneStartEvent.bpmn20.xml")
    instance = camunda.start("testProcess")
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["taskAfterNoneStart"]
    assert camunda.complete(instance, "taskAfterNoneStart")["status"] == "completed"
    instance = _start_by_message(camunda, "newInvoiceMessage")
    assert [t["elementId"] for t in instance["openTasks"]] == ["taskAfterMessageStart"]
    assert camunda.complete(instance, "taskAfterMessageStart")["status"] == "completed"


def test_none_start_leaves_no_message_start_waiting(camunda: Camunda) -> None:
    """MessageStartEventTest.testMessageStartEventAndNoneStartEvent: the message start event is the
    definition's subscription; an instance started by key does not wait for it"""
    camunda.deploy(f"{M}.testMessageStartEventAndNoneStartEvent.bpmn20.xml")
    instance = camunda.start("testProcess", business_key="k1")
    second = _start_by_message(camunda, "newInvoiceMessage", businessKey="k2", variables={"amount": 3})
    assert second["id"] != instance["id"]
    assert second["variables"]["amount"] == 3
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["taskAfterNoneStart"]


def test_multiple_message_start_events(camunda: Camunda) -> None:
    """MessageStartEventTest.testMultipleMessageStartEvents"""
    camunda.deploy(f"{M}.testMultipleMessageStartEvents.bpmn20.xml")
    instance = _start_by_message(camunda, "newInvoiceMessage")
    assert [t["elementId"] for t in instance["openTasks"]] == ["taskAfterMessageStart"]
    assert camunda.complete(instance, "taskAfterMessageStart")["status"] == "completed"
    instance = _start_by_message(camunda, "newInvoiceMessage2")
    assert [t["elementId"] for t in instance["openTasks"]] == ["taskAfterMessageStart2"]
    assert camunda.complete(instance, "taskAfterMessageStart2")["status"] == "completed"
    refused = camunda.start_response("testProcess")
    assert refused.status_code == 422
    assert "has no default start activity" in refused.get_json()["detail"]


def test_single_message_start_event_by_message(camunda: Camunda) -> None:
    """MessageStartEventTest.testSingleMessageStartEvent (startProcessInstanceByMessage)"""
    camunda.deploy(f"{M}.testSingleMessageStartEvent.bpmn20.xml")
    instance = _start_by_message(camunda, "newInvoiceMessage")
    assert [t["elementId"] for t in instance["openTasks"]] == ["task"]
    assert camunda.complete(instance, "task")["status"] == "completed"


def test_empty_message_name_fails(camunda: Camunda) -> None:
    """MessageStartEventTest.testEmptyMessageNameFails"""
    errors = camunda.deploy_fails(f"{M}.testEmptyMessageNameFails.bpmn20.xml")
    assert any(e.get("elementId") == "theStart" for e in errors), errors


def test_same_message_name_in_same_process_fails(camunda: Camunda) -> None:
    """MessageStartEventTest.testSameMessageNameInSameProcessFails"""
    errors = camunda.deploy_fails("testSameMessageNameInSameProcessFails.bpmn20.xml")
    assert any(
        "Cannot have more than one message event subscription with name 'newInvoiceMessage' for scope"
        in e["message"]
        for e in errors
    ), errors


def test_using_expression_in_message_start_event_name_fails(camunda: Camunda) -> None:
    """MessageStartEventTest.testUsingExpressionWithDollarTagInMessageStartEventNameThrowsException"""
    errors = camunda.deploy_fails(
        f"{M}.testUsingExpressionWithDollarTagInMessageStartEventNameThrowsException.bpmn20.xml"
    )
    assert any(
        "Invalid message name" in e["message"]
        and "expressions in the message start event name are not allowed!" in e["message"]
        for e in errors
    ), errors

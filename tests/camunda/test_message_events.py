"""Message boundary, intermediate and event sub-process events as Camunda runs them.

Ported from ``MessageBoundaryEventTest``, ``MessageIntermediateEventTest`` and
``MessageEventSubprocessTest`` (resources unchanged). ``messageEventReceived(name, executionId)``
is ``POST /messages`` by name and business key: where the Camunda test addresses one of several
executions waiting for one name, the port shows Camunda's ``correlate`` refusal (409) and
``correlateAll`` (``all: true``).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.camunda.conftest import Camunda

B = "MessageBoundaryEventTest"
E = "MessageEventSubprocessTest"


def _elements(camunda: Camunda, instance: dict[str, Any]) -> list[str]:
    return sorted(t["elementId"] for t in camunda.tasks(instance))


def _waits(camunda: Camunda, instance: dict[str, Any]) -> list[str]:
    services = camunda.api.app.extensions["inburgering"]
    record = services.workflow.get(instance["id"])
    if record.status != "active":
        return []
    return sorted(w.message_name for w in services.workflow.runtime.describe(record.state).message_waits)


def test_single_boundary_message_event(camunda: Camunda) -> None:
    """MessageBoundaryEventTest.testSingleBoundaryMessageEvent"""
    camunda.deploy(f"{B}.testSingleBoundaryMessageEvent.bpmn20.xml")
    instance = camunda.start("process")
    assert _waits(camunda, instance) == ["messageName"]
    instance = camunda.correlate("messageName", instance)
    assert _elements(camunda, instance) == ["taskAfterMessage"]
    assert camunda.complete(instance, "taskAfterMessage")["status"] == "completed"
    instance = camunda.start("process")
    instance = camunda.complete(instance, _elements(camunda, instance)[0])
    assert _waits(camunda, instance) == []
    assert _elements(camunda, instance) == ["taskAfterTask"]
    assert camunda.complete(instance, "taskAfterTask")["status"] == "completed"


def test_double_boundary_message_event_same_message_id(camunda: Camunda) -> None:
    """MessageBoundaryEventTest.testDoubleBoundaryMessageEventSameMessageId"""
    errors = camunda.deploy_fails(f"{B}.testDoubleBoundaryMessageEventSameMessageId.bpmn20.xml")
    assert [e["elementId"] for e in errors] == ["messageBoundary_2"]
    assert (
        "Cannot have more than one message event subscription with name 'messageName' for scope 'task'"
        in errors[0]["message"]
    )


def test_double_boundary_message_event(camunda: Camunda) -> None:
    """MessageBoundaryEventTest.testDoubleBoundaryMessageEvent"""
    camunda.deploy(f"{B}.testDoubleBoundaryMessageEvent.bpmn20.xml")
    instance = camunda.start("process")
    assert _waits(camunda, instance) == ["messageName_1", "messageName_2"]
    instance = camunda.correlate("messageName_1", instance)
    assert camunda.correlate_response("messageName_2", instance).status_code == 404
    assert _elements(camunda, instance) == ["taskAfterMessage_1"]
    assert camunda.complete(instance, "taskAfterMessage_1")["status"] == "completed"
    instance = camunda.start("process")
    instance = camunda.complete(instance, "task")
    assert _waits(camunda, instance) == []
    assert _elements(camunda, instance) == ["taskAfterTask"]
    assert camunda.complete(instance, "taskAfterTask")["status"] == "completed"


def test_boundary_message_event_inside_subprocess(camunda: Camunda) -> None:
    """MessageBoundaryEventTest.testBoundaryMessageEventInsideSubprocess"""
    camunda.deploy(f"{B}.testBoundaryMessageEventInsideSubprocess.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.correlate("messageName", instance)
    assert _elements(camunda, instance) == ["taskAfterMessage"]
    assert camunda.complete(instance, "taskAfterMessage")["status"] == "completed"
    instance = camunda.start("process")
    instance = camunda.complete(instance, _elements(camunda, instance)[0])
    assert _waits(camunda, instance) == []
    assert _elements(camunda, instance) == ["taskAfterTask"]
    assert camunda.complete(instance, "taskAfterTask")["status"] == "completed"


def test_boundary_message_event_on_subprocess(camunda: Camunda) -> None:
    """MessageBoundaryEventTest.testBoundaryMessageEventOnSubprocess"""
    camunda.deploy(f"{B}.testBoundaryMessageEventOnSubprocess.bpmn20.xml")
    for message, after in (
        ("messageName_one", "taskAfterMessage_one"),
        ("messageName_two", "taskAfterMessage_two"),
    ):
        instance = camunda.start("process")
        instance = camunda.correlate(message, instance)
        assert _elements(camunda, instance) == [after]
        assert camunda.complete(instance, after)["status"] == "completed"
    instance = camunda.start("process")
    instance = camunda.complete(instance, _elements(camunda, instance)[0])
    assert _waits(camunda, instance) == []
    assert _elements(camunda, instance) == ["taskAfterSubProcess"]
    assert camunda.complete(instance, "taskAfterSubProcess")["status"] == "completed"


def test_boundary_message_event_concurrent(camunda: Camunda) -> None:
    """MessageBoundaryEventTest.testBoundaryMessageEventConcurrent"""
    camunda.deploy(f"{B}.testBoundaryMessageEventConcurrent.bpmn20.xml")
    instance = camunda.start("boundaryEvent")
    assert len(_waits(camunda, instance)) == 2
    camunda.correlate("task1Message", instance)
    assert _waits(camunda, instance) == ["task2Message"]


def test_expression_in_boundary_message_event_name(camunda: Camunda) -> None:
    """MessageBoundaryEventTest.testExpressionInBoundaryMessageEventName"""
    camunda.deploy(f"{B}.testExpressionInBoundaryMessageEventName.bpmn20.xml")
    instance = camunda.start("process", {"foo": "bar"})
    assert _waits(camunda, instance) == ["messageName-bar"]
    instance = camunda.correlate("messageName-bar", instance)
    assert _elements(camunda, instance) == ["taskAfterMessage"]
    assert camunda.complete(instance, "taskAfterMessage")["status"] == "completed"


def test_concurrent_intermediate_message_event(camunda: Camunda) -> None:
    """MessageIntermediateEventTest.testConcurrentIntermediateMessageEvent"""
    camunda.deploy("MessageIntermediateEventTest.testConcurrentIntermediateMessageEvent.bpmn20.xml")
    instance = camunda.start("process")
    assert sorted(instance["activeElements"]) == ["messageCatch1", "messageCatch2"]
    assert _waits(camunda, instance) == ["newInvoiceMessage", "newInvoiceMessage"]
    assert camunda.correlate_response("newInvoiceMessage", instance).status_code == 409
    assert camunda.tasks(instance) == []
    response = camunda.api.post(
        "/messages",
        "sys",
        json={"messageName": "newInvoiceMessage", "businessKey": instance["businessKey"], "all": True},
    )
    assert response.status_code == 200
    (task,) = camunda.tasks(instance)
    assert camunda.complete(instance, task["elementId"])["status"] == "completed"


def test_two_interrupting_under_process_definition(camunda: Camunda) -> None:
    """MessageEventSubprocessTest.testTwoInterruptingUnderProcessDefinition"""
    camunda.deploy(f"{E}.testTwoInterruptingUnderProcessDefinition.bpmn20.xml")
    instance = camunda.start("process")
    assert len(_waits(camunda, instance)) == 2
    assert "newMessage" in _waits(camunda, instance)
    assert _elements(camunda, instance) == ["task"]
    assert camunda.complete(instance, "task")["status"] == "completed"
    instance = camunda.start("process")
    instance = camunda.correlate("newMessage", instance)
    assert _elements(camunda, instance) == ["eventSubProcessTask"]
    assert camunda.complete(instance, "eventSubProcessTask")["status"] == "completed"


def test_expression_in_message_name_in_interrupting_sub_process_definition(camunda: Camunda) -> None:
    """MessageEventSubprocessTest.testExpressionInMessageNameInInterruptingSubProcessDefinition"""
    camunda.deploy(f"{E}.testExpressionInMessageNameInInterruptingSubProcessDefinition.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.correlate("newMessage-foo", instance)
    assert _elements(camunda, instance) == ["eventSubProcessTask"]
    assert camunda.complete(instance, "eventSubProcessTask")["status"] == "completed"


def test_multiple_non_interrupting_in_embedded_subprocess(camunda: Camunda) -> None:
    """MessageEventSubprocessTest.testMultipleNonInterruptingInEmbeddedSubprocess"""
    camunda.deploy(f"{E}.testMultipleNonInterruptingInEmbeddedSubprocess.bpmn20.xml")
    instance = camunda.start("process")
    assert _waits(camunda, instance) == ["newMessage"]
    for i in (1, 2):
        instance = camunda.correlate("newMessage", instance)
        assert [e for e in _elements(camunda, instance) if e == "eventSubProcessTask"] == [
            "eventSubProcessTask"
        ] * i
    instance = camunda.complete(instance, "subProcessTask")
    assert camunda.tasks(instance) == []
    assert instance["status"] == "completed"


N = "MessageNonInterruptingBoundaryEventTest"


def _finish(camunda: Camunda, instance: dict[str, Any]) -> None:
    assert _elements(camunda, instance) == ["task1", "task2"]
    assert _waits(camunda, instance) == []
    instance = camunda.complete(instance, "task1")
    assert camunda.complete(instance, "task2")["status"] == "completed"


@pytest.mark.parametrize(
    "test",
    [
        "testNonInterruptingEventInCombinationWithReceiveTask",
        "testNonInterruptingEventInCombinationWithReceiveTaskInsideSubProcess",
    ],
)
def test_non_interrupting_event_in_combination_with_receive_task(camunda: Camunda, test: str) -> None:
    """MessageNonInterruptingBoundaryEventTest.testNonInterruptingEventInCombinationWithReceiveTask(InsideSubProcess)"""
    camunda.deploy(f"{N}.{test}.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.correlate("firstMessage", instance)
    assert _elements(camunda, instance) == ["task1"]
    instance = camunda.correlate("secondMessage", instance)
    _finish(camunda, instance)


@pytest.mark.parametrize(
    "test",
    [
        "testNonInterruptingEventInCombinationWithUserTask",
        "testNonInterruptingEventInCombinationWithUserTaskInsideSubProcess",
    ],
)
def test_non_interrupting_event_in_combination_with_user_task(camunda: Camunda, test: str) -> None:
    """MessageNonInterruptingBoundaryEventTest.testNonInterruptingEventInCombinationWithUserTask(InsideSubProcess)"""
    camunda.deploy(f"{N}.{test}.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.correlate("firstMessage", instance)
    assert _elements(camunda, instance) == ["innerTask", "task1"]
    instance = camunda.complete(instance, "innerTask")
    _finish(camunda, instance)

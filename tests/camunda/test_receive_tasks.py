"""Receive tasks and message correlation as Camunda runs them (``ReceiveTaskTest``).

Camunda's ``correlateMessage`` must match exactly one waiting execution; several answer
``MismatchingMessageCorrelationException`` and nothing is delivered. Here that is a 409 problem, and
``all: true`` is ``correlateAll``. ``messageEventReceived(name, executionId)`` addresses one
execution; our API has no executions, so the ports deliver by name and business key (one wait), or
with ``all: true`` where the test triggers every execution of the instance.
"""

from __future__ import annotations

from typing import Any

from tests.camunda.conftest import Camunda

R = "ReceiveTaskTest"


def _waits(camunda: Camunda, instance: dict[str, Any]) -> list[tuple[str, str]]:
    services = camunda.api.app.extensions["inburgering"]
    record = services.workflow.get(instance["id"])
    if record.status != "active":
        return []
    waits = services.workflow.runtime.describe(record.state).message_waits
    return sorted((w.message_name, w.element_id) for w in waits)


def _send(camunda: Camunda, message: str, **body: Any) -> Any:
    return camunda.api.post("/messages", "sys", json={"messageName": message, **body})


def test_receive_task_without_message_reference(camunda: Camunda) -> None:
    """ReceiveTaskTest.testReceiveTaskWithoutMessageReference (the trigger is the task's id)"""
    camunda.deploy(f"{R}.simpleReceiveTask.bpmn20.xml")
    instance = camunda.start("testProcess")
    assert camunda.correlate("waitState", instance)["status"] == "completed"


def test_supports_correlate_message_on_single_receive_task(camunda: Camunda) -> None:
    """ReceiveTaskTest.testSupportsCorrelateMessageOnSingleReceiveTask"""
    camunda.deploy(f"{R}.singleReceiveTask.bpmn20.xml")
    instance = camunda.start("testProcess")
    assert _waits(camunda, instance) == [("newInvoiceMessage", "waitState")]
    assert camunda.correlate("newInvoiceMessage", instance)["status"] == "completed"
    assert _waits(camunda, instance) == []


def test_supports_correlate_message_by_business_key_on_single_receive_task(camunda: Camunda) -> None:
    """ReceiveTaskTest.testSupportsCorrelateMessageByBusinessKeyOnSingleReceiveTask"""
    camunda.deploy(f"{R}.singleReceiveTask.bpmn20.xml")
    first = camunda.start("testProcess", business_key="23")
    second = camunda.start("testProcess", business_key="42")
    assert _send(camunda, "newInvoiceMessage", businessKey="23").status_code == 200
    assert camunda.status(first) == "completed"
    assert camunda.status(second) == "active"
    assert _send(camunda, "newInvoiceMessage", businessKey="42").status_code == 200
    assert camunda.status(second) == "completed"


def test_supports_correlate_message_on_sequential_multi_receive_task(camunda: Camunda) -> None:
    """ReceiveTaskTest.testSupportsCorrelateMessageOnSequentialMultiReceiveTask"""
    camunda.deploy(f"{R}.multiSequentialReceiveTask.bpmn20.xml")
    instance = camunda.start("testProcess")
    assert _waits(camunda, instance) == [("newInvoiceMessage", "waitState")]
    camunda.correlate("newInvoiceMessage", instance)
    assert _waits(camunda, instance) == [("newInvoiceMessage", "waitState")]
    camunda.correlate("newInvoiceMessage", instance)
    assert _waits(camunda, instance) == []
    assert camunda.complete(instance, "interaction")["status"] == "completed"


def test_not_supports_correlate_message_on_parallel_multi_receive_task(camunda: Camunda) -> None:
    """ReceiveTaskTest.testNotSupportsCorrelateMessageOnParallelMultiReceiveTask"""
    camunda.deploy(f"{R}.multiParallelReceiveTask.bpmn20.xml")
    instance = camunda.start("testProcess")
    assert len(_waits(camunda, instance)) == 2
    response = camunda.correlate_response("newInvoiceMessage", instance)
    assert response.status_code == 409
    assert "matches 2 waits" in response.get_json()["detail"]
    assert len(_waits(camunda, instance)) == 2  # nothing was delivered


def test_supports_message_event_received_on_parallel_multi_receive_task(camunda: Camunda) -> None:
    """ReceiveTaskTest.testSupportsMessageEventReceivedOnParallelMultiReceiveTask (correlateAll)"""
    camunda.deploy(f"{R}.multiParallelReceiveTask.bpmn20.xml")
    instance = camunda.start("testProcess")
    response = _send(camunda, "newInvoiceMessage", businessKey=instance["businessKey"], all=True)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["processInstanceIds"] == [instance["id"]]
    assert _waits(camunda, instance) == []
    assert camunda.status(instance) == "completed"


def test_supports_message_event_received_on_parallel_multi_instance_with_boundary(camunda: Camunda) -> None:
    """ReceiveTaskTest.testSupportsMessageEventReceivedOnParallelMultiInstanceWithBoundary"""
    camunda.deploy(f"{R}.multiParallelReceiveTaskBoundary.bpmn20.xml")
    instance = camunda.start("testProcess")
    assert len(_waits(camunda, instance)) == 3
    assert [w for w in _waits(camunda, instance) if w[1] == "waitState"] == [
        ("newInvoiceMessage", "waitState"),
        ("newInvoiceMessage", "waitState"),
    ]
    assert (
        _send(camunda, "newInvoiceMessage", businessKey=instance["businessKey"], all=True).status_code == 200
    )
    assert _waits(camunda, instance) == []
    assert camunda.status(instance) == "completed"


def test_supports_message_event_received_on_parallel_multi_instance_with_boundary_event_received(
    camunda: Camunda,
) -> None:
    """ReceiveTaskTest.testSupportsMessageEventReceivedOnParallelMultiInstanceWithBoundaryEventReceived"""
    camunda.deploy(f"{R}.multiParallelReceiveTaskBoundary.bpmn20.xml")
    instance = camunda.start("testProcess")
    camunda.correlate("cancelInvoiceMessage", instance)
    assert _waits(camunda, instance) == []
    assert camunda.status(instance) == "completed"


def test_supports_message_event_received_on_sub_process_receive_task(camunda: Camunda) -> None:
    """ReceiveTaskTest.testSupportsMessageEventReceivedOnSubProcessReceiveTask"""
    camunda.deploy(f"{R}.subProcessReceiveTask.bpmn20.xml")
    instance = camunda.start("testProcess")
    assert len(_waits(camunda, instance)) == 1
    assert camunda.correlate("newInvoiceMessage", instance)["status"] == "completed"


def test_supports_message_event_received_on_multi_sub_process_receive_task(camunda: Camunda) -> None:
    """ReceiveTaskTest.testSupportsMessageEventReceivedOnMultiSubProcessReceiveTask (correlateAll)"""
    camunda.deploy(f"{R}.multiSubProcessReceiveTask.bpmn20.xml")
    instance = camunda.start("testProcess")
    assert len(_waits(camunda, instance)) == 2
    assert camunda.correlate_response("newInvoiceMessage", instance).status_code == 409
    assert (
        _send(camunda, "newInvoiceMessage", businessKey=instance["businessKey"], all=True).status_code == 200
    )
    assert camunda.status(instance) == "completed"


def test_supports_correlate_message_on_receive_task_behind_parallel_gateway(camunda: Camunda) -> None:
    """ReceiveTaskTest.testSupportsCorrelateMessageOnReceiveTaskBehindParallelGateway"""
    camunda.deploy(f"{R}.parallelGatewayReceiveTask.bpmn20.xml")
    instance = camunda.start("testProcess")
    waits = _waits(camunda, instance)
    assert len(waits) == 2
    camunda.correlate(waits[0][0], instance)
    camunda.correlate(waits[1][0], instance)
    assert _waits(camunda, instance) == []
    assert camunda.status(instance) == "completed"


def test_correlation_by_instance_id_and_correlate_all(camunda: Camunda) -> None:
    """ReceiveTaskTest.testSupportsCorrelateMessageByBusinessKeyOnSingleReceiveTask: without a
    business key Camunda's correlateMessage matches both instances and fails; correlateAll reaches both."""
    camunda.deploy(f"{R}.singleReceiveTask.bpmn20.xml")
    first = camunda.start("testProcess", business_key="23")
    second = camunda.start("testProcess", business_key="42")
    refused = _send(camunda, "newInvoiceMessage", processInstanceId=first["id"], all=False)
    assert refused.status_code == 200  # one instance named: one wait
    third = camunda.start("testProcess", business_key="23")
    body = _send(camunda, "newInvoiceMessage", businessKey="42", all=True).get_json()
    assert body["processInstanceIds"] == [second["id"]]
    assert camunda.status(third) == "active"
    missing = _send(camunda, "newInvoiceMessage")
    assert missing.status_code == 422
    assert missing.get_json()["errors"][0]["field"] == "businessKey"


def test_supports_message_event_received_on_single_receive_task(camunda: Camunda) -> None:
    """ReceiveTaskTest.testSupportsMessageEventReceivedOnSingleReceiveTask"""
    camunda.deploy(f"{R}.singleReceiveTask.bpmn20.xml")
    instance = camunda.start("testProcess")
    ((name, _),) = _waits(camunda, instance)
    instance = camunda.correlate(name, instance)
    assert _waits(camunda, instance) == []
    assert instance["status"] == "completed"


def test_supports_message_event_received_on_sequential_multi_receive_task(camunda: Camunda) -> None:
    """ReceiveTaskTest.testSupportsMessageEventReceivedOnSequentialMultiReceiveTask"""
    camunda.deploy(f"{R}.multiSequentialReceiveTask.bpmn20.xml")
    instance = camunda.start("testProcess")
    ((name, _),) = _waits(camunda, instance)
    instance = camunda.correlate(name, instance)
    ((name, _),) = _waits(camunda, instance)  # a new subscription for the second instance
    instance = camunda.correlate(name, instance)
    assert _waits(camunda, instance) == []
    (task,) = camunda.tasks(instance)
    assert camunda.complete(instance, task["elementId"])["status"] == "completed"


def test_supports_message_event_received_on_receive_task_behind_parallel_gateway(camunda: Camunda) -> None:
    """ReceiveTaskTest.testSupportsMessageEventReceivedOnReceiveTaskBehindParallelGateway"""
    camunda.deploy(f"{R}.parallelGatewayReceiveTask.bpmn20.xml")
    instance = camunda.start("testProcess")
    subscriptions = _waits(camunda, instance)
    assert len(subscriptions) == 2
    for name, _ in subscriptions:
        instance = camunda.correlate(name, instance)
    assert _waits(camunda, instance) == []
    assert instance["status"] == "completed"

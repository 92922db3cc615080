"""Message boundary events (interrupting and not) as Camunda runs them.

Ported from ``MessageBoundaryEventTest`` and ``MessageNonInterruptingBoundaryEventTest``
(``engine/src/test/java/org/camunda/bpm/engine/test/bpmn/event/message/``), resources unchanged.
Camunda's message event subscriptions are our message waits; ``correlateMessage`` and
``messageEventReceived`` are ``POST /messages``. A message no execution waits for any more answers
404, where Camunda's ``messageEventReceived`` fails with "does not have a subscription".
"""

from __future__ import annotations

from typing import Any

from tests.camunda.conftest import Camunda

B = "MessageBoundaryEventTest"
N = "MessageNonInterruptingBoundaryEventTest"


def _waits(camunda: Camunda, instance: dict[str, Any]) -> list[str]:
    services = camunda.api.app.extensions["inburgering"]
    record = services.workflow.get(instance["id"])
    if record.status != "active":
        return []
    return sorted(w.message_name for w in services.workflow.runtime.describe(record.state).message_waits)


def _keys(camunda: Camunda, instance: dict[str, Any]) -> list[str]:
    return sorted(t["elementId"] for t in camunda.tasks(instance))


def _complete_task(camunda: Camunda, task: dict[str, Any]) -> None:
    response = camunda.api.post(f"/tasks/{task['id']}/complete", "bh", json={"variables": {}})
    assert response.status_code == 200, response.get_json()


def test_double_boundary_message_event_multi_instance(camunda: Camunda) -> None:
    """MessageBoundaryEventTest.testDoubleBoundaryMessageEventMultiInstance"""
    camunda.deploy(f"{B}.testDoubleBoundaryMessageEventMultiInstance.bpmn20.xml")
    # 1. the first message cancels every instance of the task and both subscriptions
    instance = camunda.start("process")
    assert len(camunda.tasks(instance)) == 5
    assert _waits(camunda, instance) == ["messageName_1", "messageName_2"]
    instance = camunda.correlate("messageName_1", instance)
    assert camunda.correlate_response("messageName_2", instance).status_code == 404
    assert _keys(camunda, instance) == ["taskAfterMessage_1"]
    assert camunda.complete(instance, "taskAfterMessage_1")["status"] == "completed"

    # 2. completing the tasks ends the subscriptions only with the last one
    instance = camunda.start("process")
    tasks = camunda.tasks(instance)
    assert len(tasks) == 5
    assert _waits(camunda, instance) == ["messageName_1", "messageName_2"]
    for task in tasks[:-1]:
        _complete_task(camunda, task)
        assert _waits(camunda, instance) == ["messageName_1", "messageName_2"]
    _complete_task(camunda, tasks[-1])
    assert _waits(camunda, instance) == []
    assert _keys(camunda, instance) == ["taskAfterTask"]
    assert camunda.complete(instance, "taskAfterTask")["status"] == "completed"


def test_boundary_message_event_on_subprocess_and_inside_subprocess(camunda: Camunda) -> None:
    """MessageBoundaryEventTest.testBoundaryMessageEventOnSubprocessAndInsideSubprocess"""
    camunda.deploy(f"{B}.testBoundaryMessageEventOnSubprocessAndInsideSubprocess.bpmn20.xml")
    # first case: the inner user task completes
    instance = camunda.start("process")
    assert len(camunda.tasks(instance)) == 1
    assert _waits(camunda, instance) == ["messageName", "messageName2"]
    instance = camunda.complete(instance, camunda.tasks(instance)[0]["elementId"])
    assert _keys(camunda, instance) == ["taskAfterTask"]
    assert _waits(camunda, instance) == ["messageName2"]
    instance = camunda.complete(instance, "taskAfterTask")
    assert _waits(camunda, instance) == []
    assert _keys(camunda, instance) == ["taskAfterSubprocess"]
    assert camunda.complete(instance, "taskAfterSubprocess")["status"] == "completed"

    # second case: the inner message event
    instance = camunda.start("process")
    instance = camunda.correlate("messageName", instance)
    assert _keys(camunda, instance) == ["taskAfterMessage"]
    assert _waits(camunda, instance) == ["messageName2"]
    instance = camunda.complete(instance, "taskAfterMessage")
    assert _waits(camunda, instance) == []
    assert _keys(camunda, instance) == ["taskAfterSubprocess"]
    assert camunda.complete(instance, "taskAfterSubprocess")["status"] == "completed"

    # third case: the outer message event
    instance = camunda.start("process")
    instance = camunda.correlate("messageName2", instance)
    assert _keys(camunda, instance) == ["taskAfterOuterMessageBoundary"]
    assert _waits(camunda, instance) == []
    assert camunda.complete(instance, "taskAfterOuterMessageBoundary")["status"] == "completed"


def test_boundary_message_event_on_subprocess_and_inside_subprocess_multi_instance(camunda: Camunda) -> None:
    """MessageBoundaryEventTest.testBoundaryMessageEventOnSubprocessAndInsideSubprocessMultiInstance"""
    camunda.deploy(f"{B}.testBoundaryMessageEventOnSubprocessAndInsideSubprocessMultiInstance.bpmn20.xml")
    instance = camunda.start("process")
    assert len(camunda.tasks(instance)) == 5
    assert _waits(camunda, instance) == ["messageName"] * 5 + ["messageName2"]
    instance = camunda.correlate("messageName2", instance)
    assert _waits(camunda, instance) == []
    assert _keys(camunda, instance) == ["taskAfterOuterMessageBoundary"]
    assert camunda.complete(instance, "taskAfterOuterMessageBoundary")["status"] == "completed"


def test_non_interrupting_event_in_combination_with_receive_task_in_concurrent_subprocess(
    camunda: Camunda,
) -> None:
    """MessageNonInterruptingBoundaryEventTest.testNonInterruptingEventInCombinationWithReceiveTaskInConcurrentSubprocess"""
    camunda.deploy(
        f"{N}.testNonInterruptingEventInCombinationWithReceiveTaskInConcurrentSubprocess.bpmn20.xml"
    )
    instance = camunda.start("process")
    instance = camunda.correlate("firstMessage", instance)
    assert len(camunda.tasks(instance)) == 2
    assert "task1" in _keys(camunda, instance)
    instance = camunda.correlate("secondMessage", instance)
    assert len(camunda.tasks(instance)) == 3
    assert _waits(camunda, instance) == []
    instance = camunda.complete(instance, "afterFork")
    instance = camunda.complete(instance, "task2")
    assert camunda.complete(instance, "task1")["status"] == "completed"


def test_non_interrupting_with_user_task_and_boundary_event(camunda: Camunda) -> None:
    """MessageNonInterruptingBoundaryEventTest.testNonInterruptingWithUserTaskAndBoundaryEvent"""
    camunda.deploy(f"{N}.testNonInterruptingWithUserTaskAndBoundaryEvent.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.correlate("firstMessage", instance)
    assert _keys(camunda, instance) == ["innerTask", "task1"]
    instance = camunda.complete(instance, "innerTask")
    assert _keys(camunda, instance) == ["task1", "task2"]
    assert _waits(camunda, instance) == []
    instance = camunda.complete(instance, "task1")
    assert camunda.complete(instance, "task2")["status"] == "completed"


def test_nested_events(camunda: Camunda) -> None:
    """MessageNonInterruptingBoundaryEventTest.testNestedEvents"""
    camunda.deploy(f"{N}.testNestedEvents.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.correlate("firstMessage", instance)
    assert _keys(camunda, instance) == ["innerTask"]
    instance = camunda.correlate("secondMessage", instance)
    assert _keys(camunda, instance) == ["innerTask", "task1"]
    instance = camunda.correlate("thirdMessage", instance)
    assert _keys(camunda, instance) == ["task1", "task2"]
    assert _waits(camunda, instance) == []
    instance = camunda.complete(instance, "task1")
    assert camunda.complete(instance, "task2")["status"] == "completed"


def test_nested_events_another_execution_order(camunda: Camunda) -> None:
    """MessageNonInterruptingBoundaryEventTest.testNestedEventsAnotherExecutionOrder"""
    camunda.deploy(f"{N}.testNestedEvents.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.correlate("secondMessage", instance)
    assert _keys(camunda, instance) == ["task1"]
    instance = camunda.correlate("firstMessage", instance)
    assert _keys(camunda, instance) == ["innerTask", "task1"]
    instance = camunda.correlate("thirdMessage", instance)
    assert _keys(camunda, instance) == ["task1", "task2"]
    assert _waits(camunda, instance) == []
    instance = camunda.complete(instance, "task1")
    assert camunda.complete(instance, "task2")["status"] == "completed"


def test_boundary_message_event_on_subprocess_with_intermediate_message_catch(camunda: Camunda) -> None:
    """MessageBoundaryEventTest.testBoundaryMessageEventOnSubprocessWithIntermediateMessageCatch"""
    camunda.deploy(f"{B}.testBoundaryMessageEventOnSubprocessWithIntermediateMessageCatch.bpmn")
    instance = camunda.start("testProcess")
    instance = camunda.correlate("cancelMessage", instance)
    assert instance["status"] == "completed"
    assert instance["endedAt"] is not None
    assert _waits(camunda, instance) == []

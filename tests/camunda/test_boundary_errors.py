"""Boundary error events as Camunda runs them: more of ``BoundaryErrorEventTest`` (resources unchanged)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.camunda.conftest import Camunda

B = "BoundaryErrorEventTest"


def _complete(camunda: Camunda, task: dict[str, Any], variables: dict[str, Any] | None = None) -> None:
    response = camunda.api.post(f"/tasks/{task['id']}/complete", "bh", json={"variables": variables or {}})
    assert response.status_code == 200, response.get_json()


def test_catch_error_in_concurrent_embedded_subprocesses(camunda: Camunda) -> None:
    """BoundaryErrorEventTest.testCatchErrorInConcurrentEmbeddedSubprocesses"""
    camunda.deploy(f"{B}.testCatchErrorInConcurrentEmbeddedSubprocesses.bpmn20.xml")
    key = "boundaryEventTestConcurrentSubprocesses"
    instance = camunda.start(key)
    assert camunda.task_names(instance) == ["task A", "task B"]
    instance = camunda.complete(instance, "task A")
    assert camunda.task_names(instance) == ["task D"]
    assert camunda.complete(instance, "task D")["status"] == "completed"
    instance = camunda.start(key)
    instance = camunda.complete(instance, "task B")
    assert camunda.task_names(instance) == ["task A", "task C"]
    instance = camunda.complete(instance, "task C")
    assert camunda.task_names(instance) == ["task A"]
    instance = camunda.complete(instance, "task A")
    assert camunda.task_names(instance) == ["task D"]


def test_catch_error_on_parallel_multi_instance(camunda: Camunda) -> None:
    """BoundaryErrorEventTest.testCatchErrorOnParallelMultiInstance"""
    camunda.deploy(f"{B}.testCatchErrorOnParallelMultiInstance.bpmn20.xml")
    instance = camunda.start("catchErrorOnParallelMi")
    tasks = camunda.tasks(instance)
    assert len(tasks) == 5
    _complete(camunda, tasks[2], {"throwError": False})
    _complete(camunda, tasks[3], {"throwError": False})
    _complete(camunda, tasks[1], {"throwError": True})
    assert camunda.tasks(instance) == []
    assert camunda.status(instance) == "completed"


def test_catch_error_on_sequential_multi_instance(camunda: Camunda) -> None:
    """BoundaryErrorEventTest.testCatchErrorOnSequentialMultiInstance"""
    camunda.deploy(f"{B}.testCatchErrorOnSequentialMultiInstance.bpmn20.xml")
    instance = camunda.start("catchErrorOnSequentialMi")
    (task,) = camunda.tasks(instance)
    _complete(camunda, task, {"throwError": False})
    (task,) = camunda.tasks(instance)
    _complete(camunda, task, {"throwError": True})
    assert camunda.status(instance) == "completed"


@pytest.mark.parametrize(
    ("test", "messages"),
    [
        ("testCatchErrorOnSubprocessThrownByNonInterruptingEventSubprocess", ["message"]),
        ("testCatchErrorOnSubprocessThrownByInterruptingEventSubprocess", ["message"]),
        ("testCatchErrorOnSubprocessThrownByNestedEventSubprocess", ["outerMessage", "innerMessage"]),
    ],
)
def test_catch_error_on_subprocess_thrown_by_event_subprocess(
    camunda: Camunda, test: str, messages: list[str]
) -> None:
    """BoundaryErrorEventTest.testCatchErrorOnSubprocessThrownBy(NonInterrupting|Interrupting|Nested)EventSubprocess"""
    camunda.deploy(f"{B}.{test}.bpmn20.xml")
    instance = camunda.start("testProcess")
    for message in messages:
        instance = camunda.correlate(message, instance)
    assert "afterBoundaryTask" in [t["elementId"] for t in camunda.tasks(instance)]


def test_deeply_nested_error_thrown(camunda: Camunda) -> None:
    """BoundaryErrorEventTest.testDeeplyNestedErrorThrown"""
    camunda.deploy(f"{B}.testDeeplyNestedErrorThrown.bpmn20.xml")
    instance = camunda.start("deeplyNestedErrorThrown")
    assert camunda.task_names(instance) == ["Nested task"]
    assert camunda.complete(instance, "Nested task", {"input": 1})["status"] == "completed"
    instance = camunda.start("deeplyNestedErrorThrown")
    instance = camunda.complete(instance, "Nested task", {"input": 2})
    assert camunda.task_names(instance) == ["task after catch"]
    assert camunda.complete(instance, "task after catch")["status"] == "completed"


def test_deeply_nested_error_thrown_only_automatic_steps(camunda: Camunda) -> None:
    """BoundaryErrorEventTest.testDeeplyNestedErrorThrownOnlyAutomaticSteps (the history's end activity
    is not in our audit trail: the test checks the instance ended)"""
    camunda.deploy(f"{B}.testDeeplyNestedErrorThrownOnlyAutomaticSteps.bpmn20.xml")
    for _ in range(2):
        assert camunda.start("deeplyNestedErrorThrown", {"input": 1})["status"] == "completed"


def test_catch_error_thrown_by_multi_instance_sub_process_sets_error_variables(camunda: Camunda) -> None:
    """BoundaryErrorEventTest.testCatchErrorThrownByMultiInstanceSubProcessSetsErrorVariables"""
    camunda.deploy(f"{B}.testCatchErrorThrownByMultiInstanceSubProcessSetsErrorCodeVariable.bpmn")
    instance = camunda.start("Process_1")
    assert camunda.variables(instance)["errorVariable"] == "error"

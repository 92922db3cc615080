"""Errors nothing catches, errors that destroy a scope, error loops through call activities.

Ported from ``BoundaryErrorEventTest``, ``ErrorEventSubProcessTest`` and ``UnhandledBpmnErrorTest``
(resources unchanged). Camunda's default engine ends an execution whose error nothing catches as a
none end event would (``BoundaryErrorEventTest.testUncaughtError`` accepts either outcome);
``UnhandledBpmnErrorTest`` runs with ``enableExceptionsAfterUnhandledBpmnError``, which we do not
offer: we assert the default behaviour for those diagrams.
"""

from __future__ import annotations

import pytest

from tests.camunda.conftest import Camunda

B = "BoundaryErrorEventTest"
U = "UnhandledBpmnErrorTest"


def test_uncaught_error(camunda: Camunda) -> None:
    """BoundaryErrorEventTest.testUncaughtError"""
    camunda.deploy(f"{B}.subprocess.bpmn20.xml")
    instance = camunda.start("simpleSubProcess")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    # completing the task reaches the error end event, which nothing in the process catches
    instance = camunda.complete(instance, "Task in subprocess")
    assert instance["status"] == "completed"


def test_uncaught_error_on_call_activity(camunda: Camunda) -> None:
    """BoundaryErrorEventTest.testUncaughtErrorOnCallActivity"""
    camunda.deploy(f"{B}.subprocess.bpmn20.xml", f"{B}.testUncaughtErrorOnCallActivity-parent.bpmn20.xml")
    instance = camunda.start("uncaughtErrorOnCallActivity")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    instance = camunda.complete(instance, "Task in subprocess")
    assert instance["status"] == "completed"


def test_concurrent_executions_interrupted_on_destroy_scope(camunda: Camunda) -> None:
    """BoundaryErrorEventTest.testConcurrentExecutionsInterruptedOnDestroyScope"""
    camunda.deploy(f"{B}.testConcurrentExecutionsInterruptedOnDestroyScope.bpmn20.xml")
    instance = camunda.start("process")
    # the error destroys the sub-process: its concurrent user task never opens
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["taskAfterErrorCatch"]


def test_should_not_throw_error_in_loop_with_call_activity(camunda: Camunda) -> None:
    """ErrorEventSubProcessTest.testShouldNotThrowErrorInLoopWithCallActivity"""
    camunda.deploy(
        "ThrowErrorToCallActivity.bpmn20.xml",
        "ErrorEventSubProcessTest.testThrowErrorInLoopWithCallActivity.bpmn20.xml",
    )
    instance = camunda.start("CallActivityErrorInLoop")
    assert camunda.task_names(instance) == ["ErrorLog"]
    instance = camunda.complete(instance, "ErrorLog")
    assert camunda.task_names(instance) == ["ErrorHandlingUserTask"]


def test_thrown_an_error_in_event_subprocess_in_subprocess_different_transaction(camunda: Camunda) -> None:
    """ErrorEventSubProcessTest.testThrownAnErrorInEventSubprocessInSubprocessDifferentTransaction"""
    resource = "ErrorEventSubProcessTest.testThrownAnErrorInEventSubprocessInSubprocessDifferentTransaction.bpmn20.xml"
    camunda.deploy(resource)
    instance = camunda.start("eventSubProcess")
    assert camunda.task_names(instance) == ["inside subprocess"]
    (timer,) = camunda.timers(instance)
    instance = camunda.fire(timer)
    instance = camunda.complete(instance, "inside event sub")
    assert camunda.task_names(instance) == ["after catch"]
    assert camunda.timers(instance) == []


@pytest.mark.parametrize(
    ("test", "resources", "key", "task"),
    [
        ("testUncaughtErrorSimpleProcess", [], "process", None),
        ("testUnhandledErrorInEmbeddedSubprocess", [], "boundaryErrorOnEmbeddedSubprocess", "subprocessTask"),
        (
            "testUncaughtErrorOnCallActivity",
            [f"{U}.subprocess.bpmn20.xml"],
            "uncaughtErrorOnCallActivity",
            "Task in subprocess",
        ),
        ("testUncaughtErrorOnEventSubprocess", [], "process", "subprocessTask"),
    ],
)
def test_unhandled_bpmn_error(
    camunda: Camunda, test: str, resources: list[str], key: str, task: str | None
) -> None:
    """UnhandledBpmnErrorTest.testUncaughtErrorSimpleProcess, .testUnhandledErrorInEmbeddedSubprocess,
    .testUncaughtErrorOnCallActivity, .testUncaughtErrorOnEventSubprocess (Camunda's default: the
    uncaught error ends its execution as a none end event)"""
    camunda.deploy(*resources, f"{U}.{test}.bpmn20.xml")
    instance = camunda.start(key)
    if task is not None:
        assert camunda.task_names(instance) == [task]
        instance = camunda.complete(instance, task)
    assert instance["status"] == "completed"
    assert camunda.tasks(instance) == []

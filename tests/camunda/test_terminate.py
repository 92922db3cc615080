"""Terminate end events as Camunda 7 runs them: the scope they are in ends, and nothing else.

Ports of ``TerminateEndEventTest`` (``engine/src/test/java/org/camunda/bpm/engine/test/bpmn/event/end/``).
Camunda counts executions; here the same facts are the open tasks, the active elements and the
instance's status. A terminate end event in a process ends the instance; in an embedded
sub-process it ends that sub-process (and the process goes on after it); in a called process it
ends the called process.
"""

from __future__ import annotations

import re
from typing import Any

from tests.camunda.conftest import RESOURCES, Camunda


def _ids(instance: dict[str, Any]) -> list[str]:
    return sorted(t["elementId"] for t in instance["openTasks"])


def test_process_terminate(camunda: Camunda) -> None:
    """TerminateEndEventTest.testProcessTerminate"""
    camunda.deploy("TerminateEndEventTest.testProcessTerminate.bpmn")
    instance = camunda.start("terminateEndEventExample")
    assert len(instance["openTasks"]) == 2  # Camunda: 3 executions (the instance and two concurrent)
    instance = camunda.complete(instance, "preTerminateTask")
    assert instance["status"] == "completed"
    assert instance["openTasks"] == []


def test_terminate_with_sub_process(camunda: Camunda) -> None:
    """TerminateEndEventTest.testTerminateWithSubProcess"""
    camunda.deploy("TerminateEndEventTest.testTerminateWithSubProcess.bpmn")
    instance = camunda.start("terminateEndEventExample")
    assert "preTerminateEnd" in _ids(instance)
    assert len(instance["openTasks"]) >= 2
    instance = camunda.complete(instance, "preTerminateEnd")
    assert instance["status"] == "completed"
    assert instance["openTasks"] == []


def test_terminate_with_call_activity(camunda: Camunda) -> None:
    """TerminateEndEventTest.testTerminateWithCallActivity"""
    camunda.deploy(
        "TerminateEndEventTest.subProcessNoTerminate.bpmn",
        "TerminateEndEventTest.testTerminateWithCallActivity.bpmn",
    )
    instance = camunda.start("terminateEndEventExample")
    assert "preTerminateEnd" in _ids(instance)
    assert len(instance["openTasks"]) >= 2  # one in the called process
    instance = camunda.complete(instance, "preTerminateEnd")
    assert instance["status"] == "completed"
    assert instance["openTasks"] == []


def test_terminate_in_sub_process(camunda: Camunda) -> None:
    """TerminateEndEventTest.testTerminateInSubProcess (and ...ShouldNotEndProcessInstanceInHistory)"""
    camunda.deploy("TerminateEndEventTest.testTerminateInSubProcess.bpmn")
    instance = camunda.start("terminateEndEventExample")
    assert instance["status"] == "active"  # the sub-process ended, the process did not
    assert _ids(instance) == ["preNormalEnd"]
    assert instance["endedAt"] is None
    assert camunda.complete(instance, "preNormalEnd")["status"] == "completed"


def test_terminate_in_sub_process_concurrent(camunda: Camunda) -> None:
    """TerminateEndEventTest.testTerminateInSubProcessConcurrent (and ...ShouldNotEndProcessInstanceInHistory)"""
    camunda.deploy("TerminateEndEventTest.testTerminateInSubProcessConcurrent.bpmn")
    instance = camunda.start("terminateEndEventExample")
    assert instance["status"] == "active"
    assert _ids(instance) == ["preNormalEnd"]
    assert camunda.complete(instance, "preNormalEnd")["status"] == "completed"


def test_terminate_in_sub_process_multi_instance(camunda: Camunda) -> None:
    """TerminateEndEventTest.testTerminateInSubProcessMultiInstance"""
    camunda.deploy("TerminateEndEventTest.testTerminateInSubProcessMultiInstance.bpmn")
    instance = camunda.start("terminateEndEventExample")
    assert _ids(instance) == ["preNormalEnd"]
    assert camunda.complete(instance, "preNormalEnd")["status"] == "completed"


def _without_process_listener(resource: str) -> bytes:
    """The resource without its process-level Java execution listener (the only Java in it)."""
    text = (RESOURCES / resource).read_text(encoding="utf-8")
    stripped = re.sub(
        r"<extensionElements>\s*<camunda:executionListener[^>]*/>\s*</extensionElements>", "", text, 1
    )
    assert stripped != text
    return stripped.encode()


def test_terminate_in_sub_process_does_not_end_the_process(camunda: Camunda) -> None:
    """TerminateEndEventTest.testTerminateInSubProcessShouldNotInvokeProcessEndListeners"""
    camunda.deploy(
        _without_process_listener(
            "TerminateEndEventTest.testTerminateInSubProcessShouldNotInvokeProcessEndListeners.bpmn20.xml"
        )
    )
    instance = camunda.start("terminateEndEventExample")
    assert _ids(instance) == ["outerTask"]
    assert instance["status"] == "active"


def test_terminate_in_concurrent_sub_process_does_not_end_the_process(camunda: Camunda) -> None:
    """TerminateEndEventTest.testTerminateInSubProcessConcurrentShouldNotInvokeProcessEndListeners"""
    camunda.deploy(
        _without_process_listener(
            "TerminateEndEventTest.testTerminateInSubProcessConcurrentShouldNotInvokeProcessEndListeners.bpmn20.xml"
        )
    )
    instance = camunda.start("terminateEndEventExample")
    assert _ids(instance) == ["outerTask"]
    assert instance["status"] == "active"


def test_terminate_in_call_activity(camunda: Camunda) -> None:
    """TerminateEndEventTest.testTerminateInCallActivity"""
    camunda.deploy(
        "TerminateEndEventTest.subProcessTerminate.bpmn",
        "TerminateEndEventTest.testTerminateInCallActivity.bpmn",
    )
    instance = camunda.start("terminateEndEventExample")
    assert _ids(instance) == ["preNormalEnd"]
    assert camunda.complete(instance, "preNormalEnd")["status"] == "completed"


def test_terminate_in_call_activity_multi_instance(camunda: Camunda) -> None:
    """TerminateEndEventTest.testTerminateInCallActivityMulitInstance"""
    camunda.deploy(
        "TerminateEndEventTest.subProcessTerminate.bpmn",
        "TerminateEndEventTest.testTerminateInCallActivityMulitInstance.bpmn",
    )
    instance = camunda.start("terminateEndEventExample")
    assert _ids(instance) == ["preNormalEnd"]
    assert camunda.complete(instance, "preNormalEnd")["status"] == "completed"


def test_terminate_in_call_activity_concurrent(camunda: Camunda) -> None:
    """TerminateEndEventTest.testTerminateInCallActivityConcurrent"""
    camunda.deploy(
        "TerminateEndEventTest.subProcessConcurrentTerminate.bpmn",
        "TerminateEndEventTest.testTerminateInCallActivityConcurrent.bpmn",
    )
    instance = camunda.start("terminateEndEventExample")
    assert _ids(instance) == ["preNormalEnd"]
    assert camunda.complete(instance, "preNormalEnd")["status"] == "completed"


def test_terminate_in_call_activity_concurrent_multi_instance(camunda: Camunda) -> None:
    """TerminateEndEventTest.testTerminateInCallActivityConcurrentMulitInstance"""
    camunda.deploy(
        "TerminateEndEventTest.subProcessConcurrentTerminate.bpmn",
        "TerminateEndEventTest.testTerminateInCallActivityConcurrentMulitInstance.bpmn",
    )
    instance = camunda.start("terminateEndEventExample")
    assert _ids(instance) == ["preNormalEnd"]
    assert camunda.complete(instance, "preNormalEnd")["status"] == "completed"

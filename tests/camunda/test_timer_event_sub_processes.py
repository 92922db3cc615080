"""Event sub-processes with timer start events, at process level and nested (issue 11).

Ports of ``event/timer/StartTimerEventTest``'s event sub-process cases. Camunda's test delegate
``DummyServiceTask`` only records that it ran; here the same service task runs
``camunda:expression="${true}"`` into ``wasExecuted`` (the resource is otherwise Camunda's own).
"""

from __future__ import annotations

from typing import Any

from tests.camunda.conftest import RESOURCES, Camunda

T = "StartTimerEventTest"
_DUMMY = b'camunda:class="org.camunda.bpm.engine.test.bpmn.event.timer.DummyServiceTask"'
_RECORD = b'camunda:expression="${true}" camunda:resultVariable="wasExecuted"'


def _deploy(camunda: Camunda, test: str) -> None:
    camunda.deploy((RESOURCES / f"{T}.{test}.bpmn20.xml").read_bytes().replace(_DUMMY, _RECORD))


def _fire_first(camunda: Camunda, instance: dict[str, Any]) -> dict[str, Any]:
    timers = sorted(camunda.timers(instance), key=lambda t: t["dueAt"])
    return camunda.fire(timers[0])


def test_start_timer_event_in_event_sub_process(camunda: Camunda) -> None:
    """StartTimerEventTest.testStartTimerEventInEventSubProcess"""
    _deploy(camunda, "testStartTimerEventInEventSubProcess")
    instance = camunda.start("startTimerEventInEventSubProcess")
    assert len(camunda.tasks(instance)) == 1
    assert len(camunda.timers(instance)) == 1
    instance = _fire_first(camunda, instance)
    assert instance["status"] == "completed"
    assert instance["variables"]["wasExecuted"] is True
    assert camunda.tasks(instance) == [] and instance["timers"] == []


def test_non_interrupting_start_timer_event_in_event_sub_process(camunda: Camunda) -> None:
    """StartTimerEventTest.testNonInterruptingStartTimerEventInEventSubProcess"""
    _deploy(camunda, "testNonInterruptingStartTimerEventInEventSubProcess")
    instance = camunda.start("nonInterruptingStartTimerEventInEventSubProcess")
    assert len(camunda.timers(instance)) == 1
    instance = _fire_first(camunda, instance)
    assert instance["status"] == "active"
    assert instance["timers"] == []
    assert len(camunda.tasks(instance)) == 1
    assert instance["variables"]["wasExecuted"] is True
    assert camunda.complete(instance, "userTask")["status"] == "completed"


def test_start_timer_event_sub_process_in_sub_process(camunda: Camunda) -> None:
    """StartTimerEventTest.testStartTimerEventSubProcessInSubProcess"""
    _deploy(camunda, "testStartTimerEventSubProcessInSubProcess")
    instance = camunda.start("startTimerEventSubProcessInSubProcess")
    assert len(camunda.tasks(instance)) == 1
    assert len(camunda.timers(instance)) == 1
    instance = _fire_first(camunda, instance)
    assert instance["status"] == "completed"
    assert camunda.tasks(instance) == []


def test_non_interrupting_start_timer_event_sub_process_in_sub_process(camunda: Camunda) -> None:
    """StartTimerEventTest.testNonInterruptingStartTimerEventSubProcessInSubProcess"""
    _deploy(camunda, "testNonInterruptingStartTimerEventSubProcessInSubProcess")
    instance = camunda.start("nonInterruptingStartTimerEventSubProcessInSubProcess")
    assert len(camunda.timers(instance)) == 1
    instance = _fire_first(camunda, instance)
    assert instance["status"] == "active"
    assert instance["timers"] == []
    assert len(camunda.tasks(instance)) == 1
    assert camunda.complete(instance, "userTask")["status"] == "completed"


def test_start_timer_event_with_two_event_sub_processes(camunda: Camunda) -> None:
    """StartTimerEventTest.testStartTimerEventWithTwoEventSubProcesses: the first timer ends all"""
    _deploy(camunda, "testStartTimerEventWithTwoEventSubProcesses")
    instance = camunda.start("startTimerEventWithTwoEventSubProcesses")
    assert len(camunda.tasks(instance)) == 1
    assert len(camunda.timers(instance)) == 2
    instance = _fire_first(camunda, instance)
    assert instance["status"] == "completed"
    assert instance["timers"] == [] and camunda.tasks(instance) == []


def test_non_interrupting_start_timer_event_with_two_event_sub_processes(camunda: Camunda) -> None:
    """StartTimerEventTest.testNonInterruptingStartTimerEventWithTwoEventSubProcesses"""
    _deploy(camunda, "testNonInterruptingStartTimerEventWithTwoEventSubProcesses")
    instance = camunda.start("nonInterruptingStartTimerEventWithTwoEventSubProcesses")
    assert len(camunda.timers(instance)) == 2
    instance = _fire_first(camunda, instance)
    assert len(instance["timers"]) == 1
    assert len(camunda.tasks(instance)) == 1
    instance = _fire_first(camunda, instance)
    assert instance["timers"] == []
    assert len(camunda.tasks(instance)) == 1
    assert instance["status"] == "active"


def test_start_timer_event_sub_process_with_user_task(camunda: Camunda) -> None:
    """StartTimerEventTest.testStartTimerEventSubProcessWithUserTask"""
    _deploy(camunda, "testStartTimerEventSubProcessWithUserTask")
    instance = camunda.start("startTimerEventSubProcessWithUserTask")
    assert len(camunda.tasks(instance)) == 1
    assert len(camunda.timers(instance)) == 2
    instance = _fire_first(camunda, instance)
    assert instance["timers"] == []
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["subprocessUserTask"]
    assert instance["status"] == "active"

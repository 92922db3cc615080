"""Timers as Camunda's job executor fires them (issue 11, item 11)."""

from __future__ import annotations

from tests.camunda.conftest import Camunda


def _count(camunda: Camunda, instance: dict, element: str) -> int:
    return sum(1 for t in camunda.tasks(instance) if t["elementId"] == element)


def test_timer_with_cycle(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.testTimerWithCycle"""
    camunda.deploy("BoundaryTimerNonInterruptingEventTest.testTimerWithCycle.bpmn20.xml")
    instance = camunda.start("nonInterruptingCycle")
    assert _count(camunda, instance, "timerFiredTask") == 0
    camunda.advance(hours=1)
    assert _count(camunda, instance, "timerFiredTask") == 1
    camunda.advance(hours=1)
    assert _count(camunda, instance, "timerFiredTask") == 2
    instance = camunda.complete(instance, "task")
    assert instance["status"] == "active"  # the paths the cycle started stay open
    assert _count(camunda, instance, "timerFiredTask") == 2
    assert instance["timers"] == []
    camunda.advance(hours=1)
    assert _count(camunda, instance, "timerFiredTask") == 2
    for task in camunda.tasks(instance):
        assert (
            camunda.api.post(f"/tasks/{task['id']}/complete", "bh", json={"variables": {}}).status_code == 200
        )
    assert camunda.status(instance) == "completed"


def test_time_date_due_at_start_is_fired_by_the_worker(camunda: Camunda) -> None:
    """IntermediateTimerEventTest.testCatchingTimerEvent (with a timeDate already passed)"""
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="Examples">
  <process id="pastDate" isExecutable="true">
    <startEvent id="theStart"/><sequenceFlow sourceRef="theStart" targetRef="timer"/>
    <intermediateCatchEvent id="timer"><timerEventDefinition>
      <timeDate>2020-01-01T00:00:00Z</timeDate></timerEventDefinition></intermediateCatchEvent>
    <sequenceFlow sourceRef="timer" targetRef="task"/><userTask id="task" name="After"/>
  </process>
</definitions>"""
    camunda.deploy(body)
    instance = camunda.start("pastDate")
    assert instance["openTasks"] == []
    assert [t["elementId"] for t in instance["timers"]] == ["timer"]  # pending: the start does not fire it
    camunda.run_worker()
    assert camunda.task_names(instance) == ["After"]

"""Timers as Camunda's job executor fires them (issue 11, item 11)."""

from __future__ import annotations

from tests.camunda.conftest import RESOURCES, Camunda


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


def test_intermediate_time_cycle_fires_once(camunda: Camunda) -> None:
    """IntermediateTimerEventTest.testTimeCycle (cron ``0 0/5 * * * ?``)"""
    camunda.deploy("IntermediateTimerEventTest.testTimeCycle.bpmn20.xml")
    instance = camunda.start("process")
    (timer,) = instance["timers"]
    assert timer["dueAt"] == "2027-01-04T09:05:00Z"  # the next whole five minutes
    instance = camunda.fire(timer)
    assert instance["timers"] == []
    assert [t["elementId"] for t in instance["openTasks"]] == ["task"]
    camunda.advance(minutes=30)  # a cycle on an intermediate event fires once, as in Camunda
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["task"]
    assert camunda.complete(instance, "task")["status"] == "completed"


def test_cron_cycle_that_quartz_refuses_is_refused_at_deploy(camunda: Camunda) -> None:
    """Camunda's CronExpression refuses these at deploy; so do we, naming the event."""
    template = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="Examples">
  <process id="badCron" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>
    <intermediateCatchEvent id="wait"><timerEventDefinition>
      <timeCycle>{cycle}</timeCycle></timerEventDefinition></intermediateCatchEvent>
    <sequenceFlow id="f2" sourceRef="wait" targetRef="e"/><endEvent id="e"/>
  </process>
</definitions>"""
    for cycle, reason in (
        ("0 0 9 * * MON", "one of day-of-month and day-of-week must be '?'"),
        ("0 61 * * * ?", "'61' is outside 0-59 in the minutes field"),
        ("0 0 9 15W * ?", "'W' (nearest weekday)"),
    ):
        errors = camunda.deploy_fails(template.format(cycle=cycle).encode())
        flagged = [e for e in errors if e.get("elementId") == "wait"]
        assert flagged and reason in flagged[0]["message"], errors


def test_repeating_timer_with_cancel_activity(camunda: Camunda) -> None:
    """BoundaryTimerEventTest.testRepeatingTimerWithCancelActivity: a ``0/2 * * * * ?`` cycle that
    cancels the task and re-enters it: one timer and one task after each firing"""
    camunda.deploy("BoundaryTimerEventTest.testRepeatingTimerWithCancelActivity.bpmn20.xml")
    instance = camunda.start("repeatingTimerAndCallActivity")
    assert len(camunda.timers(instance)) == 1 and len(camunda.tasks(instance)) == 1
    first = camunda.tasks(instance)[0]["id"]
    after = camunda.fire(camunda.timers(instance)[0])
    assert len(after["timers"]) == 1 and len(after["openTasks"]) == 1
    assert after["openTasks"][0]["id"] != first  # the task was cancelled and entered again
    for _ in range(3):  # and so on every time (the loop back into the task once left it open twice)
        camunda.advance(seconds=2)
        again = camunda.instance(instance)
        assert len(again["timers"]) == 1 and len(again["openTasks"]) == 1, again


def test_cycle_shorter_than_the_setting_is_refused_naming_event_and_setting(camunda: Camunda) -> None:
    """A cycle shorter than INBURGERING_TIMER_CYCLE_MIN_SECONDS (default 1 s) is refused at deploy"""
    body = (RESOURCES / "BoundaryTimerEventTest.testRepeatingTimerWithCancelActivity.bpmn20.xml").read_bytes()
    errors = camunda.deploy_fails(body.replace(b"0/2 * * * * ?", b"R/PT0.5S"))
    flagged = [e for e in errors if e.get("elementId") == "boundarytimer1"]
    assert flagged and "repeats every 0.5 s" in flagged[0]["message"], errors
    assert "INBURGERING_TIMER_CYCLE_MIN_SECONDS" in flagged[0]["message"]


def test_cron_cycle_on_a_non_interrupting_boundary_event_repeats_on_the_local_clock(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.testTimerWithCycle, with a cron cycle (09:00 Amsterdam, weekdays)"""
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="Examples">
  <process id="cronBoundary" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="task"/>
    <userTask id="task" name="Task"/>
    <boundaryEvent id="reminder" attachedToRef="task" cancelActivity="false"><timerEventDefinition>
      <timeCycle>0 0 9 ? * MON-FRI</timeCycle></timerEventDefinition></boundaryEvent>
    <sequenceFlow id="f2" sourceRef="reminder" targetRef="remind"/><userTask id="remind" name="Remind"/>
    <sequenceFlow id="f3" sourceRef="task" targetRef="e"/><endEvent id="e"/>
  </process>
</definitions>"""
    camunda.deploy(body)
    instance = camunda.start("cronBoundary")  # Monday 4 January 2027, 10:00 in Amsterdam
    assert [t["dueAt"] for t in instance["timers"]] == ["2027-01-05T08:00:00Z"]
    camunda.advance(days=1)
    assert _count(camunda, instance, "remind") == 1
    assert [t["dueAt"] for t in camunda.timers(instance)] == ["2027-01-06T08:00:00Z"]
    for _ in range(4):  # Wednesday, Thursday, Friday; not Saturday
        camunda.advance(days=1)
    assert _count(camunda, instance, "remind") == 4
    assert [t["dueAt"] for t in camunda.timers(instance)] == ["2027-01-11T08:00:00Z"]
    instance = camunda.complete(instance, "task")
    assert instance["timers"] == []
    assert _count(camunda, instance, "remind") == 4

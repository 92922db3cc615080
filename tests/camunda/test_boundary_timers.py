"""Boundary and intermediate timers as Camunda 7 runs them.

Ports of ``BoundaryTimerEventTest``, ``BoundaryTimerNonInterruptingEventTest`` and
``IntermediateTimerEventTest`` (``engine/src/test/java/org/camunda/bpm/engine/test/bpmn/event/timer/``).
Camunda's jobs are our timers: ``managementService.executeJob`` is a beheerder's "fire now"
(``POST /timers/{id}/fire``), moving ``ClockUtil`` and waiting for the job executor is
:meth:`Camunda.advance` (the clock moves, the timer worker sweeps).
"""

from __future__ import annotations

from typing import Any

from tests.camunda.conftest import Camunda


def _fire_the_timer(camunda: Camunda, instance: dict[str, Any]) -> dict[str, Any]:
    (timer,) = camunda.timers(instance)
    return camunda.fire(timer)


def _complete_all(camunda: Camunda, instance: dict[str, Any]) -> dict[str, Any]:
    for task in camunda.tasks(instance):
        if task["assignee"]:  # taskService.complete ignores the assignee; a beheerder releases it
            assert camunda.api.post(f"/tasks/{task['id']}/unclaim", "bh").status_code in (200, 204)
        response = camunda.api.post(f"/tasks/{task['id']}/complete", "bh", json={"variables": {}})
        assert response.status_code == 200, response.get_json()
    return camunda.instance(instance)


def _count(camunda: Camunda, instance: dict[str, Any], element: str) -> int:
    return sum(1 for t in camunda.tasks(instance) if t["elementId"] == element)


# -- BoundaryTimerEventTest (interrupting) ---------------------------------------------------------


def test_multiple_timers_on_user_task(camunda: Camunda) -> None:
    """BoundaryTimerEventTest.testMultipleTimersOnUserTask"""
    camunda.deploy("BoundaryTimerEventTest.testMultipleTimersOnUserTask.bpmn20.xml")
    instance = camunda.start("multipleTimersOnUserTask")
    assert len(instance["timers"]) == 3
    camunda.advance(hours=1, seconds=5)
    instance = camunda.instance(instance)
    assert instance["timers"] == []
    assert camunda.task_names(instance) == ["Third Task"]


def test_timer_on_nesting_of_subprocesses(camunda: Camunda) -> None:
    """BoundaryTimerEventTest.testTimerOnNestingOfSubprocesses"""
    camunda.deploy("BoundaryTimerEventTest.testTimerOnNestingOfSubprocesses.bpmn20.xml")
    instance = camunda.start("timerOnNestedSubprocesses")
    assert camunda.task_names(instance) == ["Inner subprocess task 1", "Inner subprocess task 2"]
    instance = _fire_the_timer(camunda, instance)
    assert camunda.task_names(instance) == ["task outside subprocess"]


def test_expression_on_timer(camunda: Camunda) -> None:
    """BoundaryTimerEventTest.testExpressionOnTimer"""
    camunda.deploy("BoundaryTimerEventTest.testExpressionOnTimer.bpmn20.xml")
    instance = camunda.start("testExpressionOnTimer", {"duration": "PT1H"})
    assert len(instance["timers"]) == 1
    camunda.advance(hours=1, seconds=5)
    instance = camunda.instance(instance)
    assert instance["timers"] == []
    assert instance["status"] == "completed"


def test_timer_in_single_transaction_process(camunda: Camunda) -> None:
    """BoundaryTimerEventTest.testTimerInSingleTransactionProcess"""
    camunda.deploy("BoundaryTimerEventTest.testTimerInSingleTransactionProcess.bpmn20.xml")
    instance = camunda.start("timerOnSubprocesses")
    assert instance["timers"] == []


def test_interrupting_timer_multiple_outgoing_sequence_flows(camunda: Camunda) -> None:
    """BoundaryTimerEventTest.testMultipleOutgoingSequenceFlows"""
    camunda.deploy("BoundaryTimerEventTest.testMultipleOutgoingSequenceFlows.bpmn20.xml")
    instance = _fire_the_timer(camunda, camunda.start("interruptingTimer"))
    assert len(instance["openTasks"]) == 2
    assert _complete_all(camunda, instance)["status"] == "completed"


def test_interrupting_timer_multiple_outgoing_sequence_flows_on_subprocess(camunda: Camunda) -> None:
    """BoundaryTimerEventTest.testMultipleOutgoingSequenceFlowsOnSubprocess"""
    camunda.deploy("BoundaryTimerEventTest.testMultipleOutgoingSequenceFlowsOnSubprocess.bpmn20.xml")
    instance = _fire_the_timer(camunda, camunda.start("interruptingTimer"))
    assert len(instance["openTasks"]) == 2
    assert _complete_all(camunda, instance)["status"] == "completed"


def test_interrupting_timer_multiple_outgoing_sequence_flows_on_subprocess_mi(camunda: Camunda) -> None:
    """BoundaryTimerEventTest.testMultipleOutgoingSequenceFlowsOnSubprocessMi"""
    camunda.deploy("BoundaryTimerEventTest.testMultipleOutgoingSequenceFlowsOnSubprocessMi.bpmn20.xml")
    instance = _fire_the_timer(camunda, camunda.start("interruptingTimer"))
    assert len(instance["openTasks"]) == 2
    assert _complete_all(camunda, instance)["status"] == "completed"


def test_interrupting_timer_duration(camunda: Camunda) -> None:
    """BoundaryTimerEventTest.testInterruptingTimerDuration"""
    camunda.deploy("BoundaryTimerEventTest.testInterruptingTimerDuration.bpmn20.xml")
    instance = camunda.start("escalationExample")
    assert camunda.task_names(instance) == ["First line support"]
    instance = _fire_the_timer(camunda, instance)
    assert camunda.task_names(instance) == ["Handle escalated issue"]


# -- BoundaryTimerNonInterruptingEventTest ----------------------------------------------------------


def test_non_interrupting_multiple_timers_on_user_task(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.testMultipleTimersOnUserTask"""
    camunda.deploy("BoundaryTimerNonInterruptingEventTest.testMultipleTimersOnUserTask.bpmn20.xml")
    instance = camunda.start("nonInterruptingTimersOnUserTask")
    assert camunda.task_names(instance) == ["First Task"]
    assert len(instance["timers"]) == 2
    camunda.advance(hours=1, seconds=5)
    assert len(camunda.timers(instance)) == 1
    assert camunda.task_names(instance) == ["Escalation Task 1", "First Task"]
    camunda.complete(instance, "Escalation Task 1")
    assert camunda.task_names(instance) == ["First Task"]
    camunda.advance(hours=1)
    assert camunda.timers(instance) == []
    assert camunda.task_names(instance) == ["Escalation Task 2", "First Task"]
    camunda.complete(instance, "First Task")
    assert camunda.task_names(instance) == ["Escalation Task 2"]
    assert camunda.complete(instance, "Escalation Task 2")["status"] == "completed"


def test_non_interrupting_timer_on_mi_user_task(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.testTimerOnMiUserTask"""
    camunda.deploy("BoundaryTimerNonInterruptingEventTest.testTimerOnMiUserTask.bpmn20.xml")
    instance = camunda.start("nonInterruptingTimersOnUserTask")
    assert camunda.task_names(instance) == ["First Task"] * 5
    instance = _fire_the_timer(camunda, instance)
    assert camunda.task_names(instance) == ["Escalation Task 1"] + ["First Task"] * 5
    camunda.complete(instance, "Escalation Task 1")
    assert _complete_all(camunda, instance)["status"] == "completed"


def test_non_interrupting_join(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.testJoin"""
    camunda.deploy("BoundaryTimerNonInterruptingEventTest.testJoin.bpmn20.xml")
    instance = camunda.start("testJoin")
    assert camunda.task_names(instance) == ["Main Task"]
    instance = _fire_the_timer(camunda, instance)
    assert len(instance["openTasks"]) == 2
    instance = camunda.complete(instance, "Main Task")
    assert camunda.task_names(instance) == ["Escalation Task"]
    assert camunda.complete(instance, "Escalation Task")["status"] == "completed"


def test_non_interrupting_timer_on_concurrent_mi_tasks(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.testTimerOnConcurrentMiTasks"""
    camunda.deploy("BoundaryTimerNonInterruptingEventTest.testTimerOnConcurrentMiTasks.bpmn20.xml")
    instance = camunda.start("timerOnConcurrentMiTasks")
    assert camunda.task_names(instance) == ["First Task"] * 5 + ["Second Task"]
    instance = _fire_the_timer(camunda, instance)
    assert camunda.task_names(instance) == ["Escalation Task 1"] + ["First Task"] * 5 + ["Second Task"]
    camunda.complete(instance, "Escalation Task 1")
    assert _complete_all(camunda, instance)["status"] == "completed"


def test_non_interrupting_timer_on_concurrent_tasks(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.testTimerOnConcurrentTasks"""
    camunda.deploy("BoundaryTimerNonInterruptingEventTest.testTimerOnConcurrentTasks.bpmn20.xml")
    instance = camunda.start("nonInterruptingOnConcurrentTasks")
    assert len(instance["openTasks"]) == 2
    instance = _fire_the_timer(camunda, instance)
    assert len(instance["openTasks"]) == 3
    instance = camunda.complete(instance, "timerFiredTask")
    assert len(instance["openTasks"]) == 2
    assert _complete_all(camunda, instance)["status"] == "completed"


def test_non_interrupting_timer_on_concurrent_tasks_2(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.testTimerOnConcurrentTasks2"""
    camunda.deploy("BoundaryTimerNonInterruptingEventTest.testTimerOnConcurrentTasks.bpmn20.xml")
    instance = camunda.start("nonInterruptingOnConcurrentTasks")
    instance = _fire_the_timer(camunda, instance)
    assert len(instance["openTasks"]) == 3
    camunda.complete(instance, "firstTask")
    instance = camunda.complete(instance, "secondTask")
    assert [t["elementId"] for t in instance["openTasks"]] == ["timerFiredTask"]
    assert camunda.complete(instance, "timerFiredTask")["status"] == "completed"


def test_non_interrupting_time_cycle_makes_a_new_job(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.testTimeCycle"""
    camunda.deploy("BoundaryTimerNonInterruptingEventTest.testTimerWithCycle.bpmn20.xml")
    instance = camunda.start("nonInterruptingCycle")
    (timer,) = instance["timers"]
    assert timer["dueAt"] == "2027-01-04T10:00:00Z"
    instance = camunda.fire(timer)  # at 09:00: the next time of the cycle is an hour from now
    (again,) = instance["timers"]
    assert again["dueAt"].startswith(("2027-01-04T09:59:59", "2027-01-04T10:00:00"))
    assert sorted(t["elementId"] for t in instance["openTasks"]) == ["task", "timerFiredTask"]


def test_non_interrupting_timer_on_embedded_subprocess(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.testTimerOnEmbeddedSubprocess"""
    camunda.deploy("BoundaryTimerNonInterruptingEventTest.testTimerOnEmbeddedSubprocess.bpmn20.xml")
    instance = camunda.start("nonInterruptingTimerOnEmbeddedSubprocess")
    assert [t["assignee"] for t in instance["openTasks"]] == ["kermit"]
    instance = _fire_the_timer(camunda, instance)
    assert [t["assignee"] for t in instance["openTasks"]] == ["kermit", "kermit"]
    assert _complete_all(camunda, instance)["status"] == "completed"


def test_receive_task_with_boundary_timer(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.testReceiveTaskWithBoundaryTimer"""
    camunda.deploy("BoundaryTimerNonInterruptingEventTest.testReceiveTaskWithBoundaryTimer.bpmn20.xml")
    instance = camunda.start("nonInterruptingCycle", {"timeCycle": "R/PT1H"})
    assert len(instance["timers"]) == 1
    assert set(instance["activeElements"]) - {"timer"} == {"task"}  # the boundary event waits too
    instance = camunda.correlate("task", instance)  # runtimeService.signal: the trigger named by the task
    assert instance["status"] == "completed"


def test_non_interrupting_timer_on_concurrent_subprocess(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.testTimerOnConcurrentSubprocess"""
    camunda.deploy("BoundaryTimerNonInterruptingEventTest.testTimerOnConcurrentSubprocess.bpmn20.xml")
    instance = camunda.start("testTimerOnConcurrentSubprocess")
    assert len(instance["openTasks"]) == 4
    instance = _fire_the_timer(camunda, instance)
    assert len(instance["openTasks"]) == 5
    for element in ("sub1task1", "sub1task2", "sub2task1", "sub2task2"):
        instance = camunda.complete(instance, element)
    assert [t["elementId"] for t in instance["openTasks"]] == ["timerFiredTask"]
    assert camunda.complete(instance, "timerFiredTask")["status"] == "completed"


def test_non_interrupting_timer_on_concurrent_subprocess_2(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.testTimerOnConcurrentSubprocess2"""
    camunda.deploy("BoundaryTimerNonInterruptingEventTest.testTimerOnConcurrentSubprocess.bpmn20.xml")
    instance = _fire_the_timer(camunda, camunda.start("testTimerOnConcurrentSubprocess"))
    for element in ("sub1task1", "sub1task2", "timerFiredTask", "sub2task1", "sub2task2"):
        instance = camunda.complete(instance, element)
    assert instance["openTasks"] == []
    assert instance["status"] == "completed"


def test_non_interrupting_multiple_outgoing_sequence_flows(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.testMultipleOutgoingSequenceFlows"""
    camunda.deploy("BoundaryTimerNonInterruptingEventTest.testMultipleOutgoingSequenceFlows.bpmn20.xml")
    instance = _fire_the_timer(camunda, camunda.start("nonInterruptingTimer"))
    assert len(instance["openTasks"]) == 3
    assert _complete_all(camunda, instance)["status"] == "completed"


def test_non_interrupting_multiple_outgoing_sequence_flows_on_subprocess(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.testMultipleOutgoingSequenceFlowsOnSubprocess"""
    camunda.deploy(
        "BoundaryTimerNonInterruptingEventTest.testMultipleOutgoingSequenceFlowsOnSubprocess.bpmn20.xml"
    )
    instance = _fire_the_timer(camunda, camunda.start("nonInterruptingTimer"))
    for element in ("innerTask1", "innerTask2", "timerFiredTask1", "timerFiredTask2"):
        instance = camunda.complete(instance, element)
    assert instance["status"] == "completed"
    instance = _fire_the_timer(camunda, camunda.start("nonInterruptingTimer"))
    for element in ("timerFiredTask1", "timerFiredTask2", "innerTask1", "innerTask2"):
        instance = camunda.complete(instance, element)
    assert instance["status"] == "completed"


def test_non_interrupting_multiple_outgoing_sequence_flows_on_subprocess_mi(camunda: Camunda) -> None:
    """BoundaryTimerNonInterruptingEventTest.testMultipleOutgoingSequenceFlowsOnSubprocessMi"""
    camunda.deploy(
        "BoundaryTimerNonInterruptingEventTest.testMultipleOutgoingSequenceFlowsOnSubprocessMi.bpmn20.xml"
    )
    instance = _fire_the_timer(camunda, camunda.start("nonInterruptingTimer"))
    assert len(instance["openTasks"]) == 10
    assert _complete_all(camunda, instance)["status"] == "completed"


# -- IntermediateTimerEventTest ---------------------------------------------------------------------


def test_catching_timer_event(camunda: Camunda) -> None:
    """IntermediateTimerEventTest.testCatchingTimerEvent"""
    camunda.deploy("IntermediateTimerEventTest.testCatchingTimerEvent.bpmn20.xml")
    instance = camunda.start("intermediateTimerEventExample")
    assert len(instance["timers"]) == 1
    camunda.advance(minutes=50, seconds=5)
    instance = camunda.instance(instance)
    assert instance["timers"] == []
    assert instance["status"] == "completed"


def test_timer_date_expression(camunda: Camunda) -> None:
    """IntermediateTimerEventTest.testExpression (a date, and a date-time text without zone)"""
    camunda.deploy("IntermediateTimerEventTest.testExpression.bpmn20.xml")
    now = camunda.clock.now()
    first = camunda.start("intermediateTimerEventExample", {"dueDate": now.isoformat()})
    second = camunda.start("intermediateTimerEventExample", {"dueDate": now.strftime("%Y-%m-%dT%H:%M:%S")})
    assert len(first["timers"]) == 1
    assert len(second["timers"]) == 1
    for instance in (first, second):
        camunda.fire(camunda.timers(instance)[0])
        instance = camunda.instance(instance)
        assert instance["timers"] == []
        assert instance["status"] == "completed"


def test_timer_duration_expression(camunda: Camunda) -> None:
    """IntermediateTimerEventTest.testExpressionRecalculateCurrentDateBased (the timer part: ``${duration}``)"""
    camunda.deploy("IntermediateTimerEventTest.testExpressionRecalculateCurrentDateBased.bpmn20.xml")
    instance = camunda.start("intermediateTimerEventExample", {"duration": "PT1H"})
    (timer,) = instance["timers"]
    assert timer["dueAt"] == "2027-01-04T10:00:00Z"
    camunda.advance(minutes=61)
    assert camunda.status(instance) == "completed"


def test_time_cycle_expression(camunda: Camunda) -> None:
    """IntermediateTimerEventTest.testRecalculateTimeCycleExpressionCurrentDateBased (the timer part: ``#{cycle}``)"""
    camunda.deploy("IntermediateTimerEventTest.testRecalculateTimeCycleExpressionCurrentDateBased.bpmn20.xml")
    instance = camunda.start("process", {"cycle": "R/PT15M"})
    (timer,) = instance["timers"]
    assert timer["dueAt"] == "2027-01-04T09:15:00Z"
    instance = camunda.fire(timer)
    assert instance["timers"] == []
    (task,) = instance["openTasks"]
    assert camunda.complete(instance, task["elementId"])["status"] == "completed"

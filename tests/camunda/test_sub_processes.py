"""Embedded sub-processes and interrupting event sub-processes as Camunda runs them (issue 11).

Ports of ``subprocess/SubProcessTest`` and ``subprocess/InterruptingEventSubProcessTest``.
Camunda's activity instance tree is read here from the instance's ``activeElements``.
"""

from __future__ import annotations

from tests.camunda.conftest import Camunda

S = "SubProcessTest"


def test_simple_sub_process(camunda: Camunda) -> None:
    """SubProcessTest.testSimpleSubProcess"""
    camunda.deploy(f"{S}.testSimpleSubProcess.bpmn20.xml")
    instance = camunda.start("simpleSubProcess")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    assert {"subProcess", "subProcessTask"} <= set(instance["activeElements"])
    assert camunda.complete(instance, "Task in subprocess")["status"] == "completed"


def test_simple_automatic_sub_process(camunda: Camunda) -> None:
    """SubProcessTest.testSimpleAutomaticSubProcess"""
    camunda.deploy(f"{S}.testSimpleAutomaticSubProcess.bpmn20.xml")
    assert camunda.start("simpleSubProcessAutomatic")["status"] == "completed"


def test_simple_sub_process_with_timer(camunda: Camunda) -> None:
    """SubProcessTest.testSimpleSubProcessWithTimer"""
    camunda.deploy(f"{S}.testSimpleSubProcessWithTimer.bpmn20.xml")
    instance = camunda.start("simpleSubProcess")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    camunda.advance(hours=2, seconds=1)
    assert camunda.task_names(instance) == ["Fix escalated problem"]
    assert "subProcess" not in camunda.instance(instance)["activeElements"]


def test_nested_simple_sub_process(camunda: Camunda) -> None:
    """SubProcessTest.testNestedSimpleSubProcess"""
    camunda.deploy(f"{S}.testNestedSimpleSubProcess.bpmn20.xml")
    deleted = camunda.start("nestedSimpleSubProcess", {"someVar": "abc"})
    assert camunda.api.post(f"/process-instances/{deleted['id']}/terminate", "bh").status_code in (200, 204)
    instance = camunda.start("nestedSimpleSubProcess")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    assert {"outerSubProcess", "innerSubProcess", "innerSubProcessTask"} <= set(instance["activeElements"])
    instance = camunda.complete(instance, "Task in subprocess")
    assert camunda.task_names(instance) == ["Task after subprocesses"]
    assert camunda.complete(instance, "Task after subprocesses")["status"] == "completed"


def test_nested_simple_subprocess_with_timer_on_inner_sub_process(camunda: Camunda) -> None:
    """SubProcessTest.testNestedSimpleSubprocessWithTimerOnInnerSubProcess"""
    camunda.deploy(f"{S}.testNestedSimpleSubprocessWithTimerOnInnerSubProcess.bpmn20.xml")
    instance = camunda.start("nestedSubProcessWithTimer")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    camunda.advance(hours=1, seconds=1)
    instance = camunda.instance(instance)
    assert camunda.task_names(instance) == ["Escalated task"]
    assert "outerSubProcess" in instance["activeElements"]
    assert "innerSubProcess" not in instance["activeElements"]
    instance = camunda.complete(instance, "Escalated task")
    assert camunda.task_names(instance) == ["Task after subprocesses"]


def test_double_nested_simple_sub_process(camunda: Camunda) -> None:
    """SubProcessTest.testDoubleNestedSimpleSubProcess"""
    camunda.deploy(f"{S}.testDoubleNestedSimpleSubProcess.bpmn20.xml")
    instance = camunda.start("nestedSimpleSubProcess")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    instance = camunda.complete(instance, "Task in subprocess")
    assert camunda.task_names(instance) == ["Task after subprocesses"]


def test_simple_parallel_sub_process(camunda: Camunda) -> None:
    """SubProcessTest.testSimpleParallelSubProcess"""
    camunda.deploy(f"{S}.testSimpleParallelSubProcess.bpmn20.xml")
    instance = camunda.start("simpleParallelSubProcess")
    assert camunda.task_names(instance) == ["Task A", "Task B"]
    instance = camunda.complete(instance, "Task A")
    assert camunda.task_names(instance) == ["Task B"]
    assert "subProcess" in instance["activeElements"]
    instance = camunda.complete(instance, "Task B")
    assert camunda.task_names(instance) == ["Task after sub process"]


def test_simple_parallel_sub_process_with_timer(camunda: Camunda) -> None:
    """SubProcessTest.testSimpleParallelSubProcessWithTimer"""
    camunda.deploy(f"{S}.testSimpleParallelSubProcessWithTimer.bpmn20.xml")
    instance = camunda.start("simpleParallelSubProcessWithTimer")
    assert camunda.task_names(instance) == ["Task A", "Task B"]
    (timer,) = camunda.timers(instance)
    instance = camunda.fire(timer)
    assert camunda.task_names(instance) == ["Task after timer"]
    assert camunda.complete(instance, "Task after timer")["status"] == "completed"


def test_two_sub_process_in_parallel(camunda: Camunda) -> None:
    """SubProcessTest.testTwoSubProcessInParallel"""
    camunda.deploy(f"{S}.testTwoSubProcessInParallel.bpmn20.xml")
    instance = camunda.start("twoSubProcessInParallel")
    assert camunda.task_names(instance) == ["Task in subprocess A", "Task in subprocess B"]
    assert {"subProcessA", "subProcessB", "subProcessATask", "subProcessBTask"} <= set(
        instance["activeElements"]
    )
    instance = camunda.complete(instance, "Task in subprocess A")
    assert camunda.task_names(instance) == ["Task after subprocess A", "Task in subprocess B"]
    instance = camunda.complete(instance, "Task in subprocess B")
    assert camunda.task_names(instance) == ["Task after subprocess A", "Task after subprocess B"]
    instance = camunda.complete(instance, "Task after subprocess A")
    assert camunda.complete(instance, "Task after subprocess B")["status"] == "completed"


def test_two_sub_process_in_parallel_within_sub_process(camunda: Camunda) -> None:
    """SubProcessTest.testTwoSubProcessInParallelWithinSubProcess"""
    camunda.deploy(f"{S}.testTwoSubProcessInParallelWithinSubProcess.bpmn20.xml")
    instance = camunda.start("twoSubProcessInParallelWithinSubProcess")
    assert camunda.task_names(instance) == ["Task in subprocess A", "Task in subprocess B"]
    assert {"outerSubProcess", "subProcessA", "subProcessB"} <= set(instance["activeElements"])
    instance = camunda.complete(instance, "Task in subprocess A")
    instance = camunda.complete(instance, "Task in subprocess B")
    assert camunda.task_names(instance) == ["Task after subprocess"]
    assert camunda.complete(instance, "Task after subprocess")["status"] == "completed"


def test_two_nested_sub_processes_in_parallel_with_timer(camunda: Camunda) -> None:
    """SubProcessTest.testTwoNestedSubProcessesInParallelWithTimer"""
    camunda.deploy(f"{S}.testTwoNestedSubProcessesInParallelWithTimer.bpmn20.xml")
    instance = camunda.start("nestedParallelSubProcessesWithTimer")
    assert camunda.task_names(instance) == ["Task in subprocess A", "Task in subprocess B"]
    (timer,) = camunda.timers(instance)
    instance = camunda.fire(timer)
    assert camunda.task_names(instance) == ["Task after timer"]
    assert camunda.complete(instance, "Task after timer")["status"] == "completed"


def test_nested_simple_sub_process_without_end_event(camunda: Camunda) -> None:
    """SubProcessTest.testNestedSimpleSubProcessWithoutEndEvent"""
    camunda.deploy(f"{S}.testNestedSimpleSubProcessWithoutEndEvent.bpmn20.xml")
    instance = camunda.start("nestedSimpleSubProcess")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    instance = camunda.complete(instance, "Task in subprocess")
    assert camunda.task_names(instance) == ["Task after subprocesses"]
    assert camunda.complete(instance, "Task after subprocesses")["status"] == "completed"


def test_simple_sub_process_without_end_event(camunda: Camunda) -> None:
    """SubProcessTest.testSimpleSubProcessWithoutEndEvent (its Groovy script only prints)"""
    camunda.deploy(f"{S}.testSimpleSubProcessWithoutEndEvent.bpmn20.xml")
    assert camunda.start("testSimpleSubProcessWithoutEndEvent")["status"] == "completed"


def test_nested_sub_processes_without_end_events(camunda: Camunda) -> None:
    """SubProcessTest.testNestedSubProcessesWithoutEndEvents"""
    camunda.deploy(f"{S}.testNestedSubProcessesWithoutEndEvents.bpmn20.xml")
    assert camunda.start("testNestedSubProcessesWithoutEndEvents")["status"] == "completed"


def test_concurrency_in_sub_process(camunda: Camunda) -> None:
    """SubProcessTest.testConcurrencyInSubProcess"""
    camunda.deploy(f"{S}.fixSystemFailureProcess.bpmn20.xml")
    instance = camunda.start("fixSystemFailure")
    assert camunda.task_names(instance) == ["Investigate hardware", "Investigate software"]
    instance = camunda.complete(instance, "Investigate hardware")
    instance = camunda.complete(instance, "Investigate software")
    assert camunda.task_names(instance) == ["Write report"]


# -- interrupting event sub-processes -------------------------------------------------------------

E = "InterruptingEventSubProcessTest"


def test_cancel_event_subscriptions_when_receiving_a_message(camunda: Camunda) -> None:
    """InterruptingEventSubProcessTest.testCancelEventSubscriptionsWhenReceivingAMessage"""
    camunda.deploy(f"{E}.testCancelEventSubscriptions.bpmn")
    instance = camunda.start("process")
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["taskBeforeInterruptingEventSuprocess"]
    instance = camunda.correlate("newMessage", instance)
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["taskAfterMessageStartEvent"]
    # the signal start is no longer subscribed: a signal changes nothing
    assert camunda.api.post("/signals", "sys", json={"signalName": "newSignal"}).status_code == 204
    instance = camunda.instance(instance)
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["taskAfterMessageStartEvent"]
    assert camunda.complete(instance, "taskAfterMessageStartEvent")["status"] == "completed"


def test_cancel_event_subscriptions_when_receiving_a_signal(camunda: Camunda) -> None:
    """InterruptingEventSubProcessTest.testCancelEventSubscriptionsWhenReceivingASignal"""
    camunda.deploy(f"{E}.testCancelEventSubscriptions.bpmn")
    instance = camunda.start("process")
    assert camunda.api.post("/signals", "sys", json={"signalName": "newSignal"}).status_code == 204
    instance = camunda.instance(instance)
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["tastAfterSignalStartEvent"]
    assert camunda.correlate_response("newMessage", instance).status_code == 404
    assert camunda.complete(instance, "tastAfterSignalStartEvent")["status"] == "completed"


def test_cancel_timer(camunda: Camunda) -> None:
    """InterruptingEventSubProcessTest.testCancelTimer"""
    camunda.deploy(f"{E}.testCancelTimer.bpmn")
    instance = camunda.start("process")
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["taskBeforeInterruptingEventSuprocess"]
    assert len(camunda.timers(instance)) == 1
    instance = camunda.correlate("newMessage", instance)
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["taskAfterMessageStartEvent"]
    assert instance["timers"] == []
    assert camunda.complete(instance, "taskAfterMessageStartEvent")["status"] == "completed"

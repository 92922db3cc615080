"""Throwing a signal from outside, as Camunda's ``runtimeService.createSignalEvent(name).send()``.

Ported from ``SignalEventReceivedBuilderTest`` (``engine/src/test/java/org/camunda/bpm/engine/test/
bpmn/event/signal/``): ``createSignalEvent(name).setVariables(..).send()`` is ``POST /signals``. The
Camunda test builds its two diagrams with the model API (``signalStartProcess`` and
``signalCatchProcess``); ``_signal_start_process`` and ``_signal_catch_process`` write the same
diagrams as BPMN XML. The tests that address one execution (``executionId``) have no counterpart:
``POST /signals`` is a broadcast. ``SignalEventTest.testSignalCatchIntermediateAsynch`` (a signal
thrown with ``camunda:async``) is here too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from storage.schema import signal_deliveries
from tests.camunda.conftest import Camunda

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'targetNamespace="http://camunda.org/examples" id="definitions_{pid}">\n'
    '  <signal id="signal_{pid}" name="signal"/>\n'
    '  <process id="{pid}" isExecutable="true">\n'
)


def _signal_start_process(pid: str) -> bytes:
    """``Bpmn.createExecutableProcess(pid).startEvent().signal("signal").userTask().endEvent()``"""
    return (
        _HEAD.format(pid=pid)
        + f"""    <startEvent id="start"><signalEventDefinition signalRef="signal_{pid}"/></startEvent>
    <sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
    <userTask id="task"/>
    <sequenceFlow id="f2" sourceRef="task" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""
    ).encode()


def _signal_catch_process(pid: str) -> bytes:
    """``Bpmn.createExecutableProcess(pid).startEvent().intermediateCatchEvent().signal("signal")
    .userTask().endEvent()``"""
    return (
        _HEAD.format(pid=pid)
        + f"""    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="catch"/>
    <intermediateCatchEvent id="catch"><signalEventDefinition signalRef="signal_{pid}"/></intermediateCatchEvent>
    <sequenceFlow id="f2" sourceRef="catch" targetRef="task"/>
    <userTask id="task"/>
    <sequenceFlow id="f3" sourceRef="task" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""
    ).encode()


def _send(camunda: Camunda, name: str, variables: dict[str, Any] | None = None) -> None:
    response = camunda.api.post("/signals", "sys", json={"signalName": name, "variables": variables or {}})
    assert response.status_code == 204, response.get_json()


def _task_count(camunda: Camunda) -> int:
    response = camunda.api.get("/tasks", "bh")
    assert response.status_code == 200, response.get_json()
    return int(response.get_json()["total"])


def _active_instances(camunda: Camunda) -> list[dict[str, Any]]:
    response = camunda.api.get("/process-instances?status=active", "bh")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]  # type: ignore[no-any-return]


def test_send_signal_to_start_event(camunda: Camunda) -> None:
    """SignalEventReceivedBuilderTest.testSendSignalToStartEvent"""
    camunda.deploy(_signal_start_process("signalStart"))
    _send(camunda, "signal")
    assert _task_count(camunda) == 1


def test_send_signal_to_intermediate_catch_event(camunda: Camunda) -> None:
    """SignalEventReceivedBuilderTest.testSendSignalToIntermediateCatchEvent"""
    camunda.deploy(_signal_catch_process("signalCatch"))
    camunda.start("signalCatch")
    _send(camunda, "signal")
    assert _task_count(camunda) == 1


def test_send_signal_to_start_and_intermediate_catch_event(camunda: Camunda) -> None:
    """SignalEventReceivedBuilderTest.testSendSignalToStartAndIntermediateCatchEvent"""
    camunda.deploy(_signal_start_process("signalStart"), _signal_catch_process("signalCatch"))
    camunda.start("signalCatch")
    _send(camunda, "signal")
    assert _task_count(camunda) == 2


def test_send_signal_to_multiple_start_events(camunda: Camunda) -> None:
    """SignalEventReceivedBuilderTest.testSendSignalToMultipleStartEvents"""
    camunda.deploy(_signal_start_process("signalStart"), _signal_start_process("signalStart2"))
    _send(camunda, "signal")
    assert _task_count(camunda) == 2


def test_send_signal_to_multiple_intermediate_catch_events(camunda: Camunda) -> None:
    """SignalEventReceivedBuilderTest.testSendSignalToMultipleIntermediateCatchEvents"""
    camunda.deploy(_signal_catch_process("signalCatch"), _signal_catch_process("signalCatch2"))
    camunda.start("signalCatch")
    camunda.start("signalCatch2")
    _send(camunda, "signal")
    assert _task_count(camunda) == 2


def test_send_signal_to_start_event_with_variables(camunda: Camunda) -> None:
    """SignalEventReceivedBuilderTest.testSendSignalToStartEventWithVariables"""
    camunda.deploy(_signal_start_process("signalStart"))
    variables = {"var1": "a", "var2": "b"}
    _send(camunda, "signal", variables)
    (instance,) = _active_instances(camunda)
    assert camunda.variables(instance["id"]) == variables


def test_send_signal_to_intermediate_catch_event_with_variables(camunda: Camunda) -> None:
    """SignalEventReceivedBuilderTest.testSendSignalToIntermediateCatchEventWithVariables

    The instance is started through ``POST /process-instances``, which records its gemeente as a
    variable; the signal's variables are the only others.
    """
    camunda.deploy(_signal_catch_process("signalCatch"))
    instance = camunda.start("signalCatch")
    variables = {"var1": "a", "var2": "b"}
    _send(camunda, "signal", variables)
    assert camunda.variables(instance) == {**variables, "gemeente": "GM0344"}


def test_no_signal_event_subscription(camunda: Camunda) -> None:
    """SignalEventReceivedBuilderTest.testNoSignalEventSubscription"""
    _send(camunda, "signal")


def test_signal_catch_intermediate_asynch(camunda: Camunda) -> None:
    """SignalEventTest.testSignalCatchIntermediateAsynch

    Camunda's job for the asynchronous throw is a pending signal delivery here; its job executor is
    the worker's signal job (``deliver_pending_signals``).
    """
    services = camunda.api.app.extensions["inburgering"]
    camunda.deploy("signal/SignalEventTests.catchAlertSignal.bpmn20.xml")
    camunda.deploy("SignalEventTests.throwAlertSignalAsynch.bpmn20.xml")
    catching = camunda.start("catchSignal")
    assert len(_active_instances(camunda)) == 1
    assert camunda.start("throwSignal")["status"] == "completed"
    assert camunda.status(catching) == "active"  # the subscription is still there
    assert len(_active_instances(camunda)) == 1
    assert _pending_deliveries(camunda) == 1  # there is a job
    camunda.clock.advance(timedelta(seconds=1))
    services.workflow.deliver_pending_signals(worker_id="camunda-tests")
    assert camunda.status(catching) == "completed"
    assert _active_instances(camunda) == []
    assert _pending_deliveries(camunda) == 0


def _pending_deliveries(camunda: Camunda) -> int:
    with camunda.api.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(signal_deliveries)).scalar_one())


def _async_signal_start(camunda: Camunda, start_resource: str, throw_resource: str) -> None:
    services = camunda.api.app.extensions["inburgering"]
    camunda.deploy(start_resource, throw_resource)
    assert camunda.start("throwSignalAsync")["status"] == "completed"
    assert _active_instances(camunda) == []
    assert _pending_deliveries(camunda) == 1  # the job that triggers the signal start event
    services.workflow.deliver_pending_signals(worker_id="camunda-tests")
    (instance,) = _active_instances(camunda)
    assert instance["processKey"] == "startBySignal"
    assert _task_count(camunda) == 1


def test_async_signal_start_event(camunda: Camunda) -> None:
    """SignalEventTest.testAsyncSignalStartEvent"""
    _async_signal_start(
        camunda,
        "signal/SignalEventTest.signalStartEvent.bpmn20.xml",
        "SignalEventTests.throwAlertSignalAsync.bpmn20.xml",
    )


def test_async_signal_start_event_with_expression_name(camunda: Camunda) -> None:
    """SignalEventExpressionNameTest.testAsyncSignalStartEvent"""
    _async_signal_start(
        camunda,
        "signal/SignalEventExpressionNameTest.testSignalStartEvent.bpmn20.xml",
        "SignalEventExpressionNameTest.throwAlertSignalAsync.bpmn20.xml",
    )

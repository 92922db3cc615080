"""Event-based gateways: exactly one branch wins (issue 11, item 3)."""

from __future__ import annotations

from tests.camunda.conftest import Camunda


def test_catch_message_cancels_timer_and_signal(camunda: Camunda) -> None:
    """EventBasedGatewayTest.testCatchSignalAndMessageAndTimer"""
    camunda.deploy("EventBasedGatewayTest.testCatchSignalAndMessageAndTimer.bpmn20.xml")
    instance = camunda.start("catchSignal")
    assert len(instance["timers"]) == 1
    camunda.clock.advance(seconds=10)  # the timer (PT0S) is due, but the message comes first
    instance = camunda.correlate("newInvoice", instance)
    assert instance["timers"] == []
    assert camunda.task_names(instance) == ["afterMessage"]
    camunda.run_worker()
    assert camunda.task_names(instance) == ["afterMessage"]
    assert camunda.complete(instance, "afterMessage")["status"] == "completed"

"""The start subscriptions a deployment makes (message and signal start events), as Camunda keeps them.

Ported from ``MessageStartEventTest`` (``bpmn/event/message/``) and ``SignalEventDeploymentTest``
(``bpmn/event/signal/``), resources unchanged. Camunda's event subscriptions of a process
definition are the processes a message or signal starts here (``message_start_targets``,
``signal_start_targets``): the latest version of each process whose start event waits for it.
"""

from __future__ import annotations

from tests.camunda.conftest import Camunda


def test_deployment_creates_subscriptions(camunda: Camunda) -> None:
    """MessageStartEventTest.testDeploymentCreatesSubscriptions"""
    services = camunda.api.app.extensions["inburgering"]
    camunda.deploy("MessageStartEventTest.testSingleMessageStartEvent.bpmn20.xml")
    assert services.workflow.message_start_targets("newInvoiceMessage") == ["singleMessageStartEvent"]


def test_create_event_subscription_on_deployment(camunda: Camunda) -> None:
    """SignalEventDeploymentTest.testCreateEventSubscriptionOnDeployment"""
    services = camunda.api.app.extensions["inburgering"]
    camunda.deploy("signal/SignalEventTest.signalStartEvent.bpmn20.xml")
    assert services.workflow.signal_start_targets("alert") == [("startBySignal", 1)]


def test_update_event_subscription_on_deployment(camunda: Camunda) -> None:
    """SignalEventDeploymentTest.testUpdateEventSubscriptionOnDeployment"""
    services = camunda.api.app.extensions["inburgering"]
    camunda.deploy("signal/SignalEventTest.signalStartEvent.bpmn20.xml")
    assert services.workflow.signal_start_targets("alert") == [("startBySignal", 1)]
    (deployed,) = camunda.deploy("SignalEventTest.signalStartEvent_v2.bpmn20.xml")
    assert deployed["version"] == 2
    # only one subscription, for the new version, with the new name
    assert services.workflow.signal_start_targets("alert") == []
    assert services.workflow.signal_start_targets("abort") == [("startBySignal", 2)]

"""Messages as Camunda correlates them (issue 11, item 5)."""

from __future__ import annotations

from tests.camunda.conftest import Camunda


def _elements(camunda: Camunda, instance: dict) -> list[str]:
    return sorted(t["elementId"] for t in camunda.tasks(instance))


def test_single_non_interrupting_boundary_message_event(camunda: Camunda) -> None:
    """MessageNonInterruptingBoundaryEventTest.testSingleNonInterruptingBoundaryMessageEvent"""
    camunda.deploy(
        "MessageNonInterruptingBoundaryEventTest.testSingleNonInterruptingBoundaryMessageEvent.bpmn20.xml"
    )
    instance = camunda.start("process")
    assert _elements(camunda, instance) == ["task"]
    for _ in range(2):  # the subscription stays: every message spawns a path
        instance = camunda.correlate("messageName", instance)
        assert _elements(camunda, instance) == ["task", "taskAfterMessage"]
        assert "messageName" in {w for w in _waits(camunda, instance)}
        instance = camunda.complete(instance, "taskAfterMessage")
        assert instance["status"] == "active"
    instance = camunda.complete(instance, "task")
    assert _waits(camunda, instance) == []
    assert _elements(camunda, instance) == ["taskAfterTask"]
    assert camunda.correlate_response("messageName", instance).status_code == 404
    assert camunda.complete(instance, "taskAfterTask")["status"] == "completed"


def _waits(camunda: Camunda, instance: dict) -> list[str]:
    services = camunda.api.app.extensions["inburgering"]
    record = services.workflow.get(instance["id"])
    return [w.message_name for w in services.workflow.runtime.describe(record.state).message_waits]


def test_non_interrupting_event_sub_process_under_process_definition(camunda: Camunda) -> None:
    """MessageEventSubprocessTest.testNonInterruptingUnderProcessDefinition"""
    camunda.deploy("MessageEventSubprocessTest.testNonInterruptingUnderProcessDefinition.bpmn20.xml")
    instance = camunda.start("process")
    assert _elements(camunda, instance) == ["task"]
    instance = camunda.correlate("newMessage", instance)
    assert _elements(camunda, instance) == ["eventSubProcessTask", "task"]
    instance = camunda.correlate("newMessage", instance)
    assert _elements(camunda, instance) == ["eventSubProcessTask", "eventSubProcessTask", "task"]
    for task in camunda.tasks(instance):
        response = camunda.api.post(f"/tasks/{task['id']}/complete", "bh", json={"variables": {}})
        assert response.status_code == 200
    assert camunda.status(instance) == "completed"


def test_interrupting_event_sub_process_under_process_definition(camunda: Camunda) -> None:
    """MessageEventSubprocessTest.testInterruptingUnderProcessDefinition"""
    camunda.deploy("MessageEventSubprocessTest.testInterruptingUnderProcessDefinition.bpmn20.xml")
    instance = camunda.start("process")
    assert _elements(camunda, instance) == ["task"]
    instance = camunda.correlate("newMessage", instance)
    assert _elements(camunda, instance) == ["eventSubProcessTask"]
    assert camunda.complete(instance, "eventSubProcessTask")["status"] == "completed"


def test_non_interrupting_event_sub_process_in_embedded_sub_process(camunda: Camunda) -> None:
    """MessageEventSubprocessTest.testNonInterruptingInEmbeddedSubprocess"""
    camunda.deploy("MessageEventSubprocessTest.testNonInterruptingInEmbeddedSubprocess.bpmn20.xml")
    instance = camunda.start("process")
    assert _elements(camunda, instance) == ["task"]
    instance = camunda.correlate("newMessage", instance)
    assert _elements(camunda, instance) == ["eventSubProcessTask", "task"]
    instance = camunda.complete(instance, "task")
    assert _elements(camunda, instance) == ["eventSubProcessTask"]
    assert camunda.complete(instance, "eventSubProcessTask")["status"] == "completed"


def test_non_interrupting_event_sub_process_with_receive_task(camunda: Camunda) -> None:
    """MessageEventSubprocessTest.testNonInterruptingWithReceiveTask"""
    camunda.deploy("MessageEventSubprocessTest.testNonInterruptingWithReceiveTask.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.correlate("firstMessage", instance)
    assert _elements(camunda, instance) == ["eventSubProcessTask"]
    instance = camunda.correlate("secondMessage", instance)
    assert _elements(camunda, instance) == ["eventSubProcessTask", "userTask"]
    instance = camunda.complete(instance, "userTask")
    assert instance["status"] == "active"
    assert camunda.complete(instance, "eventSubProcessTask")["status"] == "completed"


def test_expression_in_single_intermediate_message_event(camunda: Camunda) -> None:
    """MessageIntermediateEventTest.testExpressionInSingleIntermediateMessageEvent"""
    camunda.deploy("MessageIntermediateEventTest.testExpressionInSingleIntermediateMessageEvent.bpmn20.xml")
    instance = camunda.start("process", {"foo": "bar"})
    assert _waits(camunda, instance) == ["newInvoiceMessage-bar"]
    instance = camunda.correlate("newInvoiceMessage-bar", instance)
    assert _elements(camunda, instance) == ["task"]


def test_message_names_with_spaces(camunda: Camunda) -> None:
    """MessageIntermediateEventTest.testSingleIntermediateMessageEvent (with a name as designers write it)"""
    body = camunda_resource("MessageIntermediateEventTest.testSingleIntermediateMessageEvent.bpmn20.xml")
    camunda.deploy(body.replace(b'name="newInvoiceMessage"', b'name="new invoice message"'))
    instance = camunda.start("process")
    instance = camunda.correlate("new invoice message", instance)
    assert _elements(camunda, instance) == ["task"]


def camunda_resource(name: str) -> bytes:
    from tests.camunda.conftest import RESOURCES

    return (RESOURCES / name).read_bytes()


def test_receive_task_without_message_waits_for_a_trigger(camunda: Camunda) -> None:
    """ReceiveTaskTest.testWaitStateBehavior (the trigger is the message named by the task's id)"""
    camunda.deploy("ReceiveTaskTest.testWaitStateBehavior.bpmn20.xml")
    instance = camunda.start("receiveTask")
    assert instance["status"] == "active"
    assert "waitState" in instance["activeElements"]
    assert camunda.correlate("waitState", instance)["status"] == "completed"


def test_message_name_expression_is_checked_at_deploy(camunda: Camunda) -> None:
    """MessageIntermediateEventTest.testExpressionInSingleIntermediateMessageEvent (a broken expression)"""
    body = camunda_resource(
        "MessageIntermediateEventTest.testExpressionInSingleIntermediateMessageEvent.bpmn20.xml"
    )
    errors = camunda.deploy_fails(body.replace(b"${foo}", b"${foo +}"))
    assert any("message name" in e["message"] for e in errors)


def test_single_message_start_event_started_by_key(camunda: Camunda) -> None:
    """MessageStartEventTest.testSingleMessageStartEvent (startProcessInstanceByKey triggers the message start)"""
    camunda.deploy("MessageStartEventTest.testSingleMessageStartEvent.bpmn20.xml")
    instance = camunda.start("singleMessageStartEvent", {"amount": 3})
    assert _elements(camunda, instance) == ["task"]
    assert camunda.variables(instance)["amount"] == 3
    assert camunda.complete(instance, "task")["status"] == "completed"


def test_single_intermediate_throw_message_event(camunda: Camunda) -> None:
    """MessageIntermediateThrowEventTest.testSingleIntermediateThrowMessageEvent"""
    camunda.deploy("MessageIntermediateThrowEventTest.testSingleIntermediateThrowMessageEvent.bpmn20.xml")
    assert camunda.start("process")["status"] == "completed"

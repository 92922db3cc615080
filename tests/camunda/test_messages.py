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


def camunda_resource(name: str) -> bytes:
    from tests.camunda.conftest import RESOURCES

    return (RESOURCES / name).read_bytes()

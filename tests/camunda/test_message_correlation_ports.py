"""Message correlation as Camunda runs it (``runtimeService.correlateMessage`` and its builder).

Ported from ``MessageCorrelationTest`` (``engine/src/test/java/org/camunda/bpm/engine/test/api/``
``runtime/message/``), resources unchanged. ``correlateMessage`` and
``createMessageCorrelation(..).correlate()`` are ``POST /messages``, ``correlateAll()`` is
``all: true``; ``processInstanceBusinessKey`` and ``processInstanceId`` are the body's
``businessKey`` and ``processInstanceId``. The API always addresses a correlation (business key or
instance id): where the Camunda test correlates by name alone to its one waiting instance, the port
names that instance's business key. ``deleteProcessInstance`` is ``POST .../terminate``.
"""

from __future__ import annotations

from typing import Any

from tests.camunda.conftest import Camunda

C = "MessageCorrelationTest"


def _send(camunda: Camunda, **body: Any) -> Any:
    return camunda.api.post("/messages", "sys", json=body)


def _at_task(camunda: Camunda, instance: dict[str, Any]) -> bool:
    return "task" in [t["elementId"] for t in camunda.tasks(instance)]


def _terminate(camunda: Camunda, instance: dict[str, Any]) -> None:
    response = camunda.api.post(f"/process-instances/{instance['id']}/terminate", "bh")
    assert response.status_code in (200, 204), response.get_json()


def _instances(camunda: Camunda, key: str) -> list[dict[str, Any]]:
    response = camunda.api.get("/process-instances?status=active", "bh")
    assert response.status_code == 200, response.get_json()
    return [camunda.instance(i["id"]) for i in response.get_json()["items"] if i["processKey"] == key]


def _waits(camunda: Camunda, instance: dict[str, Any]) -> list[str]:
    services = camunda.api.app.extensions["inburgering"]
    record = services.workflow.get(instance["id"])
    if record.status != "active":
        return []
    return sorted(w.message_name for w in services.workflow.runtime.describe(record.state).message_waits)


def test_execution_correlation_by_business_key(camunda: Camunda) -> None:
    """MessageCorrelationTest.testExecutionCorrelationByBusinessKey"""
    camunda.deploy(f"{C}.testCatchingMessageEventCorrelation.bpmn20.xml")
    for _ in ("correlateMessage", "fluent builder"):
        instance = camunda.start("process", business_key="aBusinessKey")
        assert _send(camunda, messageName="newInvoiceMessage", businessKey="aBusinessKey").status_code == 200
        assert _at_task(camunda, instance)
        _terminate(camunda, instance)


def test_execution_correlation_by_business_key_with_variables(camunda: Camunda) -> None:
    """MessageCorrelationTest.testExecutionCorrelationByBusinessKeyWithVariables"""
    camunda.deploy(f"{C}.testCatchingMessageEventCorrelation.bpmn20.xml")
    for _ in ("correlateMessage", "fluent builder"):
        instance = camunda.start("process", business_key="aBusinessKey")
        response = _send(
            camunda, messageName="newInvoiceMessage", businessKey="aBusinessKey", variables={"aKey": "aValue"}
        )
        assert response.status_code == 200, response.get_json()
        assert camunda.variables(instance)["aKey"] == "aValue"
        _terminate(camunda, instance)


def test_correlation_by_process_instance_id(camunda: Camunda) -> None:
    """MessageCorrelationTest.testCorrelationByProcessInstanceId (a correlation by name alone cannot
    be sent: the API refuses it, as Camunda refuses the ambiguous one)"""
    camunda.deploy(f"{C}.testCatchingMessageEventCorrelation.bpmn20.xml")
    first = camunda.start("process")
    second = camunda.start("process")
    assert _send(camunda, messageName="aMessageName").status_code in (400, 422)
    response = _send(camunda, messageName="newInvoiceMessage", processInstanceId=first["id"])
    assert response.status_code == 200, response.get_json()
    assert _at_task(camunda, first)
    assert not _at_task(camunda, second)


def test_correlation_without_correlation_properties_fails(camunda: Camunda) -> None:
    """MessageCorrelationTest.testCorrelationWithoutCorrelationPropertiesFails"""
    camunda.deploy(f"{C}.testCatchingMessageEventCorrelation.bpmn20.xml")
    instance = camunda.start("process")
    response = _send(camunda, businessKey=instance["businessKey"])
    assert response.status_code in (400, 422), response.get_json()
    assert "messageName" in str(response.get_json())
    assert _waits(camunda, instance) == ["newInvoiceMessage"]


def test_message_start_event_correlation(camunda: Camunda) -> None:
    """MessageCorrelationTest.testMessageStartEventCorrelation"""
    camunda.deploy(f"{C}.testMessageStartEventCorrelation.bpmn20.xml")
    response = _send(camunda, messageName="newInvoiceMessage", businessKey="k", variables={"aKey": "aValue"})
    assert response.status_code == 200, response.get_json()
    assert [i["variables"].get("aKey") for i in _instances(camunda, "messageStartEvent")] == ["aValue"]


def test_message_start_event_correlation_using_fluent_correlate_single(camunda: Camunda) -> None:
    """MessageCorrelationTest.testMessageStartEventCorrelationUsingFluentCorrelateSingle"""
    camunda.deploy(f"{C}.testMessageStartEventCorrelation.bpmn20.xml")
    response = _send(camunda, messageName="newInvoiceMessage", businessKey="k", variables={"aKey": "aValue"})
    assert response.status_code == 200, response.get_json()
    assert [i["variables"].get("aKey") for i in _instances(camunda, "messageStartEvent")] == ["aValue"]


def test_message_start_event_correlation_using_fluent_correlate_all(camunda: Camunda) -> None:
    """MessageCorrelationTest.testMessageStartEventCorrelationUsingFluentCorrelateAll"""
    camunda.deploy(f"{C}.testMessageStartEventCorrelation.bpmn20.xml")
    response = _send(
        camunda, messageName="newInvoiceMessage", businessKey="k", variables={"aKey": "aValue"}, all=True
    )
    assert response.status_code == 200, response.get_json()
    assert [i["variables"].get("aKey") for i in _instances(camunda, "messageStartEvent")] == ["aValue"]


def test_message_start_event_correlation_with_business_key(camunda: Camunda) -> None:
    """MessageCorrelationTest.testMessageStartEventCorrelationWithBusinessKey"""
    camunda.deploy(f"{C}.testMessageStartEventCorrelation.bpmn20.xml")
    assert _send(camunda, messageName="newInvoiceMessage", businessKey="aBusinessKey").status_code == 200
    (instance,) = _instances(camunda, "messageStartEvent")
    assert instance["businessKey"] == "aBusinessKey"


def test_message_start_event_correlation_with_business_key_using_fluent_correlate_all(
    camunda: Camunda,
) -> None:
    """MessageCorrelationTest.testMessageStartEventCorrelationWithBusinessKeyUsingFluentCorrelateAll"""
    camunda.deploy(f"{C}.testMessageStartEventCorrelation.bpmn20.xml")
    response = _send(camunda, messageName="newInvoiceMessage", businessKey="aBusinessKey", all=True)
    assert response.status_code == 200, response.get_json()
    (instance,) = _instances(camunda, "messageStartEvent")
    assert instance["businessKey"] == "aBusinessKey"


def test_message_start_event_correlation_with_variables_using_fluent_correlate_single_message(
    camunda: Camunda,
) -> None:
    """MessageCorrelationTest.testMessageStartEventCorrelationWithVariablesUsingFluentCorrelateSingleMessage"""
    camunda.deploy(f"{C}.testMessageStartEventCorrelation.bpmn20.xml")
    response = _send(
        camunda, messageName="newInvoiceMessage", businessKey="k", variables={"var1": "a", "var2": "b"}
    )
    assert response.status_code == 200, response.get_json()
    (instance,) = _instances(camunda, "messageStartEvent")
    assert instance["variables"]["var1"] == "a"
    assert instance["variables"]["var2"] == "b"


def test_multiple_message_start_events_correlation(camunda: Camunda) -> None:
    """MessageCorrelationTest.testMultipleMessageStartEventsCorrelation"""
    camunda.deploy(f"{C}.testMultipleMessageStartEventsCorrelation.bpmn20.xml")
    for message, task, other in (("someMessage", "task1", "task2"), ("someOtherMessage", "task2", "task1")):
        response = _send(camunda, messageName=message, businessKey=f"bk-{message}")
        assert response.status_code == 200, response.get_json()
        instance = camunda.instance(response.get_json()["processInstanceId"])
        assert [t["elementId"] for t in camunda.tasks(instance)] == [task]
        assert other not in [t["elementId"] for t in camunda.tasks(instance)]
        assert camunda.complete(instance, task)["status"] == "completed"


def test_matching_start_event_and_execution(camunda: Camunda) -> None:
    """MessageCorrelationTest.testMatchingStartEventAndExecution"""
    camunda.deploy(f"{C}.testMatchingStartEventAndExecution.bpmn20.xml")
    for _ in ("correlateMessage", "fluent builder"):
        instance = camunda.start("process")
        assert _waits(camunda, instance) == ["newInvoiceMessage"]
        instance = camunda.correlate("newInvoiceMessage", instance)
        assert _waits(camunda, instance) == []
        assert len(_instances(camunda, "process")) == 1
        _terminate(camunda, instance)

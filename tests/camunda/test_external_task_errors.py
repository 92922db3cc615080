"""``handleBpmnError`` and fetch filters of Camunda 7's external task API, ported to our HTTP API.

Source: ``ExternalTaskServiceTest`` (camunda/camunda-bpm-platform, ``api/externaltask``); resources in
``resources/externaltask/``, unchanged. ``POST /external-tasks/{id}/bpmnError`` is Camunda's
``POST /external-task/{id}/bpmnError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from engine.clock import ManualClock
from tests.api.conftest import Api, make_api
from tests.camunda.test_external_tasks import LOCK_TIME, WORKER_ID, complete, deploy, fetch, start, status


@pytest.fixture
def api(db: Engine, clock: ManualClock) -> Iterator[Api]:
    yield make_api(db, clock)


def bpmn_error(api: Api, task_id: str, code: str | None, worker: str | None = WORKER_ID, **extra: Any) -> Any:
    body: dict[str, Any] = {**extra}
    if worker is not None:
        body["workerId"] = worker
    if code is not None:
        body["errorCode"] = code
    return api.post(f"/external-tasks/{task_id}/bpmnError", "sys", json=body)


def instance(api: Api, instance_id: str) -> dict[str, Any]:
    return api.get(f"/process-instances/{instance_id}", "bh").get_json()  # type: ignore[no-any-return]


def open_elements(api: Api, instance_id: str) -> list[str]:
    return sorted(t["elementId"] for t in instance(api, instance_id)["openTasks"])


def test_handle_bpmn_error(api: Api) -> None:
    """ExternalTaskServiceTest.testHandleBpmnError"""
    deploy(api, "twoExternalTaskProcess")
    pi = start(api, "twoExternalTaskProcess")
    (task,) = fetch(api)
    assert bpmn_error(api, task["id"], "ERROR-OCCURED").status_code == 204
    assert fetch(api) == []
    assert open_elements(api, pi) == ["afterBpmnError"]


def test_handle_bpmn_error_without_defined_boundary(api: Api) -> None:
    """ExternalTaskServiceTest.testHandleBpmnErrorWithoutDefinedBoundary"""
    deploy(api, "oneExternalTaskProcess")
    pi = start(api, "oneExternalTaskProcess")
    (task,) = fetch(api)
    assert bpmn_error(api, task["id"], "ERROR-OCCURED").status_code == 204
    assert fetch(api) == []
    assert open_elements(api, pi) == []
    assert status(api, pi) == "completed"


def test_handle_bpmn_error_lock_expired_task(api: Api, clock: ManualClock) -> None:
    """ExternalTaskServiceTest.testHandleBpmnErrorLockExpiredTask"""
    deploy(api, "twoExternalTaskProcess")
    pi = start(api, "twoExternalTaskProcess")
    (task,) = fetch(api)
    clock.advance(timedelta(milliseconds=LOCK_TIME * 2))
    assert bpmn_error(api, task["id"], "ERROR-OCCURED").status_code == 204
    assert fetch(api) == []
    assert open_elements(api, pi) == ["afterBpmnError"]


@pytest.mark.parametrize("process", ["oneExternalTaskProcess", "twoExternalTaskProcess"])
def test_handle_bpmn_error_reclaimed_lock_expired_task(api: Api, clock: ManualClock, process: str) -> None:
    """ExternalTaskServiceTest.testHandleBpmnErrorReclaimedLockExpiredTaskWithoutDefinedBoundary,
    .testHandleBpmnErrorReclaimedLockExpiredTaskWithBoundary(AndPassVariables)"""
    deploy(api, process)
    pi = start(api, process)
    (task,) = fetch(api)
    clock.advance(timedelta(milliseconds=LOCK_TIME * 2))
    (reclaimed,) = fetch(api, 1, "anotherWorkerId")
    refused = bpmn_error(api, task["id"], "ERROR-OCCURED", variables={"foo": {"value": "bar"}})
    assert refused.status_code == 409
    assert (
        f"External Task {task['id']} cannot be reported by worker '{WORKER_ID}'. "
        "It is locked by worker 'anotherWorkerId'." in refused.get_json()["detail"]
    )
    assert "foo" not in instance(api, pi)["variables"]
    assert complete(api, reclaimed["id"], "anotherWorkerId").status_code == 204
    assert fetch(api) == []


def test_handle_bpmn_error_non_existing_task(api: Api) -> None:
    """ExternalTaskServiceTest.testHandleBpmnErrorNonExistingTask"""
    assert bpmn_error(api, "nonExistingTaskId", "ERROR-OCCURED").status_code == 404


def test_handle_bpmn_null_error_code_and_worker_id(api: Api) -> None:
    """ExternalTaskServiceTest.testHandleBpmnNullErrorCode, .testHandleBpmnErrorNullWorkerId"""
    deploy(api, "oneExternalTaskProcess")
    pi = start(api, "oneExternalTaskProcess")
    (task,) = fetch(api)
    no_code = bpmn_error(api, task["id"], None)
    assert no_code.status_code == 422
    assert [e["field"] for e in no_code.get_json()["errors"]] == ["errorCode"]
    no_worker = bpmn_error(api, task["id"], "ERROR-OCCURED", worker=None)
    assert no_worker.status_code == 422
    assert [e["field"] for e in no_worker.get_json()["errors"]] == ["workerId"]
    assert status(api, pi) == "active"


def test_handle_bpmn_error_pass_variables_boundary_event(api: Api, clock: ManualClock) -> None:
    """ExternalTaskServiceTest.testHandleBpmnErrorPassVariablesBoundryEvent"""
    deploy(api, "twoExternalTaskProcess")
    pi = start(api, "twoExternalTaskProcess")
    (task,) = fetch(api)
    clock.advance(timedelta(milliseconds=LOCK_TIME * 2))
    response = bpmn_error(
        api, task["id"], "ERROR-OCCURED", variables={"foo": {"value": "bar", "type": "String"}}
    )
    assert response.status_code == 204
    assert fetch(api) == []
    assert open_elements(api, pi) == ["afterBpmnError"]
    assert instance(api, pi)["variables"] == {"foo": "bar"}


EVENT_SUB_PROCESS = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="Examples">
  <error id="error" errorCode="ERROR-SPEC-10"/>
  <process id="process" isExecutable="true">
    <startEvent id="startEvent"/><sequenceFlow id="f1" sourceRef="startEvent" targetRef="externalTask"/>
    <serviceTask id="externalTask" camunda:type="external" camunda:topic="externalTaskTopic"/>
    <sequenceFlow id="f2" sourceRef="externalTask" targetRef="endEvent"/><endEvent id="endEvent"/>
    <subProcess id="eventSubProcess" triggeredByEvent="true">
      <startEvent id="eventSubProcessStart"><errorEventDefinition errorRef="error"/></startEvent>
      <sequenceFlow id="f3" sourceRef="eventSubProcessStart" targetRef="afterBpmnError"/>
      <userTask id="afterBpmnError"/><sequenceFlow id="f4" sourceRef="afterBpmnError" targetRef="e2"/>
      <endEvent id="e2"/>
    </subProcess>
  </process>
</definitions>"""


def test_handle_bpmn_error_pass_variables_event_sub_process(api: Api, clock: ManualClock) -> None:
    """ExternalTaskServiceTest.testHandleBpmnErrorPassVariablesEventSubProcess (its model-API process as XML)"""
    response = api.post("/process-definitions", "bh", data=EVENT_SUB_PROCESS, content_type="application/xml")
    assert response.status_code == 201, response.get_json()
    pi = start(api, "process")
    (task,) = fetch(api)
    clock.advance(timedelta(milliseconds=LOCK_TIME * 2))
    response = bpmn_error(api, task["id"], "ERROR-SPEC-10", variables={"foo": {"value": "bar"}})
    assert response.status_code == 204
    assert fetch(api) == []
    assert open_elements(api, pi) == ["afterBpmnError"]
    assert instance(api, pi)["variables"] == {"foo": "bar"}


def test_handle_bpmn_error_pass_message_event_sub_process(api: Api, clock: ManualClock) -> None:
    """ExternalTaskServiceTest.testHandleBpmnErrorPassMessageEventSubProcess"""
    deploy(api, "ExternalTaskServiceTest.testHandleBpmnErrorPassMessageEventSubProcess")
    pi = start(api, "oneExternalTaskProcess")
    (task,) = fetch(api)
    clock.advance(timedelta(milliseconds=LOCK_TIME * 2))
    message = "Some meaningful message"
    assert bpmn_error(api, task["id"], "ERROR-SPEC-10", errorMessage=message).status_code == 204
    assert fetch(api) == []
    assert open_elements(api, pi) == ["afterBpmnError"]
    assert instance(api, pi)["variables"] == {"errorMessageVariable": message}


# -- fetch filters ----------------------------------------------------------------------------------
def _start_with_key(api: Api, key: str, business_key: str) -> str:
    record = api.app.extensions["inburgering"].workflow.start(
        key, business_key=business_key, gemeente=None, variables={}, actor="test"
    )
    return str(record.id)


def _fetch_topics(api: Api, max_tasks: int, *topics: dict[str, Any]) -> list[dict[str, Any]]:
    body = {"workerId": "externalWorkerId", "maxTasks": max_tasks, "topics": list(topics)}
    response = api.post("/external-tasks/fetch-and-lock", "sys", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("field", ["processDefinitionKey", "processDefinitionKeyIn"])
def test_fetch_by_process_definition_key(api: Api, field: str) -> None:
    """ExternalTaskServiceTest.testFetchByProcessDefinitionKey, .testFetchByProcessDefinitionKeyIn"""
    deploy(api, "oneExternalTaskProcess", "externalTaskPriorityProcess")
    start(api, "oneExternalTaskProcess")
    start(api, "twoExternalTaskWithPriorityProcess")
    value: Any = "twoExternalTaskWithPriorityProcess"
    topic = {
        "topicName": "externalTaskTopic",
        "lockDuration": LOCK_TIME,
        field: value if field.endswith("Key") else [value],
    }
    tasks = _fetch_topics(api, 1, topic)
    assert [t["processDefinitionKey"] for t in tasks] == ["twoExternalTaskWithPriorityProcess"]


def test_query_by_business_key(api: Api) -> None:
    """ExternalTaskServiceTest.testQueryByBusinessKey"""
    deploy(api, "ExternalTaskServiceTest.testFetchMultipleTopics")
    first = _start_with_key(api, "parallelExternalTaskProcess", "testBusinessKey1")
    second = _start_with_key(api, "parallelExternalTaskProcess", "testBusinessKey2")
    lock = 60_000
    tasks = _fetch_topics(
        api,
        3,
        {"topicName": "topic1", "lockDuration": lock, "businessKey": "testBusinessKey1"},
        {"topicName": "topic2", "lockDuration": lock, "businessKey": "testBusinessKey2"},
        {"topicName": "topic3", "lockDuration": lock, "businessKey": "fakeBusinessKey"},
    )
    assert sorted((t["topicName"], t["processInstanceId"], t["businessKey"]) for t in tasks) == [
        ("topic1", first, "testBusinessKey1"),
        ("topic2", second, "testBusinessKey2"),
    ]


def test_query_by_business_key_locking(api: Api) -> None:
    """ExternalTaskServiceTest.testQueryByBusinessKeyLocking"""
    deploy(api, "ExternalTaskServiceTest.testFetchMultipleTopics")
    _start_with_key(api, "parallelExternalTaskProcess", "testBusinessKey1")
    _start_with_key(api, "parallelExternalTaskProcess", "testBusinessKey2")
    lock = 60_000
    locked = _fetch_topics(
        api,
        3,
        {"topicName": "topic1", "lockDuration": lock, "businessKey": "testBusinessKey1"},
        {"topicName": "topic2", "lockDuration": lock, "businessKey": "testBusinessKey2"},
        {"topicName": "topic3", "lockDuration": lock, "businessKey": "fakeBusinessKey"},
    )
    again = _fetch_topics(
        api,
        3,
        {"topicName": "topic1", "lockDuration": lock, "businessKey": "testBusinessKey1"},
        {"topicName": "topic2", "lockDuration": 2 * lock, "businessKey": "testBusinessKey2"},
        {"topicName": "topic3", "lockDuration": 2 * lock, "businessKey": "testBusinessKey1"},
    )
    assert len(locked) == 2
    assert [(t["topicName"], t["businessKey"]) for t in again] == [("topic3", "testBusinessKey1")]

"""Camunda 7's external task tests, ported to our HTTP API: each test names the Camunda test it comes from.

Source: camunda/camunda-bpm-platform,
``engine/src/test/java/org/camunda/bpm/engine/test/api/externaltask/ExternalTaskServiceTest.java`` and
its resources (``resources/externaltask/``, unchanged). Camunda's ``ClockUtil.setCurrentTime`` is our
``ManualClock``: nothing sleeps. Every test runs on SQLite and PostgreSQL; the competing-workers test
needs PostgreSQL's concurrency and runs there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from engine.clock import ManualClock
from tests.api.conftest import Api, make_api
from tests.timing import patience

RESOURCES = Path(__file__).parent / "resources" / "externaltask"
WORKER_ID = "aWorkerId"
TOPIC_NAME = "externalTaskTopic"
LOCK_TIME = 10_000  # ms, as Camunda's test
ERROR_MESSAGE = "error message"


@pytest.fixture
def api(db: Engine, clock: ManualClock) -> Iterator[Api]:
    yield make_api(db, clock)


def deploy(api: Api, *names: str) -> None:
    for name in names:
        response = api.post(
            "/process-definitions",
            "bh",
            data=(RESOURCES / f"{name}.bpmn20.xml").read_bytes(),
            content_type="application/xml",
        )
        assert response.status_code in (200, 201), response.get_json()


def start(api: Api, key: str, variables: dict[str, Any] | None = None) -> str:
    record = api.app.extensions["inburgering"].workflow.start(
        key, business_key=None, gemeente=None, variables=variables or {}, actor="test"
    )
    return str(record.id)


def fetch(
    api: Api, max_tasks: int = 1, worker: str = WORKER_ID, *topics: tuple[str, int], **extra: Any
) -> list[dict[str, Any]]:
    body = {
        "workerId": worker,
        "maxTasks": max_tasks,
        "topics": [
            {"topicName": name, "lockDuration": lock} for name, lock in (topics or [(TOPIC_NAME, LOCK_TIME)])
        ],
        **extra,
    }
    response = api.post("/external-tasks/fetch-and-lock", "sys", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def complete(api: Api, task_id: str, worker: str = WORKER_ID, variables: dict | None = None) -> Any:
    return api.post(
        f"/external-tasks/{task_id}/complete", "sys", json={"workerId": worker, "variables": variables or {}}
    )


def failure(api: Api, task_id: str, retries: int, retry_timeout: int, worker: str = WORKER_ID) -> Any:
    return api.post(
        f"/external-tasks/{task_id}/failure",
        "sys",
        json={
            "workerId": worker,
            "errorMessage": ERROR_MESSAGE,
            "retries": retries,
            "retryTimeout": retry_timeout,
        },
    )


def status(api: Api, instance_id: str) -> str:
    return str(api.get(f"/process-instances/{instance_id}", "bh").get_json()["status"])


def iso(value: Any) -> str:
    return value.astimezone().strftime("%Y-%m-%dT%H:%M:%S")


def test_fetch(api: Api, clock: ManualClock) -> None:
    """ExternalTaskServiceTest.testFetch"""
    deploy(api, "oneExternalTaskProcess")
    instance = start(api, "oneExternalTaskProcess")
    (task,) = fetch(api)
    assert task["id"]
    assert task["processInstanceId"] == instance
    assert task["activityId"] == "externalTask"
    assert task["processDefinitionKey"] == "oneExternalTaskProcess"
    assert task["topicName"] == TOPIC_NAME
    assert task["lockExpirationTime"] == (clock.now() + timedelta(milliseconds=LOCK_TIME)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert task["workerId"] == WORKER_ID
    assert status(api, instance) == "active"


def test_fetch_topic_selection(api: Api) -> None:
    """ExternalTaskServiceTest.testFetchTopicSelection"""
    deploy(api, "ExternalTaskServiceTest.testFetchTopicSelection")
    start(api, "twoTopicsProcess")
    topic1 = fetch(api, 5, WORKER_ID, ("topic1", LOCK_TIME))
    topic2 = fetch(api, 5, WORKER_ID, ("topic2", LOCK_TIME))
    assert [t["topicName"] for t in topic1] == ["topic1"]
    assert [t["topicName"] for t in topic2] == ["topic2"]


def test_fetch_less_tasks_than_exist(api: Api) -> None:
    """ExternalTaskServiceTest.testFetchLessTasksThanExist"""
    deploy(api, "oneExternalTaskProcess")
    for _ in range(10):
        start(api, "oneExternalTaskProcess")
    assert len(fetch(api, 5)) == 5


def test_fetch_multiple_topics_max_tasks(api: Api) -> None:
    """ExternalTaskServiceTest.testFetchMultipleTopicsMaxTasks"""
    deploy(api, "ExternalTaskServiceTest.testFetchMultipleTopics")
    for _ in range(10):
        start(api, "parallelExternalTaskProcess")
    tasks = fetch(api, 5, WORKER_ID, ("topic1", LOCK_TIME), ("topic2", LOCK_TIME), ("topic3", LOCK_TIME))
    assert len(tasks) == 5


def test_fetch_with_priority_ordering(api: Api) -> None:
    """ExternalTaskServiceTest.testFetchWithPriority / testFetchProcessWithPriority: usePriority orders
    by priority (the process's camunda:taskPriority is the default)"""
    deploy(api, "externalTaskPriorityProcess")
    start(api, "twoExternalTaskWithPriorityProcess")
    tasks = fetch(api, 2, WORKER_ID, (TOPIC_NAME, LOCK_TIME), usePriority=True)
    assert [t["priority"] for t in tasks] == [9, 7]
    assert [t["activityId"] for t in tasks] == ["externalTaskWithoutPrio", "externalTaskWithPrio"]


def test_fetch_variables(api: Api) -> None:
    """ExternalTaskServiceTest.testFetchVariables: only the asked variables, as typed values"""
    deploy(api, "oneExternalTaskProcess")
    start(api, "oneExternalTaskProcess", {"processVar1": 42, "processVar2": 43})
    body = {
        "workerId": WORKER_ID,
        "maxTasks": 1,
        "topics": [{"topicName": TOPIC_NAME, "lockDuration": LOCK_TIME, "variables": ["processVar1"]}],
    }
    (task,) = api.post("/external-tasks/fetch-and-lock", "sys", json=body).get_json()
    assert task["variables"] == {"processVar1": {"value": 42, "type": "Integer", "valueInfo": {}}}


def test_complete(api: Api) -> None:
    """ExternalTaskServiceTest.testComplete"""
    deploy(api, "twoExternalTaskProcess")
    instance = start(api, "twoExternalTaskProcess")
    (task,) = fetch(api)
    assert complete(api, task["id"]).status_code == 204
    detail = api.get(f"/process-instances/{instance}", "bh").get_json()
    assert detail["activeElements"] == ["afterExternalTask"]
    assert [t["elementId"] for t in detail["openTasks"]] == ["afterExternalTask"]
    assert fetch(api) == []


def test_complete_with_variables(api: Api) -> None:
    """ExternalTaskServiceTest.testCompleteWithVariables"""
    deploy(api, "twoExternalTaskProcess")
    instance = start(api, "twoExternalTaskProcess")
    (task,) = fetch(api)
    response = complete(api, task["id"], variables={"var": {"value": 42, "type": "Integer"}})
    assert response.status_code == 204, response.get_json()
    assert api.get(f"/process-instances/{instance}", "bh").get_json()["variables"]["var"] == 42


def test_complete_with_wrong_worker_id(api: Api) -> None:
    """ExternalTaskServiceTest.testCompleteWithWrongWorkerId"""
    deploy(api, "oneExternalTaskProcess")
    instance = start(api, "oneExternalTaskProcess")
    (task,) = fetch(api)
    response = complete(api, task["id"], worker="someCrazyWorkerId")
    assert response.status_code == 409
    assert "cannot be completed by worker 'someCrazyWorkerId'" in response.get_json()["detail"]
    assert status(api, instance) == "active"


def test_complete_non_existing_task(api: Api) -> None:
    """ExternalTaskServiceTest.testCompleteNonExistingTask"""
    assert complete(api, "nonExistingTaskId").status_code == 404


def test_locking(api: Api, clock: ManualClock) -> None:
    """ExternalTaskServiceTest.testLocking: a locked task is not fetched again until its lock expires"""
    deploy(api, "oneExternalTaskProcess")
    start(api, "oneExternalTaskProcess")
    assert len(fetch(api)) == 1
    assert fetch(api) == []
    clock.advance(timedelta(milliseconds=LOCK_TIME * 2))
    assert len(fetch(api)) == 1


def test_complete_lock_expired_task(api: Api, clock: ManualClock) -> None:
    """ExternalTaskServiceTest.testCompleteLockExpiredTask"""
    deploy(api, "oneExternalTaskProcess")
    instance = start(api, "oneExternalTaskProcess")
    (task,) = fetch(api)
    clock.advance(timedelta(milliseconds=LOCK_TIME * 2))
    assert complete(api, task["id"]).status_code == 204
    assert fetch(api) == []
    assert status(api, instance) == "completed"


def test_complete_reclaimed_lock_expired_task(api: Api, clock: ManualClock) -> None:
    """ExternalTaskServiceTest.testCompleteReclaimedLockExpiredTask"""
    deploy(api, "oneExternalTaskProcess")
    instance = start(api, "oneExternalTaskProcess")
    (task,) = fetch(api)
    clock.advance(timedelta(milliseconds=LOCK_TIME * 2))
    (reclaimed,) = fetch(api, 1, "anotherWorkerId")
    response = complete(api, task["id"])
    assert response.status_code == 409
    assert (
        f"cannot be completed by worker '{WORKER_ID}'. It is locked by worker 'anotherWorkerId'."
        in response.get_json()["detail"]
    )
    assert complete(api, reclaimed["id"], worker="anotherWorkerId").status_code == 204
    assert fetch(api) == []
    assert status(api, instance) == "completed"


def test_handle_failure(api: Api, clock: ManualClock) -> None:
    """ExternalTaskServiceTest.testHandleFailure"""
    deploy(api, "oneExternalTaskProcess")
    start(api, "oneExternalTaskProcess")
    (task,) = fetch(api, 5)
    clock.advance(timedelta(milliseconds=3000))
    assert failure(api, task["id"], 5, 3000).status_code == 204
    assert fetch(api, 5) == []
    assert api.get("/incidents", "bh").get_json()["total"] == 0
    clock.advance(timedelta(milliseconds=4000))
    (again,) = fetch(api, 5)
    assert again["errorMessage"] == ERROR_MESSAGE
    assert again["retries"] == 5


def test_handle_failure_zero_retries(api: Api, clock: ManualClock) -> None:
    """ExternalTaskServiceTest.testHandleFailureZeroRetries: no retries left opens an incident"""
    deploy(api, "oneExternalTaskProcess")
    instance = start(api, "oneExternalTaskProcess")
    (task,) = fetch(api, 5)
    clock.advance(timedelta(milliseconds=3000))
    assert failure(api, task["id"], 0, 3000).status_code == 204
    clock.advance(timedelta(milliseconds=4000))
    assert fetch(api, 5) == []
    (incident,) = api.get("/incidents", "bh").get_json()["items"]
    assert incident["kind"] == "external-task"
    assert ERROR_MESSAGE in incident["message"]
    assert incident["elementId"] == "externalTask"
    assert incident["processInstanceId"] == instance
    assert incident["subjectId"] == task["id"]
    assert incident["status"] == "open"


def test_set_retries_resolves_failure_incident(api: Api, clock: ManualClock) -> None:
    """ExternalTaskServiceTest.testSetRetriesResolvesFailureIncident: here the incident's retry"""
    deploy(api, "oneExternalTaskProcess")
    instance = start(api, "oneExternalTaskProcess")
    (task,) = fetch(api, 5)
    failure(api, task["id"], 0, 0)
    (incident,) = api.get("/incidents", "bh").get_json()["items"]
    assert api.post(f"/incidents/{incident['id']}/retry", "bh").status_code == 200
    (again,) = fetch(api, 5)
    assert again["retries"] == 1
    assert complete(api, again["id"]).status_code == 204
    assert status(api, instance) == "completed"


def test_handle_failure_then_complete(api: Api) -> None:
    """ExternalTaskServiceTest.testHandleFailureThenComplete"""
    deploy(api, "oneExternalTaskProcess")
    instance = start(api, "oneExternalTaskProcess")
    (task,) = fetch(api, 5)
    failure(api, task["id"], 5, 3000)
    assert complete(api, task["id"]).status_code == 204
    assert status(api, instance) == "completed"


def test_handle_failure_with_wrong_worker_id(api: Api) -> None:
    """ExternalTaskServiceTest.testHandleFailureWithWrongWorkerId"""
    deploy(api, "oneExternalTaskProcess")
    start(api, "oneExternalTaskProcess")
    (task,) = fetch(api, 5)
    response = failure(api, task["id"], 5, LOCK_TIME, worker="someCrazyWorkerId")
    assert response.status_code == 409
    assert "cannot be failed by worker 'someCrazyWorkerId'" in response.get_json()["detail"]


def test_handle_failure_non_existing_task(api: Api) -> None:
    """ExternalTaskServiceTest.testHandleFailureNonExistingTask"""
    assert failure(api, "nonExistingTaskId", 5, LOCK_TIME).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"maxTasks": 1, "topics": [{"topicName": TOPIC_NAME, "lockDuration": LOCK_TIME}]}, "workerId"),
        (
            {"workerId": WORKER_ID, "maxTasks": -5, "topics": [{"topicName": "t", "lockDuration": 1}]},
            "maxTasks",
        ),
        (
            {"workerId": WORKER_ID, "maxTasks": 1, "topics": [{"topicName": "t", "lockDuration": -1}]},
            "topics.0.lockDuration",
        ),
        (
            {"workerId": WORKER_ID, "maxTasks": 1, "topics": [{"topicName": "t", "lockDuration": 0}]},
            "topics.0.lockDuration",
        ),
        ({"workerId": WORKER_ID, "maxTasks": 1, "topics": [{"lockDuration": 1}]}, "topics.0.topicName"),
        ({"workerId": WORKER_ID, "maxTasks": 1, "topics": []}, "topics"),
    ],
)
def test_fetch_refuses_bad_requests(api: Api, body: dict, field: str) -> None:
    """ExternalTaskServiceTest.testFetchNullWorkerId, testFetchNegativeNumberOfTasks,
    testFetchNegativeLockTime, testFetchZeroLockTime, testFetchWithoutTopicName, testFetchNoTopics"""
    deploy(api, "oneExternalTaskProcess")
    start(api, "oneExternalTaskProcess")
    response = api.post("/external-tasks/fetch-and-lock", "sys", json=body)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.get_json()["errors"]]
    assert len(fetch(api)) == 1  # nothing was locked by the refused request


def test_handle_failure_negative_retries(api: Api) -> None:
    """ExternalTaskServiceTest.testHandleFailureNegativeRetries"""
    deploy(api, "oneExternalTaskProcess")
    start(api, "oneExternalTaskProcess")
    (task,) = fetch(api)
    response = failure(api, task["id"], -5, LOCK_TIME)
    assert response.status_code == 422
    assert "retries" in [e["field"] for e in response.get_json()["errors"]]


def test_cancel_external_task_with_boundary_event(api: Api) -> None:
    """ExternalTaskServiceTest.testCancelExternalTaskWithBoundaryEvent"""
    deploy(api, "ExternalTaskServiceTest.testCancelExternalTaskWithBoundaryEvent")
    record = api.app.extensions["inburgering"].workflow.start(
        "boundaryExternalTaskProcess", business_key="B-1", gemeente=None, variables={}, actor="test"
    )
    assert len(fetch(api, 5)) == 1
    response = api.post("/messages", "sys", json={"messageName": "Message", "businessKey": "B-1"})
    assert response.status_code == 200, response.get_json()
    assert fetch(api, 5) == []
    (open_task,) = api.get(f"/process-instances/{record.id}", "bh").get_json()["openTasks"]
    assert open_task["elementId"] == "afterBoundaryTask"


def test_extend_lock_time(api: Api, clock: ManualClock) -> None:
    """ExternalTaskServiceTest.testExtendLockTime"""
    deploy(api, "oneExternalTaskProcess")
    start(api, "oneExternalTaskProcess")
    (task,) = fetch(api)
    clock.advance(timedelta(seconds=1))
    response = api.post(
        f"/external-tasks/{task['id']}/extend-lock",
        "sys",
        json={"workerId": WORKER_ID, "newDuration": LOCK_TIME},
    )
    assert response.status_code == 204
    clock.advance(timedelta(milliseconds=LOCK_TIME - 500))  # past the first lock, inside the new one
    assert fetch(api, 1, "anotherWorkerId") == []
    clock.advance(timedelta(milliseconds=600))
    assert len(fetch(api, 1, "anotherWorkerId")) == 1


def test_extend_lock_time_that_expired(api: Api, clock: ManualClock) -> None:
    """ExternalTaskServiceTest.testExtendLockTimeThatExpired"""
    deploy(api, "oneExternalTaskProcess")
    start(api, "oneExternalTaskProcess")
    (task,) = fetch(api, 1, WORKER_ID, (TOPIC_NAME, 1))
    clock.advance(timedelta(milliseconds=2))
    response = api.post(
        f"/external-tasks/{task['id']}/extend-lock", "sys", json={"workerId": WORKER_ID, "newDuration": 100}
    )
    assert response.status_code == 409
    assert "Cannot extend a lock that expired" in response.get_json()["detail"]


def test_extend_lock_time_without_lock(api: Api) -> None:
    """ExternalTaskServiceTest.testExtendLockTimeWithoutLock"""
    deploy(api, "oneExternalTaskProcess")
    instance = start(api, "oneExternalTaskProcess")
    with api.db.connect() as conn:
        from storage.external_task_store import tasks_for_instances

        (task,) = tasks_for_instances(conn, [instance])
    response = api.post(
        f"/external-tasks/{task.id}/extend-lock", "sys", json={"workerId": WORKER_ID, "newDuration": 100}
    )
    assert response.status_code == 409
    assert (
        f"The lock of the External Task {task.id} cannot be extended by worker '{WORKER_ID}'"
        in (response.get_json()["detail"])
    )


def test_extend_lock_time_with_different_worker_id(api: Api) -> None:
    """ExternalTaskServiceTest.testExtendLockTimeWithDifferentWorkerId"""
    deploy(api, "oneExternalTaskProcess")
    start(api, "oneExternalTaskProcess")
    (task,) = fetch(api)
    response = api.post(
        f"/external-tasks/{task['id']}/extend-lock",
        "sys",
        json={"workerId": "anAnotherWorkerId", "newDuration": 100},
    )
    assert response.status_code == 409


@pytest.mark.parametrize("who", ["km", "cm", "po", "bh"])
def test_only_systeem_uses_the_external_task_api(api: Api, who: str) -> None:
    """Not from Camunda: the contract gives the external task API to the systeem role only."""
    body = {"workerId": WORKER_ID, "maxTasks": 1, "topics": [{"topicName": TOPIC_NAME, "lockDuration": 1}]}
    assert api.post("/external-tasks/fetch-and-lock", who, json=body).status_code == 403


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_competing_workers_each_task_locked_by_exactly_one(db: Engine, clock: ManualClock) -> None:
    """Not from Camunda (its ExternalTaskConcurrency tests need its job executor): eight workers
    fetch at once on PostgreSQL; every task is locked by exactly one of them."""
    api = make_api(db, clock)
    deploy(api, "oneExternalTaskProcess")
    for _ in range(40):
        start(api, "oneExternalTaskProcess")
    workflow = api.app.extensions["inburgering"].workflow
    from storage.external_task_service import FetchTopic

    barrier = threading.Barrier(8)
    got: dict[str, list[str]] = {}
    errors: list[BaseException] = []

    def work(worker: str) -> None:
        try:
            barrier.wait()
            mine: list[str] = []
            while True:
                locked = workflow.fetch_and_lock(
                    worker_id=worker, max_tasks=3, topics=[FetchTopic(TOPIC_NAME, timedelta(minutes=5))]
                )
                if not locked:
                    break
                mine.extend(item.task.id for item in locked)
            got[worker] = mine
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=patience(60))
    assert not errors, errors
    every = [task_id for ids in got.values() for task_id in ids]
    assert len(every) == 40
    assert len(set(every)) == 40


def test_compat_document_request_runs_its_send_tasks_as_external_tasks() -> None:
    """The corpus's DocumentRequest.bpmn (manifest: "rejected clearly, or run as external tasks"):
    its two ``SendMail`` send tasks wait for a worker; completing them runs the process on."""
    from engine.definition import SpecLibrary
    from engine.runtime import Runtime
    from tests.conftest import FIXTURES

    library = SpecLibrary()
    library.add_document("DocumentRequest.bpmn", (FIXTURES / "compat" / "DocumentRequest.bpmn").read_bytes())
    runtime = Runtime(library, ManualClock())
    result = runtime.start("DocumentRequest", business_key="B-1")
    (task,) = result.external_tasks
    assert (task.element_id, task.topic) == ("SendTaskRequestDocuments", "SendMail")
    result = runtime.complete_external_task(result.state, task.id, {})
    assert result.external_tasks == ()
    assert [w.message_name for w in result.message_waits] == ["MSG_DOCUMENT_RECEIVED"]

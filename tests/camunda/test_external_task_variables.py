"""What a worker's fetch-and-lock returns: the variables visible at the task, or only its local ones.

Ported from ``ExternalTaskServiceTest`` (``testFetchVariables``, ``testFetchAllVariables``,
``testFetchWithEmptyListOfVariables``, ``testFetchOnlyLocalVariables``,
``testFetchNonExistingLocalVariables``) with their resources unchanged. Camunda's ``unlock`` between
two fetches is the lock running out on our manual clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from engine.clock import ManualClock
from tests.api.conftest import Api, make_api
from tests.camunda.test_external_tasks import LOCK_TIME, TOPIC_NAME, deploy, fetch, start


@pytest.fixture
def api(db: Engine, clock: ManualClock) -> Iterator[Api]:
    yield make_api(db, clock)


def _values(task: dict) -> dict:
    return {name: typed["value"] for name, typed in task["variables"].items()}


def _topic(**extra: object) -> dict:
    return {"topics": [{"topicName": TOPIC_NAME, "lockDuration": LOCK_TIME, **extra}]}


def test_fetch_variables_of_every_scope(api: Api) -> None:
    """ExternalTaskServiceTest.testFetchVariables: the process's, the sub-process's input and the task's input"""
    deploy(api, "ExternalTaskServiceTest.testFetchVariables")
    start(api, "subProcessExternalTask", {"processVar1": 42, "processVar2": 43})
    body = _topic(variables=["processVar1", "subProcessVar", "taskVar"])
    (task,) = fetch(api, 1, "aWorkerId", **{"topics": body["topics"]})
    assert _values(task) == {"processVar1": 42, "subProcessVar": 44, "taskVar": 45}


def test_fetch_all_variables(api: Api) -> None:
    """ExternalTaskServiceTest.testFetchAllVariables (verifyVariables: the four of them)"""
    deploy(api, "ExternalTaskServiceTest.testFetchVariables")
    start(api, "subProcessExternalTask", {"processVar1": 42, "processVar2": 43})
    (task,) = fetch(api, 1, "aWorkerId", **_topic())
    assert _values(task) == {"processVar1": 42, "processVar2": 43, "subProcessVar": 44, "taskVar": 45}


def test_fetch_with_empty_list_of_variables(api: Api) -> None:
    """ExternalTaskServiceTest.testFetchWithEmptyListOfVariables"""
    deploy(api, "ExternalTaskServiceTest.testFetchVariables")
    start(api, "subProcessExternalTask", {"processVar1": 42, "processVar2": 43})
    (task,) = fetch(api, 5, "aWorkerId", **_topic(variables=[]))
    assert task["variables"] == {}


def test_fetch_only_local_variables(api: Api, clock: ManualClock) -> None:
    """ExternalTaskServiceTest.testFetchOnlyLocalVariables"""
    deploy(api, "ExternalTaskVariablesTest.testExternalTaskVariablesLocal")
    start(api, "oneExternalTaskProcess", {"globalVar": "globalVal"})
    (task,) = fetch(api, 10, "workerId", **{"topics": [{"topicName": "testTopic", "lockDuration": 60000}]})
    assert _values(task) == {"globalVar": "globalVal", "localVar": "localVal"}

    clock.advance(timedelta(minutes=2))  # Camunda unlocks the task here
    topic = {"topicName": "testTopic", "lockDuration": 60000, "variables": ["globalVar", "localVar"]}
    (task,) = fetch(api, 10, "workerId", **{"topics": [{**topic, "localVariables": True}]})
    assert _values(task) == {"localVar": "localVal"}


def test_fetch_non_existing_local_variables(api: Api) -> None:
    """ExternalTaskServiceTest.testFetchNonExistingLocalVariables"""
    deploy(api, "ExternalTaskVariablesTest.testExternalTaskVariablesLocal")
    start(api, "oneExternalTaskProcess", {"globalVar": "globalVal"})
    topic = {
        "topicName": "testTopic",
        "lockDuration": 60000,
        "variables": ["globalVar", "nonExistingLocalVar"],
    }
    (task,) = fetch(api, 10, "workerId", **{"topics": [{**topic, "localVariables": True}]})
    assert task["variables"] == {}


def test_local_variables_of_a_task_without_input_parameters(api: Api) -> None:
    """A task without input parameters has no variables of its own: ``localVariables`` gives none"""
    deploy(api, "oneExternalTaskProcess")
    start(api, "oneExternalTaskProcess", {"globalVar": "globalVal"})
    (task,) = fetch(api, 1, "aWorkerId", **_topic(localVariables=True))
    assert task["variables"] == {}

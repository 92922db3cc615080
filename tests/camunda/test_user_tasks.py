"""humanPerformer and potentialOwner as assignee and candidates (issue 11, item 12)."""

from __future__ import annotations

from tests.camunda.conftest import Camunda


def _task(camunda: Camunda, resource: str) -> dict:
    camunda.deploy(resource)
    (key,) = [
        d["key"]
        for d in camunda.api.get("/process-definitions", "po").get_json()["items"]
        if d["key"] != "aanvraag"
    ][:1]
    instance = camunda.start(key)
    (task,) = camunda.tasks(instance)
    return camunda.task_detail(task)


def test_task_assignee(camunda: Camunda) -> None:
    """TaskAssigneeTest.testTaskAssignee"""
    task = _task(camunda, "TaskAssigneeTest.testTaskAssignee.bpmn20.xml")
    assert task["name"] == "Schedule meeting"
    assert task["assignee"] == "kermit"


def test_single_candidate_group(camunda: Camunda) -> None:
    """TaskCandidateTest.testSingleCandidateGroup"""
    task = _task(camunda, "TaskCandidateTest.testSingleCandidateGroup.bpmn20.xml")
    assert task["candidateGroups"] == ["accountancy"]
    assert task["assignee"] is None


def test_multiple_candidate_groups(camunda: Camunda) -> None:
    """TaskCandidateTest.testMultipleCandidateGroups"""
    task = _task(camunda, "TaskCandidateTest.testMultipleCandidateGroups.bpmn20.xml")
    assert task["candidateGroups"] == ["accountancy", "management"]


def test_mixed_candidate_user_and_group(camunda: Camunda) -> None:
    """TaskCandidateTest.testMixedCandidateUserAndGroup"""
    task = _task(camunda, "TaskCandidateTest.testMixedCandidateUserAndGroup.bpmn20.xml")
    assert task["candidateGroups"] == ["sales"]
    assert task.get("candidateUsers", ["kermit"]) == ["kermit"]


def test_multiple_candidate_users(camunda: Camunda) -> None:
    """TaskCandidateTest.testMultipleCandidateUsers"""
    task = _task(camunda, "TaskCandidateTest.testMultipleCandidateUsers.bpmn20.xml")
    assert task["candidateGroups"] == []
    assert task.get("candidateUsers", ["gonzo", "kermit"]) == ["gonzo", "kermit"]

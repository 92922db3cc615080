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
    assert task["candidateUsers"] == ["kermit"]


def test_multiple_candidate_users(camunda: Camunda) -> None:
    """TaskCandidateTest.testMultipleCandidateUsers"""
    task = _task(camunda, "TaskCandidateTest.testMultipleCandidateUsers.bpmn20.xml")
    assert task["candidateGroups"] == []
    assert sorted(task["candidateUsers"]) == ["gonzo", "kermit"]


def _started_task(camunda: Camunda, resource: str, key: str, variables: dict | None = None) -> dict:
    camunda.deploy(resource)
    instance = camunda.start(key, variables or {})
    (task,) = camunda.tasks(instance)
    return camunda.task_detail(task)


def test_assignee_extension(camunda: Camunda) -> None:
    """TaskAssignmentExtensionsTest.testAssigneeExtension"""
    task = _started_task(
        camunda, "TaskAssignmentExtensionsTest.testAssigneeExtension.bpmn20.xml", "assigneeExtension"
    )
    assert task["assignee"] == "kermit"
    assert task["name"] == "my task"


def test_candidate_users_extension(camunda: Camunda) -> None:
    """TaskAssignmentExtensionsTest.testCandidateUsersExtension"""
    task = _started_task(
        camunda,
        "TaskAssignmentExtensionsTest.testCandidateUsersExtension.bpmn20.xml",
        "candidateUsersExtension",
    )
    assert sorted(task["candidateUsers"]) == ["gonzo", "kermit"]


def test_candidate_groups_extension(camunda: Camunda) -> None:
    """TaskAssignmentExtensionsTest.testCandidateGroupsExtension"""
    task = _started_task(
        camunda,
        "TaskAssignmentExtensionsTest.testCandidateGroupsExtension.bpmn20.xml",
        "candidateGroupsExtension",
    )
    assert task["name"] == "make profit"
    assert sorted(task["candidateGroups"]) == ["accountancy", "management"]
    for group in ("management", "accountancy"):
        listed = camunda.api.get(f"/tasks?candidateGroup={group}", "bh").get_json()["items"]
        assert [t["id"] for t in listed] == [task["id"]]


def test_mixed_candidate_user_definition(camunda: Camunda) -> None:
    """TaskAssignmentExtensionsTest.testMixedCandidateUserDefinition"""
    task = _started_task(
        camunda,
        "TaskAssignmentExtensionsTest.testMixedCandidateUserDefinition.bpmn20.xml",
        "mixedCandidateUser",
    )
    assert sorted(task["candidateUsers"]) == ["fozzie", "gonzo", "kermit"]  # the attribute and potentialOwner
    assert "mispiggy" not in task["candidateUsers"]


def test_due_date_extension(camunda: Camunda) -> None:
    """TaskDueDateExtensionsTest.testDueDateExtension (a date variable)"""
    task = _started_task(
        camunda,
        "TaskDueDateExtensionsTest.testDueDateExtension.bpmn20.xml",
        "dueDateExtension",
        {"dateVariable": "1986-07-06T12:10:00Z"},
    )
    assert task["dueAt"] == "1986-07-06T12:10:00Z"


def test_due_date_string_extension(camunda: Camunda) -> None:
    """TaskDueDateExtensionsTest.testDueDateStringExtension (a date-time text)"""
    task = _started_task(
        camunda,
        "TaskDueDateExtensionsTest.testDueDateStringExtension.bpmn20.xml",
        "dueDateExtension",
        {"dateVariable": "1986-07-06T12:10:00+02:00"},
    )
    assert task["dueAt"] == "1986-07-06T10:10:00Z"


def test_relative_due_date(camunda: Camunda) -> None:
    """TaskDueDateExtensionsTest.testRelativeDueDate"""
    task = _started_task(
        camunda,
        "TaskDueDateExtensionsTest.testRelativeDueDate.bpmn20.xml",
        "dueDateExtension",
        {"dateVariable": "P2DT2H30M"},
    )
    assert task["createdAt"] == "2027-01-04T09:00:00Z"
    assert task["dueAt"] == "2027-01-06T11:30:00Z"  # two days, two hours and thirty minutes later


def test_user_task_follow_up_date(camunda: Camunda) -> None:
    """TaskFollowUpDateExtensionsTest.testUserTaskFollowUpDateExtension, ...StringExtension, ...RelativeFollowUpDate"""
    resource = "TaskFollowUpDateExtensionsTest.testUserTaskFollowUpDate.bpmn20.xml"
    camunda.deploy(resource)
    for value, expected in (
        ("2015-01-01T12:10:00Z", "2015-01-01T12:10:00Z"),
        ("2015-01-01T12:10:00+01:00", "2015-01-01T11:10:00Z"),
        ("P2DT2H30M", "2027-01-06T11:30:00Z"),
    ):
        instance = camunda.start("process", {"dateVariable": value})
        (task,) = camunda.tasks(instance)
        assert camunda.task_detail(task)["followUpAt"] == expected


def test_priority_extension(camunda: Camunda) -> None:
    """TaskPriorityExtensionsTest.testPriorityExtension"""
    camunda.deploy("TaskPriorityExtensionsTest.testPriorityExtension.bpmn20.xml")
    for priority in (25, 75):
        instance = camunda.start("taskPriorityExtension", {"taskPriority": priority})
        (task,) = camunda.tasks(instance)
        assert camunda.task_detail(task)["priority"] == priority


def test_priority_extension_string(camunda: Camunda) -> None:
    """TaskPriorityExtensionsTest.testPriorityExtensionString"""
    task = _started_task(
        camunda,
        "TaskPriorityExtensionsTest.testPriorityExtensionString.bpmn20.xml",
        "taskPriorityExtensionString",
    )
    assert task["priority"] == 42


def test_task_properties_not_null(camunda: Camunda) -> None:
    """UserTaskTest.testTaskPropertiesNotNull (the properties the task API shows)"""
    camunda.deploy("UserTaskTest.testTaskPropertiesNotNull.bpmn20.xml")
    instance = camunda.start("oneTaskProcess")
    (task,) = camunda.tasks(instance)
    task = camunda.task_detail(task)
    assert task["id"]
    assert task["name"] == "my task"
    assert task["priority"] > 0
    assert task["assignee"] == "kermit"
    assert task["processInstanceId"] == instance["id"]
    assert task["elementId"]
    assert task["createdAt"]


def test_simple_process(camunda: Camunda) -> None:
    """UserTaskTest.testSimpleProcess (potentialOwner groups; claim and complete)"""
    camunda.deploy("UserTaskTest.testSimpleProcess.bpmn20.xml")
    instance = camunda.start("financialReport")
    (task,) = camunda.tasks(instance)
    assert task["name"] == "Write monthly financial report"
    assert task["candidateGroups"] == ["accountancy"]
    instance = camunda.complete(instance, "Write monthly financial report")
    (task,) = instance["openTasks"]
    assert task["name"] == "Verify monthly financial report"
    assert task["candidateGroups"] == ["management"]
    assert camunda.complete(instance, task["elementId"])["status"] == "completed"


def test_complete_after_parallel_gateway_without_the_listener(camunda: Camunda) -> None:
    """UserTaskTest.testCompleteAfterParallelGateway (its Java task listener left out)"""
    import re

    from tests.camunda.conftest import RESOURCES

    text = (RESOURCES / "UserTaskTest.testCompleteAfterParallelGateway.bpmn20.xml").read_text(
        encoding="utf-8"
    )
    text, count = re.subn(
        r"<extensionElements>\s*<camunda:taskListener.*?</camunda:taskListener>\s*</extensionElements>",
        "",
        text,
        flags=re.DOTALL,
    )
    assert count == 1
    camunda.deploy(text.encode())
    instance = camunda.start("ForkProcess")
    assert len(instance["openTasks"]) == 2
    camunda.complete(instance, "SimpleUser")

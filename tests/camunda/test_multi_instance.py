"""Multi-instance activities as Camunda runs them (issue 11, item 8)."""

from __future__ import annotations

from tests.camunda.conftest import RESOURCES, Camunda

M = "MultiInstanceTest"


def _complete_task(camunda: Camunda, task: dict, variables: dict | None = None) -> None:
    if task.get("assignee"):
        camunda.api.post(f"/tasks/{task['id']}/unclaim", "bh")
    response = camunda.api.post(f"/tasks/{task['id']}/complete", "bh", json={"variables": variables or {}})
    assert response.status_code == 200, response.get_json()


def test_parallel_user_tasks(camunda: Camunda) -> None:
    """MultiInstanceTest.testParallelUserTasks"""
    camunda.deploy(f"{M}.testParallelUserTasks.bpmn20.xml")
    instance = camunda.start("miParallelUserTasks")
    tasks = sorted(camunda.tasks(instance), key=lambda t: t["name"])
    assert [t["name"] for t in tasks] == ["My Task 0", "My Task 1", "My Task 2"]
    assert [t["assignee"] for t in tasks] == ["kermit_0", "kermit_1", "kermit_2"]
    for task in tasks:
        _complete_task(camunda, task)
    assert camunda.status(instance) == "completed"


def test_sequential_user_tasks(camunda: Camunda) -> None:
    """MultiInstanceTest.testSequentialUserTasks"""
    camunda.deploy(f"{M}.sequentialUserTasks.bpmn20.xml")
    instance = camunda.start("miSequentialUserTasks", {"nrOfLoops": 3})
    for counter in range(3):
        (task,) = camunda.tasks(instance)
        assert task["name"] == "My Task"
        assert task["assignee"] == f"kermit_{counter}"
        _complete_task(camunda, task)
    assert camunda.status(instance) == "completed"


def test_parallel_user_tasks_based_on_collection(camunda: Camunda) -> None:
    """MultiInstanceTest.testParallelUserTasksBasedOnCollection"""
    camunda.deploy(f"{M}.testParallelUserTasksBasedOnCollection.bpmn20.xml")
    assignees = ["kermit", "gonzo", "mispiggy", "fozzie", "bubba"]
    instance = camunda.start("miParallelUserTasksBasedOnCollection", {"assigneeList": assignees})
    tasks = sorted(camunda.tasks(instance), key=lambda t: t["assignee"])
    assert [t["assignee"] for t in tasks] == sorted(assignees)
    for task in tasks[:3]:
        _complete_task(camunda, task)
    assert camunda.tasks(instance) == []
    assert camunda.status(instance) == "completed"


def test_empty_collection_in_mi(camunda: Camunda) -> None:
    """MultiInstanceTest.testEmptyCollectionInMI"""
    camunda.deploy(f"{M}.testParallelUserTasksBasedOnCollection.bpmn20.xml")
    instance = camunda.start("miParallelUserTasksBasedOnCollection", {"assigneeList": []})
    assert instance["status"] == "completed"


def test_parallel_user_tasks_custom_extensions(camunda: Camunda) -> None:
    """MultiInstanceTest.testParallelUserTasksCustomExtensions"""
    camunda.deploy(f"{M}.testParallelUserTasksCustomExtensions.bpmn20.xml")
    assignees = ["kermit", "gonzo", "fozzie"]
    instance = camunda.start("miSequentialUserTasks", {"assigneeList": assignees})
    for assignee in assignees:
        (task,) = camunda.tasks(instance)
        assert task["assignee"] == assignee
        _complete_task(camunda, task)
    assert camunda.status(instance) == "completed"


def test_parallel_user_tasks_completion_condition(camunda: Camunda) -> None:
    """MultiInstanceTest.testParallelUserTasksCompletionCondition"""
    camunda.deploy(f"{M}.testParallelUserTasksCompletionCondition.bpmn20.xml")
    instance = camunda.start("miParallelUserTasksCompletionCondition")
    tasks = camunda.tasks(instance)
    assert len(tasks) == 5
    for task in tasks[:3]:
        _complete_task(camunda, task)
    assert camunda.status(instance) == "completed"


def test_cardinality_above_the_cap_is_refused_at_start(camunda: Camunda) -> None:
    """MultiInstanceTest.testParallelUserTasks with a cardinality over the cap: 422 naming the activity"""
    body = (RESOURCES / f"{M}.testParallelUserTasks.bpmn20.xml").read_bytes().replace(b"${5-2}", b"${n}")
    camunda.deploy(body)
    response = camunda.start_response("miParallelUserTasks", {"n": 1001})
    assert response.status_code == 422
    assert "miTasks" in response.get_json()["detail"] and "1001 instances" in response.get_json()["detail"]
    assert camunda.start_response("miParallelUserTasks", {"n": 1000}).status_code == 201


def test_loop_variables_stay_with_the_instances(camunda: Camunda) -> None:
    """MultiInstanceTest.testParallelUserTasks: loopCounter and nrOf* are local to each instance"""
    camunda.deploy(f"{M}.testParallelUserTasks.bpmn20.xml")
    instance = camunda.start("miParallelUserTasks")
    for task in camunda.tasks(instance):
        _complete_task(camunda, task)
    variables = camunda.variables(instance)
    assert not {"loopCounter", "nrOfInstances", "nrOfActiveInstances", "nrOfCompletedInstances"} & set(
        variables
    )


def test_missing_collection_is_a_process_error_naming_it(camunda: Camunda) -> None:
    """MultiInstanceTest.testParallelUserTasksBasedOnCollection without assigneeList: 422, never a 500"""
    camunda.deploy(f"{M}.testParallelUserTasksBasedOnCollection.bpmn20.xml")
    response = camunda.start_response("miParallelUserTasksBasedOnCollection")
    assert response.status_code == 422
    assert "collection 'assigneeList' is missing" in response.get_json()["detail"]

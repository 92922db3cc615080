"""Non-interrupting message event sub-processes as Camunda runs them.

Ported from ``MessageEventSubprocessTest`` (``engine/src/test/java/org/camunda/bpm/engine/test/bpmn/``
``event/message/``), resources unchanged. Camunda's event subscriptions are our message waits;
``runtimeService.correlateMessage(name)`` is ``POST /messages``; ``messageEventReceived(name,
executionId)`` on each of several subscriptions is ``POST /messages`` with ``all: true``. Camunda's
activity instance tree is read from the instance's ``activeElements``.
"""

from __future__ import annotations

from typing import Any

from app import create_app
from tests.api.conftest import Api
from tests.camunda.conftest import Camunda

E = "MessageEventSubprocessTest"


def _waits(camunda: Camunda, instance: dict[str, Any]) -> list[str]:
    services = camunda.api.app.extensions["inburgering"]
    record = services.workflow.get(instance["id"])
    if record.status != "active":
        return []
    return sorted(w.message_name for w in services.workflow.runtime.describe(record.state).message_waits)


def _keys(camunda: Camunda, instance: dict[str, Any]) -> list[str]:
    return sorted(t["elementId"] for t in camunda.tasks(instance))


def _complete_all(camunda: Camunda, instance: dict[str, Any], element: str | None = None) -> dict[str, Any]:
    for task in camunda.tasks(instance):
        if element is None or element in (task["elementId"], task["name"]):
            response = camunda.api.post(f"/tasks/{task['id']}/complete", "bh", json={"variables": {}})
            assert response.status_code == 200, response.get_json()
    return camunda.instance(instance)


def _correlate_all(camunda: Camunda, message: str, instance: dict[str, Any]) -> dict[str, Any]:
    response = camunda.api.post(
        "/messages",
        "sys",
        json={"messageName": message, "businessKey": instance["businessKey"], "all": True},
    )
    assert response.status_code == 200, response.get_json()
    return camunda.instance(instance)


def test_non_interrupting_under_process_definition_scope(camunda: Camunda) -> None:
    """MessageEventSubprocessTest.testNonInterruptingUnderProcessDefinitionScope"""
    camunda.deploy(f"{E}.testNonInterruptingUnderProcessDefinitionScope.bpmn20.xml")
    instance = camunda.start("process")
    assert _waits(camunda, instance) == ["newMessage"]
    assert _keys(camunda, instance) == ["task"]
    instance = camunda.complete(instance, "task")
    assert instance["status"] == "completed"
    assert _waits(camunda, instance) == []

    instance = camunda.start("process")
    instance = camunda.correlate("newMessage", instance)
    assert len(camunda.tasks(instance)) == 2
    assert _waits(camunda, instance) == ["newMessage"]
    instance = camunda.complete(instance, "task")
    assert instance["status"] == "active"
    instance = camunda.complete(instance, "eventSubProcessTask")
    assert instance["status"] == "completed"

    instance = camunda.start("process")
    instance = camunda.correlate("newMessage", instance)
    assert len(camunda.tasks(instance)) == 2
    instance = camunda.complete(instance, "eventSubProcessTask")
    assert instance["status"] == "active"
    instance = camunda.complete(instance, "task")
    assert instance["status"] == "completed"


def test_non_interrupting_in_multi_parallel_embedded_subprocess(camunda: Camunda) -> None:
    """MessageEventSubprocessTest.testNonInterruptingInMultiParallelEmbeddedSubprocess"""
    camunda.deploy(f"{E}.testNonInterruptingInMultiParallelEmbeddedSubprocess.bpmn20.xml")
    # I. only complete the tasks
    instance = camunda.start("process")
    assert _waits(camunda, instance) == ["message", "message"]
    tasks = camunda.tasks(instance)
    assert [t["elementId"] for t in tasks] == ["subUserTask", "subUserTask"]
    instance = _complete_all(camunda, instance, "subUserTask")
    assert _waits(camunda, instance) == []
    (last,) = camunda.tasks(instance)
    instance = _complete_all(camunda, instance)
    assert instance["status"] == "completed"

    # II. trigger the message sub-processes in both instances
    instance = camunda.start("process")
    instance = _correlate_all(camunda, "message", instance)
    assert _waits(camunda, instance) == ["message", "message"]
    assert [t["name"] for t in camunda.tasks(instance)].count("Message User Task") == 2
    instance = _complete_all(camunda, instance, "Message User Task")
    sub_tasks = [t for t in camunda.tasks(instance) if t["name"] == "Sub User Task"]
    response = camunda.api.post(f"/tasks/{sub_tasks[0]['id']}/complete", "bh", json={"variables": {}})
    assert response.status_code == 200
    assert _waits(camunda, instance) == ["message"]
    instance = camunda.correlate("message", instance)
    assert [t["name"] for t in camunda.tasks(instance)].count("Message User Task") == 1
    instance = _complete_all(camunda, instance)
    assert _waits(camunda, instance) == []
    assert len(camunda.tasks(instance)) == 1
    instance = _complete_all(camunda, instance)
    assert instance["status"] == "completed"


def test_non_interrupting_in_multi_sequential_embedded_subprocess(camunda: Camunda) -> None:
    """MessageEventSubprocessTest.testNonInterruptingInMultiSequentialEmbeddedSubprocess"""
    camunda.deploy(f"{E}.testNonInterruptingInMultiSequentialEmbeddedSubprocess.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.correlate("message", instance)
    assert _waits(camunda, instance) == ["message"]
    instance = _complete_all(camunda, instance, "Message User Task")
    instance = _complete_all(camunda, instance, "Sub User Task")
    assert _waits(camunda, instance) == ["message"]
    instance = _complete_all(camunda, instance, "Sub User Task")
    assert _waits(camunda, instance) == []
    assert len(camunda.tasks(instance)) == 1
    instance = _complete_all(camunda, instance)
    assert instance["status"] == "completed"


def test_non_interrupting_with_parallel_fork_inside_embedded_sub_process(camunda: Camunda) -> None:
    """MessageEventSubprocessTest.testNonInterruptingWithParallelForkInsideEmbeddedSubProcess"""
    camunda.deploy(f"{E}.testNonInterruptingWithParallelForkInsideEmbeddedSubProcess.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.correlate("newMessage", instance)
    assert _keys(camunda, instance) == ["eventSubProcessTask", "firstUserTask", "secondUserTask"]
    for key in _keys(camunda, instance):
        instance = camunda.complete(instance, key)
    assert instance["status"] == "completed"


def test_non_interrupting_with_receive_task_inside_embedded_sub_process(camunda: Camunda) -> None:
    """MessageEventSubprocessTest.testNonInterruptingWithReceiveTaskInsideEmbeddedSubProcess"""
    camunda.deploy(f"{E}.testNonInterruptingWithReceiveTaskInsideEmbeddedSubProcess.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.correlate("firstMessage", instance)
    assert _keys(camunda, instance) == ["eventSubProcessTask"]
    instance = camunda.correlate("secondMessage", instance)
    assert _keys(camunda, instance) == ["eventSubProcessTask", "userTask"]
    assert _waits(camunda, instance) == ["firstMessage"]
    instance = camunda.complete(instance, "eventSubProcessTask")
    instance = camunda.complete(instance, "userTask")
    assert instance["status"] == "completed"


def test_non_interrupting_with_user_task_and_boundary_event_inside_embedded_sub_process(
    camunda: Camunda,
) -> None:
    """MessageEventSubprocessTest.testNonInterruptingWithUserTaskAndBoundaryEventInsideEmbeddedSubProcess"""
    camunda.deploy(f"{E}.testNonInterruptingWithUserTaskAndBoundaryEventInsideEmbeddedSubProcess.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.correlate("newMessage", instance)
    assert _keys(camunda, instance) == ["eventSubProcessTask", "task"]
    assert len(_waits(camunda, instance)) == 1
    instance = camunda.complete(instance, "eventSubProcessTask")
    instance = camunda.complete(instance, "task")
    assert instance["status"] == "completed"


def test_non_interrupting_outside_embedded_sub_process_with_receive_task_inside(camunda: Camunda) -> None:
    """MessageEventSubprocessTest.testNonInterruptingOutsideEmbeddedSubProcessWithReceiveTaskInsideEmbeddedSubProcess"""
    camunda.deploy(
        f"{E}.testNonInterruptingOutsideEmbeddedSubProcessWithReceiveTaskInsideEmbeddedSubProcess.bpmn20.xml"
    )
    instance = camunda.start("process")
    instance = camunda.correlate("firstMessage", instance)
    assert _keys(camunda, instance) == ["eventSubProcessTask"]
    instance = camunda.correlate("secondMessage", instance)
    assert _keys(camunda, instance) == ["eventSubProcessTask", "userTask"]
    assert _waits(camunda, instance) == ["firstMessage"]
    instance = camunda.complete(instance, "eventSubProcessTask")
    instance = camunda.complete(instance, "userTask")
    assert instance["status"] == "completed"


def test_non_interrupting_with_terminating_end_event(camunda: Camunda) -> None:
    """MessageEventSubprocessTest.testNonInterruptingWithTerminatingEndEvent"""
    camunda.deploy(f"{E}.testNonInterruptingWithTerminatingEndEvent.bpmn20.xml")
    instance = camunda.start("process")
    assert [t["name"] for t in camunda.tasks(instance)] == ["Inner User Task"]
    instance = camunda.correlate("message", instance)
    instance = _complete_all(camunda, instance, "Event User Task")
    # the activity instance tree: SubProcess_1 > UserTask_1
    assert instance["status"] == "active"
    assert _keys(camunda, instance) == ["UserTask_1"]
    assert "SubProcess_1" in instance["activeElements"]


def test_interrupting_activity_instance_tree(camunda: Camunda) -> None:
    """MessageEventSubprocessTest.testInterruptingActivityInstanceTree"""
    camunda.deploy(f"{E}.testInterruptingActivityInstanceTree.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.correlate("newMessage", instance)
    assert _keys(camunda, instance) == ["eventSubProcessTask"]
    assert {"subProcess", "eventSubProcess", "eventSubProcessTask"} <= set(instance["activeElements"])
    assert "innerTask" not in instance["activeElements"]


def test_non_interrupting_activity_instance_tree(camunda: Camunda) -> None:
    """MessageEventSubprocessTest.testNonInterruptingActivityInstanceTree"""
    camunda.deploy(f"{E}.testNonInterruptingActivityInstanceTree.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.correlate("newMessage", instance)
    assert _keys(camunda, instance) == ["eventSubProcessTask", "innerTask"]
    assert {"subProcess", "innerTask", "eventSubProcess", "eventSubProcessTask"} <= set(
        instance["activeElements"]
    )


def test_an_instance_started_after_another_was_triggered_still_ends(camunda: Camunda) -> None:
    """Regression: a trigger in one instance does not open the event sub-process in later ones."""
    camunda.deploy(f"{E}.testNonInterruptingUnderProcessDefinitionScope.bpmn20.xml")
    camunda.correlate("newMessage", camunda.start("process"))
    later = camunda.start("process")
    assert _keys(camunda, later) == ["task"]
    assert camunda.complete(later, "task")["status"] == "completed"


def test_a_triggered_event_sub_process_goes_on_in_another_server_process(camunda: Camunda) -> None:
    """Regression: the instance reaches a process that parsed the definition afresh (another worker,
    a restart) with its event sub-process running; both paths go on there and the instance ends."""
    camunda.deploy(f"{E}.testNonInterruptingUnderProcessDefinitionScope.bpmn20.xml")
    instance = camunda.correlate("newMessage", camunda.start("process"))
    first = camunda.api
    app = create_app({**{k: first.app.config[k] for k in ("DB_ENGINE", "CLOCK", "TESTING", "DATABASE_URL")}})
    other = Camunda(
        Api(app=app, client=app.test_client(), clock=first.clock, db=first.db, tokens=first.tokens)
    )
    instance = other.complete(instance, "task")
    assert instance["status"] == "active"
    assert other.complete(instance, "eventSubProcessTask")["status"] == "completed"

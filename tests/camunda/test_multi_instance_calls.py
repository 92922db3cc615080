"""Multi-instance call activities: completion conditions in nested scopes, ``variables="all"`` both ways.

Ported from ``MultiInstanceTest`` and ``MultiInstanceVariablesTest``. Our tasks do not say which
called instance they belong to; where Camunda completes the tasks of one called instance after
another, we complete the first task of every instance, then the second ones: the completion
condition still ends the activity when two called instances have finished.
"""

from __future__ import annotations

from tests.camunda.conftest import Camunda

M = "MultiInstanceTest"


def _complete_all_named(camunda: Camunda, instance: dict, name: str, limit: int | None = None) -> dict:
    tasks = [t for t in camunda.tasks(instance) if t["name"] == name][:limit]
    for task in tasks:
        if task.get("assignee"):  # Camunda's taskService.complete ignores the assignee
            assert camunda.api.post(f"/tasks/{task['id']}/unclaim", "bh").status_code in (200, 204)
        response = camunda.api.post(f"/tasks/{task['id']}/complete", "bh", json={"variables": {}})
        assert response.status_code == 200, response.get_json()
    return camunda.instance(instance)


def test_nested_parallel_call_activity_completion_condition(camunda: Camunda) -> None:
    """MultiInstanceTest.testNestedParallelCallActivityCompletionCondition"""
    camunda.deploy(
        f"{M}.externalSubProcess.bpmn20.xml",
        f"{M}.testNestedParallelCallActivityCompletionCondition.bpmn20.xml",
    )
    instance = camunda.start("miNestedParallelCallActivityCompletionCondition")
    assert len(camunda.tasks(instance)) == 8
    instance = _complete_all_named(camunda, instance, "task one")
    assert camunda.task_names(instance) == ["task two"] * 4
    assert instance["status"] == "active"
    # two called instances finish: ${nrOfCompletedInstances == 2} ends the activity and the process
    instance = _complete_all_named(camunda, instance, "task two", limit=2)
    assert instance["status"] == "completed"
    assert camunda.tasks(instance) == []


_PROCESS = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="Examples">
  <process id="process" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="callActivity" />
    <callActivity id="callActivity" calledElement="testProcess">
      <extensionElements>
        <camunda:in variables="all" />
        <camunda:out variables="all" />
      </extensionElements>
      <multiInstanceLoopCharacteristics>
        <loopCardinality>2</loopCardinality>
      </multiInstanceLoopCharacteristics>
    </callActivity>
    <sequenceFlow id="f2" sourceRef="callActivity" targetRef="end" />
    <endEvent id="end" />
  </process>
</definitions>
"""

_CALLED = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="Examples">
  <process id="testProcess" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="userTask" />
    <userTask id="userTask" />
    <sequenceFlow id="f2" sourceRef="userTask" targetRef="end" />
    <endEvent id="end" />
  </process>
</definitions>
"""


def test_multi_instance_with_all_in_out_mapping(camunda: Camunda) -> None:
    """MultiInstanceVariablesTest.testMultiInstanceWithAllInOutMapping (the model API's process as a document)"""
    camunda.deploy(_PROCESS, _CALLED)
    instance = camunda.start("process")
    tasks = camunda.tasks(instance)
    assert [t["processKey"] for t in tasks] == ["testProcess", "testProcess"]
    for task in tasks:
        # a called instance sets nrOfInstances; variables="all" brings it back to the caller
        response = camunda.api.post(
            f"/tasks/{task['id']}/complete", "bh", json={"variables": {"nrOfInstances": "3"}}
        )
        assert response.status_code == 200, response.get_json()
    instance = camunda.instance(instance)
    assert camunda.tasks(instance) == []
    assert instance["status"] == "completed"

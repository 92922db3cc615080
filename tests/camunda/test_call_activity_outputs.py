"""Call activities: outputs when an error leaves the called process, null values through mappings,
nested calls, deleting an instance that is inside a call.

Ported from ``CallActivityTest`` (resources unchanged). Camunda sets a variable on the called
instance with ``runtimeService.setVariable``; we complete the called process's task with it, as
``taskService.complete(id, variables)`` does. A called instance runs inside its caller's instance
here: Camunda's ``deleteProcessInstance`` of the called instance, which cascades to its callers,
is a terminate of the instance the task belongs to.
"""

from __future__ import annotations

from tests.camunda.conftest import Camunda


def test_sub_process_data_output_on_error(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessDataOutputOnError"""
    camunda.deploy("subProcessWithError.bpmn", "CallActivity.testSubProcessDataOutputOnError.bpmn")
    instance = camunda.start("Process_1")
    assert camunda.task_names(instance) == ["SubTask"]
    instance = camunda.complete(instance, "SubTask", {"subVariable": "Hello from Subprocess"})
    assert camunda.task_names(instance) == ["Task after error"]
    assert instance["variables"]["subVariable"] == "Hello from Subprocess"


def test_two_sub_processes_data_output_on_error(camunda: Camunda) -> None:
    """CallActivityTest.testTwoSubProcessesDataOutputOnError"""
    camunda.deploy(
        "subProcessWithError.bpmn",
        "subProcessCallErrorSubProcess.bpmn",
        "CallActivity.testTwoSubProcessesDataOutputOnError.bpmn",
    )
    instance = camunda.start("Process_1")
    assert camunda.task_names(instance) == ["SubTask"]
    instance = camunda.complete(instance, "SubTask", {"subVariable": "Hello from Subprocess"})
    assert camunda.task_names(instance) == ["Task after error"]
    # both called processes map all out: the variable reaches the process with the handler
    assert instance["variables"]["subVariable"] == "Hello from Subprocess"


def test_two_sub_processes_limited_data_output_on_error(camunda: Camunda) -> None:
    """CallActivityTest.testTwoSubProcessesLimitedDataOutputOnError"""
    camunda.deploy(
        "subProcessWithError.bpmn",
        "subProcessCallErrorSubProcessWithLimitedOutMapping.bpmn",
        "CallActivity.testTwoSubProcessesLimitedDataOutputOnError.bpmn",
    )
    instance = camunda.start("Process_1")
    assert camunda.task_names(instance) == ["Task"]
    instance = camunda.complete(instance, "Task", {"subVariable": "Hello from Subprocess"})
    assert camunda.task_names(instance) == ["SubTask"]
    instance = camunda.complete(
        instance, "SubTask", {"subSubVariable1": "foo", "subSubVariable2": "Hello from Subsubprocess"}
    )
    assert camunda.task_names(instance) == ["Task after error"]
    variables = instance["variables"]
    # the two called processes do not pass all their variables
    assert variables["subSubVariable2"] == "Hello from Subsubprocess"
    assert variables["subVariable"] == "Hello from Subprocess"
    assert variables.get("subSubVariable1") is None


def test_sub_process_with_limited_data_input_output_typed_api(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessWithLimitedDataInputOutputTypedApi (a null string value)"""
    camunda.deploy(
        "simpleSubProcess.bpmn20.xml", "CallActivity.testSubProcessLimitedDataInputOutputTypedApi.bpmn20.xml"
    )
    instance = camunda.start("subProcessDataInputOutput", {"superVariable": None})
    assert camunda.task_names(instance) == ["Task in subprocess"]
    assert instance["variables"]["superVariable"] is None
    instance = camunda.complete(instance, "Task in subprocess", {"subVariable": None})
    assert camunda.task_names(instance) == ["Task in super process"]
    assert "superVariable" in instance["variables"] and instance["variables"]["superVariable"] is None
    assert camunda.complete(instance, "Task in super process")["status"] == "completed"


def test_sub_process_with_all_data_input_output_typed_api(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessWithAllDataInputOutputTypedApi (a null string value)"""
    camunda.deploy(
        "simpleSubProcess.bpmn20.xml", "CallActivity.testSubProcessAllDataInputOutputTypedApi.bpmn20.xml"
    )
    instance = camunda.start("subProcessDataInputOutput", {"superVariable": None})
    assert camunda.task_names(instance) == ["Task in subprocess"]
    instance = camunda.complete(instance, "Task in subprocess", {"subVariable": None})
    assert camunda.task_names(instance) == ["Task in super process"]
    assert "subVariable" in instance["variables"] and instance["variables"]["subVariable"] is None
    assert "superVariable" in instance["variables"] and instance["variables"]["superVariable"] is None
    assert camunda.complete(instance, "Task in super process")["status"] == "completed"


def test_sub_process_with_null_data_input(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessWithNullDataInput"""
    camunda.deploy("dataSubProcess.bpmn20.xml", "CallActivity.testSubProcessDataInputOutput.bpmn20.xml")
    instance = camunda.start("subProcessDataInputOutput")
    # neither variable is set on the calling instance
    assert "subVariable" not in instance["variables"]
    assert "superVariable" not in instance["variables"]
    # the called instance waits in its task
    assert camunda.task_names(instance) == ["Task in subprocess"]


def test_order_process_with_call_activity(camunda: Camunda) -> None:
    """CallActivityTest.testOrderProcessWithCallActivity"""
    camunda.deploy("checkCreditProcess.bpmn20.xml", "orderProcess.bpmn20.xml")
    instance = camunda.start("orderProcess")
    (task,) = camunda.tasks(instance)
    assert task["name"] == "Verify credit history"
    assert task["processKey"] == "checkCreditProcess"  # the task is in the called instance
    instance = camunda.complete(instance, "Verify credit history", {"creditApproved": True})
    assert camunda.task_names(instance) == ["Prepare and Ship"]


def _terminate_from_task(camunda: Camunda, instance: dict, task_name: str) -> dict:
    task = camunda.task(instance, task_name)
    response = camunda.api.post(f"/process-instances/{task['processInstanceId']}/terminate", "bh")
    assert response.status_code in (200, 204), response.get_json()
    return camunda.instance(instance)


def test_delete_process_instance_in_call_activity(camunda: Camunda) -> None:
    """CallActivityTest.testDeleteProcessInstanceInCallActivity"""
    camunda.deploy("simpleSubProcess.bpmn20.xml", "CallActivity.testCallSimpleSubProcess.bpmn20.xml")
    instance = camunda.start("callSimpleSubProcess")
    instance = camunda.complete(instance, "Task before subprocess")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    instance = _terminate_from_task(camunda, instance, "Task in subprocess")
    assert instance["status"] != "active"
    assert camunda.tasks(instance) == []


def test_delete_multilevel_process_instance_in_call_activity(camunda: Camunda) -> None:
    """CallActivityTest.testDeleteMultilevelProcessInstanceInCallActivity"""
    camunda.deploy(
        "simpleSubProcess.bpmn20.xml",
        "CallActivity.testCallSimpleSubProcess.bpmn20.xml",
        "CallActivity.testNestedCallActivity.bpmn20.xml",
    )
    instance = camunda.start("nestedCallActivity")
    instance = camunda.complete(instance, "Task before subprocess")
    instance = camunda.complete(instance, "Task before subprocess")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    instance = _terminate_from_task(camunda, instance, "Task in subprocess")
    assert instance["status"] != "active"
    assert camunda.tasks(instance) == []


def test_delete_double_nested_process_instance_in_call_activity(camunda: Camunda) -> None:
    """CallActivityTest.testDeleteDoubleNestedProcessInstanceInCallActivity"""
    camunda.deploy(
        "simpleSubProcess.bpmn20.xml",
        "CallActivity.testCallSimpleSubProcess.bpmn20.xml",
        "CallActivity.testNestedCallActivity.bpmn20.xml",
        "CallActivity.testDoubleNestedCallActivity.bpmn20.xml",
    )
    instance = camunda.start("doubleNestedCallActivity")
    for _ in range(3):
        instance = camunda.complete(instance, "Task before subprocess")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    instance = _terminate_from_task(camunda, instance, "Task in subprocess")
    assert instance["status"] != "active"
    assert camunda.tasks(instance) == []


_WITHOUT_TARGET = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="Examples">
  <process id="subProcessDataInputOutputWithoutTarget" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="callActivity" />
    <callActivity id="callActivity" calledElement="simpleSubProcess">
      <extensionElements>{mappings}</extensionElements>
    </callActivity>
    <sequenceFlow id="f2" sourceRef="callActivity" targetRef="task" />
    <userTask id="task" />
    <sequenceFlow id="f3" sourceRef="task" targetRef="end" />
    <endEvent id="end" />
  </process>
</definitions>
"""


def test_sub_process_with_data_input_output_without_target(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessWithDataInputOutputWithoutTarget (the model API's steps as documents)"""
    camunda.deploy("simpleSubProcess.bpmn20.xml")
    steps = [
        (
            '<camunda:in source="superVariable" />',
            '<camunda:in source="superVariable" target="subVariable" />',
        ),
        (
            '<camunda:in sourceExpression="${x+5}" />',
            '<camunda:in sourceExpression="${x+5}" target="subVariable2" />',
        ),
        (
            '<camunda:out source="subVariable" />',
            '<camunda:out source="subVariable" target="superVariable" />',
        ),
        (
            '<camunda:out sourceExpression="${y+1}" />',
            '<camunda:out sourceExpression="${y+1}" target="superVariable2" />',
        ),
    ]
    done: list[str] = []
    for without_target, with_target in steps:
        body = _WITHOUT_TARGET.format(mappings="".join([*done, without_target]))
        problems = camunda.deploy_fails(body.encode())
        assert [p.get("elementId") for p in problems] == ["callActivity"], problems
        done.append(with_target)
    camunda.deploy(_WITHOUT_TARGET.format(mappings="".join(done)).encode())

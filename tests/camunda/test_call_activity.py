"""camunda:in / camunda:out on call activities: only what is mapped passes (issue 11, item 2).

Camunda sets variables on the called instance with ``runtimeService.setVariable``; our API sets
them by completing the called process's task with variables, which Camunda's
``taskService.complete(id, variables)`` does the same way.
"""

from __future__ import annotations

from typing import Any

from tests.camunda.conftest import Camunda


def _own(variables: dict[str, Any]) -> dict[str, Any]:
    """The variables a Camunda test sees: without the ``gemeente`` every instance here starts with."""
    return {k: v for k, v in variables.items() if k != "gemeente"}


def test_sub_process_with_data_input_output(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessWithDataInputOutput"""
    camunda.deploy("simpleSubProcess.bpmn20.xml", "CallActivity.testSubProcessDataInputOutput.bpmn20.xml")
    instance = camunda.start("subProcessDataInputOutput", {"superVariable": "Hello from the super process."})
    assert camunda.task_names(instance) == ["Task in subprocess"]
    assert "subVariable" not in camunda.variables(instance)

    instance = camunda.complete(instance, "Task in subprocess", {"subVariable": "Hello from sub process."})
    assert camunda.task_names(instance) == ["Task in super process"]
    assert instance["variables"]["superVariable"] == "Hello from sub process."
    assert "myLocalVariable" not in instance["variables"]
    assert instance["variables"]["hisLocalVariable"] is None  # a mapped source that is unset maps null

    instance = camunda.complete(instance, "Task in super process", {"x": 5})
    assert camunda.task_names(instance) == ["Task in subprocess"]
    instance = camunda.complete(instance, "Task in subprocess")
    assert camunda.task_names(instance) == ["Task in super process"]
    assert instance["variables"]["z"] == 15
    assert "y" not in instance["variables"]  # y lived in the called instance only
    assert camunda.complete(instance, "Task in super process")["status"] == "completed"


def test_sub_process_all_data_input_output(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessAllDataInputOutput"""
    camunda.deploy("simpleSubProcess.bpmn20.xml", "CallActivity.testSubProcessAllDataInputOutput.bpmn20.xml")
    instance = camunda.start(
        "subProcessAllDataInputOutput",
        {"superVariable": "Hello from the super process.", "testVariable": "Only a test."},
    )
    instance = camunda.complete(instance, "Task before subprocess")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    instance = camunda.complete(
        instance,
        "Task in subprocess",
        {"superVariable": "Hello from sub process.", "testVariable": "Variable changed in sub process."},
    )
    assert camunda.task_names(instance) == ["Task after subprocess"]
    assert instance["variables"]["superVariable"] == "Hello from sub process."
    assert instance["variables"]["testVariable"] == "Variable changed in sub process."
    assert camunda.complete(instance, "Task after subprocess")["status"] == "completed"


def test_without_mappings_nothing_passes(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessBusinessKeyInput (only a businessKey is mapped: no variable passes)"""
    camunda.deploy("simpleSubProcess.bpmn20.xml", "CallActivity.testSubProcessBusinessKeyInput.bpmn20.xml")
    instance = camunda.start(
        "subProcessBusinessKeyInput", {"superVariable": "kept"}, business_key="myBusinessKey"
    )
    assert instance["businessKey"] == "myBusinessKey"
    instance = camunda.complete(instance, "Task before subprocess")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    instance = camunda.complete(instance, "Task in subprocess", {"leak": "no"})
    assert camunda.task_names(instance) == ["Task after subprocess"]
    assert _own(instance["variables"]) == {"superVariable": "kept"}
    assert camunda.complete(instance, "Task after subprocess")["status"] == "completed"


def test_sub_process_local_input_all_variables(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessLocalInputAllVariables"""
    camunda.deploy(
        "simpleSubProcess.bpmn20.xml", "CallActivity.testSubProcessLocalInputAllVariables.bpmn20.xml"
    )
    instance = camunda.start("subProcessLocalInputAllVariables")
    instance = camunda.complete(instance, "Task before subprocess", {"callingProcessVar1": "val1"})
    assert camunda.task_names(instance) == ["Task in subprocess"]
    instance = camunda.complete(instance, "Task in subprocess", {"calledProcessVar1": 42})
    # inputParameter came back with variables="all" but lives on the call activity: it stays there
    assert _own(instance["variables"]) == {
        "callingProcessVar1": "val1",
        "calledProcessVar1": 42,
        "outputParameter": 43,
    }


def test_sub_process_local_input_single_variable(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessLocalInputSingleVariable"""
    camunda.deploy(
        "simpleSubProcess.bpmn20.xml", "CallActivity.testSubProcessLocalInputSingleVariable.bpmn20.xml"
    )
    instance = camunda.start("subProcessLocalInputSingleVariable")
    instance = camunda.complete(instance, "Task before subprocess", {"callingProcessVar1": "val1"})
    instance = camunda.complete(instance, "Task in subprocess", {"calledProcessVar1": 42})
    assert _own(instance["variables"]) == {
        "callingProcessVar1": "val1",
        "mappedInputParameter": "val2",
        "calledProcessVar1": 42,
        "outputParameter": 43,
    }


def test_sub_process_local_output_single_variable(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessLocalOutputSingleVariable"""
    camunda.deploy(
        "simpleSubProcess.bpmn20.xml", "CallActivity.testSubProcessLocalOutputSingleVariable.bpmn20.xml"
    )
    instance = camunda.start("subProcessLocalOutputSingleVariable")
    instance = camunda.complete(instance, "Task before subprocess", {"callingProcessVar1": "val1"})
    instance = camunda.complete(instance, "Task in subprocess", {"calledProcessVar1": 42})
    # outVar was set locally on the call activity: only the output parameter made from it reaches the process
    assert _own(instance["variables"]) == {"callingProcessVar1": "val1", "outputParameter": 43}

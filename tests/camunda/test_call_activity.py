"""camunda:in / camunda:out on call activities: only what is mapped passes (issue 11, item 2).

Camunda sets variables on the called instance with ``runtimeService.setVariable``; our API sets
them by completing the called process's task with variables, which Camunda's
``taskService.complete(id, variables)`` does the same way.
"""

from __future__ import annotations

from typing import Any

from tests.camunda.conftest import RESOURCES, Camunda


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


def test_call_simple_sub_process(camunda: Camunda) -> None:
    """CallActivityTest.testCallSimpleSubProcess"""
    camunda.deploy("simpleSubProcess.bpmn20.xml", "CallActivity.testCallSimpleSubProcess.bpmn20.xml")
    instance = camunda.start("callSimpleSubProcess")
    assert camunda.task_names(instance) == ["Task before subprocess"]
    instance = camunda.complete(instance, "Task before subprocess")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    instance = camunda.complete(instance, "Task in subprocess")
    assert camunda.task_names(instance) == ["Task after subprocess"]
    assert camunda.complete(instance, "Task after subprocess")["status"] == "completed"


def _called_by_expression(camunda: Camunda, key: str, expected_task: str) -> None:
    instance = camunda.start(key)
    assert camunda.task_names(instance) == ["Task before subprocess"]
    instance = camunda.complete(
        instance, "Task before subprocess", {"simpleSubProcessExpression": "simpleSubProcess"}
    )
    assert camunda.task_names(instance) == [expected_task]
    instance = camunda.complete(instance, expected_task)
    assert camunda.task_names(instance) == ["Task after subprocess"]
    assert camunda.complete(instance, "Task after subprocess")["status"] == "completed"


def test_call_simple_sub_process_with_expressions(camunda: Camunda) -> None:
    """CallActivityTest.testCallSimpleSubProcessWithExpressions"""
    camunda.deploy(
        "simpleSubProcess.bpmn20.xml", "CallActivity.testCallSimpleSubProcessWithExpressions.bpmn20.xml"
    )
    _called_by_expression(camunda, "callSimpleSubProcess", "Task in subprocess")


def test_call_simple_sub_process_with_hash_expressions(camunda: Camunda) -> None:
    """CallActivityTest.testCallSimpleSubProcessWithHashExpressions"""
    camunda.deploy(
        "simpleSubProcess.bpmn20.xml", "CallActivity.testCallSimpleSubProcessWithHashExpressions.bpmn20.xml"
    )
    _called_by_expression(camunda, "callSimpleSubProcess", "Task in subprocess")


def test_call_sequential_sub_process_with_expressions(camunda: Camunda) -> None:
    """CallActivityTest.testCallSequentialSubProcessWithExpressions"""
    camunda.deploy(
        "simpleSubProcess.bpmn20.xml",
        "simpleSubProcess2.bpmn20.xml",
        "CallActivity.testCallSimpleSubProcessWithExpressions.bpmn20.xml",
        "CallActivity.testCallSequentialSubProcess.bpmn20.xml",
    )
    instance = camunda.start("callSequentialSubProcess")
    for called, task in (
        ("simpleSubProcess", "Task in subprocess"),
        ("simpleSubProcess2", "Task in subprocess 2"),
    ):
        assert camunda.task_names(instance) == ["Task before subprocess"]
        instance = camunda.complete(
            instance, "Task before subprocess", {"simpleSubProcessExpression": called}
        )
        assert camunda.task_names(instance) == [task]
        instance = camunda.complete(instance, task)
        assert camunda.task_names(instance) == ["Task after subprocess"]
        instance = camunda.complete(instance, "Task after subprocess")
    assert instance["status"] == "completed"


def test_called_element_expression_naming_no_process_is_a_process_error(camunda: Camunda) -> None:
    """CallActivityTest.testCallSimpleSubProcessWithExpressions with an unknown key: 422, nothing changes"""
    camunda.deploy(
        "simpleSubProcess.bpmn20.xml", "CallActivity.testCallSimpleSubProcessWithExpressions.bpmn20.xml"
    )
    instance = camunda.start("callSimpleSubProcess")
    task = camunda.task(instance, "Task before subprocess")
    response = camunda.api.post(
        f"/tasks/{task['id']}/complete", "bh", json={"variables": {"simpleSubProcessExpression": "nope"}}
    )
    assert response.status_code == 422
    assert "nope" in response.get_json()["detail"]
    assert camunda.task_names(instance) == ["Task before subprocess"]


def test_call_simple_sub_process_with_version(camunda: Camunda) -> None:
    """CallActivityTest (calledElementBinding="version"): version 1 is called although 2 is deployed"""
    camunda.deploy("simpleSubProcess.bpmn20.xml")
    second = (
        (RESOURCES / "simpleSubProcess.bpmn20.xml")
        .read_bytes()
        .replace(b'name="Task in subprocess"', b'name="Task in subprocess v2"')
    )
    camunda.deploy(second)
    camunda.deploy("CallActivity.testCallSimpleSubProcessWithVersion.bpmn20.xml")
    instance = camunda.start("callSimpleSubProcessWithVersion")
    instance = camunda.complete(instance, "Task before subprocess")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    instance = camunda.complete(instance, "Task in subprocess")
    assert camunda.task_names(instance) == ["Task after subprocess"]


def test_call_process_by_version_as_expression(camunda: Camunda) -> None:
    """CallActivityTest.testCallCaseByVersionAsExpression: calledElementVersion="${myVersion}" """
    original = (RESOURCES / "oneTaskProcess.bpmn20.xml").read_bytes()
    for version in (1, 2, 3):  # three deployments (a deployment of the same bytes is the same version here)
        camunda.deploy(original.replace(b'name="my task"', f'name="my task v{version}"'.encode()))
    camunda.deploy("CallActivityAdvancedTest.testCallProcessByVersionAsExpression.bpmn20.xml")
    instance = camunda.start("process", {"myVersion": 2})
    assert camunda.task_names(instance) == ["my task v2"]
    # the instance keeps running on version 2 after it is stored and loaded again
    assert camunda.complete(instance, "my task v2")["status"] == "completed"


def test_sub_process_ends_super_process(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessEndsSuperProcess"""
    camunda.deploy("simpleSubProcess.bpmn20.xml", "CallActivity.testSubProcessEndsSuperProcess.bpmn20.xml")
    instance = camunda.start("subProcessEndsSuperProcess")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    assert camunda.complete(instance, "Task in subprocess")["status"] == "completed"


def test_call_parallel_sub_process(camunda: Camunda) -> None:
    """CallActivityTest.testCallParallelSubProcess"""
    camunda.deploy(
        "simpleParallelSubProcess.bpmn20.xml", "CallActivity.testCallParallelSubProcess.bpmn20.xml"
    )
    instance = camunda.start("callParallelSubProcess")
    assert camunda.task_names(instance) == ["Task A", "Task B"]
    instance = camunda.complete(instance, "Task A")
    assert camunda.task_names(instance) == ["Task B"]
    assert camunda.complete(instance, "Task B")["status"] == "completed"


def test_timer_on_call_activity(camunda: Camunda) -> None:
    """CallActivityTest.testTimerOnCallActivity"""
    camunda.deploy("simpleSubProcess.bpmn20.xml", "CallActivity.testTimerOnCallActivity.bpmn20.xml")
    instance = camunda.start("timerOnCallActivity")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    (timer,) = camunda.timers(instance)
    instance = camunda.fire(timer)
    assert camunda.task_names(instance) == ["Escalated Task"]
    assert camunda.complete(instance, "Escalated Task")["status"] == "completed"


def test_two_sub_processes(camunda: Camunda) -> None:
    """CallActivityTest.testTwoSubProcesses: deleting the caller ends both called instances"""
    camunda.deploy("simpleSubProcess.bpmn20.xml", "CallActivity.testTwoSubProcesses.bpmn20.xml")
    instance = camunda.start("callTwoSubProcesses")
    assert camunda.task_names(instance) == ["Task in subprocess", "Task in subprocess"]
    response = camunda.api.post(f"/process-instances/{instance['id']}/terminate", "bh")
    assert response.status_code in (200, 204)
    assert camunda.tasks(instance) == []


def test_sub_process_all_data_input_output_with_additional_input_mapping(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessAllDataInputOutputWithAdditionalInputMapping"""
    camunda.deploy(
        "simpleSubProcess.bpmn20.xml",
        "CallActivity.testSubProcessAllDataInputOutputWithAdditionalInputMapping.bpmn20.xml",
    )
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
    # the called instance had subVariable from the extra mapping; variables="all" brought it back
    assert instance["variables"]["subVariable"] == "Hello from the super process."
    assert camunda.complete(instance, "Task after subprocess")["status"] == "completed"


def test_sub_process_all_data_output(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessAllDataOutput: variables="all" out when the caller has none"""
    camunda.deploy("simpleSubProcess.bpmn20.xml", "CallActivity.testSubProcessAllDataInputOutput.bpmn20.xml")
    instance = camunda.start("subProcessAllDataInputOutput")
    instance = camunda.complete(instance, "Task before subprocess")
    instance = camunda.complete(
        instance,
        "Task in subprocess",
        {"superVariable": "Hello from sub process.", "testVariable": "Variable changed in sub process."},
    )
    assert camunda.task_names(instance) == ["Task after subprocess"]
    assert instance["variables"]["superVariable"] == "Hello from sub process."
    assert instance["variables"]["testVariable"] == "Variable changed in sub process."


def test_sub_process_with_null_data_input_as_expression(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessWithNullDataInputAsExpression"""
    camunda.deploy(
        "dataSubProcess.bpmn20.xml", "CallActivity.testSubProcessDataInputOutputAsExpression.bpmn20.xml"
    )
    instance = camunda.start("subProcessDataInputOutput", {"superVariable": None})
    assert "subVariable" not in instance["variables"]
    assert "superVariable" in instance["variables"] and instance["variables"]["superVariable"] is None
    assert camunda.task_names(instance) == ["Task in subprocess"]  # ${subVariable == null} ran there


def test_sub_process_with_null_data_output(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessWithNullDataOutput"""
    camunda.deploy("dataSubProcess.bpmn20.xml", "CallActivity.testSubProcessDataInputOutput.bpmn20.xml")
    instance = camunda.start("subProcessDataInputOutput")
    assert "subVariable" not in instance["variables"]
    assert "superVariable" not in instance["variables"]
    instance = camunda.complete(instance, "Task in subprocess")
    assert "subVariable" not in instance["variables"]
    assert instance["variables"]["superVariable"] is None
    assert "hisLocalVariable" in instance["variables"] and instance["variables"]["hisLocalVariable"] is None


def test_sub_process_with_null_data_output_as_expression(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessWithNullDataOutputAsExpression"""
    camunda.deploy(
        "dataSubProcess.bpmn20.xml", "CallActivity.testSubProcessDataInputOutputAsExpression.bpmn20.xml"
    )
    instance = camunda.start("subProcessDataInputOutput", {"superVariable": None})
    instance = camunda.complete(instance, "Task in subprocess", {"myLocalVariable": None})
    assert "subVariable" not in instance["variables"]
    assert instance["variables"]["superVariable"] is None
    assert "hisLocalVariable" in instance["variables"] and instance["variables"]["hisLocalVariable"] is None


def test_sub_process_local_input_single_variable_expression(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessLocalInputSingleVariableExpression"""
    camunda.deploy(
        "simpleSubProcess.bpmn20.xml",
        "CallActivity.testSubProcessLocalInputSingleVariableExpression.bpmn20.xml",
    )
    instance = camunda.start("subProcessLocalInputSingleVariableExpression")
    instance = camunda.complete(instance, "Task before subprocess")
    assert camunda.task_names(instance) == ["Task in subprocess"]  # ${inputParameter + 1} resolved
    assert "mappedInputParameter" not in instance["variables"]
    instance = camunda.complete(instance, "Task in subprocess")
    task = camunda.tasks(instance)[0]
    # the second call activity maps a variable that is not its input parameter, only local: it fails
    response = camunda.api.post(
        f"/tasks/{task['id']}/complete", "bh", json={"variables": {"globalVariable": "42"}}
    )
    assert response.status_code == 422
    assert "globalVariable" in response.get_json()["detail"]


def test_sub_process_local_output_all_variables(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessLocalOutputAllVariables"""
    camunda.deploy(
        "simpleSubProcess.bpmn20.xml", "CallActivity.testSubProcessLocalOutputAllVariables.bpmn20.xml"
    )
    instance = camunda.start("subProcessLocalOutputAllVariables")
    instance = camunda.complete(instance, "Task before subprocess", {"callingProcessVar1": "val1"})
    assert "inputParameter" not in instance["variables"]  # local to the call activity
    instance = camunda.complete(instance, "Task in subprocess", {"calledProcessVar1": 42})
    assert _own(instance["variables"]) == {"callingProcessVar1": "val1", "outputParameter": 43}


def test_input_parameter_literal_source_expression(camunda: Camunda) -> None:
    """CallActivityTest.testInputParameterLiteralSourceExpression (read back through variables="all")"""
    body = (RESOURCES / "CallActivity.testLiteralSourceExpression.bpmn20.xml").read_bytes()
    body = body.replace(
        b'<camunda:out sourceExpression="outLiteralValue"',
        b'<camunda:out variables="all" /><camunda:out sourceExpression="outLiteralValue"',
    )
    camunda.deploy("simpleSubProcess.bpmn20.xml", body)
    instance = camunda.start("process")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    instance = camunda.complete(instance, "Task in subprocess")
    assert instance["variables"]["inLiteralVariable"] == "inLiteralValue"


def test_output_parameter_literal_source_expression(camunda: Camunda) -> None:
    """CallActivityTest.testOutputParameterLiteralSourceExpression"""
    camunda.deploy("simpleSubProcess.bpmn20.xml", "CallActivity.testLiteralSourceExpression.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.complete(instance, "Task in subprocess")
    assert instance["variables"]["outLiteralVariable"] == "outLiteralValue"


def test_interrupting_message_event_sub_process_inside_call_activity(camunda: Camunda) -> None:
    """CallActivityTest.testInterruptingMessageEventSubProcessEventSubscriptionsInsideCallActivity"""
    camunda.deploy(
        "interruptingEventSubProcessEventSubscriptions.bpmn20.xml",
        "CallActivity.testInterruptingEventSubProcessEventSubscriptions.bpmn20.xml",
    )
    instance = camunda.start("callInterruptingEventSubProcess")
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["taskBeforeInterruptingEventSubprocess"]
    instance = camunda.correlate("newMessage", instance)
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["taskAfterMessageStartEvent"]
    assert camunda.api.post("/signals", "sys", json={"signalName": "newSignal"}).status_code == 204
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["taskAfterMessageStartEvent"]
    assert camunda.complete(instance, "taskAfterMessageStartEvent")["status"] == "completed"


def test_interrupting_signal_event_sub_process_inside_call_activity(camunda: Camunda) -> None:
    """CallActivityTest.testInterruptingSignalEventSubProcessEventSubscriptionsInsideCallActivity"""
    camunda.deploy(
        "interruptingEventSubProcessEventSubscriptions.bpmn20.xml",
        "CallActivity.testInterruptingEventSubProcessEventSubscriptions.bpmn20.xml",
    )
    instance = camunda.start("callInterruptingEventSubProcess")
    assert camunda.api.post("/signals", "sys", json={"signalName": "newSignal"}).status_code == 204
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["taskAfterSignalStartEvent"]
    assert camunda.correlate_response("newMessage", instance).status_code == 404
    assert camunda.complete(instance, "taskAfterSignalStartEvent")["status"] == "completed"

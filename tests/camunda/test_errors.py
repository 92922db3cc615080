"""Error events as Camunda runs them (issue 11, item 9)."""

from __future__ import annotations

import pytest

from tests.camunda.conftest import Camunda

B = "BoundaryErrorEventTest"


@pytest.mark.parametrize(
    "resource",
    [
        f"{B}.testCatchErrorOnEmbeddedSubprocess.bpmn20.xml",
        f"{B}.testCatchErrorOnEmbeddedSubprocessWithEmptyErrorCode.bpmn20.xml",
        f"{B}.testCatchErrorOnEmbeddedSubprocessWithoutErrorCode.bpmn20.xml",
    ],
    ids=["testCatchErrorOnEmbeddedSubprocess", "WithEmptyErrorCode", "WithoutErrorCode"],
)
def test_catch_error_on_embedded_subprocess(camunda: Camunda, resource: str) -> None:
    """BoundaryErrorEventTest.testCatchErrorOnEmbeddedSubprocess (and ...WithEmptyErrorCode, ...WithoutErrorCode)"""
    camunda.deploy(resource)
    instance = camunda.start("boundaryErrorOnEmbeddedSubprocess")
    assert camunda.task_names(instance) == ["subprocessTask"]
    instance = camunda.complete(instance, "subprocessTask")
    assert camunda.task_names(instance) == ["task after catching the error"]


@pytest.mark.parametrize(
    "resource",
    [f"{B}.testThrowErrorWithoutErrorCode.bpmn20.xml", f"{B}.testThrowErrorWithEmptyErrorCode.bpmn20.xml"],
)
def test_throw_error_without_error_code(camunda: Camunda, resource: str) -> None:
    """BoundaryErrorEventTest.testThrowErrorWithoutErrorCode, .testThrowErrorWithEmptyErrorCode"""
    errors = camunda.deploy_fails(resource)
    flagged = [e for e in errors if e.get("elementId") == "theEnd"]
    assert (
        flagged
        and "'errorCode' is mandatory on errors referenced by throwing error event definitions"
        in flagged[0]["message"]
    )


def test_catch_error_of_inner_subprocess_on_outer_subprocess(camunda: Camunda) -> None:
    """BoundaryErrorEventTest.testCatchErrorOfInnerSubprocessOnOuterSubprocess"""
    camunda.deploy(f"{B}.testCatchErrorOfInnerSubprocessOnOuterSubprocess.bpmn20.xml")
    instance = camunda.start("boundaryErrorTest")
    assert camunda.task_names(instance) == ["Inner subprocess task 1", "Inner subprocess task 2"]
    instance = camunda.complete(instance, "Inner subprocess task 2")
    assert camunda.task_names(instance) == ["task outside subprocess"]


def test_catch_error_on_call_activity(camunda: Camunda) -> None:
    """BoundaryErrorEventTest.testCatchErrorOnCallActivity"""
    camunda.deploy(f"{B}.subprocess.bpmn20.xml", f"{B}.testCatchErrorOnCallActivity-parent.bpmn20.xml")
    instance = camunda.start("catchErrorOnCallActivity")
    assert camunda.task_names(instance) == ["Task in subprocess"]
    instance = camunda.complete(instance, "Task in subprocess")
    assert camunda.task_names(instance) == ["Escalated Task"]
    assert camunda.complete(instance, "Escalated Task")["status"] == "completed"


def test_catch_error_thrown_by_call_activity_on_subprocess(camunda: Camunda) -> None:
    """BoundaryErrorEventTest.testCatchErrorThrownByCallActivityOnSubprocess"""
    camunda.deploy(
        f"{B}.subprocess.bpmn20.xml", f"{B}.testCatchErrorThrownByCallActivityOnSubprocess.bpmn20.xml"
    )
    instance = camunda.start("catchErrorOnSubprocess")
    instance = camunda.complete(instance, "Task in subprocess")
    assert camunda.task_names(instance) == ["Escalated Task"]
    assert camunda.complete(instance, "Escalated Task")["status"] == "completed"


def test_catch_error_thrown_by_call_activity_on_call_activity(camunda: Camunda) -> None:
    """BoundaryErrorEventTest.testCatchErrorThrownByCallActivityOnCallActivity"""
    camunda.deploy(
        f"{B}.subprocess.bpmn20.xml",
        f"{B}.subprocess2ndLevel.bpmn20.xml",
        f"{B}.testCatchErrorThrownByCallActivityOnCallActivity.bpmn20.xml",
    )
    instance = camunda.start("catchErrorOnCallActivity2ndLevel")
    instance = camunda.complete(instance, "Task in subprocess")
    assert camunda.task_names(instance) == ["Escalated Task"]
    assert camunda.complete(instance, "Escalated Task")["status"] == "completed"


def test_catch_error_on_subprocess_sets_error_variables(camunda: Camunda) -> None:
    """BoundaryErrorEventTest.testCatchErrorOnSubprocessSetsErrorVariables"""
    camunda.deploy(f"{B}.testCatchErrorOnSubprocessSetsErrorVariables.bpmn")
    instance = camunda.start("Process_1")
    assert camunda.variables(instance)["errorVariable"] == "error1"


def test_catch_error_thrown_by_call_activity_on_subprocess_sets_error_variables(camunda: Camunda) -> None:
    """BoundaryErrorEventTest.testCatchErrorThrownByCallActivityOnSubprocessSetsErrorVariables"""
    camunda.deploy(
        "ThrowErrorProcess.bpmn",
        f"{B}.testCatchErrorThrownByCallActivityOnSubprocessSetsErrorCodeVariable.bpmn",
    )
    instance = camunda.start("Process_1")
    assert camunda.variables(instance)["errorVariable"] == "error"


def test_error_ref_to_an_undeclared_error_is_the_error_code(camunda: Camunda) -> None:
    """BpmnParse.parseErrorEventDefinition: an errorRef naming no error is used as the error code."""
    camunda.deploy(
        b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="Examples">
  <process id="undeclaredError" isExecutable="true">
    <startEvent id="start"/><sequenceFlow sourceRef="start" targetRef="sub"/>
    <subProcess id="sub">
      <startEvent id="subStart"/><sequenceFlow sourceRef="subStart" targetRef="subTask"/>
      <userTask id="subTask" name="subprocessTask"/><sequenceFlow sourceRef="subTask" targetRef="subEnd"/>
      <endEvent id="subEnd"><errorEventDefinition errorRef="NOT_DECLARED"/></endEvent>
    </subProcess>
    <boundaryEvent id="catch" attachedToRef="sub">
      <errorEventDefinition errorRef="NOT_DECLARED" camunda:errorCodeVariable="code"/>
    </boundaryEvent>
    <sequenceFlow sourceRef="catch" targetRef="after"/><userTask id="after" name="After"/>
    <sequenceFlow sourceRef="sub" targetRef="normal"/><userTask id="normal" name="Normal"/>
  </process>
</definitions>"""
    )
    instance = camunda.start("undeclaredError")
    instance = camunda.complete(instance, "subprocessTask")
    assert camunda.task_names(instance) == ["After"]
    assert instance["variables"]["code"] == "NOT_DECLARED"


def test_error_message_variable(camunda: Camunda) -> None:
    """ErrorEventSubProcessTest.testCatchErrorFromCallActivitySetsErrorVariables (message from camunda:errorMessage)"""
    camunda.deploy(
        b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="Examples">
  <error id="err" errorCode="E42" camunda:errorMessage="Failed for ${who}"/>
  <process id="errorMessage" isExecutable="true">
    <startEvent id="start"/><sequenceFlow sourceRef="start" targetRef="sub"/>
    <subProcess id="sub">
      <startEvent id="subStart"/><sequenceFlow sourceRef="subStart" targetRef="subEnd"/>
      <endEvent id="subEnd"><errorEventDefinition errorRef="err"/></endEvent>
    </subProcess>
    <boundaryEvent id="catch" attachedToRef="sub">
      <errorEventDefinition camunda:errorCodeVariable="code" camunda:errorMessageVariable="message"/>
    </boundaryEvent>
    <sequenceFlow sourceRef="catch" targetRef="after"/><userTask id="after" name="After"/>
  </process>
</definitions>"""
    )
    instance = camunda.start("errorMessage", {"who": "kermit"})
    assert camunda.task_names(instance) == ["After"]
    assert instance["variables"]["code"] == "E42"
    assert instance["variables"]["message"] == "Failed for kermit"

"""Error end events and error event sub-processes as Camunda runs them.

Ported from ``ErrorEventSubProcessTest`` and ``ErrorEndEventTest`` (resources unchanged, except a
timer cycle of ``R/PT10S`` raised to ``R/PT1M``, the shortest cycle this service allows).
"""

from __future__ import annotations

import pytest

from tests.camunda.conftest import Camunda

E = "ErrorEventSubProcessTest"


@pytest.mark.parametrize(
    "test",
    [
        "testCatchErrorInEmbeddedSubProcess",
        "testEventSubprocessTakesPrecedence",
        "testErrorCodeTakesPrecedence",
    ],
)
def test_error_caught_by_event_subprocess(camunda: Camunda, test: str) -> None:
    """ErrorEventSubProcessTest.testCatchErrorInEmbeddedSubProcess, .testEventSubprocessTakesPrecedence,
    .testErrorCodeTakesPrecedence (assertThatErrorHasBeenCaught)"""
    camunda.deploy(f"{E}.{test}.bpmn20.xml")
    instance = camunda.start("CatchErrorInEmbeddedSubProcess")
    assert camunda.task_names(instance) == ["Escalated Task"]
    assert camunda.complete(instance, "Escalated Task")["status"] == "completed"


def test_catch_error_event_subprocess_set_error_variables(camunda: Camunda) -> None:
    """ErrorEventSubProcessTest.testCatchErrorEventSubprocessSetErrorVariables"""
    camunda.deploy(f"{E}.testCatchErrorEventSubprocessSetErrorVariables.bpmn")
    instance = camunda.start("Process_1")
    assert camunda.variables(instance)["errorCode"] == "error"


def test_catch_error_from_call_activity_sets_error_variable(camunda: Camunda) -> None:
    """ErrorEventSubProcessTest.testCatchErrorFromCallActivitySetsErrorVariable"""
    camunda.deploy("ThrowErrorProcess.bpmn", f"{E}.testCatchErrorFromCallActivitySetsErrorVariables.bpmn")
    instance = camunda.start("Process_1")
    assert camunda.variables(instance)["errorCode"] == "error"


def test_thrown_an_error_in_event_subprocess_in_subprocess(camunda: Camunda) -> None:
    """ErrorEventSubProcessTest.testThrownAnErrorInEventSubprocessInSubprocess"""
    camunda.deploy(f"{E}.testThrownAnErrorInEventSubprocessInSubprocess.bpmn20.xml")
    instance = camunda.start("eventSubProcess")
    assert camunda.task_names(instance) == ["inside subprocess"]
    (timer,) = camunda.timers(instance)
    instance = camunda.fire(timer)
    assert camunda.task_names(instance) == ["after catch"]
    assert camunda.timers(instance) == []


def test_error(camunda: Camunda) -> None:
    """ErrorEndEventTest.testError"""
    camunda.deploy("ErrorEndEventTest.testError.bpmn20.xml")
    variables = camunda.variables(camunda.start("testError"))
    assert variables["errorCode"] == "123"
    assert variables.get("errorMessage") is None


def test_error_message(camunda: Camunda) -> None:
    """ErrorEndEventTest.testErrorMessage"""
    camunda.deploy("ErrorEndEventTest.testErrorMessage.bpmn20.xml")
    variables = camunda.variables(camunda.start("testErrorMessage"))
    assert variables["errorCode"] == "123"
    assert variables["errorMessage"] == "This is the error message indicating what went wrong."


def test_error_message_expression(camunda: Camunda) -> None:
    """ErrorEndEventTest.testErrorMessageExpression"""
    message = "This is the error message indicating what went wrong."
    camunda.deploy("ErrorEndEventTest.testErrorMessageExpression.bpmn20.xml")
    variables = camunda.variables(
        camunda.start("testErrorMessageExpression", {"errorMessageExpression": message})
    )
    assert variables["errorCode"] == "123"
    assert variables["errorMessage"] == message


def test_propagate_output_variables_while_throw_error_is_refused(camunda: Camunda) -> None:
    """ErrorEndEventTest.testPropagateOutputVariablesWhileThrowError: its called process sets a variable
    in an execution listener; listeners are refused at deploy, naming the element"""
    errors = camunda.deploy_fails("testPropagateOutputVariablesWhileThrowError.bpmn20.xml")
    assert any("listeners are not supported" in e["message"] and e.get("elementId") for e in errors), errors

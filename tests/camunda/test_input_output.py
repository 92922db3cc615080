"""camunda:inputOutput on every activity, with Camunda's local-variable scoping (issue 11).

Ports of ``iomapping/InputOutputTest`` and ``InputOutputEventTest``. Camunda's variable instance
query finds a local variable of the waiting activity; here it is among the instance's variables
while the activity waits, and gone once the activity has ended (unless an output maps it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.camunda.conftest import Camunda

IO = "InputOutputTest"


def _start_waiting(
    camunda: Camunda, resource: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    camunda.deploy(resource)
    instance = camunda.start("testProcess", variables)
    assert instance["status"] == "active"
    assert instance["activeElements"] == ["wait"]
    return instance


def _var1(camunda: Camunda, test: str, variables: dict[str, Any] | None = None) -> Any:
    instance = _start_waiting(camunda, f"{IO}.{test}.bpmn", variables)
    assert "var1" in instance["variables"]
    return instance["variables"]["var1"]


# -- input parameters ----------------------------------------------------------------------------


def test_input_null_value(camunda: Camunda) -> None:
    """InputOutputTest.testInputNullValue"""
    assert _var1(camunda, "testInputNullValue") is None


def test_input_string_constant_value(camunda: Camunda) -> None:
    """InputOutputTest.testInputStringConstantValue"""
    assert _var1(camunda, "testInputStringConstantValue") == "stringValue"


def test_input_el_value(camunda: Camunda) -> None:
    """InputOutputTest.testInputElValue"""
    assert _var1(camunda, "testInputElValue") == 2


def test_input_script_value(camunda: Camunda) -> None:
    """InputOutputTest.testInputScriptValue (Groovy ``return 1 + 1;``)"""
    assert _var1(camunda, "testInputScriptValue") == 2


def test_input_list_el_values(camunda: Camunda) -> None:
    """InputOutputTest.testInputListElValues"""
    assert _var1(camunda, "testInputListElValues") == [2, 3, 4]


def test_input_list_mixed_values(camunda: Camunda) -> None:
    """InputOutputTest.testInputListMixedValues"""
    assert _var1(camunda, "testInputListMixedValues") == ["constantStringValue", "elValue", "scriptValue"]


def test_input_map_el_values(camunda: Camunda) -> None:
    """InputOutputTest.testInputMapElValues"""
    assert _var1(camunda, "testInputMapElValues") == {"a": 2, "b": 3, "c": 4}


def test_input_multiple_el_value(camunda: Camunda) -> None:
    """InputOutputTest.testInputMultipleElValue"""
    instance = _start_waiting(camunda, f"{IO}.testInputMultipleElValue.bpmn")
    assert instance["variables"]["var1"] == 2
    assert instance["variables"]["var2"] == 3


def test_input_multiple_mixed_value(camunda: Camunda) -> None:
    """InputOutputTest.testInputMultipleMixedValue"""
    instance = _start_waiting(camunda, f"{IO}.testInputMultipleMixedValue.bpmn")
    assert instance["variables"]["var1"] == 2
    assert instance["variables"]["var2"] == "stringConstantValue"


def test_input_nested(camunda: Camunda) -> None:
    """InputOutputTest.testInputNested"""
    instance = _start_waiting(camunda, f"{IO}.testInputNested.bpmn", {"exprKey": "b"})
    assert instance["variables"]["var1"] == {
        "a": ["stringInListNestedInMap", "b"],
        "b": "stringValueWithExprKey",
    }
    assert instance["variables"]["var2"] == "stringConstantValue"


def test_input_nested_list_values(camunda: Camunda) -> None:
    """InputOutputTest.testInputNestedListValues"""
    value = _var1(camunda, "testInputNestedListValues", {"exprKey": "vegie"})
    assert value == [
        "constantStringValue",
        "elValue",
        "scriptValue",
        [["a", "b", "c"], "d"],
        {"foo": "bar", "hello": "world", "vegie": "potato"},
    ]


def test_input_map_el_key(camunda: Camunda) -> None:
    """InputOutputTest.testInputMapElKey"""
    value = _var1(camunda, "testInputMapElKey", {"varExpr1": "a", "varExpr2": "b"})
    assert value == {"a": "potato", "b": "tomato"}


def test_input_map_el_mixed_key(camunda: Camunda) -> None:
    """InputOutputTest.testInputMapElMixedKey"""
    value = _var1(
        camunda, "testInputMapElMixedKey", {"varExpr1": "a", "varExpr2": "b", "varExprMapValue": "avocado"}
    )
    assert value["a"] == "potato"
    assert value["b"] == "tomato"


def test_input_map_el_undefined_key(camunda: Camunda) -> None:
    """InputOutputTest.testInputMapElUndefinedKey: the start fails naming the unknown variable"""
    camunda.deploy(f"{IO}.testInputMapElKey.bpmn")
    response = camunda.start_response("testProcess")
    assert response.status_code == 422
    assert "varExpr1" in response.get_json()["detail"]


def test_input_local_is_gone_after_the_activity(camunda: Camunda) -> None:
    """InputOutputTest.testInputStringConstantValue: the local variable ends with its activity"""
    instance = _start_waiting(camunda, f"{IO}.testInputStringConstantValue.bpmn")
    instance = camunda.correlate("wait", instance)
    assert instance["status"] == "completed"
    assert "var1" not in instance["variables"]


# -- output parameters ---------------------------------------------------------------------------


def test_output_null_value(camunda: Camunda) -> None:
    """InputOutputTest.testOutputNullValue"""
    assert _var1(camunda, "testOutputNullValue") is None


def test_output_string_constant_value(camunda: Camunda) -> None:
    """InputOutputTest.testOutputStringConstantValue"""
    assert _var1(camunda, "testOutputStringConstantValue") == "stringValue"


def test_output_el_value(camunda: Camunda) -> None:
    """InputOutputTest.testOutputElValue"""
    assert _var1(camunda, "testOutputElValue") == 2


def test_output_script_value(camunda: Camunda) -> None:
    """InputOutputTest.testOutputScriptValue"""
    assert _var1(camunda, "testOutputScriptValue") == 2


def test_output_list_el_values(camunda: Camunda) -> None:
    """InputOutputTest.testOutputListElValues"""
    assert _var1(camunda, "testOutputListElValues") == [2, 3, 4]


def test_output_list_mixed_values(camunda: Camunda) -> None:
    """InputOutputTest.testOutputListMixedValues"""
    assert _var1(camunda, "testOutputListMixedValues") == ["constantStringValue", "elValue", "scriptValue"]


def test_output_map_el_values(camunda: Camunda) -> None:
    """InputOutputTest.testOutputMapElValues"""
    assert _var1(camunda, "testOutputMapElValues") == {"a": 2, "b": 3, "c": 4}


def test_output_multiple_el_value(camunda: Camunda) -> None:
    """InputOutputTest.testOutputMultipleElValue"""
    instance = _start_waiting(camunda, f"{IO}.testOutputMultipleElValue.bpmn")
    assert instance["variables"]["var1"] == 2
    assert instance["variables"]["var2"] == 3


def test_output_multiple_mixed_value(camunda: Camunda) -> None:
    """InputOutputTest.testOutputMultipleMixedValue"""
    instance = _start_waiting(camunda, f"{IO}.testOutputMultipleMixedValue.bpmn")
    assert instance["variables"]["var1"] == 2
    assert instance["variables"]["var2"] == "stringConstantValue"


def test_output_nested(camunda: Camunda) -> None:
    """InputOutputTest.testOutputNested"""
    instance = _start_waiting(camunda, f"{IO}.testOutputNested.bpmn", {"exprKey": "b"})
    assert instance["variables"]["var1"] == {
        "a": ["stringInListNestedInMap", "b"],
        "b": "stringValueWithExprKey",
    }
    assert instance["variables"]["var2"] == "stringConstantValue"


def test_output_list_nested_values(camunda: Camunda) -> None:
    """InputOutputTest.testOutputListNestedValues"""
    value = _var1(camunda, "testOutputListNestedValues", {"exprKey": "vegie"})
    assert value == [
        "constantStringValue",
        "elValue",
        "scriptValue",
        [["a", "b", "c"], "d"],
        {"foo": "bar", "hello": "world", "vegie": "potato"},
    ]


def test_output_map_el_key(camunda: Camunda) -> None:
    """InputOutputTest.testOutputMapElKey"""
    value = _var1(camunda, "testOutputMapElKey", {"varExpr1": "a", "varExpr2": "b"})
    assert value == {"a": "potato", "b": "tomato"}


def test_output_map_el_mixed_key(camunda: Camunda) -> None:
    """InputOutputTest.testOutputMapElMixedKey"""
    value = _var1(camunda, "testOutputMapElMixedKey", {"varExpr1": "a", "varExpr2": "b"})
    assert value == {"a": "potato", "b": "tomato"}


def test_output_map_el_undefined_key(camunda: Camunda) -> None:
    """InputOutputTest.testOutputMapElUndefinedKey"""
    camunda.deploy(f"{IO}.testOutputMapElKey.bpmn")
    response = camunda.start_response("testProcess")
    assert response.status_code == 422
    assert "varExpr1" in response.get_json()["detail"]


def test_output_plain_task(camunda: Camunda) -> None:
    """InputOutputTest.testOutputPlainTask: an input shadows, the output of the same name is set outside"""
    camunda.deploy(f"{IO}.testOutputPlainTask.bpmn20.xml")
    instance = camunda.start("process", {"foo": "bar"})
    assert instance["variables"]["var"] == "baroque"


# -- scopes ----------------------------------------------------------------------------------------


def test_subprocess_io_support(camunda: Camunda) -> None:
    """InputOutputTest.testSubprocessIoSupport"""
    camunda.deploy(f"{IO}.testSubprocessIoSupport.bpmn20.xml")
    instance = camunda.start("testProcess", {"processVar": "value"})
    assert instance["variables"]["innerVar"] == "value"  # local to the sub-process while it runs
    instance = camunda.complete(instance, camunda.tasks(instance)[0]["elementId"])
    assert instance["variables"]["outerVar"] == "value"
    assert "innerVar" not in instance["variables"]


def test_composite_expression_for_input_value(camunda: Camunda) -> None:
    """InputOutputTest.testCompositeExpressionForInputValue (the fluent model builder's diagram, as XML)"""
    camunda.deploy(
        b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="Examples">
  <process id="Process" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>
    <receiveTask id="wait"><extensionElements><camunda:inputOutput>
      <camunda:inputParameter name="var">Hello World${'!'}</camunda:inputParameter>
    </camunda:inputOutput></extensionElements></receiveTask>
    <sequenceFlow id="f2" sourceRef="wait" targetRef="end"/><endEvent id="end"/>
  </process>
</definitions>"""
    )
    assert camunda.start("Process")["variables"]["var"] == "Hello World!"


def test_composite_expression_for_output_value(camunda: Camunda) -> None:
    """InputOutputTest.testCompositeExpressionForOutputValue"""
    camunda.deploy(
        b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="Examples">
  <process id="Process" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="service"/>
    <serviceTask id="service" camunda:expression="${true}"><extensionElements><camunda:inputOutput>
      <camunda:inputParameter name="var1">World!</camunda:inputParameter>
      <camunda:outputParameter name="var2">Hello ${var1}</camunda:outputParameter>
    </camunda:inputOutput></extensionElements></serviceTask>
    <sequenceFlow id="f2" sourceRef="service" targetRef="task"/><userTask id="task"/>
    <sequenceFlow id="f3" sourceRef="task" targetRef="end"/><endEvent id="end"/>
  </process>
</definitions>"""
    )
    variables = camunda.start("Process")["variables"]
    assert variables["var2"] == "Hello World!"
    assert "var1" not in variables


# -- refused at deploy, as Camunda refuses them --------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "element", "message"),
    [
        (
            f"{IO}.testInterruptingEventSubprocessIoSupport.bpmn",
            "SubProcess_1",
            "camunda:inputOutput mapping unsupported for element type 'subProcess' with attribute "
            "'triggeredByEvent = true'",
        ),
        (
            f"{IO}.testMIOutputMappingDisallowed.bpmn20.xml",
            "miTask",
            "camunda:outputParameter not allowed for multi-instance constructs",
        ),
        (
            "InputOutputEventTest.testMessageStartEvent.bpmn20.xml",
            "start",
            "camunda:inputOutput mapping unsupported for element type 'startEvent'",
        ),
        (
            "InputOutputEventTest.testMessageBoundaryEvent.bpmn20.xml",
            "messageBoundary",
            "camunda:inputOutput mapping unsupported for element type 'boundaryEvent'",
        ),
        (
            "InputOutputEventTest.testNoneEndEvent.bpmn20.xml",
            "endMapping",
            "camunda:outputParameter not allowed for element type 'endEvent'",
        ),
    ],
)
def test_refused_like_camunda(camunda: Camunda, resource: str, element: str, message: str) -> None:
    """InputOutputTest.testInterruptingEventSubprocessIoSupport, .testMIOutputMappingDisallowed,
    InputOutputEventTest.testMessageStartEvent, .testMessageBoundaryEvent, .testNoneEndEvent"""
    errors = camunda.deploy_fails(resource)
    assert any(e.get("elementId") == element and message in e["message"] for e in errors), errors


def test_scripts_that_need_an_engine_are_refused_naming_the_element(camunda: Camunda) -> None:
    """InputOutputTest.testInputExternalScriptValue: a script from a resource is refused, not ignored"""
    errors = camunda.deploy_fails(f"{IO}.testInputExternalScriptValue.bpmn")
    assert any(e.get("elementId") == "wait" and "external scripts" in e["message"] for e in errors)


def test_user_task_input_is_local_and_hides_a_process_variable(camunda: Camunda) -> None:
    """Camunda's scoping of input parameters: a local variable hides a process variable while its
    activity runs; a variable set there by name goes to the local one and ends with the activity."""
    camunda.deploy(
        b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="Examples">
  <process id="io" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="task"/>
    <userTask id="task" name="Task ${x}" camunda:assignee="${who}"><extensionElements><camunda:inputOutput>
      <camunda:inputParameter name="x">${x * 10}</camunda:inputParameter>
      <camunda:inputParameter name="who">kermit</camunda:inputParameter>
    </camunda:inputOutput></extensionElements></userTask>
    <sequenceFlow id="f2" sourceRef="task" targetRef="after"/><userTask id="after" name="After"/>
    <sequenceFlow id="f3" sourceRef="after" targetRef="end"/><endEvent id="end"/>
  </process>
</definitions>"""
    )
    instance = camunda.start("io", {"x": 4})
    (task,) = camunda.tasks(instance)
    assert task["name"] == "Task 40"
    assert task["assignee"] == "kermit"
    instance = camunda.complete(instance, "task", {"x": 99, "y": 1})
    assert instance["variables"]["x"] == 4  # the hidden process variable is back
    assert instance["variables"]["y"] == 1  # not local: set on the process
    assert "who" not in instance["variables"]


def test_message_catch_event(camunda: Camunda) -> None:
    """InputOutputEventTest.testMessageCatchEvent"""
    camunda.deploy("InputOutputEventTest.testMessageCatchEvent.bpmn20.xml")
    instance = camunda.start("testProcess")
    assert instance["variables"]["mappedVariable"] == "mappedValue"
    instance = camunda.correlate("IncomingMessage", instance, {"messageVariable": "outValue"})
    assert instance["variables"]["outVariable"] == "outValue"
    assert "mappedVariable" not in instance["variables"]


def test_timer_catch_event(camunda: Camunda) -> None:
    """InputOutputEventTest.testTimerCatchEvent: the timer's date comes from an input parameter"""
    camunda.deploy("InputOutputEventTest.testTimerCatchEvent.bpmn20.xml")
    due = (camunda.clock.now() + timedelta(minutes=5)).replace(microsecond=0)
    instance = camunda.start("testProcess", {"outerVariable": due.isoformat()})
    (timer,) = camunda.timers(instance)
    assert datetime.fromisoformat(timer["dueAt"]) == due


def test_message_catch_after_event_gateway(camunda: Camunda) -> None:
    """InputOutputEventTest.testMessageCatchAfterEventGateway"""
    camunda.deploy("InputOutputEventTest.testMessageCatchAfterEventGateway.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.correlate("foo", instance)
    assert instance["variables"]["foo"] == "bar"


def test_timer_catch_after_event_gateway(camunda: Camunda) -> None:
    """InputOutputEventTest.testTimerCatchAfterEventGateway"""
    camunda.deploy("InputOutputEventTest.testTimerCatchAfterEventGateway.bpmn20.xml")
    instance = camunda.start("process")
    (timer,) = camunda.timers(instance)
    assert camunda.fire(timer)["variables"]["foo"] == "bar"


def test_signal_catch_after_event_gateway(camunda: Camunda) -> None:
    """InputOutputEventTest.testSignalCatchAfterEventGateway"""
    camunda.deploy("InputOutputEventTest.testSignalCatchAfterEventGateway.bpmn20.xml")
    instance = camunda.start("process")
    response = camunda.api.post("/signals", "sys", json={"signalName": "foo"})
    assert response.status_code == 204, response.get_json()
    assert camunda.variables(instance)["foo"] == "bar"


def test_multi_instance_inputs_are_per_instance_and_see_the_loop_variables(camunda: Camunda) -> None:
    """InputOutputTest.testParallelMIActivityIoSupport's idea without its Java counter bean: each
    instance of a multi-instance activity gets its own input parameters, evaluated with its
    loopCounter, nrOfInstances and element variable; none of them outlive the activity"""
    camunda.deploy(
        b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="Examples">
  <process id="mi" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="task"/>
    <userTask id="task" name="Task ${label}" camunda:assignee="${who}">
      <extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="label">nr ${loopCounter + 1} of ${nrOfInstances}</camunda:inputParameter>
      </camunda:inputOutput></extensionElements>
      <multiInstanceLoopCharacteristics isSequential="false" camunda:collection="people"
        camunda:elementVariable="who"/>
    </userTask>
    <sequenceFlow id="f2" sourceRef="task" targetRef="end"/><endEvent id="end"/>
  </process>
</definitions>"""
    )
    instance = camunda.start("mi", {"people": ["ann", "bob"]})
    tasks = sorted((t["name"], t["assignee"]) for t in camunda.tasks(instance))
    assert tasks == [("Task nr 1 of 2", "ann"), ("Task nr 2 of 2", "bob")]
    for task in camunda.tasks(instance):
        instance = camunda.complete(instance, task["name"])
    assert instance["status"] == "completed"
    assert "label" not in instance["variables"]

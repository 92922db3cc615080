"""Camunda's EL as designers write it: String methods, ternaries, ``empty``, service task expressions.

Ports of ``el/ExpressionManagerTest`` (the ones without Java beans) and EL cases on real diagrams.
"""

from __future__ import annotations

from tests.camunda.conftest import Camunda


def test_method_expressions(camunda: Camunda) -> None:
    """ExpressionManagerTest.testMethodExpressions: ``${aString.substring(3,7)}``, ``${aString.toString()}``"""
    camunda.deploy("ExpressionManagerTest.testMethodExpressions.bpmn20.xml")
    instance = camunda.start("methodExpressionProcess", {"aString": "abcdefgh"})
    assert instance["status"] == "completed"


def test_method_expression_out_of_range_is_a_process_error(camunda: Camunda) -> None:
    """ExpressionManagerTest.testMethodExpressions with a text too short: Java's IndexOutOfBounds, a 422"""
    camunda.deploy("ExpressionManagerTest.testMethodExpressions.bpmn20.xml")
    response = camunda.start_response("methodExpressionProcess", {"aString": "abc"})
    assert response.status_code == 422
    assert "servicetask1" in response.get_json()["detail"]


def test_resolves_variables_from_different_scopes(camunda: Camunda) -> None:
    """ExpressionManagerTest.testResolvesVariablesFromDifferentScopes"""
    camunda.deploy("ExpressionManagerTest.testResolvesVariablesFromDifferentScopes.bpmn20.xml")
    first = camunda.start("oneTaskProcess", {"assignee": "michael"})
    assert camunda.tasks(first)[0]["assignee"] == "michael"
    second = camunda.start("oneTaskProcess", {"assignee": "johnny"})
    assert camunda.tasks(second)[0]["assignee"] == "johnny"


def test_string_methods_in_conditions_and_result_variables(camunda: Camunda) -> None:
    """EL String methods Camunda's JUEL offers (concat, length, equals, substring, indexOf, replace),
    ``empty`` and the ternary, in a gateway and in service task result variables"""
    camunda.deploy(
        b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="Examples">
  <process id="el" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="greet"/>
    <serviceTask id="greet" camunda:expression="${name.concat(' ').concat(city.substring(0, 3))}"
      camunda:resultVariable="greeting"/>
    <sequenceFlow id="f2" sourceRef="greet" targetRef="size"/>
    <serviceTask id="size" camunda:expression="${empty note ? greeting.length() : note.replace('x', 'y')}"
      camunda:resultVariable="size"/>
    <sequenceFlow id="f3" sourceRef="size" targetRef="gw"/>
    <exclusiveGateway id="gw" default="other"/>
    <sequenceFlow id="amsterdam" sourceRef="gw" targetRef="a">
      <conditionExpression>${city.equals('Amsterdam') &amp;&amp; greeting.indexOf('Ams') > 0}</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="other" sourceRef="gw" targetRef="b"/>
    <userTask id="a" name="Amsterdam"/><userTask id="b" name="Elders"/>
  </process>
</definitions>"""
    )
    instance = camunda.start("el", {"name": "Ada", "city": "Amsterdam", "note": ""})
    assert instance["variables"]["greeting"] == "Ada Ams"
    assert instance["variables"]["size"] == 7
    assert camunda.task_names(instance) == ["Amsterdam"]
    other = camunda.start("el", {"name": "Bo", "city": "Utrecht", "note": "xx"})
    assert other["variables"]["size"] == "yy"
    assert camunda.task_names(other) == ["Elders"]

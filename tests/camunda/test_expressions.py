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


def _script_process(script_format: str | None, script: str) -> bytes:
    """Camunda's AbstractScriptTaskTest.createProcess (start, script task, user task, end) as XML."""
    fmt = f' scriptFormat="{script_format}"' if script_format else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="Examples">
  <process id="testProcess" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="script"/>
    <scriptTask id="script"{fmt}><script><![CDATA[{script}]]></script></scriptTask>
    <sequenceFlow id="f2" sourceRef="script" targetRef="task"/><userTask id="task"/>
    <sequenceFlow id="f3" sourceRef="task" targetRef="end"/><endEvent id="end"/>
  </process>
</definitions>""".encode()


def test_juel_expression(camunda: Camunda) -> None:
    """ScriptTaskTest.testJuelExpression"""
    camunda.deploy(_script_process("juel", "${execution.setVariable('foo', 'bar')}"))
    assert camunda.start("testProcess")["variables"]["foo"] == "bar"


def test_juel_capitalized_expression(camunda: Camunda) -> None:
    """ScriptTaskTest.testJuelCapitalizedExpression"""
    camunda.deploy(_script_process("JUEL", "${execution.setVariable('foo', 'bar')}"))
    assert camunda.start("testProcess")["variables"]["foo"] == "bar"


def test_should_use_juel_as_default_script_language(camunda: Camunda) -> None:
    """ScriptTaskTest.testShouldUseJuelAsDefaultScriptLanguage"""
    camunda.deploy(_script_process(None, "${true}"))
    instance = camunda.start("testProcess")
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["task"]


def test_groovy_set_variable_through_execution_in_script(camunda: Camunda) -> None:
    """ScriptTaskTest.testGroovySetVariableThroughExecutionInScript"""
    camunda.deploy("ScriptTaskTest.testGroovySetVariableThroughExecutionInScript.bpmn20.xml")
    variables = camunda.start("setScriptVariableThroughExecution")["variables"]
    assert "scriptVar" not in variables  # def makes it script-local
    assert variables["myVar"] == "test123"


def test_javascript_set_variable(camunda: Camunda) -> None:
    """ScriptTaskTest.testJavascriptProcessVarVisibility's first statement: execution.setVariable in JavaScript"""
    camunda.deploy(_script_process("javascript", "execution.setVariable('foo', 'a');"))
    assert camunda.start("testProcess")["variables"]["foo"] == "a"


def test_scripts_that_need_an_engine_are_refused(camunda: Camunda) -> None:
    """ScriptTaskTest.testGroovyScriptExecution needs a Groovy engine (a loop over an array): refused by name"""
    errors = camunda.deploy_fails("ScriptTaskTest.testGroovyScriptExecution.bpmn20.xml")
    assert any(e.get("elementId") == "theScriptTask" and "groovy" in e["message"] for e in errors)

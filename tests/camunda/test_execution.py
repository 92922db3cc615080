"""Camunda's ``execution`` object in expressions: its ids, business key, activity and variables.

Ported from ``ScriptTaskTest``, ``AsyncAfterTest`` (the service task expression, without the Java
listeners and the async continuation) and ``ExpressionManagerTest``, and modelled on what
``DelegateExecution`` offers a JUEL expression (``getVariable``, ``setVariable``,
``setVariableLocal``, ``removeVariable``, ``processBusinessKey``, ``currentActivityId``).
"""

from __future__ import annotations

from tests.camunda.conftest import RESOURCES, Camunda

_HEAD = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="Examples">"""


def test_set_script_result_to_process_variable_reads_execution_id(camunda: Camunda) -> None:
    """ScriptTaskTest.testSetScriptResultToProcessVariable: ``#{execution.id}`` is the instance's id"""
    camunda.deploy(
        RESOURCES.joinpath("ScriptTaskTest.testSetScriptResultToProcessVariable.bpmn20.xml").read_bytes()
    )
    instance = camunda.start(
        "setScriptResultToProcessVariable", {"echo": "hello", "existingProcessVariableName": "one"}
    )
    assert instance["variables"]["existingProcessVariableName"] == "hello"
    assert instance["variables"]["newProcessVariableName"] == instance["id"]


def test_service_task_expression_sets_a_variable(camunda: Camunda) -> None:
    """AsyncAfterTest.testAsyncAfterServiceTask's behaviour: ``${execution.setVariable('behaviorInvoked', true)}``"""
    camunda.deploy(
        _HEAD
        + b"""
  <process id="testProcess" isExecutable="true">
    <startEvent id="theStart"/><sequenceFlow id="f1" sourceRef="theStart" targetRef="service"/>
    <serviceTask id="service" camunda:expression="${execution.setVariable('behaviorInvoked', true)}"/>
    <sequenceFlow id="f2" sourceRef="service" targetRef="task"/><userTask id="task"/>
    <sequenceFlow id="f3" sourceRef="task" targetRef="theEnd"/><endEvent id="theEnd"/>
  </process>
</definitions>"""
    )
    instance = camunda.start("testProcess")
    assert instance["variables"]["behaviorInvoked"] is True
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["task"]


_IDENTITY = (
    _HEAD
    + b"""
  <process id="identity" name="Identity" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="readIds"/>
    <scriptTask id="readIds" name="Read ids" scriptFormat="juel"><script>${execution.setVariable('seen',
      execution.processInstanceId.concat('|').concat(execution.processBusinessKey).concat('|')
      .concat(execution.currentActivityId).concat('|').concat(execution.currentActivityName))}</script></scriptTask>
    <sequenceFlow id="f2" sourceRef="readIds" targetRef="key"/>
    <serviceTask id="key" camunda:expression="${execution.businessKey}" camunda:resultVariable="key"/>
    <sequenceFlow id="f3" sourceRef="key" targetRef="gw"/>
    <exclusiveGateway id="gw" default="small"/>
    <sequenceFlow id="big" sourceRef="gw" targetRef="review">
      <conditionExpression>${execution.getVariable('amount') > 10 &amp;&amp; execution.hasVariable('amount')}</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="small" sourceRef="gw" targetRef="e1"/><endEvent id="e1"/>
    <userTask id="review" name="Review ${execution.processBusinessKey}"
      camunda:assignee="${execution.getVariable('reviewer')}"/>
    <sequenceFlow id="f4" sourceRef="review" targetRef="after"/>
    <serviceTask id="after" camunda:expression="${execution.id}" camunda:resultVariable="idAfterWait"/>
    <sequenceFlow id="f5" sourceRef="after" targetRef="e2"/><endEvent id="e2"/>
  </process>
</definitions>"""
)


def test_execution_ids_business_key_and_activity(camunda: Camunda) -> None:
    """DelegateExecution's getProcessInstanceId, getProcessBusinessKey, getCurrentActivityId/Name,
    getVariable and hasVariable, in a script task, a service task, a condition and user task attributes"""
    camunda.deploy(_IDENTITY)
    instance = camunda.start("identity", {"amount": 50, "reviewer": "demo"}, business_key="order-7")
    variables = instance["variables"]
    assert variables["seen"] == f"{instance['id']}|order-7|readIds|Read ids"
    assert variables["key"] == "order-7"
    task = camunda.task(instance, "review")
    assert (task["name"], task["assignee"]) == ("Review order-7", "demo")
    # after a wait state the restored instance still knows who it is
    assert camunda.complete(instance, "review")["variables"]["idAfterWait"] == instance["id"]

    small = camunda.start("identity", {"amount": 5, "reviewer": "demo"})
    assert small["status"] == "completed"


def test_set_variable_local_scoping(camunda: Camunda) -> None:
    """setVariableLocal on an activity with input parameters ends with it; setVariable of a name that
    is local there changes the local one (Camunda sets the variable where it lives); on a task that
    is no scope of its own a local variable is the process's; removeVariable removes"""
    camunda.deploy(
        _HEAD
        + b"""
  <process id="locals" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="local"/>
    <scriptTask id="local" scriptFormat="juel">
      <extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="limit">${20}</camunda:inputParameter>
      </camunda:inputOutput></extensionElements>
      <script>${execution.setVariableLocal('perTask', 'x')}</script>
    </scriptTask>
    <sequenceFlow id="f2" sourceRef="local" targetRef="setLimit"/>
    <scriptTask id="setLimit" scriptFormat="juel">
      <extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="limit">${20}</camunda:inputParameter>
        <camunda:outputParameter name="seenLimit">${limit}</camunda:outputParameter>
      </camunda:inputOutput></extensionElements>
      <script>${execution.setVariable('limit', limit + 10)}</script>
    </scriptTask>
    <sequenceFlow id="f3" sourceRef="setLimit" targetRef="plain"/>
    <scriptTask id="plain" scriptFormat="juel"><script>${execution.setVariableLocal('global', 'g')}</script></scriptTask>
    <sequenceFlow id="f4" sourceRef="plain" targetRef="drop"/>
    <scriptTask id="drop" scriptFormat="juel"><script>${execution.removeVariable('gone')}</script></scriptTask>
    <sequenceFlow id="f5" sourceRef="drop" targetRef="task"/><userTask id="task"/>
  </process>
</definitions>"""
    )
    variables = camunda.start("locals", {"gone": True, "limit": 1})["variables"]
    assert "perTask" not in variables
    assert variables["limit"] == 1  # the process's own, hidden while the tasks ran
    assert variables["seenLimit"] == 30
    assert variables["global"] == "g"
    assert "gone" not in variables


def test_set_variable_where_only_reading_is_a_process_error(camunda: Camunda) -> None:
    """An input parameter only reads: ``execution.setVariable`` there is refused naming the element,
    never dropped silently"""
    camunda.deploy(
        _HEAD
        + b"""
  <process id="readOnly" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="task"/>
    <userTask id="task"><extensionElements><camunda:inputOutput>
      <camunda:inputParameter name="x">${execution.setVariable('y', 1)}</camunda:inputParameter>
    </camunda:inputOutput></extensionElements></userTask>
  </process>
</definitions>"""
    )
    response = camunda.start_response("readOnly")
    assert response.status_code == 422
    detail = response.get_json()["detail"]
    assert "task" in detail and "setVariable" in detail


def test_unknown_execution_method_is_refused_at_deploy(camunda: Camunda) -> None:
    """An unknown execution method is refused at deploy naming the element (Camunda fails at run time)"""
    errors = camunda.deploy_fails(
        _HEAD
        + b"""
  <process id="bad" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <serviceTask id="t" camunda:expression="${execution.getProcessEngineServices()}"/>
  </process>
</definitions>"""
    )
    assert any(e.get("elementId") == "t" and "getProcessEngineServices" in e["message"] for e in errors)

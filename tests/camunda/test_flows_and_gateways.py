"""Sequence flows without ids, gateways and the shapes Camunda accepts (issue 11, items 1, 3, 10, 13)."""

from __future__ import annotations

from tests.camunda.conftest import Camunda

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" targetNamespace="Examples">
  <process id="{key}" isExecutable="true">{body}</process>
</definitions>"""


def _process(key: str, body: str) -> bytes:
    return PROCESS.format(key=key, body=body).encode()


def test_exclusive_gateway_no_id_on_sequence_flow(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testNoIdOnSequenceFlow"""
    camunda.deploy("ExclusiveGatewayTest.testNoIdOnSequenceFlow.bpmn20.xml")
    instance = camunda.start("noIdOnSequenceFlow", {"input": 3})
    assert camunda.task_names(instance) == ["Input is more than one"]


def test_inclusive_gateway_no_id_on_sequence_flow(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testNoIdOnSequenceFlow"""
    camunda.deploy("InclusiveGatewayTest.testNoIdOnSequenceFlow.bpmn20.xml")
    instance = camunda.start("inclusiveNoIdOnSequenceFlow", {"input": 3})
    assert camunda.task_names(instance) == ["Input is more than one"]
    instance = camunda.start("inclusiveNoIdOnSequenceFlow", {"input": 1})
    assert camunda.task_names(instance) == ["Input is more than one", "Input is one"]


def test_parallel_fork_join_with_flows_without_id(camunda: Camunda) -> None:
    """ParallelGatewayTest.testForkJoin"""
    camunda.deploy("ParallelGatewayTest.testForkJoin.bpmn20.xml")
    instance = camunda.start("forkJoin")
    assert instance["status"] == "active"
    assert camunda.task_names(instance) == ["Receive Payment", "Ship Order"]
    camunda.complete(instance, "Receive Payment")
    instance = camunda.complete(instance, "Ship Order")
    assert camunda.task_names(instance) == ["Archive Order"]


def test_flow_to_an_element_that_does_not_exist_is_refused(camunda: Camunda) -> None:
    """BpmnParse: "Invalid destination 'x' of sequence flow" (a node without id is no destination)"""
    errors = camunda.deploy_fails(
        _process(
            "anonymous",
            '<startEvent id="s"/><sequenceFlow sourceRef="s" targetRef="t"/>'
            '<userTask id="t"/><sequenceFlow sourceRef="t" targetRef="x"/><userTask name="Zonder id"/>',
        )
    )
    messages = " ".join(e["message"] for e in errors)
    assert "targetRef 'x' names no element" in messages
    assert "Zonder id" not in messages  # BpmnParse deploys it: no flow can reach it


def test_flow_nodes_without_id_are_deployed_and_never_run(camunda: Camunda) -> None:
    """BpmnParse creates an activity without id (ScopeImpl.createActivity(null)) that no sequence flow
    can name: it never runs, and the rest of the process runs as drawn"""
    camunda.deploy(
        _process(
            "anonymousNodes",
            '<startEvent id="s"/><sequenceFlow sourceRef="s" targetRef="t"/><userTask id="t" name="Echt"/>'
            '<sequenceFlow sourceRef="t" targetRef="e"/><endEvent id="e"/>'
            '<userTask name="Zonder id"/><exclusiveGateway/><endEvent/><intermediateThrowEvent/>'
            '<subProcess><startEvent id="inner"/><sequenceFlow id="innerFlow" sourceRef="inner" '
            'targetRef="innerTask"/><userTask id="innerTask" name="Binnen"/></subProcess>',
        )
    )
    instance = camunda.start("anonymousNodes")
    assert camunda.task_names(instance) == ["Echt"]
    assert camunda.complete(instance, "Echt")["status"] == "completed"


def test_start_and_boundary_events_without_id_are_refused_naming_them(camunda: Camunda) -> None:
    """Camunda's parse fails on a start event without id; a boundary event fires without a flow
    naming it: each is refused, named by its kind and line. An event sub-process without id is
    deployed, as Camunda does (BpmnParseTest.testParseEscalationStartEvent): an id is made up for it"""
    errors = camunda.deploy_fails(
        _process(
            "anonymousEvents",
            '<startEvent/><startEvent id="s"/><sequenceFlow sourceRef="s" targetRef="t"/><userTask id="t"/>'
            '<boundaryEvent attachedToRef="t"><timerEventDefinition><timeDuration>PT1H</timeDuration>'
            "</timerEventDefinition></boundaryEvent>"
            '<subProcess triggeredByEvent="true"><startEvent id="es"><messageEventDefinition/></startEvent>'
            "</subProcess>",
        )
    )
    messages = [e["message"] for e in errors]
    assert any("start event needs an id" in m for m in messages), messages
    assert any("boundary event needs an id" in m for m in messages), messages
    assert not any("event sub-process" in m for m in messages), messages
    assert all(e.get("line") for e in errors if "needs an id" in e["message"]), errors


def test_exclusive_gateway_flow_without_condition_no_default_flow(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testFlowWithoutConditionNoDefaultFlow"""
    errors = camunda.deploy_fails(
        _process(
            "exclusiveGwDefaultSequenceFlow",
            """<startEvent id='theStart' /><sequenceFlow id='flow1' sourceRef='theStart' targetRef='exclusiveGw' />
            <exclusiveGateway id='exclusiveGw' name='Exclusive Gateway' />
            <sequenceFlow id='flow2' sourceRef='exclusiveGw' targetRef='theTask1'>
              <conditionExpression xsi:type='tFormalExpression'>${input == 1}</conditionExpression></sequenceFlow>
            <sequenceFlow id='flow3' sourceRef='exclusiveGw' targetRef='theTask2'/>
            <sequenceFlow id='flow4' sourceRef='exclusiveGw' targetRef='theTask2'/>
            <userTask id='theTask1' name='Input is one' /><userTask id='theTask2' name='Default input' />""",
        )
    )
    flagged = [e for e in errors if e.get("elementId") == "flow3"]
    assert flagged
    assert (
        "exclusive gateway 'exclusiveGw' has outgoing sequence flow 'flow3' without condition which is not the default flow"
        in flagged[0]["message"]
    )


def test_exclusive_gateway_one_unconditional_flow_is_the_default(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testFlowWithoutConditionNoDefaultFlow (the accepted case: one such flow)"""
    camunda.deploy(
        _process(
            "oneUnconditional",
            """<startEvent id='theStart' /><sequenceFlow id='flow1' sourceRef='theStart' targetRef='exclusiveGw' />
            <exclusiveGateway id='exclusiveGw' />
            <sequenceFlow id='flow2' sourceRef='exclusiveGw' targetRef='theTask1'>
              <conditionExpression xsi:type='tFormalExpression'>${input == 1}</conditionExpression></sequenceFlow>
            <sequenceFlow id='flow3' sourceRef='exclusiveGw' targetRef='theTask2'/>
            <userTask id='theTask1' name='Input is one' /><userTask id='theTask2' name='Default input' />""",
        )
    )
    assert camunda.task_names(camunda.start("oneUnconditional", {"input": 1})) == ["Input is one"]
    assert camunda.task_names(camunda.start("oneUnconditional", {"input": 2})) == ["Default input"]


def test_event_based_gateway_connected_to_activity_is_refused(camunda: Camunda) -> None:
    """EventBasedGatewayTest.testConnectedToActitity"""
    errors = camunda.deploy_fails("EventBasedGatewayTest.testConnectedToActivity.bpmn20.xml")
    messages = [e["message"] for e in errors]
    assert any(
        "event-based gateway 'gw1' can only be connected to elements of type intermediateCatchEvent" in m
        and "serviceTask" in m
        for m in messages
    ), messages


def test_event_based_gateway_invalid_incoming_sequence_flow_is_refused(camunda: Camunda) -> None:
    """EventBasedGatewayTest.testInvalidSequenceFlow"""
    errors = camunda.deploy_fails("EventBasedGatewayTest.testEventInvalidSequenceFlow.bpmn20.xml")
    flagged = [e for e in errors if e.get("elementId") == "invalidFlow"]
    assert flagged, errors
    assert "invalid incoming sequence flow 'invalidFlow' for intermediateCatchEvent" in flagged[0]["message"]


def test_start_and_end_ids(camunda: Camunda) -> None:
    """Shapes Camunda accepts: elements with the ids Start and End (ProcessParser has no such limit)."""
    camunda.deploy(
        _process(
            "startEnd",
            '<startEvent id="Start"/><sequenceFlow id="f1" sourceRef="Start" targetRef="task"/>'
            '<userTask id="task" name="Task"/><sequenceFlow id="f2" sourceRef="task" targetRef="End"/>'
            '<endEvent id="End"/>',
        )
    )
    instance = camunda.start("startEnd")
    assert camunda.task_names(instance) == ["Task"]
    assert camunda.complete(instance, "task")["status"] == "completed"


def test_sub_process_without_end_event(camunda: Camunda) -> None:
    """SubProcessTest: an embedded sub-process whose last task has no outgoing flow ends with it."""
    camunda.deploy(
        _process(
            "subNoEnd",
            '<startEvent id="s"/><sequenceFlow sourceRef="s" targetRef="sub"/>'
            '<subProcess id="sub"><startEvent id="ss"/><sequenceFlow sourceRef="ss" targetRef="inner"/>'
            '<userTask id="inner" name="Inner"/></subProcess>'
            '<sequenceFlow sourceRef="sub" targetRef="after"/><userTask id="after" name="After"/>',
        )
    )
    instance = camunda.start("subNoEnd")
    assert camunda.task_names(instance) == ["Inner"]
    instance = camunda.complete(instance, "inner")
    assert camunda.task_names(instance) == ["After"]


def test_boundary_timer_with_two_outgoing_flows(camunda: Camunda) -> None:
    """BoundaryTimerEventTest.testMultipleOutgoingSequenceFlows"""
    camunda.deploy(
        _process(
            "interruptingTimer",
            '<startEvent id="start"/><sequenceFlow sourceRef="start" targetRef="task"/>'
            '<userTask id="task" name="Task"/>'
            '<boundaryEvent id="timer" attachedToRef="task"><timerEventDefinition>'
            "<timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>"
            '<sequenceFlow sourceRef="timer" targetRef="taskA"/><sequenceFlow sourceRef="timer" targetRef="taskB"/>'
            '<userTask id="taskA" name="A"/><userTask id="taskB" name="B"/>',
        )
    )
    instance = camunda.start("interruptingTimer")
    assert len(instance["timers"]) == 1
    camunda.advance(hours=2)
    assert camunda.task_names(instance) == ["A", "B"]

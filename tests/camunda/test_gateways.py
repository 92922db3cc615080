"""Exclusive, inclusive, parallel and event-based gateways as Camunda 7 runs them.

Ports of ``ExclusiveGatewayTest``, ``InclusiveGatewayTest``, ``ParallelGatewayTest`` and
``EventBasedGatewayTest`` (``engine/src/test/java/org/camunda/bpm/engine/test/bpmn/gateway/``).
Camunda's Java beans (``ExclusiveGatewayTestOrder``) become JSON objects with the same properties.
A start Camunda fails with a ``ProcessEngineException`` is a 422 here, and leaves no instance.
"""

from __future__ import annotations

from typing import Any

from tests.camunda.conftest import Camunda


def _start_fails(camunda: Camunda, key: str, variables: dict[str, Any]) -> str:
    response = camunda.start_response(key, variables)
    assert response.status_code == 422, response.get_json()
    instances = camunda.api.get("/process-instances", "bh").get_json()["items"]
    assert [
        i for i in instances if i["processKey"] == key and i["businessKey"] == f"bk-{camunda._keys}"
    ] == []
    return response.get_json()["detail"]  # type: ignore[no-any-return]


def _names(camunda: Camunda, instance: dict[str, Any]) -> list[str]:
    return camunda.task_names(instance)


# -- ExclusiveGatewayTest -------------------------------------------------------------------------


def test_diverging_exclusive_gateway(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testDivergingExclusiveGateway"""
    camunda.deploy("ExclusiveGatewayTest.testDivergingExclusiveGateway.bpmn20.xml")
    for i in range(1, 4):
        assert _names(camunda, camunda.start("exclusiveGwDiverging", {"input": i})) == [f"Task {i}"]


def test_merging_exclusive_gateway(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testMergingExclusiveGateway"""
    camunda.deploy("ExclusiveGatewayTest.testMergingExclusiveGateway.bpmn20.xml")
    instance = camunda.start("exclusiveGwMerging")
    assert len(camunda.tasks(instance)) == 3


def test_exclusive_multiple_valid_conditions_takes_the_first(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testMultipleValidConditions"""
    camunda.deploy("ExclusiveGatewayTest.testMultipleValidConditions.bpmn20.xml")
    assert _names(camunda, camunda.start("exclusiveGwMultipleValidConditions", {"input": 5})) == ["Task 2"]


def test_exclusive_no_sequence_flow_selected(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testNoSequenceFlowSelected"""
    camunda.deploy("ExclusiveGatewayTest.testNoSequenceFlowSelected.bpmn20.xml")
    detail = _start_fails(camunda, "exclusiveGwNoSeqFlowSelected", {"input": 4})
    assert (
        "No outgoing sequence flow for the element with id 'exclusiveGw' could be selected for "
        "continuing the process" in detail
    )


def test_exclusive_whitespace_in_expression(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testWhitespaceInExpression"""
    camunda.deploy("ExclusiveGatewayTest.testWhitespaceInExpression.bpmn20.xml")
    assert camunda.start("whiteSpaceInExpression", {"input": 1})["status"] == "active"


def test_exclusive_unknown_variable_in_expression(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testUnknownVariableInExpression"""
    camunda.deploy("ExclusiveGatewayTest.testDivergingExclusiveGateway.bpmn20.xml")
    detail = _start_fails(camunda, "exclusiveGwDiverging", {"iinput": 1})
    assert "Unknown property used in expression" in detail


def test_exclusive_decide_based_on_bean_property(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testDecideBasedOnBeanProperty"""
    camunda.deploy("ExclusiveGatewayTest.testDecideBasedOnBeanProperty.bpmn20.xml")
    instance = camunda.start("decisionBasedOnBeanProperty", {"order": {"price": 150}})
    assert _names(camunda, instance) == ["Standard service"]


def test_exclusive_decide_based_on_list_of_beans(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testDecideBasedOnListOrArrayOfBeans"""
    camunda.deploy("ExclusiveGatewayTest.testDecideBasedOnListOrArrayOfBeans.bpmn20.xml")
    orders = [{"price": 50}, {"price": 300}, {"price": 175}]
    instance = camunda.start("decisionBasedOnListOrArrayOfBeans", {"orders": orders})
    assert _names(camunda, instance) == ["Gold Member service"]
    orders[1]["price"] = 10
    instance = camunda.start("decisionBasedOnListOrArrayOfBeans", {"orders": orders})
    assert _names(camunda, instance) == ["Basic service"]


def test_exclusive_decide_based_on_bean_getters(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testDecideBasedOnBeanMethod (``order.gold`` reads the bean's ``isGold()``)"""
    camunda.deploy("ExclusiveGatewayTest.testDecideBasedOnBeanMethod.bpmn20.xml")
    order = {"price": 300, "basic": False, "standard": False, "gold": True}
    instance = camunda.start("decisionBasedOnBeanMethod", {"order": order})
    assert _names(camunda, instance) == ["Gold Member service"]


def test_exclusive_invalid_method_expression_is_refused(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testInvalidMethodExpression (Camunda fails at start; we refuse the method at deploy)"""
    errors = camunda.deploy_fails("ExclusiveGatewayTest.testInvalidMethodExpression.bpmn20.xml")
    flagged = [e for e in errors if e.get("elementId") == "flow2"]
    assert flagged and "invalidMethod" in flagged[0]["message"]


def test_exclusive_default_sequence_flow(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testDefaultSequenceFlow"""
    camunda.deploy("ExclusiveGatewayTest.testDefaultSequenceFlow.bpmn20.xml")
    assert _names(camunda, camunda.start("exclusiveGwDefaultSequenceFlow", {"input": 1})) == ["Input is one"]
    assert _names(camunda, camunda.start("exclusiveGwDefaultSequenceFlow", {"input": 5})) == ["Default input"]


def test_exclusive_default_flow_with_condition_is_refused(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testDefaultFlowWithCondition"""
    body = b"""<?xml version='1.0' encoding='UTF-8'?>
<definitions id='definitions' xmlns='http://www.omg.org/spec/BPMN/20100524/MODEL'
  xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' targetNamespace='Examples'>
  <process id='exclusiveGwDefaultSequenceFlow' isExecutable='true'>
    <startEvent id='theStart' />
    <sequenceFlow id='flow1' sourceRef='theStart' targetRef='exclusiveGw' />
    <exclusiveGateway id='exclusiveGw' name='Exclusive Gateway' default='flow3' />
    <sequenceFlow id='flow2' sourceRef='exclusiveGw' targetRef='theTask1'>
      <conditionExpression xsi:type='tFormalExpression'>${input == 1}</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id='flow3' sourceRef='exclusiveGw' targetRef='theTask2'>
      <conditionExpression xsi:type='tFormalExpression'>${input == 3}</conditionExpression>
    </sequenceFlow>
    <userTask id='theTask1' name='Input is one' />
    <userTask id='theTask2' name='Default input' />
  </process>
</definitions>"""
    errors = camunda.deploy_fails(body)
    flagged = [e for e in errors if e.get("elementId") == "flow3"]
    assert flagged, errors
    assert (
        "exclusive gateway 'exclusiveGw' has outgoing sequence flow 'flow3' which is the default flow "
        "but has a condition too" in flagged[0]["message"]
    )


def test_exclusive_no_outgoing_flow_is_refused(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testNoOutgoingFlow"""
    body = b"""<?xml version='1.0' encoding='UTF-8'?>
<definitions id='definitions' xmlns='http://www.omg.org/spec/BPMN/20100524/MODEL' targetNamespace='Examples'>
  <process id='exclusiveGwDefaultSequenceFlow' isExecutable='true'>
    <startEvent id='theStart' />
    <sequenceFlow id='flow1' sourceRef='theStart' targetRef='exclusiveGw' />
    <exclusiveGateway id='exclusiveGw' name='Exclusive Gateway' />
  </process>
</definitions>"""
    errors = camunda.deploy_fails(body)
    flagged = [e for e in errors if e.get("elementId") == "exclusiveGw"]
    assert (
        flagged and "exclusive gateway 'exclusiveGw' has no outgoing sequence flows" in flagged[0]["message"]
    )


def test_exclusive_decision_functionality(camunda: Camunda) -> None:
    """ExclusiveGatewayTest.testDecisionFunctionality"""
    camunda.deploy("ExclusiveGatewayTest.testDecisionFunctionality.bpmn20.xml")
    expected = {1: "Send e-mail for more information", 2: "Check account balance", 3: "Call customer"}
    for value, name in expected.items():
        assert _names(camunda, camunda.start("exclusiveGateway", {"input": value})) == [name]
    _start_fails(camunda, "exclusiveGateway", {"input": 4})


# -- InclusiveGatewayTest -------------------------------------------------------------------------


def test_diverging_inclusive_gateway(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testDivergingInclusiveGateway"""
    camunda.deploy("InclusiveGatewayTest.testDivergingInclusiveGateway.bpmn20.xml")
    for i in range(1, 4):
        names = _names(camunda, camunda.start("inclusiveGwDiverging", {"input": i}))
        expected = (["Task 1"] if i == 1 else []) + (["Task 2"] if i <= 2 else []) + ["Task 3"]
        assert names == expected


def test_merging_inclusive_gateway(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testMergingInclusiveGateway"""
    camunda.deploy("InclusiveGatewayTest.testMergingInclusiveGateway.bpmn20.xml")
    instance = camunda.start("inclusiveGwMerging", {"input": 2})
    assert len(camunda.tasks(instance)) == 1


def test_partial_merging_inclusive_gateway(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testPartialMergingInclusiveGateway"""
    camunda.deploy("InclusiveGatewayTest.testPartialMergingInclusiveGateway.bpmn20.xml")
    instance = camunda.start("partialInclusiveGwMerging", {"input": 2})
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["partialTask"]
    instance = camunda.complete(instance, "partialTask")
    assert [t["elementId"] for t in instance["openTasks"]] == ["theTask"]


def test_inclusive_no_sequence_flow_selected(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testNoSequenceFlowSelected"""
    camunda.deploy("InclusiveGatewayTest.testNoSequenceFlowSelected.bpmn20.xml")
    detail = _start_fails(camunda, "inclusiveGwNoSeqFlowSelected", {"input": 4})
    assert (
        "No outgoing sequence flow for the element with id 'inclusiveGw' could be selected for "
        "continuing the process" in detail
    )


def test_inclusive_parent_activation_on_non_joining_end(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testParentActivationOnNonJoiningEnd"""
    camunda.deploy("InclusiveGatewayTest.testParentActivationOnNonJoiningEnd.bpmn20.xml")
    instance = camunda.start("parentActivationOnNonJoiningEnd")
    first = camunda.tasks(instance)
    assert len(first) == 2
    for task in first:
        camunda.complete(instance, task["elementId"])
    second = camunda.tasks(instance)
    assert len(second) == 2
    instance = camunda.complete(instance, second[0]["elementId"])
    assert len(instance["openTasks"]) == 1
    instance = camunda.complete(instance, instance["openTasks"][0]["elementId"])
    assert instance["status"] == "completed"


def test_inclusive_whitespace_in_expression(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testWhitespaceInExpression"""
    camunda.deploy("InclusiveGatewayTest.testWhitespaceInExpression.bpmn20.xml")
    assert camunda.start("inclusiveWhiteSpaceInExpression", {"input": 1})["status"] == "active"


def test_inclusive_unknown_variable_in_expression(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testUnknownVariableInExpression"""
    camunda.deploy("InclusiveGatewayTest.testDivergingInclusiveGateway.bpmn20.xml")
    assert "Unknown property used in expression" in _start_fails(
        camunda, "inclusiveGwDiverging", {"iinput": 1}
    )


def test_inclusive_decide_based_on_bean_property(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testDecideBasedOnBeanProperty"""
    camunda.deploy("InclusiveGatewayTest.testDecideBasedOnBeanProperty.bpmn20.xml")
    instance = camunda.start("inclusiveDecisionBasedOnBeanProperty", {"order": {"price": 150}})
    assert _names(camunda, instance) == ["Gold Member service", "Standard service"]


def test_inclusive_decide_based_on_list_of_beans(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testDecideBasedOnListOrArrayOfBeans"""
    camunda.deploy("InclusiveGatewayTest.testDecideBasedOnListOrArrayOfBeans.bpmn20.xml")
    orders = [{"price": 50}, {"price": 300}, {"price": 175}]
    _start_fails(camunda, "inclusiveDecisionBasedOnListOrArrayOfBeans", {"orders": orders})
    orders[1] = {"price": 175}
    instance = camunda.start("inclusiveDecisionBasedOnListOrArrayOfBeans", {"orders": orders})
    assert _names(camunda, instance) == ["Gold Member service"]
    orders[1] = {"price": 125}
    instance = camunda.start("inclusiveDecisionBasedOnListOrArrayOfBeans", {"orders": orders})
    assert _names(camunda, instance) == ["Gold Member service", "Standard service"]
    orders[1]["price"] = 10
    instance = camunda.start("inclusiveDecisionBasedOnListOrArrayOfBeans", {"orders": orders})
    assert _names(camunda, instance) == ["Basic service", "Gold Member service", "Standard service"]


def test_inclusive_default_sequence_flow(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testDefaultSequenceFlow"""
    camunda.deploy("InclusiveGatewayTest.testDefaultSequenceFlow.bpmn20.xml")
    names = _names(camunda, camunda.start("inclusiveGwDefaultSequenceFlow", {"input": 1}))
    assert names == ["Input is one", "Input is three or one"]
    names = _names(camunda, camunda.start("inclusiveGwDefaultSequenceFlow", {"input": 3}))
    assert names == ["Input is three or one"]
    instance = camunda.start("inclusiveGwDefaultSequenceFlow", {"input": 5})
    assert _names(camunda, instance) == ["Default input"]
    # testDefaultSequenceFlowExecutionIsActive
    assert camunda.instance(instance)["activeElements"] == ["theTask2"]


def test_inclusive_split_merge_split(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testSplitMergeSplit"""
    camunda.deploy("InclusiveGatewayTest.testSplitMergeSplit.bpmn20.xml")
    instance = camunda.start("inclusiveGwSplitAndMerge", {"input": 1})
    tasks = camunda.tasks(instance)
    assert len(tasks) == 2
    for task in tasks:
        camunda.complete(instance, task["elementId"])
    assert len(camunda.tasks(instance)) == 1


def test_inclusive_join_after_subprocesses(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testJoinAfterSubprocesses"""
    camunda.deploy("InclusiveGatewayTest.testJoinAfterSubprocesses.bpmn20.xml")
    instance = camunda.start("InclusiveGateway", {"a": 1, "b": 1})
    tasks = camunda.tasks(instance)
    assert len(tasks) == 2
    camunda.complete(instance, tasks[0]["elementId"])
    assert len(camunda.tasks(instance)) == 1
    camunda.complete(instance, tasks[1]["elementId"])
    (task,) = camunda.tasks(instance)
    assert task["assignee"] == "c"
    assert camunda.complete(instance, task["elementId"])["status"] == "completed"

    instance = camunda.start("InclusiveGateway", {"a": 1, "b": 2})
    (task,) = camunda.tasks(instance)
    assert task["assignee"] == "a"
    camunda.complete(instance, task["elementId"])
    (task,) = camunda.tasks(instance)
    assert task["assignee"] == "c"
    assert camunda.complete(instance, task["elementId"])["status"] == "completed"

    assert "No outgoing sequence flow" in _start_fails(camunda, "InclusiveGateway", {"a": 2, "b": 2})


def test_inclusive_join_after_call(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testJoinAfterCall"""
    camunda.deploy(
        "InclusiveGatewayTest.testJoinAfterCallSubProcess.bpmn20.xml",
        "InclusiveGatewayTest.testJoinAfterCall.bpmn20.xml",
    )
    instance = camunda.start("InclusiveGatewayAfterCall")
    assert len(camunda.tasks(instance)) == 3
    camunda.complete(instance, "Task A")
    assert len(camunda.tasks(instance)) == 2
    camunda.complete(instance, "Task B")
    assert len(camunda.tasks(instance)) == 1
    camunda.complete(instance, "Task C")
    assert _names(camunda, instance) == ["Task D"]
    assert camunda.complete(instance, "Task D")["status"] == "completed"


def test_inclusive_decision_functionality(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testDecisionFunctionality"""
    camunda.deploy("InclusiveGatewayTest.testDecisionFunctionality.bpmn20.xml")
    assert _names(camunda, camunda.start("inclusiveGateway", {"input": 1})) == ["Task 1", "Task 2", "Task 3"]
    assert _names(camunda, camunda.start("inclusiveGateway", {"input": 2})) == ["Task 2", "Task 3"]
    assert _names(camunda, camunda.start("inclusiveGateway", {"input": 3})) == ["Task 3"]
    _start_fails(camunda, "inclusiveGateway", {"input": 4})


def test_inclusive_join_after_sequential_multi_instance_sub_process(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testJoinAfterSequentialMultiInstanceSubProcess"""
    camunda.deploy("InclusiveGatewayTest.testJoinAfterSequentialMultiInstanceSubProcess.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.complete(instance, "task")
    assert "taskAfterJoin" not in [t["elementId"] for t in instance["openTasks"]]


def test_inclusive_join_after_parallel_multi_instance_sub_process(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testJoinAfterParallelMultiInstanceSubProcess"""
    camunda.deploy("InclusiveGatewayTest.testJoinAfterParallelMultiInstanceSubProcess.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.complete(instance, "task")
    assert "taskAfterJoin" not in [t["elementId"] for t in instance["openTasks"]]


def test_inclusive_join_after_nested_scopes(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testJoinAfterNestedScopes"""
    camunda.deploy("InclusiveGatewayTest.testJoinAfterNestedScopes.bpmn20.xml")
    instance = camunda.start("process")
    instance = camunda.complete(instance, "task")
    assert "taskAfterJoin" not in [t["elementId"] for t in instance["openTasks"]]


def test_inclusive_looping_inclusive_gateways(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testLoopingInclusiveGateways"""
    camunda.deploy("InclusiveGatewayTest.testLoopingInclusiveGateways.bpmn")
    instance = camunda.start("process")
    assert sorted(t["elementId"] for t in camunda.tasks(instance)) == ["task1", "task2"]
    assert "inclusiveGw3" in camunda.instance(instance)["activeElements"]


def _join_after_event_based_gateway(camunda: Camunda, resource: str) -> None:
    camunda.deploy(resource)
    instance = camunda.start("process")
    (task,) = camunda.tasks(instance)
    instance = camunda.complete(instance, task["elementId"])
    assert instance["openTasks"] == []
    instance = camunda.correlate("foo", instance)
    assert [t["elementId"] for t in instance["openTasks"]] == ["taskAfterJoin"]


def test_inclusive_join_after_event_based_gateway(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testJoinAfterEventBasedGateway"""
    _join_after_event_based_gateway(camunda, "InclusiveGatewayTest.testJoinAfterEventBasedGateway.bpmn20.xml")


def test_inclusive_join_after_event_based_gateway_in_sub_process(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testJoinAfterEventBasedGatewayInSubProcess"""
    _join_after_event_based_gateway(
        camunda, "InclusiveGatewayTest.testJoinAfterEventBasedGatewayInSubProcess.bpmn20.xml"
    )


def test_inclusive_join_after_event_based_gateway_contained_in_sub_process(camunda: Camunda) -> None:
    """InclusiveGatewayTest.testJoinAfterEventBasedGatewayContainedInSubProcess"""
    _join_after_event_based_gateway(
        camunda, "InclusiveGatewayTest.testJoinAfterEventBasedGatewayContainedInSubProcess.bpmn20.xml"
    )


# -- ParallelGatewayTest --------------------------------------------------------------------------


def test_split_merge_no_wait_states(camunda: Camunda) -> None:
    """ParallelGatewayTest.testSplitMergeNoWaitstates"""
    camunda.deploy("ParallelGatewayTest.testSplitMergeNoWaitstates.bpmn20.xml")
    assert camunda.start("forkJoinNoWaitStates")["status"] == "completed"


def test_unstructured_concurrency_two_forks(camunda: Camunda) -> None:
    """ParallelGatewayTest.testUnstructuredConcurrencyTwoForks"""
    camunda.deploy("ParallelGatewayTest.testUnstructuredConcurrencyTwoForks.bpmn20.xml")
    assert camunda.start("unstructuredConcurrencyTwoForks")["status"] == "completed"


def test_unstructured_concurrency_two_joins(camunda: Camunda) -> None:
    """ParallelGatewayTest.testUnstructuredConcurrencyTwoJoins"""
    camunda.deploy("ParallelGatewayTest.testUnstructuredConcurrencyTwoJoins.bpmn20.xml")
    assert camunda.start("unstructuredConcurrencyTwoJoins")["status"] == "completed"


def test_fork_followed_by_only_end_events(camunda: Camunda) -> None:
    """ParallelGatewayTest.testForkFollowedByOnlyEndEvents"""
    camunda.deploy("ParallelGatewayTest.testForkFollowedByOnlyEndEvents.bpmn20.xml")
    assert camunda.start("forkFollowedByEndEvents")["status"] == "completed"


def test_nested_forks_followed_by_end_events(camunda: Camunda) -> None:
    """ParallelGatewayTest.testNestedForksFollowedByEndEvents"""
    camunda.deploy("ParallelGatewayTest.testNestedForksFollowedByEndEvents.bpmn20.xml")
    assert camunda.start("nestedForksFollowedByEndEvents")["status"] == "completed"


def test_nested_fork_join(camunda: Camunda) -> None:
    """ParallelGatewayTest.testNestedForkJoin"""
    camunda.deploy("ParallelGatewayTest.testNestedForkJoin.bpmn20.xml")
    instance = camunda.start("nestedForkJoin")
    assert _names(camunda, instance) == ["Task 0"]
    camunda.complete(instance, "Task 0")
    assert _names(camunda, instance) == ["Task A", "Task B"]
    camunda.complete(instance, "Task A")
    assert _names(camunda, instance) == ["Task B"]
    camunda.complete(instance, "Task B")
    assert _names(camunda, instance) == ["Task B1", "Task B2"]
    camunda.complete(instance, "Task B1")
    camunda.complete(instance, "Task B2")
    assert _names(camunda, instance) == ["Task C"]


def test_recycling_execution_with_call_activity(camunda: Camunda) -> None:
    """ParallelGatewayTest.testReceyclingExecutionWithCallActivity"""
    camunda.deploy("ParallelGatewayTest.testReceyclingExecutionWithCallActivity.bpmn20.xml")
    instance = camunda.start("parent-process")
    assert _names(camunda, instance) == ["Another task", "Some Task"]
    camunda.complete(instance, "Some Task")
    assert _names(camunda, instance) == ["Another task"]
    instance = camunda.complete(instance, "Another task")
    assert instance["openTasks"] == []


def test_completing_join(camunda: Camunda) -> None:
    """ParallelGatewayTest.testCompletingJoin"""
    camunda.deploy("ParallelGatewayTest.testCompletingJoin.bpmn")
    assert camunda.start("process")["status"] == "completed"


def test_completing_join_in_sub_process(camunda: Camunda) -> None:
    """ParallelGatewayTest.testCompletingJoinInSubProcess"""
    camunda.deploy("ParallelGatewayTest.testCompletingJoinInSubProcess.bpmn")
    assert camunda.start("process")["status"] == "completed"


def test_parallel_gateway_before_and_in_sub_process(camunda: Camunda) -> None:
    """ParallelGatewayTest.testParallelGatewayBeforeAndInSubProcess"""
    camunda.deploy("ParallelGatewayTest.testParallelGatewayBeforeAndInSubProcess.bpmn")
    instance = camunda.start("process")
    assert _names(camunda, instance) == ["Inner User Task 1", "Inner User Task 2", "Outer User Task"]


def test_unbalanced_fork_join(camunda: Camunda) -> None:
    """ParallelGatewayTest.testUnbalancedForkJoin"""
    camunda.deploy("ParallelGatewayTest.testUnbalancedForkJoin.bpmn20.xml")
    instance = camunda.start("UnbalancedForkJoin")
    assert _names(camunda, instance) == ["Task 1", "Task 2", "Task 3"]
    camunda.complete(instance, "Task 1")
    camunda.complete(instance, "Task 2")
    assert _names(camunda, instance) == ["Task 3", "Task 4"]
    camunda.complete(instance, "Task 3")
    assert camunda.complete(instance, "Task 4")["status"] == "completed"


# -- EventBasedGatewayTest ------------------------------------------------------------------------


def test_catch_signal_cancels_timer(camunda: Camunda) -> None:
    """EventBasedGatewayTest.testCatchSignalCancelsTimer"""
    camunda.deploy(
        "EventBasedGatewayTest.testCatchAlertAndTimer.bpmn20.xml",
        "EventBasedGatewayTest.throwAlertSignal.bpmn20.xml",
    )
    instance = camunda.start("catchSignal")
    assert len(instance["timers"]) == 1
    assert camunda.start("throwSignal")["status"] == "completed"
    instance = camunda.instance(instance)
    assert instance["timers"] == []
    assert _names(camunda, instance) == ["afterSignal"]
    assert camunda.complete(instance, "afterSignal")["status"] == "completed"


def test_catch_timer_cancels_signal(camunda: Camunda) -> None:
    """EventBasedGatewayTest.testCatchTimerCancelsSignal"""
    camunda.deploy("EventBasedGatewayTest.testCatchAlertAndTimer.bpmn20.xml")
    instance = camunda.start("catchSignal")
    assert len(instance["timers"]) == 1
    camunda.advance(seconds=10)
    instance = camunda.instance(instance)
    assert instance["timers"] == []
    assert _names(camunda, instance) == ["afterTimer"]
    assert camunda.complete(instance, "afterTimer")["status"] == "completed"
    # the signal subscription went with the timer: a late signal reaches nobody
    camunda.deploy("EventBasedGatewayTest.throwAlertSignal.bpmn20.xml")
    camunda.start("throwSignal")
    assert camunda.status(instance) == "completed"


def test_event_based_gateway_time_cycle(camunda: Camunda) -> None:
    """EventBasedGatewayTest.testTimeCycle (a cron cycle ``0 0/5 * * * ?``)"""
    camunda.deploy("EventBasedGatewayTest.testTimeCycle.bpmn20.xml")
    instance = camunda.start("process")
    (timer,) = instance["timers"]
    instance = camunda.fire(timer)
    assert instance["timers"] == []
    (task,) = instance["openTasks"]
    assert camunda.complete(instance, task["elementId"])["status"] == "completed"

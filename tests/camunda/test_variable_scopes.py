"""Camunda 7's variable scopes: one set of variables per process instance, local variables per scope.

Camunda's rule (``AbstractVariableScope.setVariable`` in ``engine/impl/core/variable/scope``): a
variable is set in the innermost scope that has it as a local variable, else in the process
instance; every execution of the instance reads the same variables, so parallel branches see each
other's values at once. Camunda's own tests of it (``standalone/variablescope/VariableScopeTest``,
``api/variables/ExecutionVariablesTest``) drive it through Java delegates and ``setVariableLocal``;
these tests draw the same situations with user tasks and forms instead.
"""

from __future__ import annotations

from typing import Any

from tests.camunda.conftest import Camunda

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="Examples">'
)


def _deploy(camunda: Camunda, body: str) -> None:
    camunda.deploy(f"{HEAD}{body}</definitions>".encode())


def _flow(source: str, target: str, condition: str | None = None) -> str:
    cond = f"<conditionExpression>{condition}</conditionExpression>" if condition else ""
    return f'<sequenceFlow id="f_{source}_{target}" sourceRef="{source}" targetRef="{target}">{cond}</sequenceFlow>'


FORK = (
    '<process id="fork" isExecutable="true"><startEvent id="start"/>'
    + _flow("start", "split")
    + '<parallelGateway id="split"/>'
    + _flow("split", "taskA")
    + _flow("split", "taskB")
    + '<userTask id="taskA"/><userTask id="taskB"/>'
    + _flow("taskA", "join")
    + _flow("taskB", "decide")
    + '<exclusiveGateway id="decide" default="f_decide_missed"/>'
    + _flow("decide", "sawA", "${shared == 'A'}")
    + _flow("decide", "missed")
    + '<userTask id="sawA"/><userTask id="missed"/>'
    + _flow("sawA", "merge")
    + _flow("missed", "merge")
    + '<exclusiveGateway id="merge"/>'
    + _flow("merge", "join")
    + '<parallelGateway id="join"/>'
    + _flow("join", "after")
    + '<userTask id="after"/>'
    + _flow("after", "end")
    + '<endEvent id="end"/></process>'
)


def test_a_variable_set_in_one_branch_is_seen_at_once_by_the_other(camunda: Camunda) -> None:
    """ExecutionVariablesTest's concurrent executions: a concurrent execution has no variables of its
    own; what one branch sets is the process instance's, read by the other branch's next step."""
    _deploy(camunda, FORK)
    instance = camunda.start("fork", {"counter": 1})
    instance = camunda.complete(instance, "taskA", {"shared": "A", "counter": 2})
    assert camunda.variables(instance) == {"counter": 2, "shared": "A", "gemeente": "GM0344"}
    instance = camunda.complete(instance, "taskB")
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["sawA"]


def test_a_join_keeps_the_value_set_after_the_fork(camunda: Camunda) -> None:
    """The branch that arrives last at the join never puts back the value it had at the fork."""
    _deploy(camunda, FORK)
    instance = camunda.start("fork", {"counter": 1, "shared": "none"})
    instance = camunda.complete(instance, "taskA", {"counter": 2})
    instance = camunda.complete(instance, "taskB")
    instance = camunda.complete(instance, "missed")
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["after"]
    assert camunda.variables(instance)["counter"] == 2


def test_a_waiting_branch_evaluates_with_the_current_values(camunda: Camunda) -> None:
    """A task that opens in a branch after another branch set a variable evaluates its assignee with it."""
    _deploy(
        camunda,
        '<process id="p" isExecutable="true"><startEvent id="start"/>'
        + _flow("start", "split")
        + '<parallelGateway id="split"/>'
        + _flow("split", "first")
        + _flow("split", "wait")
        + '<userTask id="first"/><receiveTask id="wait" messageRef="go"/>'
        + _flow("wait", "second")
        + '<userTask id="second" camunda:assignee="${owner}"/>'
        + _flow("first", "end1")
        + _flow("second", "end2")
        + '<endEvent id="end1"/><endEvent id="end2"/></process><message id="go" name="go"/>',
    )
    instance = camunda.start("p", {"owner": "kermit"})
    instance = camunda.complete(instance, "first", {"owner": "gonzo"})
    instance = camunda.correlate("go", instance)
    assert camunda.task(instance, "second")["assignee"] == "gonzo"


SUB = (
    '<process id="sub" isExecutable="true"><startEvent id="start"/>'
    + _flow("start", "split")
    + '<parallelGateway id="split"/>'
    + _flow("split", "subProcess")
    + _flow("split", "outside")
    + '<subProcess id="subProcess"><extensionElements><camunda:inputOutput>'
    '<camunda:inputParameter name="localVar">${"inner"}</camunda:inputParameter>'
    "</camunda:inputOutput></extensionElements>"
    '<startEvent id="subStart"/>'
    + _flow("subStart", "innerTask")
    + '<userTask id="innerTask" camunda:assignee="${localVar}"/>'
    + _flow("innerTask", "innerWait")
    + '<userTask id="innerWait"/>'
    + _flow("innerWait", "subEnd")
    + '<endEvent id="subEnd"/></subProcess>'
    + '<userTask id="outside" camunda:assignee="${outer}"/>'
    + _flow("subProcess", "join")
    + _flow("outside", "join")
    + '<parallelGateway id="join"/>'
    + _flow("join", "after")
    + '<userTask id="after" camunda:assignee="${outer}"/>'
    + _flow("after", "end")
    + '<endEvent id="end"/></process>'
)


def test_a_sub_process_input_parameter_is_local_to_the_sub_process(camunda: Camunda) -> None:
    """InputOutputTest.testSubprocessIoSupport / VariableScopeTest.testVariableNamesScope: the input
    parameter is a local variable of the sub-process: its tasks read it, the process never has it,
    and setting it inside the sub-process sets the local one."""
    _deploy(camunda, SUB)
    instance = camunda.start("sub", {"outer": "kermit"})
    assert camunda.task(instance, "innerTask")["assignee"] == "inner"
    instance = camunda.complete(instance, "innerTask", {"localVar": "changed"})
    instance = camunda.complete(instance, "innerWait")
    assert "localVar" not in camunda.variables(instance)
    instance = camunda.complete(instance, "outside")
    assert "localVar" not in camunda.variables(instance)


def test_a_variable_set_inside_a_sub_process_is_the_process_instance_s(camunda: Camunda) -> None:
    """AbstractVariableScope.setVariable: a variable the sub-process has no local of goes up to the
    process instance, seen at once outside the sub-process while it still runs."""
    _deploy(camunda, SUB)
    instance = camunda.start("sub", {"outer": "kermit"})
    instance = camunda.complete(instance, "innerTask", {"outer": "gonzo", "fromInside": True})
    assert camunda.variables(instance)["outer"] == "gonzo"
    assert camunda.variables(instance)["fromInside"] is True
    instance = camunda.complete(instance, "outside")
    instance = camunda.complete(instance, "innerWait")
    assert camunda.task(instance, "after")["assignee"] == "gonzo"


MI = (
    '<process id="mi" isExecutable="true"><startEvent id="start"/>'
    + _flow("start", "review")
    + '<userTask id="review" camunda:assignee="${reviewer}">'
    '<multiInstanceLoopCharacteristics camunda:collection="reviewers" camunda:elementVariable="reviewer"/>'
    "</userTask>"
    + _flow("review", "after")
    + '<userTask id="after"/>'
    + _flow("after", "end")
    + '<endEvent id="end"/></process>'
)


def _open(camunda: Camunda, instance: dict[str, Any], element: str) -> list[dict[str, Any]]:
    return [t for t in camunda.tasks(instance) if t["elementId"] == element]


def _complete_id(camunda: Camunda, task: dict[str, Any], variables: dict[str, Any]) -> None:
    assert camunda.api.post(f"/tasks/{task['id']}/unclaim", "bh").status_code in (200, 204)
    response = camunda.api.post(f"/tasks/{task['id']}/complete", "bh", json={"variables": variables})
    assert response.status_code == 200, response.get_json()


def test_multi_instance_loop_variables_are_local_to_each_instance(camunda: Camunda) -> None:
    """MultiInstanceTest.testParallelUserTasksBasedOnCollection: the element variable and the loop
    variables are local to each instance; a variable an instance sets is the process instance's."""
    _deploy(camunda, MI)
    instance = camunda.start("mi", {"reviewers": ["kermit", "gonzo", "fozzie"]})
    tasks = _open(camunda, instance, "review")
    assert sorted(t["assignee"] for t in tasks) == ["fozzie", "gonzo", "kermit"]
    variables = camunda.variables(instance)
    assert not {"reviewer", "loopCounter", "nrOfInstances", "nrOfCompletedInstances"} & set(variables)
    _complete_id(camunda, tasks[0], {"lastReview": "ok"})
    assert camunda.variables(instance)["lastReview"] == "ok"
    for task in _open(camunda, instance, "review"):
        _complete_id(camunda, task, {})
    variables = camunda.variables(instance)
    assert variables["lastReview"] == "ok"
    assert not {"reviewer", "loopCounter", "nrOfInstances", "nrOfCompletedInstances"} & set(variables)
    assert [t["elementId"] for t in camunda.tasks(instance)] == ["after"]


CALLED = (
    '<process id="called" isExecutable="true"><startEvent id="cStart"/>'
    + _flow("cStart", "childTask")
    + '<userTask id="childTask"/>'
    + _flow("childTask", "cEnd")
    + '<endEvent id="cEnd"/></process>'
)
CALLER = (
    '<process id="caller" isExecutable="true"><startEvent id="start"/>'
    + _flow("start", "split")
    + '<parallelGateway id="split"/>'
    + _flow("split", "call")
    + _flow("split", "parentTask")
    + '<callActivity id="call" calledElement="called"><extensionElements>'
    '<camunda:in variables="all"/><camunda:out variables="all"/></extensionElements></callActivity>'
    + '<userTask id="parentTask"/>'
    + _flow("call", "join")
    + _flow("parentTask", "join")
    + '<parallelGateway id="join"/>'
    + _flow("join", "after")
    + '<userTask id="after"/>'
    + _flow("after", "end")
    + '<endEvent id="end"/></process>'
)


def test_a_called_instance_has_its_own_variables(camunda: Camunda) -> None:
    """CallActivityTest.testSubProcessAllDataInputOutput: the called instance gets a copy at its start
    (camunda:in), its changes come back at its end (camunda:out); meanwhile each has its own."""
    _deploy(camunda, CALLED + CALLER)
    instance = camunda.start("caller", {"status": "start", "kept": 1})
    instance = camunda.complete(instance, "parentTask", {"status": "parent"})
    assert camunda.variables(instance)["status"] == "parent"
    instance = camunda.complete(instance, "childTask", {"childResult": "done"})
    variables = camunda.variables(instance)
    assert variables["childResult"] == "done"
    assert variables["kept"] == 1
    # a value the called instance only received is not copied back over the caller's newer value
    assert variables["status"] == "parent"


def test_a_running_called_instance_shows_its_own_variables(camunda: Camunda) -> None:
    """RuntimeService.getVariables on the sub process instance (CallActivityTest's
    ``createProcessInstanceQuery().superProcessInstanceId(...)``): while the called process runs, its
    variables are readable, apart from the caller's."""
    _deploy(camunda, CALLED + CALLER)
    instance = camunda.start("caller", {"status": "start"})
    instance = camunda.complete(instance, "parentTask", {"status": "parent"})
    response = camunda.api.get(f"/process-instances/{instance['id']}/called-instances", "bh")
    assert response.status_code == 200, response.get_json()
    (called,) = response.get_json()["items"]
    assert (called["processKey"], called["elementId"], called["superInstanceId"]) == ("called", "call", None)
    assert called["variables"]["status"] == "start"
    assert camunda.variables(instance)["status"] == "parent"
    instance = camunda.complete(instance, "childTask", {"status": "child"})
    response = camunda.api.get(f"/process-instances/{instance['id']}/called-instances", "bh")
    assert response.get_json()["items"] == []
    assert camunda.variables(instance)["status"] == "child"  # what it set comes back
    foreign = camunda.api.get(
        "/process-instances/00000000-0000-0000-0000-000000000000/called-instances", "bh"
    )
    assert foreign.status_code == 404

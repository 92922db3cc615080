"""Every step is bounded: iterations, evaluator operations, wall time; timer cycles have a minimum period.

Each test here failed before the budget existed: a loop without a wait state stopped silently after
500 rounds and reported ``completed``, and ``R/PT0S`` deployed and started.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import pytest

from engine.budget import StepBudget, cycle_period
from engine.clock import ManualClock
from engine.definition import SpecLibrary
from engine.errors import DeployError, ProcessError, StepBudgetExceeded, TimerCycleTooShort
from engine.runtime import Runtime
from tests.conftest import FIXTURES

LOOP = (FIXTURES / "engine" / "loop_without_wait_state.bpmn").read_bytes()
CYCLE = (FIXTURES / "engine" / "cycle_timer.bpmn").read_bytes()

CYCLE_LITERAL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="herhaal" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="taak"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="elke_keer" cancelActivity="false" attachedToRef="taak">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">{cycle}</bpmn:timeCycle>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="einde"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="gemeld"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="taak"/>
    <bpmn:sequenceFlow id="f2" sourceRef="taak" targetRef="einde"/>
    <bpmn:sequenceFlow id="f3" sourceRef="elke_keer" targetRef="gemeld"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _runtime(budget: StepBudget | None = None, ticker=None) -> Runtime:
    library = SpecLibrary(budget)
    library.add_document("lus.bpmn", LOOP)
    library.add_document("cyclus.bpmn", CYCLE)
    return Runtime(library, ManualClock(), ticker=ticker)


def test_a_loop_without_a_wait_state_is_stopped_by_the_default_budget_never_completed() -> None:
    runtime = _runtime()
    with pytest.raises(StepBudgetExceeded) as caught:
        runtime.start("lus", variables={"n": 0, "grens": 100_000, "wachten": False})
    assert caught.value.element_id in {"tel", "nog_eens"}
    assert caught.value.resource == "engine iterations"
    assert "tel" in str(caught.value) or "nog_eens" in str(caught.value)


def test_a_loop_that_ends_within_the_budget_completes() -> None:
    result = _runtime().start("lus", variables={"n": 0, "grens": 50, "wachten": False})
    assert (result.status, result.variables["n"]) == ("completed", 50)


def test_the_iteration_budget_is_configurable() -> None:
    runtime = _runtime(StepBudget(iterations=20))
    with pytest.raises(StepBudgetExceeded, match="at most 20"):
        runtime.start("lus", variables={"n": 0, "grens": 50, "wachten": False})
    assert runtime.start("lus", variables={"n": 0, "grens": 5, "wachten": False}).status == "completed"


def test_a_later_step_over_budget_changes_nothing() -> None:
    runtime = _runtime(StepBudget(iterations=40))
    waiting = runtime.start("lus", variables={"n": 0, "grens": 1_000, "wachten": True})
    runtime.clock.advance(hours=1)  # type: ignore[attr-defined]
    before = repr(waiting.state)
    with pytest.raises(StepBudgetExceeded):
        runtime.fire_due_timers(waiting.state)
    assert repr(waiting.state) == before  # the stored state is untouched: nothing to roll back


def test_evaluator_operations_are_bounded_per_step() -> None:
    runtime = _runtime(StepBudget(operations=300))
    # Each round evaluates the script and two conditions: a few nodes each, so 300 go quickly.
    with pytest.raises(StepBudgetExceeded) as caught:
        runtime.start("lus", variables={"n": 0, "grens": 200, "wachten": False})
    assert caught.value.resource == "evaluator operations"
    assert caught.value.element_id in {"tel", "nog_eens"}


def test_wall_time_is_bounded_per_step_on_an_injected_ticker() -> None:
    ticks = itertools.count()  # one second per look at the time: no sleeping
    runtime = _runtime(StepBudget(wall_seconds=5), ticker=lambda: float(next(ticks)))
    with pytest.raises(StepBudgetExceeded) as caught:
        runtime.start("lus", variables={"n": 0, "grens": 100, "wachten": False})
    assert caught.value.resource == "wall time"
    assert caught.value.element_id is not None


@pytest.mark.parametrize("cycle", ["R/PT0S", "R3/PT0S", "R/PT0.5S", "R/2027-01-04T09:00:00Z/PT0.2S"])
def test_a_literal_timer_cycle_under_the_minimum_is_refused_at_deploy(cycle: str) -> None:
    with pytest.raises(DeployError) as caught:
        SpecLibrary().add_document("herhaal.bpmn", CYCLE_LITERAL.replace("{cycle}", cycle).encode())
    (problem,) = caught.value.problems
    assert problem.element_id == "elke_keer" and problem.line is not None
    assert "1 s (setting INBURGERING_TIMER_CYCLE_MIN_SECONDS)" in problem.message


def test_the_timer_cycle_minimum_is_configurable() -> None:
    text = CYCLE_LITERAL.replace("{cycle}", "R/PT10S").encode()
    SpecLibrary().add_document("h.bpmn", text)  # Camunda runs it, and so does the default
    with pytest.raises(DeployError) as caught:
        SpecLibrary(StepBudget(min_timer_cycle=timedelta(minutes=1))).add_document("h.bpmn", text)
    assert "allowed is 60 s (setting INBURGERING_TIMER_CYCLE_MIN_SECONDS)" in caught.value.problems[0].message


@pytest.mark.parametrize("cycle", ["R/PT0S", "R/PT0.5S", "R5/P0D"])
def test_a_timer_cycle_from_a_variable_under_the_minimum_fails_the_step(cycle: str) -> None:
    runtime = _runtime()
    with pytest.raises(TimerCycleTooShort) as caught:
        runtime.start("herinneren", variables={"cyclus": cycle, "wachten": False})
    assert caught.value.element_id == "herinnering"
    ok = runtime.start("herinneren", variables={"cyclus": "R/PT1M", "wachten": False})
    assert [t.element_id for t in ok.timers] == ["herinnering"]


def test_cycle_periods() -> None:
    assert cycle_period("R/PT0S") == timedelta(0)
    assert cycle_period("R3/P1D") == timedelta(days=1)
    assert cycle_period("R/2027-01-04T09:00:00Z/PT10M") == timedelta(minutes=10)
    assert cycle_period("PT10M") is None


def test_budget_settings() -> None:
    budget = StepBudget.from_settings(
        {"STEP_MAX_ITERATIONS": "50", "STEP_MAX_SECONDS": "2.5", "TIMER_CYCLE_MIN_SECONDS": "300"}
    )
    assert (budget.iterations, budget.wall_seconds, budget.min_timer_cycle) == (50, 2.5, timedelta(minutes=5))
    assert budget.operations == StepBudget().operations
    with pytest.raises(ValueError, match="STEP_MAX_OPERATIONS"):
        StepBudget.from_settings({"STEP_MAX_OPERATIONS": "0"})


def test_a_tree_deeper_than_the_library_follows_is_an_error_not_completed() -> None:
    # SpiffWorkflow does not look past 1000 levels of its task tree: without this check the loop
    # stopped there and the instance was reported completed.
    # The wall-time limit is lifted: this is about the tree's depth, whatever the machine's load.
    runtime = _runtime(StepBudget(iterations=100_000, wall_seconds=3600.0))
    with pytest.raises(ProcessError, match="deep") as caught:
        runtime.start("lus", variables={"n": 0, "grens": 100_000, "wachten": False})
    assert not isinstance(caught.value, StepBudgetExceeded)


def test_every_step_of_the_runtime_runs_under_the_budget() -> None:
    # One place: Runtime._stepping opens the step's time and its meter. A step that opened only the
    # step's time would run without a budget.
    from engine import runtime

    source = Path(runtime.__file__).read_text(encoding="utf-8")
    assert source.count("spiff_support.step_time(") == 1
    assert "def _stepping(" in source

"""The engine's tree walks (engine/walks.py) find the same tasks in the same order as SpiffWorkflow's.

Three ways: journeys run with our walks and with the library's own methods answer the same at
every step; under ``walks.checking()`` every walk of a journey is made twice, ours and the
library's side by side, and a task out of place fails the step (the Camunda ports run so too, see
``tests/camunda/conftest.py``); and at every engine step of the shipped diagrams' journeys, our walk
is compared with the library's iterators for every state filter, with and without sub-processes,
stopping at a spec, and at small depth limits (where the library's depth count decides).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from SpiffWorkflow.bpmn.util.task import BpmnTaskFilter, BpmnTaskIterator
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskFilter, TaskIterator, TaskState
from sqlalchemy import Engine

from bench.year_bench import Year
from engine import walks
from engine.clock import ManualClock
from engine.result import StepResult
from engine.runtime import Runtime
from tests.engine.test_pruning import AANVRAAG, LOOP, PARALLEL_LOOP, _complete_first, _ids_by_order, _journey

STATES = (
    TaskState.READY,
    TaskState.WAITING,
    TaskState.NOT_FINISHED_MASK,
    TaskState.ANY_MASK,
    TaskState.FINISHED_MASK,
    TaskState.PREDICTED_MASK,
    TaskState.COMPLETED,
    TaskState.READY | TaskState.WAITING,
)
DEPTHS = (0, 1, 2, 3, 5, 1000)


def _parallel_step(runtime: Runtime, clock: ManualClock, result: StepResult, i: int) -> StepResult | None:
    if result.status != "active":
        return None
    if i % 3 == 0 and result.timers:
        clock.advance(hours=2)
        return runtime.fire_due_timers(result.state)
    clock.advance(minutes=5)
    tasks = sorted(result.open_tasks, key=lambda t: t.element_id)
    return runtime.complete_task(result.state, tasks[0].id, {"stap": i})


def _aanvraag_step(runtime: Runtime, clock: ManualClock, result: StepResult, i: int) -> StepResult | None:
    if result.status != "active":
        return None
    if result.timers and i < 3:
        clock.advance(hours=30)
        return runtime.fire_due_timers(result.state)
    if not result.open_tasks:
        return None
    task = result.open_tasks[0]
    data = {"besluit": "ja", "bedrag": 10} if task.element_id == "beoordelen" else {}
    return runtime.complete_task(result.state, task.id, data)


JOURNEYS = {
    "loop": (LOOP, "werklus", {"limit": 30, "gemeente": "GM0344"}, _complete_first(lambda i: {"n": i + 1})),
    "parallel loop": (PARALLEL_LOOP, "parallel_lus", {"rondes": 0, "limiet": 6}, _parallel_step),
    "aanvraag": (AANVRAAG, "aanvraag", {"behandelaar": "jan"}, _aanvraag_step),
}


@pytest.mark.parametrize("name", sorted(JOURNEYS))
@pytest.mark.parametrize("prune", [False, True])
def test_journeys_answer_as_with_the_library_s_walks(name: str, prune: bool) -> None:
    path, key, variables, step = JOURNEYS[name]
    with walks.library_walks():
        theirs = _journey(path, key, variables, step, prune=prune)
    with walks.checking():
        ours = _journey(path, key, variables, step, prune=prune)
    assert len(ours[0]) > 3
    assert _ids_by_order(ours[0]) == _ids_by_order(theirs[0])
    assert ours[2].status == theirs[2].status


def _library(start: Any, state: int, *, bpmn: bool, **options: Any) -> list[Any]:
    if bpmn:
        return list(BpmnTaskIterator(start, state=state, **options))
    return list(TaskIterator(start, state=state, **options))


def _compare_every_walk(workflow: Any) -> int:
    """Our walk against the library's iterators on this tree; the number of walks compared."""
    compared = 0
    trees = [workflow, *workflow.subprocesses.values()]
    names = sorted({t.task_spec.name for t in workflow.tasks.values()})[:2]
    for tree, state, depth in itertools.product(trees, STATES, DEPTHS):
        for end_at in (None, *names[:1]):
            for bpmn, skip in ((True, False), (True, True), (False, False)):
                options: dict[str, Any] = {"max_depth": depth, "end_at_spec": end_at}
                if bpmn:
                    options["skip_subprocesses"] = skip
                    task_filter: Any = BpmnTaskFilter(state=state)
                else:
                    task_filter = TaskFilter(state=state)
                expected = _library(tree.task_tree, state, bpmn=bpmn, **options)
                found = list(walks.walk(tree.task_tree, task_filter, into_subprocesses=bpmn, **options))
                assert found == expected, (state, depth, end_at, bpmn, skip)
                compared += 1
    for spec_name in names:  # the parallel gateway's question, and a manual filter
        assert workflow.get_tasks(spec_name=spec_name) == list(
            BpmnTaskIterator(workflow.task_tree, spec_name=spec_name)
        )
        assert workflow.get_tasks(state=TaskState.READY, manual=True) == list(
            BpmnTaskIterator(workflow.task_tree, state=TaskState.READY, manual=True)
        )
    return compared


@pytest.fixture
def every_engine_step() -> Iterator[list[int]]:
    """Compare the walks on the tree at the start of every ``do_engine_steps`` meanwhile."""
    original = BpmnWorkflow.do_engine_steps
    counts: list[int] = []

    def compared(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts.append(_compare_every_walk(self))
        return original(self, *args, **kwargs)

    BpmnWorkflow.do_engine_steps = compared  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        BpmnWorkflow.do_engine_steps = original  # type: ignore[method-assign]


@pytest.mark.parametrize("name", sorted(JOURNEYS))
def test_every_filter_and_depth_limit_on_the_fixture_trees(name: str, every_engine_step: list[int]) -> None:
    path, key, variables, step = JOURNEYS[name]
    _journey(path, key, variables, step, prune=False)
    assert len(every_engine_step) > 3 and min(every_engine_step) > 0


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_the_shipped_diagrams_walk_as_the_library_at_every_step(
    db: Engine, every_engine_step: list[int]
) -> None:
    """Year journeys of the shipped diagrams (call activities, timers, messages, an escalation):
    every walk checked side by side, and every filter and depth limit at every engine step."""
    year = Year(db, 10, http_every=0)
    try:
        with walks.checking():
            year.run()
    finally:
        year.close()
    check = year.check()
    assert check["allEnded"] and check["actual"] == check["expected"]
    assert len(every_engine_step) > 50


def test_checking_finds_a_task_out_of_place() -> None:
    ours = iter(["a", "b"])
    theirs = iter(["a", "c"])
    with pytest.raises(AssertionError):
        list(walks._lockstep(ours, theirs, "test"))

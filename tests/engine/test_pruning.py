"""Pruned states: bounded whatever the instance's age, and every step answers as without pruning.

Each journey runs twice on the same clock, once storing the library's whole task tree and once
pruned (engine/pruning.py) and in the compact form (engine/serialization.py), and compares every
step's result except the state itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from engine import serialization
from engine.clock import ManualClock
from engine.definition import SpecLibrary
from engine.result import StepResult
from engine.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
LOOP = ROOT / "bench" / "fixtures" / "loop.bpmn"
PARALLEL_LOOP = ROOT / "tests" / "fixtures" / "engine" / "parallel_loop.bpmn"
AANVRAAG = ROOT / "tests" / "fixtures" / "aanvraag.bpmn"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _runtime(path: Path, *, prune: bool) -> tuple[Runtime, ManualClock]:
    library = SpecLibrary()
    library.add_document(path.name, path.read_bytes())
    clock = ManualClock()
    runtime = Runtime(library, clock)
    runtime.prune_state = prune
    return runtime, clock


def _view(result: StepResult) -> dict[str, Any]:
    """Everything a step tells storage and the API, except the state."""
    return {
        "status": result.status,
        "variables": result.variables,
        "open_tasks": [(t.id, t.element_id, t.name, t.due_at, t.created_at) for t in result.open_tasks],
        "timers": [(t.id, t.element_id, t.due_at) for t in result.timers],
        "message_waits": list(result.message_waits),
        "signal_waits": list(result.signal_waits),
        "events": [(e.type, e.element_id, e.data) for e in result.events],
        "audit": [(a.action, a.element_id, a.detail) for a in result.audit],
        "active_elements": list(result.active_elements),
    }


Step = Callable[[Runtime, ManualClock, StepResult, int], StepResult | None]


def _journey(path: Path, key: str, variables: dict[str, Any], step: Step, *, prune: bool) -> list[Any]:
    runtime, clock = _runtime(path, prune=prune)
    result = runtime.start(key, variables=variables)
    views, sizes = [_view(result)], [len(json.dumps(result.state))]
    for i in range(400):
        state = json.loads(json.dumps(result.state))  # as stored: through JSON
        following = step(runtime, clock, StepResult(**{**result.__dict__, "state": state}), i)
        if following is None:
            break
        result = following
        views.append(_view(result))
        sizes.append(len(json.dumps(result.state)))
    return [views, sizes, result]


def _complete_first(data: Callable[[int], dict[str, Any]]) -> Step:
    def step(runtime: Runtime, clock: ManualClock, result: StepResult, i: int) -> StepResult | None:
        if result.status != "active" or not result.open_tasks:
            return None
        clock.advance(minutes=7)
        return runtime.complete_task(result.state, result.open_tasks[0].id, data(i))

    return step


def _both(path: Path, key: str, variables: dict[str, Any], step: Step) -> tuple[list[Any], list[Any]]:
    plain = _journey(path, key, variables, step, prune=False)
    pruned = _journey(path, key, variables, step, prune=True)
    assert _ids_by_order(pruned[0]) == _ids_by_order(plain[0])
    return plain, pruned


def _ids_by_order(views: list[Any]) -> str:
    """The views as text, each task id (random per run) replaced by its order of appearance."""
    text = json.dumps(views, default=str, sort_keys=True)
    seen: dict[str, str] = {}
    return _UUID.sub(lambda m: seen.setdefault(m.group(0), f"id{len(seen)}"), text)


def test_a_loop_of_200_passes_keeps_the_state_bounded_and_answers_as_unpruned() -> None:
    plain, pruned = _both(
        LOOP,
        "werklus",
        {"limit": 200, "gemeente": "GM0344"},
        _complete_first(lambda i: {"n": i + 1, "notitie": "afgerond"}),
    )
    assert pruned[2].status == "completed" and len(pruned[1]) == 201
    sizes = pruned[1][:-1]  # the last step completes the instance
    assert max(sizes[5:]) <= sizes[5] + 16  # flat: a few digits more, never a task more
    assert max(sizes) < 4096
    assert plain[1][-2] > 40 * pruned[1][-2]  # the unpruned state grew with every pass
    # a finished instance keeps its root alone: its variables (the store) read the same
    assert len(pruned[2].state["workflow"]["tasks"]) == 1
    assert pruned[2].state["workflow"]["last_task"] is None
    runtime, _ = _runtime(LOOP, prune=True)
    assert runtime.describe(pruned[2].state).variables == plain[2].variables
    assert runtime.describe(pruned[2].state).status == "completed"


def test_a_loop_through_a_parallel_join_with_a_sub_process_and_a_boundary_timer() -> None:
    def step(runtime: Runtime, clock: ManualClock, result: StepResult, i: int) -> StepResult | None:
        if result.status != "active":
            return None
        if i % 3 == 0 and result.timers:  # let the reminder fire now and then
            clock.advance(hours=2)
            return runtime.fire_due_timers(result.state)
        clock.advance(minutes=5)
        # the same branch arrives first in every pass: when the order changes, the library's join
        # counts an arrival of an earlier pass (pruned or not) and fires too early
        tasks = sorted(result.open_tasks, key=lambda t: t.element_id)
        return runtime.complete_task(result.state, tasks[0].id, {"stap": i})

    plain, pruned = _both(PARALLEL_LOOP, "parallel_lus", {"rondes": 0, "limiet": 12}, step)
    assert pruned[2].status == "completed"
    assert pruned[2].variables["rondes"] == 12
    assert not pruned[2].state["workflow"]["subprocesses"]
    runtime, _ = _runtime(PARALLEL_LOOP, prune=True)
    assert runtime.describe(pruned[2].state).variables == plain[2].variables
    # the sub-processes that finished are gone; the join's earlier arrivals stay (the library reads them)
    assert pruned[1][-2] < plain[1][-2] / 2


def test_timers_and_boundary_events_answer_as_unpruned() -> None:
    def step(runtime: Runtime, clock: ManualClock, result: StepResult, i: int) -> StepResult | None:
        if result.status != "active":
            return None
        if result.timers and i < 3:
            clock.advance(timedelta(days=1))
            return runtime.fire_due_timers(result.state)
        if not result.open_tasks:
            return None
        task = result.open_tasks[0]
        data = {"besluit": "ja", "bedrag": 10} if task.element_id == "beoordelen" else {}
        return runtime.complete_task(result.state, task.id, data)

    plain, pruned = _both(AANVRAAG, "aanvraag", {"behandelaar": "jan"}, step)
    assert len(plain[0]) > 3


def test_a_state_in_the_library_s_own_form_still_restores() -> None:
    runtime, _ = _runtime(LOOP, prune=True)
    first = runtime.start("werklus", variables={"limit": 5, "gemeente": "GM0344"})
    old = dict(first.state)
    workflow = serialization._expanded(first.state["workflow"])
    assert serialization.COMPACT not in workflow and "typename" in next(iter(workflow["tasks"].values()))
    old["workflow"] = workflow
    result = runtime.complete_task(old, first.open_tasks[0].id, {"n": 1})
    assert result.variables["n"] == 1 and result.open_tasks[0].element_id == "werk"
    assert result.state["workflow"][serialization.COMPACT] == 1


@pytest.mark.parametrize("prune", [False, True])
def test_the_compact_form_holds_all_the_library_writes(prune: bool) -> None:
    runtime, _ = _runtime(PARALLEL_LOOP, prune=prune)
    result = runtime.start("parallel_lus", variables={"rondes": 0, "limiet": 3})
    workflow, _, _ = runtime._load(result.state)
    assert serialization.dump(workflow) == result.state["workflow"]
    library = serialization.SERIALIZER.to_dict(workflow)
    assert library["subprocesses"]
    for full in (library, *library["subprocesses"].values()):
        for task in full["tasks"].values():  # deleted names are a set, written sorted
            if task.get("delta", {}).get("deletions"):
                task["delta"]["deletions"] = sorted(task["delta"]["deletions"])
        assert serialization._expand_tasks(serialization._compact_tasks(full["tasks"])) == full["tasks"]


def test_a_kept_workflow_writes_what_the_library_writes_step_after_step() -> None:
    """The dump keeps what it wrote of finished tasks on the workflow: never stale.

    Each step runs on the workflow the previous one left (as ``storage.workflow_cache`` hands it
    on): finished tasks are re-parented by pruning, sub-processes finish and go, a join keeps its
    earlier arrivals. Every state must equal the library's own dict of the workflow, compacted,
    and a restored copy of it must step to the same answers.
    """
    kept_runtime, kept_clock = _runtime(PARALLEL_LOOP, prune=True)
    fresh_runtime, fresh_clock = _runtime(PARALLEL_LOOP, prune=True)
    kept = kept_runtime.start("parallel_lus", variables={"rondes": 0, "limiet": 8})
    fresh = fresh_runtime.start("parallel_lus", variables={"rondes": 0, "limiet": 8})
    reused = 0
    for i in range(200):
        if kept.status != "active":
            break
        assert kept.workflow is not None
        live = serialization.LiveState(kept.state, kept.workflow)
        stored = json.loads(json.dumps(fresh.state))
        if i % 3 == 0 and kept.timers:
            for clock in (kept_clock, fresh_clock):
                clock.advance(hours=2)
            kept, fresh = kept_runtime.fire_due_timers(live), fresh_runtime.fire_due_timers(stored)
        else:
            for clock in (kept_clock, fresh_clock):
                clock.advance(minutes=5)
            order = sorted(range(len(kept.open_tasks)), key=lambda n: kept.open_tasks[n].element_id)
            kept_task, fresh_task = kept.open_tasks[order[0]], fresh.open_tasks[order[0]]
            assert kept_task.element_id == fresh_task.element_id
            kept = kept_runtime.complete_task(live, kept_task.id, {"stap": i})
            fresh = fresh_runtime.complete_task(stored, fresh_task.id, {"stap": i})
        assert serialization.dump_by_library(kept.workflow) == kept.state["workflow"]
        assert _ids_by_order([_view(kept)]) == _ids_by_order([_view(fresh)])
        reused += sum(
            1
            for wf in (kept.workflow, *kept.workflow.subprocesses.values())
            for task in wf.tasks.values()
            if getattr(task, serialization._MEMO, None) is not None
        )
    assert kept.status == fresh.status == "completed"
    assert reused  # finished tasks kept what a dump wrote of them, for the next dump


def test_the_dump_converts_data_as_the_library_does() -> None:
    registry = serialization.SERIALIZER.registry
    value = {
        "tekst": "a",
        "getal": 3,
        "breuk": 0.5,
        "ja": True,
        "niets": None,
        "id": UUID(int=7),
        "op": datetime(2027, 1, 4, 9, 30, tzinfo=UTC),
        "duur": timedelta(days=2, seconds=5),
        "lijst": [1, {"b": [UUID(int=8), (1, 2)], "f": len}, {3}],
        "paar": (1, "x"),
        "functie": len,
        "module": json,
    }
    assert serialization.convert(value, registry) == registry.convert(value)
    assert serialization.convert([value, "x"], registry) == registry.convert([value, "x"])

"""Every journey of tests/scenario, with its instance moved to a changed version at each wait state.

The journeys are the scenario tests themselves, run unchanged: their instance is moved from
version 1 to a later version of the main process just before one of their steps, and every
assertion of the journey (tasks, lanes, due dates, timers and their due times, events) must still
hold, to the end. Each distinct wait state (the set of active elements) is migrated at once, at its
first occurrence across all journeys, to each of two versions:

* version 2 changes only texts and a timer's duration (the task tree is kept as it is);
* version 3 also changes the flow: a milestone is put on the way into every element an instance
  can wait in (in the process and in its sub-processes), so the task tree of every wait state is
  rebuilt from version 3. The milestones raise no event, so the journeys see no difference.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from lxml import etree

from engine.clock import ManualClock
from engine.definition import SpecLibrary
from engine.migration import MigrationPlan, check_instance, migrate_state
from engine.runtime import Runtime
from tests.conftest import BPMN_DIR, ROOT
from tests.operability.variants import BPMN, changed_version

THIRTEEN_WEEKS = "${dateTime(koppeldatum).plusWeeks(13).toDate()}"

sys.path.insert(0, str(ROOT / "tests" / "scenario"))
journeys = importlib.import_module("test_scenario_journeys")
support = importlib.import_module("scenario_support")

PLANS = {2: MigrationPlan("doorlopende_lijn", 1, 2), 3: MigrationPlan("doorlopende_lijn", 1, 3)}
WAITING_KINDS = ("userTask", "receiveTask", "callActivity", "subProcess", "intermediateCatchEvent")
STEPS = ("complete_task", "correlate", "fire_due_timers")


def _library() -> SpecLibrary:
    library = SpecLibrary()
    for path in sorted(BPMN_DIR.glob("*.dmn")) + sorted(BPMN_DIR.glob("*.bpmn")):
        library.add_document(path.name, path.read_bytes())
    main = (BPMN_DIR / "doorlopende_lijn.bpmn").read_bytes()
    # version 2: a reworded task, and the housing term changed (waiting timers keep their due time)
    (v2,) = library.add_document(
        "doorlopende_lijn.bpmn",
        changed_version(
            main,
            relabel={"scenario_kiezen": "Scenario kiezen (herzien)"},
            durations={"termijn_huisvesting": THIRTEEN_WEEKS},
        ),
    )
    assert v2.version == 2
    root = etree.fromstring(main, etree.XMLParser(resolve_entities=False, no_network=True))
    waits = [e.get("id") for kind in WAITING_KINDS for e in root.iter(f"{BPMN}{kind}")]
    (v3,) = library.add_document(
        "doorlopende_lijn.bpmn",
        changed_version(
            main,
            relabel={"scenario_kiezen": "Scenario kiezen (herzien)"},
            durations={"termijn_huisvesting": THIRTEEN_WEEKS},
            milestones_before=waits,
        ),
    )
    assert v3.version == 3 and len(waits) >= 15
    return library


LIBRARY = _library()


@dataclass
class MigratingRuntime:
    """A Runtime that moves the instance to version 2 just before step number ``at`` (1 = first after start)."""

    runtime: Runtime
    plan: MigrationPlan = PLANS[2]
    at: int | None = None
    calls: int = 0
    seen: list[frozenset[str]] | None = None
    migrated: bool = False

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.runtime, name)
        if name not in STEPS:
            return target

        def step(state: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.seen is not None:
                self.seen.append(frozenset(self.runtime.describe(state).active_elements))
            if self.calls == self.at:
                assert check_instance(self.runtime, state, self.plan) == []
                before = self.runtime.describe(state)
                moved = migrate_state(self.runtime, state, self.plan, actor="beheerder")
                assert moved.version == self.plan.target_version and moved.events == ()
                assert [(t.id, t.element_id, t.assignee, t.due_at) for t in moved.open_tasks] == [
                    (t.id, t.element_id, t.assignee, t.due_at) for t in before.open_tasks
                ]
                assert moved.timers == before.timers
                assert moved.message_waits == before.message_waits
                state = moved.state
                self.migrated = True
            return target(state, *args, **kwargs)

        return step

    def start(self, *args: Any, **kwargs: Any) -> Any:
        return self.runtime.start(*args, version=1, **{k: v for k, v in kwargs.items() if k != "version"})


def _cases() -> list[tuple[str, Callable[..., None], dict[str, Any]]]:
    cases = []
    for name in sorted(dir(journeys)):
        func = getattr(journeys, name)
        if not (name.startswith("test_") and callable(func)):
            continue
        marks = [m for m in getattr(func, "pytestmark", []) if m.name == "parametrize"]
        if marks:
            argname, values = marks[0].args[0], marks[0].args[1]
            for value in values:
                cases.append((f"{name}[{value}]", func, {argname: value}))
        else:
            cases.append((name, func, {}))
    return cases


def _journey(runtime: MigratingRuntime, clock: ManualClock) -> Any:
    return support.Journey(runtime, clock)


def _run(
    func: Callable[..., None],
    kwargs: dict[str, Any],
    at: int | None,
    seen: list[Any] | None = None,
    plan: MigrationPlan = PLANS[2],
) -> MigratingRuntime:
    clock = ManualClock(support.T0)
    runtime = MigratingRuntime(Runtime(LIBRARY, clock), plan=plan, at=at, seen=seen)
    func(_journey(runtime, clock), **kwargs)
    return runtime


def _wait_states() -> list[tuple[str, int]]:
    """(journey, step) pairs: the first step before which each distinct wait state is reached."""
    chosen: list[tuple[str, int]] = []
    covered: set[frozenset[str]] = set()
    for name, func, kwargs in _cases():
        seen: list[frozenset[str]] = []
        _run(func, kwargs, at=None, seen=seen)
        for index, active in enumerate(seen, start=1):
            if active not in covered:
                covered.add(active)
                chosen.append((name, index))
    return chosen


WAIT_STATES = _wait_states()
CASES = {name: (func, kwargs) for name, func, kwargs in _cases()}


def test_the_journeys_reach_many_wait_states() -> None:
    assert len(CASES) >= 8
    assert len(WAIT_STATES) >= 20, WAIT_STATES


@pytest.mark.parametrize("version", sorted(PLANS))
@pytest.mark.parametrize(("journey", "step"), WAIT_STATES, ids=[f"{n}@{s}" for n, s in WAIT_STATES])
def test_a_journey_moved_to_a_new_version_at_a_wait_state_runs_to_its_end(
    journey: str, step: int, version: int
) -> None:
    func, kwargs = CASES[journey]
    runtime = _run(func, kwargs, at=step, plan=PLANS[version])
    assert runtime.migrated

"""Steps on a kept workflow behave exactly as steps on the stored state, and stale ones are never used.

The service keeps the workflow each committed step leaves behind, by (instance id, revision)
(``storage/workflow_cache.py``). These tests check that a step on a kept workflow gives the same
result as the same step on the workflow restored from the database (every step of 50 journeys of the
year bench through the shipped diagrams), and that a rolled-back step, a conflicting writer or
another process never leave a workflow behind that a later step would use.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import fields
from typing import Any
from uuid import UUID

import pytest
import SpiffWorkflow.task as spiff_task
from sqlalchemy import Engine, select

from bench.year_bench import Year
from engine import serialization
from engine.clock import ManualClock
from engine.errors import TaskNotOpenError
from engine.result import StepResult
from engine.serialization import LiveState
from storage import repository as repo
from storage.errors import ConflictError
from storage.schema import message_waits, signal_waits, timers
from storage.service import WorkflowService
from storage.workflow_cache import WorkflowCache
from tests.conftest import FIXTURES

# -- the cache itself ------------------------------------------------------------------------------


def test_an_entry_serves_one_step_of_exactly_its_revision() -> None:
    cache = WorkflowCache(10)
    live = object()
    cache.keep("a", 3, live)
    assert cache.take("a", 2) is None  # another revision: dropped, not served
    assert cache.take("a", 3) is None
    cache.keep("a", 3, live)
    assert cache.take("a", 3) is live
    assert cache.take("a", 3) is None  # taken: the step owns it
    assert (cache.hits, cache.misses) == (1, 3)


def test_an_older_revision_never_replaces_a_newer_one() -> None:
    cache = WorkflowCache(10)
    newer, older = object(), object()
    cache.keep("a", 5, newer)
    cache.keep("a", 4, older)
    assert cache.take("a", 5) is newer


def test_the_least_recently_kept_go_first_and_zero_keeps_none() -> None:
    cache = WorkflowCache(2)
    for name in ("a", "b", "c"):
        cache.keep(name, 1, name)
    assert len(cache) == 2
    assert cache.take("a", 1) is None and cache.take("b", 1) == "b" and cache.take("c", 1) == "c"
    none = WorkflowCache(0)
    none.keep("a", 1, "a")
    assert len(none) == 0 and none.take("a", 1) is None
    with pytest.raises(ValueError):
        WorkflowCache(-1)


# -- the service -----------------------------------------------------------------------------------


@pytest.fixture
def deployed(db: Engine, clock: ManualClock) -> Callable[[], WorkflowService]:
    """Services on one database (as in two processes), each with its own cache."""
    content = (FIXTURES / "aanvraag.bpmn").read_bytes()
    WorkflowService(db, clock).deploy("aanvraag.bpmn", content, actor="test")

    def make() -> WorkflowService:
        return WorkflowService(db, clock)

    return make


def _open_task(db: Engine, instance_id: str, element_id: str) -> str:
    with db.connect() as conn:
        (task,) = [t for t in repo.tasks_for_instance(conn, instance_id) if t.element_id == element_id]
    return str(task.id)


def test_steps_on_one_instance_reuse_the_workflow_they_left(
    deployed: Callable[[], WorkflowService], db: Engine
) -> None:
    service = deployed()
    rec = service.start("aanvraag", business_key="V1", gemeente="GM0344", actor="s")
    rec = service.complete_task(
        _open_task(db, rec.id, "beoordelen"),
        {"besluit": "ja", "bedrag": 3, "opmerking": "eerste"},
        actor="km",
    )
    rec = service.complete_task(_open_task(db, rec.id, "uitvoeren"), {"klaar": True}, actor="cm")
    rec = service.correlate("bevestigd", "V1", {"kenmerk": "x"}, actor="systeem")
    assert rec.status == "completed" and rec.variables["opmerking"] == "eerste"
    assert service.workflows.hits == 3
    assert len(service.workflows) == 0  # a finished instance is not kept


def test_a_rolled_back_step_leaves_nothing_a_later_step_could_use(
    deployed: Callable[[], WorkflowService], db: Engine
) -> None:
    ours, other = deployed(), deployed()
    rec = ours.start("aanvraag", business_key="V2", gemeente="GM0344", actor="s")
    task = _open_task(db, rec.id, "beoordelen")

    def fail(*_: Any) -> None:
        raise RuntimeError("the write fails after the instance row was written")

    with pytest.raises(RuntimeError):
        ours.complete_task(
            task, {"besluit": "ja", "bedrag": 3, "opmerking": "teruggedraaid"}, actor="km", also=fail
        )
    assert ours.get(rec.id).revision == 1
    # Another process writes revision 2 with other data; a kept workflow of the rolled-back step
    # would carry the same revision number.
    other.complete_task(task, {"besluit": "ja", "bedrag": 3, "opmerking": "bewaard"}, actor="km")
    done = ours.complete_task(_open_task(db, rec.id, "uitvoeren"), {"klaar": True}, actor="cm")
    assert done.revision == 3 and done.variables["opmerking"] == "bewaard"


def test_a_workflow_another_writer_moved_on_from_is_not_used(
    deployed: Callable[[], WorkflowService], db: Engine
) -> None:
    ours, other = deployed(), deployed()
    rec = ours.start("aanvraag", business_key="V3", gemeente="GM0344", actor="s")
    task = _open_task(db, rec.id, "beoordelen")
    other.complete_task(task, {"besluit": "ja", "bedrag": 3, "opmerking": "elders"}, actor="km")
    with pytest.raises(TaskNotOpenError):  # our kept revision 1 still has the task open
        ours.complete_task(task, {"besluit": "nee"}, actor="km")
    done = ours.complete_task(_open_task(db, rec.id, "uitvoeren"), {"klaar": True}, actor="cm")
    assert done.variables["opmerking"] == "elders" and done.revision == 3


def test_the_loser_of_a_conflict_keeps_nothing(deployed: Callable[[], WorkflowService], db: Engine) -> None:
    ours, other = deployed(), deployed()
    rec = ours.start("aanvraag", business_key="V4", gemeente="GM0344", actor="s")
    task = _open_task(db, rec.id, "beoordelen")
    stale = ours.get(rec.id)
    other.complete_task(task, {"besluit": "ja", "bedrag": 3, "opmerking": "won"}, actor="km")
    with pytest.raises(ConflictError):  # ours ran on revision 1 (its kept workflow) and lost
        ours._step(
            stale,
            lambda s: ours.runtime.complete_task(
                s, task, {"besluit": "ja", "bedrag": 3, "opmerking": "lost"}, actor="km"
            ),
            actor="km",
        )
    assert ours.workflows.hits == 1 and len(ours.workflows) == 0
    done = ours.complete_task(_open_task(db, rec.id, "uitvoeren"), {"klaar": True}, actor="cm")
    assert done.variables["opmerking"] == "won"


# -- a kept workflow steps as a restored one -------------------------------------------------------


class _SameIds:
    """New task ids and state-change times from counters, so that one step can be run twice alike."""

    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.ticks = itertools.count(1)
        self.restoring = False

    def uuid4(self) -> UUID:
        return UUID(int=next(self.ids))

    def time(self) -> float:
        return 1.8e9 if self.restoring else 1.8e9 + next(self.ticks)

    def rewind(self) -> Callable[[], None]:
        ids, ticks = next(self.ids), next(self.ticks)

        def again() -> None:
            self.ids, self.ticks = itertools.count(ids), itertools.count(ticks)

        again()
        return again


class _CheckedRuntime:
    """Runs every step on a kept workflow twice: first on the restored state, then on the kept one.

    Both results must be equal, and each state as :func:`engine.serialization.dump` wrote it equal to
    the library's own dict of the workflow, compacted.
    """

    STEPS = ("complete_task", "correlate", "fire_due_timers", "fire_timer", "reschedule_timer", "signal")

    def __init__(self, runtime: Any, same: _SameIds) -> None:
        self._runtime = runtime
        self._same = same
        self.compared = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._runtime, name)
        if name not in self.STEPS:
            return method

        def checked(state: Any, *args: Any, **kwargs: Any) -> Any:
            if not isinstance(state, LiveState):
                return method(state, *args, **kwargs)
            again = self._same.rewind()
            try:
                restored: Any = method(dict(state), *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - the kept workflow must fail alike
                restored = exc
            again()
            try:
                kept = method(state, *args, **kwargs)
            except Exception as exc:
                assert type(exc) is type(restored) and str(exc) == str(restored), (exc, restored)
                raise
            assert isinstance(restored, StepResult), restored
            different = [
                f.name for f in fields(StepResult) if getattr(kept, f.name) != getattr(restored, f.name)
            ]
            assert different in ([], ["workflow"]), (
                name,
                {f: (getattr(kept, f), getattr(restored, f)) for f in different if f != "workflow"},
            )
            for result in (restored, kept):  # the short way of writing the state writes what the library does
                assert serialization.dump_by_library(result.workflow) == result.state["workflow"]
            self.compared += 1
            return kept

        return checked


@pytest.fixture
def same_ids(monkeypatch: pytest.MonkeyPatch) -> Iterator[_SameIds]:
    same = _SameIds()
    original = serialization.restore

    def restore(*args: Any) -> Any:
        same.restoring = True  # restoring creates task objects: that must not move the counters
        try:
            return original(*args)
        finally:
            same.restoring = False

    monkeypatch.setattr(spiff_task, "uuid4", same.uuid4)
    monkeypatch.setattr(spiff_task, "time", same)
    monkeypatch.setattr(serialization, "restore", restore)
    yield same


def test_every_step_of_fifty_journeys_on_a_kept_workflow_equals_the_restored_one(
    sqlite_db: Engine, same_ids: _SameIds
) -> None:
    """Engine behaviour, the same on every database: run on SQLite only."""
    year = Year(sqlite_db, 50, http_every=0)
    checked = _CheckedRuntime(year.service.runtime, same_ids)
    year.service.runtime = checked  # type: ignore[assignment]
    try:
        year.run()
    finally:
        year.close()
    check = year.check()
    assert check["allEnded"] and check["actual"] == check["expected"]
    steps = sum(len(v) for v in year.samples.by_kind.values())
    # every step after the start ran on the workflow its previous step left (nothing else wrote)
    assert checked.compared == year.service.workflows.hits == steps - 50


def test_a_step_that_knows_the_rows_its_revision_wrote_leaves_the_rows_a_full_rewrite_would(
    db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kept workflow carries the timers and waits its step wrote: the next step compares instead of
    reading and rewriting them. After every step of 20 journeys the rows read back must be the step's."""
    original = repo.update_instance
    knew = []

    def checked(conn: Any, record: Any, result: StepResult, **kwargs: Any) -> Any:
        written = original(conn, record, result, **kwargs)
        knew.append(kwargs.get("known") is not None)
        rows = {
            "timers": sorted(
                (r.id, r.due_at)
                for r in conn.execute(select(timers).where(timers.c.instance_id == record.id))
            ),
            "messages": sorted(
                (r.message_name, r.element_id, r.business_key)
                for r in conn.execute(select(message_waits).where(message_waits.c.instance_id == record.id))
            ),
            "signals": sorted(
                (r.signal_name, r.element_id)
                for r in conn.execute(select(signal_waits).where(signal_waits.c.instance_id == record.id))
            ),
        }
        assert rows == {
            "timers": sorted((t.id, t.due_at) for t in result.timers),
            "messages": sorted(
                (w.message_name, w.element_id, record.business_key) for w in result.message_waits
            ),
            "signals": sorted((w.signal_name, w.element_id) for w in result.signal_waits),
        }
        return written

    monkeypatch.setattr(repo, "update_instance", checked)
    year = Year(db, 20, http_every=0)
    try:
        year.run()
    finally:
        year.close()
    check = year.check()
    assert check["allEnded"] and check["actual"] == check["expected"]
    assert knew.count(True) > len(knew) / 2  # most steps ran on the revision their workflow was kept at

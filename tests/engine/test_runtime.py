"""The engine runs a small Camunda Modeler style diagram through every operation on a manual clock."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from engine.clock import ManualClock
from engine.errors import FormValidationError, NotFoundError, TaskNotOpenError
from engine.runtime import Runtime
from tests.conftest import T0


def _types(result):
    return [e.type for e in result.events]


def test_start_opens_the_first_task_with_lane_form_and_due_date(runtime: Runtime) -> None:
    r = runtime.start("aanvraag", business_key="B-1", variables={"gemeente": "GM0344"})
    assert r.status == "active"
    task = r.task("beoordelen")
    assert task.lane == "Gemeente"
    assert task.candidate_groups == ("gemeente",)
    assert task.due_at == T0 + timedelta(days=3)
    assert [f.id for f in task.form] == ["besluit", "bedrag", "opmerking"]
    assert {t.element_id: t.due_at for t in r.timers} == {
        "herinnering": T0 + timedelta(hours=1),
        "verlopen": T0 + timedelta(days=14),
    }
    assert _types(r) == ["taak-aangemaakt"]
    assert r.variables["gemeente"] == "GM0344"
    assert "beoordelen" in r.active_elements
    json.dumps(r.state)  # the state is plain JSON


def test_state_carries_no_spec(runtime: Runtime) -> None:
    r = runtime.start("aanvraag")
    assert "spec" not in r.state["workflow"]
    assert "subprocess_specs" not in r.state["workflow"]


def test_form_is_validated_and_nothing_changes_on_error(runtime: Runtime) -> None:
    r = runtime.start("aanvraag")
    task = r.task("beoordelen")
    with pytest.raises(FormValidationError) as err:
        runtime.complete_task(
            r.state, task.id, {"besluit": "misschien", "bedrag": 5000, "opmerking": "x" * 51, "extra": 1}
        )
    fields = {p.field for p in err.value.problems}
    assert fields == {"besluit", "bedrag", "opmerking", "extra"}
    # the same state still accepts a valid completion
    r2 = runtime.complete_task(r.state, task.id, {"besluit": "nee"})
    assert r2.status == "completed"


def test_juel_gateway_call_activity_message_and_thrown_event(runtime: Runtime, clock: ManualClock) -> None:
    r = runtime.start("aanvraag", business_key="B-2", variables={"behandelaar": "cm1"})
    r = runtime.complete_task(
        r.state, r.task("beoordelen").id, {"besluit": "ja", "bedrag": 10}, actor="user:km"
    )
    assert _types(r) == ["taak-afgerond", "taak-aangemaakt"]
    uit = r.task("uitvoeren")
    assert uit.lane == "COA"
    assert uit.assignee == "cm1"
    assert r.timers == ()  # both boundary timers went with the completed task
    r = runtime.complete_task(r.state, uit.id, {"klaar": True, "datum": "2027-01-05"})
    assert r.variables["uitgevoerd"] is True
    assert r.variables["teller"] == 11
    assert [w.message_name for w in r.message_waits] == ["bevestigd"]
    with pytest.raises(NotFoundError):
        runtime.correlate(r.state, "onbekend", {})
    r = runtime.correlate(r.state, "bevestigd", {"kenmerk": "K1"})
    assert r.status == "completed"
    thrown = [e for e in r.events if e.type == "aanvraag-afgerond"]
    assert thrown and thrown[0].data == {"moment": "klaar", "bedrag": 10}
    assert _types(r)[-1] == "proces-afgerond"
    assert r.variables["kenmerk"] == "K1"


def test_gateway_word_operators(runtime: Runtime) -> None:
    r = runtime.start("aanvraag")
    r = runtime.complete_task(r.state, r.task("beoordelen").id, {"besluit": "nee"})
    assert r.status == "completed"
    assert r.active_elements == ()


def test_non_interrupting_timer_fires_once_and_task_stays(runtime: Runtime, clock: ManualClock) -> None:
    r = runtime.start("aanvraag")
    clock.advance(minutes=59)
    r = runtime.fire_due_timers(r.state)
    assert r.events == ()
    clock.advance(minutes=1)
    r = runtime.fire_due_timers(r.state)
    types = _types(r)
    assert types.count("termijn-verstreken") == 1
    assert "herinnering-verstuurd" in types
    assert r.task("beoordelen")
    assert [t.element_id for t in r.timers] == ["verlopen"]
    r = runtime.fire_due_timers(r.state)
    assert r.events == ()  # a second sweep fires nothing


def test_interrupting_timer_cancels_the_task(runtime: Runtime, clock: ManualClock) -> None:
    r = runtime.start("aanvraag")
    task_id = r.task("beoordelen").id
    clock.advance(days=14, seconds=1)
    r = runtime.fire_due_timers(r.state)
    assert r.status == "completed"
    assert r.open_tasks == ()
    with pytest.raises(TaskNotOpenError):
        runtime.complete_task(r.state, task_id, {"besluit": "ja"})


def test_timer_cancelled_by_its_interrupting_path_never_fires(runtime: Runtime, clock: ManualClock) -> None:
    r = runtime.start("aanvraag")
    r = runtime.complete_task(r.state, r.task("beoordelen").id, {"besluit": "ja"})
    clock.advance(days=30)
    r = runtime.fire_due_timers(r.state)
    assert "termijn-verstreken" not in _types(r)


def test_reschedule_and_fire_now(runtime: Runtime, clock: ManualClock) -> None:
    r = runtime.start("aanvraag")
    verlopen = next(t for t in r.timers if t.element_id == "verlopen")
    new_due = T0 + timedelta(days=2)
    r = runtime.reschedule_timer(r.state, verlopen.id, new_due)
    assert next(t for t in r.timers if t.element_id == "verlopen").due_at == new_due
    clock.advance(days=1)
    r = runtime.fire_due_timers(r.state)
    assert r.status == "active"
    herinnering = [t for t in r.timers if t.element_id == "herinnering"]
    assert herinnering == []  # fired at one hour
    r = runtime.fire_timer(r.state, verlopen.id)
    assert r.status == "completed"
    assert "termijn-verstreken" in _types(r)


def test_completing_unknown_or_finished_task(runtime: Runtime) -> None:
    r = runtime.start("aanvraag")
    with pytest.raises(NotFoundError):
        runtime.complete_task(r.state, "00000000-0000-0000-0000-000000000000", {})
    task_id = r.task("beoordelen").id
    r2 = runtime.complete_task(r.state, task_id, {"besluit": "nee"})
    with pytest.raises((TaskNotOpenError, NotFoundError)):
        runtime.complete_task(r2.state, task_id, {"besluit": "nee"})


def test_terminate(runtime: Runtime) -> None:
    r = runtime.start("aanvraag")
    r = runtime.terminate(r.state)
    assert r.status == "terminated"
    assert r.open_tasks == () and r.timers == ()


def test_versions_keep_running_instances_on_their_version(runtime: Runtime, library) -> None:
    from tests.conftest import FIXTURES

    r1 = runtime.start("aanvraag")
    assert r1.version == 1
    changed = (FIXTURES / "aanvraag.bpmn").read_bytes().replace(b"plusDays(3)", b"plusDays(5)")
    library.add_document("aanvraag.bpmn", changed)
    r2 = runtime.start("aanvraag")
    assert r2.version == 2
    assert r2.task("beoordelen").due_at == T0 + timedelta(days=5)
    r1 = runtime.complete_task(r1.state, r1.task("beoordelen").id, {"besluit": "ja"})
    assert r1.version == 1
    same = library.add_document("aanvraag.bpmn", changed)
    assert {d.version for d in same} == {2}


def test_loading_a_state_does_not_change_it(runtime: Runtime) -> None:
    r = runtime.start("aanvraag", variables={"behandelaar": "x"})
    r = runtime.complete_task(r.state, r.task("beoordelen").id, {"besluit": "ja"})  # a call activity is open
    before = json.dumps(r.state, sort_keys=True)
    runtime.describe(r.state)
    runtime.describe(r.state)
    assert json.dumps(r.state, sort_keys=True) == before
    assert runtime.describe(r.state).task("uitvoeren")

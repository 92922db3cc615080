"""Regression tests for the SpiffWorkflow 3.2 bugs our diagrams could hit, and how we handle each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.clock import ManualClock
from engine.definition import SpecLibrary
from engine.errors import DeployError, FormValidationError, NotFoundError, TaskNotOpenError
from engine.runtime import Runtime
from tests.conftest import FIXTURES, T0

ENGINE_FIXTURES = FIXTURES / "engine"


def _runtime(path: Path, clock: ManualClock) -> Runtime:
    lib = SpecLibrary()
    lib.add_document(path.name, path.read_bytes())
    return Runtime(lib, clock)


def test_two_timers_on_one_event_based_gateway_are_refused_at_deploy() -> None:
    # The library gives both timers the due time of the first one.
    with pytest.raises(DeployError) as err:
        SpecLibrary().add_document("g.bpmn", (ENGINE_FIXTURES / "two_timer_gateway.bpmn").read_bytes())
    (problem,) = err.value.problems
    assert problem.element_id == "g" and "only one timer per event-based gateway" in problem.message


def test_event_based_gateway_with_one_timer_and_a_message(clock: ManualClock) -> None:
    rt = _runtime(ENGINE_FIXTURES / "message_or_timer_gateway.bpmn", clock)
    r = rt.start("ebg_mixed")
    assert [(t.element_id, t.due_at) for t in r.timers] == [("t1", T0.replace(hour=10))]
    assert [(w.message_name, w.element_id) for w in r.message_waits] == [("antwoord_ontvangen", "antwoord")]
    answered = rt.correlate(r.state, "antwoord_ontvangen", {"x": 1})
    assert answered.status == "completed" and answered.variables["x"] == 1
    assert "termijn-verstreken" not in [e.type for e in answered.events]
    clock.advance(hours=1, seconds=1)
    timed_out = rt.fire_due_timers(r.state)
    assert timed_out.status == "completed"
    assert [(e.type, e.element_id) for e in timed_out.events][0] == ("termijn-verstreken", "t1")


def test_interrupting_event_subprocess_interrupts(clock: ManualClock) -> None:
    rt = _runtime(ENGINE_FIXTURES / "interrupting_event_subprocess.bpmn", clock)
    r = rt.start("esp")
    werk = r.task("werk").id
    clock.advance(hours=1, seconds=1)
    r = rt.fire_due_timers(r.state)
    assert [t.element_id for t in r.open_tasks] == ["escalatie"]
    with pytest.raises((TaskNotOpenError, NotFoundError)):
        rt.complete_task(r.state, werk, {})
    r = rt.complete_task(r.state, r.task("escalatie").id, {})
    assert r.status == "completed"


def test_non_interrupting_event_subprocess_leaves_the_scope_running(clock: ManualClock) -> None:
    rt = _runtime(ENGINE_FIXTURES / "non_interrupting_event_subprocess.bpmn", clock)
    r = rt.start("esp_n")
    clock.advance(hours=1, seconds=1)
    r = rt.fire_due_timers(r.state)
    assert sorted(t.element_id for t in r.open_tasks) == ["escalatie", "werk"]
    r = rt.complete_task(r.state, r.task("escalatie").id, {})
    r = rt.complete_task(r.state, r.task("werk").id, {})
    assert r.status == "completed"


@pytest.mark.parametrize("reserved_id", ["Start", "End"])
def test_element_ids_start_and_end_run_under_their_own_names(reserved_id: str, clock: ManualClock) -> None:
    """The library names its own tasks Start and End; the designer's ids are renamed inside the parse."""
    old = b'"start_aanvraag"' if reserved_id == "Start" else b'"verlopen_einde"'
    content = (FIXTURES / "aanvraag.bpmn").read_bytes()
    assert old in content
    library = SpecLibrary()
    library.add_document("a.bpmn", content.replace(old, f'"{reserved_id}"'.encode()))
    rt = Runtime(library, clock)
    r = rt.start("aanvraag", variables={"behandelaar": None})
    assert r.status == "active"
    assert r.open_tasks


def test_typename_is_refused_everywhere(runtime: Runtime) -> None:
    with pytest.raises(FormValidationError):
        runtime.start("aanvraag", variables={"typename": "x"})
    with pytest.raises(FormValidationError):
        runtime.start("aanvraag", variables={"a": {"b": [{"typename": 1}]}})
    r = runtime.start("aanvraag", variables={"besluitNotitie": "ok"})
    r = runtime.complete_task(r.state, r.task("beoordelen").id, {"besluit": "ja"})
    with pytest.raises(FormValidationError):
        runtime.complete_task(r.state, r.task("uitvoeren").id, {"typename": True})


def test_dates_stay_strings_and_state_round_trips(runtime: Runtime, clock: ManualClock) -> None:
    r = runtime.start("aanvraag", variables={"behandelaar": "x"})
    r = runtime.complete_task(r.state, r.task("beoordelen").id, {"besluit": "ja", "bedrag": 1})
    r = runtime.complete_task(r.state, r.task("uitvoeren").id, {"datum": "2027-02-03", "klaar": False})
    assert r.variables["datum"] == "2027-02-03"
    text = json.dumps(r.state)
    again = runtime.describe(json.loads(text))
    assert again.variables["datum"] == "2027-02-03"
    with pytest.raises(FormValidationError):
        runtime.start("aanvraag", variables={"bedrag": 1.5e308 * 10})  # inf is not JSON


def test_library_clock_is_ours(runtime: Runtime, clock: ManualClock) -> None:
    # The library computes due times from "now": ours, not the wall clock.
    r = runtime.start("aanvraag")
    assert min(t.due_at for t in r.timers) == T0.replace(hour=10)
    clock.advance(days=400)
    r2 = runtime.start("aanvraag")
    assert min(t.due_at for t in r2.timers) == clock.now().replace(hour=10)

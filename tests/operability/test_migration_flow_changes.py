"""Moving running cases to a version whose flow changed, as a designer fixing the main process would
save it in Camunda Modeler, on SQLite and PostgreSQL.

``tests/fixtures/migration/doorlopende_lijn.bpmn`` is the main process as it shipped when these
fixtures were made (version 1 here, so the fixtures keep their meaning while the designers go on
improving ``bpmn/``). Its revision ``doorlopende_lijn_herzien.bpmn`` (version 2):

* adds a task before an active one: ``reguliere_start_voorbereiden`` before
  ``reguliere_inburgering_starten``;
* re-ids a task inside the ``scenariokeuze`` sub-process (``contact_bijzonderheden`` is now
  ``bijzonderheden_bespreken``) and rewires its flow through a new milestone, beside the
  ``scenario_kiezen`` branch of the same parallel split;
* adds a parallel branch: scenario 3 also plans a kennismaking with the gemeente;
* removes a task instances wait in: ``huisvesting_escaleren`` (and the throw event before it) make
  way for one new task ``huisvesting_plan_vastleggen`` right after the housing timer.

``doorlopende_lijn_extra_tak.bpmn`` (version 3) adds a third branch into the parallel join of the
warme overdracht planning.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine, select

from app import create_app
from app.cli import main as cli
from engine.clock import ManualClock
from engine.migration import MigrationPlan
from storage.migration import InstanceMigrator, MigrationRefused
from storage.schema import audit_entries
from storage.service import WorkflowService
from tests.conftest import BPMN_DIR, FIXTURES
from tests.operability.case_driver import Case
from tests.webhooks.conftest import GM_A, Parties, app_config

FIXTURE_DIR = FIXTURES / "migration"
MAIN = "doorlopende_lijn.bpmn"
#: what a beheerder maps by hand: a re-id'd task, and a removed task to the task that replaced it
MAPPINGS = {
    "contact_bijzonderheden": "bijzonderheden_bespreken",
    "huisvesting_escaleren": "huisvesting_plan_vastleggen",
}
FIX = MigrationPlan("doorlopende_lijn", 1, 2, mappings=MAPPINGS)


def deploy(service: WorkflowService) -> None:
    """The shipped called processes and decisions, then the main process: as shipped, revised, extended."""
    for path in sorted(BPMN_DIR.glob("*.dmn")) + sorted(BPMN_DIR.glob("*.bpmn")):
        if path.name != MAIN:
            service.deploy(path.name, path.read_bytes(), actor="test")
    for version, name in enumerate(
        ("doorlopende_lijn.bpmn", "doorlopende_lijn_herzien.bpmn", "doorlopende_lijn_extra_tak.bpmn"), start=1
    ):
        outcome = service.deploy(MAIN, (FIXTURE_DIR / name).read_bytes(), actor="test")
        assert outcome.definitions == (("doorlopende_lijn", version),), outcome


def start(service: WorkflowService, clock: ManualClock, key: str, scenario: str) -> Case:
    case = Case.start(service, clock, key, GM_A, version=1)
    case.choices = {"scenario": scenario}
    return case


def snapshot(case: Case) -> dict[str, Any]:
    return {
        "tasks": sorted(
            (t.id, MAPPINGS.get(t.element_id, t.element_id), t.assignee, t.due_at, t.created_at)
            for t in case.tasks()
        ),
        "timers": sorted((t.id, t.element_id, t.due_at) for t in case.timers()),
        "waits": case.waits(),
    }


def walk_to(case: Case, element: str) -> None:
    for _ in range(80):
        if element in {t.element_id for t in case.tasks()}:
            return
        assert case.step(), f"{element} never opened: {case.steps}"
    raise AssertionError(f"{element} never opened: {case.steps}")


def finish_without_duplicates(case: Case) -> None:
    """Run the case to its end; never two open tasks of one element (a duplicated join or branch)."""
    for _ in range(80):
        open_elements = Counter(t.element_id for t in case.tasks())
        assert max(open_elements.values(), default=1) == 1, (open_elements, case.steps)
        if not case.step():
            return
    raise AssertionError(f"no end after {case.steps}")


def wait_states(service: WorkflowService, clock: ManualClock, scenario: str) -> list[int]:
    """For each distinct wait state of a walk of the scenario on version 1: the moves to reach it."""
    walk = start(service, clock, f"9{scenario}00000000", scenario)
    seen: dict[frozenset[str], int] = {}
    moves = 0
    while walk.status() == "active":
        seen.setdefault(frozenset(walk.record().active_elements), moves)
        walk.step()
        moves += 1
    return sorted(seen.values())


@pytest.mark.parametrize("scenario", ["1", "2", "3"])
def test_at_every_wait_state_a_case_moves_to_the_revised_flow_and_finishes_there(
    db: Engine, clock: ManualClock, scenario: str
) -> None:
    service = WorkflowService(db, clock)
    deploy(service)
    migrator = InstanceMigrator(service)
    states = wait_states(service, clock, scenario)
    assert len(states) >= 8, states
    reached: set[str] = set()
    ran_added = 0
    for n, moves in enumerate(states, start=1):
        case = start(service, clock, f"8{scenario}{n:08d}", scenario)
        for _ in range(moves):
            case.step()
        reached.update(case.record().active_elements)
        before = snapshot(case)
        outcome = migrator.migrate(FIX, actor="user:beheer", instance_ids=[case.id])
        assert outcome.migrated == [case.id], (moves, outcome)
        assert case.record().version == 2
        assert snapshot(case) == before, moves  # tasks (ids, assignee, due), timers, message waits
        with db.connect() as conn:
            moved = conn.execute(
                select(audit_entries.c.actor, audit_entries.c.detail).where(
                    audit_entries.c.instance_id == case.id, audit_entries.c.action == "migrated"
                )
            ).one()
        assert moved.actor == "user:beheer" and moved.detail["mappings"] == MAPPINGS
        finish_without_duplicates(case)
        assert case.status() == "completed", (moves, case.steps)
        done = [s for s in case.steps if s.startswith("complete ")]
        if "complete reguliere_start_voorbereiden" in done:
            # the added task runs right before the regular start
            after = done[done.index("complete reguliere_start_voorbereiden") + 1]
            assert after == "complete reguliere_inburgering_starten", done
            ran_added += 1
    # the walks waited where the plan's mappings matter
    assert "contact_bijzonderheden" in reached
    if scenario == "2":  # scenarios 1 and 3 start the regular inburgering in their called process
        assert ran_added >= 3
    if scenario == "3":
        assert "huisvesting_escaleren" in reached


def test_what_the_revised_flow_cannot_hold_is_listed_and_nothing_changes(
    db: Engine, clock: ManualClock
) -> None:
    service = WorkflowService(db, clock)
    deploy(service)
    migrator = InstanceMigrator(service)
    escalated = start(service, clock, "7000000002", "2")
    walk_to(escalated, "huisvesting_escaleren")
    fresh = start(service, clock, "7000000001", "2")  # after the walk: the sweep fires every due timer
    records = {c.id: c.record() for c in (fresh, escalated)}

    # no mappings: the re-id'd and the removed task have no counterpart
    with pytest.raises(MigrationRefused) as refused:
        migrator.migrate(MigrationPlan("doorlopende_lijn", 1, 2), actor="x")
    messages = refused.value.report.messages()
    assert any(
        fresh.id in m and "'contact_bijzonderheden' of process 'scenariokeuze'" in m and "no counterpart" in m
        for m in messages
    ), messages
    assert any(escalated.id in m and "'huisvesting_escaleren'" in m for m in messages), messages

    # two active tasks cannot become one; an active task cannot leave its sub-process
    merged = MigrationPlan(
        "doorlopende_lijn", 1, 2, mappings={**MAPPINGS, "contact_bijzonderheden": "scenario_kiezen"}
    )
    (problem,) = migrator.validate(merged, [fresh.id]).instance_problems
    assert "two active elements cannot become one" in " ".join(problem.messages)
    escaped = MigrationPlan(
        "doorlopende_lijn",
        1,
        2,
        mappings={**MAPPINGS, "contact_bijzonderheden": "reguliere_start_voorbereiden"},
    )
    (problem,) = migrator.validate(escaped, [fresh.id]).instance_problems
    assert "cannot leave its sub-process" in " ".join(problem.messages), problem
    for case in (fresh, escalated):
        assert case.record() == records[case.id]


def test_a_parallel_join_that_would_wait_for_a_branch_already_passed_is_refused(
    db: Engine, clock: ManualClock
) -> None:
    """Version 3 adds a branch into the planning join: a case planning already (the split passed)
    would wait there for ever; a case before the split moves and runs the new branch too."""
    service = WorkflowService(db, clock)
    deploy(service)
    migrator = InstanceMigrator(service)
    # scenario 2 with the driegesprek agreed for before the move, so a woning opens its planning
    planning = start(service, clock, "6000000001", "2")
    planning.choices.update(driegesprekMoment="voor-verhuizing")
    walk_to(planning, "overdracht_plannen_coa")
    before = planning.record()
    early = start(service, clock, "6000000002", "2")
    early.choices.update(driegesprekMoment="voor-verhuizing")
    plan = MigrationPlan("doorlopende_lijn", 1, 3)
    report = migrator.validate(plan)
    assert [p.instance_id for p in report.instance_problems] == [planning.id]
    (message,) = report.instance_problems[0].messages
    assert "'samenkomst_planning'" in message and "'overdracht_plannen_klant'" in message, message
    assert "wait for ever" in message
    assert planning.record() == before

    assert migrator.migrate(plan, actor="user:beheer", instance_ids=[early.id]).migrated == [early.id]
    finish_without_duplicates(early)
    assert early.status() == "completed"
    assert "complete overdracht_plannen_klant" in early.steps

    # a join whose arrived branch the target join has no flow for
    planning.complete("overdracht_plannen")  # the join holds the branch from overdracht_plannen
    assert "overdracht_plannen_coa" in {t.element_id for t in planning.tasks()}
    crossed = MigrationPlan(
        "doorlopende_lijn", 1, 2, mappings={**MAPPINGS, "samenkomst_planning": "samenkomst_woning_en_keuze"}
    )
    (problem,) = migrator.validate(crossed, [planning.id]).instance_problems
    assert any("arrived here from 'overdracht_plannen'" in m for m in problem.messages), problem


def test_the_api_and_the_command_move_cases_to_the_revised_flow(
    db: Engine, clock: ManualClock, parties: Parties, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    service = WorkflowService(db, clock)
    deploy(service)
    by_api = start(service, clock, "5000000001", "3")
    by_cli = start(service, clock, "5000000002", "3")
    client = create_app(app_config(db, clock)).test_client()
    body = {
        "processKey": "doorlopende_lijn",
        "sourceVersion": 1,
        "targetVersion": 2,
        "instanceIds": [by_api.id],
    }
    refused = client.post("/api/v1/migrations", json=body, headers=parties.auth("beheerder"))
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert [e["field"] for e in refused.json["errors"]] == [f"instances.{by_api.id}"]
    assert "contact_bijzonderheden" in refused.json["errors"][0]["message"]
    mapped = {**body, "mappings": [{"source": k, "target": v} for k, v in MAPPINGS.items()]}
    done = client.post("/api/v1/migrations", json=mapped, headers=parties.auth("beheerder"))
    assert done.status_code == 200, done.json
    assert done.json["migrated"] == [by_api.id]
    assert "bijzonderheden_bespreken" in {t.element_id for t in by_api.tasks()}

    if db.dialect.name == "sqlite":
        monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
        args = ["migrate", "doorlopende_lijn", "--from", "1", "--to", "2", "--instance", by_cli.id]
        assert cli(args) == 1
        assert "contact_bijzonderheden" in capsys.readouterr().err
        maps = [a for k, v in MAPPINGS.items() for a in ("--map", f"{k}={v}")]
        assert cli([*args, *maps]) == 0
        assert f"{by_cli.id}\tmigrated" in capsys.readouterr().out
        assert by_cli.record().version == 2
    for case in (by_api, by_cli):
        finish_without_duplicates(case)
        assert case.status() == "completed"


def _with_reminder(content: bytes) -> bytes:
    """Version 1 with a non-interrupting three-day reminder timer on the optional contact task."""
    from lxml import etree

    bpmn = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
    root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    task = next(e for e in root.iter(f"{bpmn}userTask") if e.get("id") == "contact_bijzonderheden")
    event = etree.Element(
        f"{bpmn}boundaryEvent",
        id="herinnering_bijzonderheden",
        name="Herinnering na 3 dagen",
        cancelActivity="false",
        attachedToRef="contact_bijzonderheden",
    )
    etree.SubElement(event, f"{bpmn}outgoing").text = "Flow_herinnering"
    timer = etree.SubElement(event, f"{bpmn}timerEventDefinition")
    etree.SubElement(timer, f"{bpmn}timeDuration").text = "P3D"
    end = etree.Element(f"{bpmn}endEvent", id="herinnering_gegeven", name="Herinnering gegeven")
    etree.SubElement(end, f"{bpmn}incoming").text = "Flow_herinnering"
    flow = etree.Element(
        f"{bpmn}sequenceFlow",
        id="Flow_herinnering",
        sourceRef="herinnering_bijzonderheden",
        targetRef="herinnering_gegeven",
    )
    task.addnext(event)
    event.addnext(flow)
    flow.addnext(end)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def test_a_boundary_event_added_to_an_active_task_starts_waiting_and_one_removed_is_dropped(
    clock: ManualClock,
) -> None:
    """As Camunda's MigrationAddBoundaryEventsTest / MigrationRemoveBoundaryEventsTest: the timer of
    an added boundary event is set at the move; the other timers keep their ids and due times."""
    from datetime import timedelta

    from engine.definition import SpecLibrary
    from engine.migration import check_instance, migrate_state
    from engine.runtime import Runtime
    from tests.operability.variants import changed_version

    library = SpecLibrary()
    for path in sorted(BPMN_DIR.glob("*.dmn")) + sorted(BPMN_DIR.glob("*.bpmn")):
        if path.name != MAIN:
            library.add_document(path.name, path.read_bytes())
    shipped = (FIXTURE_DIR / MAIN).read_bytes()
    for version, content in enumerate(
        (shipped, _with_reminder(shipped), changed_version(shipped, relabel={"scenario_kiezen": "Kiezen"})),
        start=1,
    ):
        (added,) = library.add_document(MAIN, content)
        assert added.version == version
    runtime = Runtime(library, clock)
    started = runtime.start(
        "doorlopende_lijn",
        business_key="1000000001",
        variables={"gemeente": GM_A, "azc": "AZC-ZST", "koppeldatum": clock.now().date().isoformat()},
        version=1,
    )
    clock.advance(timedelta(hours=5))
    add = MigrationPlan("doorlopende_lijn", 1, 2)
    assert check_instance(runtime, started.state, add) == []
    moved = migrate_state(runtime, started.state, add, actor="user:beheer")
    timers = {t.element_id: t for t in moved.timers}
    assert {t.element_id: t for t in started.timers}.items() <= timers.items()  # ids and due times kept
    assert timers["herinnering_bijzonderheden"].due_at == clock.now() + timedelta(days=3)
    assert [t.id for t in moved.open_tasks] == [t.id for t in started.open_tasks]

    drop = MigrationPlan("doorlopende_lijn", 2, 3)
    back = migrate_state(runtime, moved.state, drop, actor="user:beheer")
    assert set(back.timers) == set(started.timers)
    assert [t.id for t in back.open_tasks] == [t.id for t in started.open_tasks]


GATEWAY = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <message id="m_antwoord" name="antwoord" />
  <process id="wachten" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="{first}" />
    {extra}
    <eventBasedGateway id="gw" />
    <sequenceFlow id="f2" sourceRef="gw" targetRef="antwoord" />
    <sequenceFlow id="f3" sourceRef="gw" targetRef="termijn" />
    <intermediateCatchEvent id="antwoord"><messageEventDefinition messageRef="m_antwoord" />
    </intermediateCatchEvent>
    <intermediateCatchEvent id="termijn"><timerEventDefinition><timeDuration>P5D</timeDuration>
    </timerEventDefinition></intermediateCatchEvent>
    <sequenceFlow id="f4" sourceRef="antwoord" targetRef="{after_answer}" />
    <sequenceFlow id="f5" sourceRef="termijn" targetRef="herinneren" />
    <userTask id="verwerken" name="Antwoord verwerken" />
    <userTask id="herinneren" name="Herinneren" />
    <sequenceFlow id="f6" sourceRef="verwerken" targetRef="einde" />
    <sequenceFlow id="f7" sourceRef="herinneren" targetRef="einde" />
    <endEvent id="einde" />
  </process>
</definitions>
"""


def test_an_event_based_gateway_waiting_moves_with_its_events(clock: ManualClock) -> None:
    """Waiting at an event-based gateway, a case moves to a version that put a task after the
    gateway's message: the timer keeps its id and due time, the message still opens the way."""
    from datetime import timedelta

    from engine.definition import SpecLibrary
    from engine.migration import check_instance, migrate_state
    from engine.runtime import Runtime

    library = SpecLibrary()
    v1 = GATEWAY.format(first="gw", extra="", after_answer="verwerken")
    v2 = GATEWAY.format(
        first="gw",
        extra='<userTask id="controleren" name="Controleren" />'
        '<sequenceFlow id="f8" sourceRef="controleren" targetRef="verwerken" />',
        after_answer="controleren",
    )
    for content in (v1, v2):
        library.add_document("wachten.bpmn", content.encode())
    runtime = Runtime(library, clock)
    started = runtime.start("wachten", version=1)
    assert [t.element_id for t in started.timers] == ["termijn"] and started.message_waits
    plan = MigrationPlan("wachten", 1, 2)
    assert check_instance(runtime, started.state, plan) == []
    clock.advance(timedelta(days=1))
    moved = migrate_state(runtime, started.state, plan, actor="user:beheer")
    assert moved.timers == started.timers and moved.message_waits == started.message_waits
    answered = runtime.correlate(moved.state, "antwoord", {})
    assert [t.element_id for t in answered.open_tasks] == ["controleren"] and answered.timers == ()
    clock.advance(timedelta(days=5))
    late = runtime.fire_due_timers(moved.state)
    assert [t.element_id for t in late.open_tasks] == ["herinneren"] and late.message_waits == ()

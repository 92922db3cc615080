"""Moving running instances of the shipped main process to a new version, through storage, the API
and the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from app import create_app
from app.cli import main as cli
from engine.clock import ManualClock
from engine.migration import MigrationPlan
from storage import repository as repo
from storage.migration import InstanceMigrator, MigrationRefused
from storage.schema import audit_entries, process_instances
from storage.service import WorkflowService
from tests.conftest import BPMN_DIR
from tests.operability.case_driver import Case, deploy_shipped
from tests.operability.variants import changed_version
from tests.webhooks.conftest import GM_A, Parties, app_config

THIRTEEN_WEEKS = "${dateTime(koppeldatum).plusWeeks(13).toDate()}"

MAIN = BPMN_DIR / "doorlopende_lijn.bpmn"
RENAMED = {"huisvesting_escaleren": "huisvesting_afstemmen"}


def _deploy_v2(service: WorkflowService, **changes: Any) -> int:
    outcome = service.deploy(
        "doorlopende_lijn.bpmn", changed_version(MAIN.read_bytes(), **changes), actor="test"
    )
    ((_key, version),) = outcome.definitions
    return version


def _v2(service: WorkflowService) -> int:
    return _deploy_v2(
        service,
        relabel={"scenario_kiezen": "Scenario kiezen (herzien)"},
        durations={"termijn_huisvesting": THIRTEEN_WEEKS},
        renames=RENAMED,
    )


def _snapshot(case: Case) -> dict[str, Any]:
    return {
        "tasks": sorted((t.id, t.assignee, t.due_at, t.created_at) for t in case.tasks()),
        "timers": sorted((t.id, t.due_at) for t in case.timers()),
        "waits": case.waits(),
    }


def _cases(service: WorkflowService, clock: ManualClock) -> dict[str, Case]:
    """Instances at different wait states: escalated, a few steps on, fresh (with a claimed task).

    The sweep fires every due timer, so the later cases start after the clock moved for the first.
    """
    escalated = Case.start(service, clock, "1000000003", GM_A)
    while "huisvesting_escaleren" not in {t.element_id for t in escalated.tasks()}:
        escalated.step()
    on = Case.start(service, clock, "1000000002", GM_A)
    for _ in range(3):
        on.step()
    fresh = Case.start(service, clock, "1000000001", GM_A)
    service.claim(next(t.id for t in fresh.tasks() if t.element_id == "scenario_kiezen"), "km-a")
    return {"fresh": fresh, "on": on, "escalated": escalated}


def test_instances_move_one_by_one_keep_their_tasks_and_timers_and_finish_on_the_new_version(
    db: Engine, clock: ManualClock
) -> None:
    service = WorkflowService(db, clock)
    deploy_shipped(service)
    cases = _cases(service, clock)
    before = {name: _snapshot(case) for name, case in cases.items()}
    assert _v2(service) == 2

    plan = MigrationPlan("doorlopende_lijn", 1, 2, mappings=RENAMED)
    outcome = InstanceMigrator(service).migrate(plan, actor="user:beheer")
    assert sorted(outcome.migrated) == sorted(c.id for c in cases.values()) and outcome.failed == []

    for name, case in cases.items():
        record = case.record()
        assert record.version == 2 and record.state["version"] == 2
        after = _snapshot(case)
        assert after == before[name], name  # ids, assignee, due dates, timers' due times, waits
        with db.connect() as conn:
            moved = conn.execute(
                select(audit_entries.c.actor, audit_entries.c.detail).where(
                    audit_entries.c.instance_id == case.id, audit_entries.c.action == "migrated"
                )
            ).one()
        assert moved.actor == "user:beheer"
        assert moved.detail == {
            "process": "doorlopende_lijn",
            "fromVersion": 1,
            "toVersion": 2,
            "mappings": RENAMED,
        }
    fresh = cases["fresh"].tasks()
    assert {t.element_id: t.name for t in fresh}["scenario_kiezen"] == "Scenario kiezen (herzien)"
    escalated = {t.element_id for t in cases["escalated"].tasks()}
    assert "huisvesting_afstemmen" in escalated and "huisvesting_escaleren" not in escalated

    for case in cases.values():
        case.finish()
        assert case.status() == "completed"
    # a second run finds nothing left on version 1
    assert InstanceMigrator(service).migrate(plan, actor="x").migrated == []


def test_a_timer_named_in_the_plan_gets_the_new_versions_due_time(db: Engine, clock: ManualClock) -> None:
    service = WorkflowService(db, clock)
    deploy_shipped(service)
    case = Case.start(service, clock, "1000000001", GM_A)
    due = {t.element_id: t.due_at for t in case.timers()}
    _v2(service)
    plan = MigrationPlan("doorlopende_lijn", 1, 2, recompute_timers=frozenset({"termijn_huisvesting"}))
    InstanceMigrator(service).migrate(plan, actor="user:beheer")
    moved = {t.element_id: t.due_at for t in case.timers()}
    assert (
        moved["termijn_huisvesting"] - due["termijn_huisvesting"]
    ).days == 7  # 12 weeks after the koppeldatum became 13
    assert {k: v for k, v in moved.items() if k != "termijn_huisvesting"} == {
        k: v for k, v in due.items() if k != "termijn_huisvesting"
    }


def test_what_cannot_be_mapped_is_listed_and_nothing_changes(db: Engine, clock: ManualClock) -> None:
    service = WorkflowService(db, clock)
    deploy_shipped(service)
    case = Case.start(service, clock, "1000000001", GM_A)
    state_before = case.record()
    _deploy_v2(service, retype={"contact_bijzonderheden": "manualTask"})
    migrator = InstanceMigrator(service)
    with pytest.raises(MigrationRefused) as refused:
        migrator.migrate(MigrationPlan("doorlopende_lijn", 1, 2), actor="x")
    (problem,) = refused.value.report.instance_problems
    assert problem.instance_id == case.id
    assert "contact_bijzonderheden" in problem.messages[0] and "ManualTask" in problem.messages[0]
    assert case.record() == state_before

    bad = MigrationPlan("doorlopende_lijn", 1, 2, mappings={"nergens": "scenario_kiezen"})
    assert migrator.validate(bad).plan_problems == ("mappings: 'nergens' is not an element of version 1",)
    assert migrator.validate(MigrationPlan("doorlopende_lijn", 1, 7)).plan_problems == (
        "targetVersion: no version 7 of process definition 'doorlopende_lijn'",
    )


def test_the_api_checks_then_migrates_for_a_beheerder_only(
    db: Engine, clock: ManualClock, parties: Parties
) -> None:
    service = WorkflowService(db, clock)
    deploy_shipped(service)
    case = Case.start(service, clock, "1000000001", GM_A)
    _v2(service)
    client = create_app(app_config(db, clock)).test_client()
    body = {"processKey": "doorlopende_lijn", "sourceVersion": 1, "targetVersion": 2}

    assert client.post("/api/v1/migrations", json=body).status_code == 401
    assert (
        client.post("/api/v1/migrations", json=body, headers=parties.auth("casemanager")).status_code == 403
    )
    answer = client.post(
        "/api/v1/migrations",
        json={**body, "mappings": [{"source": "nergens", "target": "scenario_kiezen"}]},
        headers=parties.auth("beheerder"),
    )
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert answer.json["errors"] == [
        {"field": "mappings", "message": "'nergens' is not an element of version 1"}
    ]
    answer = client.post("/api/v1/migrations", json={**body, "bogus": 1}, headers=parties.auth("beheerder"))
    assert answer.status_code == 422 and answer.json["errors"][0]["field"] == "bogus"

    dry = client.post("/api/v1/migrations", json={**body, "dryRun": True}, headers=parties.auth("beheerder"))
    assert dry.status_code == 200 and dry.json["instances"] == [case.id] and dry.json["migrated"] == []
    assert case.record().version == 1

    done = client.post("/api/v1/migrations", json=body, headers=parties.auth("beheerder"))
    assert done.status_code == 200, done.json
    assert done.json["migrated"] == [case.id] and done.json["failed"] == []
    detail = client.get(f"/api/v1/process-instances/{case.id}", headers=parties.auth("beheerder")).json
    assert detail["version"] == 2
    history = client.get(
        f"/api/v1/process-instances/{case.id}/history", headers=parties.auth("beheerder")
    ).json
    assert "migrated" in [e.get("action") for e in history["items"]]


def test_the_migrate_command(
    sqlite_db: Engine, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    db = sqlite_db
    service = WorkflowService(db, clock)
    deploy_shipped(service)
    case = Case.start(service, clock, "1000000001", GM_A)
    _deploy_v2(service, retype={"contact_bijzonderheden": "manualTask"})
    _v2(service)  # version 3
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    assert cli(["migrate", "doorlopende_lijn", "--from", "1", "--to", "2"]) == 1
    assert "contact_bijzonderheden" in capsys.readouterr().err
    assert cli(["migrate", "doorlopende_lijn", "--from", "1", "--to", "3", "--dry-run"]) == 0
    assert "1 instance(s) can move" in capsys.readouterr().out
    assert (
        cli(
            [
                "migrate",
                "doorlopende_lijn",
                "--from",
                "1",
                "--to",
                "3",
                "--map",
                "huisvesting_escaleren=huisvesting_afstemmen",
            ]
        )
        == 0
    )
    assert f"{case.id}\tmigrated" in capsys.readouterr().out
    with db.connect() as conn:
        assert (
            conn.execute(
                select(process_instances.c.version).where(process_instances.c.id == case.id)
            ).scalar()
            == 3
        )
        assert repo.list_audit(conn, case.id)[0][-1].actor == "system:cli"


def test_cases_inside_a_called_process_move_to_its_new_version(db: Engine, clock: ManualClock) -> None:
    """A plan for scenario_2 moves the main-process instances that run (or will run) scenario_2 version 1."""
    service = WorkflowService(db, clock)
    deploy_shipped(service)
    inside = Case.start(service, clock, "1000000001", GM_A)
    inside.complete("scenario_kiezen", scenario="2")
    while not any(t.process_key == "scenario_2" for t in inside.tasks()):
        inside.complete(
            next(t.element_id for t in inside.tasks() if t.element_id != "contact_bijzonderheden")
        )
    (task,) = [t for t in inside.tasks() if t.process_key == "scenario_2"]
    outside = Case.start(service, clock, "1000000002", GM_A)  # has not reached scenario_2 yet
    before = _snapshot(inside)
    scenario_2 = BPMN_DIR / "scenario_2.bpmn"
    changed = changed_version(scenario_2.read_bytes(), relabel={task.element_id: "Herzien"})
    ((key, version),) = service.deploy("scenario_2.bpmn", changed, actor="test").definitions
    assert (key, version) == ("scenario_2", 2)

    migrator = InstanceMigrator(service)
    plan = MigrationPlan("scenario_2", 1, 2)
    report = migrator.validate(plan)
    assert report.ok and report.instance_ids == (inside.id, outside.id)
    assert migrator.migrate(plan, actor="user:beheer").migrated == [inside.id, outside.id]
    record = inside.record()
    assert record.version == 1 and record.state["pins"]["scenario_2"] == 2
    # pinned when it started: it will enter version 2 when it gets there
    assert outside.record().state["pins"]["scenario_2"] == 2
    assert _snapshot(inside) == before
    assert {t.element_id: t.name for t in inside.tasks()}[task.element_id] == "Herzien"
    for case in (inside, outside):
        case.finish()
        assert case.status() == "completed"


def test_at_every_wait_state_of_a_case_an_instance_moves_and_finishes(db: Engine, clock: ManualClock) -> None:
    """A case walked to its end; then, for each distinct wait state on the way, a new case is walked
    there, moved to version 2 on its own (its own transaction) and finished on version 2.

    Scenario 3 (the longest walk: voorinburgering as a called process, housing, the regular start);
    every journey of every scenario is moved at each of its wait states in memory in
    ``test_migration_journeys.py``.
    """
    scenario = "3"
    service = WorkflowService(db, clock)
    deploy_shipped(service)
    _v2(service)
    migrator = InstanceMigrator(service)
    plan = MigrationPlan("doorlopende_lijn", 1, 2, mappings=RENAMED)
    choices = {"scenario": scenario}

    def start(n: int) -> Case:
        case = Case.start(service, clock, f"2{scenario}{n:08d}", GM_A, version=1)
        case.choices = choices
        return case

    walk, states = start(0), []
    while walk.status() == "active":
        states.append(frozenset(walk.record().active_elements))
        walk.step()
    wanted = {state: index for index, state in reversed(list(enumerate(states)))}  # first step reaching it
    assert len(wanted) >= 5
    for n, steps in enumerate(sorted(wanted.values()), start=1):
        case = start(n)
        for _ in range(steps):
            case.step()
        before = _snapshot(case)
        outcome = migrator.migrate(plan, actor="user:beheer", instance_ids=[case.id])
        assert outcome.migrated == [case.id], (steps, outcome)
        assert case.record().version == 2 and _snapshot(case) == before
        case.finish()
        assert case.status() == "completed", (steps, case.steps)

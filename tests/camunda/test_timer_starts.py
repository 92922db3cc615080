"""Timer start events of a process, as Camunda 7's job executor runs them (issue 11).

Ported from camunda/camunda-bpm-platform
``engine/src/test/java/org/camunda/bpm/engine/test/bpmn/event/timer/StartTimerEventTest.java`` (its
resources unchanged in ``resources/``) and ``BpmnParseTest.testMultipleTimerStartEvents``. Camunda's
jobs are our timers (``GET /timers``: a timer start event has no ``processInstanceId``); its
``ClockUtil.setCurrentTime`` plus ``executeAllJobs`` is moving the manual clock and running the timer
worker's sweep. Nothing sleeps. Every test runs on SQLite and, with TEST_DATABASE_URL, PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from app.worker import sweep_timers
from engine.clock import ManualClock
from storage import repository as repo
from storage.schema import process_instances
from storage.service import WorkflowService
from tests.api.conftest import make_api
from tests.camunda.conftest import RESOURCES, Camunda


@pytest.fixture
def camunda(db: Engine, clock: ManualClock) -> Iterator[Camunda]:
    yield Camunda(make_api(db, clock))


def start_jobs(camunda: Camunda, key: str | None = None) -> list[dict[str, Any]]:
    """Camunda's ``createJobQuery()`` for timer start jobs: the pending timer start events."""
    query = "?startEvents=true" + (f"&processKey={key}" if key else "")
    response = camunda.api.get(f"/timers{query}", "bh")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]  # type: ignore[no-any-return]


def instances(camunda: Camunda, key: str) -> list[dict[str, Any]]:
    """Camunda's ``createProcessInstanceQuery().processDefinitionKey(key)`` (any status)."""
    response = camunda.api.get("/process-instances?pageSize=100", "bh")
    assert response.status_code == 200, response.get_json()
    return [i for i in response.get_json()["items"] if i["processKey"] == key]


def move_by(camunda: Camunda, minutes: float) -> None:
    """``moveByMinutes``: the clock moves ``minutes`` and five seconds; the job executor runs."""
    camunda.advance(minutes=minutes, seconds=5)


def resource(name: str) -> bytes:
    return (RESOURCES / f"StartTimerEventTest.{name}.bpmn20.xml").read_bytes()


def test_duration_start_timer_event(camunda: Camunda) -> None:
    """StartTimerEventTest.testDurationStartTimerEvent"""
    camunda.deploy("StartTimerEventTest.testDurationStartTimerEvent.bpmn20.xml")
    (job,) = start_jobs(camunda)
    assert job["processInstanceId"] is None
    assert job["processKey"] == "startTimerEventExample"
    assert job["elementId"] == "theStart"
    assert job["dueAt"] == "2027-01-04T09:05:00Z"  # PT5M after the deploy
    assert instances(camunda, "startTimerEventExample") == []
    move_by(camunda, 50)
    camunda.run_worker()
    (instance,) = instances(camunda, "startTimerEventExample")
    assert camunda.instance(instance)["activeElements"] == ["receive"]
    assert start_jobs(camunda) == []


def test_fixed_date_start_timer_event(camunda: Camunda, clock: ManualClock) -> None:
    """StartTimerEventTest.testFixedDateStartTimerEvent"""
    camunda.deploy("StartTimerEventTest.testFixedDateStartTimerEvent.bpmn20.xml")
    assert len(start_jobs(camunda)) == 1
    clock.set(datetime(2036, 11, 15, 11, 12, 30, tzinfo=UTC))
    camunda.run_worker()
    assert len(instances(camunda, "startTimerEventExample")) == 1
    assert start_jobs(camunda) == []


def test_expression_start_timer_event(camunda: Camunda, clock: ManualClock) -> None:
    """StartTimerEventTest.testExpressionStartTimerEvent (``${'2036-11-14T11:12:22'}``)"""
    camunda.deploy("StartTimerEventTest.testExpressionStartTimerEvent.bpmn20.xml")
    (job,) = start_jobs(camunda)
    assert job["dueAt"] == "2036-11-14T11:12:22Z"
    clock.set(datetime(2036, 11, 15, 11, 12, 30, tzinfo=UTC))
    camunda.run_worker()
    assert len(instances(camunda, "startTimerEventExample")) == 1
    assert start_jobs(camunda) == []


def test_cycle_with_limit_start_timer_event(camunda: Camunda) -> None:
    """StartTimerEventTest.testCycleWithLimitStartTimerEvent (``R2/PT5M``): two instances, then no job"""
    camunda.deploy("StartTimerEventTest.testCycleWithLimitStartTimerEvent.bpmn20.xml")
    key = "startTimerEventExampleCycle"
    assert len(start_jobs(camunda)) == 1
    assert instances(camunda, key) == []
    move_by(camunda, 5)
    assert len(instances(camunda, key)) == 1
    (job,) = start_jobs(camunda)
    assert job["dueAt"] == "2027-01-04T09:10:00Z"
    move_by(camunda, 5)
    assert len(instances(camunda, key)) == 2
    assert start_jobs(camunda) == []
    move_by(camunda, 60)
    assert len(instances(camunda, key)) == 2


def test_cron_cycle_fires_once_per_time(camunda: Camunda) -> None:
    """StartTimerEventTest.testCycleDateStartTimerEvent (``0 0/5 * * * ?``; ignored in Camunda for a
    test-harness loop, its assertions hold here): one instance per time, the job stays"""
    camunda.deploy("StartTimerEventTest.testCycleDateStartTimerEvent.bpmn20.xml")
    key = "startTimerEventExample"
    assert instances(camunda, key) == []
    for fired in range(1, 4):
        move_by(camunda, 5)
        camunda.run_worker()  # a second sweep at the same time starts nothing more
        assert len(instances(camunda, key)) == fired
        (job,) = start_jobs(camunda)
        assert job["dueAt"] > camunda.clock.now().isoformat().replace("+00:00", "Z")


def test_missed_cycle_times_fire_once(camunda: Camunda) -> None:
    """A worker that was down for hours fires a cycle once, then takes its next time after now, as
    Camunda's job executor does (CycleBusinessCalendar): missed times are not made up one by one."""
    camunda.deploy("StartTimerEventTest.testCycleDateStartTimerEvent.bpmn20.xml")
    camunda.advance(hours=3)
    assert len(instances(camunda, "startTimerEventExample")) == 1
    (job,) = start_jobs(camunda)
    assert job["dueAt"] == "2027-01-04T12:05:00Z"


def test_version_upgrade_should_cancel_jobs(camunda: Camunda) -> None:
    """StartTimerEventTest.testVersionUpgradeShouldCancelJobs"""
    camunda.deploy("StartTimerEventTest.testVersionUpgradeShouldCancelJobs.bpmn20.xml")
    (old,) = start_jobs(camunda)
    changed = resource("testVersionUpgradeShouldCancelJobs").replace(b"beforeChange", b"changed")
    (deployed,) = camunda.deploy(changed)
    assert deployed["version"] == 2
    (job,) = start_jobs(camunda)
    assert job["id"] != old["id"] and job["version"] == 2
    move_by(camunda, 5)
    (instance,) = instances(camunda, "startTimerEventExample")
    assert instance["version"] == 2
    assert camunda.instance(instance)["activeElements"] == ["changed"]
    assert len(start_jobs(camunda)) == 1


def test_new_version_without_timer_start_removes_the_job(camunda: Camunda) -> None:
    """BpmnDeployer.removeObsoleteTimers: the latest version's start events are the only ones scheduled"""
    camunda.deploy("StartTimerEventTest.testDurationStartTimerEvent.bpmn20.xml")
    assert len(start_jobs(camunda)) == 1
    plain = resource("testDurationStartTimerEvent").replace(
        b"<timerEventDefinition>\n                <timeDuration>PT5M</timeDuration>\n            "
        b"</timerEventDefinition>",
        b"",
    )
    assert b"timeDuration" not in plain
    camunda.deploy(plain)
    assert start_jobs(camunda) == []
    move_by(camunda, 10)
    assert instances(camunda, "startTimerEventExample") == []
    detail = camunda.api.get("/process-definitions/startTimerEventExample", "bh").get_json()
    assert detail["latestVersion"] == 2 and detail["startTimers"] == []


def test_timer_should_not_be_recreated_on_deployment_cache_reboot(
    camunda: Camunda, db: Engine, clock: ManualClock
) -> None:
    """StartTimerEventTest.testTimerShouldNotBeRecreatedOnDeploymentCacheReboot; started by key, the
    process runs from its timer start event at once (it is the process's initial, as in Camunda)"""
    camunda.deploy("StartTimerEventTest.testTimerShouldNotBeRecreatedOnDeploymentCacheReboot.bpmn20.xml")
    (job,) = start_jobs(camunda)
    rebooted = WorkflowService(db, clock)  # a fresh library: every definition is loaded again
    record = rebooted.start("startTimer", business_key=None, gemeente=None, actor="test")
    assert record.active_elements == ["receive"]
    assert camunda.instance(record.id)["timers"] == []
    assert start_jobs(camunda) == [job]
    again = camunda.api.post(
        "/process-definitions",
        "po",
        data=resource("testTimerShouldNotBeRecreatedOnDeploymentCacheReboot"),
        headers={"Content-Type": "application/xml"},
    )
    assert again.status_code == 200  # the same content: the same version, the same job
    assert start_jobs(camunda) == [job]


def test_time_cycle_fired_by_an_operator(camunda: Camunda) -> None:
    """StartTimerEventTest.testTimeCycle: executing the job starts an instance and schedules the next
    time (here the same timer moves on; Camunda makes a new job)"""
    camunda.deploy("StartTimerEventTest.testTimeCycle.bpmn20.xml")
    (job,) = start_jobs(camunda)
    assert job["dueAt"] == "2027-01-04T09:05:00Z"
    response = camunda.api.post(f"/timers/{job['id']}/fire", "bh")
    assert response.status_code == 200, response.get_json()
    started = response.get_json()
    assert started["processKey"] == "process" and started["gemeente"] is None
    assert [t["elementId"] for t in started["openTasks"]] == ["userTask"]
    (next_job,) = start_jobs(camunda)
    assert next_job["dueAt"] == "2027-01-04T09:10:00Z"  # fired as if due: its slot does not fire again
    camunda.advance(minutes=5)
    assert len(instances(camunda, "process")) == 1
    camunda.advance(minutes=5)
    assert len(instances(camunda, "process")) == 2


def test_time_date_in_the_past_fires_at_once(camunda: Camunda) -> None:
    """A ``timeDate`` already passed at deploy: the worker starts one instance at its next sweep"""
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="Examples">
  <process id="pastStart" isExecutable="true">
    <startEvent id="theStart"><timerEventDefinition>
      <timeDate>2020-01-01T00:00:00Z</timeDate></timerEventDefinition></startEvent>
    <sequenceFlow id="f1" sourceRef="theStart" targetRef="task"/><userTask id="task" name="Na de start"/>
  </process>
</definitions>"""
    camunda.deploy(body)
    (job,) = start_jobs(camunda)
    assert job["dueAt"] == "2020-01-01T00:00:00Z"
    camunda.run_worker()
    camunda.run_worker()
    (instance,) = instances(camunda, "pastStart")
    assert camunda.task_names(instance) == ["Na de start"]
    assert start_jobs(camunda) == []


def test_reschedule_a_start_timer(camunda: Camunda) -> None:
    """``PATCH /timers/{id}`` (Camunda's ``setJobDuedate``) on a timer start event"""
    camunda.deploy("StartTimerEventTest.testRecalculateExpressionStartTimerEvent.bpmn20.xml")
    (job,) = start_jobs(camunda)
    assert job["dueAt"] == "2027-01-04T11:00:00Z"  # PT2H
    response = camunda.api.patch(f"/timers/{job['id']}", "bh", json={"dueAt": "2027-01-04T09:30:00Z"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["processKey"] == "startTimerEventExample"
    move_by(camunda, 20)
    assert instances(camunda, "startTimerEventExample") == []
    move_by(camunda, 10)
    assert len(instances(camunda, "startTimerEventExample")) == 1
    assert start_jobs(camunda) == []


def test_a_start_timer_fires_once_when_two_workers_race(camunda: Camunda, db: Engine) -> None:
    """Exactly once across workers: a worker whose lease ran out while it fired gives way to the one
    that took the timer over; one instance starts, not two."""
    camunda.deploy("StartTimerEventTest.testDurationStartTimerEvent.bpmn20.xml")
    services = camunda.api.app.extensions["inburgering"]
    camunda.clock.advance(minutes=6)
    other: list[Any] = []

    def meanwhile(claimed: Any) -> None:
        assert len(claimed) == 1
        camunda.clock.advance(minutes=2)  # past the first worker's lease
        other.append(sweep_timers(services, worker_id="worker-b", lease=timedelta(seconds=30)))

    first = sweep_timers(services, worker_id="worker-a", lease=timedelta(seconds=30), on_claimed=meanwhile)
    assert other[0].fired == 1
    assert first.fired == 0 and first.conflicts == 1
    with db.connect() as conn:
        started = conn.execute(
            select(func.count())
            .select_from(process_instances)
            .where(process_instances.c.process_key == "startTimerEventExample")
        ).scalar_one()
    assert started == 1


def test_timer_start_beside_a_message_start(camunda: Camunda) -> None:
    """A timer start event beside a message start event (BpmnParse.selectInitial: the timer start is
    the initial): the message starts its own path, start by key and the timer the timer's"""
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="Examples">
  <message id="m" name="aanmelding"/>
  <process id="twoStarts" isExecutable="true">
    <startEvent id="timerStart"><timerEventDefinition>
      <timeCycle>R/PT1H</timeCycle></timerEventDefinition></startEvent>
    <sequenceFlow id="f1" sourceRef="timerStart" targetRef="byTimer"/>
    <userTask id="byTimer" name="Door de timer"/>
    <startEvent id="messageStart"><messageEventDefinition messageRef="m"/></startEvent>
    <sequenceFlow id="f2" sourceRef="messageStart" targetRef="byMessage"/>
    <userTask id="byMessage" name="Door het bericht"/>
  </process>
</definitions>"""
    camunda.deploy(body)
    assert len(start_jobs(camunda)) == 1
    response = camunda.api.post(
        "/messages", "sys", json={"messageName": "aanmelding", "businessKey": "m-1", "variables": {}}
    )
    assert response.status_code == 200, response.get_json()
    by_message = response.get_json()["processInstanceId"]
    assert camunda.task_names(camunda.instance(by_message)) == ["Door het bericht"]
    by_key = camunda.start("twoStarts")
    assert camunda.task_names(by_key) == ["Door de timer"]
    camunda.advance(hours=1)
    by_timer = [i for i in instances(camunda, "twoStarts") if i["id"] not in (by_message, by_key["id"])]
    assert len(by_timer) == 1
    assert camunda.task_names(by_timer[0]) == ["Door de timer"]
    assert len(start_jobs(camunda)) == 1  # R/PT1H goes on


def test_multiple_timer_start_events_are_refused(camunda: Camunda) -> None:
    """BpmnParseTest.testMultipleTimerStartEvents"""
    errors = camunda.deploy_fails("BpmnParseTest.testMultipleTimerStartEvents.bpmn20.xml")
    message = "multiple none start events or timer start events not supported on process definition"
    refused = sorted(e.get("elementId") for e in errors if message in e["message"])
    assert refused == ["plainStart1", "plainStart2", "timerStart2"], errors


def test_a_start_timer_expression_needing_a_variable_is_refused(camunda: Camunda) -> None:
    """Camunda evaluates a timer start event's value for the deployment, with no variables"""
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="Examples">
  <process id="needsVariable" isExecutable="true">
    <startEvent id="theStart"><timerEventDefinition>
      <timeDate>${startDatum}</timeDate></timerEventDefinition></startEvent>
    <sequenceFlow id="f1" sourceRef="theStart" targetRef="e"/><endEvent id="e"/>
  </process>
</definitions>"""
    errors = camunda.deploy_fails(body)
    assert any(e.get("elementId") == "theStart" and "without variables" in e["message"] for e in errors), (
        errors
    )
    assert start_jobs(camunda) == []


def test_timer_started_instances_belong_to_no_gemeente(camunda: Camunda) -> None:
    """Who sees what: a deployment belongs to no organisation, so neither do the timer's instances;
    their audit trail and events are those of any start"""
    camunda.deploy("StartTimerEventTest.testTimeCycle.bpmn20.xml")
    assert camunda.api.get("/timers", "km").get_json()["items"] == []
    camunda.advance(minutes=5)
    (instance,) = instances(camunda, "process")
    assert instance["gemeente"] is None
    assert camunda.api.get(f"/process-instances/{instance['id']}", "km").status_code == 404
    assert camunda.api.get("/process-instances", "km").get_json()["items"] == []
    history = camunda.api.get(f"/process-instances/{instance['id']}/history", "bh").get_json()["items"]
    start = history[0]
    assert start["action"] == "start" and start["actor"] == "system:timer"
    assert start["detail"] == {"version": 1, "timer": "theStart"}
    with camunda.api.db.connect() as conn:
        events = [
            (e.type, e.gemeente, e.data["processInstanceId"])
            for e in repo.outbox_for_instance(conn, instance["id"])
        ]
    # the timer fired (as every timer's firing is told), then the task opened; no gemeente in either
    assert events == [
        ("termijn-verstreken", None, instance["id"]),
        ("taak-aangemaakt", None, instance["id"]),
    ]
    by_key = camunda.start("process")
    with camunda.api.db.connect() as conn:
        types = [e.type for e in repo.outbox_for_instance(conn, by_key["id"])]
    assert types == ["taak-aangemaakt"]  # started by key: no timer fired
    detail = camunda.api.get("/process-definitions/process", "bh").get_json()
    (scheduled,) = detail["startTimers"]
    assert scheduled["dueAt"] == "2027-01-04T09:10:00Z" and scheduled["processInstanceId"] is None


def test_a_start_that_fails_opens_an_incident_holding_the_schedule(camunda: Camunda) -> None:
    """A timer start whose path cannot run (an unknown variable at a gateway): nothing is started, an
    incident holds the schedule until a beheerder retries it (Camunda: a failed job with retries)"""
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="Examples">
  <process id="failingStart" isExecutable="true">
    <startEvent id="theStart"><timerEventDefinition>
      <timeDuration>PT5M</timeDuration></timerEventDefinition></startEvent>
    <sequenceFlow id="f1" sourceRef="theStart" targetRef="gw"/>
    <exclusiveGateway id="gw"/>
    <sequenceFlow id="f2" sourceRef="gw" targetRef="a"><conditionExpression>${onbekend == 1}</conditionExpression></sequenceFlow>
    <sequenceFlow id="f3" sourceRef="gw" targetRef="b"><conditionExpression>${onbekend != 1}</conditionExpression></sequenceFlow>
    <userTask id="a"/><userTask id="b"/>
  </process>
</definitions>"""
    camunda.deploy(body)
    move_by(camunda, 5)
    assert instances(camunda, "failingStart") == []
    (incident,) = camunda.api.get("/incidents?status=open", "bh").get_json()["items"]
    assert incident["kind"] == "timer" and incident["elementId"] == "theStart"
    assert incident["processInstanceId"] is None
    (job,) = start_jobs(camunda)
    move_by(camunda, 60)  # held: no worker fires it again meanwhile
    assert instances(camunda, "failingStart") == []
    assert camunda.api.post(f"/incidents/{incident['id']}/retry", "bh").status_code == 200
    camunda.run_worker()
    assert instances(camunda, "failingStart") == []
    assert len(camunda.api.get("/incidents?status=open", "bh").get_json()["items"]) == 1
    assert start_jobs(camunda) == [job]


def test_a_call_activity_starts_a_timer_started_process_at_once(camunda: Camunda) -> None:
    """A call activity starts the called process at its initial activity, as Camunda does: its timer
    start event does not make the caller wait (the process's own schedule stays as deployed)"""
    child = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="Examples">
  <process id="calledByTimer" isExecutable="true">
    <startEvent id="childStart"><timerEventDefinition>
      <timeCycle>R/PT1H</timeCycle></timerEventDefinition></startEvent>
    <sequenceFlow id="f1" sourceRef="childStart" targetRef="childTask"/>
    <userTask id="childTask" name="In het aangeroepen proces"/>
  </process>
</definitions>"""
    parent = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="Examples">
  <process id="caller" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="call"/>
    <callActivity id="call" calledElement="calledByTimer"/>
    <sequenceFlow id="f2" sourceRef="call" targetRef="e"/><endEvent id="e"/>
  </process>
</definitions>"""
    camunda.deploy(child, parent)
    instance = camunda.start("caller")
    assert instance["timers"] == []
    assert camunda.task_names(instance) == ["In het aangeroepen proces"]
    with camunda.api.db.connect() as conn:
        types = [e.type for e in repo.outbox_for_instance(conn, instance["id"])]
    assert "termijn-verstreken" not in types
    instance = camunda.complete(instance, "childTask")
    assert instance["status"] == "completed"
    (job,) = start_jobs(camunda)
    assert job["processKey"] == "calledByTimer"


def test_concurrent_workers_fire_each_cycle_time_once(camunda: Camunda, db: Engine) -> None:
    """Four workers sweeping at once, at each of three cycle times: three instances, one per time"""
    import threading

    camunda.deploy("StartTimerEventTest.testCycleDateStartTimerEvent.bpmn20.xml")
    services = camunda.api.app.extensions["inburgering"]
    services.workflow.load_definitions()
    for _ in range(3):
        camunda.clock.advance(minutes=5)
        barrier = threading.Barrier(4)
        reports: list[Any] = []

        def work(name: str, barrier: threading.Barrier = barrier, reports: list[Any] = reports) -> None:
            barrier.wait()
            reports.append(sweep_timers(services, worker_id=name))

        threads = [threading.Thread(target=work, args=(f"worker-{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sum(r.fired for r in reports) == 1
    with db.connect() as conn:
        started = conn.execute(
            select(func.count())
            .select_from(process_instances)
            .where(process_instances.c.process_key == "startTimerEventExample")
        ).scalar_one()
    assert started == 3
    assert len(start_jobs(camunda)) == 1

"""The data-processing log (LDV) through the API, the tasklist, the worker and the CLI."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from app import processing_log
from app.cli import main
from app.worker_sweep import sweep_timers
from storage import processing_log as store
from storage.db import write_connection
from storage.retention import purge_finished
from storage.schema import processing_records
from tests.api.conftest import Api
from tests.ui.conftest import add_users, login

V_A, V_B = "1234567890", "1234567891"


def traceparent(n: int) -> tuple[str, dict[str, str]]:
    trace_id = f"{n:032x}"
    return trace_id, {"traceparent": f"00-{trace_id}-{n:016x}-01"}


def of_trace(api: Api, trace_id: str) -> list[Any]:
    with api.db.connect() as conn:
        return store.records_of_trace(conn, trace_id)


def all_records(db: Engine) -> list[Any]:
    with db.connect() as conn:
        return list(conn.execute(select(processing_records).order_by(processing_records.c.id)).all())


def test_an_api_read_is_recorded_with_the_request_trace(any_db_api: Api) -> None:
    api = any_db_api
    inst = api.start(V_A, naam="Amira Haddad")
    trace_id, headers = traceparent(1)
    response = api.get(f"/process-instances/{inst['id']}", "km", headers=headers)
    assert response.status_code == 200
    operation = response.headers["traceparent"].split("-")[2]
    (rec,) = of_trace(api, trace_id)
    assert (rec.operation_id, rec.parent_operation_id) == (operation, f"{1:016x}")
    assert rec.name == "GET /api/v1/process-instances/<instance_id>"
    assert (rec.processing_activity_id, rec.status_code, rec.instance_id) == ("zaak-inzien", "OK", inst["id"])
    assert rec.actor == "klantmanager:km-token@GM0344"
    assert rec.data_subject_id and rec.start_time <= rec.end_time
    text = " ".join(str(v) for r in all_records(api.db) for v in r)
    assert V_A not in text and "Amira" not in text  # a pseudonym, never the V-nummer or name


def test_a_list_records_every_case_it_shows_and_a_refusal_records_nothing(api: Api) -> None:
    a, b = api.start(V_A), api.start(V_B)
    trace_id, headers = traceparent(2)
    assert api.get("/tasks", "km", headers=headers).get_json()["total"] == 2
    records = of_trace(api, trace_id)
    assert sorted(r.instance_id for r in records) == sorted([a["id"], b["id"]])
    assert len({r.operation_id for r in records}) == 1 and len({r.data_subject_id for r in records}) == 2
    trace_id, headers = traceparent(3)
    assert api.get(f"/process-instances/{a['id']}", "km_foreign", headers=headers).status_code == 404
    assert api.get("/tasks", "km_foreign", headers=headers).get_json()["total"] == 0
    assert of_trace(api, trace_id) == []


def test_changes_are_recorded_and_a_failed_one_as_error(api: Api) -> None:
    inst = api.start(V_A)
    task_id = api.open_task(inst)["id"]
    trace_id, headers = traceparent(4)
    bad = api.post(f"/tasks/{task_id}/complete", "km", json={"variables": {"besluit": 7}}, headers=headers)
    assert bad.status_code == 422
    ok = api.post(f"/tasks/{task_id}/complete", "km", json={"variables": {"besluit": "nee"}}, headers=headers)
    assert ok.status_code == 200
    records = of_trace(api, trace_id)
    assert [(r.processing_activity_id, r.status_code) for r in records] == [
        ("zaak-behandelen", "ERROR"),
        ("zaak-behandelen", "OK"),
    ]
    started = of_trace(api, "")  # nothing is ever written without a trace id
    assert started == []


def test_tasklist_pages_are_recorded(api: Api) -> None:
    add_users(api)
    inst = api.start(V_A)
    task_id = api.open_task(inst)["id"]
    login(api, "km.utrecht")
    trace_id, headers = traceparent(5)
    assert api.client.get("/tasklist", headers=headers).status_code == 200
    assert api.client.get(f"/tasklist/taken/{task_id}", headers=headers).status_code == 200
    records = of_trace(api, trace_id)
    assert [(r.name, r.instance_id, r.actor) for r in records] == [
        ("GET /tasklist", inst["id"], "klantmanager:km.utrecht@GM0344"),
        ("GET /tasklist/taken/<task_id>", inst["id"], "klantmanager:km.utrecht@GM0344"),
    ]


def test_timer_steps_of_the_worker_are_recorded(api: Api) -> None:
    inst = api.start(V_A)
    svc = api.app.extensions["inburgering"]
    api.clock.advance(timedelta(hours=2))
    report = sweep_timers(svc, worker_id="w1")
    assert report.fired == 1
    (rec,) = [r for r in all_records(api.db) if r.processing_activity_id == "procesverloop"]
    assert (rec.instance_id, rec.actor, rec.name) == (inst["id"], "system:timer", "timer fired")
    assert len(rec.trace_id) == 32 and rec.data_subject_id


def test_the_export_lists_exactly_one_persons_records(any_db_api: Api) -> None:
    api = any_db_api
    a, b = api.start(V_A), api.start(V_B, "GM0363")
    api.get(f"/process-instances/{a['id']}", "km")
    api.get(f"/process-instances/{b['id']}", "km_foreign")
    api.get("/process-instances", "cm")
    expected = {r.id for r in all_records(api.db) if r.instance_id == a["id"]}
    assert len(expected) == 3  # started, read by its klantmanager, listed by the casemanager
    response = api.post("/processing-log/export", "bh", json={"vNummer": V_A})
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 3 and {i["processInstanceId"] for i in body["items"]} == {a["id"]}
    assert V_A not in response.get_data(as_text=True)
    item = body["items"][1]
    activity = item["attributes"]["dpl.core.processing_activity_id"]
    assert activity.endswith("/api/v1/processing-activities#zaak-inzien")
    assert item["startTime"].endswith("Z") and item["statusCode"] == "OK"
    subject = item["attributes"]["dpl.core.data_subject_id"]
    # The export is itself a processing of that person's data: the next export shows it.
    again = api.post("/processing-log/export", "bh", json={"vNummer": V_A}).get_json()
    assert again["total"] == 4
    last = again["items"][-1]
    assert last["attributes"]["dpl.core.processing_activity_id"].endswith("#inzageverzoek")
    assert last["attributes"]["dpl.core.data_subject_id"] == subject and last["processInstanceId"] is None
    assert api.post("/processing-log/export", "bh", json={"vNummer": "0000000000"}).get_json()["items"] == []


def test_export_and_trace_listing_are_for_the_beheerder_only(api: Api) -> None:
    for who in ("km", "cm", "sys", "po"):
        assert api.post("/processing-log/export", who, json={"vNummer": V_A}).status_code == 403
    bad = api.post("/processing-log/export", "bh", json={"v": V_A})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"vNummer", "v"}
    trace_id, headers = traceparent(6)
    api.start(V_A)
    api.get("/tasks", "km", headers=headers)
    listed = api.get(f"/processing-log?traceId={trace_id}", "bh").get_json()
    assert listed["total"] == 1
    assert api.get(f"/processing-log?traceId={trace_id}", "km").status_code == 403
    assert api.get("/processing-log?traceId=XYZ", "bh").status_code == 422
    register = api.get("/processing-activities", "km").get_json()["items"]
    assert {a["id"] for a in register} == set(processing_log.REGISTER)


def test_records_outlive_the_instance_purge(any_db_api: Api) -> None:
    api = any_db_api
    inst = api.start(V_A)
    api.get(f"/process-instances/{inst['id']}", "km")
    api.post(f"/process-instances/{inst['id']}/terminate", "bh")
    api.clock.advance(timedelta(days=31))
    with write_connection(api.db) as conn, conn.begin():
        assert purge_finished(conn, api.clock.now(), {"aanvraag": 30}) == 1
    assert api.get(f"/process-instances/{inst['id']}", "bh").status_code == 404
    items = api.post("/processing-log/export", "bh", json={"vNummer": V_A}).get_json()["items"]
    assert [i["attributes"]["dpl.core.processing_activity_id"].split("#")[1] for i in items] == [
        "zaak-starten",
        "zaak-inzien",
        "zaak-beheren",
    ]


def test_the_cli_exports_with_the_v_nummer_on_stdin_and_purges(
    api: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inst = api.start(V_A)
    api.get(f"/process-instances/{inst['id']}", "km")
    monkeypatch.setenv("DATABASE_URL", str(api.db.url))
    monkeypatch.setattr("sys.stdin", io.StringIO(V_A + "\n"))
    assert main(["processing-log", "export"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"] == 2 and {i["processInstanceId"] for i in out["items"]} == {inst["id"]}
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["processing-log", "export"]) == 1
    assert "standard input" in capsys.readouterr().err
    monkeypatch.setenv("INBURGERING_PROCESSING_LOG_RETENTION_DAYS", "1")
    assert main(["processing-log", "purge"]) == 0  # the wall clock is years before the records' time
    assert "removed 0" in capsys.readouterr().out


def test_the_retention_job_purges_cases_and_records_each_at_its_own_term(any_db_api: Api) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from app.retention_job import RetentionJob
    from app.worker import add_jobs

    api = any_db_api
    svc = api.app.extensions["inburgering"]
    svc.config["PROCESSING_LOG_RETENTION_DAYS"] = 40
    inst = api.start(V_A)
    api.get(f"/process-instances/{inst['id']}", "km")
    api.post(f"/process-instances/{inst['id']}/terminate", "bh")
    job = RetentionJob(svc)
    report = job()
    assert report is not None and (report.instances, report.processing_records) == (0, 0)
    api.clock.advance(timedelta(days=31))  # past the process's historyTimeToLive (P30D)
    report = job()
    assert report is not None and (report.instances, report.processing_records) == (1, 0)
    assert len(api.post("/processing-log/export", "bh", json={"vNummer": V_A}).get_json()["items"]) == 3
    api.clock.advance(timedelta(days=10))  # past the log's own term for the first three records
    report = job()
    assert report is not None and report.processing_records == 3
    items = api.post("/processing-log/export", "bh", json={"vNummer": V_A}).get_json()["items"]
    assert [i["attributes"]["dpl.core.processing_activity_id"].split("#")[1] for i in items] == [
        "inzageverzoek"
    ]
    scheduler = BackgroundScheduler()
    add_jobs(scheduler, svc, worker_id="w")
    assert scheduler.get_job("retention") is not None

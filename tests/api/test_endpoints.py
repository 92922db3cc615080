"""Every endpoint and every error status it documents, through the test client."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage.schema import audit_entries, process_instances
from tests.api.conftest import AANVRAAG, Api
from tests.conftest import T0

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    assert response.headers["API-Version"]
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    if fields:
        assert sorted({e["field"] for e in body["errors"]}) == sorted(fields), body
    return body


# -- cross-cutting ----------------------------------------------------------------------------------
def test_openapi_and_health_need_no_token(api: Api) -> None:
    spec = api.get("/openapi.json")
    assert spec.status_code == 200 and spec.headers["API-Version"]
    doc = spec.get_json()
    assert doc["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"
    complete = doc["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]["responses"]
    assert {"200", "401", "403", "404", "409", "413", "422"} <= set(complete)
    assert PROBLEM in complete["409"]["content"]
    assert api.get("/health").status_code == 200


def test_unknown_route_trailing_slash_and_method_are_problems(api: Api) -> None:
    assert_problem(api.get("/nothing-here"), 404)
    assert_problem(api.get("/tasks/", "km"), 404)
    assert_problem(api.call("DELETE", "/tasks", "km"), 405)


def test_missing_or_bad_token_is_401(api: Api) -> None:
    assert_problem(api.get("/tasks"), 401)
    response = api.get("/tasks", headers={"Authorization": "Bearer not-a-token"})
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(api.get("/tasks", headers={"Authorization": "Basic eDp5"}), 401)


def test_body_over_one_megabyte_is_413(api: Api) -> None:
    big = '{"variables": {"x": "' + "a" * (1024 * 1024) + '"}}'
    assert_problem(api.post("/messages", "sys", data=big, content_type="application/json"), 413)


def test_invalid_json_is_400_and_wrong_shape_422(api: Api) -> None:
    assert_problem(api.post("/messages", "sys", data="{", content_type="application/json"), 400)
    body = assert_problem(api.post("/messages", "sys", json=[1, 2]), 422)
    assert body["errors"]


# -- process definitions --------------------------------------------------------------------------
def test_deploy_new_same_and_invalid(api: Api) -> None:
    changed = AANVRAAG.replace(b"Aanvraag beoordelen", b"Beoordelen")
    created = api.post(
        "/process-definitions?name=aanvraag.bpmn", "po", data=changed, content_type="application/xml"
    )
    assert created.status_code == 201
    assert created.get_json()["key"] == "aanvraag" and created.get_json()["version"] == 2
    again = api.post("/process-definitions", "po", data=changed, content_type="application/xml")
    assert again.status_code == 200 and again.get_json()["version"] == 2
    bad = api.post("/process-definitions", "po", data=b"<nope", content_type="application/xml")
    assert_problem(bad, 422)
    doctype = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    body = assert_problem(
        api.post("/process-definitions", "po", data=doctype, content_type="application/xml"), 422
    )
    assert "root:" not in str(body)
    assert_problem(
        api.post("/process-definitions", "po", data=b"", content_type="application/xml"), 422, "document"
    )
    assert_problem(api.post("/process-definitions", "po", json={"x": 1}), 415)
    assert_problem(api.post("/process-definitions", "km", data=changed, content_type="application/xml"), 403)


def test_deploy_allows_five_megabytes_not_more(api: Api) -> None:
    padding = b"<!--" + b"x" * (2 * 1024 * 1024) + b"-->"
    padded = AANVRAAG.replace(b"<bpmn:definitions", padding + b"<bpmn:definitions", 1)
    response = api.post("/process-definitions", "bh", data=padded, content_type="application/xml")
    assert response.status_code in (200, 201), response.get_json()
    huge = b"x" * (5 * 1024 * 1024 + 1)
    assert_problem(api.post("/process-definitions", "bh", data=huge, content_type="application/xml"), 413)


def test_list_get_and_xml_of_definitions(api: Api) -> None:
    listed = api.get("/process-definitions", "po")
    assert listed.status_code == 200 and listed.headers["Link"]
    keys = {item["key"] for item in listed.get_json()["items"]}
    assert keys == {"aanvraag", "uitvoering_proces"}
    assert api.get("/process-definitions?key=aanvraag", "po").get_json()["total"] == 1
    one = api.get("/process-definitions/aanvraag", "po").get_json()
    assert one["latestVersion"] == 1 and one["versions"][0]["deployedAt"].endswith("Z")
    xml = api.get("/process-definitions/aanvraag/xml", "po")
    assert xml.status_code == 200 and xml.mimetype == "application/xml" and xml.data == AANVRAAG
    assert_problem(api.get("/process-definitions/nope", "po"), 404)
    assert_problem(api.get("/process-definitions/nope/xml", "po"), 404)
    assert_problem(api.get("/process-definitions/aanvraag/xml?version=9", "po"), 404)
    assert_problem(api.get("/process-definitions/aanvraag/xml?version=0", "po"), 422, "version")
    assert_problem(api.get("/process-definitions", "sys"), 403)


# -- process instances ----------------------------------------------------------------------------
def test_start_shows_detail_and_location(api: Api) -> None:
    response = api.post(
        "/process-instances",
        "sys",
        json={
            "processKey": "aanvraag",
            "businessKey": "V9000001",
            "gemeente": "GM0344",
            "variables": {"a": 1},
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/process-instances/{body['id']}"
    assert body["status"] == "active" and body["version"] == 1 and body["gemeente"] == "GM0344"
    assert body["activeElements"] and body["openTasks"][0]["elementId"] == "beoordelen"
    assert body["variables"]["a"] == 1 and body["createdAt"] == "2027-01-04T09:00:00Z"
    assert {t["elementId"] for t in body["timers"]} == {"herinnering", "verlopen"}
    assert "V9000001" not in response.headers.get("Location", "")


def test_start_duplicate_409_and_validation_422(api: Api) -> None:
    api.start("V9000001")
    dup = {"processKey": "aanvraag", "businessKey": "V9000001", "gemeente": "GM0344"}
    assert_problem(api.post("/process-instances", "sys", json=dup), 409)
    bad = {"processKey": "aanvraag", "gemeente": "Utrecht", "variables": {"1x": 1}, "extra": True}
    assert_problem(api.post("/process-instances", "sys", json=bad), 422, "businessKey", "gemeente", "extra")
    unknown = {"processKey": "nope", "businessKey": "V2", "gemeente": "GM0344"}
    assert_problem(api.post("/process-instances", "sys", json=unknown), 422, "processKey")
    default_key = {"businessKey": "V2", "gemeente": "GM0344"}
    assert_problem(api.post("/process-instances", "sys", json=default_key), 422, "processKey")
    names = {"processKey": "aanvraag", "businessKey": "V3", "gemeente": "GM0344", "variables": {"1x": 1}}
    assert_problem(api.post("/process-instances", "sys", json=names), 422, "variables.1x")
    mismatch = {**names, "variables": {"gemeente": "GM0363"}}
    assert_problem(api.post("/process-instances", "sys", json=mismatch), 422, "variables.gemeente")
    with api.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(process_instances)).scalar_one() == 1


def test_list_instances_filters_and_pages(api: Api) -> None:
    for n in range(3):
        api.start(f"V900000{n}")
    api.start("V9000009", gemeente="GM0363")
    first = api.get("/process-instances?pageSize=2", "bh")
    body = first.get_json()
    assert body["total"] == 4 and len(body["items"]) == 2 and body["page"] == 1 and body["pageSize"] == 2
    link = first.headers["Link"]
    assert 'rel="next"' in link and 'rel="last"' in link and 'rel="prev"' not in link
    assert "page=2" in link
    second = api.get("/process-instances?pageSize=2&page=2", "bh")
    assert 'rel="prev"' in second.headers["Link"] and 'rel="next"' not in second.headers["Link"]
    assert api.get("/process-instances?gemeente=GM0363", "bh").get_json()["total"] == 1
    assert api.get("/process-instances?status=completed", "bh").get_json()["total"] == 0
    assert api.get("/process-instances?scenario=1", "bh").get_json()["total"] == 0
    assert api.get("/process-instances?page=9", "bh").get_json()["items"] == []
    assert_problem(api.get("/process-instances?status=weird&pageSize=500", "bh"), 422, "status", "pageSize")


def test_business_key_for_own_gemeente_coa_and_systeem(api: Api) -> None:
    inst = api.start("V9000001")
    assert api.get(f"/process-instances/{inst['id']}", "km").get_json()["businessKey"] == "V9000001"
    assert api.get("/process-instances", "km").get_json()["items"][0]["businessKey"] == "V9000001"
    assert "V9000001" not in api.get("/process-instances", "km_foreign").get_data(as_text=True)
    assert api.get(f"/process-instances/{inst['id']}", "cm").get_json()["businessKey"] == "V9000001"
    assert api.get("/process-instances", "bh").get_json()["items"][0]["businessKey"] == "V9000001"


def test_get_instance_and_history(api: Api) -> None:
    inst = api.start("V9000001")
    task = api.open_task(inst)
    api.post(f"/tasks/{task['id']}/complete", "km", json={"variables": {"besluit": "nee"}})
    shown = api.get(f"/process-instances/{inst['id']}", "km").get_json()
    assert shown["status"] == "completed" and shown["endedAt"] and shown["openTasks"] == []
    history = api.get(f"/process-instances/{inst['id']}/history", "km")
    entries = history.get_json()["items"]
    assert [e["action"] for e in entries][:2] == ["start", "task-completed"]
    assert entries[1]["actor"].startswith("klantmanager:") and entries[1]["at"].endswith("Z")
    assert history.headers["Link"]
    assert_problem(api.get("/process-instances/nope", "km"), 404)
    assert_problem(api.get("/process-instances/nope/history", "km"), 404)
    assert_problem(api.get(f"/process-instances/{inst['id']}/history?page=0", "km"), 422, "page")


def test_terminate(api: Api) -> None:
    inst = api.start("V9000001")
    done = api.post(f"/process-instances/{inst['id']}/terminate", "bh")
    assert done.status_code == 200
    assert done.get_json()["status"] == "terminated" and done.get_json()["openTasks"] == []
    assert_problem(api.post(f"/process-instances/{inst['id']}/terminate", "bh"), 409)
    assert_problem(api.post("/process-instances/nope/terminate", "bh"), 404)
    assert_problem(api.post(f"/process-instances/{inst['id']}/terminate", "cm"), 403)
    assert api.get("/tasks", "km").get_json()["total"] == 0


# -- tasks ------------------------------------------------------------------------------------------
def test_worklist_filters(api: Api) -> None:
    inst = api.start("V9000001")
    api.start("V9000002")
    listed = api.get("/tasks", "km").get_json()
    assert listed["total"] == 2
    task = listed["items"][0]
    assert task["lane"] == "Gemeente" and task["dueAt"] == "2027-01-07T09:00:00Z"
    assert api.get(f"/tasks?processInstanceId={inst['id']}", "km").get_json()["total"] == 1
    assert api.get("/tasks?processInstanceId=unknown", "km").get_json()["total"] == 0
    assert api.get("/tasks?candidateGroup=gemeente", "km").get_json()["total"] == 2
    assert api.get("/tasks?candidateGroup=coa", "km").get_json()["total"] == 0
    assert api.get("/tasks?candidateGroup=gemeent", "km").get_json()["total"] == 0
    assert api.get("/tasks?elementId=beoordelen", "km").get_json()["total"] == 2
    assert api.get("/tasks?dueBefore=2027-01-08T00:00:00Z", "km").get_json()["total"] == 2
    assert api.get("/tasks?dueBefore=2027-01-07T09:00:00%2B00:00", "km").get_json()["total"] == 0
    assert api.get("/tasks?assignee=km-token", "km").get_json()["total"] == 0
    assert api.get("/tasks", "cm").get_json()["total"] == 0  # COA lane only
    assert_problem(api.get("/tasks?dueBefore=2027-01-08T00:00:00", "km"), 422, "dueBefore")
    assert_problem(api.get("/tasks?candidateGroup=a%25b", "km"), 422, "candidateGroup")


def test_task_detail_with_form(api: Api) -> None:
    task = api.open_task(api.start("V9000001"))
    detail = api.get(f"/tasks/{task['id']}", "km").get_json()
    fields = {f["id"]: f for f in detail["form"]["fields"]}
    assert fields["besluit"] == {
        "id": "besluit",
        "label": "Besluit",
        "type": "enum",
        "required": True,
        "options": [{"id": "ja", "label": "Ja"}, {"id": "nee", "label": "Nee"}],
        "constraints": {},
        "default": None,
    }
    assert fields["bedrag"]["constraints"] == {"min": 0, "max": 1000}
    assert detail["processInstanceId"] and detail["candidateGroups"] == ["gemeente"]
    assert_problem(api.get("/tasks/nope", "km"), 404)


def test_claim_unclaim_and_conflicts(api: Api) -> None:
    task = api.open_task(api.start("V9000001"))
    claimed = api.post(f"/tasks/{task['id']}/claim", "km")
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "km-token"
    assert api.post(f"/tasks/{task['id']}/claim", "km").status_code == 200  # again: no change
    assert api.get("/tasks?assignee=km-token", "km").get_json()["total"] == 1
    # someone else of the same gemeente
    with api.db.begin() as conn:
        from storage.orgs import create_token

        api.tokens["km2"] = create_token(conn, "GM0344", "klantmanager", "km2-token", T0)
    assert_problem(api.post(f"/tasks/{task['id']}/claim", "km2"), 409)
    assert_problem(api.post(f"/tasks/{task['id']}/unclaim", "km2"), 409)
    assert_problem(
        api.post(f"/tasks/{task['id']}/complete", "km2", json={"variables": {"besluit": "ja"}}), 409
    )
    assert api.post(f"/tasks/{task['id']}/unclaim", "km").get_json()["assignee"] is None
    assert api.post(f"/tasks/{task['id']}/claim", "km2").status_code == 200
    assert api.post(f"/tasks/{task['id']}/unclaim", "bh").get_json()["assignee"] is None  # beheerder may
    assert_problem(api.post("/tasks/nope/claim", "km"), 404)
    assert_problem(api.post("/tasks/nope/unclaim", "km"), 404)


def test_complete_validates_changes_nothing_then_409(api: Api) -> None:
    inst = api.start("V9000001")
    task = api.open_task(inst)
    bad = api.post(
        f"/tasks/{task['id']}/complete",
        "km",
        json={"variables": {"bedrag": 5000, "opmerking": "x" * 60, "onbekend!": 1}},
    )
    assert_problem(
        bad, 422, "variables.besluit", "variables.bedrag", "variables.opmerking", "variables.onbekend!"
    )
    assert_problem(api.post(f"/tasks/{task['id']}/complete", "km", json={"vars": {}}), 422, "vars")
    unchanged = api.get(f"/process-instances/{inst['id']}", "km").get_json()
    assert unchanged["openTasks"][0]["id"] == task["id"] and unchanged["updatedAt"] == inst["updatedAt"]
    api.clock.advance(minutes=5)
    done = api.post(f"/tasks/{task['id']}/complete", "km", json={"variables": {"besluit": "ja", "bedrag": 3}})
    assert done.status_code == 200
    body = done.get_json()
    assert body["openTasks"][0]["elementId"] == "uitvoeren" and body["updatedAt"] == "2027-01-04T09:05:00Z"
    assert_problem(
        api.post(f"/tasks/{task['id']}/complete", "km", json={"variables": {"besluit": "ja"}}), 409
    )
    assert_problem(api.post(f"/tasks/{task['id']}/claim", "km"), 409)
    assert_problem(api.post("/tasks/00000000-0000-0000-0000-000000000000/complete", "km", json={}), 404)
    with api.db.connect() as conn:
        actions = list(conn.execute(select(audit_entries.c.action)).scalars())
    assert actions.count("task-completed") == 1


def test_lane_rules(api: Api) -> None:
    inst = api.start("V9000001", behandelaar="cm-token")
    task = api.open_task(inst)
    assert_problem(api.post(f"/tasks/{task['id']}/claim", "cm"), 403)  # Gemeente lane
    variables = {"besluit": "ja", "bedrag": 1}
    after = api.post(f"/tasks/{task['id']}/complete", "km", json={"variables": variables}).get_json()
    coa_task = api.open_task(after)
    assert api.get("/tasks", "cm").get_json()["items"][0]["id"] == coa_task["id"]
    assert api.get(f"/tasks/{coa_task['id']}", "km").status_code == 200  # own gemeente: visible
    assert_problem(api.post(f"/tasks/{coa_task['id']}/complete", "km", json={}), 403)
    done = api.post(f"/tasks/{coa_task['id']}/complete", "cm", json={"variables": {"klaar": True}})
    assert done.status_code == 200 and done.get_json()["activeElements"] == ["bevestiging"]


# -- messages ---------------------------------------------------------------------------------------
def test_messages(api: Api) -> None:
    inst = api.start("V9000001", behandelaar=None)
    task = api.open_task(inst)
    variables = {"besluit": "ja", "bedrag": 1}
    after = api.post(f"/tasks/{task['id']}/complete", "km", json={"variables": variables}).get_json()
    api.post(f"/tasks/{api.open_task(after)['id']}/complete", "bh", json={"variables": {}})
    message = {"messageName": "bevestigd", "businessKey": "V-other", "variables": {}}
    assert_problem(api.post("/messages", "sys", json=message), 404)
    assert_problem(api.post("/messages", "bh", json=message), 403)
    assert_problem(
        api.post("/messages", "sys", json={"messageName": "a\tb"}), 422, "messageName", "businessKey"
    )
    bad_vars = {**message, "businessKey": "V9000001", "variables": {"typename": 1}}
    assert_problem(api.post("/messages", "sys", json=bad_vars), 422, "variables.typename")
    ok = api.post("/messages", "sys", json={**message, "businessKey": "V9000001", "variables": {"k": 1}})
    assert ok.status_code == 200 and ok.get_json() == {"processInstanceId": inst["id"]}
    assert api.get(f"/process-instances/{inst['id']}", "bh").get_json()["status"] == "completed"


# -- timers -----------------------------------------------------------------------------------------
def test_timers_list_fire_and_reschedule(api: Api) -> None:
    inst = api.start("V9000001")
    api.start("V9000002", gemeente="GM0363")
    listed = api.get("/timers", "bh").get_json()
    assert listed["total"] == 4 and listed["items"][0]["dueAt"] == "2027-01-04T10:00:00Z"
    assert api.get("/timers", "km").get_json()["total"] == 2
    mine = api.get(f"/timers?processInstanceId={inst['id']}", "bh").get_json()["items"]
    assert [t["elementId"] for t in mine] == ["herinnering", "verlopen"]
    assert api.get("/timers?dueBefore=2027-01-05T00:00:00Z", "bh").get_json()["total"] == 2
    herinnering, verlopen = mine
    new_due = (T0 + timedelta(days=2)).isoformat().replace("+00:00", "Z")
    moved = api.patch(f"/timers/{herinnering['id']}", "bh", json={"dueAt": new_due})
    assert moved.status_code == 200 and moved.get_json()["dueAt"] == "2027-01-06T09:00:00Z"
    again = api.get(f"/timers?processInstanceId={inst['id']}", "bh").get_json()["items"]
    assert {t["dueAt"] for t in again} == {"2027-01-06T09:00:00Z", "2027-01-18T09:00:00Z"}
    assert_problem(
        api.patch(f"/timers/{herinnering['id']}", "bh", json={"dueAt": "2027-01-06T09:00:00"}), 422, "dueAt"
    )
    assert_problem(api.patch(f"/timers/{herinnering['id']}", "bh", json={}), 422, "dueAt")
    assert_problem(api.patch("/timers/nope", "bh", json={"dueAt": new_due}), 404)
    assert_problem(api.patch(f"/timers/{herinnering['id']}", "km", json={"dueAt": new_due}), 403)
    fired = api.post(f"/timers/{verlopen['id']}/fire", "bh")
    assert fired.status_code == 200 and fired.get_json()["status"] == "completed"
    assert_problem(api.post(f"/timers/{verlopen['id']}/fire", "bh"), 404)
    assert_problem(api.post(f"/timers/{herinnering['id']}/fire", "cm"), 403)


def test_writes_on_postgres_and_sqlite(any_db_api: Api) -> None:
    api = any_db_api
    inst = api.start("V9000001")
    task = api.open_task(inst)
    assert api.get("/tasks", "km").get_json()["total"] == 1
    assert api.get("/tasks", "km_foreign").get_json()["total"] == 0
    assert api.get("/tasks?candidateGroup=gemeente", "km").get_json()["total"] == 1
    assert api.post(f"/tasks/{task['id']}/claim", "km").status_code == 200
    done = api.post(f"/tasks/{task['id']}/complete", "km", json={"variables": {"besluit": "nee"}})
    assert done.get_json()["status"] == "completed"
    assert_problem(api.post(f"/tasks/{task['id']}/complete", "km", json={}), 409)
    assert_problem(api.post(f"/tasks/{task['id']}/complete", "km_foreign", json={}), 404)
    assert api.get(f"/process-instances/{inst['id']}/history", "km").get_json()["total"] >= 2

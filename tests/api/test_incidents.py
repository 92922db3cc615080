"""``GET /incidents`` and ``POST /incidents/{id}/retry``: beheerder only, filters, retry, OpenAPI."""

from __future__ import annotations

from app.worker import sweep_timers
from tests.api.conftest import Api
from tests.conftest import FIXTURES

FAILING = (FIXTURES / "engine" / "timer_then_failing_script.bpmn").read_bytes()


def _failed_instance(api: Api, business_key: str) -> str:
    svc = api.app.extensions["inburgering"]
    svc.workflow.deploy("faal.bpmn", FAILING, actor="test")
    response = api.post(
        "/process-instances",
        "sys",
        json={"processKey": "wacht_en_faal", "businessKey": business_key, "gemeente": "GM0344"},
    )
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def _sweep(api: Api) -> None:
    sweep_timers(api.app.extensions["inburgering"], worker_id="w-api")


def test_incidents_list_filter_and_retry(any_db_api: Api) -> None:
    api = any_db_api
    instance_id = _failed_instance(api, "1234567890")
    other = api.start("2234567890")
    api.clock.advance(hours=1)
    _sweep(api)

    body = api.get("/incidents", "bh").get_json()
    assert body["total"] == 1
    (incident,) = body["items"]
    assert incident["kind"] == "timer" and incident["status"] == "open"
    assert incident["processInstanceId"] == instance_id and incident["elementId"] == "wacht_uur"
    assert "ontbreekt" in incident["message"] and "1234567890" not in str(body)
    assert api.get(f"/incidents?processInstanceId={instance_id}&status=open", "bh").get_json()["total"] == 1
    assert api.get(f"/incidents?processInstanceId={other['id']}", "bh").get_json()["items"] == []
    assert api.get("/incidents?processInstanceId=nope", "bh").get_json()["total"] == 0
    assert api.get("/incidents?status=resolved", "bh").get_json()["total"] == 0
    assert api.get(f"/incidents/{incident['id']}", "bh").get_json() == incident

    retried = api.post(f"/incidents/{incident['id']}/retry", "bh")
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["status"] == "resolved" and retried.get_json()["resolvedAt"]
    again = api.post(f"/incidents/{incident['id']}/retry", "bh")
    assert again.status_code == 409 and again.mimetype == "application/problem+json"

    api.clock.advance(minutes=1)
    _sweep(api)  # still broken: a new incident
    assert api.get("/incidents?status=open", "bh").get_json()["total"] == 1
    assert api.get("/incidents?status=resolved", "bh").get_json()["total"] == 1
    assert api.get(f"/process-instances/{instance_id}", "bh").get_json()["status"] == "active"


def test_incidents_are_for_the_beheerder_only(api: Api) -> None:
    for who in ("km", "cm", "po", "sys"):
        assert api.get("/incidents", who).status_code == 403, who
        assert api.post("/incidents/x/retry", who).status_code == 403, who
    assert api.get("/incidents").status_code == 401
    assert api.get("/incidents/unknown", "bh").status_code == 404
    assert api.post("/incidents/unknown/retry", "bh").status_code == 404


def test_bad_incident_filters_name_the_parameter(api: Api) -> None:
    response = api.get("/incidents?status=half", "bh")
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["status"]
    response = api.get("/incidents?colour=red", "bh")
    assert response.status_code == 422


def test_incidents_are_in_the_openapi_document(api: Api) -> None:
    spec = api.get("/openapi.json").get_json()
    assert {"get"} <= set(spec["paths"]["/api/v1/incidents"])
    retry = spec["paths"]["/api/v1/incidents/{incident_id}/retry"]["post"]
    assert {"200", "403", "404", "409"} <= set(retry["responses"])
    assert "IncidentOut" in spec["components"]["schemas"]

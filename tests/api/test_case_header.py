"""The case header in instance and task bodies: whose case, for those who may see it; never elsewhere."""

from __future__ import annotations

import logging

import pytest

from tests.api.conftest import Api

NAAM, V_NUMMER = "Amira Haddad", "1234567890"


def _start(api: Api, gemeente: str = "GM0344") -> dict:
    return api.start(V_NUMMER, gemeente, naam=NAAM, azc="AZC-ZWL", koppeldatum="2027-01-04")


def test_klantmanager_sees_its_own_status_holder_in_every_body(api: Api) -> None:
    inst = _start(api)
    expected = {
        "naam": NAAM,
        "vNummer": V_NUMMER,
        "azc": "AZC-ZWL",
        "koppeldatum": "2027-01-04",
        "scenario": None,
        "gemeente": "GM0344",
        "gemeenteNaam": "Utrecht",
    }
    assert inst["case"] == expected  # the systeem caller that started it
    assert api.get(f"/process-instances/{inst['id']}", "km").get_json()["case"] == expected
    assert api.get("/process-instances", "km").get_json()["items"][0]["case"] == expected
    (row,) = api.get("/tasks", "km").get_json()["items"]
    assert row["case"] == expected
    task = api.get(f"/tasks/{row['id']}", "km").get_json()
    assert task["case"] == expected and task["form"]["fields"]
    assert api.post(f"/tasks/{row['id']}/claim", "km").get_json()["case"] == expected
    for who in ("cm", "bh"):
        assert api.get(f"/process-instances/{inst['id']}", who).get_json()["case"] == expected


def test_another_gemeente_sees_nothing_of_it(api: Api) -> None:
    inst = _start(api)
    task_id = api.open_task(inst)["id"]
    assert api.get(f"/process-instances/{inst['id']}", "km_foreign").status_code == 404
    assert api.get(f"/tasks/{task_id}", "km_foreign").status_code == 404
    for path in ("/tasks", "/process-instances", f"/tasks?processInstanceId={inst['id']}"):
        text = api.get(path, "km_foreign").get_data(as_text=True)
        assert NAAM not in text and V_NUMMER not in text


def test_a_case_without_naam_shows_what_there_is(api: Api) -> None:
    inst = api.start("1234567891", "GM0363")
    case = api.get(f"/process-instances/{inst['id']}", "km_foreign").get_json()["case"]
    assert case == {
        "naam": None,
        "vNummer": "1234567891",
        "azc": None,
        "koppeldatum": None,
        "scenario": None,
        "gemeente": "GM0363",
        "gemeenteNaam": "Amsterdam",
    }


def test_never_in_a_url_header_or_log_line(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    inst = _start(api)
    task_id = api.open_task(inst)["id"]
    responses = [
        api.get("/tasks?pageSize=1", "km"),
        api.get("/process-instances?pageSize=1", "cm"),
        api.get(f"/tasks/{task_id}", "km"),
        api.post(f"/tasks/{task_id}/complete", "km", json={"variables": {"besluit": "nee"}}),
    ]
    for response in responses:
        assert response.status_code == 200
        headers = str(response.headers)
        assert NAAM not in headers and V_NUMMER not in headers
    assert NAAM not in caplog.text and V_NUMMER not in caplog.text


def test_the_openapi_document_describes_the_header(api: Api) -> None:
    schemas = api.get("/openapi.json").get_json()["components"]["schemas"]
    header = schemas["CaseHeaderOut"]["properties"]
    assert {"naam", "vNummer", "azc", "koppeldatum", "scenario", "gemeente", "gemeenteNaam"} == set(header)
    assert header["koppeldatum"]["format"] == "date"
    assert "case" in schemas["TaskOut"]["properties"] and "case" in schemas["InstanceOut"]["properties"]


@pytest.mark.parametrize(
    "variables",
    [
        {"naam": "  Amira Haddad ", "azc": "", "koppeldatum": "2027-01-04T10:00:00+01:00"},
        {"naam": "Amira", "koppeldatum": "niet een datum"},
        {"naam": 12345, "azc": True, "koppeldatum": 20270104},  # not texts: read as the database reads them
        {"naam": {"voornaam": "Amira"}, "azc": ["AZC-ZWL"]},
    ],
)
def test_the_answer_to_a_step_shows_the_header_a_read_shows(api: Api, variables: dict) -> None:
    """Start and completion answer with the header of what they wrote; it is the header GET reads."""
    started = api.start(V_NUMMER, **variables)
    for who in ("km", "cm", "bh"):
        assert api.get(f"/process-instances/{started['id']}", who).get_json()["case"] == started["case"]
    task = api.open_task(started)
    done = api.post(f"/tasks/{task['id']}/complete", "km", json={"variables": {"besluit": "ja", "bedrag": 5}})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["case"] == api.get(f"/process-instances/{started['id']}", "km").get_json()["case"]

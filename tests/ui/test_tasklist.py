"""The web tasklist: login, CSRF, tenant isolation, form rendering and validation, and a real browser."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.ui.conftest import PASSWORD, csrf_of, login


def task_page(api: Api, task_id: str) -> Any:
    return api.client.get(f"/tasklist/taken/{task_id}")


def post_task(api: Api, task_id: str, **data: str) -> Any:
    page = task_page(api, task_id)
    return api.client.post(f"/tasklist/taken/{task_id}", data={"csrf_token": csrf_of(page.text), **data})


def test_root_and_worklist_need_a_login(ui: Api) -> None:
    assert ui.client.get("/").headers["Location"].endswith("/tasklist")
    response = ui.client.get("/tasklist")
    assert response.status_code == 302
    assert "/tasklist/inloggen" in response.headers["Location"]


def test_login_fails_with_a_wrong_password_or_unknown_user(ui: Api) -> None:
    for username, password in (("km.utrecht", "fout"), ("niemand", PASSWORD)):
        response = login(ui, username, password)
        assert response.status_code == 401
        assert "Onbekende gebruikersnaam of onjuist wachtwoord." in response.text
    assert ui.client.get("/tasklist").status_code == 302


def test_a_role_without_a_worklist_cannot_log_in(ui: Api) -> None:
    response = login(ui, "po.coa")
    assert response.status_code == 403
    assert "kunt u de werklijst niet gebruiken" in response.text


def test_login_succeeds_sets_a_safe_cookie_and_logout_ends_it(ui: Api) -> None:
    response = login(ui, "km.utrecht")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/tasklist")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = ui.client.get("/tasklist")
    assert page.status_code == 200 and "Werklijst" in page.text and "km.utrecht" in page.text
    response = ui.client.post("/tasklist/uitloggen", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303
    assert ui.client.get("/tasklist").status_code == 302


def test_every_post_needs_the_csrf_token(ui: Api) -> None:
    ui.client.get("/tasklist/inloggen")
    response = ui.client.post(
        "/tasklist/inloggen", data={"gebruikersnaam": "km.utrecht", "wachtwoord": PASSWORD}
    )
    assert response.status_code == 400
    assert "Het formulier was verlopen" in response.text
    assert 'value="km.utrecht"' in response.text  # the user name stays
    assert login(ui, "km.utrecht").status_code == 303
    task = ui.open_task(ui.start("V1000001"))
    for token in ("", "verkeerd"):
        response = ui.client.post(
            f"/tasklist/taken/{task['id']}", data={"actie": "oppakken", "csrf_token": token}
        )
        assert response.status_code == 400
    assert ui.get(f"/tasks/{task['id']}", "km").get_json()["assignee"] is None


def test_the_worklist_shows_own_tasks_with_case_header_and_deadline(ui: Api) -> None:
    task = ui.open_task(ui.start("V1000001", naam="Amal Haddad", azc="AZC-ZWL", koppeldatum="2027-01-02"))
    login(ui, "km.utrecht")
    page = ui.client.get("/tasklist")
    assert "Aanvraag beoordelen" in page.text
    for shown in ("Amal Haddad", "V1000001", "AZC-ZWL", "02-01-2027", "Utrecht"):
        assert shown in page.text  # the case header: whose case this is
    assert "Op 04-01-2027 11:00: herinnering verstuurd" in page.text  # the earliest deadline
    assert task["id"] in page.text
    detail = task_page(ui, task["id"])
    assert detail.status_code == 200
    assert "Uiterlijk 07-01-2027 10:00 afronden." in detail.text  # own due date, Amsterdam time
    assert "Zonder afronding vóór 18-01-2027 10:00: verlopen" in detail.text  # the boundary timer
    assert '<legend class="utrecht-form-fieldset__legend">Besluit' in detail.text
    assert 'value="nee"' in detail.text and ">Nee</label>" in detail.text
    assert 'inputmode="numeric"' in detail.text
    assert 'maxlength="50"' in detail.text
    assert detail.headers["Cache-Control"] == "no-store"


def test_a_klantmanager_never_sees_another_gemeentes_task(ui: Api) -> None:
    foreign = ui.open_task(ui.start("V1000002", gemeente="GM0344"))
    own = ui.open_task(ui.start("V1000003", gemeente="GM0363"))
    login(ui, "km.amsterdam")
    page = ui.client.get("/tasklist")
    assert own["id"] in page.text
    assert foreign["id"] not in page.text and "GM0344" not in page.text
    response = task_page(ui, foreign["id"])
    assert response.status_code == 404
    unknown = task_page(ui, "00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404
    assert response.text.replace(foreign["id"], "X") == unknown.text.replace(
        "00000000-0000-0000-0000-000000000000", "X"
    )
    token = csrf_of(page.text)
    response = ui.client.post(
        f"/tasklist/taken/{foreign['id']}", data={"actie": "afronden", "besluit": "nee", "csrf_token": token}
    )
    assert response.status_code == 404
    assert (
        len(ui.get(f"/process-instances/{foreign['processInstanceId']}", "km").get_json()["openTasks"]) == 1
    )


def test_a_casemanager_does_not_get_gemeente_lane_tasks(ui: Api) -> None:
    task = ui.open_task(ui.start("V1000004"))
    login(ui, "cm.coa")
    assert task["id"] not in ui.client.get("/tasklist").text
    assert task_page(ui, task["id"]).status_code == 403


def test_invalid_values_are_shown_next_to_their_fields_with_422(ui: Api) -> None:
    task = ui.open_task(ui.start("V1000005"))
    login(ui, "km.utrecht")
    response = post_task(ui, task["id"], actie="afronden", besluit="", bedrag="5000", opmerking="ok")
    assert response.status_code == 422
    html = response.text
    assert 'id="fout-besluit">Dit veld is verplicht.</p>' in html
    assert 'id="fout-bedrag">Hoogstens 1000.</p>' in html
    assert '<a class="utrecht-link" href="#veld-bedrag">Bedrag: Hoogstens 1000.</a>' in html
    assert "fout-opmerking" not in html
    assert 'value="5000"' in html and 'value="ok"' in html  # what was typed stays
    response = post_task(ui, task["id"], actie="afronden", bedrag="twaalf", besluit="ja")
    assert response.status_code == 422
    assert "Vul een geheel getal in." in response.text
    assert ui.get(f"/tasks/{task['id']}", "km").status_code == 200  # nothing changed


def test_claim_release_and_complete(ui: Api) -> None:
    instance = ui.start("V1000006")
    task = ui.open_task(instance)
    login(ui, "km.utrecht")
    response = post_task(ui, task["id"], actie="oppakken")
    assert response.status_code == 303
    page = task_page(ui, task["id"])
    assert "U heeft de taak opgepakt." in page.text and "Teruggeven" in page.text
    assert ui.get(f"/tasks/{task['id']}", "km").get_json()["assignee"] == "km.utrecht"
    assert post_task(ui, task["id"], actie="teruggeven").status_code == 303
    assert ui.get(f"/tasks/{task['id']}", "km").get_json()["assignee"] is None
    response = post_task(ui, task["id"], actie="afronden", besluit="nee", bedrag="12")
    assert response.status_code == 303 and response.headers["Location"].endswith("/tasklist")
    done = ui.get(f"/process-instances/{instance['id']}", "cm").get_json()
    assert done["status"] == "completed" and done["variables"]["bedrag"] == 12
    assert task_page(ui, task["id"]).status_code == 409
    assert "taakkaart" not in ui.client.get("/tasklist").text


def test_a_task_claimed_by_someone_else_is_a_conflict(ui: Api) -> None:
    task = ui.open_task(ui.start("V1000007"))
    assert ui.post(f"/tasks/{task['id']}/claim", "km").status_code == 200
    login(ui, "km.utrecht")
    page = task_page(ui, task["id"])
    assert "km-token</strong> heeft deze taak opgepakt" in page.text
    assert 'value="afronden"' not in page.text  # no Afronden button on a task someone else holds
    response = post_task(ui, task["id"], actie="afronden", besluit="nee", opmerking="mijn tekst")
    assert response.status_code == 409
    assert "Iemand anders heeft deze taak intussen opgepakt. Uw invoer staat hieronder nog." in response.text
    assert 'value="mijn tekst"' in response.text and 'value="nee"\n            checked' in response.text


def test_typed_values_convert_every_field_type() -> None:
    from types import SimpleNamespace

    from app.tasklist.forms import typed_values

    row = SimpleNamespace(
        form=[
            {"id": "tekst", "type": "string"},
            {"id": "getal", "type": "long"},
            {"id": "vink", "type": "boolean"},
            {"id": "uit", "type": "boolean"},
            {"id": "datum", "type": "date"},
            {"id": "keuze", "type": "enum"},
            {"id": "leeg", "type": "string"},
            {"id": "vast", "type": "string", "constraints": {"readonly": True}},
        ]
    )
    form = {"tekst": "a", "getal": " 42 ", "vink": "on", "datum": "2027-01-04", "keuze": "ja", "leeg": ""}
    assert typed_values(row, {**form, "vast": "x"}) == {
        "tekst": "a",
        "getal": 42,
        "vink": True,
        "uit": False,
        "datum": "2027-01-04",
        "keuze": "ja",
    }


def test_an_expired_form_keeps_what_was_typed(ui: Api) -> None:
    task = ui.open_task(ui.start("V1000009"))
    login(ui, "km.utrecht")
    response = ui.client.post(
        f"/tasklist/taken/{task['id']}",
        data={"actie": "afronden", "besluit": "nee", "opmerking": "mijn tekst", "csrf_token": "verlopen"},
    )
    assert response.status_code == 400
    assert "Het formulier was verlopen. Uw invoer is bewaard" in response.text
    assert 'value="mijn tekst"' in response.text
    assert ui.get(f"/tasks/{task['id']}", "km").status_code == 200  # nothing was completed


def test_a_session_that_ended_keeps_what_was_typed_across_the_login(ui: Api) -> None:
    task = ui.open_task(ui.start("V1000010"))
    login(ui, "km.utrecht")
    page = task_page(ui, task["id"])
    ui.client.delete_cookie("session")  # the session ended (expired, or logged out elsewhere)
    response = ui.client.post(
        f"/tasklist/taken/{task['id']}",
        data={"actie": "afronden", "opmerking": "nog niet verstuurd", "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 303 and "/tasklist/inloggen" in response.headers["Location"]
    form = ui.client.get(response.headers["Location"]).text
    assert "Uw sessie was verlopen. Log opnieuw in; uw invoer is bewaard." in form
    volgende = re.search(r'name="volgende" value="([^"]+)"', form).group(1)
    again = ui.client.post(
        "/tasklist/inloggen",
        data={
            "gebruikersnaam": "km.utrecht",
            "wachtwoord": PASSWORD,
            "volgende": volgende,
            "csrf_token": csrf_of(form),
        },
    )
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/tasklist/taken/{task['id']}")
    restored = ui.client.get(again.headers["Location"])
    assert "Uw eerder ingevulde gegevens zijn teruggezet." in restored.text
    assert 'value="nog niet verstuurd"' in restored.text
    assert "nog niet verstuurd" not in task_page(ui, task["id"]).text  # shown once, then gone


def test_dates_are_typed_dd_mm_jjjj() -> None:
    from app.tasklist.forms import date_from_dutch, date_to_dutch

    assert date_from_dutch("15-12-2026") == "2026-12-15"
    assert date_from_dutch(" 5-1-2027 ") == "2027-01-05"
    assert date_from_dutch("2027-01-05") == "2027-01-05"  # passed on for the validator
    assert date_from_dutch("31-02-2027") == "2027-02-31"  # the validator refuses it
    assert date_to_dutch("2026-12-15") == "15-12-2026"


def test_an_unexpected_error_is_a_dutch_page(ui: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.tasklist.worklist as worklist

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("kapot")

    monkeypatch.setattr(worklist.store, "list_worklist", broken)
    login(ui, "km.utrecht")
    response = ui.client.get("/tasklist")
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert "Er ging iets mis" in response.text and "kapot" not in response.text

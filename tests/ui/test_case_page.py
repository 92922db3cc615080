"""The case page: where the process is, deadlines, klantprofiel moments, history, timer actions."""

from __future__ import annotations

import json
import re
from html import unescape

from tests.api.conftest import Api
from tests.ui.conftest import csrf_of, login, start


def diagram_data(html: str) -> list[dict[str, list[str]]]:
    found = re.findall(r'data-bron="([^"]+)"\s+data-actief="([^"]*)" data-afgerond="([^"]*)"', html)
    return [
        {"bron": bron, "actief": json.loads(unescape(a)), "afgerond": json.loads(unescape(d))}
        for bron, a, d in found
    ]


def test_the_case_page_shows_where_the_process_is_and_what_happened(lijn: Api) -> None:
    instance = start(lijn, "V2000001", "Amal Haddad")
    login(lijn, "km.utrecht")
    html = lijn.client.get("/tasklist").text
    task_id = re.search(r'href="/tasklist/taken/([0-9a-f-]+)">Scenario kiezen', html).group(1)
    page = lijn.client.get(f"/tasklist/taken/{task_id}").text
    done = lijn.client.post(
        f"/tasklist/taken/{task_id}",
        data={"actie": "afronden", "scenario": "2", "csrf_token": csrf_of(page)},
    )
    assert done.status_code == 303
    case = lijn.client.get(f"/tasklist/dossiers/{instance['id']}")
    assert case.status_code == 200
    assert "style-src 'self' 'unsafe-inline'" in case.headers["Content-Security-Policy"]
    assert "script-src" not in case.headers["Content-Security-Policy"]  # scripts stay 'self'
    text = case.text
    assert "Dossier van Amal Haddad" in text and "V2000001" in text
    diagrams = diagram_data(text)
    assert [d["bron"].rsplit("/", 1)[1] for d in diagrams] == ["doorlopende_lijn"]
    assert "scenario_kiezen" in diagrams[0]["afgerond"]
    assert "afspraken_casemanager" in diagrams[0]["actief"]  # the next task, drawn highlighted
    assert "<li>Afspraken maken met casemanager COA</li>" in text
    assert "Taak afgerond: Scenario kiezen, door km.utrecht (klantmanager)" in text
    assert "Na de koppeling" in text  # the klantprofiel moment
    assert "12 weken na koppeldatum: 29-03-2027" in text  # a pending deadline with its date
    (afspraken,) = [
        t for t in lijn.get("/tasks", "km").get_json()["items"] if t["elementId"] == "afspraken_casemanager"
    ]
    body = {"variables": {"afsprakenIntakePip": "Intake in het azc", "driegesprekMoment": "voor-verhuizing"}}
    assert lijn.post(f"/tasks/{afspraken['id']}/complete", "km", json=body).status_code == 200
    diagrams = diagram_data(lijn.client.get(f"/tasklist/dossiers/{instance['id']}").text)
    assert [d["bron"].rsplit("/", 1)[1] for d in diagrams] == ["doorlopende_lijn", "scenario_2"]
    assert "scenario_2_gecombineerd" in diagrams[0]["actief"]
    assert "brede_intake" in diagrams[1]["actief"]  # inside the called diagram
    xml = lijn.client.get(diagrams[1]["bron"])
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert b'id="brede_intake"' in xml.data
    assert lijn.client.get(f"/tasklist/dossiers/{instance['id']}/diagrammen/aanvraag").status_code == 404


def test_another_gemeente_sees_no_case_page(lijn: Api) -> None:
    instance = start(lijn, "V2000001", "Amal Haddad")
    login(lijn, "km.amsterdam")
    for path in (
        f"/tasklist/dossiers/{instance['id']}",
        f"/tasklist/dossiers/{instance['id']}/diagrammen/doorlopende_lijn",
        "/tasklist/dossiers/00000000-0000-0000-0000-000000000000",
    ):
        response = lijn.client.get(path)
        assert response.status_code == 404 and "Amal Haddad" not in response.text


def test_a_beheerder_fires_or_moves_a_timer_and_others_cannot(lijn: Api) -> None:
    instance = start(lijn, "V2000001", "Amal Haddad")
    timers = lijn.get(f"/timers?processInstanceId={instance['id']}", "bh").get_json()["items"]
    huisvesting = next(t for t in timers if t["elementId"] == "termijn_huisvesting")
    keuze = next(t for t in timers if t["elementId"] == "termijn_scenariokeuze")
    login(lijn, "km.utrecht")
    page = lijn.client.get(f"/tasklist/dossiers/{instance['id']}").text
    assert "Nu laten verlopen" not in page
    path = f"/tasklist/dossiers/{instance['id']}/termijnen/{huisvesting['id']}"
    assert lijn.client.post(path, data={"actie": "nu", "csrf_token": csrf_of(page)}).status_code == 403
    lijn.client.post("/tasklist/uitloggen", data={"csrf_token": csrf_of(page)})
    login(lijn, "bh.coa")
    page = lijn.client.get(f"/tasklist/dossiers/{instance['id']}").text
    assert "Nu laten verlopen" in page
    bad = lijn.client.post(
        path, data={"actie": "verzetten", "datum": "31-02-2027", "csrf_token": csrf_of(page)}
    )
    assert bad.status_code == 422 and "dd-mm-jjjj" in bad.text
    moved = lijn.client.post(
        path, data={"actie": "verzetten", "datum": "15-02-2027", "tijd": "09:30", "csrf_token": csrf_of(page)}
    )
    assert moved.status_code == 303
    after = lijn.get(f"/timers?processInstanceId={instance['id']}", "bh").get_json()["items"]
    assert next(t for t in after if t["id"] == huisvesting["id"])["dueAt"] == "2027-02-15T08:30:00Z"
    other = f"/tasklist/dossiers/{instance['id']}/termijnen/{keuze['id']}"
    assert lijn.client.post(other, data={"actie": "nu", "csrf_token": csrf_of(page)}).status_code == 303
    page = lijn.client.get(f"/tasklist/dossiers/{instance['id']}").text
    assert "Termijn direct laten verlopen: 2 weken na koppeldatum, door bh.coa (beheerder)" in page
    # scenario 3 by the term: the choice and the optional contact about particulars are gone
    assert "Bijzonderheden bespreken" not in page.split("Open taken")[1].split("Lopende termijnen")[0]


def test_comments_on_a_case_and_on_a_task(lijn: Api) -> None:
    instance = start(lijn, "V2000001", "Amal Haddad")
    login(lijn, "km.utrecht")
    case = lijn.client.get(f"/tasklist/dossiers/{instance['id']}").text
    assert "Nog geen opmerkingen." in case
    response = lijn.client.post(
        f"/tasklist/dossiers/{instance['id']}/opmerkingen",
        data={"opmerking": "Belt liever in de ochtend.", "csrf_token": csrf_of(case)},
    )
    assert response.status_code == 303
    html = lijn.client.get("/tasklist").text
    task_id = re.search(r'href="/tasklist/taken/([0-9a-f-]+)">Scenario kiezen', html).group(1)
    page = lijn.client.get(f"/tasklist/taken/{task_id}").text
    assert (
        lijn.client.post(
            f"/tasklist/taken/{task_id}/opmerkingen",
            data={"opmerking": "Wacht op het klantprofiel.", "csrf_token": csrf_of(page)},
        ).status_code
        == 303
    )
    page = lijn.client.get(f"/tasklist/taken/{task_id}").text
    assert "Wacht op het klantprofiel." in page and "Belt liever" not in page  # only this task's
    case = lijn.client.get(f"/tasklist/dossiers/{instance['id']}").text
    assert "Belt liever in de ochtend." in case
    assert "km.utrecht (klantmanager) bij Scenario kiezen:" in case
    api = lijn.get(f"/process-instances/{instance['id']}/comments", "km").get_json()
    assert [c["text"] for c in api["items"]] == ["Belt liever in de ochtend.", "Wacht op het klantprofiel."]
    empty = lijn.client.post(
        f"/tasklist/dossiers/{instance['id']}/opmerkingen",
        data={"opmerking": " ", "csrf_token": csrf_of(case)},
    )
    assert empty.status_code == 422
    lijn.client.post("/tasklist/uitloggen", data={"csrf_token": csrf_of(case)})
    login(lijn, "km.amsterdam")
    other = lijn.client.get("/tasklist").text
    foreign = lijn.client.post(
        f"/tasklist/dossiers/{instance['id']}/opmerkingen",
        data={"opmerking": "Niet van ons.", "csrf_token": csrf_of(other)},
    )
    assert foreign.status_code == 404


def test_one_case_moving_leaves_the_history_of_another_case_alone(lijn: Api) -> None:
    """A woning and a move in one case reach no other case: the diagrams broadcast no signals.

    (An earlier model threw a signal when a woning was found; signals reach every waiting instance,
    so every new case recorded "Signaal ontvangen: Huisvesting al gevonden" right after its start.)
    """
    moving = start(lijn, "V2000001", "Amal Haddad")
    other = start(lijn, "V2000002", "Yonas Tesfaye")
    for name, variables in (("huisvesting_gevonden", {"verhuisdatum": "2027-01-14"}), ("verhuisd", {})):
        body = {"messageName": name, "businessKey": "V2000001", "variables": variables}
        answer = lijn.post("/messages", "sys", json=body)
        assert answer.status_code == 200 and answer.get_json()["processInstanceId"] == moving["id"]
    services = lijn.app.extensions["inburgering"]
    assert services.workflow.deliver_pending_signals(worker_id="test") == []
    history = lijn.get(f"/process-instances/{other['id']}/history", "bh").get_json()["items"]
    assert [h["action"] for h in history] == ["start"]
    login(lijn, "km.utrecht")
    page = unescape(lijn.client.get(f"/tasklist/dossiers/{other['id']}").text)
    assert "Signaal" not in page and "Bericht ontvangen" not in page
    # a wait reads as a wait, not as something that happened
    assert "<li>Wachten op melding woning gevonden (TVS)</li>" in page
    moved = unescape(lijn.client.get(f"/tasklist/dossiers/{moving['id']}").text)
    assert "Bericht ontvangen: Verhuisd vóór de keuze (melding via TVS)" in moved

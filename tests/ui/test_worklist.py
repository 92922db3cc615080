"""The werklijst on the shipped diagrams: case header, deadlines, sort, filters, search and paging."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.api.conftest import Api
from tests.ui.conftest import csrf_of, login, start


def cards(html: str) -> list[str]:
    return re.findall(r'<li class="taakkaart[^"]*">(.*?)</li>', html, re.S)


def test_rows_carry_the_case_header_and_the_deadline_with_its_consequence(lijn: Api) -> None:
    start(lijn, "V2000001", "Amal Haddad")
    login(lijn, "km.utrecht")
    html = lijn.client.get("/tasklist").text
    scenario = next(c for c in cards(html) if "Scenario kiezen" in c)
    for shown in ("Amal Haddad", "V2000001", "AZC-ZWL", "04-01-2027", "Utrecht"):
        assert shown in scenario
    assert (
        "Zonder afronding vóór 18-01-2027: geen bericht binnen 2 weken na de koppeldatum: scenario 3 geldt"
        in scenario
    )


def test_sorted_by_deadline_overdue_marked_and_filtered_on_seven_days(lijn: Api) -> None:
    start(lijn, "V2000001", "Eerste Persoon")  # terms end 14 days after the koppeldatum, 18-01 00:00
    lijn.clock.advance(timedelta(days=6))
    start(lijn, "V2000002", "Tweede Persoon", koppeldatum="2027-01-10")
    login(lijn, "km.utrecht")
    html = lijn.client.get("/tasklist").text
    order = [("Eerste" in c, "Tweede" in c) for c in cards(html)]
    assert order.index((True, False)) < order.index((False, True))  # earliest deadline first
    assert cards(lijn.client.get("/tasklist?weergave=binnenkort").text) == []  # nothing within 7 days
    lijn.clock.advance(timedelta(days=1))  # day 7: the first person's terms end in less than 7 days
    soon = cards(lijn.client.get("/tasklist?weergave=binnenkort").text)
    assert soon and all("Eerste Persoon" in c for c in soon)
    assert all("Binnen 7 dagen" in c for c in soon)
    lijn.clock.advance(timedelta(days=7))  # day 14: the first person's terms have passed (no worker ran)
    html = lijn.client.get("/tasklist").text
    top = cards(html)[0]
    assert "Eerste Persoon" in top and "Verlopen" in top
    assert 'class="taakkaart verlopen"' in html


def test_mine_not_picked_up_and_per_task(lijn: Api) -> None:
    start(lijn, "V2000001", "Amal Haddad")
    login(lijn, "km.utrecht")
    html = lijn.client.get("/tasklist").text
    task_id = re.search(r'href="/tasklist/taken/([0-9a-f-]+)">Scenario kiezen', html).group(1)
    lijn.client.post(f"/tasklist/taken/{task_id}", data={"actie": "oppakken", "csrf_token": csrf_of(html)})
    mine = cards(lijn.client.get("/tasklist?weergave=mijn").text)
    assert len(mine) == 1 and "Scenario kiezen" in mine[0] and "Opgepakt door u." in mine[0]
    open_ = cards(lijn.client.get("/tasklist?weergave=open").text)
    assert open_ and not any("Scenario kiezen" in c for c in open_)
    per_task = cards(lijn.client.get("/tasklist?taak=contact_bijzonderheden").text)
    assert len(per_task) == 1 and "Bijzonderheden bespreken" in per_task[0]


def test_coa_filters_per_gemeente(lijn: Api) -> None:
    utrecht = start(lijn, "V2000001", "Amal Haddad")
    start(lijn, "V2000002", "Omar Nasser", gemeente="GM0363")
    for element_id in ("termijn_scenariokeuze", "start_voorinburgering"):  # scenario 3, then COA's offer
        timers = lijn.get(f"/timers?processInstanceId={utrecht['id']}", "bh").get_json()["items"]
        timer = next(t for t in timers if t["elementId"] == element_id)
        assert lijn.post(f"/timers/{timer['id']}/fire", "bh").status_code == 200
    login(lijn, "bh.coa")
    everything = cards(lijn.client.get("/tasklist").text)
    assert any("Amal Haddad" in c for c in everything) and any("Omar Nasser" in c for c in everything)
    page = lijn.client.get("/tasklist?gemeente=GM0363").text
    assert '<option value="GM0363" selected>Amsterdam</option>' in page
    only = cards(page)
    assert only and all("Omar Nasser" in c for c in only)


def test_search_by_naam_or_v_nummer_never_in_a_url(lijn: Api) -> None:
    start(lijn, "V2000001", "Amal Haddad")
    start(lijn, "V2000002", "Omar Nasser")
    login(lijn, "km.utrecht")
    html = lijn.client.get("/tasklist").text
    response = lijn.client.post(
        "/tasklist/zoeken", data={"zoekterm": "V2000002", "csrf_token": csrf_of(html)}
    )
    assert response.status_code == 303 and "V2000002" not in response.headers["Location"]
    found = lijn.client.get(response.headers["Location"]).text
    assert cards(found) and all("Omar Nasser" in c for c in cards(found))
    assert 'value="V2000002"' in found  # the term stays in the box
    lijn.client.post("/tasklist/zoeken", data={"zoekterm": "amal", "csrf_token": csrf_of(found)})
    found = lijn.client.get("/tasklist").text
    assert cards(found) and all("Amal Haddad" in c for c in cards(found))
    lijn.client.post("/tasklist/zoeken", data={"actie": "wissen", "csrf_token": csrf_of(found)})
    assert len(cards(lijn.client.get("/tasklist").text)) > len(cards(found))


def test_a_foreign_klantmanager_finds_nothing_by_search(lijn: Api) -> None:
    start(lijn, "V2000001", "Amal Haddad")
    login(lijn, "km.amsterdam")
    html = lijn.client.get("/tasklist").text
    lijn.client.post("/tasklist/zoeken", data={"zoekterm": "V2000001", "csrf_token": csrf_of(html)})
    page = lijn.client.get("/tasklist").text
    assert cards(page) == [] and "Amal Haddad" not in page
    assert "Geen open taken die bij deze keuze passen." in page


def test_a_page_past_the_end_shows_the_last_page(lijn: Api) -> None:
    for number in range(14):  # two tasks each: 28 tasks, two pages of 25
        start(lijn, f"V30000{number:02d}", f"Persoon {number}")
    login(lijn, "km.utrecht")
    first = lijn.client.get("/tasklist").text
    assert "28 open taken, pagina 1 van 2" in first and len(cards(first)) == 25
    past = lijn.client.get("/tasklist?pagina=9&weergave=open")
    assert past.status_code == 303 and past.headers["Location"].endswith("/tasklist?weergave=open&pagina=2")
    last = lijn.client.get(past.headers["Location"]).text
    assert len(cards(last)) == 3 and "Er zijn geen open taken" not in last


def test_row_links_are_the_urls_flask_builds(ui: Api) -> None:
    from flask import url_for

    from app.tasklist.worklist import link_builder

    values = ["3f2c-41", "a:b.c_d", "with space", "slash/inside", "é&?#%", "x" * 200]
    with ui.app.test_request_context("/tasklist"):
        for endpoint, argument in (("tasklist.taak", "task_id"), ("tasklist.dossier", "instance_id")):
            link = link_builder(endpoint, argument)
            for value in values:
                assert link(value) == url_for(endpoint, **{argument: value}), (endpoint, value)

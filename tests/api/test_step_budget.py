"""Through the API a step over its budget, or a timer cycle under the minimum, is a 422 naming the element."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.conftest import FIXTURES
from tests.engine.test_step_budget import CYCLE_LITERAL

LOOP = (FIXTURES / "engine" / "loop_without_wait_state.bpmn").read_bytes()
CYCLE = (FIXTURES / "engine" / "cycle_timer.bpmn").read_bytes()


def _deploy(api: Api) -> None:
    workflow = api.app.extensions["inburgering"].workflow
    workflow.deploy("lus.bpmn", LOOP, actor="test")
    workflow.deploy("cyclus.bpmn", CYCLE, actor="test")


def _start(api: Api, key: str, **variables: object):
    return api.post(
        "/process-instances",
        "sys",
        json={"processKey": key, "businessKey": "1234567890", "gemeente": "GM0344", "variables": variables},
    )


def _stored(api: Api) -> int:
    return int(api.get("/process-instances", "bh").get_json()["total"])


def test_a_loop_without_a_wait_state_answers_422_naming_the_element_and_stores_nothing(
    any_db_api: Api,
) -> None:
    _deploy(any_db_api)
    response = _start(any_db_api, "lus", n=0, grens=1_000_000, wachten=False)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    (error,) = response.get_json()["errors"]
    assert error["elementId"] in {"tel", "nog_eens"} and "budget" in error["message"]
    assert _stored(any_db_api) == 0
    assert _start(any_db_api, "lus", n=0, grens=3, wachten=False).status_code == 201


def test_a_timer_cycle_from_a_start_variable_under_the_minimum_answers_422(any_db_api: Api) -> None:
    _deploy(any_db_api)
    response = _start(any_db_api, "herinneren", cyclus="R/PT0S", wachten=False)
    assert response.status_code == 422, response.get_json()
    (error,) = response.get_json()["errors"]
    assert error["elementId"] == "herinnering" and "1 s" in error["message"], error
    assert "TIMER_CYCLE_MIN_SECONDS" in error["message"], error
    assert _stored(any_db_api) == 0
    assert _start(any_db_api, "herinneren", cyclus="R/PT1H", wachten=False).status_code == 201


def test_a_literal_timer_cycle_under_the_minimum_is_refused_at_deploy(api: Api) -> None:
    response = api.post(
        "/process-definitions?name=herhaal.bpmn",
        "po",
        data=CYCLE_LITERAL.replace("{cycle}", "R/PT0S").encode(),
        headers={"Content-Type": "application/xml"},
    )
    assert response.status_code == 422, response.get_json()
    assert [e.get("elementId") for e in response.get_json()["errors"]] == ["elke_keer"]
    assert api.get("/process-definitions/herhaal", "po").status_code == 404

"""Limits on what a document and an instance may carry: refused with 422, nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app import create_app
from app.config import load_config
from storage.schema import process_definitions
from tests.api.conftest import AANVRAAG, Api
from tests.api.test_endpoints import assert_problem
from tests.api.test_hostile_values import HOSTILE, start

KB = 1024


def deploy(api: Api, document: bytes) -> Any:
    return api.post("/process-definitions", "po", data=document, content_type="application/xml")


def definitions(api: Api) -> int:
    with api.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(process_definitions)).scalar_one())


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (
            b'name="Aanvraag beoordelen"',
            b'name="' + b"x" * (4 * KB * KB) + b'"',
            "the userTask name is 4194304",
        ),
        (b'name="Gemeente"', b'name="' + b"G" * 101 + b'"', "the lane name is 101"),
        (b'id="beoordelen"', b'id="' + b"b" * 201 + b'"', "the userTask id is 201"),
        (
            b'camunda:candidateGroups="gemeente"',
            b'camunda:candidateGroups="' + b"g" * 10_001 + b'"',
            "the userTask candidateGroups is 10001",
        ),
        (
            b'.toDate()}">',
            b'.toDate()}"><bpmn:documentation>' + b"Lees dit. " * 2001 + b"</bpmn:documentation>",
            "the documentation is 20010",
        ),
    ],
    ids=["4MB-task-name", "lane-name", "id", "attribute", "documentation"],
)
def test_overlong_names_and_texts_do_not_deploy(api: Api, old: bytes, new: bytes, says: str) -> None:
    before = definitions(api)
    document = AANVRAAG.replace(b'id="aanvraag"', b'id="aanvraag_lang"', 1)
    assert old in document
    document = document.replace(old, new, 1)
    problem = assert_problem(deploy(api, document), 422)
    assert any(says in e["message"] for e in problem["errors"]), problem["errors"][:3]
    assert definitions(api) == before
    assert len(problem["detail"]) <= 2000


@pytest.fixture
def limited(api: Api) -> Api:
    assert deploy(api, HOSTILE).status_code == 201
    return api


def test_variables_over_the_limit_are_refused_at_start_completion_and_message(limited: Api) -> None:
    api = limited
    big = "x" * (300 * KB)
    problem = assert_problem(start(api, "V-BIG", dur="PT1H", who="anna", blob=big), 422, "variables")
    assert "at most 262144" in problem["errors"][0]["message"]
    # Just under the limit is fine; the instance then holds it.
    instance = start(api, "V-OK", dur="PT1H", who=None, blob="y" * (200 * KB)).get_json()
    (timer,) = instance["timers"]
    task = api.post(f"/timers/{timer['id']}/fire", "bh").get_json()["openTasks"][0]
    refused = api.post(f"/tasks/{task['id']}/complete", "bh", json={"variables": {"extra": big}})
    assert_problem(refused, 422, "variables")
    # Together over the limit: the instance's variables would be 300 KB.
    grown = api.post(f"/tasks/{task['id']}/complete", "bh", json={"variables": {"extra": "z" * (100 * KB)}})
    problem = assert_problem(grown, 422)
    assert "the instance's variables" in problem["detail"]
    after = api.get(f"/process-instances/{instance['id']}", "bh").get_json()
    assert after["openTasks"][0]["id"] == task["id"] and "extra" not in after["variables"]


def test_the_limit_is_configurable(api: Api) -> None:
    assert load_config(environ={"INBURGERING_MAX_VARIABLES_BYTES": "1000"})["MAX_VARIABLES_BYTES"] == 1000
    assert load_config(environ={})["MAX_VARIABLES_BYTES"] == 256 * KB
    small = create_app(
        {
            "DB_ENGINE": api.db,
            "CLOCK": api.clock,
            "TESTING": True,
            "DATABASE_URL": str(api.db.url),
            "MAX_VARIABLES_BYTES": 1000,
        }
    )
    limited = Api(app=small, client=small.test_client(), clock=api.clock, db=api.db, tokens=api.tokens)
    deploy(limited, HOSTILE)
    assert_problem(start(limited, "V-SMALL", dur="PT1H", who="anna", blob="x" * 1000), 422, "variables")
    assert start(limited, "V-SMALL", dur="PT1H", who="anna", blob="x" * 900).status_code == 201

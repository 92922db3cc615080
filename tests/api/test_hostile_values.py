"""Hostile variable values reach timers and task assignment: a 422 naming the element, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from storage.schema import process_instances, timers
from tests.api.conftest import Api
from tests.api.test_endpoints import assert_problem
from tests.conftest import FIXTURES

HOSTILE = (FIXTURES / "engine" / "hostile_values.bpmn").read_bytes()


@pytest.fixture
def hostile(api: Api) -> Api:
    deployed = api.post("/process-definitions", "po", data=HOSTILE, content_type="application/xml")
    assert deployed.status_code == 201, deployed.get_json()
    return api


def start(api: Api, key: str, **variables: Any) -> Any:
    body = {"processKey": "vijandig", "businessKey": key, "gemeente": "GM0344", "variables": variables}
    return api.post("/process-instances", "sys", json=body)


def stored(api: Api) -> tuple[int, int]:
    with api.db.connect() as conn:
        count = conn.execute(select(func.count()).select_from(process_instances)).scalar_one()
        pending = conn.execute(select(func.count()).select_from(timers)).scalar_one()
    return count, pending


@pytest.mark.parametrize(
    "duration",
    ["P99999999Y", "P9000Y", "P1000000000000D", "PT99999999999999999999H", "9999-12-31T23:59:59Z", ["P1D"]],
)
def test_a_timer_duration_out_of_range_is_422_naming_the_element(hostile: Api, duration: Any) -> None:
    problem = assert_problem(start(hostile, "V-DUR", dur=duration, who="anna"), 422)
    assert problem["detail"].startswith("the process cannot continue: wacht:"), problem
    assert stored(hostile) == (0, 0)


@pytest.mark.parametrize(
    ("variables", "says"),
    [
        ({"who": ["anna", "piet"]}, "the assignee is a list"),
        ({"who": {"naam": "anna"}}, "the assignee is a map"),
        ({"who": 42}, "the assignee is a number"),
        ({"who": "a" * 201}, "longer than 200"),
        ({"who": "anna", "groups": [1, 2]}, "candidate groups are a list"),
        ({"who": "anna", "groups": True}, "candidate groups are a boolean"),
    ],
)
def test_an_assignee_or_candidate_of_the_wrong_type_is_422_and_changes_nothing(
    hostile: Api, variables: dict[str, Any], says: str
) -> None:
    variables.setdefault("groups", "gemeente")
    instance = start(hostile, "V-WHO", dur="PT1H", **variables).get_json()
    (timer,) = instance["timers"]
    problem = assert_problem(hostile.post(f"/timers/{timer['id']}/fire", "bh"), 422)
    assert "taak:" in problem["detail"] and says in problem["detail"], problem
    # Nothing changed: the timer still waits, no task opened.
    after = hostile.get(f"/process-instances/{instance['id']}", "bh").get_json()
    assert after["timers"] == instance["timers"] and after["openTasks"] == []


def test_assignee_text_and_candidate_lists_of_text_still_work(hostile: Api) -> None:
    instance = start(hostile, "V-OK", dur="PT1H", who="anna", groups=["gemeente", "coa"]).get_json()
    (timer,) = instance["timers"]
    fired = hostile.post(f"/timers/{timer['id']}/fire", "bh")
    assert fired.status_code == 200, fired.get_json()
    (task,) = fired.get_json()["openTasks"]
    assert task["assignee"] == "anna" and task["candidateGroups"] == ["gemeente", "coa"]

"""The authorization matrix: every endpoint x every role x own/foreign gemeente -> the exact status.

Each case runs on a fresh status holder, so a write in one case cannot decide another. A request
about another gemeente's status holder must answer exactly like one about a missing id, and no
response body may carry that status holder's instance id, task id, timer id or business key.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine.clock import ManualClock
from storage.db import make_engine
from storage.migrate import upgrade
from tests.api.conftest import AANVRAAG, Api, make_api
from tests.conftest import T0

_counter = itertools.count(1)


@dataclass
class Case:
    """A status holder created for one request: its ids and business key."""

    instance_id: str
    task_id: str
    timer_id: str
    business_key: str
    gemeente: str

    def secrets(self) -> list[str]:
        return [self.instance_id, self.task_id, self.timer_id, self.business_key]


#: Callers: (token name, gemeente of the status holder they ask about). km-foreign asks about a
#: status holder of another gemeente than its own.
CALLERS = {
    "km-own": ("km", "GM0344"),
    "km-foreign": ("km", "GM0363"),
    "cm": ("cm", "GM0344"),
    "po": ("po", "GM0344"),
    "bh": ("bh", "GM0344"),
    "sys": ("sys", "GM0344"),
    "anonymous": (None, "GM0344"),
}
ORDER = list(CALLERS)


def row(*statuses: int) -> dict[str, int]:
    return dict(zip(ORDER, statuses, strict=True))


#: endpoint -> expected status per caller, in ORDER:
#:                       km-own km-for cm   po   bh   sys  anon
MATRIX: dict[str, dict[str, int]] = {
    "GET /process-definitions": row(403, 403, 403, 200, 200, 403, 401),
    "GET /process-definitions/{key}": row(403, 403, 403, 200, 200, 403, 401),
    "GET /process-definitions/{key}/xml": row(403, 403, 403, 200, 200, 403, 401),
    "POST /process-definitions": row(403, 403, 403, 200, 200, 403, 401),
    "POST /process-instances": row(403, 403, 403, 403, 403, 201, 401),
    "GET /process-instances": row(200, 200, 200, 403, 200, 403, 401),
    "GET /process-instances/{id}": row(200, 404, 200, 403, 200, 403, 401),
    "GET /process-instances/{id}/history": row(200, 404, 200, 403, 200, 403, 401),
    "GET /process-instances/{id}/called-instances": row(200, 404, 200, 403, 200, 403, 401),
    "POST /process-instances/{id}/terminate": row(403, 403, 403, 403, 200, 403, 401),
    "GET /tasks": row(200, 200, 200, 403, 200, 403, 401),
    "GET /tasks?processInstanceId={id}": row(200, 200, 200, 403, 200, 403, 401),
    "GET /tasks/{task}": row(200, 404, 200, 403, 200, 403, 401),
    "POST /tasks/{task}/claim": row(200, 404, 403, 403, 200, 403, 401),
    "POST /tasks/{task}/unclaim": row(200, 404, 403, 403, 200, 403, 401),
    "POST /tasks/{task}/complete": row(200, 404, 403, 403, 200, 403, 401),
    "POST /messages": row(403, 403, 403, 403, 403, 404, 401),
    "POST /signals": row(403, 403, 403, 403, 403, 204, 401),
    "GET /timers": row(200, 200, 200, 403, 200, 403, 401),
    "GET /timers?processInstanceId={id}": row(200, 200, 200, 403, 200, 403, 401),
    "POST /timers/{timer}/fire": row(403, 403, 403, 403, 200, 403, 401),
    "PATCH /timers/{timer}": row(403, 403, 403, 403, 200, 403, 401),
    "GET /process-instances/{id}/comments": row(200, 404, 200, 403, 200, 403, 401),
    "POST /process-instances/{id}/comments": row(201, 404, 201, 403, 201, 403, 401),
    "GET /tasks/{task}/comments": row(200, 404, 200, 403, 200, 403, 401),
    "POST /tasks/{task}/comments": row(201, 404, 201, 403, 201, 403, 401),
    "GET /processing-activities": row(200, 200, 200, 200, 200, 200, 401),
    "POST /processing-log/export": row(403, 403, 403, 403, 200, 403, 401),
}


@pytest.fixture(scope="module")
def matrix_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    path: Path = tmp_path_factory.mktemp("matrix") / "matrix.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    yield make_api(engine, ManualClock(T0))
    engine.dispose()


def _new_case(api: Api, gemeente: str) -> Case:
    business_key = f"V77{next(_counter):05d}"
    record = api.app.extensions["inburgering"].workflow.start(
        "aanvraag", business_key=business_key, gemeente=gemeente, variables={}, actor="test"
    )
    detail = api.get(f"/process-instances/{record.id}", "bh").get_json()
    return Case(record.id, detail["openTasks"][0]["id"], detail["timers"][0]["id"], business_key, gemeente)


def _request(api: Api, endpoint: str, who: str | None, case: Case) -> Any:
    method, template = endpoint.split(" ", 1)
    path = template.format(id=case.instance_id, task=case.task_id, timer=case.timer_id, key="aanvraag")
    kwargs: dict[str, Any] = {}
    if endpoint == "POST /process-definitions":
        kwargs = {"data": AANVRAAG, "content_type": "application/xml"}
    elif endpoint == "POST /process-instances":
        kwargs = {
            "json": {
                "processKey": "aanvraag",
                "businessKey": f"V88{next(_counter):05d}",
                "gemeente": case.gemeente,
            }
        }
    elif endpoint == "POST /tasks/{task}/complete":
        kwargs = {"json": {"variables": {"besluit": "nee"}}}
    elif endpoint == "POST /messages":
        kwargs = {"json": {"messageName": "bevestigd", "businessKey": case.business_key}}
    elif endpoint == "POST /signals":
        kwargs = {"json": {"signalName": "nothing waits for this"}}
    elif endpoint.endswith("/comments") and endpoint.startswith("POST"):
        kwargs = {"json": {"text": "Opmerking"}}
    elif endpoint == "POST /processing-log/export":
        kwargs = {"json": {"vNummer": case.business_key}}
    elif endpoint == "PATCH /timers/{timer}":
        kwargs = {"json": {"dueAt": "2027-02-01T09:00:00Z"}}
    if endpoint == "POST /tasks/{task}/unclaim" and who is not None:
        api.post(f"/tasks/{case.task_id}/claim", "bh" if who not in ("km",) else who)
    return api.call(method, path, who, **kwargs)


@pytest.mark.parametrize("caller", ORDER)
@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_authorization_matrix(matrix_api: Api, endpoint: str, caller: str) -> None:
    who, gemeente = CALLERS[caller]
    case = _new_case(matrix_api, gemeente)
    response = _request(matrix_api, endpoint, who, case)
    expected = MATRIX[endpoint][caller]
    assert response.status_code == expected, (endpoint, caller, response.get_data(as_text=True))
    assert response.headers["API-Version"]
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
    if caller == "km-foreign":
        text = response.get_data(as_text=True)
        for secret in case.secrets():
            assert secret not in text, (endpoint, secret)
    if caller == "km-own" and endpoint in ("GET /process-instances/{id}", "GET /tasks/{task}"):
        assert case.business_key in response.get_data(as_text=True)  # its own status holder


def test_foreign_ids_answer_like_missing_ids(matrix_api: Api) -> None:
    """The whole response (status, headers that matter, body) of a foreign id equals a missing id's."""
    foreign = _new_case(matrix_api, "GM0363")
    missing = Case(
        "00000000-0000-4000-8000-000000000001",
        "00000000-0000-4000-8000-000000000002",
        "00000000-0000-4000-8000-000000000003",
        "V0000000",
        "GM0363",
    )
    for endpoint in ("GET /process-instances/{id}", "GET /tasks/{task}", "POST /tasks/{task}/complete"):
        a = _request(matrix_api, endpoint, "km", foreign)
        b = _request(matrix_api, endpoint, "km", missing)
        assert (a.status_code, a.get_json(), a.mimetype) == (b.status_code, b.get_json(), b.mimetype)


def test_foreign_lists_and_counts_are_empty(matrix_api: Api) -> None:
    foreign = _new_case(matrix_api, "GM0363")
    for path in (
        f"/tasks?processInstanceId={foreign.instance_id}",
        f"/timers?processInstanceId={foreign.instance_id}",
        "/process-instances?gemeente=GM0363",
    ):
        body = matrix_api.get(path, "km").get_json()
        assert body["total"] == 0 and body["items"] == [], path
    everything = matrix_api.get("/process-instances?pageSize=200", "km").get_json()
    assert everything["items"] and {i["gemeente"] for i in everything["items"]} == {"GM0344"}

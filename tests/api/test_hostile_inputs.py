"""Hostile requests: bodies that cannot be read, gemeenten nobody registered. Never a 500."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.schema import process_instances
from tests.api.conftest import Api
from tests.api.test_endpoints import assert_problem

#: Bodies no JSON endpoint may answer with anything but a 400 problem.
UNREADABLE: dict[str, bytes] = {
    "100,000 nested [": b"[" * 100_000,
    "nested 2,000 deep, closed": b'{"variables": {"x": ' + b"[" * 2000 + b"]" * 2000 + b"}}",
    "nested 100 deep, closed": b'{"variables": {"x": ' + b"[" * 100 + b"]" * 100 + b"}}",
    "not UTF-8": b'{"variables": {"x": "\xff\xfe"}}',
    "UTF-16": '{"variables": {}}'.encode("utf-16"),
    "NaN": b'{"variables": {"x": NaN}}',
    "Infinity": b'{"variables": {"x": -Infinity}}',
    "1e999": b'{"variables": {"x": 1e999}}',
    "unpaired surrogate": b'{"variables": {"x": "\\ud800"}}',
    "NUL in a name": b'{"variables": {"x\\u0000": 1}}',
    "5,000 digits": b'{"variables": {"x": 1' + b"0" * 5000 + b"}}",
    "truncated": b'{"variables": {"x": ',
}


def json_operations(api: Api) -> list[tuple[str, str]]:
    """(method, path) of every operation whose request body is JSON, from the OpenAPI document."""
    spec = api.get("/openapi.json").get_json()
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            content = (
                operation.get("requestBody", {}).get("content", {}) if isinstance(operation, dict) else {}
            )
            if "application/json" in content:
                concrete = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
                found.append((method.upper(), concrete.removeprefix("/api/v1")))
    return found


def test_every_json_endpoint_answers_an_unreadable_body_with_400(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    operations = json_operations(api)
    assert ("POST", "/process-instances") in operations and ("POST", "/subscriptions") in operations
    assert len(operations) >= 5
    caplog.set_level(logging.ERROR)
    for method, path in operations:
        for name, body in UNREADABLE.items():
            response = api.call(method, path, "sys", data=body, content_type="application/json")
            problem = assert_problem(response, 400)
            assert "could not be read" in problem["detail"], (method, path, name, problem)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    with api.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(process_instances)).scalar_one() == 0


def test_a_readable_body_just_inside_the_bounds_still_works(api: Api) -> None:
    nested: Any = "x"
    for _ in range(30):
        nested = [nested]
    started = api.start("V-DEEP-1", tags=nested, note="\u00e9\u20ac", big=10**100)
    assert started["variables"]["tags"] == nested
    assert started["variables"]["big"] == 10**100


def test_an_unregistered_gemeente_is_422_naming_the_field_and_starts_nothing(api: Api) -> None:
    body = {"processKey": "aanvraag", "businessKey": "V-GM9999", "gemeente": "GM9999", "variables": {}}
    problem = assert_problem(api.post("/process-instances", "sys", json=body), 422, "gemeente")
    assert problem["errors"] == [{"field": "gemeente", "message": "is not a registered gemeente"}]
    # An organisation that is not a gemeente is not a gemeente either.
    assert_problem(api.post("/process-instances", "sys", json={**body, "gemeente": "COA"}), 422, "gemeente")
    with api.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(process_instances)).scalar_one() == 0
    # A registered one starts.
    assert api.start("V-GM0344", gemeente="GM0344")["gemeente"] == "GM0344"


@pytest.mark.parametrize(
    "path",
    [
        "/tasks?assignee=a%00b",
        "/tasks?processInstanceId=%00",
        "/timers?processInstanceId=%00",
        "/process-instances/%00",
        "/process-instances/%00/history",
        "/tasks/%00",
        "/subscriptions/%00",
        "/process-definitions/%00",
        "/tasks?x%00=1",
    ],
)
def test_a_nul_in_the_url_is_400_on_every_database(any_db_api: Api, path: str) -> None:
    problem = assert_problem(any_db_api.get(path, "bh"), 400)
    assert "NUL" in problem["detail"]

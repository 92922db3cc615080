"""API test fixtures: the app factory on a migrated database, organisations, a token per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from app import create_app
from engine.clock import ManualClock
from storage.orgs import add_organisation, create_token
from tests.conftest import FIXTURES, T0

ORGS = [
    ("COA", "Centraal Orgaan opvang asielzoekers", "coa"),
    ("GM0344", "Utrecht", "gemeente"),
    ("GM0363", "Amsterdam", "gemeente"),
    ("SYSTEEM", "TVS-koppeling", "systeem"),
]
#: A caller per (role, organisation): the names the tests use.
CALLERS = {
    "km": ("klantmanager", "GM0344"),
    "km_foreign": ("klantmanager", "GM0363"),
    "cm": ("casemanager", "COA"),
    "po": ("procesontwerper", "COA"),
    "bh": ("beheerder", "COA"),
    "sys": ("systeem", "SYSTEEM"),
}
AANVRAAG = (FIXTURES / "aanvraag.bpmn").read_bytes()


@dataclass
class Api:
    """A test client with a token per caller and shortcuts for the calls tests make most."""

    app: Any
    client: FlaskClient
    clock: ManualClock
    db: Engine
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}

    def call(self, method: str, path: str, who: str | None = None, **kwargs: Any) -> Any:
        headers = {**self.headers(who), **kwargs.pop("headers", {})}
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def get(self, path: str, who: str | None = None, **kwargs: Any) -> Any:
        return self.call("GET", path, who, **kwargs)

    def post(self, path: str, who: str | None = None, **kwargs: Any) -> Any:
        return self.call("POST", path, who, **kwargs)

    def patch(self, path: str, who: str | None = None, **kwargs: Any) -> Any:
        return self.call("PATCH", path, who, **kwargs)

    def start(self, business_key: str, gemeente: str = "GM0344", **variables: Any) -> dict[str, Any]:
        variables.setdefault("behandelaar", None)
        response = self.post(
            "/process-instances",
            "sys",
            json={
                "processKey": "aanvraag",
                "businessKey": business_key,
                "gemeente": gemeente,
                "variables": variables,
            },
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()  # type: ignore[no-any-return]

    def open_task(self, instance: dict[str, Any]) -> dict[str, Any]:
        (task,) = instance["openTasks"]
        return task  # type: ignore[no-any-return]


def make_api(engine: Engine, clock: ManualClock, **config: Any) -> Api:
    app = create_app(
        {
            "DB_ENGINE": engine,
            "CLOCK": clock,
            "TESTING": True,
            "DATABASE_URL": str(engine.url),
            "TVS_WEBHOOK_SECRET": "whsec_" + "dGVzdC1zZWNyZXQtZm9yLXR2cy13ZWJob29rcw==",
            **config,
        }
    )
    api = Api(app=app, client=app.test_client(), clock=clock, db=engine)
    with engine.begin() as conn:
        for code, name, kind in ORGS:
            add_organisation(conn, code, name, kind, T0)
        for who, (role, org) in CALLERS.items():
            api.tokens[who] = create_token(conn, org, role, f"{who}-token", T0)
    app.extensions["inburgering"].workflow.deploy("aanvraag.bpmn", AANVRAAG, actor="test")
    return api


@pytest.fixture
def api(sqlite_db: Engine, clock: ManualClock) -> Iterator[Api]:
    """The app on a temporary SQLite file."""
    yield make_api(sqlite_db, clock)


@pytest.fixture
def any_db_api(db: Engine, clock: ManualClock) -> Iterator[Api]:
    """The app on SQLite and, when TEST_DATABASE_URL is set, PostgreSQL."""
    yield make_api(db, clock)

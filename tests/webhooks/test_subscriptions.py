"""The subscription endpoints: roles, tenants, URL checks, the secret shown once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from engine.clock import ManualClock
from storage.webhook_schema import subscriptions
from tests.webhooks.conftest import Parties, make_app
from webhooks.events import FULL_EVENT_TYPES

URL = "/api/v1/subscriptions"
HOOK = "https://127.0.0.1:8443/hook"


def create(client: Any, parties: Parties, who: str, **body: Any) -> Any:
    return client.post(
        URL, json={"url": HOOK, "eventTypes": list(FULL_EVENT_TYPES), **body}, headers=parties.auth(who)
    )


def count(db: Engine) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(subscriptions)).scalar_one())


def test_create_shows_the_secret_once(client: Any, parties: Parties) -> None:
    answer = create(client, parties, "km_a")
    assert answer.status_code == 201
    body = answer.json
    assert body["secret"].startswith("whsec_")
    assert body["organisation"] == "GM0363"
    assert body["eventTypes"] == list(FULL_EVENT_TYPES)
    assert body["active"] is True
    shown = client.get(f"{URL}/{body['id']}", headers=parties.auth("km_a"))
    listed = client.get(URL, headers=parties.auth("km_a"))
    assert "secret" not in shown.json
    assert body["secret"] not in listed.get_data(as_text=True)
    assert listed.json["total"] == 1
    assert 'rel="first"' in listed.headers["Link"]


def test_a_gemeente_sees_only_its_own_subscriptions(client: Any, parties: Parties) -> None:
    own = create(client, parties, "km_a").json["id"]
    create(client, parties, "km_b")
    create(client, parties, "beheerder")
    assert [s["id"] for s in client.get(URL, headers=parties.auth("km_a")).json["items"]] == [own]
    assert client.get(URL, headers=parties.auth("beheerder")).json["total"] == 3
    for path in (f"{URL}/{own}", f"{URL}/{own}/deliveries"):
        foreign = client.get(path, headers=parties.auth("km_b"))
        missing = client.get(
            path.replace(own, "00000000-0000-0000-0000-000000000000"), headers=parties.auth("km_b")
        )
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json == missing.json
    assert client.delete(f"{URL}/{own}", headers=parties.auth("km_b")).status_code == 404
    assert client.get(f"{URL}/{own}/deliveries", headers=parties.auth("beheerder")).status_code == 200
    assert client.delete(f"{URL}/{own}", headers=parties.auth("beheerder")).status_code == 204
    assert client.get(f"{URL}/{own}", headers=parties.auth("km_a")).status_code == 404
    assert client.delete(f"{URL}/{own}", headers=parties.auth("km_a")).status_code == 404


def test_roles(client: Any, parties: Parties, db: Engine) -> None:
    assert client.post(URL, json={"url": HOOK, "eventTypes": list(FULL_EVENT_TYPES)}).status_code == 401
    assert create(client, parties, "casemanager").status_code == 403
    assert client.get(URL, headers=parties.auth("casemanager")).status_code == 403
    assert count(db) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"eventTypes": ["nl.inburgering.onbekend"]}, "eventTypes.0"),
        ({"eventTypes": []}, "eventTypes"),
        ({"url": "ftp://example.nl/hook"}, "url"),
        ({"url": "https://user:pw@example.nl/hook"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://"}, "url"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    client: Any, parties: Parties, db: Engine, body: dict[str, Any], field: str
) -> None:
    answer = create(client, parties, "km_a", **body)
    assert answer.status_code == 422, answer.json
    assert answer.mimetype == "application/problem+json"
    assert field in [e["field"] for e in answer.json["errors"]]
    assert count(db) == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://example.nl/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://localhost/hook",
    ],
)
def test_without_the_development_setting_only_public_https_targets(
    db: Engine, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, parties: Parties, url: str
) -> None:
    client = make_app(db, clock, monkeypatch, WEBHOOKS_ALLOW_INSECURE=False).test_client()
    answer = client.post(
        URL, json={"url": url, "eventTypes": list(FULL_EVENT_TYPES)}, headers=parties.auth("km_a")
    )
    assert answer.status_code == 422
    assert answer.json["errors"][0]["field"] == "url"
    assert count(db) == 0

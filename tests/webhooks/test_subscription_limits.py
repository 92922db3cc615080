"""Subscriptions are capped per organisation, and one URL receives each event type once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from engine.clock import ManualClock
from tests.webhooks.conftest import Parties, make_app
from tests.webhooks.test_subscriptions import URL, count, create
from webhooks.events import FULL_EVENT_TYPES

TYPES = list(FULL_EVENT_TYPES)


def test_the_same_url_with_overlapping_event_types_is_409(client: Any, parties: Parties, db: Engine) -> None:
    first = create(client, parties, "km_a", url="https://127.0.0.1:8443/hook", eventTypes=TYPES[:2])
    assert first.status_code == 201
    for url in ("https://127.0.0.1:8443/hook", "HTTPS://127.0.0.1:8443/hook"):
        again = create(client, parties, "km_a", url=url, eventTypes=[TYPES[1], TYPES[2]])
        assert again.status_code == 409, again.json
        assert again.mimetype == "application/problem+json"
        assert first.json["id"] in again.json["detail"] and TYPES[1] in again.json["detail"]
    assert count(db) == 1
    # Other event types to the same URL, the same types to another URL, or another gemeente: fine.
    assert (
        create(client, parties, "km_a", url="https://127.0.0.1:8443/hook", eventTypes=TYPES[2:]).status_code
        == 201
    )
    assert (
        create(client, parties, "km_a", url="https://127.0.0.1:8443/other", eventTypes=TYPES[:2]).status_code
        == 201
    )
    assert (
        create(client, parties, "km_b", url="https://127.0.0.1:8443/hook", eventTypes=TYPES[:2]).status_code
        == 201
    )
    # Once deleted, the URL may be subscribed again.
    assert client.delete(f"{URL}/{first.json['id']}", headers=parties.auth("km_a")).status_code == 204
    assert (
        create(client, parties, "km_a", url="https://127.0.0.1:8443/hook", eventTypes=TYPES[:1]).status_code
        == 201
    )


def test_at_most_the_configured_number_per_organisation(
    db: Engine, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, parties: Parties, workflow: Any
) -> None:
    client = make_app(db, clock, monkeypatch, MAX_SUBSCRIPTIONS_PER_ORGANISATION=3).test_client()
    made = [
        create(client, parties, "km_a", url=f"https://127.0.0.1:8443/hook/{i}", eventTypes=TYPES)
        for i in range(3)
    ]
    assert [m.status_code for m in made] == [201, 201, 201]
    over = create(client, parties, "km_a", url="https://127.0.0.1:8443/hook/3", eventTypes=TYPES)
    assert over.status_code == 409
    assert "the most allowed is 3" in over.json["detail"]
    assert count(db) == 3
    # Another organisation has its own allowance; deleting one makes room again.
    assert (
        create(client, parties, "km_b", url="https://127.0.0.1:8443/hook/0", eventTypes=TYPES).status_code
        == 201
    )
    assert client.delete(f"{URL}/{made[0].json['id']}", headers=parties.auth("km_a")).status_code == 204
    assert (
        create(client, parties, "km_a", url="https://127.0.0.1:8443/hook/3", eventTypes=TYPES).status_code
        == 201
    )


def test_sixty_identical_subscriptions_make_one(client: Any, parties: Parties, db: Engine) -> None:
    codes = [create(client, parties, "km_a").status_code for _ in range(60)]
    assert codes == [201] + [409] * 59
    assert count(db) == 1


def test_the_default_limit_is_twenty(client: Any, parties: Parties, db: Engine) -> None:
    codes = [
        create(client, parties, "beheerder", url=f"https://127.0.0.1:8443/h{i}").status_code
        for i in range(21)
    ]
    assert codes == [201] * 20 + [409]

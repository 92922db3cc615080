"""Inbound TVS events over HTTP: signatures, idempotency, validation and the operators' view."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from engine.clock import ManualClock
from storage.schema import process_instances
from storage.webhook_schema import inbound_events
from tests.webhooks.conftest import (
    GM_A,
    V_A,
    V_B,
    Parties,
    koppeling,
    make_app,
    signed,
    tvs_event,
)
from webhooks.signing import new_secret

URL = "/api/v1/webhooks/tvs"


def counts(db: Engine) -> tuple[int, int]:
    with db.connect() as conn:
        instances = conn.execute(select(func.count()).select_from(process_instances)).scalar_one()
        events = conn.execute(select(func.count()).select_from(inbound_events)).scalar_one()
    return instances, events


def post(client: Any, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(URL, data=body, headers=headers)


def test_a_koppeling_sent_three_times_starts_exactly_one_instance(
    client: Any, db: Engine, clock: ManualClock, parties: Parties
) -> None:
    body = koppeling()
    headers = signed(body, clock.now(), "msg_koppeling_1")
    answers = [post(client, body, headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert answers[0].json["status"] == "started"
    assert answers[1].json["status"] == answers[2].json["status"] == "duplicate"
    assert counts(db) == (1, 1)
    # The same koppeling again under a new webhook-id (TVS re-sent it): accepted, no second instance.
    again = post(client, body, signed(body, clock.now(), "msg_koppeling_2"))
    assert again.status_code == 202
    assert again.json["status"] == "already-active"
    assert again.json["processInstanceId"] == answers[0].json["processInstanceId"]
    assert counts(db) == (1, 2)
    with db.connect() as conn:
        row = conn.execute(select(process_instances)).one()
    assert (row.business_key, row.gemeente, row.process_key) == (V_A, GM_A, "doorlopende_lijn")
    assert row.variables["azc"] == "AZC-Budel"
    assert row.variables["koppeldatum"] == "2027-01-04"


def test_a_forged_signature_is_refused_and_changes_nothing(
    client: Any, db: Engine, clock: ManualClock, parties: Parties
) -> None:
    body = koppeling()
    forged = signed(body, clock.now(), secret=new_secret())
    answer = post(client, body, forged)
    assert answer.status_code == 401
    assert answer.mimetype == "application/problem+json"
    tampered = signed(body, clock.now())
    answer = post(client, body.replace(b"AZC-Budel", b"AZC-Other"), tampered)
    assert answer.status_code == 401
    unsigned = {"Content-Type": "application/cloudevents+json"}
    assert post(client, body, unsigned).status_code == 401
    garbled = {**signed(body, clock.now()), "webhook-signature": "v1,not base64!! v2 nonsense"}
    assert post(client, body, garbled).status_code == 401
    assert counts(db) == (0, 0)


@pytest.mark.parametrize("offset", [timedelta(minutes=-5, seconds=-1), timedelta(minutes=5, seconds=1)])
def test_a_timestamp_more_than_five_minutes_off_is_refused(
    client: Any, db: Engine, clock: ManualClock, parties: Parties, offset: timedelta
) -> None:
    body = koppeling()
    answer = post(client, body, signed(body, clock.now() + offset))
    assert answer.status_code == 401
    assert "5 minutes" in answer.json["detail"]
    assert counts(db) == (0, 0)
    # Within the tolerance (by the injected clock) it is accepted.
    assert post(client, body, signed(body, clock.now() - timedelta(minutes=4))).status_code == 202


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"[1, 2]", "body"),
        (json.dumps({"specversion": "1.0", "id": "x", "type": "nl.coa.tvs.koppeling"}).encode(), "data"),
        (
            json.dumps(
                {"specversion": "1.0", "id": "x", "type": "nl.coa.tvs.koppeling", "data": {"vNummer": V_A}}
            ).encode(),
            "source",
        ),
        (
            json.dumps(
                {"specversion": "0.9", "id": "x", "source": "s", "type": "nl.coa.tvs.verhuisd", "data": {}}
            ).encode(),
            "specversion",
        ),
        (tvs_event("nl.coa.tvs.onbekend", {"vNummer": V_A}), "type"),
        (
            tvs_event(
                "nl.coa.tvs.koppeling",
                {"vNummer": "V123", "gemeente": GM_A, "azc": "A", "koppeldatum": "2027-01-04"},
            ),
            "data.vNummer",
        ),
        (
            tvs_event(
                "nl.coa.tvs.koppeling",
                {"vNummer": V_A, "gemeente": "0363", "azc": "A", "koppeldatum": "2027-01-04"},
            ),
            "data.gemeente",
        ),
        (
            tvs_event(
                "nl.coa.tvs.koppeling",
                {"vNummer": V_A, "gemeente": GM_A, "azc": "A", "koppeldatum": "04-01-2027"},
            ),
            "data.koppeldatum",
        ),
        (
            tvs_event(
                "nl.coa.tvs.koppeling", {"vNummer": V_A, "gemeente": GM_A, "koppeldatum": "2027-01-04"}
            ),
            "data.azc",
        ),
        (
            tvs_event("nl.coa.tvs.huisvesting-gevonden", {"vNummer": V_A, "verhuisdatum": "2027-02-30"}),
            "data.verhuisdatum",
        ),
        (tvs_event("nl.coa.tvs.verhuisd", {"vNummer": 1234567890, "datum": "2027-03-01"}), "data.vNummer"),
        (
            tvs_event(
                "nl.coa.tvs.koppeling",
                {"vNummer": V_A, "gemeente": GM_A, "azc": "A", "koppeldatum": "2027-01-04", "naam": "a\nb"},
            ),
            "data.naam",
        ),
        (
            tvs_event(
                "nl.coa.tvs.koppeling",
                {"vNummer": V_A, "gemeente": GM_A, "azc": "A", "koppeldatum": "2027-01-04", "naam": 7},
            ),
            "data.naam",
        ),
    ],
)
def test_a_malformed_body_is_422_naming_the_field_and_changes_nothing(
    client: Any, db: Engine, clock: ManualClock, parties: Parties, body: bytes, field: str
) -> None:
    answer = post(client, body, signed(body, clock.now()))
    assert answer.status_code == 422, answer.json
    assert answer.mimetype == "application/problem+json"
    assert field in [e["field"] for e in answer.json["errors"]]
    assert V_A not in answer.get_data(as_text=True)
    assert counts(db) == (0, 0)


def test_a_koppeling_with_naam_keeps_it_on_the_instance(
    client: Any, db: Engine, clock: ManualClock, parties: Parties
) -> None:
    data = {"vNummer": V_A, "gemeente": GM_A, "azc": "AZC-Budel", "koppeldatum": "2027-01-04"}
    body = tvs_event("nl.coa.tvs.koppeling", {**data, "naam": " Amira Haddad "})
    assert post(client, body, signed(body, clock.now())).status_code == 202
    with db.connect() as conn:
        row = conn.execute(select(process_instances)).one()
    assert row.variables["naam"] == "Amira Haddad"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[" * 100_000,
        b'{"data": ' + b"[" * 2000 + b"]" * 2000 + b"}",
        b'{"specversion": "1.0", "data": {"x": NaN}}',
        b'{"specversion": "1.0", "data": {"x": "\\ud800"}}',
        b'{"specversion": "1.0", "data": {"x": 1e999}}',
    ],
    ids=["syntax", "100000-deep", "2000-deep", "NaN", "surrogate", "1e999"],
)
def test_an_unreadable_signed_body_is_400_and_changes_nothing(
    client: Any, db: Engine, clock: ManualClock, parties: Parties, body: bytes, caplog: Any
) -> None:
    caplog.set_level("ERROR")
    answer = post(client, body, signed(body, clock.now()))
    assert answer.status_code == 400, answer.json
    assert answer.mimetype == "application/problem+json"
    assert answer.json["detail"]
    assert counts(db) == (0, 0)
    assert not caplog.records
    # Unsigned, the same body is a 401: the signature is checked before the body is read.
    assert post(client, body, {"Content-Type": "application/cloudevents+json"}).status_code == 401
    # A body that is not UTF-8 cannot carry a Standard Webhooks signature: 401 as well.
    assert post(client, b'{"x": "\xff"}', signed(b"{}", clock.now())).status_code == 401


def test_a_koppeling_for_an_unregistered_gemeente_is_rejected_and_stored(
    client: Any, db: Engine, clock: ManualClock, parties: Parties
) -> None:
    body = koppeling(gemeente="GM9999")
    headers = signed(body, clock.now(), "msg_gm9999")
    answer = post(client, body, headers)
    assert answer.status_code == 422, answer.json
    assert answer.json["errors"] == [{"field": "data.gemeente", "message": "is not a registered gemeente"}]
    assert V_A not in answer.get_data(as_text=True)
    assert counts(db) == (0, 1)
    # Sent again: acknowledged as seen, still no instance.
    assert post(client, body, headers).json["status"] == "duplicate"
    assert counts(db) == (0, 1)
    listed = client.get("/api/v1/webhooks/tvs/events?status=rejected", headers=parties.auth("beheerder"))
    (item,) = listed.json["items"]
    assert item["webhookId"] == "msg_gm9999" and item["gemeente"] == "GM9999"
    assert item["error"] == "gemeente GM9999 is not a registered gemeente"
    assert item["processInstanceId"] is None


def test_an_event_the_engine_cannot_process_is_rejected_not_retried(
    db: Engine, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, parties: Parties, workflow: Any
) -> None:
    client = make_app(db, clock, monkeypatch, MAX_VARIABLES_BYTES=40).test_client()
    body = koppeling()
    headers = signed(body, clock.now(), "msg_too_big")
    answer = post(client, body, headers)
    assert answer.status_code == 422, answer.json
    assert "at most 40" in answer.json["detail"]
    assert counts(db) == (0, 1)
    listed = client.get("/api/v1/webhooks/tvs/events?status=rejected", headers=parties.auth("beheerder"))
    (item,) = listed.json["items"]
    assert item["webhookId"] == "msg_too_big" and "at most 40" in item["error"]
    assert V_A not in listed.get_data(as_text=True)
    assert post(client, body, headers).json["status"] == "duplicate"


def test_messages_advance_the_instance(client: Any, db: Engine, clock: ManualClock, parties: Parties) -> None:
    body = koppeling()
    started = post(client, body, signed(body, clock.now())).json["processInstanceId"]
    found = tvs_event("nl.coa.tvs.huisvesting-gevonden", {"vNummer": V_A, "verhuisdatum": "2027-03-01"})
    answer = post(client, found, signed(found, clock.now()))
    assert answer.status_code == 202
    assert answer.json == {
        "webhookId": answer.json["webhookId"],
        "status": "correlated",
        "processInstanceId": started,
    }
    moved = tvs_event("nl.coa.tvs.verhuisd", {"vNummer": V_A, "datum": "2027-03-02"})
    assert post(client, moved, signed(moved, clock.now())).status_code == 202
    with db.connect() as conn:
        row = conn.execute(select(process_instances)).one()
    assert row.status == "completed"
    assert row.variables["verhuisdatum"] == "2027-03-02"


def test_an_event_for_an_unknown_status_holder_is_422_and_kept_for_an_operator(
    client: Any, db: Engine, clock: ManualClock, parties: Parties
) -> None:
    body = tvs_event("nl.coa.tvs.huisvesting-gevonden", {"vNummer": V_B, "verhuisdatum": "2027-03-01"})
    headers = signed(body, clock.now(), "msg_unknown")
    answer = post(client, body, headers)
    assert answer.status_code == 422
    assert answer.json["errors"] == [{"field": "data.vNummer", "message": "no instance waits for this event"}]
    assert V_B not in answer.get_data(as_text=True)
    # Sent again: acknowledged, still one stored event, nothing else happens.
    assert post(client, body, headers).status_code == 202
    assert counts(db) == (0, 1)

    listed = client.get("/api/v1/webhooks/tvs/events?status=rejected", headers=parties.auth("beheerder"))
    assert listed.status_code == 200
    assert listed.json["total"] == 1
    item = listed.json["items"][0]
    assert item["webhookId"] == "msg_unknown"
    assert item["type"] == "nl.coa.tvs.huisvesting-gevonden"
    assert item["status"] == "rejected"
    assert len(item["subjectHash"]) == 64
    assert V_B not in listed.get_data(as_text=True)
    assert (
        client.get("/api/v1/webhooks/tvs/events?status=processed", headers=parties.auth("beheerder")).json[
            "total"
        ]
        == 0
    )
    assert client.get("/api/v1/webhooks/tvs/events", headers=parties.auth("km_a")).status_code == 403
    assert client.get("/api/v1/webhooks/tvs/events").status_code == 401
    bad = client.get("/api/v1/webhooks/tvs/events?status=weg", headers=parties.auth("beheerder"))
    assert bad.status_code == 422
    assert bad.json["errors"][0]["field"] == "status"


def test_no_v_nummer_is_stored_with_inbound_events(
    client: Any, db: Engine, clock: ManualClock, parties: Parties
) -> None:
    for body in (
        koppeling(),
        tvs_event("nl.coa.tvs.huisvesting-gevonden", {"vNummer": V_A, "verhuisdatum": "2027-03-01"}),
        tvs_event("nl.coa.tvs.verhuisd", {"vNummer": V_B, "datum": "2027-03-01"}),
    ):
        post(client, body, signed(body, clock.now()))
    with db.connect() as conn:
        rows = conn.execute(text("SELECT * FROM inbound_events")).all()
    assert len(rows) == 3
    dump = json.dumps([list(map(str, r)) for r in rows])
    assert V_A not in dump and V_B not in dump


def test_without_a_configured_secret_nothing_is_accepted(
    db: Engine, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, parties: Parties
) -> None:
    client = make_app(db, clock, monkeypatch, TVS_WEBHOOK_SECRET=None).test_client()
    body = koppeling()
    assert post(client, body, signed(body, clock.now())).status_code == 503
    assert counts(db) == (0, 0)


def test_a_failed_event_is_processed_when_sent_again(
    client: Any, db: Engine, clock: ManualClock, parties: Parties, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored but not finished (the engine failed): the retry with the same webhook-id processes it."""
    from storage.service import WorkflowService

    body = koppeling()
    headers = signed(body, clock.now(), "msg_retry")
    original = WorkflowService.start

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(WorkflowService, "start", broken)
    assert post(client, body, headers).status_code == 500
    assert counts(db) == (0, 1)
    monkeypatch.setattr(WorkflowService, "start", original)
    answer = post(client, body, headers)
    assert answer.status_code == 202
    assert answer.json["status"] == "started"
    assert counts(db) == (1, 1)

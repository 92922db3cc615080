"""The shipped main process behind the TVS webhook and the outbound notifications."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from engine.clock import ManualClock
from storage.schema import outbox_events
from storage.service import WorkflowService
from tests.conftest import BPMN_DIR
from tests.webhooks.conftest import (
    GM_A,
    GM_B,
    V_A,
    V_B,
    Parties,
    Receiver,
    koppeling,
    make_app,
    signed,
    tvs_event,
)
from tests.webhooks.test_delivery import CONFIG, subscribe
from webhooks.dispatch import deliver_pending
from webhooks.events import DATA_FIELDS

pytestmark = pytest.mark.skipif(
    not (BPMN_DIR / "doorlopende_lijn.bpmn").exists(), reason="the main process is not in bpmn/"
)


@pytest.fixture
def shipped(db: Engine, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, parties: Parties) -> Any:
    service = WorkflowService(db, clock)
    for path in sorted(BPMN_DIR.glob("*.dmn")) + sorted(BPMN_DIR.glob("*.bpmn")):
        service.deploy(path.name, path.read_bytes(), actor="test")
    return make_app(db, clock, monkeypatch).test_client()


def test_tvs_events_drive_the_main_process_and_the_gemeente_hears_of_its_own_only(
    shipped: Any, db: Engine, clock: ManualClock, parties: Parties, receiver: Receiver
) -> None:
    subscribe(shipped, parties, "km_a", receiver)
    ids = {}
    for v_nummer, gemeente in ((V_A, GM_A), (V_B, GM_B)):
        body = koppeling(v_nummer, gemeente)
        for _ in range(2):
            answer = shipped.post(
                "/api/v1/webhooks/tvs", data=body, headers=signed(body, clock.now(), f"k-{v_nummer}")
            )
            assert answer.status_code == 202
        ids[gemeente] = answer.json["processInstanceId"]
    found = tvs_event("nl.coa.tvs.huisvesting-gevonden", {"vNummer": V_A, "verhuisdatum": "2027-03-01"})
    answer = shipped.post("/api/v1/webhooks/tvs", data=found, headers=signed(found, clock.now()))
    assert answer.status_code == 202, answer.json
    assert answer.json["status"] == "correlated"

    while deliver_pending(db, clock, CONFIG, worker_id="w"):
        pass
    assert receiver.failures == []
    arrivals = receiver.accepted()
    with db.connect() as conn:
        expected = [
            r.id
            for r in conn.execute(
                select(outbox_events.c.id, outbox_events.c.type)
                .where(outbox_events.c.instance_id == ids[GM_A])
                .order_by(outbox_events.c.seq)
            )
            if "nl.inburgering." + r.type in {"nl.inburgering." + t for t in _contract_types()}
        ]
    assert [a.webhook_id for a in arrivals] == expected
    first = arrivals[0].event
    assert first.get_type() == "nl.inburgering.klantprofiel-gedeeld"
    assert first.get_data()["moment"] == "na-koppeling"
    for a in arrivals:
        data = a.event.get_data()
        assert data["processInstanceId"] == ids[GM_A] and data["gemeente"] == GM_A
        assert set(data) <= DATA_FIELDS
        assert V_A not in a.body.decode() and ids[GM_B] not in a.body.decode()


def _contract_types() -> tuple[str, ...]:
    from webhooks.events import EVENT_TYPES

    return EVENT_TYPES


def test_a_tvs_move_before_the_choice_is_correlated_and_reported(
    shipped: Any, db: Engine, clock: ManualClock, parties: Parties, receiver: Receiver
) -> None:
    """A move can come before the gemeente chose a scenario: TVS's verhuisd is correlated, not refused."""
    subscribe(shipped, parties, "km_a", receiver)
    body = koppeling(V_A, GM_A)
    started = shipped.post("/api/v1/webhooks/tvs", data=body, headers=signed(body, clock.now(), "k-move"))
    assert started.status_code == 202
    moved = tvs_event("nl.coa.tvs.verhuisd", {"vNummer": V_A, "datum": "2027-01-10"})
    answer = shipped.post("/api/v1/webhooks/tvs", data=moved, headers=signed(moved, clock.now(), "m-move"))
    assert answer.status_code == 202, answer.json
    assert answer.json["status"] == "correlated"
    while deliver_pending(db, clock, CONFIG, worker_id="w"):
        pass
    events = [(a.event.get_type().rpartition(".")[2], a.event.get_data()) for a in receiver.accepted()]
    decided = [data for kind, data in events if kind == "scenario-vastgesteld"]
    assert [(d["scenario"], d["bijTermijn"]) for d in decided] == [("3", False)]
    moments = [data["moment"] for kind, data in events if kind == "klantprofiel-gedeeld"]
    assert moments == ["na-koppeling", "bij-verhuizing"]
    opened = [data.get("elementId") for kind, data in events if kind == "taak-aangemaakt"]
    assert opened[-1] == "brede_intake"

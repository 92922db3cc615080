"""Rotating INBURGERING_SECRET_KEY online: deliveries stay signed throughout, hashes follow the key."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from app import create_app
from app.cli import main as cli
from engine.clock import ManualClock
from storage.service import WorkflowService
from storage.webhook_schema import inbound_events, subscriptions
from tests.operability.case_driver import Case, deploy_shipped
from tests.webhooks.conftest import (
    GM_A,
    V_A,
    Parties,
    Receiver,
    app_config,
    koppeling,
    make_app,
    signed,
    tvs_event,
)
from tests.webhooks.test_delivery import CONFIG, subscribe
from webhooks.dispatch import deliver_pending
from webhooks.inbound import subject_hash
from webhooks.rotation import RotationError, rotate_secret_key
from webhooks.sealing import SealError, unseal

OLD, NEW = "old-key-" + "a" * 40, "new-key-" + "b" * 40


def _secrets(db: Engine) -> list[str]:
    with db.connect() as conn:
        return list(conn.execute(select(subscriptions.c.secret).order_by(subscriptions.c.id)).scalars())


def _hashes(db: Engine) -> dict[str, str]:
    with db.connect() as conn:
        rows = conn.execute(select(inbound_events.c.status, inbound_events.c.subject_hash))
        return {r.status: r.subject_hash for r in rows}


def test_rotation_reseals_secrets_and_rehashes_subjects_while_deliveries_go_on(
    db: Engine,
    clock: ManualClock,
    parties: Parties,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = WorkflowService(db, clock)
    deploy_shipped(service)
    before = make_app(db, clock, monkeypatch, SECRET_KEY=OLD).test_client()
    subscribe(before, parties, "km_a", receiver)
    plain_secret = receiver.secret
    for body in (
        koppeling(V_A, GM_A),
        tvs_event("nl.coa.tvs.verhuisd", {"vNummer": "9999999999", "datum": "2027-03-01"}),
    ):
        before.post("/api/v1/webhooks/tvs", data=body, headers=signed(body, clock.now()))
    assert set(_hashes(db)) == {"processed", "rejected"}
    assert _hashes(db)["processed"] == subject_hash(OLD, V_A)
    rejected_hash = _hashes(db)["rejected"]

    # 1. every node restarts with the new key and the old one as previous: it still signs
    during = {**CONFIG, "SECRET_KEY": NEW, "SECRET_KEY_PREVIOUS": (OLD,)}
    while deliver_pending(db, clock, during, worker_id="w"):
        pass
    assert receiver.accepted() and receiver.failures == []
    signed_so_far = len(receiver.accepted())

    # 2. the rotation, while the service runs
    report = rotate_secret_key(db, NEW, (OLD,))
    assert (report.resealed, report.already_current, report.unreadable) == (1, 0, 0)
    assert (report.rehashed, report.hashes_left) == (1, 1)
    (stored,) = _secrets(db)
    assert unseal(stored, NEW) == plain_secret
    with pytest.raises(SealError):
        unseal(stored, OLD)
    assert _hashes(db) == {"processed": subject_hash(NEW, V_A), "rejected": rejected_hash}

    # 3. the previous key is dropped: deliveries are signed with the new key alone
    after = {**CONFIG, "SECRET_KEY": NEW}
    case = Case(service, clock, service.get(_instance_id(db)).id)
    case.step()
    while deliver_pending(db, clock, after, worker_id="w"):
        pass
    assert len(receiver.accepted()) > signed_so_far and receiver.failures == []

    # 4. a second run changes nothing
    again = rotate_secret_key(db, NEW, (OLD,))
    assert (again.resealed, again.already_current, again.rehashed) == (0, 1, 0)


def _instance_id(db: Engine) -> str:
    with db.connect() as conn:
        return str(
            conn.execute(
                select(inbound_events.c.instance_id).where(inbound_events.c.instance_id.is_not(None))
            ).scalar()
        )


def test_rotation_seals_secrets_stored_without_a_key(
    db: Engine, clock: ManualClock, parties: Parties, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe(make_app(db, clock, monkeypatch, SECRET_KEY=None).test_client(), parties, "km_a", receiver)
    assert _secrets(db) == [receiver.secret]
    assert rotate_secret_key(db, NEW, ()).resealed == 1
    (stored,) = _secrets(db)
    assert stored != receiver.secret and unseal(stored, NEW) == receiver.secret


def test_rotation_refuses_without_a_new_key(db: Engine) -> None:
    with pytest.raises(RotationError):
        rotate_secret_key(db, "", (OLD,))
    with pytest.raises(RotationError):
        rotate_secret_key(db, OLD, (OLD,))


def test_tasklist_sessions_signed_with_the_previous_key_stay_valid(db: Engine, clock: ManualClock) -> None:
    old_app = create_app(app_config(db, clock, SECRET_KEY=OLD))
    new_app = create_app(app_config(db, clock, SECRET_KEY=NEW, SECRET_KEY_PREVIOUS=(OLD,)))
    bare_app = create_app(app_config(db, clock, SECRET_KEY=NEW))
    cookie = old_app.session_interface.get_signing_serializer(old_app).dumps({"user": "x"})  # type: ignore[attr-defined]
    assert new_app.session_interface.get_signing_serializer(new_app).loads(cookie) == {"user": "x"}  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="Signature"):
        bare_app.session_interface.get_signing_serializer(bare_app).loads(cookie)  # type: ignore[attr-defined]


def test_secrets_rotate_command(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    assert cli(["db", "upgrade"]) == 0
    monkeypatch.delenv("INBURGERING_SECRET_KEY", raising=False)
    assert cli(["secrets", "rotate"]) == 1
    assert "INBURGERING_SECRET_KEY" in capsys.readouterr().err
    monkeypatch.setenv("INBURGERING_SECRET_KEY", NEW)
    monkeypatch.setenv("INBURGERING_SECRET_KEY_PREVIOUS", OLD)
    assert cli(["secrets", "rotate"]) == 0
    assert "re-sealed under the new key: 0" in capsys.readouterr().out

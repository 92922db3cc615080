"""The processing log's storage on SQLite and PostgreSQL: append-only, retention, pseudonyms, rotation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.exc import DBAPIError

from engine.clock import ManualClock
from storage import processing_log as store
from storage.db import write_connection
from storage.schema import data_subjects, processing_log_horizon, processing_records
from storage.service import WorkflowService
from tests.conftest import FIXTURES, T0

KEY, NEW_KEY = "key-one", "key-two"


@pytest.fixture
def service(db: Engine, clock: ManualClock) -> WorkflowService:
    svc = WorkflowService(db, clock)
    svc.deploy("aanvraag.bpmn", (FIXTURES / "aanvraag.bpmn").read_bytes(), actor="test")
    return svc


def processing(at=T0, activity: str = "zaak-inzien") -> store.Processing:
    return store.Processing("a" * 32, "b" * 16, None, "GET /x", at, at, store.STATUS_OK, activity, "tester")


def write(db: Engine, instance_ids: list[str], at=T0, key: str = KEY, previous: tuple[str, ...] = ()) -> int:
    with write_connection(db) as conn, conn.begin():
        return store.append_records(conn, processing(at), instance_ids, key=key, previous_keys=previous)


def records(db: Engine, v_nummer: str, *keys: str) -> list:
    with db.connect() as conn:
        return store.records_of(conn, v_nummer, keys or (KEY,))


def test_records_find_their_person_by_pseudonym(db: Engine, service: WorkflowService) -> None:
    a = service.start("aanvraag", business_key="1234567890", gemeente="GM0344", actor="t")
    a2 = service.start("uitvoering_proces", business_key="1234567890", gemeente="GM0344", actor="t")
    b = service.start("aanvraag", business_key="1234567891", gemeente="GM0344", actor="t")
    assert write(db, [a.id, b.id, a2.id, "gone"]) == 4
    mine = records(db, "1234567890")
    assert sorted(r.instance_id for r in mine) == sorted([a.id, a2.id])
    assert len({r.data_subject_id for r in mine}) == 1
    assert records(db, "1234567890", "another key") == []
    with db.connect() as conn:
        orphan = conn.execute(
            select(processing_records).where(processing_records.c.instance_id == "gone")
        ).one()
        hashes = list(conn.execute(select(data_subjects.c.subject_hash)).scalars())
    assert orphan.data_subject_id is None
    assert len(hashes) == 2 and all("1234567890" not in h for h in hashes)


def test_no_update_and_no_delete_before_the_retention_term(db: Engine, service: WorkflowService) -> None:
    a = service.start("aanvraag", business_key="1234567890", gemeente="GM0344", actor="t")
    write(db, [a.id])
    statements = [
        update(processing_records).values(name="changed"),
        delete(processing_records),
        update(processing_log_horizon).values(horizon=T0 - timedelta(days=365 * 100)),
        delete(processing_log_horizon),
    ]
    for statement in statements:
        with (
            pytest.raises(DBAPIError, match="append-only|only moves forward"),
            write_connection(db) as conn,
            conn.begin(),
        ):
            conn.execute(statement)
    if db.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), db.begin() as conn:
            conn.execute(text("TRUNCATE processing_records"))
    assert len(records(db, "1234567890")) == 1


def test_purge_removes_only_records_past_the_term(db: Engine, service: WorkflowService) -> None:
    a = service.start("aanvraag", business_key="1234567890", gemeente="GM0344", actor="t")
    write(db, [a.id], at=T0)
    write(db, [a.id], at=T0 + timedelta(days=10))
    with write_connection(db) as conn, conn.begin():
        assert store.purge_records(conn, T0 + timedelta(days=30), 30) == 0
    with write_connection(db) as conn, conn.begin():
        assert store.purge_records(conn, T0 + timedelta(days=35), 30) == 1
    assert [r.start_time for r in records(db, "1234567890")] == [T0 + timedelta(days=10)]
    with write_connection(db) as conn, conn.begin():  # a longer term later never moves the horizon back
        assert store.purge_records(conn, T0 + timedelta(days=36), 3650) == 0
        assert conn.execute(select(processing_log_horizon.c.horizon)).scalar_one() == T0 + timedelta(days=5)
    with pytest.raises(ValueError), write_connection(db) as conn, conn.begin():
        store.purge_records(conn, T0, 0)


def test_a_key_rotation_keeps_every_record_findable(db: Engine, service: WorkflowService) -> None:
    a = service.start("aanvraag", business_key="1234567890", gemeente="GM0344", actor="t")
    b = service.start("aanvraag", business_key="1234567891", gemeente="GM0344", actor="t")
    write(db, [a.id, b.id])
    # After the switch, before the rotation command: a person seen again keeps the pseudonym.
    write(db, [b.id], key=NEW_KEY, previous=(KEY,))
    assert len({r.data_subject_id for r in records(db, "1234567891", NEW_KEY)}) == 1
    with write_connection(db) as conn, conn.begin():
        assert store.rehash_data_subjects(conn, NEW_KEY, [KEY]) == (1, 0)
    with write_connection(db) as conn, conn.begin():
        assert store.rehash_data_subjects(conn, NEW_KEY, [KEY]) == (0, 0)  # twice changes nothing
    assert len(records(db, "1234567890", NEW_KEY)) == 1
    assert len(records(db, "1234567891", NEW_KEY)) == 2

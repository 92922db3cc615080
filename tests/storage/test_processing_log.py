"""The processing log's storage on SQLite and PostgreSQL: append-only, retention, pseudonyms, rotation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, event, select, text, update
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


def test_one_statement_writes_the_records_in_order_with_every_field(
    db: Engine, service: WorkflowService
) -> None:
    a = service.start("aanvraag", business_key="1234567890", gemeente="GM0344", actor="t")
    b = service.start("aanvraag", business_key="1234567891", gemeente="GM0344", actor="t")
    cases = [b.id, "gone", a.id, b.id]  # a repeated case is recorded once
    assert write(db, cases, at=T0 + timedelta(microseconds=7)) == 3
    with db.connect() as conn:
        rows = conn.execute(select(processing_records).order_by(processing_records.c.id)).all()
        subjects = dict(conn.execute(select(data_subjects.c.id, data_subjects.c.subject_hash)).all())
    assert [r.instance_id for r in rows] == [b.id, "gone", a.id]
    expected = processing(T0 + timedelta(microseconds=7))
    for row in rows:
        assert (row.trace_id, row.operation_id, row.parent_operation_id, row.name) == (
            "a" * 32,
            "b" * 16,
            None,
            "GET /x",
        )
        assert row.start_time == row.end_time == expected.start_time
        assert (row.status_code, row.processing_activity_id, row.actor) == ("OK", "zaak-inzien", "tester")
    assert rows[1].data_subject_id is None
    assert subjects[rows[0].data_subject_id] == store.subject_hash(KEY, "1234567891")
    assert subjects[rows[2].data_subject_id] == store.subject_hash(KEY, "1234567890")


def test_the_subject_cache_learns_only_what_committed(db: Engine, service: WorkflowService) -> None:
    a = service.start("aanvraag", business_key="1234567890", gemeente="GM0344", actor="t")
    cache = store.SubjectCache()
    learned: dict[str, str] = {}
    with write_connection(db) as conn:
        trans = conn.begin()
        store.append_records(conn, processing(), [a.id], key=KEY, cache=cache, learned=learned)
        trans.rollback()  # the pseudonym it made is gone: the caller adds ``learned`` only on commit
    assert learned and cache.get(store.subject_hash(KEY, "1234567890")) is None
    learned.clear()
    with write_connection(db) as conn, conn.begin():
        store.append_records(conn, processing(), [a.id], key=KEY, cache=cache, learned=learned)
    cache.add(learned)
    with db.connect() as conn:
        (stored,) = conn.execute(select(data_subjects.c.id)).scalars()
    assert cache.get(store.subject_hash(KEY, "1234567890")) == stored
    with write_connection(db) as conn, conn.begin():  # now found without reading data_subjects
        statements: list[str] = []
        event.listen(conn, "before_cursor_execute", lambda *args: statements.append(args[2]))
        store.append_records(
            conn, processing(), [a.id], key=KEY, business_keys={a.id: "1234567890"}, cache=cache
        )
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith(
        "INSERT INTO PROCESSING_RECORDS"
    )
    assert len(records(db, "1234567890")) == 2

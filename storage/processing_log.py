"""The data-processing log, after the Logboek Dataverwerkingen (LDV): one record per processing and person.

A processing (an API request, a tasklist page, an engine step) that reads or changes the cases
of status holders writes one record per case: the trace and operation ids of W3C Trace Context,
name, start and end time, status, the processing activity (a key of the register of processing
activities) and the data subject.

The data subject is a pseudonym: a random id kept in ``data_subjects`` against a keyed hash
(HMAC-SHA256 under ``INBURGERING_SECRET_KEY``) of the V-nummer. No V-nummer is stored in the log;
the records of one person are found by hashing the V-nummer given for the export. The records
keep the instance id but no foreign key, so they outlive the instance's retention purge.

Records are never changed: triggers (migration 0008) refuse every UPDATE, and a DELETE of any
record that started after the retention horizon, which :func:`purge_records` alone moves forward.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, String, bindparam, cast, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.schema import (
    UTCDateTime,
    data_subjects,
    process_instances,
    processing_log_horizon,
    processing_records,
)

STATUS_OK = "OK"
STATUS_ERROR = "ERROR"
#: What ``data_subject_id`` stands for, as LDV's ``dpl.core.data_subject_id_type`` would say.
DATA_SUBJECT_ID_TYPE = "pseudoniem-vreemdelingennummer"


@dataclass(frozen=True)
class Processing:
    """One processing operation: what ran, when, under which trace, with which outcome."""

    trace_id: str
    operation_id: str
    parent_operation_id: str | None
    name: str
    start_time: datetime
    end_time: datetime
    status_code: str
    activity: str
    actor: str


def subject_hash(key: str, v_nummer: str) -> str:
    """The keyed hash of a V-nummer that finds its pseudonym (never the V-nummer itself)."""
    return hmac.new(key.encode(), f"dpl.data_subject:{v_nummer}".encode(), hashlib.sha256).hexdigest()


def _insert_ignoring_duplicates(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, str]:
    """Insert the pseudonyms not stored yet; returns those this call stored (hash to id)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(data_subjects)
        .on_conflict_do_nothing(index_elements=["subject_hash"])
        .returning(data_subjects.c.subject_hash, data_subjects.c.id)
    )
    return {r.subject_hash: r.id for r in conn.execute(statement, rows)}


# built once: every request that reads or changes a case runs it
_SUBJECTS = select(data_subjects.c.subject_hash, data_subjects.c.id).where(
    data_subjects.c.subject_hash.in_(bindparam("hashes", expanding=True))
)
_RECORD_COLUMNS = (
    "trace_id",
    "operation_id",
    "parent_operation_id",
    "name",
    "start_time",
    "end_time",
    "status_code",
    "processing_activity_id",
    "data_subject_id",
    "instance_id",
    "actor",
)


def _records_statement(dialect: str) -> Any:
    """One INSERT for every record of a processing: its fields bound once, the cases as a JSON list.

    ``cases`` is ``[[data_subject_id, instance_id], ...]``; the records are inserted in its order.
    A list of 50 cases is one statement with ten parameters, whatever the number of cases.
    """
    text_param = {name: bindparam(name, type_=String()) for name in _RECORD_COLUMNS}
    time_param = {name: bindparam(name, type_=UTCDateTime()) for name in ("start_time", "end_time")}
    cases_json = bindparam("cases", type_=String())
    subject: Any
    instance: Any
    if dialect == "postgresql":
        cases = func.jsonb_array_elements(cast(cases_json, postgresql.JSONB)).table_valued(
            "value", with_ordinality="ordinality"
        )
        subject, instance = cases.c.value.op("->>")(0), cases.c.value.op("->>")(1)
        order = cases.c.ordinality
    else:
        cases = func.json_each(cases_json).table_valued("key", "value")
        subject, instance = func.json_extract(cases.c.value, "$[0]"), func.json_extract(cases.c.value, "$[1]")
        order = cases.c.key
    values = select(
        text_param["trace_id"],
        text_param["operation_id"],
        text_param["parent_operation_id"],
        text_param["name"],
        time_param["start_time"],
        time_param["end_time"],
        text_param["status_code"],
        text_param["processing_activity_id"],
        subject,
        instance,
        text_param["actor"],
    ).select_from(cases)
    return insert(processing_records).from_select(list(_RECORD_COLUMNS), values.order_by(order))


_RECORDS = {dialect: _records_statement(dialect) for dialect in ("sqlite", "postgresql")}


def _insert_records(conn: Connection) -> Any:
    return _RECORDS["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]


class SubjectCache:
    """Pseudonyms of one database already committed, by subject hash (never by V-nummer).

    A pseudonym, once stored, never changes and is never removed (a key rotation adds a hash next
    to the old one), so a process may keep what it has seen: a worklist page of 50 cases then
    reads no pseudonym at all. Only what committed goes in (:meth:`add` after the commit): an id a
    rolled-back transaction made is never used again. Bounded: past ``size`` it starts over.
    """

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._ids: dict[str, str] = {}

    def get(self, subject_hash: str) -> str | None:
        return self._ids.get(subject_hash)

    def add(self, ids: Mapping[str, str]) -> None:
        if len(self._ids) + len(ids) > self.size:
            self._ids = {}
        self._ids.update(ids)

    def clear(self) -> None:
        self._ids = {}


_subject_caches: weakref.WeakKeyDictionary[Engine, SubjectCache] = weakref.WeakKeyDictionary()
_subject_caches_guard = threading.Lock()


def subject_cache(engine: Engine) -> SubjectCache:
    """This process's :class:`SubjectCache` of ``engine``'s database."""
    cache = _subject_caches.get(engine)
    if cache is None:
        with _subject_caches_guard:
            cache = _subject_caches.setdefault(engine, SubjectCache())
    return cache


def data_subject_ids(
    conn: Connection,
    v_nummers: Iterable[str],
    *,
    key: str,
    now: datetime,
    previous_keys: Sequence[str] = (),
    cache: SubjectCache | None = None,
    learned: dict[str, str] | None = None,
) -> dict[str, str]:
    """The pseudonym of each V-nummer, by V-nummer: made on first use.

    A V-nummer first seen under ``key`` that a previous key knows keeps its pseudonym. ``cache``:
    committed pseudonyms to use without reading; ``learned`` receives (hash, id) of every one this
    call read or made, for the cache once the caller's transaction committed.
    """
    wanted = set(v_nummers)
    if not wanted:
        return {}
    hashes = {subject_hash(key, v): v for v in wanted}
    found: dict[str, str] = {}
    if cache is not None:
        for h, v in hashes.items():
            known = cache.get(h)
            if known is not None:
                found[v] = known
        if len(found) == len(wanted):
            return found

    def lookup(k: str, among: set[str]) -> dict[str, str]:
        by_hash = hashes if k == key else {subject_hash(k, v): v for v in among}
        wanted_hashes = [h for h, v in by_hash.items() if v in among]
        rows = conn.execute(_SUBJECTS, {"hashes": wanted_hashes})
        return {by_hash[r.subject_hash]: r.id for r in rows}

    found.update(lookup(key, wanted - set(found)))
    missing = wanted - set(found)
    if missing:
        reuse: dict[str, str] = {}
        for old in previous_keys:
            if old and old != key and missing - set(reuse):
                reuse.update(lookup(old, missing - set(reuse)))
        rows = [
            {"subject_hash": h, "id": reuse.get(v) or str(uuid.uuid4()), "created_at": now}
            for h, v in hashes.items()
            if v in missing
        ]
        stored = _insert_ignoring_duplicates(conn, rows)
        found.update({hashes[h]: i for h, i in stored.items()})
        raced = missing - set(found)  # stored meanwhile by a concurrent writer: read theirs
        if raced:
            found.update(lookup(key, raced))
    if learned is not None:
        learned.update({h: found[v] for h, v in hashes.items() if v in found})
    return found


def append_records(
    conn: Connection,
    processing: Processing,
    instance_ids: Sequence[str],
    *,
    key: str,
    previous_keys: Sequence[str] = (),
    business_keys: Mapping[str, str | None] | None = None,
    cache: SubjectCache | None = None,
    learned: dict[str, str] | None = None,
) -> int:
    """Write one record of ``processing`` per instance (per data subject); returns how many.

    ``business_keys``: the instances' business keys where the caller knows them (else read).
    ``cache`` and ``learned``: as :func:`data_subject_ids`. The records go in one statement.
    """
    ids = list(dict.fromkeys(instance_ids))
    if not ids:
        return 0
    if business_keys is not None and all(i in business_keys for i in ids):
        keys = {i: business_keys[i] for i in ids}
    else:
        keys = dict(
            conn.execute(
                select(process_instances.c.id, process_instances.c.business_key).where(
                    process_instances.c.id.in_(ids)
                )
            ).all()
        )
    subjects = data_subject_ids(
        conn,
        [k for k in keys.values() if k],
        key=key,
        now=processing.end_time,
        previous_keys=previous_keys,
        cache=cache,
        learned=learned,
    )
    cases = [[subjects.get(keys.get(instance_id) or ""), instance_id] for instance_id in ids]
    conn.execute(
        _insert_records(conn),
        {
            "trace_id": processing.trace_id,
            "operation_id": processing.operation_id,
            "parent_operation_id": processing.parent_operation_id,
            "name": processing.name[:200],
            "start_time": processing.start_time,
            "end_time": processing.end_time,
            "status_code": processing.status_code,
            "processing_activity_id": processing.activity,
            "actor": processing.actor[:200],
            "cases": json.dumps(cases),
        },
    )
    return len(cases)


def append_subject_record(
    conn: Connection,
    processing: Processing,
    v_nummer: str,
    *,
    key: str,
    previous_keys: Sequence[str] = (),
) -> None:
    """Write one record of ``processing`` about the person with ``v_nummer`` (no instance needed)."""
    subject = data_subject_ids(
        conn, [v_nummer], key=key, now=processing.end_time, previous_keys=previous_keys
    )
    conn.execute(
        insert(processing_records).values(
            trace_id=processing.trace_id,
            operation_id=processing.operation_id,
            parent_operation_id=processing.parent_operation_id,
            name=processing.name[:200],
            start_time=processing.start_time,
            end_time=processing.end_time,
            status_code=processing.status_code,
            processing_activity_id=processing.activity,
            data_subject_id=subject[v_nummer],
            instance_id=None,
            actor=processing.actor[:200],
        )
    )


def subject_ids_for(conn: Connection, v_nummer: str, keys: Sequence[str]) -> list[str]:
    """The pseudonyms a V-nummer has under the current and any previous key."""
    hashes = [subject_hash(k, v_nummer) for k in dict.fromkeys(keys) if k]
    if not hashes:
        return []
    return sorted(
        set(
            conn.execute(select(data_subjects.c.id).where(data_subjects.c.subject_hash.in_(hashes))).scalars()
        )
    )


def records_of(conn: Connection, v_nummer: str, keys: Sequence[str]) -> list[Any]:
    """Every record about the person with ``v_nummer``, oldest first."""
    subjects = subject_ids_for(conn, v_nummer, keys)
    if not subjects:
        return []
    return list(
        conn.execute(
            select(processing_records)
            .where(processing_records.c.data_subject_id.in_(subjects))
            .order_by(processing_records.c.start_time, processing_records.c.id)
        ).all()
    )


def records_of_trace(conn: Connection, trace_id: str) -> list[Any]:
    """Every record written under one trace, oldest first (for operators following a request)."""
    return list(
        conn.execute(
            select(processing_records)
            .where(processing_records.c.trace_id == trace_id)
            .order_by(processing_records.c.id)
        ).all()
    )


def purge_records(conn: Connection, now: datetime, retention_days: int, *, limit: int = 5000) -> int:
    """Remove up to ``limit`` records that started more than ``retention_days`` ago; returns how many.

    Moves the retention horizon forward first (never back), the only thing the triggers let a
    DELETE through for.
    """
    if retention_days < 1:
        raise ValueError("the retention term of the processing log is at least one day")
    horizon = now - timedelta(days=retention_days)
    current = conn.execute(
        select(processing_log_horizon.c.horizon).where(processing_log_horizon.c.id == 1)
    ).scalar()
    if current is None:
        conn.execute(insert(processing_log_horizon).values(id=1, horizon=horizon))
    elif current < horizon:
        conn.execute(
            update(processing_log_horizon).where(processing_log_horizon.c.id == 1).values(horizon=horizon)
        )
    else:
        horizon = current
    ids = list(
        conn.execute(
            select(processing_records.c.id)
            .where(processing_records.c.start_time < horizon)
            .order_by(processing_records.c.id)
            .limit(limit)
        ).scalars()
    )
    if not ids:
        return 0
    return int(conn.execute(delete(processing_records).where(processing_records.c.id.in_(ids))).rowcount)


def count_records(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(processing_records)).scalar_one())


def rehash_data_subjects(conn: Connection, new_key: str, old_keys: Sequence[str]) -> tuple[int, int]:
    """After a secret-key rotation: let the new key's hash find each known pseudonym too.

    The V-nummer comes from the stored business keys (old hash -> V-nummer -> new hash); the new
    hash is added next to the old one and points at the same pseudonym, so no record changes.
    Returns (re-keyed, left): hashes of V-nummers no stored instance carries any more (purged)
    cannot be re-derived, and stay findable only while their old key is among the previous keys.
    """
    business_keys = set(
        conn.execute(
            select(process_instances.c.business_key).where(process_instances.c.business_key.is_not(None))
        ).scalars()
    )
    current = {subject_hash(new_key, bk) for bk in business_keys}
    renamed = {subject_hash(old, bk): subject_hash(new_key, bk) for old in old_keys for bk in business_keys}
    rows = conn.execute(
        select(data_subjects.c.subject_hash, data_subjects.c.id, data_subjects.c.created_at)
    ).all()
    have = {r.subject_hash for r in rows}
    added: list[dict[str, Any]] = []
    left = 0
    for row in rows:
        if row.subject_hash in current:
            continue
        new_hash = renamed.get(row.subject_hash)
        if new_hash is None:
            left += 1
        elif new_hash not in have:
            added.append({"subject_hash": new_hash, "id": row.id, "created_at": row.created_at})
            have.add(new_hash)
    if added:
        _insert_ignoring_duplicates(conn, added)
    return len(added), left

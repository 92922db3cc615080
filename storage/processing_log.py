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
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.schema import data_subjects, process_instances, processing_log_horizon, processing_records

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
_INSERT_RECORDS = insert(processing_records)


def data_subject_ids(
    conn: Connection,
    v_nummers: Iterable[str],
    *,
    key: str,
    now: datetime,
    previous_keys: Sequence[str] = (),
) -> dict[str, str]:
    """The pseudonym of each V-nummer, by V-nummer: made on first use.

    A V-nummer first seen under ``key`` that a previous key knows keeps its pseudonym.
    """
    wanted = set(v_nummers)
    if not wanted:
        return {}

    def lookup(k: str, among: set[str]) -> dict[str, str]:
        hashes = {subject_hash(k, v): v for v in among}
        rows = conn.execute(_SUBJECTS, {"hashes": list(hashes)})
        return {hashes[r.subject_hash]: r.id for r in rows}

    found = lookup(key, wanted)
    missing = wanted - set(found)
    if not missing:
        return found
    reuse: dict[str, str] = {}
    for old in previous_keys:
        if old and old != key and missing - set(reuse):
            reuse.update(lookup(old, missing - set(reuse)))
    hashes = {subject_hash(key, v): v for v in missing}
    rows = [
        {"subject_hash": h, "id": reuse.get(v) or str(uuid.uuid4()), "created_at": now}
        for h, v in hashes.items()
    ]
    stored = _insert_ignoring_duplicates(conn, rows)
    found.update({hashes[h]: i for h, i in stored.items()})
    raced = missing - set(found)  # stored meanwhile by a concurrent writer: read theirs
    if raced:
        found.update(lookup(key, raced))
    return found


def append_records(
    conn: Connection,
    processing: Processing,
    instance_ids: Sequence[str],
    *,
    key: str,
    previous_keys: Sequence[str] = (),
    business_keys: Mapping[str, str | None] | None = None,
) -> int:
    """Write one record of ``processing`` per instance (per data subject); returns how many.

    ``business_keys``: the instances' business keys where the caller knows them (else read).
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
        conn, [k for k in keys.values() if k], key=key, now=processing.end_time, previous_keys=previous_keys
    )
    rows = [
        {
            "trace_id": processing.trace_id,
            "operation_id": processing.operation_id,
            "parent_operation_id": processing.parent_operation_id,
            "name": processing.name[:200],
            "start_time": processing.start_time,
            "end_time": processing.end_time,
            "status_code": processing.status_code,
            "processing_activity_id": processing.activity,
            "data_subject_id": subjects.get(keys.get(instance_id) or ""),
            "instance_id": instance_id,
            "actor": processing.actor[:200],
        }
        for instance_id in ids
    ]
    conn.execute(_INSERT_RECORDS, rows)
    return len(rows)


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

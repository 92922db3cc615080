"""Timer start events in the timers table: rows of a process definition, not of an instance.

A start timer row has no ``instance_id``; it names the process (``process_key``, ``version``) and the
start event (``element_id``), and for a cycle keeps in ``schedule`` what the next time is taken from.
The worker claims it like any timer (``storage.timer_store``); firing it starts an instance and, in
the same transaction, deletes the row or moves it to its next time, on condition that the claim and
due time are still the ones the firing read. So a start timer fires once per due time, whatever the
number of workers, and a deploy that replaces it meanwhile wins.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from engine.start_timers import Schedule
from storage.schema import timers

_COLUMNS = (
    timers.c.id,
    timers.c.instance_id,
    timers.c.process_key,
    timers.c.version,
    timers.c.element_id,
    timers.c.due_at,
    timers.c.schedule,
    timers.c.claimed_by,
    timers.c.claimed_until,
    timers.c.incident_id,
)


def replace_start_timers(
    conn: Connection,
    process_key: str,
    version: int,
    schedules: Sequence[tuple[str, Schedule]],
    *,
    now: datetime,
) -> list[str]:
    """The start timers of ``process_key`` become those of ``version`` (a new latest version).

    The older versions' timers are deleted (an incident holding one is resolved with it); returns
    the ids of the new rows.
    """
    from storage import incidents

    old = conn.execute(
        select(timers.c.id, timers.c.incident_id).where(
            timers.c.process_key == process_key, timers.c.instance_id.is_(None)
        )
    ).all()
    for row in old:
        if row.incident_id is not None:
            incidents.resolve_incident(conn, row.incident_id, now=now, by="system")
    if old:
        conn.execute(delete(timers).where(timers.c.id.in_([r.id for r in old])))
    rows: list[dict[str, Any]] = [
        {
            "id": str(uuid.uuid4()),
            "instance_id": None,
            "process_key": process_key,
            "version": version,
            "element_id": element_id,
            "due_at": schedule.due_at,
            "schedule": schedule.state,
            "gemeente": None,
            "attempts": 0,
        }
        for element_id, schedule in schedules
    ]
    if rows:
        conn.execute(insert(timers), rows)
    return [str(r["id"]) for r in rows]


def get_start_timer(conn: Connection, timer_id: str) -> Any:
    """The start timer row ``timer_id`` (None when it is gone, or is a timer of an instance)."""
    return conn.execute(
        select(*_COLUMNS).where(timers.c.id == timer_id, timers.c.instance_id.is_(None))
    ).first()


def start_timers_of(conn: Connection, process_key: str | None = None) -> Sequence[Any]:
    """The scheduled start timers (of ``process_key``), soonest first."""
    query = select(*_COLUMNS).where(timers.c.instance_id.is_(None))
    if process_key is not None:
        query = query.where(timers.c.process_key == process_key)
    return conn.execute(query.order_by(timers.c.due_at, timers.c.id)).all()


def claim_start_timer(
    conn: Connection, timer_id: str, worker_id: str, lease_until: datetime, now: datetime
) -> bool:
    """Claim one start timer whether due or not (an operator's "fire now"); False when a live lease
    or an open incident holds it, or it is gone."""
    result = conn.execute(
        update(timers)
        .where(
            timers.c.id == timer_id,
            timers.c.instance_id.is_(None),
            timers.c.incident_id.is_(None),
            (timers.c.claimed_until.is_(None)) | (timers.c.claimed_until < now),
        )
        .values(claimed_by=worker_id, claimed_until=lease_until)
    )
    return result.rowcount == 1


def consume_start_timer(conn: Connection, row: Any, worker_id: str, following: Schedule | None) -> bool:
    """The start timer ``row`` fired: delete it, or move it to ``following`` (a cycle's next time).

    Only while this worker still holds the claim it fired on and the due time is the one it read;
    False otherwise (then the caller rolls back the instance it started).
    """
    condition = (
        (timers.c.id == row.id)
        & (timers.c.claimed_by == worker_id)
        & (timers.c.due_at == row.due_at)
        & timers.c.incident_id.is_(None)
    )
    if following is None:
        return conn.execute(delete(timers).where(condition)).rowcount == 1
    result = conn.execute(
        update(timers)
        .where(condition)
        .values(
            due_at=following.due_at,
            schedule=following.state,
            claimed_by=None,
            claimed_until=None,
            attempts=0,
            last_error=None,
        )
    )
    return result.rowcount == 1


def reschedule_start_timer(conn: Connection, timer_id: str, due_at: datetime) -> bool:
    """Give a start timer a new due time (a firing in flight on the old one then does not go through)."""
    result = conn.execute(
        update(timers)
        .where(timers.c.id == timer_id, timers.c.instance_id.is_(None))
        .values(due_at=due_at, claimed_by=None, claimed_until=None)
    )
    return result.rowcount == 1

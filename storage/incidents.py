"""Incidents: work that failed and waits for an operator, as Camunda's incidents.

A worker that cannot finish a piece of work (a timer step over its budget, an external task out of
retries, a webhook delivery that died) opens an incident in the same transaction in which it gives
the work up, and moves on. An operator lists them (``GET /incidents``) and, once the cause is fixed,
retries one (``POST /incidents/{id}/retry``): the incident is resolved and its work is due again at
once; if it fails again, a new incident opens.

The calls other modules make::

    incident = open_incident(conn, kind="external-task", subject_id=task_id, message="...",
                             now=now, instance_id=..., element_id=..., gemeente=...)
    register_retry("external-task", rearm)   # rearm(conn, incident, now): make the work due again

At most one incident is open per (kind, subject): opening a second one returns the first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.errors import ConflictError, NotFound
from storage.listing import Page, _page
from storage.schema import incidents, timers

#: Kinds of incident: what failed.
TIMER = "timer"
EXTERNAL_TASK = "external-task"
DELIVERY = "delivery"
OPEN = "open"
RESOLVED = "resolved"
STATUSES = (OPEN, RESOLVED)
#: An incident's message is a hint for operators, not a log: kept short.
MAX_MESSAGE_LENGTH = 2000


@dataclass(frozen=True)
class Incident:
    """One failure waiting for (or resolved by) an operator."""

    id: str
    kind: str
    status: str
    message: str
    created_at: datetime
    instance_id: str | None = None
    gemeente: str | None = None
    element_id: str | None = None
    subject_id: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None


RetryHandler = Callable[[Connection, Incident, datetime], None]
_RETRY: dict[str, RetryHandler] = {}


def register_retry(kind: str, handler: RetryHandler) -> None:
    """Make ``handler(conn, incident, now)`` the way to re-arm the work of incidents of ``kind``.

    It runs in the retry's transaction, before the incident is marked resolved; raising rolls both back.
    """
    _RETRY[kind] = handler


def _incident(row: Any) -> Incident:
    return Incident(
        id=row.id,
        kind=row.kind,
        status=row.status,
        message=row.message,
        created_at=row.created_at,
        instance_id=row.instance_id,
        gemeente=row.gemeente,
        element_id=row.element_id,
        subject_id=row.subject_id,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
    )


def _open_for(conn: Connection, kind: str, subject_id: str) -> Incident | None:
    row = conn.execute(
        select(incidents).where(
            incidents.c.kind == kind, incidents.c.subject_id == subject_id, incidents.c.status == OPEN
        )
    ).first()
    return _incident(row) if row is not None else None


def open_incident(
    conn: Connection,
    *,
    kind: str,
    message: str,
    now: datetime,
    subject_id: str | None = None,
    instance_id: str | None = None,
    element_id: str | None = None,
    gemeente: str | None = None,
) -> Incident:
    """Open an incident in the caller's transaction; an open one for the same subject is returned as is.

    Never put a V-nummer or BSN in ``message``: incidents are read by operators and listed by id.
    """
    if subject_id is not None:
        existing = _open_for(conn, kind, subject_id)
        if existing is not None:
            return existing
    values = {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "status": OPEN,
        "instance_id": instance_id,
        "gemeente": gemeente,
        "element_id": element_id,
        "subject_id": subject_id,
        "message": message[:MAX_MESSAGE_LENGTH],
        "created_at": now,
    }
    try:
        with conn.begin_nested():
            conn.execute(insert(incidents).values(**values))
    except IntegrityError:
        # A concurrent worker opened it first (the partial unique index on open subjects).
        existing = _open_for(conn, kind, subject_id) if subject_id is not None else None
        if existing is None:
            raise
        return existing
    return Incident(**{k: v for k, v in values.items()})  # type: ignore[arg-type]


def get_incident(conn: Connection, incident_id: str) -> Incident | None:
    row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
    return _incident(row) if row is not None else None


def list_incidents(
    conn: Connection,
    *,
    instance_id: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """Incidents, newest first; rows are :class:`Incident` values."""
    query = select(incidents)
    if instance_id is not None:
        query = query.where(incidents.c.instance_id == instance_id)
    if status is not None:
        query = query.where(incidents.c.status == status)
    if kind is not None:
        query = query.where(incidents.c.kind == kind)
    page = _page(conn, query, (incidents.c.created_at.desc(), incidents.c.id), offset, limit)
    return Page([_incident(r) for r in page.rows], page.total)


def count_open(conn: Connection) -> int:
    """How many incidents are open."""
    return int(
        conn.execute(
            select(func.count()).select_from(incidents).where(incidents.c.status == OPEN)
        ).scalar_one()
    )


def resolve_incident(conn: Connection, incident_id: str, *, now: datetime, by: str) -> bool:
    """Mark an open incident resolved without re-arming its work (its cause went away by itself)."""
    changed = conn.execute(
        update(incidents)
        .where(incidents.c.id == incident_id, incidents.c.status == OPEN)
        .values(status=RESOLVED, resolved_at=now, resolved_by=by)
    ).rowcount
    return bool(changed)


def retry_incident(conn: Connection, incident_id: str, *, now: datetime, by: str) -> Incident:
    """Re-arm the incident's work so that a worker does it again at once, and resolve the incident.

    NotFound for an unknown id; ConflictError when the incident is no longer open.
    """
    incident = get_incident(conn, incident_id)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    if incident.status != OPEN:
        raise ConflictError(f"the incident is {incident.status}")
    handler = _RETRY.get(incident.kind)
    if handler is not None:
        handler(conn, incident, now)
    if not resolve_incident(conn, incident_id, now=now, by=by):
        raise ConflictError("the incident was resolved meanwhile")
    resolved = get_incident(conn, incident_id)
    assert resolved is not None
    return resolved


# -- the kinds storage knows itself -----------------------------------------------------------------
def open_timer_incident(
    conn: Connection, *, timer_ids: Sequence[str], message: str, now: datetime
) -> Incident | None:
    """One incident for a failed timer step, holding every timer of ``timer_ids`` until it is retried.

    The timers belong to one instance (a step fires all its due timers at once). None when none of
    them is pending any more.
    """
    rows = conn.execute(
        select(timers.c.id, timers.c.instance_id, timers.c.element_id, timers.c.gemeente)
        .where(timers.c.id.in_(list(timer_ids)))
        .order_by(timers.c.due_at, timers.c.id)
    ).all()
    if not rows:
        return None
    first = rows[0]
    incident = open_incident(
        conn,
        kind=TIMER,
        subject_id=first.id,
        instance_id=first.instance_id,
        element_id=first.element_id,
        gemeente=first.gemeente,
        message=message,
        now=now,
    )
    conn.execute(
        update(timers)
        .where(timers.c.id.in_([r.id for r in rows]))
        .values(
            incident_id=incident.id,
            attempts=timers.c.attempts + 1,
            last_error=message[:500],
            claimed_by=None,
            claimed_until=None,
        )
    )
    return incident


def _rearm_timer(conn: Connection, incident: Incident, now: datetime) -> None:
    conn.execute(
        update(timers)
        .where(timers.c.incident_id == incident.id)
        .values(incident_id=None, attempts=0, last_error=None, claimed_by=None, claimed_until=None)
    )


def _rearm_delivery(conn: Connection, incident: Incident, now: datetime) -> None:
    from storage.webhook_schema import deliveries

    if incident.subject_id is None:
        return
    conn.execute(
        update(deliveries)
        .where(deliveries.c.id == incident.subject_id, deliveries.c.status == "dead")
        .values(
            status="pending",
            attempts=0,
            first_attempt_at=None,
            next_attempt_at=now,
            claimed_by=None,
            claimed_until=None,
        )
    )


register_retry(TIMER, _rearm_timer)
register_retry(DELIVERY, _rearm_delivery)

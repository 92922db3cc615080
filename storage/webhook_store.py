"""All SQL for webhooks: subscriptions, outbox fan-out, delivery claims and results, inbound events.

Workers share the delivery work through the database: a claim is a conditional UPDATE that sets a
lease (``claimed_until``), plus ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so that concurrent workers
skip each other's rows instead of waiting. A worker that dies mid-delivery loses nothing: its lease
runs out and the delivery is claimed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from storage.schema import organisations, outbox_events
from storage.webhook_schema import deliveries, delivery_attempts, inbound_events, subscriptions

#: Advisory lock key that serialises outbox fan-out on PostgreSQL (so deliveries of one instance are
#: always created in outbox order, whatever number of workers run).
FAN_OUT_LOCK_KEY = 7_301_006


@dataclass(frozen=True)
class SubscriptionRecord:
    """A subscription as the API shows it; the secret is never part of it."""

    id: str
    org_code: str
    url: str
    event_types: tuple[str, ...]
    active: bool
    disabled_reason: str | None
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class ClaimedDelivery:
    """One delivery a worker holds the lease on, with all it needs to send it."""

    id: str
    subscription_id: str
    url: str
    secret: str
    event_id: str
    event_type: str
    instance_id: str
    seq: int
    attempts: int
    first_attempt_at: datetime
    event_data: dict[str, Any]
    event_time: datetime
    lease_expired_before: bool


def _is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _subscription(row: Any) -> SubscriptionRecord:
    return SubscriptionRecord(
        id=row.id,
        org_code=row.org_code,
        url=row.url,
        event_types=tuple(row.event_types or ()),
        active=bool(row.active),
        disabled_reason=row.disabled_reason,
        created_at=row.created_at,
        created_by=row.created_by,
    )


# -- subscriptions ---------------------------------------------------------------------------------
def insert_subscription(
    conn: Connection,
    *,
    subscription_id: str,
    org_code: str,
    url: str,
    event_types: Sequence[str],
    secret: str,
    actor: str,
    now: datetime,
) -> SubscriptionRecord:
    conn.execute(
        insert(subscriptions).values(
            id=subscription_id,
            org_code=org_code,
            url=url,
            event_types=list(event_types),
            secret=secret,
            active=True,
            created_at=now,
            created_by=actor,
        )
    )
    record = get_subscription(conn, subscription_id)
    assert record is not None
    return record


def subscriptions_of(conn: Connection, org_code: str) -> list[SubscriptionRecord]:
    """An organisation's subscriptions that were not deleted, its row locked for the caller's
    transaction (``FOR UPDATE`` on PostgreSQL; SQLite's writer holds the whole database), so that
    a check of this list and an insert that follows it cannot race another request's."""
    conn.execute(select(organisations.c.code).where(organisations.c.code == org_code).with_for_update())
    rows = conn.execute(
        select(subscriptions)
        .where(subscriptions.c.org_code == org_code, subscriptions.c.deleted_at.is_(None))
        .order_by(subscriptions.c.created_at, subscriptions.c.id)
    ).all()
    return [_subscription(row) for row in rows]


def get_subscription(conn: Connection, subscription_id: str) -> SubscriptionRecord | None:
    """A subscription that was not deleted, or None."""
    row = conn.execute(
        select(subscriptions).where(
            subscriptions.c.id == subscription_id, subscriptions.c.deleted_at.is_(None)
        )
    ).first()
    return _subscription(row) if row is not None else None


def list_subscriptions(
    conn: Connection, *, org_code: str | None, offset: int, limit: int
) -> tuple[list[SubscriptionRecord], int]:
    """Subscriptions that were not deleted, oldest first; ``org_code`` None lists every organisation."""
    where: list[ColumnElement[bool]] = [subscriptions.c.deleted_at.is_(None)]
    if org_code is not None:
        where.append(subscriptions.c.org_code == org_code)
    total = conn.execute(select(func.count()).select_from(subscriptions).where(*where)).scalar_one()
    rows = conn.execute(
        select(subscriptions)
        .where(*where)
        .order_by(subscriptions.c.created_at, subscriptions.c.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [_subscription(r) for r in rows], int(total)


def _end_pending_deliveries(conn: Connection, subscription_id: str, reason: str, now: datetime) -> None:
    conn.execute(
        update(deliveries)
        .where(deliveries.c.subscription_id == subscription_id, deliveries.c.status == "pending")
        .values(status="dead", last_error=reason, claimed_by=None, claimed_until=None)
    )


def delete_subscription(conn: Connection, subscription_id: str, now: datetime) -> bool:
    """Stop a subscription for good; its delivery log stays for operators. False when there is none."""
    changed = conn.execute(
        update(subscriptions)
        .where(subscriptions.c.id == subscription_id, subscriptions.c.deleted_at.is_(None))
        .values(deleted_at=now, active=False, disabled_reason="deleted")
    ).rowcount
    if changed:
        _end_pending_deliveries(conn, subscription_id, "subscription deleted", now)
    return bool(changed)


def disable_subscription(conn: Connection, subscription_id: str, reason: str, now: datetime) -> None:
    """Deactivate a subscription (the receiver answered 410 Gone); pending deliveries become dead."""
    conn.execute(
        update(subscriptions)
        .where(subscriptions.c.id == subscription_id)
        .values(active=False, disabled_reason=reason)
    )
    _end_pending_deliveries(conn, subscription_id, f"subscription disabled: {reason}", now)


# -- outbox fan-out --------------------------------------------------------------------------------
def fan_out_events(conn: Connection, *, now: datetime, new_id: Any, limit: int) -> int:
    """Turn undispatched outbox events into deliveries for matching subscriptions; mark them dispatched.

    A gemeente's subscription matches only events whose ``gemeente`` is its own organisation code;
    a COA or systeem subscription matches every gemeente. Only the event types a subscription asked
    for are delivered, and only events that happened after it was created. Runs in the caller's
    (write) transaction; ``new_id`` makes delivery ids. Returns the number of events dispatched.
    """
    if _is_postgres(conn):
        got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": FAN_OUT_LOCK_KEY})
        if not got.scalar():
            return 0  # another worker is fanning out right now
    events = conn.execute(
        select(outbox_events)
        .where(outbox_events.c.dispatched.is_(False))
        .order_by(outbox_events.c.seq)
        .limit(limit)
    ).all()
    if not events:
        return 0
    subs = conn.execute(
        select(
            subscriptions.c.id,
            subscriptions.c.org_code,
            subscriptions.c.event_types,
            subscriptions.c.created_at,
            organisations.c.kind,
        )
        .join(organisations, organisations.c.code == subscriptions.c.org_code)
        .where(subscriptions.c.active.is_(True), subscriptions.c.deleted_at.is_(None))
    ).all()
    rows = []
    for event in events:
        full_type = "nl.inburgering." + event.type
        for sub in subs:
            if full_type not in (sub.event_types or ()) or sub.created_at > event.created_at:
                continue
            if sub.kind == "gemeente" and sub.org_code != event.gemeente:
                continue
            rows.append(
                {
                    "id": new_id(),
                    "subscription_id": sub.id,
                    "event_id": event.id,
                    "event_type": event.type,
                    "instance_id": event.instance_id,
                    "seq": event.seq,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
    if rows:
        conn.execute(insert(deliveries), rows)
    conn.execute(
        update(outbox_events).where(outbox_events.c.seq.in_([e.seq for e in events])).values(dispatched=True)
    )
    return len(events)


# -- delivery claims and results -------------------------------------------------------------------
def claim_deliveries(
    conn: Connection, *, worker_id: str, now: datetime, lease_until: datetime, limit: int
) -> list[ClaimedDelivery]:
    """Claim due deliveries, at most one per (subscription, instance): the oldest still pending.

    A delivery is due when it is pending, its ``next_attempt_at`` has come and no lease on it is
    running. Delivery n+1 of an instance is not due while delivery n is pending (in flight or waiting
    for a retry): per instance, events go out in order. The claim counts the attempt and moves
    ``next_attempt_at`` to the end of the lease, so a worker that dies leaves it due again then.
    """
    earlier = deliveries.alias("earlier")
    query = (
        select(deliveries.c.id, deliveries.c.claimed_until)
        .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
        .where(
            deliveries.c.status == "pending",
            deliveries.c.next_attempt_at <= now,
            or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until <= now),
            subscriptions.c.active.is_(True),
            ~exists().where(
                and_(
                    earlier.c.subscription_id == deliveries.c.subscription_id,
                    earlier.c.instance_id == deliveries.c.instance_id,
                    earlier.c.seq < deliveries.c.seq,
                    earlier.c.status == "pending",
                )
            ),
        )
        .order_by(deliveries.c.next_attempt_at, deliveries.c.seq)
        .limit(limit)
    )
    if _is_postgres(conn):
        query = query.with_for_update(skip_locked=True, of=deliveries)
    candidates = conn.execute(query).all()
    claimed_ids: list[tuple[str, bool]] = []
    for cand in candidates:
        changed = conn.execute(
            update(deliveries)
            .where(
                deliveries.c.id == cand.id,
                deliveries.c.status == "pending",
                deliveries.c.next_attempt_at <= now,
                or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until <= now),
            )
            .values(
                claimed_by=worker_id,
                claimed_until=lease_until,
                next_attempt_at=lease_until,
                attempts=deliveries.c.attempts + 1,
                first_attempt_at=func.coalesce(deliveries.c.first_attempt_at, now),
            )
        ).rowcount
        if changed == 1:
            claimed_ids.append((cand.id, cand.claimed_until is not None))
    if not claimed_ids:
        return []
    expired = dict(claimed_ids)
    rows = conn.execute(
        select(
            deliveries,
            subscriptions.c.url,
            subscriptions.c.secret,
            outbox_events.c.data.label("event_data"),
            outbox_events.c.created_at.label("event_time"),
        )
        .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
        .join(outbox_events, outbox_events.c.id == deliveries.c.event_id)
        .where(deliveries.c.id.in_(list(expired)))
        .order_by(deliveries.c.seq)
    ).all()
    for row in rows:
        if expired[row.id]:
            conn.execute(
                insert(delivery_attempts).values(
                    delivery_id=row.id,
                    at=now,
                    error="the previous attempt did not finish (worker lost; lease expired)",
                    worker_id=worker_id,
                )
            )
    return [
        ClaimedDelivery(
            id=r.id,
            subscription_id=r.subscription_id,
            url=r.url,
            secret=r.secret,
            event_id=r.event_id,
            event_type=r.event_type,
            instance_id=r.instance_id,
            seq=r.seq,
            attempts=r.attempts,
            first_attempt_at=r.first_attempt_at,
            event_data=dict(r.event_data or {}),
            event_time=r.event_time,
            lease_expired_before=expired[r.id],
        )
        for r in rows
    ]


def log_attempt(
    conn: Connection,
    *,
    delivery_id: str,
    worker_id: str,
    at: datetime,
    status_code: int | None,
    duration_ms: int,
    error: str | None,
) -> None:
    conn.execute(
        insert(delivery_attempts).values(
            delivery_id=delivery_id,
            at=at,
            status_code=status_code,
            duration_ms=duration_ms,
            error=error,
            worker_id=worker_id,
        )
    )


def mark_delivered(conn: Connection, *, delivery_id: str, now: datetime, status_code: int) -> None:
    """Record success, even when this worker's lease ran out meanwhile (receivers dedupe by id)."""
    conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.status == "pending")
        .values(
            status="delivered",
            delivered_at=now,
            last_status=status_code,
            last_error=None,
            claimed_by=None,
            claimed_until=None,
        )
    )


def mark_failed(
    conn: Connection,
    *,
    delivery_id: str,
    worker_id: str,
    status_code: int | None,
    error: str,
    retry_at: datetime | None,
) -> bool:
    """Schedule a retry at ``retry_at``, or make the delivery dead when it is None.

    Only the worker holding the claim may do so; False when another worker took it over.
    """
    values: dict[str, Any] = {
        "last_status": status_code,
        "last_error": error,
        "claimed_by": None,
        "claimed_until": None,
    }
    if retry_at is None:
        values["status"] = "dead"
    else:
        values["next_attempt_at"] = retry_at
    changed = conn.execute(
        update(deliveries)
        .where(
            deliveries.c.id == delivery_id,
            deliveries.c.status == "pending",
            deliveries.c.claimed_by == worker_id,
        )
        .values(**values)
    ).rowcount
    return bool(changed)


def list_deliveries(
    conn: Connection,
    subscription_id: str,
    *,
    status: str | None,
    offset: int,
    limit: int,
    attempts_per_delivery: int = 20,
) -> tuple[list[dict[str, Any]], int]:
    """A subscription's deliveries, newest first, each with its latest attempts (oldest first)."""
    where: list[ColumnElement[bool]] = [deliveries.c.subscription_id == subscription_id]
    if status is not None:
        where.append(deliveries.c.status == status)
    total = conn.execute(select(func.count()).select_from(deliveries).where(*where)).scalar_one()
    rows = conn.execute(
        select(deliveries)
        .where(*where)
        .order_by(deliveries.c.created_at.desc(), deliveries.c.seq.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    log: dict[str, list[Any]] = {r.id: [] for r in rows}
    if rows:
        for a in conn.execute(
            select(delivery_attempts)
            .where(delivery_attempts.c.delivery_id.in_(list(log)))
            .order_by(delivery_attempts.c.id)
        ):
            log[a.delivery_id].append(a)
    items = []
    for r in rows:
        items.append(
            {
                "id": r.id,
                "eventId": r.event_id,
                "eventType": "nl.inburgering." + r.event_type,
                "processInstanceId": r.instance_id,
                "status": r.status,
                "attempts": r.attempts,
                "nextAttemptAt": r.next_attempt_at if r.status == "pending" else None,
                "lastStatus": r.last_status,
                "lastError": r.last_error,
                "createdAt": r.created_at,
                "deliveredAt": r.delivered_at,
                "attemptLog": [
                    {
                        "at": a.at,
                        "statusCode": a.status_code,
                        "durationMs": a.duration_ms,
                        "error": a.error,
                    }
                    for a in log[r.id][-attempts_per_delivery:]
                ],
            }
        )
    return items, int(total)


# -- inbound TVS events ----------------------------------------------------------------------------
def claim_inbound_event(
    conn: Connection,
    *,
    webhook_id: str,
    event_id: str,
    event_type: str,
    gemeente: str | None,
    subject_hash: str | None,
    now: datetime,
    lease_until: datetime,
) -> tuple[str, str | None]:
    """Store an inbound event, or find it stored, and say what the caller should do with it.

    ``"process"``: the caller holds it (new, or an earlier attempt failed or was lost) and must
    process it and call :func:`finish_inbound_event`. ``"done"``: it was processed or rejected
    before; nothing more happens. ``"busy"``: another request is processing it right now.
    The second value is the instance a finished event started or advanced.
    """
    try:
        with conn.begin_nested():
            conn.execute(
                insert(inbound_events).values(
                    webhook_id=webhook_id,
                    event_id=event_id,
                    type=event_type,
                    received_at=now,
                    status="received",
                    gemeente=gemeente,
                    subject_hash=subject_hash,
                    claimed_until=lease_until,
                )
            )
        return "process", None
    except IntegrityError:
        pass
    row = conn.execute(
        select(inbound_events.c.status, inbound_events.c.instance_id).where(
            inbound_events.c.webhook_id == webhook_id
        )
    ).first()
    if row is None or row.status in ("processed", "rejected"):
        return "done", None if row is None else row.instance_id
    changed = conn.execute(
        update(inbound_events)
        .where(
            inbound_events.c.webhook_id == webhook_id,
            inbound_events.c.status.in_(("received", "failed")),
            or_(inbound_events.c.claimed_until.is_(None), inbound_events.c.claimed_until <= now),
        )
        .values(claimed_until=lease_until)
    ).rowcount
    return ("process" if changed == 1 else "busy"), None


def finish_inbound_event(
    conn: Connection,
    *,
    webhook_id: str,
    status: str,
    now: datetime,
    outcome: str | None = None,
    error: str | None = None,
    instance_id: str | None = None,
) -> None:
    """Record how an inbound event ended: ``processed``, ``rejected`` or ``failed`` (retryable)."""
    conn.execute(
        update(inbound_events)
        .where(inbound_events.c.webhook_id == webhook_id)
        .values(
            status=status,
            outcome=outcome,
            error=error,
            instance_id=instance_id,
            processed_at=now,
            claimed_until=None,
        )
    )


def list_inbound_events(
    conn: Connection, *, status: str | None, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """Inbound events, newest first, as operators see them (no V-nummer, only its keyed hash)."""
    where: list[ColumnElement[bool]] = [] if status is None else [inbound_events.c.status == status]
    total = conn.execute(select(func.count()).select_from(inbound_events).where(*where)).scalar_one()
    rows = conn.execute(
        select(inbound_events)
        .where(*where)
        .order_by(inbound_events.c.received_at.desc(), inbound_events.c.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    items = [
        {
            "webhookId": r.webhook_id,
            "eventId": r.event_id,
            "type": r.type,
            "receivedAt": r.received_at,
            "status": r.status,
            "outcome": r.outcome,
            "error": r.error,
            "processInstanceId": r.instance_id,
            "gemeente": r.gemeente,
            "subjectHash": r.subject_hash,
            "processedAt": r.processed_at,
        }
        for r in rows
    ]
    return items, int(total)

"""Signal deliveries: who receives a thrown signal, chosen in the thrower's transaction, and their claims.

A signal is a broadcast: every instance waiting for it when it is thrown receives it, and every process
whose start event waits for it gets a new instance. The receivers are chosen from the indexed
``signal_waits`` table in the same transaction that writes the throwing step (or, for ``POST
/signals``, in one transaction of its own), one ``signal_deliveries`` row per receiver. A row is
deleted in the receiver's own step transaction, so a crash between the two leaves the row for the
worker and no receiver ever gets a signal twice.

Tenancy follows Camunda 7's rule for signals thrown inside a process instance (the gemeente is the
tenant): an instance of gemeente G reaches instances of G and instances without a gemeente; an
instance without a gemeente reaches only instances without one. A gemeente's signal never moves
another gemeente's status holders. ``POST /signals`` reaches every instance unless it names a
gemeente (only that gemeente's instances) or asks for instances without one.

Claims are leases, as for timers: one conditional UPDATE (``FOR UPDATE SKIP LOCKED`` on PostgreSQL).
``now`` is always a bound parameter from the caller's clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, func, insert, or_, select, true, update

from storage.schema import process_instances, signal_deliveries, signal_waits

MAX_ERROR_LENGTH = 500

StartTargets = Callable[[str], Sequence[tuple[str, int]]]
"""Signal name -> (process key, version) of each latest process definition with a signal start event."""


@dataclass(frozen=True)
class SignalScope:
    """Which instances a signal reaches, and the gemeente of the instances it starts."""

    gemeente: str | None = None
    include_without: bool = True
    everyone: bool = False

    @classmethod
    def thrown_in(cls, gemeente: str | None) -> SignalScope:
        """Camunda's rule for a signal thrown by an instance of tenant ``gemeente``."""
        return cls(gemeente=gemeente, include_without=True)

    def matches(self) -> ColumnElement[bool]:
        column = signal_waits.c.gemeente
        if self.everyone:
            return true()
        if self.gemeente is None:
            return column.is_(None)
        if self.include_without:
            return or_(column == self.gemeente, column.is_(None))
        return column == self.gemeente


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery this worker holds a lease on."""

    id: str
    signal_name: str
    variables: dict[str, Any]
    instance_id: str | None
    process_key: str | None
    version: int | None
    gemeente: str | None
    business_key: str | None
    attempts: int


def enqueue(
    conn: Connection,
    *,
    signal_name: str,
    variables: dict[str, Any],
    scope: SignalScope,
    starts: StartTargets,
    now: datetime,
    source_instance_id: str | None = None,
    business_key: str | None = None,
) -> list[str]:
    """Choose the receivers of one thrown signal and write a delivery row for each; return their ids."""
    query = (
        select(signal_waits.c.instance_id)
        .join(process_instances, process_instances.c.id == signal_waits.c.instance_id)
        .where(
            signal_waits.c.signal_name == signal_name,
            scope.matches(),
            process_instances.c.status == "active",
        )
        .distinct()
    )
    if source_instance_id is not None:  # the thrower caught its own signal inside its step already
        query = query.where(signal_waits.c.instance_id != source_instance_id)
    receivers = sorted(conn.execute(query).scalars())
    rows: list[dict[str, Any]] = []
    base = {
        "signal_name": signal_name,
        "variables": dict(variables),
        "source_instance_id": source_instance_id,
        "created_at": now,
        "attempts": 0,
        "instance_id": None,
        "process_key": None,
        "version": None,
        "gemeente": None,
        "business_key": None,
    }
    for instance_id in receivers:
        rows.append({**base, "id": str(uuid.uuid4()), "instance_id": instance_id})
    started_gemeente = None if scope.everyone else scope.gemeente
    for process_key, version in starts(signal_name):
        rows.append(
            {
                **base,
                "id": str(uuid.uuid4()),
                "process_key": process_key,
                "version": version,
                "gemeente": started_gemeente,
                "business_key": business_key,
            }
        )
    if rows:
        conn.execute(insert(signal_deliveries), rows)
    return [r["id"] for r in rows]


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(signal_deliveries.c.claimed_until.is_(None), signal_deliveries.c.claimed_until < now)


def claim(
    conn: Connection,
    now: datetime,
    worker_id: str,
    lease_until: datetime,
    *,
    limit: int = 100,
    ids: Iterable[str] | None = None,
) -> list[ClaimedDelivery]:
    """Lease up to ``limit`` deliveries nobody holds (oldest first), or just those of ``ids``."""
    candidates = select(signal_deliveries.c.id).where(_claimable(now))
    if ids is not None:
        wanted = list(ids)
        if not wanted:
            return []
        candidates = candidates.where(signal_deliveries.c.id.in_(wanted))
    candidates = candidates.order_by(signal_deliveries.c.created_at, signal_deliveries.c.id).limit(limit)
    if conn.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    c = signal_deliveries.c
    # Materialized: PostgreSQL runs the locking sub-select once (see timer_store.claim_due_timers).
    chosen = candidates.cte("candidates").prefix_with("MATERIALIZED", dialect="postgresql")
    rows = conn.execute(
        update(signal_deliveries)
        .where(c.id.in_(select(chosen.c.id)), _claimable(now))
        .values(claimed_by=worker_id, claimed_until=lease_until)
        .returning(
            c.id,
            c.signal_name,
            c.variables,
            c.instance_id,
            c.process_key,
            c.version,
            c.gemeente,
            c.business_key,
            c.attempts,
            c.created_at,
        )
    ).all()
    rows = sorted(rows, key=lambda r: (r.created_at, r.id))
    return [
        ClaimedDelivery(
            r.id,
            r.signal_name,
            dict(r.variables or {}),
            r.instance_id,
            r.process_key,
            r.version,
            r.gemeente,
            r.business_key,
            r.attempts,
        )
        for r in rows
    ]


def delete_delivery(conn: Connection, delivery_id: str, worker_id: str) -> bool:
    """Remove a delivered row; False when the lease was lost (another worker took it over)."""
    result = conn.execute(
        delete(signal_deliveries).where(
            signal_deliveries.c.id == delivery_id, signal_deliveries.c.claimed_by == worker_id
        )
    )
    return result.rowcount == 1


def record_failure(
    conn: Connection, delivery_id: str, worker_id: str, error: str, retry_at: datetime
) -> None:
    """Count a failed attempt and keep others off the row until ``retry_at``."""
    conn.execute(
        update(signal_deliveries)
        .where(signal_deliveries.c.id == delivery_id, signal_deliveries.c.claimed_by == worker_id)
        .values(
            attempts=signal_deliveries.c.attempts + 1,
            last_error=error[:MAX_ERROR_LENGTH],
            claimed_by=None,
            claimed_until=retry_at,
        )
    )


def count_pending(conn: Connection) -> int:
    """Deliveries not yet made."""
    return int(conn.execute(select(func.count()).select_from(signal_deliveries)).scalar_one())


def waiting_instances(conn: Connection, signal_name: str) -> list[str]:
    """Active instances waiting for ``signal_name`` (tests and operators)."""
    return list(
        conn.execute(
            select(signal_waits.c.instance_id)
            .where(and_(signal_waits.c.signal_name == signal_name))
            .distinct()
            .order_by(signal_waits.c.instance_id)
        ).scalars()
    )

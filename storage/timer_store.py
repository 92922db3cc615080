"""Claims on due timers: the SQL the timer worker runs, and every dialect choice it needs.

A claim is a lease: ``claimed_by`` names the worker and ``claimed_until`` says when the claim lapses.
Claiming is one conditional UPDATE, so two workers never hold the same timer at once; a worker that
dies keeps its claims only until the lease ends, then any worker takes them over. On PostgreSQL the
candidate rows are locked with ``FOR UPDATE SKIP LOCKED``, so concurrent workers pass each other
instead of queueing; on SQLite the UPDATE runs inside a ``BEGIN IMMEDIATE`` write transaction, which
serialises writers anyway.

``now`` is always a bound parameter from the caller's clock, never the database's own time.

A worker may own a shard of the instances: with ``gemeenten`` it claims (and looks ahead to) only the
timers of those gemeenten's instances, so workers that split the gemeenten between them never meet on
a timer. Without it (the default) a worker takes every due timer, timer start events included.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Engine, and_, func, or_, select, update

from storage.schema import timers

#: SQLite learned ``UPDATE ... RETURNING`` in 3.35.
SQLITE_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)
#: ``last_error`` is kept short: it is a hint for operators, not a log.
MAX_ERROR_LENGTH = 500


def parallel_steps(engine: Engine) -> int:
    """How many instance steps a worker usefully runs at once on this database.

    PostgreSQL commits concurrent transactions with one WAL flush, so a few steps in flight multiply
    throughput; SQLite has one writer at a time, and more threads only queue on its lock.
    """
    return 4 if engine.dialect.name == "postgresql" else 1


@dataclass(frozen=True)
class ClaimedTimer:
    """A timer this worker holds a lease on (``instance_id`` None: a timer start event's)."""

    id: str
    instance_id: str | None
    element_id: str
    due_at: datetime
    attempts: int


def _claimable(now: datetime, gemeenten: Collection[str] | None = None) -> ColumnElement[bool]:
    return and_(
        timers.c.due_at <= now,
        or_(timers.c.claimed_until.is_(None), timers.c.claimed_until < now),
        timers.c.incident_id.is_(None),
        *_owned(gemeenten),
    )


def _owned(gemeenten: Collection[str] | None) -> list[ColumnElement[bool]]:
    """The shard condition: the timers of these gemeenten's instances (none: every timer)."""
    return [] if gemeenten is None else [timers.c.gemeente.in_(sorted(gemeenten))]


def claim_due_timers(
    conn: Connection,
    now: datetime,
    worker_id: str,
    lease_until: datetime,
    limit: int,
    *,
    gemeenten: Collection[str] | None = None,
) -> list[ClaimedTimer]:
    """Claim up to ``limit`` due timers (earliest first) that nobody holds a live lease on.

    ``gemeenten``: only the timers of these gemeenten's instances (the worker's shard).

    Run it in its own write transaction (``storage.db.write_connection``) and commit at once: the lease,
    not a held lock, keeps other workers away while the timers are fired.
    """
    if limit <= 0:
        return []
    candidates = select(timers.c.id).where(_claimable(now, gemeenten)).order_by(timers.c.due_at).limit(limit)
    dialect = conn.dialect.name
    if dialect == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    elif dialect == "sqlite" and not SQLITE_RETURNING:  # pragma: no cover - old SQLite only
        return _claim_without_returning(conn, now, worker_id, lease_until, limit, gemeenten)
    # A materialized CTE: PostgreSQL runs the locking sub-select once. As a plain IN (subquery) the
    # planner may run it again per row, and each run skips different rows past the LIMIT.
    chosen = candidates.cte("candidates").prefix_with("MATERIALIZED", dialect="postgresql")
    statement = (
        update(timers)
        # The outer condition repeats the inner one: on PostgreSQL a row changed by a concurrent
        # transaction after the sub-select is re-checked, so a claim never overrides a live lease.
        .where(timers.c.id.in_(select(chosen.c.id)), _claimable(now, gemeenten))
        .values(claimed_by=worker_id, claimed_until=lease_until)
        .returning(timers.c.id, timers.c.instance_id, timers.c.element_id, timers.c.due_at, timers.c.attempts)
    )
    rows = conn.execute(statement).all()
    claimed = [ClaimedTimer(r.id, r.instance_id, r.element_id, r.due_at, r.attempts) for r in rows]
    claimed.sort(key=lambda t: (t.due_at, t.id))
    return claimed


def _claim_without_returning(  # pragma: no cover - old SQLite only
    conn: Connection,
    now: datetime,
    worker_id: str,
    lease_until: datetime,
    limit: int,
    gemeenten: Collection[str] | None,
) -> list[ClaimedTimer]:
    # Inside BEGIN IMMEDIATE nobody else writes between the select and the update.
    rows = conn.execute(
        select(timers).where(_claimable(now, gemeenten)).order_by(timers.c.due_at).limit(limit)
    ).all()
    ids = [r.id for r in rows]
    if ids:
        conn.execute(
            update(timers).where(timers.c.id.in_(ids)).values(claimed_by=worker_id, claimed_until=lease_until)
        )
    return [ClaimedTimer(r.id, r.instance_id, r.element_id, r.due_at, r.attempts) for r in rows]


def release_timers(conn: Connection, timer_ids: Sequence[str], worker_id: str) -> int:
    """Give up this worker's claims on ``timer_ids`` (rows already fired are gone; that is fine)."""
    if not timer_ids:
        return 0
    result = conn.execute(
        update(timers)
        .where(timers.c.id.in_(list(timer_ids)), timers.c.claimed_by == worker_id)
        .values(claimed_by=None, claimed_until=None)
    )
    return int(result.rowcount or 0)


def release_timer(conn: Connection, timer_id: str, worker_id: str) -> bool:
    """Give up this worker's claim on one timer; False when the claim was no longer ours."""
    return release_timers(conn, [timer_id], worker_id) == 1


def record_timer_failure(
    conn: Connection, timer_id: str, worker_id: str, error: str, retry_at: datetime
) -> bool:
    """Count a failed attempt and release the claim, keeping others off the timer until ``retry_at``."""
    result = conn.execute(
        update(timers)
        .where(timers.c.id == timer_id, timers.c.claimed_by == worker_id)
        .values(
            attempts=timers.c.attempts + 1,
            last_error=error[:MAX_ERROR_LENGTH],
            claimed_by=None,
            claimed_until=retry_at,
        )
    )
    return result.rowcount == 1


def still_claimed(conn: Connection, timer_ids: Sequence[str], worker_id: str) -> list[str]:
    """Which of ``timer_ids`` this worker still holds a claim on."""
    if not timer_ids:
        return []
    rows = conn.execute(
        select(timers.c.id).where(timers.c.id.in_(list(timer_ids)), timers.c.claimed_by == worker_id)
    )
    return [r.id for r in rows]


def pending_timer_ids(conn: Connection, timer_ids: Sequence[str]) -> dict[str, datetime]:
    """Which of ``timer_ids`` are still pending, with their current due times."""
    if not timer_ids:
        return {}
    rows = conn.execute(select(timers.c.id, timers.c.due_at).where(timers.c.id.in_(list(timer_ids))))
    return {r.id: r.due_at for r in rows}


def next_due_at(
    conn: Connection, now: datetime, *, gemeenten: Collection[str] | None = None
) -> datetime | None:
    """When a worker should next look: the earliest due time among timers without a live lease.

    Leased timers (being fired, or backing off after a failure) are left out: the regular poll finds
    them when their lease ends, and a worker does not spin on them meanwhile. ``gemeenten``: only
    the timers of these gemeenten's instances (the worker's shard).
    """
    return conn.execute(
        select(timers.c.due_at)
        .where(
            or_(timers.c.claimed_until.is_(None), timers.c.claimed_until < now),
            timers.c.incident_id.is_(None),
            *_owned(gemeenten),
        )
        .order_by(timers.c.due_at)
        .limit(1)
    ).scalar()


def oldest_overdue(conn: Connection, now: datetime) -> datetime | None:
    """The due time of the longest-overdue pending timer, or None when none is overdue.

    Timers held by an open incident are left out: they wait for an operator, not for a worker.
    """
    return conn.execute(
        select(timers.c.due_at)
        .where(timers.c.due_at <= now, timers.c.incident_id.is_(None))
        .order_by(timers.c.due_at)
        .limit(1)
    ).scalar()


def overrun_claims(conn: Connection, now: datetime) -> tuple[int, datetime | None]:
    """Claims still held after their lease ended: (how many, the earliest lease end).

    A sweep releases or fires every timer it claimed before it ends, so a claim past its lease means a
    sweep that runs longer than its lease (another worker may take the timers over and fire them
    twice over) or a worker that died mid-sweep.
    """
    row = conn.execute(
        select(func.count(), func.min(timers.c.claimed_until)).where(
            timers.c.claimed_by.is_not(None), timers.c.claimed_until < now
        )
    ).one()
    return int(row[0]), row[1]


def count_pending(conn: Connection) -> int:
    """How many timers are pending (due or not)."""
    return int(conn.execute(select(func.count()).select_from(timers)).scalar_one())

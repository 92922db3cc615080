"""External tasks in storage: fetch-and-lock, failure, extend-lock; the SQL and its dialect choices.

Semantics are Camunda 7's external task service:

* fetch-and-lock takes up to ``maxTasks`` tasks of the asked topics that nobody holds a live lock on
  and that have retries left (``retries`` is NULL until a first failure), oldest first (highest
  priority first with ``usePriority``), and locks each for its topic's ``lockDuration``. One
  conditional UPDATE does it (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; one writer at a time on
  SQLite), so of two workers fetching at once each task is locked by exactly one.
* A lock that expired is fetched again by anyone; the old worker may still complete the task until
  another worker locks it.
* failure sets the retries and error message and keeps the task locked for ``retryTimeout``; with no
  retries left the task is fetched no more and an incident opens (retrying the incident gives it one
  retry again).

``now`` is always a bound parameter from the caller's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, or_, select, update

from storage import incidents
from storage.errors import ConflictError, NotFound
from storage.schema import external_tasks, process_instances

#: Longest lock or retry timeout accepted (Camunda has none; a day keeps a typo from parking work).
MAX_LOCK = timedelta(days=1)


@dataclass(frozen=True)
class ExternalTaskRow:
    """One external task as a worker sees it."""

    id: str
    instance_id: str
    element_id: str
    topic: str
    process_key: str
    gemeente: str | None
    priority: int
    worker_id: str | None
    lock_expires_at: datetime | None
    retries: int | None
    error_message: str | None
    incident_id: str | None
    created_at: datetime


_COLUMNS = (
    external_tasks.c.id,
    external_tasks.c.instance_id,
    external_tasks.c.element_id,
    external_tasks.c.topic,
    external_tasks.c.process_key,
    external_tasks.c.gemeente,
    external_tasks.c.priority,
    external_tasks.c.worker_id,
    external_tasks.c.lock_expires_at,
    external_tasks.c.retries,
    external_tasks.c.error_message,
    external_tasks.c.incident_id,
    external_tasks.c.created_at,
)


def _row(r: Any) -> ExternalTaskRow:
    return ExternalTaskRow(*(getattr(r, c.name) for c in _COLUMNS))


def _fetchable(now: datetime) -> ColumnElement[bool]:
    c = external_tasks.c
    return and_(
        or_(c.lock_expires_at.is_(None), c.lock_expires_at <= now),
        or_(c.retries.is_(None), c.retries > 0),
        c.incident_id.is_(None),
    )


@dataclass(frozen=True)
class TopicFilter:
    """Camunda's per-topic fetch filters: process definition keys and the instance's business key."""

    process_keys: tuple[str, ...] | None = None
    business_key: str | None = None


def _topics(lock_durations: dict[str, timedelta], filters: dict[str, TopicFilter]) -> ColumnElement[bool]:
    c = external_tasks.c
    plain = [t for t in lock_durations if t not in filters]
    conditions: list[ColumnElement[bool]] = [c.topic.in_(plain)] if plain else []
    for topic, wanted in filters.items():
        if topic not in lock_durations:
            continue
        condition = c.topic == topic
        if wanted.process_keys is not None:
            condition = and_(condition, c.process_key.in_(list(wanted.process_keys)))
        if wanted.business_key is not None:
            owners = select(process_instances.c.id).where(
                process_instances.c.business_key == wanted.business_key
            )
            condition = and_(condition, c.instance_id.in_(owners))
        conditions.append(condition)
    return or_(*conditions)


def fetch_and_lock(
    conn: Connection,
    *,
    now: datetime,
    worker_id: str,
    max_tasks: int,
    lock_durations: dict[str, timedelta],
    use_priority: bool = False,
    filters: dict[str, TopicFilter] | None = None,
) -> list[ExternalTaskRow]:
    """Lock up to ``max_tasks`` fetchable tasks of the topics in ``lock_durations`` for ``worker_id``.

    Run it in its own write transaction and commit at once: the lock, not a held row lock, keeps
    other workers away while this one works.
    """
    if max_tasks <= 0 or not lock_durations:
        return []
    c = external_tasks.c
    order = [c.priority.desc()] if use_priority else []
    candidates = (
        select(c.id)
        .where(_topics(lock_durations, filters or {}), _fetchable(now))
        .order_by(*order, c.created_at, c.id)
        .limit(max_tasks)
    )
    if conn.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    # A materialized CTE: PostgreSQL runs the locking sub-select once; as a plain IN (subquery) the
    # planner may run it again per row, each run skipping other rows, and lock more than max_tasks.
    chosen = candidates.cte("candidates").prefix_with("MATERIALIZED", dialect="postgresql")
    until = case(
        {topic: now + duration for topic, duration in lock_durations.items()},
        value=c.topic,
    )
    rows = conn.execute(
        update(external_tasks)
        # The outer condition repeats the inner one: a row another worker locked after our
        # sub-select is re-checked on PostgreSQL, so a live lock is never taken over.
        .where(c.id.in_(select(chosen.c.id)), _fetchable(now))
        .values(worker_id=worker_id, lock_expires_at=until)
        .returning(*_COLUMNS)
    ).all()
    locked = [_row(r) for r in rows]
    if use_priority:
        locked.sort(key=lambda t: (-t.priority, t.created_at, t.id))
    else:
        locked.sort(key=lambda t: (t.created_at, t.id))
    return locked


def get_task(conn: Connection, task_id: str, *, for_update: bool = False) -> ExternalTaskRow:
    """The task, or NotFound (an unknown id, or one completed or cancelled since)."""
    query = select(*_COLUMNS).where(external_tasks.c.id == task_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no external task {task_id}")
    return _row(row)


def check_worker(task: ExternalTaskRow, worker_id: str, verb: str = "completed") -> None:
    """Camunda's rule: only the worker that holds (or last held) the lock may complete or fail it."""
    if task.worker_id != worker_id:
        raise ConflictError(
            f"External Task {task.id} cannot be {verb} by worker '{worker_id}'. "
            f"It is locked by worker '{task.worker_id}'."
        )


def record_failure(
    conn: Connection,
    *,
    task_id: str,
    worker_id: str,
    error_message: str | None,
    error_details: str | None,
    retries: int,
    retry_timeout: timedelta,
    now: datetime,
) -> ExternalTaskRow:
    """Store a worker's failure; with no retries left, open an incident that holds the task."""
    task = get_task(conn, task_id, for_update=True)
    check_worker(task, worker_id, "failed")
    incident_id = None
    if retries <= 0:
        incident = incidents.open_incident(
            conn,
            kind=incidents.EXTERNAL_TASK,
            subject_id=task.id,
            instance_id=task.instance_id,
            element_id=task.element_id,
            gemeente=task.gemeente,
            message=f"external task '{task.topic}' failed, no retries left: {error_message or '-'}",
            now=now,
        )
        incident_id = incident.id
    conn.execute(
        update(external_tasks)
        .where(external_tasks.c.id == task.id)
        .values(
            retries=max(retries, 0),
            error_message=error_message,
            error_details=error_details,
            lock_expires_at=now + retry_timeout,
            incident_id=incident_id,
        )
    )
    return get_task(conn, task.id)


def extend_lock(
    conn: Connection, *, task_id: str, worker_id: str, duration: timedelta, now: datetime
) -> None:
    """Give the holder of a live lock more time; an expired or foreign lock is a conflict."""
    task = get_task(conn, task_id, for_update=True)
    if task.worker_id != worker_id:
        raise ConflictError(
            f"The lock of the External Task {task.id} cannot be extended by worker '{worker_id}'"
        )
    if task.lock_expires_at is None or task.lock_expires_at <= now:
        raise ConflictError("Cannot extend a lock that expired")
    conn.execute(
        update(external_tasks).where(external_tasks.c.id == task.id).values(lock_expires_at=now + duration)
    )


def unlock(conn: Connection, task_id: str) -> None:
    """Release the lock (the task is fetchable again at once)."""
    get_task(conn, task_id)
    conn.execute(
        update(external_tasks)
        .where(external_tasks.c.id == task_id)
        .values(worker_id=None, lock_expires_at=None)
    )


def tasks_for_instances(conn: Connection, instance_ids: Sequence[str]) -> list[ExternalTaskRow]:
    if not instance_ids:
        return []
    rows = conn.execute(
        select(*_COLUMNS)
        .where(external_tasks.c.instance_id.in_(list(instance_ids)))
        .order_by(external_tasks.c.created_at, external_tasks.c.id)
    ).all()
    return [_row(r) for r in rows]


def _rearm(conn: Connection, incident: incidents.Incident, now: datetime) -> None:
    """An operator retried the incident: one more retry, fetchable at once."""
    conn.execute(
        update(external_tasks)
        .where(external_tasks.c.incident_id == incident.id)
        .values(retries=1, incident_id=None, worker_id=None, lock_expires_at=None)
    )


incidents.register_retry(incidents.EXTERNAL_TASK, _rearm)

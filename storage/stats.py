"""Counts an operator watches, read from the database (so every node's work is in them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from storage.schema import incidents, process_instances, timers
from storage.webhook_schema import deliveries


@dataclass(frozen=True)
class OperationalStats:
    """What is running and what is waiting, at ``now``."""

    instances: tuple[tuple[str, int, str, int], ...]  # (process key, version, status, count)
    timers_pending: int
    timers_overdue: int
    oldest_overdue_seconds: float
    deliveries_pending: int
    deliveries_failing: int
    deliveries_dead: int
    incidents_open: tuple[tuple[str, int], ...]  # (kind, count)


def read_stats(conn: Connection, now: datetime) -> OperationalStats:
    """One consistent read of every count (a handful of indexed aggregate queries)."""
    instances = conn.execute(
        select(
            process_instances.c.process_key,
            process_instances.c.version,
            process_instances.c.status,
            func.count(),
        )
        .group_by(process_instances.c.process_key, process_instances.c.version, process_instances.c.status)
        .order_by(process_instances.c.process_key, process_instances.c.version, process_instances.c.status)
    ).all()
    pending = conn.execute(select(func.count()).select_from(timers)).scalar_one()
    overdue, oldest = conn.execute(
        select(func.count(), func.min(timers.c.due_at)).where(timers.c.due_at <= now)
    ).one()
    by_status: dict[str, int] = {
        str(r[0]): int(r[1])
        for r in conn.execute(
            select(deliveries.c.status, func.count())
            .where(deliveries.c.status.in_(("pending", "dead")))
            .group_by(deliveries.c.status)
        )
    }
    failing = conn.execute(
        select(func.count()).where(deliveries.c.status == "pending", deliveries.c.attempts > 0)
    ).scalar_one()
    open_incidents = conn.execute(
        select(incidents.c.kind, func.count())
        .where(incidents.c.status == "open")
        .group_by(incidents.c.kind)
        .order_by(incidents.c.kind)
    ).all()
    return OperationalStats(
        instances=tuple((r[0], int(r[1]), r[2], int(r[3])) for r in instances),
        timers_pending=int(pending),
        timers_overdue=int(overdue),
        oldest_overdue_seconds=(now - oldest).total_seconds() if oldest is not None else 0.0,
        deliveries_pending=int(by_status.get("pending", 0)),
        deliveries_failing=int(failing),
        deliveries_dead=int(by_status.get("dead", 0)),
        incidents_open=tuple((r[0], int(r[1])) for r in open_incidents),
    )

"""History clean-up by ``camunda:historyTimeToLive``: finished instances do not stay forever.

An instance that completed or was terminated more than its process's time to live ago is removed
with its audit trail, closed tasks and dispatched outbox events, as Camunda's history clean-up
does. Personal data (the V-nummer as business key, form data in the state) goes with it. Definitions
without a time to live keep their instances.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select

from storage.schema import audit_entries, closed_tasks, outbox_events, process_instances
from storage.webhook_schema import deliveries

_DURATION_DAYS = {"D": 1, "W": 7}


def ttl_days(value: str | None) -> int | None:
    """``P180D``/``P26W``/``180`` (Camunda accepts a bare number of days) as days; None if unset."""
    if value is None or not value.strip():
        return None
    text = value.strip().upper()
    if text.isdigit():
        return int(text)
    if text.startswith("P") and text[1:-1].isdigit() and text[-1] in _DURATION_DAYS:
        return int(text[1:-1]) * _DURATION_DAYS[text[-1]]
    raise ValueError(f"historyTimeToLive '{value}' is not a number of days or PnD/PnW")


def purge_finished(
    conn: Connection, now: datetime, ttl_by_key: Mapping[str, int], *, limit: int = 500
) -> int:
    """Remove up to ``limit`` finished instances past their time to live; returns how many."""
    removed = 0
    for key, days in ttl_by_key.items():
        cutoff = now - timedelta(days=days)
        ids = list(
            conn.execute(
                select(process_instances.c.id)
                .where(
                    process_instances.c.process_key == key,
                    process_instances.c.status != "active",
                    process_instances.c.ended_at < cutoff,
                )
                .limit(limit - removed)
            ).scalars()
        )
        if not ids:
            continue
        conn.execute(delete(audit_entries).where(audit_entries.c.instance_id.in_(ids)))
        conn.execute(delete(closed_tasks).where(closed_tasks.c.instance_id.in_(ids)))
        conn.execute(
            delete(outbox_events).where(
                outbox_events.c.instance_id.in_(ids), outbox_events.c.dispatched.is_(True)
            )
        )
        conn.execute(
            delete(deliveries).where(deliveries.c.instance_id.in_(ids), deliveries.c.status != "pending")
        )
        conn.execute(delete(process_instances).where(process_instances.c.id.in_(ids)))
        removed += len(ids)
        if removed >= limit:
            break
    return removed

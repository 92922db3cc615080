"""Reads for the case page (dossier): klantprofiel moments and the elements already done."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from storage.schema import audit_entries, outbox_events

#: Audit actions that mean an element was passed (a task done, a timer or message handled).
DONE_ACTIONS = ("task-completed", "timer-fired", "message-correlated", "signal-received")


def klantprofiel_moments(conn: Connection, instance_id: str) -> Sequence[Any]:
    """Each time the klantprofiel was shared for this instance: when, at which moment, by which element."""
    return conn.execute(
        select(outbox_events.c.created_at, outbox_events.c.element_id, outbox_events.c.data)
        .where(
            outbox_events.c.instance_id == instance_id,
            outbox_events.c.type.in_(("klantprofiel-gedeeld", "nl.inburgering.klantprofiel-gedeeld")),
        )
        .order_by(outbox_events.c.seq)
    ).all()


def done_elements(conn: Connection, instance_id: str) -> set[str]:
    """Element ids this instance has passed, as its audit trail records them."""
    rows = conn.execute(
        select(audit_entries.c.element_id)
        .where(audit_entries.c.instance_id == instance_id, audit_entries.c.action.in_(DONE_ACTIONS))
        .distinct()
    ).scalars()
    return {element for element in rows if element}

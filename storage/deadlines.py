"""Task deadlines: the earlier of a task's own due date and the timers on its boundary events.

Which timer boundary events are attached to which user task is read from each BPMN document when
it is deployed (``boundary_timers``). After every step, :func:`refresh_deadlines` sets
``user_tasks.deadline_at`` of the instance's open tasks in one UPDATE, so the worklist sorts and
filters on an indexed column instead of computing deadlines for every open task.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree
from sqlalchemy import Connection, bindparam, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.intake import parse_xml
from storage.schema import UTCDateTime, boundary_timers, documents, timers, user_tasks

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def timer_boundaries(content: bytes) -> list[tuple[str, str, str]]:
    """(process key, task element, timer element) for each timer boundary event in a BPMN document."""
    root = parse_xml(content, name="diagram")
    found = []
    for process in root.iter(f"{{{BPMN}}}process"):
        key = process.get("id") or ""
        for boundary in process.iter(f"{{{BPMN}}}boundaryEvent"):
            if boundary.find(f"{{{BPMN}}}timerEventDefinition") is None:
                continue
            task, timer = boundary.get("attachedToRef"), boundary.get("id")
            if key and task and timer:
                found.append((key, task, timer))
    return sorted(set(found))


def record_boundaries(conn: Connection, triples: Iterable[tuple[str, str, str]]) -> None:
    """Store the triples (already stored ones are kept)."""
    for key, task, timer in triples:
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(boundary_timers).values(process_key=key, task_element=task, timer_element=timer)
                )
        except IntegrityError:
            continue


def record_document(conn: Connection, kind: str, content: bytes) -> None:
    """Store the timer boundaries of a deployed document (DMN documents have none)."""
    if kind == "bpmn":
        try:
            record_boundaries(conn, timer_boundaries(content))
        except etree.LxmlError:  # pragma: no cover - deploy has parsed it already
            return


def _deadline_expression() -> object:
    timer_due = (
        select(func.min(timers.c.due_at))
        .select_from(
            timers.join(
                boundary_timers,
                (boundary_timers.c.timer_element == timers.c.element_id)
                & (boundary_timers.c.process_key == user_tasks.c.process_key)
                & (boundary_timers.c.task_element == user_tasks.c.element_id),
            )
        )
        .where(timers.c.instance_id == user_tasks.c.instance_id)
        .correlate(user_tasks)
        .scalar_subquery()
    )
    return case(
        (user_tasks.c.due_at.is_(None), timer_due),
        (timer_due.is_(None), user_tasks.c.due_at),
        (user_tasks.c.due_at < timer_due, user_tasks.c.due_at),
        else_=timer_due,
    )


#: One instance's refresh, built once: building the statement costs more than running it on SQLite.
_REFRESH_ONE = (
    update(user_tasks)
    .values(deadline_at=_deadline_expression())
    .where(user_tasks.c.instance_id == bindparam("_instance_id"))
)


def refresh_deadlines(conn: Connection, instance_id: str | None = None) -> None:
    """Recompute ``deadline_at`` of the open tasks of one instance (of every instance with None)."""
    if instance_id is not None:
        conn.execute(_REFRESH_ONE, {"_instance_id": instance_id})
        return
    conn.execute(update(user_tasks).values(deadline_at=_deadline_expression()))


def backfill(conn: Connection) -> None:
    """Read the boundaries of every stored document and set every open task's deadline."""
    for row in conn.execute(select(documents.c.kind, documents.c.content)).all():
        record_document(conn, row.kind, bytes(row.content))
    refresh_deadlines(conn)


__all__ = ["UTCDateTime", "backfill", "record_document", "refresh_deadlines", "timer_boundaries"]

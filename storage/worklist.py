"""The caseworker's werklijst: open tasks with their case header, deadline, filters and search.

A task's deadline is the earlier of its own due date and the due time of a pending timer on a
boundary event attached to it (the timer that will end or escalate it). Which boundary timers sit
on which task is read from the diagrams by the caller and passed in as ``boundaries``; the SQL
joins them as a VALUES list, so the deadline sorts and filters in the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    case,
    func,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)

from storage.listing import Page, lane_condition
from storage.schema import UTCDateTime, organisations, process_instances, timers, user_tasks


@dataclass(frozen=True)
class WorklistFilter:
    """What the caseworker asked for; every part is optional."""

    assignee: str | None = None
    unassigned: bool = False
    deadline_before: datetime | None = None
    element_id: str | None = None
    gemeente: str | None = None
    search: str | None = None


def _boundary_due(boundaries: Sequence[tuple[str, str, str]]) -> Any:
    """Per (instance, process, task element): the earliest pending timer on a boundary of that task."""
    pairs = union_all(
        *(
            select(
                literal(key, String()).label("process_key"),
                literal(task, String()).label("task_element"),
                literal(timer, String()).label("timer_element"),
            )
            for key, task, timer in boundaries
        )
    ).subquery("boundary_timers")
    return (
        select(
            timers.c.instance_id,
            pairs.c.process_key,
            pairs.c.task_element,
            func.min(timers.c.due_at).label("due_at"),
        )
        .select_from(timers.join(pairs, pairs.c.timer_element == timers.c.element_id))
        .group_by(timers.c.instance_id, pairs.c.process_key, pairs.c.task_element)
        .subquery("boundary_due")
    )


def _deadline(timer_due: Any) -> Any:
    """The earlier of the task's own due date and ``timer_due`` (either may be NULL)."""
    if timer_due is None:
        return user_tasks.c.due_at
    return type_coerce(
        case(
            (user_tasks.c.due_at.is_(None), timer_due),
            (timer_due.is_(None), user_tasks.c.due_at),
            (user_tasks.c.due_at < timer_due, user_tasks.c.due_at),
            else_=timer_due,
        ),
        UTCDateTime(),
    )


def _search_condition(term: str) -> Any:
    naam = func.lower(process_instances.c.variables["naam"].as_string())
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(
        process_instances.c.business_key == term.strip(),
        naam.like(f"%{escaped}%", escape="\\"),
    )


def list_worklist(
    conn: Connection,
    *,
    scope: str | None,
    lane: str | None,
    boundaries: Sequence[tuple[str, str, str]],
    filters: WorklistFilter,
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """Open tasks with case header columns, sorted by deadline (none last), then age."""
    tasks: Any = user_tasks.join(process_instances, process_instances.c.id == user_tasks.c.instance_id)
    timer_due = None
    if boundaries:
        due = _boundary_due(boundaries)
        tasks = tasks.outerjoin(
            due,
            (due.c.instance_id == user_tasks.c.instance_id)
            & (due.c.process_key == user_tasks.c.process_key)
            & (due.c.task_element == user_tasks.c.element_id),
        )
        timer_due = due.c.due_at
    deadline = _deadline(timer_due).label("deadline")
    boundary_due = (timer_due if timer_due is not None else null()).label("timer_due")
    conditions: list[Any] = [
        true() if scope is None else user_tasks.c.gemeente == scope,
        lane_condition(lane),
    ]
    if filters.assignee is not None:
        conditions.append(user_tasks.c.assignee == filters.assignee)
    if filters.unassigned:
        conditions.append(user_tasks.c.assignee.is_(None))
    if filters.element_id is not None:
        conditions.append(user_tasks.c.element_id == filters.element_id)
    if filters.gemeente is not None:
        conditions.append(user_tasks.c.gemeente == filters.gemeente)
    if filters.search:
        conditions.append(_search_condition(filters.search))
    query = (
        select(
            user_tasks.c.id,
            user_tasks.c.instance_id,
            user_tasks.c.element_id,
            user_tasks.c.process_key,
            user_tasks.c.name,
            user_tasks.c.lane,
            user_tasks.c.assignee,
            user_tasks.c.due_at,
            user_tasks.c.gemeente,
            user_tasks.c.created_at,
            deadline,
            boundary_due,
        )
        .select_from(tasks)
        .where(*conditions)
    )
    if filters.deadline_before is not None:
        query = query.where(deadline < literal(filters.deadline_before, UTCDateTime()))
        counted = select(func.count()).select_from(query.subquery())
    else:
        # The boundary timers add at most one row per task: without a deadline filter the count
        # needs neither them nor the deadline, and skips computing it for every open task.
        plain = user_tasks.join(process_instances, process_instances.c.id == user_tasks.c.instance_id)
        counted = select(func.count()).select_from(plain).where(*conditions)
    total = int(conn.execute(counted).scalar_one())
    rows: Sequence[Any] = []
    if total > offset:
        order = (deadline.asc().nulls_last(), user_tasks.c.created_at, user_tasks.c.id)
        rows = conn.execute(query.order_by(*order).offset(offset).limit(limit)).all()
    return Page(rows, total)


def task_kinds(conn: Connection, *, scope: str | None, lane: str | None) -> Sequence[Any]:
    """The distinct open tasks (element id and name) in scope, for the "per taak" filter."""
    return conn.execute(
        select(user_tasks.c.element_id, func.min(user_tasks.c.name).label("name"))
        .where(true() if scope is None else user_tasks.c.gemeente == scope, lane_condition(lane))
        .group_by(user_tasks.c.element_id)
        .order_by(func.min(user_tasks.c.name))
    ).all()


def gemeenten(conn: Connection) -> Sequence[Any]:
    """Every gemeente organisation (code and name), for the COA's "per gemeente" filter."""
    return conn.execute(
        select(organisations.c.code, organisations.c.name)
        .where(organisations.c.kind == "gemeente")
        .order_by(organisations.c.name)
    ).all()

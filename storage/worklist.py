"""The caseworker's werklijst: open tasks with their deadline, filters and search.

A task's deadline is the earlier of its own due date and the due time of a pending timer on a
boundary event attached to it (the timer that will end or escalate it), stored in
``user_tasks.deadline_at`` by :mod:`storage.deadlines` on every step: sorting, the 7-day filter
and counting run on indexed columns. For the rows of one page only, the boundary timer's own time
is read as well (``boundaries``: process key, task element, timer element, from the diagrams), so
the page can say what happens when it fires.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    func,
    or_,
    select,
    true,
)

from storage.listing import Page, lane_condition
from storage.schema import organisations, process_instances, timers, user_tasks


@dataclass(frozen=True)
class WorklistFilter:
    """What the caseworker asked for; every part is optional."""

    assignee: str | None = None
    unassigned: bool = False
    deadline_before: datetime | None = None
    element_id: str | None = None
    gemeente: str | None = None
    search: str | None = None


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
    """Open tasks in scope, sorted by deadline (none last), then age; ``total`` counts them all.

    Sorting and the deadline filter use the stored ``deadline_at``; only the rows of the page get
    ``timer_due`` (the boundary timer's own time), which says whether a timer sets the deadline.
    """
    conditions = [true() if scope is None else user_tasks.c.gemeente == scope, lane_condition(lane)]
    if filters.assignee is not None:
        conditions.append(user_tasks.c.assignee == filters.assignee)
    if filters.unassigned:
        conditions.append(user_tasks.c.assignee.is_(None))
    if filters.element_id is not None:
        conditions.append(user_tasks.c.element_id == filters.element_id)
    if filters.gemeente is not None:
        conditions.append(user_tasks.c.gemeente == filters.gemeente)
    if filters.deadline_before is not None:
        conditions.append(user_tasks.c.deadline_at < filters.deadline_before)
    source: Any = user_tasks
    if filters.search:
        source = user_tasks.join(process_instances, process_instances.c.id == user_tasks.c.instance_id)
        conditions.append(_search_condition(filters.search))
    total = _count(conn, source, conditions)
    if total <= offset:
        return Page([], total)
    dated = _count(conn, source, [*conditions, user_tasks.c.deadline_at.is_not(None)])
    rows: list[Any] = []
    if offset < dated:  # tasks with a deadline, in index order
        rows += conn.execute(
            _page_query(source, [*conditions, user_tasks.c.deadline_at.is_not(None)])
            .order_by(user_tasks.c.deadline_at, user_tasks.c.created_at, user_tasks.c.id)
            .offset(offset)
            .limit(limit)
        ).all()
    if len(rows) < limit:  # then those without one, oldest first
        rows += conn.execute(
            _page_query(source, [*conditions, user_tasks.c.deadline_at.is_(None)])
            .order_by(user_tasks.c.created_at, user_tasks.c.id)
            .offset(max(0, offset - dated))
            .limit(limit - len(rows))
        ).all()
    due = _boundary_due(conn, rows, boundaries)
    return Page([WorklistRow(**row._mapping, timer_due=due.get(row.id)) for row in rows], total)


def _count(conn: Connection, source: Any, conditions: Sequence[Any]) -> int:
    return int(conn.execute(select(func.count()).select_from(source).where(*conditions)).scalar_one())


def _page_query(source: Any, conditions: Sequence[Any]) -> Any:
    return (
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
            user_tasks.c.deadline_at.label("deadline"),
        )
        .select_from(source)
        .where(*conditions)
    )


def _boundary_due(
    conn: Connection, rows: Sequence[Any], boundaries: Sequence[tuple[str, str, str]]
) -> dict[str, datetime]:
    """For the page's rows: the earliest pending timer on a boundary event of each task."""
    if not rows or not boundaries:
        return {}
    timer_elements = {timer for _, _, timer in boundaries}
    pending: dict[tuple[str, str], datetime] = {}
    for timer in conn.execute(
        select(timers.c.instance_id, timers.c.element_id, timers.c.due_at).where(
            timers.c.instance_id.in_({row.instance_id for row in rows}),
            timers.c.element_id.in_(timer_elements),
        )
    ):
        where = (timer.instance_id, timer.element_id)
        pending[where] = min(timer.due_at, pending.get(where, timer.due_at))
    on_task: dict[tuple[str, str], list[str]] = {}  # (process key, task element): its timer elements
    for key, task, timer_element in boundaries:
        on_task.setdefault((key, task), []).append(timer_element)
    out: dict[str, datetime] = {}
    for row in rows:
        for timer_element in on_task.get((row.process_key, row.element_id), ()):
            due = pending.get((row.instance_id, timer_element))
            if due is not None:
                out[row.id] = min(due, out.get(row.id, due))
    return out


@dataclass(frozen=True)
class WorklistRow:
    """One open task on a worklist page, with its deadline and its boundary timer's time."""

    id: str
    instance_id: str
    element_id: str
    process_key: str
    name: str
    lane: str | None
    assignee: str | None
    due_at: datetime | None
    gemeente: str | None
    created_at: datetime
    deadline: datetime | None
    timer_due: datetime | None


def gemeenten(conn: Connection) -> Sequence[Any]:
    """Every gemeente organisation (code and name), for the COA's "per gemeente" filter."""
    return conn.execute(
        select(organisations.c.code, organisations.c.name)
        .where(organisations.c.kind == "gemeente")
        .order_by(organisations.c.name)
    ).all()

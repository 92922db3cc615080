"""Every list, count and single-row read of the HTTP API, with the tenant filter in the SQL.

``gemeente`` arguments named ``scope`` confine a query to one gemeente's status holders; ``None``
means the caller may see every gemeente. A row outside the scope is never read into Python, so a
foreign id and a missing id cannot be told apart. Nothing here selects an instance's engine state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Text, bindparam, func, select, true

from storage.schema import (
    audit_entries,
    closed_tasks,
    documents,
    lane_key,
    process_definitions,
    process_instances,
    timers,
    user_tasks,
)
from storage.task_forms import FORM, TASKS_WITH_FORM

INSTANCE_COLUMNS = (
    process_instances.c.id,
    process_instances.c.process_key,
    process_instances.c.version,
    process_instances.c.business_key,
    process_instances.c.gemeente,
    process_instances.c.scenario,
    process_instances.c.status,
    process_instances.c.created_at,
    process_instances.c.updated_at,
    process_instances.c.ended_at,
)


@dataclass(frozen=True)
class Page:
    """One page of rows and the total number of rows matching the filters."""

    rows: Sequence[Any]
    total: int


def _page(conn: Connection, query: Select[Any], order: Sequence[Any], offset: int, limit: int) -> Page:
    counted = query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    total = conn.execute(counted).scalar_one()
    rows = conn.execute(query.order_by(*order).offset(offset).limit(limit)).all() if total > offset else []
    return Page(rows, int(total))


def _scoped(column: Any, scope: str | None) -> ColumnElement[bool]:
    return true() if scope is None else column == scope


def lane_condition(lane: str | None) -> ColumnElement[bool]:
    """Tasks in ``lane`` (``gemeente`` or ``coa``), or every task when ``lane`` is None."""
    if lane is None:
        return true()
    return user_tasks.c.lane_key == lane


def is_lane(value: str | None, lane: str) -> bool:
    return lane_key(value) == lane


# -- instances ------------------------------------------------------------------------------------
def list_instances(
    conn: Connection,
    *,
    scope: str | None,
    gemeente: str | None = None,
    status: str | None = None,
    scenario: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page:
    query = select(*INSTANCE_COLUMNS).where(_scoped(process_instances.c.gemeente, scope))
    if gemeente is not None:
        query = query.where(process_instances.c.gemeente == gemeente)
    if status is not None:
        query = query.where(process_instances.c.status == status)
    if scenario is not None:
        query = query.where(process_instances.c.scenario == scenario)
    order = (process_instances.c.created_at, process_instances.c.id)
    return _page(conn, query, order, offset, limit)


def get_instance(conn: Connection, instance_id: str, *, scope: str | None) -> Any:
    """The instance's columns for the API (variables and active elements, no engine state)."""
    return conn.execute(
        select(*INSTANCE_COLUMNS, process_instances.c.variables, process_instances.c.active_elements).where(
            process_instances.c.id == instance_id, _scoped(process_instances.c.gemeente, scope)
        )
    ).first()


def list_history(conn: Connection, instance_id: str, *, offset: int = 0, limit: int = 50) -> Page:
    query = select(audit_entries).where(audit_entries.c.instance_id == instance_id)
    return _page(conn, query, (audit_entries.c.id,), offset, limit)


# -- tasks ----------------------------------------------------------------------------------------
#: What a worklist row shows (``app.api.common.task_summary``): no form, no Camunda extras, no
#: deadline, so that a page converts no more JSON and times than it answers.
TASK_LIST_COLUMNS = (
    user_tasks.c.id,
    user_tasks.c.element_id,
    user_tasks.c.name,
    user_tasks.c.lane,
    user_tasks.c.candidate_groups,
    user_tasks.c.assignee,
    user_tasks.c.due_at,
    user_tasks.c.created_at,
    user_tasks.c.instance_id,
    user_tasks.c.process_key,
)


def list_tasks(
    conn: Connection,
    *,
    scope: str | None,
    lane: str | None,
    candidate_group: str | None = None,
    assignee: str | None = None,
    instance_id: str | None = None,
    element_id: str | None = None,
    due_before: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """Open tasks in ``scope`` and ``lane`` matching every filter given (:data:`TASK_LIST_COLUMNS`)."""
    if (candidate_group, assignee, instance_id, element_id, due_before) == (None,) * 5:
        # the plain worklist, the most frequent read: its statements are built once
        count, rows = _TASK_LIST[scope is not None, lane is not None]
        params: dict[str, Any] = {"scope": scope, "lane": lane, "offset": offset, "limit": limit}
        total = int(conn.execute(count, params).scalar_one())
        return Page(conn.execute(rows, params).all() if total > offset else [], total)
    query = select(*TASK_LIST_COLUMNS).where(  # the worklist never shows forms: not joined
        _scoped(user_tasks.c.gemeente, scope), lane_condition(lane)
    )
    if candidate_group is not None:
        # candidate_groups is a JSON list of plain names ([A-Za-z0-9_.:-]); match the quoted name.
        escaped = candidate_group.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        text = func.cast(user_tasks.c.candidate_groups, Text())
        query = query.where(text.like(f'%"{escaped}"%', escape="\\"))
    if assignee is not None:
        query = query.where(user_tasks.c.assignee == assignee)
    if instance_id is not None:
        query = query.where(user_tasks.c.instance_id == instance_id)
    if element_id is not None:
        query = query.where(user_tasks.c.element_id == element_id)
    if due_before is not None:
        query = query.where(user_tasks.c.due_at < due_before)
    return _page(conn, query, (user_tasks.c.created_at, user_tasks.c.id), offset, limit)


def _task_list(scoped: bool, laned: bool) -> tuple[Select[Any], Select[Any]]:
    query = select(*TASK_LIST_COLUMNS).where(
        user_tasks.c.gemeente == bindparam("scope") if scoped else true(),
        user_tasks.c.lane_key == bindparam("lane") if laned else true(),
    )
    count = query.with_only_columns(func.count(), maintain_column_froms=True)
    rows = (
        query.order_by(user_tasks.c.created_at, user_tasks.c.id)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )
    return count, rows


#: (count, page) of the unfiltered task list, by (scoped to a gemeente, confined to a lane)
_TASK_LIST = {
    (scoped, laned): _task_list(scoped, laned) for scoped in (False, True) for laned in (False, True)
}


#: A task with its form's fields (``form``)
_GET_TASK = select(user_tasks, FORM).select_from(TASKS_WITH_FORM).where(user_tasks.c.id == bindparam("id"))
_GET_TASK_SCOPED = _GET_TASK.where(user_tasks.c.gemeente == bindparam("scope"))


def get_task(conn: Connection, task_id: str, *, scope: str | None) -> Any:
    if scope is None:
        return conn.execute(_GET_TASK, {"id": task_id}).first()
    return conn.execute(_GET_TASK_SCOPED, {"id": task_id, "scope": scope}).first()


def tasks_of_instance(conn: Connection, instance_id: str) -> Sequence[Any]:
    return conn.execute(
        select(user_tasks)
        .where(user_tasks.c.instance_id == instance_id)
        .order_by(user_tasks.c.created_at, user_tasks.c.id)
    ).all()


def find_closed_task(conn: Connection, task_id: str, *, scope: str | None) -> str | None:
    """The instance of a task that was open once (completed or cancelled), if the caller may see it."""
    return conn.execute(
        select(closed_tasks.c.instance_id).where(
            closed_tasks.c.id == task_id, _scoped(closed_tasks.c.gemeente, scope)
        )
    ).scalar()


# -- timers ---------------------------------------------------------------------------------------
def list_timers(
    conn: Connection,
    *,
    scope: str | None,
    instance_id: str | None = None,
    due_before: datetime | None = None,
    process_key: str | None = None,
    start_events: bool | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """Pending timers; timer start events (no instance, no gemeente) only for an unscoped caller."""
    query = select(*_TIMER_COLUMNS).where(_scoped(timers.c.gemeente, scope))
    if instance_id is not None:
        query = query.where(timers.c.instance_id == instance_id)
    if process_key is not None:
        query = query.where(timers.c.process_key == process_key, timers.c.instance_id.is_(None))
    if start_events is not None:
        query = query.where(
            timers.c.instance_id.is_(None) if start_events else timers.c.instance_id.is_not(None)
        )
    if due_before is not None:
        query = query.where(timers.c.due_at < due_before)
    return _page(conn, query, (timers.c.due_at, timers.c.id), offset, limit)


def get_timer(conn: Connection, timer_id: str, *, scope: str | None) -> Any:
    return conn.execute(
        select(*_TIMER_COLUMNS).where(timers.c.id == timer_id, _scoped(timers.c.gemeente, scope))
    ).first()


_TIMER_COLUMNS = (
    timers.c.id,
    timers.c.instance_id,
    timers.c.element_id,
    timers.c.due_at,
    timers.c.process_key,
    timers.c.version,
)


def timers_of_instance(conn: Connection, instance_id: str) -> Sequence[Any]:
    return conn.execute(
        select(timers.c.id, timers.c.instance_id, timers.c.element_id, timers.c.due_at)
        .where(timers.c.instance_id == instance_id)
        .order_by(timers.c.due_at, timers.c.id)
    ).all()


# -- process definitions --------------------------------------------------------------------------
_DEFINITION_COLUMNS = (
    process_definitions.c.key,
    process_definitions.c.version,
    process_definitions.c.name,
    process_definitions.c.document_sha256.label("sha256"),
    process_definitions.c.deployed_at,
)


def list_definitions(conn: Connection, *, key: str | None = None, offset: int = 0, limit: int = 50) -> Page:
    query = select(*_DEFINITION_COLUMNS)
    if key is not None:
        query = query.where(process_definitions.c.key == key)
    order = (process_definitions.c.key, process_definitions.c.version.desc())
    return _page(conn, query, order, offset, limit)


def definition_versions(conn: Connection, key: str) -> Sequence[Any]:
    """Every version of ``key``, newest first (empty when there is no such key)."""
    return conn.execute(
        select(*_DEFINITION_COLUMNS)
        .where(process_definitions.c.key == key)
        .order_by(process_definitions.c.version.desc())
    ).all()


def definition_document(conn: Connection, key: str, version: int | None = None) -> Any:
    """The stored document (name, kind, content) of ``key`` at ``version`` (default: the newest)."""
    query = (
        select(documents.c.name, documents.c.kind, documents.c.content, process_definitions.c.version)
        .join(documents, documents.c.sha256 == process_definitions.c.document_sha256)
        .where(process_definitions.c.key == key)
    )
    if version is not None:
        query = query.where(process_definitions.c.version == version)
    return conn.execute(query.order_by(process_definitions.c.version.desc()).limit(1)).first()

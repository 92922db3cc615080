"""Rows in, frozen records out: one verb_noun function per database operation on instances.

Every write of a step happens in the caller's transaction: the instance row (with its optimistic
revision check), the index tables, the audit trail and the outbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.result import StepResult
from storage.deadlines import refresh_deadlines
from storage.errors import ConflictError, DuplicateInstanceError
from storage.schema import (
    audit_entries,
    closed_tasks,
    external_tasks,
    lane_key,
    message_waits,
    outbox_events,
    process_instances,
    signal_waits,
    timers,
    user_tasks,
)
from storage.task_forms import FORM, TASKS_WITH_FORM, form_id, store_forms


@dataclass(frozen=True)
class InstanceRecord:
    """A stored process instance as the API shows it (state included for the engine)."""

    id: str
    process_key: str
    version: int
    business_key: str | None
    gemeente: str | None
    scenario: str | None
    status: str
    revision: int
    state: dict[str, Any]
    variables: dict[str, Any]
    active_elements: list[str]
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class WrittenIndex:
    """The index rows of one revision of an instance that only a step writes, as it wrote them.

    ``timers``: due time by timer id; ``message_waits``: (message name, element) per row;
    ``signal_waits``: (signal name, element) per row. A step that knows them (the revision it runs
    on is the one they were written as) compares instead of reading or rewriting them.
    """

    timers: dict[str, datetime]
    message_waits: tuple[tuple[str, str | None], ...]
    signal_waits: tuple[tuple[str, str | None], ...]


def _record(row: Any) -> InstanceRecord:
    state = row.state
    if isinstance(state, dict) and "instanceId" not in state:
        state = {**state, "instanceId": row.id}  # stored before the state carried its id
    return InstanceRecord(
        id=row.id,
        process_key=row.process_key,
        version=row.version,
        business_key=row.business_key,
        gemeente=row.gemeente,
        scenario=row.scenario,
        status=row.status,
        revision=row.revision,
        state=state,
        variables=row.variables,
        active_elements=list(row.active_elements or []),
        created_at=row.created_at,
        updated_at=row.updated_at,
        ended_at=row.ended_at,
    )


_GET_INSTANCE = select(process_instances).where(process_instances.c.id == bindparam("id"))
_GET_TASK = select(user_tasks).where(user_tasks.c.id == bindparam("id"))


def get_instance(conn: Connection, instance_id: str) -> InstanceRecord | None:
    row = conn.execute(_GET_INSTANCE, {"id": instance_id}).first()
    return _record(row) if row is not None else None


def get_instances(conn: Connection, instance_ids: Sequence[str]) -> list[InstanceRecord]:
    if not instance_ids:
        return []
    rows = conn.execute(select(process_instances).where(process_instances.c.id.in_(list(instance_ids)))).all()
    return [_record(row) for row in rows]


def insert_instance(
    conn: Connection,
    result: StepResult,
    *,
    business_key: str | None,
    gemeente: str | None,
    actor: str,
    now: datetime,
    instance_id: str | None = None,
    view: dict[str, Any] | None = None,
    savepoint: bool = True,
) -> InstanceRecord:
    """Store a new instance and everything its first step produced.

    With ``view``, its ``tasks`` and ``timers`` become the instance's index rows as written. A
    business key already active raises DuplicateInstanceError; the insert runs under a savepoint
    so the caller's transaction can go on, unless ``savepoint=False`` (the caller gives up then) or
    there is no business key (nothing can clash).
    """
    instance_id = instance_id or str(uuid.uuid4())
    values = {
        "id": instance_id,
        "process_key": result.process_key,
        "version": result.version,
        "business_key": business_key,
        "gemeente": gemeente,
        "scenario": result.scenario,
        "status": result.status,
        "revision": 1,
        "state": result.state,
        "variables": result.variables,
        "active_elements": list(result.active_elements),
        "created_at": now,
        "updated_at": now,
        "ended_at": None if result.status == "active" else now,
    }
    try:
        if business_key is None or not savepoint:
            conn.execute(_INSERT_INSTANCE, values)
        else:
            with conn.begin_nested():
                conn.execute(_INSERT_INSTANCE, values)
    except IntegrityError as exc:
        raise DuplicateInstanceError("an active instance with this business key exists") from exc
    written = _write_indexes(
        conn, instance_id, result, gemeente=gemeente, business_key=business_key, fresh=True
    )
    _write_history(conn, instance_id, result, gemeente=gemeente, actor=actor, now=now)
    if view is not None:
        view.update(written)
    return _record(SimpleNamespace(**values))


def update_instance(
    conn: Connection,
    record: InstanceRecord,
    result: StepResult,
    *,
    actor: str,
    now: datetime,
    view: dict[str, Any] | None = None,
    known: WrittenIndex | None = None,
) -> InstanceRecord:
    """Write a step on top of ``record``; ConflictError when someone else wrote first.

    With ``view``, its ``tasks`` and ``timers`` become the instance's index rows as written, and
    its ``index`` the :class:`WrittenIndex` of the new revision. ``known``: the WrittenIndex of
    ``record``'s revision, when the caller has it.
    """
    values: dict[str, Any] = {
        "revision": record.revision + 1,
        "version": result.version,  # changes only when the instance is migrated
        "status": result.status,
        "scenario": result.scenario or record.scenario,
        "state": result.state,
        "variables": result.variables,
        "active_elements": list(result.active_elements),
        "updated_at": now,
    }
    if result.status != "active" and record.status == "active":
        values["ended_at"] = now
    statement = _UPDATE_INSTANCE_ENDED if "ended_at" in values else _UPDATE_INSTANCE
    changed = conn.execute(statement, {**values, "_id": record.id, "_revision": record.revision}).rowcount
    if changed != 1:
        raise ConflictError("the instance was changed by another request; reload and try again")
    written = _write_indexes(
        conn,
        record.id,
        result,
        gemeente=record.gemeente,
        business_key=record.business_key,
        fresh=False,
        kinds=result.index_kinds if record.version == result.version else None,
        known=known,
    )
    _write_history(conn, record.id, result, gemeente=record.gemeente, actor=actor, now=now)
    if view is not None:
        view.update(written)
    return replace(
        record,
        revision=values["revision"],
        version=values["version"],
        status=values["status"],
        scenario=values["scenario"],
        state=result.state,
        variables=result.variables,
        active_elements=values["active_elements"],
        updated_at=now,
        ended_at=values.get("ended_at", record.ended_at),
    )


# The statements of every step, built once (building them costs more than running them on SQLite).
_INSERT_INSTANCE = insert(process_instances)
_UPDATE_COLUMNS = (
    "revision",
    "version",
    "status",
    "scenario",
    "state",
    "variables",
    "active_elements",
    "updated_at",
)
_UPDATE_INSTANCE = (
    update(process_instances)
    .where(process_instances.c.id == bindparam("_id"), process_instances.c.revision == bindparam("_revision"))
    .values({c: bindparam(c) for c in _UPDATE_COLUMNS})
)
_UPDATE_INSTANCE_ENDED = _UPDATE_INSTANCE.values(ended_at=bindparam("ended_at"))

#: The columns of a user task row the API shows (``listing.tasks_of_instance`` reads all of them).
_TASK_VIEW_COLUMNS = (
    user_tasks.c.id,
    user_tasks.c.instance_id,
    user_tasks.c.element_id,
    user_tasks.c.name,
    user_tasks.c.lane,
    user_tasks.c.lane_key,
    user_tasks.c.candidate_groups,
    user_tasks.c.assignee,
    user_tasks.c.due_at,
    user_tasks.c.gemeente,
    user_tasks.c.process_key,
    user_tasks.c.form_id,
    user_tasks.c.created_at,
)


_TASKS_OF = select(*_TASK_VIEW_COLUMNS).where(user_tasks.c.instance_id == bindparam("instance_id"))
_TIMERS_OF = select(timers.c.id, timers.c.due_at).where(timers.c.instance_id == bindparam("instance_id"))
_DELETE_MESSAGE_WAITS = delete(message_waits).where(message_waits.c.instance_id == bindparam("instance_id"))
_DELETE_SIGNAL_WAITS = delete(signal_waits).where(signal_waits.c.instance_id == bindparam("instance_id"))
_DELETE_TASKS = delete(user_tasks).where(user_tasks.c.id.in_(bindparam("ids", expanding=True)))
_DELETE_TIMERS = delete(timers).where(timers.c.id.in_(bindparam("ids", expanding=True)))
_INSERT_TASKS = insert(user_tasks)
_INSERT_CLOSED_TASKS = insert(closed_tasks)
_INSERT_TIMERS = insert(timers)
_INSERT_AUDIT = insert(audit_entries)
_INSERT_OUTBOX = insert(outbox_events)


def _write_indexes(
    conn: Connection,
    instance_id: str,
    result: StepResult,
    *,
    gemeente: str | None,
    business_key: str | None,
    fresh: bool,
    kinds: frozenset[str] | None = None,
    known: WrittenIndex | None = None,
) -> dict[str, Any]:
    """Bring the instance's index rows in line with the step; returns the open tasks and timers
    as their rows now read (``tasks`` ordered by creation, ``timers`` by due time) and the
    :class:`WrittenIndex` (``index``).

    ``known``: the rows of the revision the step ran on, as that step wrote them; the timers are
    not read then, and the waits are rewritten only when they changed.
    """
    open_ids = {t.id for t in result.open_tasks}
    timer_ids = {t.id for t in result.timers}
    existing_tasks: set[str] = set()
    existing_timers: dict[str, datetime] = {}
    kept_rows: dict[str, Any] = {}
    timers_changed = False
    message_key = tuple((w.message_name, w.element_id) for w in result.message_waits)
    signal_key = tuple((w.signal_name, w.element_id) for w in result.signal_waits)
    message_changed = signal_changed = True
    if not fresh:
        kept_rows = {r.id: r for r in conn.execute(_TASKS_OF, {"instance_id": instance_id})}
        existing_elements = {task_id: r.element_id for task_id, r in kept_rows.items()}
        existing_tasks = set(existing_elements)
        if known is not None:
            existing_timers = known.timers
        else:
            existing_timers = {r.id: r.due_at for r in conn.execute(_TIMERS_OF, {"instance_id": instance_id})}
        gone = existing_tasks - open_ids
        if gone:
            conn.execute(_DELETE_TASKS, {"ids": sorted(gone)})
            completed = {e.data.get("taskId") for e in result.events if e.type == "taak-afgerond"}
            conn.execute(
                _INSERT_CLOSED_TASKS,
                [
                    {
                        "id": task_id,
                        "instance_id": instance_id,
                        "element_id": existing_elements[task_id],
                        "gemeente": gemeente,
                        "outcome": "completed" if task_id in completed else "cancelled",
                        "closed_at": result.at,
                    }
                    for task_id in sorted(gone)
                ],
            )
        gone_timers = set(existing_timers) - timer_ids
        if gone_timers:
            timers_changed = True
            conn.execute(_DELETE_TIMERS, {"ids": sorted(gone_timers)})
        # rows of a kind the definition cannot have do not exist: nothing to look for
        if known is not None:
            message_changed = message_key != known.message_waits
            signal_changed = signal_key != known.signal_waits
            if message_changed and known.message_waits:
                conn.execute(_DELETE_MESSAGE_WAITS, {"instance_id": instance_id})
            if signal_changed and known.signal_waits:
                conn.execute(_DELETE_SIGNAL_WAITS, {"instance_id": instance_id})
        else:
            if kinds is None or "message" in kinds:
                conn.execute(_DELETE_MESSAGE_WAITS, {"instance_id": instance_id})
            if kinds is None or "signal" in kinds:
                conn.execute(_DELETE_SIGNAL_WAITS, {"instance_id": instance_id})
        if kinds is None or "external" in kinds:
            _close_external_tasks(conn, instance_id, {t.id for t in result.external_tasks}, result.at)
    forms: dict[str, list[dict[str, Any]]] = {}
    new_tasks = []
    for t in result.open_tasks:
        if t.id in existing_tasks:
            continue
        key, fields = _form_of(t.form)
        if key is not None:
            forms.setdefault(key, fields)
        new_tasks.append(
            {
                "id": t.id,
                "instance_id": instance_id,
                "element_id": t.element_id,
                "name": t.name,
                "lane": t.lane,
                "lane_key": lane_key(t.lane),
                "candidate_groups": list(t.candidate_groups),
                "assignee": t.assignee,
                "due_at": t.due_at,
                "gemeente": gemeente,
                "process_key": t.process_id,
                "form_id": key,
                "created_at": t.created_at,
                "candidate_users": list(t.candidate_users),
                "follow_up_at": t.follow_up_at,
                "priority": t.priority,
            }
        )
    if new_tasks:
        store_forms(conn, forms)
        conn.execute(_INSERT_TASKS, new_tasks)
    new_timers = []
    for timer in result.timers:
        if timer.id not in existing_timers:
            new_timers.append(
                {
                    "id": timer.id,
                    "instance_id": instance_id,
                    "element_id": timer.element_id,
                    "due_at": timer.due_at,
                    "gemeente": gemeente,
                    "attempts": 0,
                }
            )
        elif existing_timers[timer.id] != timer.due_at:
            timers_changed = True
            conn.execute(
                update(timers)
                .where(timers.c.id == timer.id)
                .values(due_at=timer.due_at, claimed_by=None, claimed_until=None)
            )
    if new_timers:
        timers_changed = True
        conn.execute(_INSERT_TIMERS, new_timers)
    if result.open_tasks and (new_tasks or timers_changed):
        # a deadline is the task's due date or a timer of the instance's: it moves only with them
        refresh_deadlines(conn, instance_id)
    waits = [
        {
            "instance_id": instance_id,
            "message_name": w.message_name,
            "business_key": business_key,
            "element_id": w.element_id,
        }
        for w in result.message_waits
    ]
    if waits and message_changed:
        conn.execute(insert(message_waits), waits)
    _open_external_tasks(conn, instance_id, result, gemeente=gemeente)
    signals = [
        {
            "instance_id": instance_id,
            "signal_name": w.signal_name,
            "gemeente": gemeente,
            "element_id": w.element_id,
        }
        for w in result.signal_waits
    ]
    if signals and signal_changed:
        conn.execute(insert(signal_waits), signals)
    fresh_rows = {row["id"]: SimpleNamespace(**row) for row in new_tasks}
    task_rows = [kept_rows.get(t.id) or fresh_rows[t.id] for t in result.open_tasks]
    task_rows.sort(key=lambda r: (r.created_at, r.id))
    timer_rows = [
        SimpleNamespace(id=t.id, instance_id=instance_id, element_id=t.element_id, due_at=t.due_at)
        for t in result.timers
    ]
    timer_rows.sort(key=lambda r: (r.due_at, r.id))
    index = WrittenIndex({t.id: t.due_at for t in result.timers}, message_key, signal_key)
    return {"tasks": task_rows, "timers": timer_rows, "index": index}


#: A form's key and fields by the form's tuple of fields (the deployed definition's own object).
_FORMS: dict[int, tuple[Any, str | None, list[dict[str, Any]]]] = {}


def _form_of(form: Sequence[Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """:func:`form_id` and the fields of a task's form, worked out once per deployed form."""
    entry = _FORMS.get(id(form))
    if entry is None or entry[0] is not form:
        fields = [f.as_dict() for f in form]
        if len(_FORMS) >= 4096:  # definitions loaded again and again (tests): start over
            _FORMS.clear()
        entry = _FORMS[id(form)] = (form, form_id(fields), fields)
    return entry[1], entry[2]


def _open_external_tasks(
    conn: Connection, instance_id: str, result: StepResult, *, gemeente: str | None
) -> None:
    if not result.external_tasks:
        return
    known = set(
        conn.execute(
            select(external_tasks.c.id).where(external_tasks.c.id.in_([t.id for t in result.external_tasks]))
        ).scalars()
    )
    rows = [
        {
            "id": t.id,
            "instance_id": instance_id,
            "element_id": t.element_id,
            "topic": t.topic,
            "process_key": t.process_id,
            "gemeente": gemeente,
            "priority": t.priority,
            "created_at": t.created_at,
        }
        for t in result.external_tasks
        if t.id not in known
    ]
    if rows:
        conn.execute(insert(external_tasks), rows)


def _close_external_tasks(conn: Connection, instance_id: str, still_open: set[str], now: datetime) -> None:
    """Remove external tasks no longer open; an incident about one of them is resolved with it."""
    from storage import incidents

    gone = conn.execute(
        select(external_tasks.c.id, external_tasks.c.incident_id).where(
            external_tasks.c.instance_id == instance_id
        )
    ).all()
    gone = [r for r in gone if r.id not in still_open]
    if not gone:
        return
    for row in gone:
        if row.incident_id is not None:
            incidents.resolve_incident(conn, row.incident_id, now=now, by="system")
    conn.execute(delete(external_tasks).where(external_tasks.c.id.in_([r.id for r in gone])))


def _write_history(
    conn: Connection, instance_id: str, result: StepResult, *, gemeente: str | None, actor: str, now: datetime
) -> None:
    if result.audit:
        conn.execute(
            _INSERT_AUDIT,
            [
                {
                    "instance_id": instance_id,
                    "at": now,
                    "actor": record.actor if record.actor.startswith("system:") else actor,
                    "action": record.action,
                    "element_id": record.element_id,
                    "detail": record.detail,
                }
                for record in result.audit
            ],
        )
    if result.events:
        conn.execute(
            _INSERT_OUTBOX,
            [
                {
                    "id": str(uuid.uuid4()),
                    "instance_id": instance_id,
                    "gemeente": gemeente,
                    "type": event.type,
                    "element_id": event.element_id,
                    "data": {**event.data, "processInstanceId": instance_id, "gemeente": gemeente},
                    "created_at": now,
                    "dispatched": False,
                }
                for event in result.events
            ],
        )


def find_instances_waiting(
    conn: Connection, message_name: str, business_key: str, process_key: str | None = None
) -> list[str]:
    waits = find_message_waits(conn, message_name, business_key, process_key)
    return list(dict.fromkeys(i for i, _ in waits))


def find_message_waits(
    conn: Connection,
    message_name: str,
    business_key: str | None,
    process_key: str | None = None,
    instance_id: str | None = None,
) -> list[tuple[str, str]]:
    """(instance id, element id) of every active wait for the message: one row per waiting execution."""
    query = (
        select(message_waits.c.instance_id, message_waits.c.element_id)
        .join(process_instances, process_instances.c.id == message_waits.c.instance_id)
        .where(message_waits.c.message_name == message_name, process_instances.c.status == "active")
        .order_by(process_instances.c.created_at, message_waits.c.id)
    )
    if business_key is not None:
        query = query.where(message_waits.c.business_key == business_key)
    if process_key is not None:
        query = query.where(process_instances.c.process_key == process_key)
    if instance_id is not None:
        query = query.where(message_waits.c.instance_id == instance_id)
    return [(row.instance_id, row.element_id) for row in conn.execute(query)]


def find_active_instance(conn: Connection, process_key: str, business_key: str) -> str | None:
    return conn.execute(
        select(process_instances.c.id).where(
            process_instances.c.process_key == process_key,
            process_instances.c.business_key == business_key,
            process_instances.c.status == "active",
        )
    ).scalar()


def get_task_row(conn: Connection, task_id: str) -> Any:
    return conn.execute(_GET_TASK, {"id": task_id}).first()


def get_closed_task(conn: Connection, task_id: str) -> Any:
    return conn.execute(select(closed_tasks).where(closed_tasks.c.id == task_id)).first()


def get_timer_row(conn: Connection, timer_id: str) -> Any:
    return conn.execute(select(timers).where(timers.c.id == timer_id)).first()


def set_task_assignee(conn: Connection, task_id: str, assignee: str | None, *, expected: str | None) -> bool:
    """Claim or unclaim: changes the row only if its assignee is still ``expected``."""
    cond = user_tasks.c.assignee.is_(None) if expected is None else user_tasks.c.assignee == expected
    return bool(
        conn.execute(
            update(user_tasks).where(user_tasks.c.id == task_id, cond).values(assignee=assignee)
        ).rowcount
    )


def list_audit(
    conn: Connection, instance_id: str, *, offset: int = 0, limit: int = 100
) -> tuple[list[Any], int]:
    total = conn.execute(
        select(func.count()).select_from(audit_entries).where(audit_entries.c.instance_id == instance_id)
    ).scalar_one()
    rows = conn.execute(
        select(audit_entries)
        .where(audit_entries.c.instance_id == instance_id)
        .order_by(audit_entries.c.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), int(total)


def timers_for_instance(conn: Connection, instance_id: str) -> Sequence[Any]:
    return conn.execute(
        select(timers).where(timers.c.instance_id == instance_id).order_by(timers.c.due_at)
    ).all()


def tasks_for_instance(conn: Connection, instance_id: str) -> Sequence[Any]:
    """The instance's open tasks, each with its form's fields (``form``)."""
    return conn.execute(
        select(user_tasks, FORM)
        .select_from(TASKS_WITH_FORM)
        .where(user_tasks.c.instance_id == instance_id)
        # tasks opened in one step share created_at: the element id, then the task id, break the tie
        # so every database lists an instance's tasks in the same order
        .order_by(user_tasks.c.created_at, user_tasks.c.element_id, user_tasks.c.id)
    ).all()


def outbox_for_instance(conn: Connection, instance_id: str) -> Iterable[Any]:
    return conn.execute(
        select(outbox_events).where(outbox_events.c.instance_id == instance_id).order_by(outbox_events.c.seq)
    ).all()

"""The case header as shown, and the deadline text, that the worklist, task and case pages share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.auth import sees_identity
from app.tasklist.blueprint import format_date, format_local
from app.tasklist.process_info import Boundary, ProcessInfo, boundaries_of
from engine.clock import LOCAL_ZONE
from storage.case_header import CaseHeader
from storage.orgs import Principal


@dataclass(frozen=True)
class HeaderView:
    """The case header as a page shows it: Dutch dates, identity only for who may see it."""

    naam: str
    v_nummer: str
    azc: str
    koppeldatum: str
    scenario: str
    gemeente: str
    gemeente_naam: str


def header_view(header: CaseHeader | None, user: Principal) -> HeaderView:
    """What the page shows of ``header`` (storage's :func:`storage.case_header.case_headers`)."""
    if header is None:
        return HeaderView("", "", "", "", "", "", "")
    identity = sees_identity(user, header.gemeente)
    return HeaderView(
        naam=(header.naam or "") if identity else "",
        v_nummer=(header.v_nummer or "") if identity else "",
        azc=header.azc or "",
        koppeldatum=format_date(header.koppeldatum.isoformat() if header.koppeldatum else None),
        scenario=header.scenario or "",
        gemeente=header.gemeente or "",
        gemeente_naam=header.gemeente_naam or header.gemeente or "",
    )


def when(moment: datetime) -> str:
    """A deadline as a day, with the time only when it is not midnight in Amsterdam."""
    local = moment.astimezone(LOCAL_ZONE)
    if (local.hour, local.minute) == (0, 0):
        return format_date(moment)
    return format_local(moment)


@dataclass(frozen=True)
class Deadline:
    """When a task must be done, and what happens otherwise."""

    at: datetime
    text: str
    overdue: bool
    soon: bool


def describe_deadline(
    at: datetime | None, own_due: datetime | None, boundary: Boundary | None, now: datetime
) -> Deadline | None:
    if at is None:
        return None
    if boundary is None:
        text = f"Uiterlijk {when(at)} afronden."
    elif boundary.interrupting:
        text = f"Zonder afronding vóór {when(at)}: {lower_first(boundary.consequence)}"
    else:
        text = f"Op {when(at)}: {lower_first(boundary.consequence)}"
    seconds = (at - now).total_seconds()
    return Deadline(at=at, text=text, overdue=seconds < 0, soon=0 <= seconds < 7 * 86400)


def lower_first(text: str) -> str:
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def row_deadline(row: Any, processes: Mapping[str, ProcessInfo], now: datetime) -> Deadline | None:
    """The deadline of a worklist row (its ``deadline`` column is the earliest of the two)."""
    entries: Sequence[Boundary] = boundaries_of(dict(processes), row.process_key, row.element_id)
    by_timer = row.timer_due is not None and (row.due_at is None or row.timer_due <= row.due_at)
    boundary = entries[0] if entries and by_timer else None
    return describe_deadline(row.deadline, row.due_at, boundary, now)


def task_deadlines(
    task: Any, timers: Sequence[Any], processes: Mapping[str, ProcessInfo], now: datetime
) -> list[Deadline]:
    """Every deadline of one task: its own due date and each pending boundary timer on it."""
    out: list[Deadline] = []
    if task.due_at is not None:
        own = describe_deadline(task.due_at, task.due_at, None, now)
        if own is not None:
            out.append(own)
    due_by_element = {t.element_id: t.due_at for t in timers}
    for boundary in boundaries_of(dict(processes), task.process_key, task.element_id):
        due = due_by_element.get(boundary.id)
        if due is not None:
            entry = describe_deadline(due, None, boundary, now)
            if entry is not None:
                out.append(entry)
    return sorted(out, key=lambda d: d.at)

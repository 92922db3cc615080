"""Comments on a case or one of its tasks, kept in the case's history (the audit trail).

A comment is an audit entry with action ``comment``: it appears in the history where it was made,
between the steps around it, and it leaves with the case at the retention purge. Its detail holds
the text and, for a task's comment, the task id (the entry's element id is the task's element).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from storage.schema import audit_entries

COMMENT_ACTION = "comment"
MAX_COMMENT_LENGTH = 4000


@dataclass(frozen=True)
class Comment:
    """One comment as stored."""

    id: int
    instance_id: str
    task_id: str | None
    element_id: str | None
    author: str
    text: str
    at: datetime


def _comment(row: Any) -> Comment:
    detail = dict(row.detail or {})
    return Comment(
        id=row.id,
        instance_id=row.instance_id,
        task_id=detail.get("taskId"),
        element_id=row.element_id,
        author=row.actor,
        text=str(detail.get("text", "")),
        at=row.at,
    )


def add_comment(
    conn: Connection,
    instance_id: str,
    text: str,
    *,
    author: str,
    now: datetime,
    task_id: str | None = None,
    element_id: str | None = None,
) -> Comment:
    """Store a comment on the case (or on its task ``task_id``) in the case's history."""
    detail: dict[str, Any] = {"text": text}
    if task_id is not None:
        detail["taskId"] = task_id
    new_id = conn.execute(
        insert(audit_entries)
        .values(
            instance_id=instance_id,
            at=now,
            actor=author,
            action=COMMENT_ACTION,
            element_id=element_id,
            detail=detail,
        )
        .returning(audit_entries.c.id)
    ).scalar_one()
    return Comment(int(new_id), instance_id, task_id, element_id, author, text, now)


def list_comments(
    conn: Connection, instance_id: str, *, task_id: str | None = None, offset: int = 0, limit: int = 50
) -> tuple[Sequence[Comment], int]:
    """The comments of a case (or only those of one task), oldest first, and how many there are."""
    query = select(audit_entries).where(
        audit_entries.c.instance_id == instance_id, audit_entries.c.action == COMMENT_ACTION
    )
    rows = conn.execute(query.order_by(audit_entries.c.id)).all()
    comments = [_comment(r) for r in rows]
    if task_id is not None:
        comments = [c for c in comments if c.task_id == task_id]
    total = len(comments)
    return comments[offset : offset + limit], total

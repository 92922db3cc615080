"""User task forms, stored once: every open task refers to its form's fields by their hash.

A form belongs to a task's element in a deployed diagram, so thousands of open tasks share a
handful of forms. ``task_forms`` holds each distinct list of fields once, keyed by the SHA-256 of
its canonical JSON; ``user_tasks.form_id`` refers to it (NULL: a task without fields). Reads that
show a form join it in as ``form`` (:data:`TASKS_WITH_FORM`, :data:`FORM`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from storage.schema import task_forms, user_tasks

#: The open tasks with their form's fields beside them (``select_from`` this, with :data:`FORM`).
TASKS_WITH_FORM = user_tasks.outerjoin(task_forms, task_forms.c.id == user_tasks.c.form_id)
#: A task's form fields as the column ``form`` (None for a task without fields).
FORM = task_forms.c.fields.label("form")


def form_id(fields: Sequence[Mapping[str, Any]]) -> str | None:
    """The key of a form: the SHA-256 of its fields as canonical JSON; None when there are none."""
    if not fields:
        return None
    text = json.dumps(list(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def store_forms(conn: Connection, forms: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """Store the forms (by :func:`form_id`) that are not stored yet, in the caller's transaction."""
    if not forms:
        return
    statement = _INSERT_NEW[conn.dialect.name == "postgresql"]
    conn.execute(statement, [{"id": key, "fields": list(fields)} for key, fields in sorted(forms.items())])


#: The insert that skips stored forms, per dialect (PostgreSQL or SQLite), built once.
_INSERT_NEW = {
    True: postgresql.insert(task_forms).on_conflict_do_nothing(index_elements=["id"]),
    False: sqlite.insert(task_forms).on_conflict_do_nothing(index_elements=["id"]),
}

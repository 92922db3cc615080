"""User task forms are stored once per distinct form, not on every open task.

``task_forms`` holds each distinct list of form fields once, keyed by the SHA-256 of its canonical
JSON; ``user_tasks.form_id`` refers to it (NULL for a task without fields) and ``user_tasks.form``
goes. The key is computed here exactly as ``storage.task_forms.form_id`` computes it.

Revision ID: 0015
Revises: 0014
"""

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_task_forms = sa.table("task_forms", sa.column("id", sa.String()), sa.column("fields", sa.JSON()))
_user_tasks = sa.table(
    "user_tasks",
    sa.column("id", sa.String()),
    sa.column("form", sa.JSON()),
    sa.column("form_id", sa.String()),
)


def _form_id(fields: list[Any]) -> str | None:
    if not fields:
        return None
    text = json.dumps(list(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def upgrade() -> None:
    op.create_table(
        "task_forms",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_forms")),
    )
    with op.batch_alter_table("user_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form_id", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_user_tasks_form_id_task_forms"), "task_forms", ["form_id"], ["id"]
        )
    conn = op.get_bind()
    forms: dict[str, Any] = {}
    links: list[dict[str, Any]] = []
    for row in conn.execute(sa.select(_user_tasks.c.id, _user_tasks.c.form)):
        key = _form_id(row.form or [])
        if key is not None:
            forms.setdefault(key, list(row.form))
            links.append({"task": row.id, "form_id": key})
    if forms:
        conn.execute(sa.insert(_task_forms), [{"id": k, "fields": v} for k, v in sorted(forms.items())])
    if links:
        conn.execute(
            sa.update(_user_tasks)
            .where(_user_tasks.c.id == sa.bindparam("task"))
            .values(form_id=sa.bindparam("form_id")),
            links,
        )
    with op.batch_alter_table("user_tasks", schema=None) as batch_op:
        batch_op.drop_column("form")


def downgrade() -> None:
    with op.batch_alter_table("user_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form", sa.JSON(), nullable=True))
    conn = op.get_bind()
    fields = {r.id: r.fields for r in conn.execute(sa.select(_task_forms.c.id, _task_forms.c.fields))}
    rows = [
        {"task": r.id, "form": fields.get(r.form_id) or []}
        for r in conn.execute(sa.select(_user_tasks.c.id, _user_tasks.c.form_id))
    ]
    if rows:
        conn.execute(
            sa.update(_user_tasks)
            .where(_user_tasks.c.id == sa.bindparam("task"))
            .values(form=sa.bindparam("form")),
            rows,
        )
    with op.batch_alter_table("user_tasks", schema=None) as batch_op:
        batch_op.alter_column("form", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_constraint(batch_op.f("fk_user_tasks_form_id_task_forms"), type_="foreignkey")
        batch_op.drop_column("form_id")
    op.drop_table("task_forms")

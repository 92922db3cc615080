"""Task deadlines for the worklist: boundary timers per task, and user_tasks.deadline_at.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "boundary_timers",
        sa.Column("process_key", sa.String(length=200), nullable=False),
        sa.Column("task_element", sa.String(length=200), nullable=False),
        sa.Column("timer_element", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint(
            "process_key", "task_element", "timer_element", name=op.f("pk_boundary_timers")
        ),
    )
    with op.batch_alter_table("user_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadline_at", UTCDateTime(), nullable=True))
        batch_op.create_index(
            "ix_user_tasks_gemeente_lane_key_deadline", ["gemeente", "lane_key", "deadline_at"], unique=False
        )
        batch_op.create_index(
            "ix_user_tasks_gemeente_lane_key_element_deadline",
            ["gemeente", "lane_key", "element_id", "deadline_at"],
            unique=False,
        )
    from storage.deadlines import backfill

    backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("user_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_user_tasks_gemeente_lane_key_element_deadline")
        batch_op.drop_index("ix_user_tasks_gemeente_lane_key_deadline")
        batch_op.drop_column("deadline_at")
    op.drop_table("boundary_timers")

"""Worklist indexes: a normalised lane key and covering indexes in worklist order.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lane_key", sa.String(length=100), nullable=True))
        batch_op.drop_index("ix_user_tasks_gemeente_created")
        batch_op.drop_index("ix_user_tasks_lane_created")
    op.execute("UPDATE user_tasks SET lane_key = lower(trim(lane))")
    with op.batch_alter_table("user_tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_user_tasks_gemeente_lane_key_created",
            ["gemeente", "lane_key", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_user_tasks_lane_key_created", ["lane_key", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_user_tasks_gemeente_created", ["gemeente", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_user_tasks_created", ["created_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("user_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_user_tasks_created")
        batch_op.drop_index("ix_user_tasks_gemeente_created")
        batch_op.drop_index("ix_user_tasks_lane_key_created")
        batch_op.drop_index("ix_user_tasks_gemeente_lane_key_created")
        batch_op.create_index("ix_user_tasks_lane_created", ["lane", "created_at"], unique=False)
        batch_op.create_index("ix_user_tasks_gemeente_created", ["gemeente", "created_at"], unique=False)
        batch_op.drop_column("lane_key")

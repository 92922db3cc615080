"""Timer start events: a timer row may belong to a process definition instead of an instance.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.alter_column("instance_id", existing_type=sa.String(36), nullable=True)
        batch_op.add_column(sa.Column("process_key", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("schedule", sa.JSON(), nullable=True))
        batch_op.create_index("ix_timers_process_key", ["process_key"])


def downgrade() -> None:
    op.execute("DELETE FROM timers WHERE instance_id IS NULL")
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_process_key")
        batch_op.drop_column("schedule")
        batch_op.drop_column("version")
        batch_op.drop_column("process_key")
        batch_op.alter_column("instance_id", existing_type=sa.String(36), nullable=False)

"""User tasks keep Camunda's candidate users, follow-up date and priority.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("candidate_users", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("follow_up_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_tasks", schema=None) as batch_op:
        batch_op.drop_column("priority")
        batch_op.drop_column("follow_up_at")
        batch_op.drop_column("candidate_users")

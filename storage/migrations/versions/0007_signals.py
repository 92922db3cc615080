"""Signals across instances: the indexed signal waits and the deliveries chosen at each throw.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signal_waits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("signal_name", sa.String(length=200), nullable=False),
        sa.Column("gemeente", sa.String(length=32), nullable=True),
        sa.Column("element_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instances.id"],
            name=op.f("fk_signal_waits_instance_id_process_instances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_waits")),
    )
    with op.batch_alter_table("signal_waits", schema=None) as batch_op:
        batch_op.create_index("ix_signal_waits_name_gemeente", ["signal_name", "gemeente"], unique=False)
        batch_op.create_index("ix_signal_waits_instance_id", ["instance_id"], unique=False)
    op.create_table(
        "signal_deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("signal_name", sa.String(length=200), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=True),
        sa.Column("process_key", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("gemeente", sa.String(length=32), nullable=True),
        sa.Column("business_key", sa.String(length=100), nullable=True),
        sa.Column("source_instance_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_deliveries")),
    )
    with op.batch_alter_table("signal_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_signal_deliveries_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signal_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_signal_deliveries_created_at")
    op.drop_table("signal_deliveries")
    with op.batch_alter_table("signal_waits", schema=None) as batch_op:
        batch_op.drop_index("ix_signal_waits_instance_id")
        batch_op.drop_index("ix_signal_waits_name_gemeente")
    op.drop_table("signal_waits")

"""Incidents: steps that failed and wait for an operator, and the timers they hold.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=True),
        sa.Column("gemeente", sa.String(length=32), nullable=True),
        sa.Column("element_id", sa.String(length=200), nullable=True),
        sa.Column("subject_id", sa.String(length=36), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_incidents_instance_id", ["instance_id", "created_at"], unique=False)
        batch_op.create_index(
            "uq_incidents_open_subject",
            ["kind", "subject_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("incident_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_column("incident_id")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("uq_incidents_open_subject")
        batch_op.drop_index("ix_incidents_instance_id")
        batch_op.drop_index("ix_incidents_status_created")
    op.drop_table("incidents")

"""The data-processing log (Logboek Dataverwerkingen): append-only records and data subject pseudonyms.

``processing_records`` takes no UPDATE, and a DELETE only of records that started before the
retention horizon in ``processing_log_horizon`` (which only moves forward): a trigger on SQLite and
on PostgreSQL refuses anything else, whatever code runs.

Revision ID: 0008
Revises: 0007
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

SQLITE_TRIGGERS = [
    """CREATE TRIGGER processing_records_no_update BEFORE UPDATE ON processing_records
    BEGIN SELECT RAISE(ABORT, 'processing_records is append-only'); END""",
    """CREATE TRIGGER processing_records_no_early_delete BEFORE DELETE ON processing_records
    WHEN NOT (OLD.start_time < COALESCE((SELECT horizon FROM processing_log_horizon WHERE id = 1), ''))
    BEGIN SELECT RAISE(ABORT, 'processing_records is append-only until its retention term has passed'); END""",
    """CREATE TRIGGER processing_log_horizon_forward BEFORE UPDATE ON processing_log_horizon
    WHEN NEW.horizon < OLD.horizon OR NEW.id != OLD.id
    BEGIN SELECT RAISE(ABORT, 'the retention horizon only moves forward'); END""",
    """CREATE TRIGGER processing_log_horizon_kept BEFORE DELETE ON processing_log_horizon
    BEGIN SELECT RAISE(ABORT, 'the retention horizon only moves forward'); END""",
]

POSTGRES_TRIGGERS = [
    """CREATE FUNCTION processing_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' OR TG_OP = 'TRUNCATE' THEN
            RAISE EXCEPTION 'processing_records is append-only';
        END IF;
        IF NOT (OLD.start_time < COALESCE(
                (SELECT horizon FROM processing_log_horizon WHERE id = 1), '-infinity'::timestamp)) THEN
            RAISE EXCEPTION 'processing_records is append-only until its retention term has passed';
        END IF;
        RETURN OLD;
    END $$""",
    """CREATE TRIGGER processing_records_append_only BEFORE UPDATE OR DELETE ON processing_records
    FOR EACH ROW EXECUTE FUNCTION processing_records_append_only()""",
    """CREATE TRIGGER processing_records_no_truncate BEFORE TRUNCATE ON processing_records
    FOR EACH STATEMENT EXECUTE FUNCTION processing_records_append_only()""",
    """CREATE FUNCTION processing_log_horizon_forward() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'UPDATE' OR NEW.horizon < OLD.horizon OR NEW.id <> OLD.id THEN
            RAISE EXCEPTION 'the retention horizon only moves forward';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER processing_log_horizon_forward BEFORE UPDATE OR DELETE ON processing_log_horizon
    FOR EACH ROW EXECUTE FUNCTION processing_log_horizon_forward()""",
    """CREATE TRIGGER processing_log_horizon_no_truncate BEFORE TRUNCATE ON processing_log_horizon
    FOR EACH STATEMENT EXECUTE FUNCTION processing_log_horizon_forward()""",
]


def upgrade() -> None:
    op.create_table(
        "data_subjects",
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subject_hash", name=op.f("pk_data_subjects")),
    )
    op.create_index("ix_data_subjects_id", "data_subjects", ["id"])
    op.create_table(
        "processing_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("trace_id", sa.String(length=32), nullable=False),
        sa.Column("operation_id", sa.String(length=16), nullable=False),
        sa.Column("parent_operation_id", sa.String(length=16), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("start_time", UTCDateTime(), nullable=False),
        sa.Column("end_time", UTCDateTime(), nullable=False),
        sa.Column("status_code", sa.String(length=8), nullable=False),
        sa.Column("processing_activity_id", sa.String(length=100), nullable=False),
        sa.Column("data_subject_id", sa.String(length=36), nullable=True),
        sa.Column("instance_id", sa.String(length=36), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processing_records")),
    )
    op.create_index("ix_processing_records_data_subject_id", "processing_records", ["data_subject_id", "id"])
    op.create_index("ix_processing_records_start_time", "processing_records", ["start_time"])
    op.create_index("ix_processing_records_trace_id", "processing_records", ["trace_id"])
    horizon = op.create_table(
        "processing_log_horizon",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("horizon", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processing_log_horizon")),
    )
    op.bulk_insert(horizon, [{"id": 1, "horizon": EPOCH}])
    triggers = POSTGRES_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE processing_records CASCADE")
        op.execute("DROP TABLE processing_log_horizon CASCADE")
        op.execute("DROP FUNCTION processing_records_append_only()")
        op.execute("DROP FUNCTION processing_log_horizon_forward()")
    else:
        op.drop_table("processing_records")
        op.drop_table("processing_log_horizon")
    op.drop_table("data_subjects")

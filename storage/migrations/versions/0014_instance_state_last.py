"""On SQLite an instance's engine state becomes the last column of its row.

SQLite keeps a row's columns in order and moves what does not fit on the table page to overflow
pages; a large ``state`` in the middle of the row put every column after it (``variables``,
``active_elements``, the timestamps) behind the state's overflow chain, so reading a case header
or an instance list walked the whole state. With ``state`` last, those columns sit on the row's
own page. PostgreSQL stores a large value out of line whatever its place, so nothing changes there.

The column is moved by adding it again at the end, copying, and dropping the old one (SQLite 3.35
or newer; no table rebuild, so the foreign keys of the index tables stay as they are). The
``DEFAULT '{}'`` SQLite needs to add a NOT NULL column is never used: every write sets the state.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("ALTER TABLE process_instances ADD COLUMN state_last JSON NOT NULL DEFAULT '{}'")
    op.execute("UPDATE process_instances SET state_last = state")
    op.execute("ALTER TABLE process_instances DROP COLUMN state")
    op.execute("ALTER TABLE process_instances RENAME COLUMN state_last TO state")


def downgrade() -> None:
    # The order of columns is no part of the schema: the table is the same table at 0013.
    pass

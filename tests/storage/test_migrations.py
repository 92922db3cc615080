"""The schema the migrations build is exactly the schema the code declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from storage.schema import metadata


def test_migrations_match_the_declared_schema(db: Engine) -> None:
    with db.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == [], diff


def test_upgrade_is_idempotent(db: Engine) -> None:
    from storage.migrate import upgrade

    upgrade(db)  # already at head: nothing to do, nothing breaks
    tables = set(inspect(db).get_table_names())
    assert {"process_instances", "user_tasks", "timers", "outbox_events", "alembic_version"} <= tables

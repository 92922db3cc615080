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


def test_a_url_with_percent_escapes_reaches_alembic_unchanged() -> None:
    from sqlalchemy import create_engine

    from storage.migrate import alembic_config

    # A password with special characters, or ?options=-csearch_path%3D..., is percent-escaped in the
    # URL; Alembic must not read it as interpolation (before: "invalid interpolation syntax", and
    # `inburgering serve` and `db upgrade` refused to start).
    engine = create_engine("postgresql+psycopg://user:p%40ss%25w@127.0.0.1/db?options=-csearch_path%3Dx")
    assert alembic_config(engine).get_main_option("sqlalchemy.url") == engine.url.render_as_string(
        hide_password=False
    )

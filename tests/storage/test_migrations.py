"""The schema the migrations build is exactly the schema the code declares."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from storage.listing import get_task
from storage.migrate import alembic_config
from storage.repository import get_instance
from storage.schema import metadata, process_instances
from storage.task_forms import form_id
from tests.conftest import T0, _drop_schema, _postgres_engine, _sqlite_engine, postgres_url


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


# -- data migrations ------------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def db_at_0013(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database migrated up to revision 0013 only."""
    if request.param == "sqlite":
        engine = _sqlite_engine(tmp_path)
        _migrate(engine, "0013")
        yield engine
        engine.dispose()
        return
    url = postgres_url()
    if not url:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    engine, schema = _postgres_engine(url)
    try:
        _migrate(engine, "0013")
        yield engine
    finally:
        engine.dispose()
        _drop_schema(url, schema)


def _migrate(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.connect().execution_options(write=True) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        conn.commit()


def test_0014_keeps_every_instance_and_puts_the_state_last_on_sqlite(db_at_0013: Engine) -> None:
    state = {"spec": "aanvraag", "tasks": {"t": {"data": {"x": "y" * 5000}}}}  # overflows a page
    with db_at_0013.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO process_instances (id, process_key, version, business_key, gemeente, scenario,"
                " status, revision, state, variables, active_elements, created_at, updated_at)"
                " VALUES ('i1', 'aanvraag', 1, 'V1', 'GM0344', '2', 'active', 3, :state, :variables,"
                " '[\"beoordelen\"]', :at, :at)"
            ),
            {
                "state": json.dumps(state),
                "variables": json.dumps({"naam": "A. Bakr"}),
                "at": T0.replace(tzinfo=None),
            },
        )
        conn.execute(
            text(
                "INSERT INTO user_tasks (id, instance_id, element_id, name, candidate_groups, process_key,"
                " form, created_at) VALUES ('t1', 'i1', 'beoordelen', 'Beoordelen', '[]', 'aanvraag', '[]', :at)"
            ),
            {"at": T0.replace(tzinfo=None)},
        )
    _migrate(db_at_0013, "head")
    with db_at_0013.connect() as conn:
        record = get_instance(conn, "i1")
        assert record is not None
        stored = conn.execute(
            select(process_instances.c.state).where(process_instances.c.id == "i1")
        ).scalar()
        assert (stored, record.variables, record.revision) == (state, {"naam": "A. Bakr"}, 3)
        assert (record.business_key, record.scenario, record.active_elements) == ("V1", "2", ["beoordelen"])
        assert conn.execute(text("SELECT instance_id FROM user_tasks")).scalar() == "i1"
        if db_at_0013.dialect.name == "sqlite":
            columns = [row[1] for row in conn.exec_driver_sql("PRAGMA table_info(process_instances)")]
            assert columns[-1] == "state"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    # the index tables still refer to the instance
    with db_at_0013.begin() as conn, pytest.raises(IntegrityError), conn.begin_nested():
        conn.execute(
            text(
                "INSERT INTO timers (id, instance_id, element_id, due_at, attempts)"
                " VALUES ('x', 'nobody', 'e', :at, 0)"
            ),
            {"at": T0.replace(tzinfo=None)},
        )


def test_0015_stores_each_form_once_and_gives_it_back_on_downgrade(db_at_0013: Engine) -> None:
    _migrate(db_at_0013, "0014")
    form = [{"id": "besluit", "label": "Besluit", "type": "enum", "options": [{"id": "ja", "name": "Ja"}]}]
    at = T0.replace(tzinfo=None)
    with db_at_0013.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO process_instances (id, process_key, version, status, revision, state, variables,"
                " active_elements, created_at, updated_at) VALUES ('i1', 'aanvraag', 1, 'active', 1, '{}', '{}',"
                " '[]', :at, :at)"
            ),
            {"at": at},
        )
        for task, fields in (("t1", form), ("t2", form), ("t3", [])):
            conn.execute(
                text(
                    "INSERT INTO user_tasks (id, instance_id, element_id, name, candidate_groups, process_key,"
                    " form, created_at) VALUES (:id, 'i1', 'beoordelen', 'Beoordelen', '[]', 'aanvraag', :form, :at)"
                ),
                {"id": task, "form": json.dumps(fields), "at": at},
            )
    _migrate(db_at_0013, "head")
    with db_at_0013.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM task_forms")).scalar() == 1
        assert "form" not in {c["name"] for c in inspect(conn).get_columns("user_tasks")}
        ids = dict(conn.execute(text("SELECT id, form_id FROM user_tasks")).all())
        assert ids["t1"] == ids["t2"] == form_id(form) and ids["t3"] is None
        assert get_task(conn, "t1", scope=None).form == form
        assert get_task(conn, "t3", scope=None).form is None
    config = alembic_config(db_at_0013)
    with db_at_0013.connect().execution_options(write=True) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0014")
        conn.commit()
    with db_at_0013.connect() as conn:
        forms = {
            r.id: json.loads(r.form) if isinstance(r.form, str) else r.form
            for r in conn.execute(text("SELECT id, form FROM user_tasks"))
        }
        assert forms == {"t1": form, "t2": form, "t3": []}
        assert "task_forms" not in inspect(conn).get_table_names()

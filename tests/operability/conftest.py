"""Operability tests use the webhook tests' parties and receiver, and fresh databases to restore into."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from storage.db import make_engine
from tests.conftest import postgres_url
from tests.webhooks.conftest import parties, receiver  # noqa: F401 - fixtures shared with these tests

FreshDatabase = Callable[[Engine], Engine]


def current_schema(db: Engine) -> str | None:
    if db.dialect.name != "postgresql":
        return None
    with db.connect() as conn:
        return str(conn.execute(text("SELECT current_schema()")).scalar())


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[FreshDatabase]:
    """Make an empty database of the same kind as a given one (a new PostgreSQL database, dropped after).

    On PostgreSQL the new engine searches the given database's schema, which a restore brings along.
    """
    made: list[tuple[Engine, str | None]] = []

    def make(like: Engine) -> Engine:
        if like.dialect.name == "sqlite":
            engine = make_engine(f"sqlite:///{tmp_path / f'fresh-{uuid.uuid4().hex[:8]}.db'}")
            made.append((engine, None))
            return engine
        url = postgres_url()
        assert url is not None
        name = f"r_{uuid.uuid4().hex[:12]}"
        admin = make_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        schema = current_schema(like)
        engine = make_engine(
            like.url.set(database=name).render_as_string(hide_password=False),
            connect_args={"options": f"-csearch_path={schema}"},
        )
        made.append((engine, name))
        return engine

    yield make
    for engine, name in made:
        engine.dispose()
        if name is not None:
            url = postgres_url()
            assert url is not None
            admin = make_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

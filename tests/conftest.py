"""Shared fixtures: a manual clock, the engine library, and databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from engine.clock import ManualClock
from engine.definition import SpecLibrary
from engine.runtime import Runtime
from storage.db import make_engine
from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
BPMN_DIR = ROOT / "bpmn"
T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def postgres_url() -> str | None:
    """The PostgreSQL test database, or None; in CI its absence is an error, not a skip."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url and os.environ.get("CI"):
        raise RuntimeError("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI")
    return url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def library() -> SpecLibrary:
    lib = SpecLibrary()
    lib.add_document("aanvraag.bpmn", (FIXTURES / "aanvraag.bpmn").read_bytes())
    return lib


@pytest.fixture
def runtime(library: SpecLibrary, clock: ManualClock) -> Runtime:
    return Runtime(library, clock)


def _sqlite_engine(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'test.db'}")


def _postgres_engine(url: str) -> tuple[Engine, str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    return engine, schema


def _drop_schema(url: str, schema: str) -> None:
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file, and PostgreSQL when TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        engine = _sqlite_engine(tmp_path)
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    url = postgres_url()
    if not url:
        pytest.skip(
            "PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1/test)"
        )
    engine, schema = _postgres_engine(url)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        _drop_schema(url, schema)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Engine]:
    engine = _sqlite_engine(tmp_path)
    upgrade(engine)
    yield engine
    engine.dispose()

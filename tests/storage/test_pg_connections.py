"""PostgreSQL connections: reads outside a transaction, and a checkout that still finds dead connections."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from storage.db import make_engine, read_connection
from tests.conftest import postgres_url


@pytest.fixture
def pg() -> Iterator[Engine]:
    url = postgres_url()
    if not url:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    engine = make_engine(url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _backend(engine: Engine) -> int:
    with read_connection(engine) as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_reads_send_their_statements_only(pg: Engine, tmp_path: Path) -> None:
    """A checked-out idle connection is not pinged, and reads open no transaction (no BEGIN, no
    ROLLBACK at check-in, which made the driver drop its prepared statements): one message a read."""
    _backend(pg)  # the pool now holds one idle connection
    trace = tmp_path / "trace"
    with read_connection(pg) as conn:
        pgconn = conn.connection.dbapi_connection.pgconn  # type: ignore[union-attr]
    with trace.open("wb") as sink:
        pgconn.trace(sink.fileno())
        try:
            for n in range(3):
                with read_connection(pg) as conn:
                    assert conn.execute(text("SELECT :n"), {"n": n}).scalar_one() == n
                    assert pgconn.transaction_status == 0  # IDLE: no transaction on the server
        finally:
            pgconn.untrace()
    sent = [line.split("\t")[3] for line in trace.read_text().splitlines() if line.split("\t")[1:2] == ["F"]]
    queries = [m for m in sent if m in ("Query", "Parse")]
    assert len(queries) == 3, sent


def test_a_read_sees_what_another_connection_committed_before_it(pg: Engine) -> None:
    writer = make_engine(postgres_url())
    probe = f"probe_{uuid.uuid4().hex[:12]}"
    try:
        with writer.begin() as w:
            w.execute(text(f"CREATE TABLE {probe} (n int)"))
        with read_connection(pg) as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {probe}")).scalar_one() == 0
            with writer.begin() as w:
                w.execute(text(f"INSERT INTO {probe} VALUES (1)"))
            assert conn.execute(text(f"SELECT count(*) FROM {probe}")).scalar_one() == 1
        # a write transaction on the same pooled connection still is one
        with pg.begin() as conn:
            conn.execute(text("SELECT 1"))
            assert conn.connection.dbapi_connection.pgconn.transaction_status != 0  # type: ignore[union-attr]
    finally:
        with writer.begin() as w:
            w.execute(text(f"DROP TABLE IF EXISTS {probe}"))
        writer.dispose()


def test_a_terminated_backend_is_replaced_at_checkout(pg: Engine) -> None:
    dead = _backend(pg)
    admin = make_engine(postgres_url())
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead}).scalar_one()
            conn.execute(text("SELECT pg_sleep(0.2)"))  # let the backend's goodbye reach the socket
    finally:
        admin.dispose()
    # the pooled connection is dead: the checkout finds out and hands out a new one, the read works
    assert _backend(pg) != dead

"""Database connections: SQLite by default (WAL, busy timeout), PostgreSQL via DATABASE_URL."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

DEFAULT_URL = "sqlite:///var/inburgering.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def database_url(explicit: str | None = None) -> str:
    """The configured database URL: explicit, else ``DATABASE_URL``, else the SQLite default."""
    return explicit or os.environ.get("DATABASE_URL") or DEFAULT_URL


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's BEGIN reach SQLite so that a transaction starts where we say it does.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A write transaction takes the write lock at BEGIN (IMMEDIATE), so two writers queue on the busy
    # timeout instead of failing with "database is locked" when one upgrades a read transaction.
    # Reads stay deferred and never wait for writers (WAL).
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Create an Engine for ``url`` with the settings each dialect needs."""
    url = database_url(url)
    # Bound parameters can hold a V-nummer (the business key): keep them out of error messages/logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class _WriteGate:
    """The queue for one SQLite database's writers: threads of this process, then other processes.

    Threads queue on a re-entrant lock; processes queue on an exclusive ``flock`` of a file beside
    the database, which the kernel hands to the next waiter the moment it is released. Without it a
    writer of another process finds the database locked and sleeps in SQLite's busy handler, whose
    sleeps grow to 100 ms: the long tail of concurrent writes under several server processes.
    SQLite's own lock (``BEGIN IMMEDIATE``) still decides; the gate only orders the waiting.
    """

    def __init__(self, path: str | None) -> None:
        self.lock = threading.RLock()
        self.path = path
        self.depth = 0  # nested write connections of the thread holding ``lock``

    def _open(self) -> int | None:
        if self.path is None:
            return None
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:  # a read-only folder: wait in SQLite's busy handler as before
            return None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self.lock:
            fd = self._open() if self.depth == 0 else None
            try:
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                self.depth += 1
                try:
                    yield
                finally:
                    self.depth -= 1
            finally:
                if fd is not None:
                    os.close(fd)  # releases the file lock


_write_gates: dict[object, _WriteGate] = {}
_write_gates_guard = threading.Lock()


def _write_gate(engine: Engine) -> _WriteGate:
    """The gate of ``engine``'s database file (engines on one file share it), else of the engine."""
    database = engine.url.database
    path = None
    if database and database != ":memory:" and not database.startswith("file:"):
        path = os.path.abspath(database) + "-writelock"
    key: object = path or id(engine)
    with _write_gates_guard:
        gate = _write_gates.get(key)
        if gate is None:
            gate = _write_gates[key] = _WriteGate(path)
        return gate


@contextlib.contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose transactions are write transactions (``BEGIN IMMEDIATE`` on SQLite).

    SQLite has one writer at a time. Writers queue at a gate here (threads of this process on a
    lock, other processes on a file lock), so they wait in order instead of sleeping in SQLite's
    busy handler (whose growing sleeps make long tails). PostgreSQL writers do not queue here.
    """
    if engine.dialect.name != "sqlite":
        with engine.connect().execution_options(write=True) as conn:
            yield conn
        return
    with _write_gate(engine).held(), engine.connect().execution_options(write=True) as conn:
        yield conn

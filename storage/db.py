"""Database connections: SQLite by default (WAL, busy timeout), PostgreSQL via DATABASE_URL."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
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
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        _quiet_ping(engine)
    return engine


def _quiet_ping(engine: Engine) -> None:
    """Check a pooled PostgreSQL connection at checkout without a round trip when it is idle and quiet.

    The pool's pre-ping sent an empty query to the server at every checkout: one round trip on
    every read and every write transaction. A server that closed the connection (restart, idle
    timeout, terminated backend) leaves its socket readable (its last message, or end of file),
    while an idle connection that is alive has nothing to read. So the full ping runs only when
    the socket has something to say (or the connection looks broken); it then decides as before.
    """
    dialect = engine.dialect
    full_ping = dialect.do_ping

    def do_ping(dbapi_connection: Any) -> bool:
        pgconn = getattr(dbapi_connection, "pgconn", None)
        if pgconn is not None and not dbapi_connection.closed and pgconn.status == 0:  # CONNECTION_OK
            try:
                readable, _, _ = select.select([pgconn.socket], [], [], 0)
            except (OSError, ValueError):
                readable = [True]
            if not readable:
                return True
        return bool(full_ping(dbapi_connection))

    dialect.do_ping = do_ping  # type: ignore[method-assign]


def read_connection(engine: Engine) -> Connection:
    """A connection for reads only (use it as a context manager).

    On PostgreSQL its statements run outside an explicit transaction (autocommit): under READ
    COMMITTED, the default, every statement takes its own snapshot inside a transaction too, so
    what the reads see is the same, and the BEGIN and ROLLBACK round trips around them are saved.
    It also keeps the driver's prepared statements: psycopg forgets them (and sends
    ``DEALLOCATE ALL``) at every ROLLBACK, which ended every read transaction. On SQLite a read
    transaction keeps one snapshot for all its reads, as before.
    """
    if engine.dialect.name == "postgresql":
        return engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    return engine.connect()


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

"""SQLite writers of several processes queue at a file lock beside the database, not in SQLite's
busy handler; threads of one process queue before it, and a thread may nest write connections."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy import Engine, text

from storage.db import make_engine, write_connection


def _held_by_someone(path: Path) -> bool:
    """Whether another open file description holds the file lock (this one cannot take it)."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # releases it if taken here
    return False


def test_a_write_holds_the_file_lock_until_it_ends(sqlite_db: Engine) -> None:
    gate = Path(f"{sqlite_db.url.database}-writelock")
    with write_connection(sqlite_db) as conn, conn.begin():
        conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
        assert _held_by_someone(gate)
    assert not _held_by_someone(gate)


def test_nested_writes_of_one_thread_do_not_wait_for_themselves(sqlite_db: Engine) -> None:
    other = make_engine(str(sqlite_db.url))  # a second engine on the same file shares the gate
    gate = Path(f"{sqlite_db.url.database}-writelock")
    try:
        with write_connection(sqlite_db), write_connection(other) as inner, inner.begin():
            inner.execute(text("UPDATE alembic_version SET version_num = version_num"))
            assert _held_by_someone(gate)
        assert not _held_by_someone(gate)
    finally:
        other.dispose()

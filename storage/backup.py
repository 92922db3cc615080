"""Backups of the whole database, taken while the service runs, and restores into an empty database.

* SQLite: the online backup API (``sqlite3.Connection.backup``) copies the database page by page
  while others keep reading and writing; the copy is one consistent snapshot (WAL content
  included) and is written beside the target first, then renamed into place.
* PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot of a running database, MVCC) and
  ``pg_restore`` into an empty database. When the PostgreSQL client programs are not installed the
  error says which command to run instead.

After a restore the claims (leases) that workers of the old database held on timers and deliveries
are released, so the restored service fires and delivers at once instead of after the lease.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect, update
from sqlalchemy.engine import URL

from storage.errors import StorageError
from storage.schema import timers
from storage.webhook_schema import deliveries, inbound_events


class BackupError(StorageError):
    """A backup or restore that could not be made; the message says what to do."""


@dataclass(frozen=True)
class BackupResult:
    """Where a backup went and how big it is."""

    path: Path
    size: int
    method: str


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _pg_env(url: URL) -> dict[str, str]:
    """libpq settings for the PostgreSQL client programs (the password never on a command line)."""
    env = dict(os.environ)
    for name, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[name] = str(value)
    return env


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed (Debian: apt-get install postgresql-client); run it yourself: "
            + (
                "pg_dump --format=custom --file=PATH DATABASE"
                if name == "pg_dump"
                else "pg_restore --no-owner --exit-on-error --dbname=DATABASE PATH"
            )
        )
    return found


def _run(args: list[str], env: dict[str, str]) -> None:
    # The program is found on PATH by name and gets an argument list (no shell).
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip() or done.returncode}")


def backup_database(engine: Engine, target: Path, *, schema: str | None = None) -> BackupResult:
    """Write a consistent copy of the running database to ``target`` (replaced if it exists).

    ``schema`` limits a PostgreSQL dump to one schema (the tests keep one per test).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    if engine.dialect.name == "sqlite":
        _sqlite_path(engine)
        raw = engine.raw_connection()
        try:
            source = raw.driver_connection
            assert isinstance(source, sqlite3.Connection)
            with sqlite3.connect(partial) as copy:
                source.backup(copy)
                if copy.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                    raise BackupError("the copy failed its integrity check")
            copy.close()
        finally:
            raw.close()
        method = "sqlite-backup-api"
    elif engine.dialect.name == "postgresql":
        args = [_program("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}"]
        if schema:
            args.append(f"--schema={schema}")
        _run(args, _pg_env(engine.url))
        method = "pg_dump"
    else:  # pragma: no cover - only the two dialects are supported
        raise BackupError(f"no backup for {engine.dialect.name}")
    partial.replace(target)
    return BackupResult(target, target.stat().st_size, method)


def _is_empty(engine: Engine) -> bool:
    names = inspect(engine).get_table_names()
    return not [n for n in names if n != "alembic_version"]


def restore_database(engine: Engine, source: Path, *, force: bool = False) -> None:
    """Load the backup at ``source`` into the (empty) database of ``engine``.

    Stop every node first. A database that already holds tables is refused unless ``force``
    (SQLite only: its content is replaced; PostgreSQL needs an empty database).
    """
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    if not force and not _is_empty(engine):
        raise BackupError("the target database is not empty: restore into a new database")
    if engine.dialect.name == "sqlite":
        path = _sqlite_path(engine)
        engine.dispose()
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup, sqlite3.connect(path) as target:
            backup.backup(target)
        backup.close()
        target.close()
        engine.dispose()
    elif engine.dialect.name == "postgresql":
        if not force and not _is_empty(engine):  # pragma: no cover - checked above
            raise BackupError("the target database is not empty")
        args = [
            _program("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={engine.url.database}",
            str(source),
        ]
        engine.dispose()
        _run(args, _pg_env(engine.url))
    else:  # pragma: no cover
        raise BackupError(f"no restore for {engine.dialect.name}")
    from storage.processing_log import subject_cache

    subject_cache(engine).clear()  # the pseudonyms are the backup's now
    release_claims(engine)


def release_claims(engine: Engine) -> None:
    """Drop the leases that workers of the backed-up database held: nobody holds them now."""
    with engine.begin() as conn:
        conn.execute(update(timers).values(claimed_by=None, claimed_until=None))
        conn.execute(
            update(deliveries)
            .where(deliveries.c.status == "pending")
            .values(claimed_by=None, claimed_until=None)
        )
        conn.execute(update(inbound_events).values(claimed_until=None))

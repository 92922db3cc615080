"""Failed tasklist logins, counted per user and per address, with a growing wait after too many.

Keys are keyed hashes (``user:...``, ``addr:...``) of the lower-cased user name and of the client
address, so what someone typed in the user name field (a V-nummer by mistake, a password) is never
stored. The counting is a conditional UPDATE or an INSERT, so any number of processes share it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.schema import login_failures


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures are free within ``window``, and how the wait grows after that."""

    free_failures: int
    first_wait: timedelta = timedelta(seconds=15)
    longest_wait: timedelta = timedelta(minutes=15)
    window: timedelta = timedelta(minutes=15)

    def wait_after(self, failures: int) -> timedelta | None:
        """The wait imposed after the ``failures``-th failure in a row (None: no wait yet)."""
        if failures < self.free_failures:
            return None
        wait = self.first_wait * (2 ** min(failures - self.free_failures, 20))
        return min(wait, self.longest_wait)


def throttle_key(kind: str, value: str) -> str:
    """The stored key for a user name or an address: a hash, never the value itself."""
    digest = hashlib.sha256(f"{kind}:{value.strip().lower()}".encode()).hexdigest()
    return f"{kind}:{digest[:64]}"


def blocked_until(conn: Connection, keys: list[str], now: datetime) -> datetime | None:
    """The latest time until which any of ``keys`` is blocked, if one is blocked at ``now``."""
    until = conn.execute(
        select(login_failures.c.blocked_until).where(
            login_failures.c.key.in_(keys), login_failures.c.blocked_until > now
        )
    ).scalars()
    latest = [moment for moment in until if moment is not None]
    return max(latest) if latest else None


def record_failure(conn: Connection, key: str, policy: ThrottlePolicy, now: datetime) -> datetime | None:
    """Count one failure for ``key``; returns the time until which it is now blocked, if any."""
    row = conn.execute(
        select(login_failures.c.failures, login_failures.c.last_failure_at).where(login_failures.c.key == key)
    ).first()
    if row is None:
        failures = 1
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(login_failures).values(
                        key=key, failures=1, last_failure_at=now, blocked_until=_until(policy, 1, now)
                    )
                )
            return _until(policy, 1, now)
        except IntegrityError:  # another process counted the first failure just now
            row = conn.execute(
                select(login_failures.c.failures, login_failures.c.last_failure_at).where(
                    login_failures.c.key == key
                )
            ).first()
            assert row is not None
    fresh = now - row.last_failure_at <= policy.window
    if fresh:
        failures = int(row.failures) + 1
        values: dict[str, Any] = {"failures": login_failures.c.failures + 1}
    else:
        failures = 1
        values = {"failures": 1}
    until = _until(policy, failures, now)
    conn.execute(
        update(login_failures)
        .where(login_failures.c.key == key)
        .values(**values, last_failure_at=now, blocked_until=until)
    )
    return until


def clear_failures(conn: Connection, key: str) -> None:
    """Forget the failures of ``key`` (after a successful login)."""
    conn.execute(delete(login_failures).where(login_failures.c.key == key))


def purge_old(conn: Connection, now: datetime, older_than: timedelta = timedelta(days=1)) -> None:
    """Remove rows whose last failure is long past and that block nothing."""
    conn.execute(
        delete(login_failures).where(
            login_failures.c.last_failure_at < now - older_than,
            (login_failures.c.blocked_until.is_(None)) | (login_failures.c.blocked_until < now),
        )
    )


def _until(policy: ThrottlePolicy, failures: int, now: datetime) -> datetime | None:
    wait = policy.wait_after(failures)
    return None if wait is None else now + wait

"""Claims: leases that exclude other workers, lapse after a crash, and skip locked rows on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update

from storage import timer_store
from storage.db import write_connection
from storage.schema import timers
from tests.conftest import T0
from tests.timers.seeding import seed_timers

LEASE = timedelta(seconds=60)


def _claim(db: Engine, now, worker: str, limit: int = 10):
    with write_connection(db) as conn, conn.begin():
        return timer_store.claim_due_timers(conn, now, worker, now + LEASE, limit)


def test_claims_due_timers_earliest_first_and_only_once(db: Engine) -> None:
    due = [T0 + timedelta(minutes=m) for m in (3, 1, 2, 10)]
    seed_timers(db, due)
    now = T0 + timedelta(minutes=5)
    first = _claim(db, now, "a", limit=2)
    assert [t.due_at for t in first] == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    second = _claim(db, now, "b")
    assert [t.due_at for t in second] == [T0 + timedelta(minutes=3)]  # not a's, not the future one
    assert _claim(db, now, "c") == []
    with db.connect() as conn:
        owners = {r.due_at: r.claimed_by for r in conn.execute(select(timers))}
    assert owners == {due[1]: "a", due[2]: "a", due[0]: "b", due[3]: None}


def test_a_lapsed_lease_is_taken_over_and_the_old_owner_cannot_release_it(db: Engine) -> None:
    seed_timers(db, [T0])
    (mine,) = _claim(db, T0, "crashed")
    assert _claim(db, T0 + LEASE, "b") == []  # the lease is live up to and including its end
    (taken,) = _claim(db, T0 + LEASE + timedelta(microseconds=1), "b")
    assert taken.id == mine.id
    with write_connection(db) as conn, conn.begin():
        assert not timer_store.release_timer(conn, mine.id, "crashed")
        assert not timer_store.record_timer_failure(conn, mine.id, "crashed", "late", T0)
        assert timer_store.release_timer(conn, mine.id, "b")
    with db.connect() as conn:
        row = conn.execute(select(timers)).one()
    assert (row.claimed_by, row.claimed_until, row.attempts) == (None, None, 0)


def test_next_due_and_oldest_overdue(db: Engine) -> None:
    with db.connect() as conn:
        assert timer_store.next_due_at(conn, T0) is None
        assert timer_store.oldest_overdue(conn, T0) is None
    seed_timers(db, [T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)])
    with db.connect() as conn:
        assert timer_store.next_due_at(conn, T0) == T0 + timedelta(minutes=1)
        assert timer_store.oldest_overdue(conn, T0) is None
        assert timer_store.oldest_overdue(conn, T0 + timedelta(minutes=5)) == T0 + timedelta(minutes=1)
    _claim(db, T0 + timedelta(minutes=1), "a")
    with db.connect() as conn:
        # a leased timer is someone's work: the next look is at the other one
        assert timer_store.next_due_at(conn, T0 + timedelta(minutes=1)) == T0 + timedelta(minutes=2)
        assert timer_store.oldest_overdue(conn, T0 + timedelta(minutes=5)) == T0 + timedelta(minutes=1)
        assert timer_store.count_pending(conn) == 2


def test_a_worker_owning_some_gemeenten_claims_and_looks_ahead_to_their_timers_only(db: Engine) -> None:
    seed_timers(db, [T0 + timedelta(minutes=1)], gemeente="GM0363")
    seed_timers(db, [T0 + timedelta(minutes=2), T0 + timedelta(minutes=3)], gemeente="GM0344")
    now = T0 + timedelta(minutes=5)
    with db.connect() as conn:
        assert timer_store.next_due_at(conn, T0, gemeenten=("GM0344",)) == T0 + timedelta(minutes=2)
        assert timer_store.next_due_at(conn, T0, gemeenten=("GM0518",)) is None
        assert timer_store.next_due_at(conn, T0) == T0 + timedelta(minutes=1)
    with write_connection(db) as conn, conn.begin():
        mine = timer_store.claim_due_timers(conn, now, "a", now + LEASE, 10, gemeenten={"GM0344", "GM0518"})
    assert [t.due_at for t in mine] == [T0 + timedelta(minutes=2), T0 + timedelta(minutes=3)]
    with write_connection(db) as conn, conn.begin():
        theirs = timer_store.claim_due_timers(conn, now, "b", now + LEASE, 10, gemeenten=["GM0363"])
    assert [t.due_at for t in theirs] == [T0 + timedelta(minutes=1)]
    assert _claim(db, now, "c") == []  # an unsharded worker finds nothing left either


def test_failure_backoff_keeps_the_timer_from_everyone_until_retry(db: Engine) -> None:
    seed_timers(db, [T0])
    (claimed,) = _claim(db, T0, "a")
    with write_connection(db) as conn, conn.begin():
        assert timer_store.record_timer_failure(conn, claimed.id, "a", "x" * 2000, T0 + timedelta(seconds=30))
    assert _claim(db, T0 + timedelta(seconds=29), "b") == []
    (again,) = _claim(db, T0 + timedelta(seconds=31), "b")
    assert again.attempts == 1
    with db.connect() as conn:
        assert len(conn.execute(select(timers.c.last_error)).scalar_one()) == timer_store.MAX_ERROR_LENGTH


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_postgres_claims_skip_rows_locked_by_a_concurrent_claim(db: Engine) -> None:
    # SKIP LOCKED is the PostgreSQL path; SQLite serialises claims with BEGIN IMMEDIATE.
    seed_timers(db, [T0 + timedelta(seconds=i) for i in range(6)])
    now = T0 + timedelta(minutes=1)
    with write_connection(db) as slow, slow.begin():
        held = timer_store.claim_due_timers(slow, now, "slow", now + LEASE, 3)  # not yet committed
        result: list = []
        other = threading.Thread(target=lambda: result.append(_claim(db, now, "fast")))
        other.start()
        other.join(timeout=10)
        assert not other.is_alive(), "a concurrent claim waited for the locked rows"
    (fast,) = result
    assert {t.id for t in held}.isdisjoint({t.id for t in fast})
    assert len(held) == 3 and len(fast) == 3


def test_a_claim_never_overrides_a_live_lease_set_after_its_subselect(db: Engine) -> None:
    seed_timers(db, [T0])
    with write_connection(db) as conn, conn.begin():
        conn.execute(update(timers).values(claimed_by="other", claimed_until=T0 + LEASE))
    assert _claim(db, T0 + timedelta(seconds=1), "me") == []

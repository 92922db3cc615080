"""The scheduler around the sweep: in-process and stand-alone, woken early when a timer is due sooner
than the next poll, draining a backlog at once, and running the webhook job when that module exists."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import types
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from app import create_app
from app.worker import WorkerHandle, WorkerSettings, load_deliver, retry_delay, start_in_process
from engine.clock import SystemClock
from storage.schema import audit_entries
from tests.conftest import ROOT
from tests.timers.seeding import fired_counts, pending_count, seed_timers
from tests.timing import patience, wait_for


@pytest.fixture
def started(sqlite_db: Engine) -> Iterator[Callable[..., WorkerHandle]]:
    handles: list[WorkerHandle] = []

    def start(**config: object) -> WorkerHandle:
        settings = {"DB_ENGINE": sqlite_db, "CLOCK": SystemClock(), "DATABASE_URL": str(sqlite_db.url)}
        app = create_app({**settings, "TIMER_POLL_SECONDS": 30, **config})
        handle = start_in_process(app)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.shutdown()
    assert all(not h.running for h in handles)


def test_wakes_at_the_next_due_time_not_at_the_next_poll(sqlite_db: Engine, started) -> None:
    # Due after the scheduler's first sweep (at start), long before its next poll a minute later.
    due = datetime.now(UTC) + timedelta(seconds=min(patience(1), 5))
    (instance,) = seed_timers(sqlite_db, [due])
    started(TIMER_POLL_SECONDS=60)  # only the early wake-up can fire the timer in time
    assert wait_for(lambda: pending_count(sqlite_db) == 0, timeout=20)
    with sqlite_db.connect() as conn:
        fired_at = conn.execute(
            select(audit_entries.c.at).where(
                audit_entries.c.instance_id == instance, audit_entries.c.action == "timer-fired"
            )
        ).scalar_one()
    # Fired at its due time (well under a second on a quiet machine; a few seconds on a loaded
    # one), not at the next poll, 60 s after the first.
    assert timedelta(0) <= fired_at - due < timedelta(seconds=15)


def test_a_backlog_larger_than_a_batch_drains_without_waiting_for_polls(sqlite_db: Engine, started) -> None:
    ids = seed_timers(sqlite_db, [datetime.now(UTC) - timedelta(seconds=5)] * 35)
    started(TIMER_BATCH=10)
    assert wait_for(lambda: pending_count(sqlite_db) == 0, timeout=20)
    events, _ = fired_counts(sqlite_db)
    assert set(events) == set(ids) and set(events.values()) == {1}


def test_webhook_delivery_runs_on_the_same_scheduler_when_present(started, monkeypatch) -> None:
    called = threading.Event()
    seen: dict[str, object] = {}

    def deliver_pending(db, clock, config, *, worker_id, should_stop):
        seen.update(db=db, clock=clock, config=config, worker_id=worker_id, should_stop=should_stop)
        called.set()
        return 0

    module = types.ModuleType("webhooks.dispatch")
    module.deliver_pending = deliver_pending  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "webhooks.dispatch", module)
    handle = started()
    assert called.wait(patience(10))
    assert seen["worker_id"] == handle.worker_id and isinstance(seen["config"], dict)
    assert seen["should_stop"]() is False
    assert handle.scheduler.get_job("webhooks") is not None


def test_without_the_webhook_module_only_timers_run(started, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "webhooks.dispatch", None)  # import fails as if it did not exist
    assert load_deliver() is None
    handle = started()
    assert handle.scheduler.get_job("webhooks") is None
    job = handle.scheduler.get_job("timers")
    assert (job.max_instances, job.coalesce, job.trigger.interval) == (1, True, timedelta(seconds=30))


def test_settings_and_backoff(sqlite_db: Engine) -> None:
    settings = WorkerSettings.from_config({"TIMER_POLL_SECONDS": "0.5", "TIMER_THREADS": "3"}, sqlite_db)
    assert (settings.poll_seconds, settings.threads, settings.batch) == (0.5, 3, 50)
    assert WorkerSettings.from_config({}, sqlite_db).threads == 1  # SQLite: one writer at a time
    with pytest.raises(ValueError):
        WorkerSettings.from_config({"TIMER_POLL_SECONDS": -1}, sqlite_db)
    assert [retry_delay(n).total_seconds() for n in range(4)] == [5, 10, 20, 40]
    assert retry_delay(50) == timedelta(hours=1)
    assert all(
        timedelta(seconds=2.5) <= retry_delay(0, jitter=True) <= timedelta(seconds=5) for _ in range(20)
    )


@pytest.mark.slow
def test_stand_alone_worker_fires_and_stops_on_sigterm(sqlite_db: Engine) -> None:
    ids = seed_timers(sqlite_db, [datetime.now(UTC) - timedelta(seconds=1)] * 5)
    url = sqlite_db.url.render_as_string(hide_password=False)
    code = f"from app.worker import run_worker; run_worker({{'DATABASE_URL': {url!r}, 'TIMER_POLL_SECONDS': 0.2}})"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert wait_for(lambda: pending_count(sqlite_db) == 0, timeout=30)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=patience(15))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    events, audits = fired_counts(sqlite_db)
    assert set(events) == set(ids) and set(audits.values()) == {1}

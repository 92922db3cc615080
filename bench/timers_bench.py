"""Timer benchmarks: lateness of timers due across a minute, and 10,000 timers due at once.

1. Lateness: 600 timers due evenly over 60 s, fired by the real in-process scheduler (system clock,
   default poll of 1 s); lateness = the step's time minus the due time, p50/p99/max. Goal: p99 < 2 s.
2. Throughput: 10,000 timers due at once, fired by 2 stand-alone worker processes (``run_worker``);
   wall time from starting the workers to the last timer fired, and timers/s. Goal: all within 60 s.

Both run on SQLite (a temporary file) and, when ``BENCH_DATABASE_URL`` or ``TEST_DATABASE_URL`` is
set, on PostgreSQL (in a throw-away schema). Every run also checks that each timer fired exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text

from app import create_app
from app.worker import start_in_process
from engine.clock import SystemClock
from storage.db import make_engine
from storage.migrate import upgrade
from storage.schema import audit_entries
from tests.timers.seeding import fired_counts, pending_count, seed_timers

ROOT = Path(__file__).resolve().parent.parent
LATENESS_TIMERS = 600
LATENESS_SPAN = 60.0
BURST_TIMERS = 10_000
BURST_WORKERS = 2


def _wait_for(condition: Callable[[], bool], timeout: float, every: float = 0.1) -> bool:
    pause = threading.Event()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        pause.wait(every)
    return condition()


@contextmanager
def _database(kind: str) -> Iterator[tuple[Engine, dict[str, Any]]]:
    """A migrated empty database and the settings a worker process needs to reach it."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            engine = make_engine(url)
            upgrade(engine)
            try:
                yield engine, {"DATABASE_URL": url}
            finally:
                engine.dispose()
        return
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ["TEST_DATABASE_URL"]
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        yield engine, {"DATABASE_URL": url, "PGOPTIONS": f"-csearch_path={schema}"}
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _fired_at(db: Engine) -> dict[str, datetime]:
    with db.connect() as conn:
        rows = conn.execute(
            select(audit_entries.c.instance_id, audit_entries.c.at).where(
                audit_entries.c.action == "timer-fired"
            )
        )
        return {r.instance_id: r.at for r in rows}


def _check_once(db: Engine, ids: list[str]) -> bool:
    events, audits = fired_counts(db)
    return set(events) == set(audits) == set(ids) and set(events.values()) == set(audits.values()) == {1}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def bench_lateness(kind: str) -> dict[str, Any]:
    with _database(kind) as (db, _env):
        start = datetime.now(UTC) + timedelta(seconds=3)
        step = LATENESS_SPAN / LATENESS_TIMERS
        due = [start + timedelta(seconds=i * step) for i in range(LATENESS_TIMERS)]
        ids = seed_timers(db, due)
        due_of = dict(zip(ids, due, strict=True))
        app = create_app({"DB_ENGINE": db, "CLOCK": SystemClock(), "DATABASE_URL": str(db.url)})
        handle = start_in_process(app)
        try:
            done = _wait_for(lambda: pending_count(db) == 0, timeout=LATENESS_SPAN + 60)
        finally:
            handle.shutdown()
        late = [(at - due_of[i]).total_seconds() for i, at in _fired_at(db).items()]
        return {
            "db": kind,
            "timers": LATENESS_TIMERS,
            "allFired": done and len(late) == LATENESS_TIMERS,
            "exactlyOnce": _check_once(db, ids),
            "p50": round(statistics.median(late), 4),
            "p99": round(_percentile(late, 0.99), 4),
            "max": round(max(late), 4),
        }


def bench_burst(kind: str) -> dict[str, Any]:
    with _database(kind) as (db, env):
        ids = seed_timers(db, [datetime.now(UTC) - timedelta(seconds=1)] * BURST_TIMERS)
        config = {"DATABASE_URL": env["DATABASE_URL"], "TIMER_POLL_SECONDS": 1}
        code = f"from app.worker import run_worker; run_worker({json.dumps(config)})"
        proc_env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if "PGOPTIONS" in env:
            proc_env["PGOPTIONS"] = env["PGOPTIONS"]
        began = time.monotonic()
        workers = [
            subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=proc_env, stderr=subprocess.DEVNULL)
            for _ in range(BURST_WORKERS)
        ]
        try:
            done = _wait_for(lambda: pending_count(db) == 0, timeout=600, every=0.05)
            elapsed = time.monotonic() - began
        finally:
            for proc in workers:
                proc.send_signal(signal.SIGTERM)
            for proc in workers:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        fired = sorted(_fired_at(db).values())
        firing = (fired[-1] - fired[0]).total_seconds() if fired else 0.0
        return {
            "db": kind,
            "timers": BURST_TIMERS,
            "workers": BURST_WORKERS,
            "allFired": done,
            "exactlyOnce": _check_once(db, ids),
            "seconds": round(elapsed, 2),
            "timersPerSecond": round(BURST_TIMERS / elapsed, 1),
            "firstToLastSeconds": round(firing, 2),
        }


def main() -> None:
    kinds = ["sqlite"]
    if os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"):
        kinds.append("postgresql")
    else:
        print("timers: PostgreSQL skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL)")
    only = os.environ.get("BENCH_TIMERS", "lateness,burst").split(",")
    for kind in kinds:
        if "lateness" in only:
            result = bench_lateness(kind)
            ok = result["allFired"] and result["exactlyOnce"] and result["p99"] < 2.0
            print(
                f"timers lateness {json.dumps(result)} goal p99<2s: {'met' if ok else 'MISSED'}", flush=True
            )
        if "burst" in only:
            result = bench_burst(kind)
            ok = result["allFired"] and result["exactlyOnce"] and result["seconds"] <= 60
            print(
                f"timers burst {json.dumps(result)} goal 10,000 in 60 s: {'met' if ok else 'MISSED'}",
                flush=True,
            )


if __name__ == "__main__":
    main()

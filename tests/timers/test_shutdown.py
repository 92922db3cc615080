"""``inburgering serve`` stops on SIGTERM within gunicorn's graceful timeout, even in a long sweep.

A real process: gunicorn with its in-process worker, a sweep of many slow (but within budget) steps
under way when SIGTERM arrives. The sweep ends after the step in flight and releases its other claims,
so the worker process exits long before the graceful timeout instead of being killed with SIGKILL.
Before, the scheduler's threads ran the whole batch first and the process ignored SIGTERM meanwhile.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.server import GRACEFUL_TIMEOUT
from engine.clock import ManualClock
from storage.db import make_engine
from storage.migrate import upgrade
from storage.schema import audit_entries, process_instances, timers
from storage.service import WorkflowService
from tests.conftest import FIXTURES, ROOT
from tests.timing import free_port, patience, wait_for

pytestmark = pytest.mark.slow

LOOP = (FIXTURES / "engine" / "loop_without_wait_state.bpmn").read_bytes()
INSTANCES = 40
ROUNDS = 150  # 300 engine iterations per step: slow, within the default budget of 500


def test_serve_stops_on_sigterm_in_the_middle_of_a_long_sweep(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shutdown.db'}"
    db = make_engine(url)
    upgrade(db)
    clock = ManualClock(datetime.now(UTC) - timedelta(hours=2))  # their timers are an hour overdue
    service = WorkflowService(db, clock)
    service.deploy("lus.bpmn", LOOP, actor="test")
    for i in range(INSTANCES):
        service.start(
            "lus",
            business_key=f"{1000000000 + i}",
            gemeente="GM0344",
            variables={"n": 0, "grens": ROUNDS, "wachten": True},
            actor="test",
        )

    def completed() -> int:
        with db.connect() as conn:
            query = select(func.count()).where(process_instances.c.status == "completed")
            return int(conn.execute(query).scalar_one())

    def claimed() -> int:
        with db.connect() as conn:
            query = select(func.count()).where(timers.c.claimed_by.is_not(None))
            return int(conn.execute(query).scalar_one())

    env = {k: v for k, v in os.environ.items() if not k.startswith("INBURGERING_")}
    env.update(DATABASE_URL=url, PYTHONPATH=str(ROOT), INBURGERING_TIMER_POLL_SECONDS="0.2")
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(free_port())]
    command += ["--workers", "1", "--threads", "2"]
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    try:
        # The sweep claimed its batch (committed at once) and is stepping the instances one by one;
        # their results are written together when the batch ends.
        assert wait_for(lambda: claimed() == INSTANCES, timeout=90), "".join(lines)
        signalled_at = datetime.now(UTC)
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=GRACEFUL_TIMEOUT + patience(30))
        took = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=5)
    output = "".join(lines)
    assert code == 0, output
    assert "SIGKILL" not in output and "WORKER TIMEOUT" not in output, output
    # It stopped on its own, inside gunicorn's graceful timeout (about three seconds on a quiet
    # machine: one step in flight, a second or so, and the process's exit) ...
    assert took < GRACEFUL_TIMEOUT, (took, output[-2000:])

    done = completed()
    with db.connect() as conn:
        held = conn.execute(select(func.count()).where(timers.c.claimed_by.is_not(None))).scalar_one()
        pending = conn.execute(select(func.count()).select_from(timers)).scalar_one()
        fired = conn.execute(
            select(audit_entries.c.instance_id, func.count())
            .where(audit_entries.c.action == "timer-fired")
            .group_by(audit_entries.c.instance_id)
        ).all()
        after = conn.execute(
            select(audit_entries.c.at).where(
                audit_entries.c.action == "timer-fired", audit_entries.c.at > signalled_at
            )
        ).all()
    assert held == 0  # every claim it did not work on was released for the next worker
    assert done + pending == INSTANCES and pending > 0
    assert len(fired) == done and all(count == 1 for _, count in fired)
    # ... because the sweep began no further step once told to stop: however slow the machine, at
    # most the one step that began while the signal was on its way (master to worker) came after it.
    assert len(after) <= 1, (after, signalled_at)
    db.dispose()

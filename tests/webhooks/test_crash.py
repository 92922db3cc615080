"""A delivery worker killed with SIGKILL in the middle of a delivery loses no event."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from engine.clock import ManualClock
from storage.service import WorkflowService
from storage.webhook_schema import deliveries, delivery_attempts
from tests.conftest import ROOT
from tests.timing import patience
from tests.webhooks.conftest import Parties, Receiver
from tests.webhooks.test_delivery import EXPECTED, described, run_life, subscribe
from webhooks.dispatch import LEASE

pytestmark = pytest.mark.slow


def _worker(db: Engine, clock: ManualClock, name: str) -> subprocess.Popen[str]:
    schema = "-"
    if db.dialect.name == "postgresql":
        with db.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    url = db.url.render_as_string(hide_password=False)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.webhooks.worker_process", url, schema, clock.now().isoformat(), name],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> int:
    out, err = proc.communicate(timeout=patience(60))
    assert proc.returncode == 0, err
    return int(out.strip().splitlines()[-1])


def test_a_worker_killed_during_delivery_loses_no_event(
    client: Any,
    db: Engine,
    clock: ManualClock,
    parties: Parties,
    workflow: WorkflowService,
    receiver: Receiver,
) -> None:
    subscribe(client, parties, "km_a", receiver)
    run_life(workflow)
    arrived, release = threading.Event(), threading.Event()

    def hold(_request: Any) -> int:
        arrived.set()
        release.wait(timeout=patience(30))
        return 200

    receiver.script = [hold]
    worker = _worker(db, clock, "doomed")
    try:
        assert arrived.wait(timeout=patience(60)), "the worker never delivered"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=patience(30))
    finally:
        release.set()
    assert worker.returncode == -signal.SIGKILL

    with db.connect() as conn:
        rows = conn.execute(select(deliveries).order_by(deliveries.c.seq)).all()
    assert [r.status for r in rows] == ["pending"] * 4
    assert rows[0].claimed_by == "doomed" and rows[0].attempts == 1

    # A worker started while the lease runs leaves the delivery alone ...
    clock.advance(seconds=1)
    assert _finish(_worker(db, clock, "early")) == 0
    # ... and once it has run out, the event is delivered again (same webhook-id), then the rest.
    clock.advance(LEASE)
    assert _finish(_worker(db, clock, "restarted")) == 4

    assert receiver.failures == []
    accepted = receiver.accepted()
    # The receiver got the first event twice with one webhook-id (at least once; it dedupes by id).
    assert accepted[0].webhook_id == accepted[1].webhook_id
    assert described(accepted[1:]) == EXPECTED
    with db.connect() as conn:
        assert {r.status for r in conn.execute(select(deliveries.c.status))} == {"delivered"}
        errors = [r.error for r in conn.execute(select(delivery_attempts.c.error)) if r.error]
    assert any("did not finish" in e for e in errors)

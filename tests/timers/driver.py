"""A worker process for the multi-process tests: sweeps with the system clock until nothing is overdue.

    python -m tests.timers.driver --url URL [--schema S] [--lease 2] [--batch 25] [--pause-after N]

With ``--pause-after N`` the worker sweeps N times, then claims one more batch, prints the claimed timer
ids as a JSON line and blocks on stdin before firing them: the test kills it there, mid-batch. At the
end it prints its totals as a JSON line (with its longest sweep in seconds). Between empty sweeps it waits a short poll interval, as the
scheduler would; it gives up after ``--deadline`` seconds (exit status 3).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from app.worker import make_worker_id, sweep_timers
from engine.clock import SystemClock
from storage import timer_store
from storage.db import make_engine
from storage.service import WorkflowService


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--schema")
    parser.add_argument("--lease", type=float, default=2.0)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--pause-after", type=int)
    parser.add_argument("--deadline", type=float, default=150.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    kwargs: dict[str, Any] = {}
    if args.schema:
        kwargs["connect_args"] = {"options": f"-csearch_path={args.schema}"}
    db = make_engine(args.url, **kwargs)
    clock = SystemClock()
    workflow = WorkflowService(db, clock)
    worker_id = make_worker_id()
    sweeps = 0

    def maybe_pause(claimed: Sequence[timer_store.ClaimedTimer]) -> None:
        if args.pause_after is not None and sweeps >= args.pause_after and claimed:
            print(json.dumps({"paused": [t.id for t in claimed], "worker": worker_id}), flush=True)
            sys.stdin.read()  # blocks until killed (or the pipe closes)
            raise SystemExit(4)

    totals: dict[str, float] = {"fired": 0, "conflicts": 0, "errors": 0, "claimed": 0, "sweeps": 0}
    totals["longest_sweep"] = 0.0
    idle = threading.Event()
    give_up = time.monotonic() + args.deadline
    while time.monotonic() < give_up:
        began = time.monotonic()
        report = sweep_timers(
            (db, workflow, clock),
            worker_id=worker_id,
            batch=args.batch,
            lease=timedelta(seconds=args.lease),
            threads=args.threads or timer_store.parallel_steps(db),
            on_claimed=maybe_pause,
        )
        sweeps += 1
        totals["longest_sweep"] = max(totals["longest_sweep"], time.monotonic() - began)
        for key in ("fired", "conflicts", "errors", "claimed"):
            totals[key] += getattr(report, key)
        totals["sweeps"] = sweeps
        if report.claimed == 0:
            with db.connect() as conn:
                if timer_store.oldest_overdue(conn, clock.now()) is None:
                    print(json.dumps(totals), flush=True)
                    return 0
            idle.wait(0.05)  # the scheduler's poll interval, shortened
    print(json.dumps(totals), flush=True)
    return 3


if __name__ == "__main__":
    sys.exit(main())

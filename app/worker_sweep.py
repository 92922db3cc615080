"""One sweep of the timer worker: claim due timers, advance their instances, release.

The database claim decides who works (``storage.timer_store``); the instance's optimistic revision
check makes a second firing of the same timer a no-op. A sweep is therefore safe to run from any
number of threads, processes and machines at once, and a crashed sweep loses nothing: its claims
lapse after the lease and another worker takes the timers over.

Nothing here logs a business key: log lines carry counts, timer ids, element ids and instance ids.
"""

from __future__ import annotations

import contextvars
import logging
import os
import random
import socket
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from app import processing_log
from engine.clock import Clock
from engine.errors import EngineError
from storage import incidents as incident_store
from storage import timer_store
from storage.db import read_connection, write_connection
from storage.errors import ConflictError
from storage.service import WorkflowService

if TYPE_CHECKING:
    from app import Services

logger = logging.getLogger("inburgering.worker")

DEFAULT_BATCH = 50
DEFAULT_LEASE = timedelta(seconds=60)
RETRY_BASE = timedelta(seconds=5)
RETRY_CAP = timedelta(hours=1)
#: Attempts of a timer step that fails for a reason other than the engine's own before it is an incident.
MAX_ATTEMPTS = 5

ClaimHook = Callable[[Sequence[timer_store.ClaimedTimer]], None]


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did. ``max_lateness`` is how late the latest-firing timer was (None: none fired)."""

    fired: int
    conflicts: int
    errors: int
    max_lateness: timedelta | None
    claimed: int = 0
    released: int = 0
    next_due_at: datetime | None = None
    incidents: int = 0
    #: how late each fired timer was, in seconds (for the lateness histogram)
    lateness: tuple[float, ...] = ()


def make_worker_id() -> str:
    """A name for this worker process, unique across hosts and restarts (fits ``claimed_by``)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def retry_delay(
    attempts: int,
    *,
    base: timedelta = RETRY_BASE,
    cap: timedelta = RETRY_CAP,
    jitter: bool = False,
    rng: random.Random | None = None,
) -> timedelta:
    """Exponential backoff after ``attempts`` earlier failures: base, 2x base, 4x base ... up to cap.

    With ``jitter`` the delay is drawn from [delay/2, delay], so failing workers do not retry in step.
    """
    exponent = min(max(attempts, 0), 32)
    delay = min(base * (2**exponent), cap)
    if jitter:
        draw = (rng or random).random()  # noqa: S311 - spreading retries, not a secret
        delay = delay / 2 + delay / 2 * draw
    return delay


def _unpack(
    target: Services | tuple[Engine, WorkflowService, Clock],
) -> tuple[Engine, WorkflowService, Clock]:
    if isinstance(target, tuple):
        return target
    return target.db, target.workflow, target.clock


def _group(claimed: Sequence[timer_store.ClaimedTimer]) -> dict[str, list[timer_store.ClaimedTimer]]:
    """Timers of an instance by instance; a timer start event's (it starts an instance) by itself."""
    groups: dict[str, list[timer_store.ClaimedTimer]] = {}
    for timer in claimed:
        groups.setdefault(_key(timer), []).append(timer)
    return groups


def _key(timer: timer_store.ClaimedTimer) -> str:
    return timer.instance_id if timer.instance_id is not None else f"start:{timer.id}"


@dataclass
class _Outcome:
    fired_at: datetime | None = None  # the step's time, when our step went through
    conflicts: int = 0
    error: BaseException | None = None
    started: str | None = None  # the instance a timer start event started


class _Sweep:
    def __init__(
        self,
        db: Engine,
        workflow: WorkflowService,
        clock: Clock,
        worker_id: str,
        gemeenten: Collection[str] | None = None,
    ) -> None:
        self.db = db
        self.workflow = workflow
        self.clock = clock
        self.worker_id = worker_id
        self.gemeenten = gemeenten

    def claim(self, batch: int, lease: timedelta) -> list[timer_store.ClaimedTimer]:
        now = self.clock.now()
        with write_connection(self.db) as conn, conn.begin():
            return timer_store.claim_due_timers(
                conn, now, self.worker_id, now + lease, batch, gemeenten=self.gemeenten
            )

    def pending(self, ids: Sequence[str]) -> dict[str, datetime]:
        with read_connection(self.db) as conn:
            return timer_store.pending_timer_ids(conn, ids)

    def still_due(self, items: Sequence[timer_store.ClaimedTimer]) -> bool:
        """After a conflict: is any of our timers still pending and due (so firing is still needed)?"""
        now = self.clock.now()
        pending = self.pending([t.id for t in items])
        return any(t.id in pending and pending[t.id] <= now for t in items)

    def fire_instance(self, instance_id: str, items: Sequence[timer_store.ClaimedTimer]) -> _Outcome:
        outcome = _Outcome()
        for attempt in range(2):
            started = self.clock.now()
            try:
                self.workflow.fire_due(instance_id)
            except ConflictError:
                # Another worker or a user wrote the instance first. Reload: if our timers are gone,
                # someone else fired (or cancelled) them and there is nothing left to do.
                outcome.conflicts += 1
                if attempt == 1 or not self.still_due(items):
                    return outcome
                continue
            except Exception as exc:  # noqa: BLE001 - one bad instance must not stop the sweep
                outcome.error = exc
                return outcome
            outcome.fired_at = started
            return outcome
        return outcome  # pragma: no cover - the loop always returns

    def fire_start(self, timer: timer_store.ClaimedTimer) -> _Outcome:
        """Fire a timer start event: one new instance, the timer moved to its next time or deleted."""
        started = self.clock.now()
        try:
            record = self.workflow.fire_start_timer(timer.id, worker_id=self.worker_id)
        except ConflictError:
            return _Outcome(conflicts=1)  # fired elsewhere, rescheduled or replaced: nothing to do
        except Exception as exc:  # noqa: BLE001 - one bad timer must not stop the sweep
            return _Outcome(error=exc)
        return _Outcome(fired_at=started, started=record.id)

    def fire_batch(
        self,
        instance_ids: Sequence[str],
        groups: dict[str, list[timer_store.ClaimedTimer]],
        should_stop: Callable[[], bool] | None = None,
    ) -> dict[str, _Outcome]:
        """Advance a batch of instances in one transaction; retry conflicted ones one by one."""
        started = self.clock.now()
        try:
            results = self.workflow.fire_due_many(instance_ids, should_stop=should_stop)
        except Exception as exc:  # noqa: BLE001 - the whole write failed: every instance failed
            return {i: _Outcome(error=exc) for i in instance_ids}
        outcomes: dict[str, _Outcome] = {}
        for instance_id in instance_ids:
            result = results[instance_id]
            if result.skipped:
                outcomes[instance_id] = _Outcome()  # released for the next sweep, by any worker
            elif result.error is not None:
                outcomes[instance_id] = _Outcome(error=result.error)
            elif result.conflict:
                retried = (
                    self.fire_instance(instance_id, groups[instance_id])
                    if self.still_due(groups[instance_id])
                    else _Outcome()
                )
                retried.conflicts += 1
                outcomes[instance_id] = retried
            else:
                outcomes[instance_id] = _Outcome(fired_at=started)
        return outcomes

    def settle(
        self, claimed: Sequence[timer_store.ClaimedTimer], outcomes: dict[str, _Outcome]
    ) -> tuple[int, timedelta | None, int, int, int, tuple[float, ...]]:
        """Count what fired, record failures, release every other claim of ours.

        A failure the engine raised on purpose (a step over its budget, a diagram that cannot go on)
        fails the same way every time: it opens an incident at once, which holds the instance's timers
        until an operator retries it. Any other failure is retried with a backoff, and becomes an
        incident after ``MAX_ATTEMPTS``.
        """
        pending = self.pending([t.id for t in claimed])
        now = self.clock.now()
        fired = 0
        errors = 0
        max_lateness: timedelta | None = None
        lateness_each: list[float] = []
        failures: list[tuple[timer_store.ClaimedTimer, str]] = []
        held: dict[str, tuple[list[str], str]] = {}
        release: list[str] = []
        for timer in claimed:
            outcome = outcomes[_key(timer)]
            if outcome.error is None and outcome.started is not None:
                fired += 1  # a start timer fired (a cycle's row stays, moved to its next time)
                lateness = max(outcome.fired_at - timer.due_at, timedelta(0)) if outcome.fired_at else None
                if lateness is not None:
                    max_lateness = lateness if max_lateness is None else max(max_lateness, lateness)
                    lateness_each.append(lateness.total_seconds())
                continue
            if outcome.error is not None:
                message = f"{type(outcome.error).__name__}: {outcome.error}"
                if isinstance(outcome.error, EngineError) or timer.attempts + 1 >= MAX_ATTEMPTS:
                    held.setdefault(_key(timer), ([], message))[0].append(timer.id)
                else:
                    failures.append((timer, message))
            elif timer.id not in pending:
                if outcome.fired_at is not None:
                    fired += 1
                    lateness = max(outcome.fired_at - timer.due_at, timedelta(0))
                    max_lateness = lateness if max_lateness is None else max(max_lateness, lateness)
                    lateness_each.append(lateness.total_seconds())
            elif outcome.fired_at is not None and pending[timer.id] == timer.due_at <= now:
                # Our step went through but the engine did not fire the timer: do not spin on it.
                message = "the engine did not fire this timer at its due time"
                if timer.attempts + 1 >= MAX_ATTEMPTS:
                    held.setdefault(_key(timer), ([], message))[0].append(timer.id)
                else:
                    failures.append((timer, message))
            else:
                release.append(timer.id)
        released = 0
        incidents_opened = 0
        if failures or release or held:
            with write_connection(self.db) as conn, conn.begin():
                released = timer_store.release_timers(conn, release, self.worker_id)
                for timer, message in failures:
                    retry_at = now + retry_delay(timer.attempts, jitter=True)
                    if timer_store.record_timer_failure(conn, timer.id, self.worker_id, message, retry_at):
                        errors += 1
                for timer_ids, message in held.values():
                    mine = timer_store.still_claimed(conn, timer_ids, self.worker_id)
                    if mine and incident_store.open_timer_incident(
                        conn, timer_ids=mine, message=message, now=now
                    ):
                        incidents_opened += 1
                        errors += len(mine)
        for timer, _message in failures:
            error = outcomes[_key(timer)].error
            logger.warning(
                "timer %s (element %s, instance %s) failed on attempt %d: %s; retrying later",
                timer.id,
                timer.element_id,
                timer.instance_id,
                timer.attempts + 1,
                type(error).__name__ if error is not None else "not fired",
            )
        for instance_id, (timer_ids, _message) in held.items():
            error = outcomes[instance_id].error
            logger.error(
                "timer step of instance %s failed (%s): incident opened, its %d timer(s) held",
                instance_id,
                type(error).__name__ if error is not None else "not fired",
                len(timer_ids),
            )
        return fired, max_lateness, errors, released, incidents_opened, tuple(lateness_each)

    def next_due(self) -> datetime | None:
        with read_connection(self.db) as conn:
            return timer_store.next_due_at(conn, self.clock.now(), gemeenten=self.gemeenten)


def sweep_timers(
    target: Services | tuple[Engine, WorkflowService, Clock],
    *,
    worker_id: str,
    batch: int = DEFAULT_BATCH,
    lease: timedelta = DEFAULT_LEASE,
    threads: int = 1,
    on_claimed: ClaimHook | None = None,
    should_stop: Callable[[], bool] | None = None,
    gemeenten: Collection[str] | None = None,
) -> SweepReport:
    """Fire up to ``batch`` due timers once: claim, advance each instance, release.

    ``target`` is the app's :class:`~app.Services` or a ``(db, workflow, clock)`` tuple; ``now`` comes
    from that clock. With ``threads`` > 1 the instances of the batch are advanced concurrently (each
    step waits mostly on the database). ``on_claimed`` is called with the claimed timers before any
    fires (a hook for tests and instrumentation; it does nothing by default). Once ``should_stop()``
    answers true (the worker is shutting down) the sweep steps no further instance: it releases the
    claims it has not worked on and returns, so a stopping worker waits for one step at most. With
    ``gemeenten`` the worker owns a shard: it fires (and reports the next due time of) only the
    timers of those gemeenten's instances.
    """
    db, workflow, clock = _unpack(target)
    config = {} if isinstance(target, tuple) else target.config
    sweep = _Sweep(db, workflow, clock, worker_id, gemeenten)
    started = clock.now()
    claimed = sweep.claim(batch, lease) if should_stop is None or not should_stop() else []
    if on_claimed is not None:
        on_claimed(claimed)
    groups = _group(claimed)
    outcomes: dict[str, _Outcome] = {}
    if groups:
        workflow.load_definitions()  # once, before threads share the library
        for timer in claimed:
            if timer.instance_id is None and (should_stop is None or not should_stop()):
                outcomes[_key(timer)] = sweep.fire_start(timer)
            elif timer.instance_id is None:
                outcomes[_key(timer)] = _Outcome()  # the worker is stopping: released below
        ids = [key for key in groups if not key.startswith("start:")]
        chunks = [ids[i::threads] for i in range(min(max(threads, 1), len(ids)))]
        if len(chunks) > 1:
            with ThreadPoolExecutor(max_workers=len(chunks), thread_name_prefix="timer") as pool:
                # Each thread runs in a copy of this context, so its steps belong to this sweep's trace.
                contexts = [contextvars.copy_context() for _ in chunks]
                calls = pool.map(
                    lambda c, chunk: c.run(sweep.fire_batch, chunk, groups, should_stop), contexts, chunks
                )
                for part in calls:
                    outcomes.update(part)
        elif ids:
            outcomes.update(sweep.fire_batch(ids, groups, should_stop))
    fired, max_lateness, errors, released, incidents_opened, lateness = (
        sweep.settle(claimed, outcomes) if claimed else (0, None, 0, 0, 0, ())
    )
    _record_steps(db, config, outcomes, started, clock.now())
    report = SweepReport(
        fired=fired,
        conflicts=sum(o.conflicts for o in outcomes.values()),
        errors=errors,
        max_lateness=max_lateness,
        claimed=len(claimed),
        released=released,
        next_due_at=sweep.next_due(),
        incidents=incidents_opened,
        lateness=lateness,
    )
    _log(report)
    return report


def _record_steps(
    db: Engine, config: Mapping[str, Any], outcomes: Mapping[str, _Outcome], start: datetime, end: datetime
) -> None:
    """The data-processing log: one record per instance a timer moved on in this sweep."""
    stepped = sorted(o.started or i for i, o in outcomes.items() if o.fired_at is not None)
    if not stepped:
        return
    try:
        processing_log.write(
            db,
            config,
            activity=processing_log.ENGINE,
            name="timer fired",
            instance_ids=stepped,
            actor="system:timer",
            start=start,
            end=end,
        )
    except Exception:
        logger.exception("the data-processing log of %d timer steps could not be written", len(stepped))


def _log(report: SweepReport) -> None:
    level = logging.INFO if report.claimed else logging.DEBUG
    if not logger.isEnabledFor(level):
        return
    late: Any = "-" if report.max_lateness is None else f"{report.max_lateness.total_seconds():.3f}s"
    logger.log(
        level,
        "timer sweep: fired %d, latest %s late, conflicts %d, errors %d, claimed %d",
        report.fired,
        late,
        report.conflicts,
        report.errors,
        report.claimed,
        extra={
            "event": "timer-sweep",
            "fired": report.fired,
            "claimed": report.claimed,
            "conflicts": report.conflicts,
            "errors": report.errors,
            "incidents": report.incidents,
            "max_lateness_s": None if report.max_lateness is None else report.max_lateness.total_seconds(),
        },
    )

"""The worker: APScheduler jobs that fire due timers and deliver webhooks.

Two entry points, one set of jobs:

* :func:`start_in_process` runs them on a ``BackgroundScheduler`` inside ``inburgering serve``;
* :func:`run_worker` runs them on a ``BlockingScheduler`` as ``inburgering worker``.

The jobs are thin and every tick is harmless twice over: the database claim decides which worker
fires which timer. The timer job runs every ``TIMER_POLL_SECONDS`` (default 1) and sooner when it
knows better: after each sweep it looks up the next due time and moves its own next run forward to
it, and with a full batch it runs again at once until the backlog is gone.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from app import Services, build_services, processing_log, tracing
from app.config import load_config
from app.worker_sweep import (
    DEFAULT_BATCH,
    DEFAULT_LEASE,
    SweepReport,
    make_worker_id,
    retry_delay,
    sweep_timers,
)
from storage import timer_store

__all__ = [
    "SweepReport",
    "WorkerHandle",
    "make_worker_id",
    "retry_delay",
    "run_worker",
    "start_in_process",
    "sweep_timers",
]

logger = logging.getLogger("inburgering.worker")

#: How long a stopping worker waits for the step or POST in flight (a step is bounded by its budget).
STOP_TIMEOUT_SECONDS = 60.0
TIMER_JOB = "timers"
WEBHOOK_JOB = "webhooks"
SIGNAL_JOB = "signals"

Deliver = Callable[..., int]


@dataclass(frozen=True)
class WorkerSettings:
    """What the jobs need from the configuration."""

    poll_seconds: float = 1.0
    batch: int = DEFAULT_BATCH
    lease: timedelta = DEFAULT_LEASE
    threads: int = 1

    @classmethod
    def from_config(cls, config: Mapping[str, Any], db: Engine) -> WorkerSettings:
        """Read ``TIMER_POLL_SECONDS``, ``TIMER_BATCH``, ``TIMER_LEASE_SECONDS`` and ``TIMER_THREADS``."""
        poll = float(config.get("TIMER_POLL_SECONDS") or 1.0)
        if poll <= 0:
            raise ValueError("INBURGERING_TIMER_POLL_SECONDS must be positive")
        batch = int(config.get("TIMER_BATCH") or DEFAULT_BATCH)
        lease = float(config.get("TIMER_LEASE_SECONDS") or DEFAULT_LEASE.total_seconds())
        threads = int(config.get("TIMER_THREADS") or timer_store.parallel_steps(db))
        return cls(poll, max(batch, 1), timedelta(seconds=lease), max(threads, 1))


def load_deliver() -> Deliver | None:
    """``webhooks.dispatch.deliver_pending`` when that module exists, else None."""
    try:
        module = importlib.import_module("webhooks.dispatch")
    except ModuleNotFoundError as exc:
        if exc.name in {"webhooks", "webhooks.dispatch"}:
            return None
        raise
    deliver: Deliver | None = getattr(module, "deliver_pending", None)
    return deliver


class Stopping:
    """The worker's stop switch, and the jobs in flight that a stop waits for.

    APScheduler's ``shutdown(wait=True)`` waits for running jobs while holding its job store lock,
    and our jobs' listeners take that lock when a run ends: waiting there deadlocks until gunicorn
    kills the process. So the scheduler is shut down without waiting, and the wait is done here.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._idle = threading.Condition()
        self._running = 0

    def is_set(self) -> bool:
        return self._event.is_set()

    def set(self) -> None:
        self._event.set()

    @contextlib.contextmanager
    def job(self) -> Iterator[None]:
        """Count the enclosed job run as in flight."""
        with self._idle:
            self._running += 1
        try:
            yield
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no job runs; False when ``timeout`` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout)


class TimerJob:
    """The timer job: one sweep per tick, then ask the scheduler for an earlier tick when one is due.

    The earlier tick is applied by a listener once the run has finished: setting it from inside the
    run would race the executor's ``max_instances`` bookkeeping and the tick could be skipped.
    """

    def __init__(
        self,
        scheduler: BaseScheduler,
        services: Services,
        worker_id: str,
        settings: WorkerSettings,
        stopping: Stopping | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.services = services
        self.worker_id = worker_id
        self.settings = settings
        self.stopping = stopping or Stopping()
        self._lock = threading.Lock()
        self._wanted: datetime | None = None

    def __call__(self) -> SweepReport | None:
        started = time.perf_counter()
        try:
            with self.stopping.job(), tracing.operation("timer sweep", new_trace=True):
                report = sweep_timers(
                    self.services,
                    worker_id=self.worker_id,
                    batch=self.settings.batch,
                    lease=self.settings.lease,
                    threads=self.settings.threads,
                    should_stop=self.stopping.is_set,
                )
        except Exception:
            logger.exception("timer sweep failed; retrying at the next poll")
            return None
        if self.services.metrics is not None:
            self.services.metrics.observe_sweep(time.perf_counter() - started, report.lateness)
        if report.claimed >= self.settings.batch:
            wanted: datetime | None = datetime.now(UTC)  # more may be due: go on at once
        else:
            wanted = report.next_due_at
        with self._lock:
            self._wanted = wanted
        return report

    def after_run(self, event: JobExecutionEvent) -> None:
        if event.job_id != TIMER_JOB or self.stopping.is_set():
            return
        with self._lock:
            wanted, self._wanted = self._wanted, None
        if wanted is None:
            return
        job = self.scheduler.get_job(TIMER_JOB)
        if job is None or job.next_run_time is None:
            return
        if wanted < job.next_run_time:
            self.scheduler.modify_job(TIMER_JOB, next_run_time=max(wanted, datetime.now(UTC)))


class WebhookJob:
    """The webhook delivery job: thin, like the timer job; the outbox claim decides who delivers."""

    def __init__(
        self,
        scheduler: BaseScheduler,
        services: Services,
        worker_id: str,
        deliver: Deliver,
        stopping: Stopping | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.services = services
        self.worker_id = worker_id
        self.deliver = deliver
        self.stopping = stopping or Stopping()
        self._again = False

    def __call__(self) -> int:
        svc = self.services
        try:
            with self.stopping.job(), tracing.operation("webhook delivery", new_trace=True):
                started = time.perf_counter()
                stop = self.stopping.is_set
                made = self.deliver(svc.db, svc.clock, svc.config, worker_id=self.worker_id, should_stop=stop)
                count = int(made or 0)
                if count:
                    logger.info(
                        "webhook delivery: %d attempted",
                        count,
                        extra={
                            "event": "webhook-delivery",
                            "attempted": count,
                            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        },
                    )
        except Exception:
            logger.exception("webhook delivery failed; retrying at the next poll")
            return 0
        self._again = count > 0
        return count

    def after_run(self, event: JobExecutionEvent) -> None:
        if event.job_id == WEBHOOK_JOB and self._again and not self.stopping.is_set():
            self._again = False
            if self.scheduler.get_job(WEBHOOK_JOB) is not None:
                self.scheduler.modify_job(WEBHOOK_JOB, next_run_time=datetime.now(UTC))


class SignalJob:
    """Delivers signal deliveries left behind (a crash after the throw, a receiver changed meanwhile)."""

    def __init__(self, services: Services, worker_id: str) -> None:
        self.services = services
        self.worker_id = worker_id

    def __call__(self) -> int:
        svc = self.services
        start = svc.clock.now()
        try:
            with tracing.operation("signal delivery", new_trace=True):
                moved = svc.workflow.deliver_pending_signals(worker_id=self.worker_id)
        except Exception:
            logger.exception("signal delivery failed; retrying at the next poll")
            return 0
        if moved:
            logger.info("signal delivery: %d instances", len(moved))
            try:
                processing_log.write(
                    svc.db,
                    svc.config,
                    activity=processing_log.ENGINE,
                    name="signal delivered",
                    instance_ids=sorted(set(moved)),
                    actor="system:signal",
                    start=start,
                    end=svc.clock.now(),
                )
            except Exception:
                logger.exception("the data-processing log of %d signal deliveries failed", len(moved))
        return len(moved)


def add_jobs(
    scheduler: BaseScheduler,
    services: Services,
    *,
    worker_id: str | None = None,
    stopping: Stopping | None = None,
) -> tuple[TimerJob, WebhookJob | None]:
    """Register the timer job (and the webhook job when its module exists) on ``scheduler``.

    Setting ``stopping`` makes a running sweep or delivery round end after the step or POST in
    flight, releasing the rest of its claims: that is how a worker stops within seconds.
    """
    worker_id = worker_id or make_worker_id()
    settings = WorkerSettings.from_config(services.config, services.db)
    common: dict[str, Any] = {
        "trigger": "interval",
        "seconds": settings.poll_seconds,
        "max_instances": 1,
        "coalesce": True,
        "misfire_grace_time": None,
        "next_run_time": datetime.now(UTC),
        "replace_existing": True,
    }
    timer_job = TimerJob(scheduler, services, worker_id, settings, stopping)
    scheduler.add_job(timer_job, id=TIMER_JOB, name="fire due timers", **common)
    scheduler.add_listener(timer_job.after_run, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.add_job(SignalJob(services, worker_id), id=SIGNAL_JOB, name="deliver signals", **common)
    from app.retention_job import RetentionJob, interval_seconds

    every = interval_seconds(services)
    scheduler.add_job(
        RetentionJob(services),
        id="retention",
        name="purge what is past its retention term",
        **{
            **common,
            "seconds": every,
            "next_run_time": datetime.now(UTC) + timedelta(seconds=min(every, 60)),
        },
    )
    webhook_job = None
    deliver = load_deliver()
    if deliver is not None:
        webhook_job = WebhookJob(scheduler, services, worker_id, deliver, stopping)
        scheduler.add_job(webhook_job, id=WEBHOOK_JOB, name="deliver webhooks", **common)
        scheduler.add_listener(webhook_job.after_run, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    logger.info(
        "worker %s: timers every %.3g s (batch %d, lease %d s, %d threads)%s",
        worker_id,
        settings.poll_seconds,
        settings.batch,
        settings.lease.total_seconds(),
        settings.threads,
        ", webhook delivery on" if webhook_job else "",
    )
    return timer_job, webhook_job


class WorkerHandle:
    """A running in-process worker; ``shutdown()`` stops it.

    A running sweep ends after the step in flight (at most one step budget, ``STEP_MAX_SECONDS``) and
    releases its other claims; ``shutdown(wait=True)`` waits for that, not for the whole batch.
    """

    def __init__(
        self, scheduler: BackgroundScheduler, worker_id: str, stopping: Stopping | None = None
    ) -> None:
        self.scheduler = scheduler
        self.worker_id = worker_id
        self.stopping = stopping or Stopping()

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> bool:
        """Stop the jobs; with ``wait``, until the runs in flight have ended (False: ``timeout`` passed)."""
        self.stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        return self.stopping.wait_idle(timeout) if wait else True


def _scheduler_options() -> dict[str, Any]:
    return {"timezone": UTC}


def start_in_process(app: Any) -> WorkerHandle:
    """Start the jobs on a background scheduler inside the app's process (``inburgering serve``)."""
    services: Services = app.extensions["inburgering"]
    scheduler = BackgroundScheduler(daemon=True, **_scheduler_options())
    worker_id = make_worker_id()
    stopping = Stopping()
    add_jobs(scheduler, services, worker_id=worker_id, stopping=stopping)
    scheduler.start()
    return WorkerHandle(scheduler, worker_id, stopping)


def run_worker(config: dict[str, Any], announce: Callable[[str], None] | None = None) -> None:
    """Run the jobs in the foreground until SIGINT or SIGTERM (``inburgering worker``).

    With ``WORKER_METRICS_LISTEN`` set the worker serves its own ``/metrics`` there
    (:mod:`app.worker_metrics`); ``announce`` is told the address it listens on.
    """
    services = build_services(load_config(config))
    listener = None
    listen = services.config.get("WORKER_METRICS_LISTEN")
    if listen and services.metrics is not None:
        from app.worker_metrics import MetricsListener, parse_listen

        listener = MetricsListener(parse_listen(str(listen)), services.metrics.registry, services.db)
        logger.info("worker metrics at %s", listener.address.url())
        if announce is not None:
            announce(listener.address.url())
    scheduler = BlockingScheduler(**_scheduler_options())
    stopping = Stopping()
    add_jobs(scheduler, services, stopping=stopping)

    def stop(signum: int, _frame: Any) -> None:
        logger.info("worker stopping (signal %d)", signum)
        stopping.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)

    with contextlib.suppress(ValueError):  # not the main thread: the caller handles signals
        signal.signal(signal.SIGTERM, stop)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        stopping.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)
    finally:
        stopping.wait_idle(STOP_TIMEOUT_SECONDS)  # the step or POST in flight
        if listener is not None:
            listener.close()
        services.db.dispose()
        logger.info("worker stopped")

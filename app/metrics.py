"""Prometheus metrics at ``/metrics`` (the official ``prometheus_client``), for a beheerder only.

Two kinds of series:

* what this service did, counted where it happens: HTTP requests by route, method and status with
  their latency, engine steps by kind with their duration, timer sweeps and how late each timer
  fired. Under gunicorn every worker process counts for itself and ``/metrics`` adds them up
  (multiprocess mode: ``inburgering serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder
  before the workers start);
* what the database holds, read at each scrape (so every node's work is in them): instances by
  process, version and status; timers pending and overdue; deliveries pending, failing and dead;
  open incidents.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Engine

from engine.clock import Clock
from storage.stats import read_stats

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: Runtime methods that are engine steps; the metric's ``kind`` label is the method name.
STEP_KINDS = frozenset(
    {
        "start",
        "signal",
        "complete_task",
        "correlate",
        "fire_due_timers",
        "fire_timer",
        "reschedule_timer",
        "terminate",
    }
)
#: Incident kinds always shown (0 when none is open), so an alert rule has a series to watch.
INCIDENT_KINDS = ("delivery", "external-task", "timer")
LATENESS_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600)


class Metrics:
    """The counters and histograms of one process (one per app; they share the multiprocess files)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "inburgering_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.request_seconds = Histogram(
            "inburgering_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method",
            ["route", "method"],
            registry=r,
        )
        self.steps = Counter(
            "inburgering_engine_steps",
            "Engine steps run, by kind and outcome (ok or error)",
            ["kind", "outcome"],
            registry=r,
        )
        self.step_seconds = Histogram(
            "inburgering_engine_step_duration_seconds",
            "Time an engine step took in the engine (without the database write), by kind",
            ["kind"],
            registry=r,
        )
        self.sweep_seconds = Histogram(
            "inburgering_timer_sweep_duration_seconds", "Time one timer sweep took", registry=r
        )
        self.timers_fired = Counter("inburgering_timers_fired", "Timers fired by the worker", registry=r)
        self.lateness = Histogram(
            "inburgering_timer_lateness_seconds",
            "How long after its due time each timer fired",
            buckets=LATENESS_BUCKETS,
            registry=r,
        )

    # -- instrumentation -------------------------------------------------------------------------
    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.request_seconds.labels(route, method).observe(seconds)

    def observe_step(self, kind: str, seconds: float, ok: bool) -> None:
        self.steps.labels(kind, "ok" if ok else "error").inc()
        self.step_seconds.labels(kind).observe(seconds)

    def observe_sweep(self, seconds: float, lateness: tuple[float, ...]) -> None:
        self.sweep_seconds.observe(seconds)
        if lateness:
            self.timers_fired.inc(len(lateness))
        for value in lateness:
            self.lateness.observe(value)

    def instrument(self, runtime: Any) -> Any:
        """``runtime`` with every engine step timed and counted."""
        return _InstrumentedRuntime(runtime, self.observe_step)

    # -- exposition ------------------------------------------------------------------------------
    def exposition(self, db: Engine, clock: Clock) -> bytes:
        """The text format of every series: this process's (or all processes') and the database's."""
        folder = os.environ.get(MULTIPROC_ENV)
        if folder:
            mine = CollectorRegistry()
            multiprocess.MultiProcessCollector(mine, path=folder)
        else:
            mine = self.registry
        scraped = CollectorRegistry()
        scraped.register(DatabaseCollector(db, clock))
        return generate_latest(mine) + generate_latest(scraped)


class _InstrumentedRuntime:
    """Delegates everything to the runtime; engine steps are timed on the way."""

    def __init__(self, runtime: Any, observe: Callable[[str, float, bool], None]) -> None:
        self._runtime = runtime
        self._observe = observe

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:  # settings (limits) belong to the runtime itself
            setattr(self._runtime, name, value)

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._runtime, name)
        if name not in STEP_KINDS:
            return target

        def step(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            ok = False
            try:
                result = target(*args, **kwargs)
                ok = True
                return result
            finally:
                self._observe(name, time.perf_counter() - started, ok)

        return step


class DatabaseCollector:
    """Gauges read from the database at each scrape."""

    def __init__(self, db: Engine, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        with self.db.connect() as conn:
            stats = read_stats(conn, self.clock.now())
        instances = GaugeMetricFamily(
            "inburgering_instances",
            "Process instances by process key, version and status",
            labels=["process", "version", "status"],
        )
        for key, version, status, count in stats.instances:
            instances.add_metric([key, str(version), status], count)
        yield instances
        yield GaugeMetricFamily(
            "inburgering_timers_pending", "Timers waiting to fire", value=stats.timers_pending
        )
        yield GaugeMetricFamily(
            "inburgering_timers_overdue",
            "Pending timers whose due time has passed",
            value=stats.timers_overdue,
        )
        yield GaugeMetricFamily(
            "inburgering_timer_oldest_overdue_seconds",
            "How long the oldest overdue timer has been due (0 when none is)",
            value=stats.oldest_overdue_seconds,
        )
        deliveries = GaugeMetricFamily(
            "inburgering_deliveries",
            "Webhook deliveries: pending (not yet delivered), failing (pending after a failed attempt), dead",
            labels=["status"],
        )
        deliveries.add_metric(["pending"], stats.deliveries_pending)
        deliveries.add_metric(["failing"], stats.deliveries_failing)
        deliveries.add_metric(["dead"], stats.deliveries_dead)
        yield deliveries
        incidents = GaugeMetricFamily("inburgering_incidents_open", "Open incidents by kind", labels=["kind"])
        for kind, count in sorted({**dict.fromkeys(INCIDENT_KINDS, 0), **dict(stats.incidents_open)}.items()):
            incidents.add_metric([kind], count)
        yield incidents

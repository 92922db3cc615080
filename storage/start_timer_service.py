"""Timer start events on the workflow service (mixed into ``WorkflowService``).

A deploy schedules the timer start events of each new latest version (:meth:`StartTimerWork.
schedule_start_timers`, in the deploy's transaction). The timer worker fires a due one through
:meth:`StartTimerWork.fire_start_timer`: the instance it starts and the timer's deletion (or its move
to a cycle's next time) are one transaction, conditional on the worker's claim.

Instances a timer starts belong to no gemeente: a deployment belongs to no organisation, and there
is no request whose organisation they could take. COA's roles see them; a klantmanager never does.
"""

from __future__ import annotations

import logging
import socket
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from engine.definition import ParsedDocument
from engine.errors import DeployError
from engine.start_timers import Schedule, ScheduleError, first_schedule, next_schedule, start_timers
from storage import repository as repo
from storage import start_timer_store as store
from storage.db import write_connection
from storage.errors import ConflictError, NotFound

if TYPE_CHECKING:
    from engine.clock import Clock
    from engine.definition import SpecLibrary
    from engine.result import StepResult
    from engine.runtime import Runtime

logger = logging.getLogger("inburgering.timers")

#: Actor of the steps a timer start event makes (as ``system:timer`` for timers of an instance).
TIMER_ACTOR = "system:timer"
#: How long an operator's "fire now" holds a start timer while the instance starts.
FIRE_NOW_LEASE = timedelta(seconds=60)


class StartTimerWork:
    """Scheduling and firing of timer start events (uses the service's ``db``, ``clock``, ``runtime``)."""

    db: Any
    clock: Clock
    runtime: Runtime
    library: SpecLibrary

    def load_definitions(self) -> None:  # pragma: no cover - provided by WorkflowService
        raise NotImplementedError

    def _enqueue_signals(  # pragma: no cover - provided by SignalDelivery
        self, conn: Connection, instance_id: str, gemeente: str | None, result: StepResult
    ) -> list[str]:
        raise NotImplementedError

    def _after_signals(  # pragma: no cover - provided by WorkflowService
        self, record: repo.InstanceRecord, thrown: list[str]
    ) -> repo.InstanceRecord:
        raise NotImplementedError

    # -- deploying -------------------------------------------------------------------------------
    def start_timer_schedules(
        self, doc: ParsedDocument, now: datetime
    ) -> dict[str, list[tuple[str, Schedule]]]:
        """The first schedule of every timer start event in ``doc``, per process key.

        Raises DeployError naming each event whose value cannot be scheduled (an expression that
        needs a variable, a cycle with no time after ``now``).
        """
        out: dict[str, list[tuple[str, Schedule]]] = {}
        problems = []
        minimum = self.runtime.budget.min_timer_cycle
        for key, spec in doc.specs.items():
            for timer in start_timers(spec):
                try:
                    out.setdefault(key, []).append((timer.element_id, first_schedule(timer, now, minimum)))
                except ScheduleError as exc:
                    from engine.errors import Problem

                    problems.append(
                        Problem(f"timer start event '{timer.element_id}': {exc}", timer.element_id)
                    )
        if problems:
            raise DeployError(problems)
        return out

    def schedule_start_timers(
        self,
        conn: Connection,
        versions: dict[str, int],
        schedules: dict[str, list[tuple[str, Schedule]]],
        now: datetime,
    ) -> None:
        """In the deploy's transaction: each newly deployed version's start timers replace the older ones."""
        for key, version in versions.items():
            store.replace_start_timers(conn, key, version, schedules.get(key, []), now=now)

    # -- firing ----------------------------------------------------------------------------------
    def fire_start_timer(
        self, timer_id: str, *, worker_id: str, actor: str = TIMER_ACTOR
    ) -> repo.InstanceRecord:
        """Start the instance of a start timer this worker holds a claim on; move or delete the timer.

        ConflictError (nothing written) when the claim or the due time changed since it was read: the
        timer was fired by another worker, rescheduled, or replaced by a deploy.
        """
        with self.db.connect() as conn:
            row = store.get_start_timer(conn, timer_id)
        if row is None or row.claimed_by != worker_id:
            raise ConflictError(f"start timer {timer_id} was fired, rescheduled or replaced meanwhile")
        self.load_definitions()
        instance_id = str(uuid.uuid4())
        result = self.runtime.start(
            row.process_key,
            version=row.version,
            timer=row.element_id,
            actor=actor,
            business_key=None,
            instance_id=instance_id,
        )
        following = next_schedule(row.schedule, row.due_at, result.at)
        with write_connection(self.db) as conn, conn.begin():
            if not store.consume_start_timer(conn, row, worker_id, following):
                raise ConflictError(f"start timer {timer_id} was fired, rescheduled or replaced meanwhile")
            record = repo.insert_instance(
                conn,
                result,
                business_key=None,
                gemeente=None,
                actor=actor,
                now=result.at,
                instance_id=instance_id,
                savepoint=False,
            )
            thrown = self._enqueue_signals(conn, record.id, None, result)
        logger.info(
            "timer start event %s of %s v%d started instance %s%s",
            row.element_id,
            row.process_key,
            row.version,
            record.id,
            f"; next at {following.due_at.isoformat()}" if following is not None else "",
        )
        return self._after_signals(record, thrown)

    def fire_start_timer_now(self, timer_id: str, *, actor: str) -> repo.InstanceRecord:
        """An operator's "fire now": claim the start timer (due or not) and fire it."""
        worker_id = f"request:{socket.gethostname()[:40]}:{uuid.uuid4().hex[:8]}"
        now = self.clock.now()
        with write_connection(self.db) as conn, conn.begin():
            if store.get_start_timer(conn, timer_id) is None:
                raise NotFound(f"no pending timer {timer_id}")
            if not store.claim_start_timer(conn, timer_id, worker_id, now + FIRE_NOW_LEASE, now):
                raise ConflictError("the timer is being fired, or an open incident holds it")
        try:
            return self.fire_start_timer(timer_id, worker_id=worker_id, actor=actor)
        except BaseException:
            from storage import timer_store

            with write_connection(self.db) as conn, conn.begin():
                timer_store.release_timer(conn, timer_id, worker_id)
            raise

    def reschedule_start_timer(self, timer_id: str, due_at: datetime) -> None:
        with write_connection(self.db) as conn, conn.begin():
            if not store.reschedule_start_timer(conn, timer_id, due_at):
                raise NotFound(f"no pending timer {timer_id}")

"""Broadcast signals between instances: enqueue in the thrower's transaction, deliver right after it.

:class:`SignalDelivery` is mixed into :class:`storage.service.WorkflowService`. Every write of a step
calls :meth:`SignalDelivery._enqueue_signals` in its own transaction; once that commits, the same
request delivers the rows at once (a signal is synchronous in Camunda: the answer shows its effect).
Rows left behind by a crash, or by a receiver that was being changed concurrently, are delivered by
the worker (:meth:`SignalDelivery.deliver_pending_signals`).
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from engine import signals
from engine.errors import EngineError, NotFoundError
from engine.result import StepResult
from storage import repository as repo
from storage import signal_store
from storage.db import write_connection
from storage.errors import ConflictError, DuplicateInstanceError
from storage.signal_store import ClaimedDelivery, SignalScope

if TYPE_CHECKING:
    from engine.clock import Clock
    from engine.definition import SpecLibrary
    from engine.runtime import Runtime

logger = logging.getLogger("inburgering.signals")

LEASE = timedelta(seconds=60)
RETRY_AFTER = timedelta(seconds=5)
MAX_CASCADE = 1000
"""Deliveries one request makes at most (signals that start or wake instances that throw again);
the worker delivers the rest."""


class SignalDelivery:
    """Signal broadcast for the workflow service (uses its ``db``, ``clock``, ``runtime``, ``library``)."""

    db: Any
    clock: Clock
    runtime: Runtime
    library: SpecLibrary

    def load_definitions(self) -> None:  # pragma: no cover - provided by WorkflowService
        raise NotImplementedError

    # -- throwing --------------------------------------------------------------------------------
    def throw_signal(
        self,
        signal_name: str,
        variables: Mapping[str, Any] | None = None,
        *,
        actor: str,
        gemeente: str | None = None,
        without_gemeente: bool = False,
    ) -> list[str]:
        """``POST /signals``: deliver to every waiting instance (and signal start event) in scope.

        Returns the ids of the instances it moved on or started. Nothing waiting is not an error.
        """
        from engine import forms

        clean = forms.validate_free_variables(dict(variables or {}))
        self.load_definitions()
        if gemeente is not None:
            scope = SignalScope(gemeente=gemeente, include_without=False)
        elif without_gemeente:
            scope = SignalScope(gemeente=None)
        else:
            scope = SignalScope(everyone=True)
        with write_connection(self.db) as conn, conn.begin():
            ids = signal_store.enqueue(
                conn,
                signal_name=signal_name,
                variables=clean,
                scope=scope,
                starts=self.signal_start_targets,
                now=self.clock.now(),
            )
        logger.info("signal thrown by %s: %d receivers", actor, len(ids))
        return self.deliver_signals(ids)

    def signal_start_targets(self, signal_name: str) -> list[tuple[str, int]]:
        """The latest version of each process whose start event waits for ``signal_name``."""
        out: list[tuple[str, int]] = []
        for definition in self.library.definitions():
            if definition.document.kind != "bpmn":
                continue
            latest = self.library.get(definition.key)
            if latest.version != definition.version:
                continue
            if signal_name in signals.signal_start_names(latest.spec):
                out.append((latest.key, latest.version))
        return sorted(out)

    def _enqueue_signals(
        self, conn: Connection, instance_id: str, gemeente: str | None, result: StepResult
    ) -> list[str]:
        """In the step's transaction: a delivery row for each receiver of each signal the step threw.

        Returns the rows to deliver right after the step; those of a signal thrown asynchronously
        (``camunda:async``) are left to the worker, as Camunda leaves them to its job executor.
        """
        ids: list[str] = []
        for thrown in result.signals:
            rows = signal_store.enqueue(
                conn,
                signal_name=thrown.name,
                variables=thrown.variables,
                scope=SignalScope.thrown_in(gemeente),
                starts=self.signal_start_targets,
                now=result.at,
                source_instance_id=instance_id,
                business_key=thrown.business_key,
            )
            if not thrown.asynchronous:
                ids.extend(rows)
        return ids

    # -- delivering ------------------------------------------------------------------------------
    def deliver_signals(self, ids: Iterable[str], *, worker_id: str | None = None) -> list[str]:
        """Deliver the given rows now, then whatever those deliveries throw in turn (up to a cap).

        Returns the ids of the instances moved on or started, in delivery order.
        """
        worker_id = worker_id or _request_worker_id()
        queue = list(ids)
        done = 0
        touched: list[str] = []
        while queue and done < MAX_CASCADE:
            batch, queue = queue[:100], queue[100:]
            now = self.clock.now()
            with write_connection(self.db) as conn, conn.begin():
                claimed = signal_store.claim(conn, now, worker_id, now + LEASE, ids=batch, limit=len(batch))
            for delivery in claimed:
                queue.extend(self._deliver_one(delivery, worker_id, touched))
                done += 1
        return touched

    def deliver_pending_signals(self, *, worker_id: str, limit: int = 100) -> list[str]:
        """The worker's job: deliver rows nobody holds (left by a crash or a conflict).

        Returns the ids of the instances moved on or started.
        """
        now = self.clock.now()
        with write_connection(self.db) as conn, conn.begin():
            claimed = signal_store.claim(conn, now, worker_id, now + LEASE, limit=limit)
        more: list[str] = []
        touched: list[str] = []
        for delivery in claimed:
            more.extend(self._deliver_one(delivery, worker_id, touched))
        if more:
            touched.extend(self.deliver_signals(more, worker_id=worker_id))
        return touched

    def _deliver_one(self, delivery: ClaimedDelivery, worker_id: str, touched: list[str]) -> list[str]:
        """Run one receiver's step and delete the row in that step's transaction; return new row ids."""
        actor = "system:signal"
        try:
            for attempt in range(3):  # the receiver changed between our read and our write: again
                try:
                    if delivery.instance_id is not None:
                        return self._signal_instance(delivery, worker_id, actor, touched)
                    return self._start_by_signal(delivery, worker_id, actor, touched)
                except ConflictError as exc:
                    if attempt == 2 or isinstance(exc, DuplicateInstanceError):
                        raise
        except ConflictError as exc:
            self._failed(delivery, worker_id, f"conflict: {exc}")
        except Exception as exc:  # noqa: BLE001 - one receiver must not stop the broadcast
            logger.exception("signal delivery %s failed", delivery.id)
            self._failed(delivery, worker_id, f"{type(exc).__name__}: {exc}")
        return []

    def _signal_instance(
        self, delivery: ClaimedDelivery, worker_id: str, actor: str, touched: list[str]
    ) -> list[str]:
        assert delivery.instance_id is not None
        with self.db.connect() as conn:
            record = repo.get_instance(conn, delivery.instance_id)
        result: StepResult | None = None
        if record is not None and record.status == "active":
            self._ensure_loaded(record)  # type: ignore[attr-defined]
            try:
                result = self.runtime.signal(
                    record.state, delivery.signal_name, delivery.variables, actor=actor
                )
            except NotFoundError:
                result = None  # it stopped waiting since the throw: nothing to deliver
        with write_connection(self.db) as conn, conn.begin():
            if not signal_store.delete_delivery(conn, delivery.id, worker_id):
                return []
            if result is None or record is None:
                return []
            repo.update_instance(conn, record, result, actor=actor, now=result.at)
            more = self._enqueue_signals(conn, record.id, record.gemeente, result)
        touched.append(record.id)
        return more

    def _start_by_signal(
        self, delivery: ClaimedDelivery, worker_id: str, actor: str, touched: list[str]
    ) -> list[str]:
        assert delivery.process_key is not None
        self.load_definitions()
        result: StepResult | None
        instance_id = str(uuid.uuid4())
        try:
            result = self.runtime.start(
                delivery.process_key,
                business_key=delivery.business_key,
                variables=_with_gemeente(delivery.variables, delivery.gemeente),
                actor=actor,
                version=delivery.version,
                signal=delivery.signal_name,
                instance_id=instance_id,
            )
        except (NotFoundError, EngineError) as exc:
            logger.warning("signal start of %s skipped: %s", delivery.process_key, exc)
            result = None
        with write_connection(self.db) as conn, conn.begin():
            if not signal_store.delete_delivery(conn, delivery.id, worker_id):
                return []
            if result is None:
                return []
            try:
                record = repo.insert_instance(
                    conn,
                    result,
                    instance_id=instance_id,
                    business_key=delivery.business_key,
                    gemeente=delivery.gemeente,
                    actor=actor,
                    now=result.at,
                )
            except DuplicateInstanceError:
                logger.warning(
                    "signal start of %s skipped: business key already active", delivery.process_key
                )
                return []
            more = self._enqueue_signals(conn, record.id, record.gemeente, result)
        touched.append(record.id)
        return more

    def _failed(self, delivery: ClaimedDelivery, worker_id: str, error: str) -> None:
        now = self.clock.now()
        with write_connection(self.db) as conn, conn.begin():
            signal_store.record_failure(conn, delivery.id, worker_id, error, now + RETRY_AFTER)


def _with_gemeente(variables: Mapping[str, Any], gemeente: str | None) -> dict[str, Any]:
    out = dict(variables)
    if gemeente is not None:
        out.setdefault("gemeente", gemeente)
    return out


def _request_worker_id() -> str:
    return f"request:{socket.gethostname()}:{uuid.uuid4().hex[:8]}"

"""The external task API's operations on the workflow service (mixed into ``WorkflowService``).

Completing a task runs the engine step and writes it in one transaction with the lock check, so a
worker whose lock another worker has taken since cannot complete the task; a task with no retries
left opens an incident in the failure's own transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from engine.errors import EngineError, NotFoundError
from storage import external_task_store as store
from storage import repository as repo
from storage.db import write_connection
from storage.errors import NotFound
from storage.external_task_store import ExternalTaskRow

if TYPE_CHECKING:
    from engine.clock import Clock
    from engine.runtime import Runtime


@dataclass(frozen=True)
class FetchTopic:
    """One topic of a fetch-and-lock request."""

    name: str
    lock_duration: timedelta
    variables: tuple[str, ...] | None = None
    process_keys: tuple[str, ...] | None = None
    business_key: str | None = None
    #: Camunda's ``localVariables``: only the variables local to the task
    local_variables: bool = False


@dataclass(frozen=True)
class LockedTask:
    """A task locked for a worker, with the variables it asked for and the instance's business key."""

    task: ExternalTaskRow
    variables: dict[str, Any]
    business_key: str | None


class ExternalTaskWork:
    """Fetch-and-lock, complete, failure, extend-lock (on the service's ``db``, ``clock``, ``runtime``)."""

    db: Any
    clock: Clock
    runtime: Runtime

    def fetch_and_lock(
        self, *, worker_id: str, max_tasks: int, topics: Sequence[FetchTopic], use_priority: bool = False
    ) -> list[LockedTask]:
        now = self.clock.now()
        wanted = {t.name: t for t in topics}
        with write_connection(self.db) as conn, conn.begin():
            locked = store.fetch_and_lock(
                conn,
                now=now,
                worker_id=worker_id,
                max_tasks=max_tasks,
                lock_durations={t.name: t.lock_duration for t in topics},
                use_priority=use_priority,
                filters={
                    t.name: store.TopicFilter(t.process_keys, t.business_key)
                    for t in topics
                    if t.process_keys is not None or t.business_key is not None
                },
            )
        if not locked:
            return []
        with self.db.connect() as conn:
            records = {r.id: r for r in repo.get_instances(conn, sorted({t.instance_id for t in locked}))}
        out = []
        for task in locked:
            record = records.get(task.instance_id)
            topic = wanted[task.topic]
            variables = dict(record.variables) if record is not None else {}
            if record is not None:
                try:
                    scoped = self.runtime.external_task_variables(
                        record.state, task.id, task.element_id, local=topic.local_variables
                    )
                except EngineError:  # the instance moved on since the lock: its variables as stored
                    scoped = {} if topic.local_variables else None
                if scoped is not None:
                    variables = scoped
            names = topic.variables
            if names is not None:
                variables = {k: v for k, v in variables.items() if k in names}
            out.append(LockedTask(task, variables, record.business_key if record is not None else None))
        return out

    def complete_external_task(
        self, task_id: str, *, worker_id: str, variables: Mapping[str, Any], actor: str
    ) -> repo.InstanceRecord:
        with self.db.connect() as conn:
            task = store.get_task(conn, task_id)
            store.check_worker(task, worker_id)
            record = repo.get_instance(conn, task.instance_id)
        if record is None or record.status != "active":
            raise NotFound(f"no external task {task_id}")
        self._ensure_loaded(record)  # type: ignore[attr-defined]
        try:
            result = self.runtime.complete_external_task(record.state, task_id, variables, actor=actor)
        except NotFoundError as exc:
            raise NotFound(str(exc)) from exc
        with write_connection(self.db) as conn, conn.begin():
            # Again inside the write: another worker may have locked it after its lock expired.
            store.check_worker(store.get_task(conn, task_id, for_update=True), worker_id)
            written = repo.update_instance(conn, record, result, actor=actor, now=result.at)
            thrown = self._enqueue_signals(conn, record.id, record.gemeente, result)  # type: ignore[attr-defined]
        return self._after_signals(written, thrown)  # type: ignore[attr-defined,no-any-return]

    def external_task_bpmn_error(
        self,
        task_id: str,
        *,
        worker_id: str,
        error_code: str,
        error_message: str | None,
        variables: Mapping[str, Any],
        actor: str,
    ) -> repo.InstanceRecord:
        """Camunda's ``handleBpmnError``: written with the lock check, as a completion is."""
        with self.db.connect() as conn:
            task = store.get_task(conn, task_id)
            store.check_worker(task, worker_id, "reported")
            record = repo.get_instance(conn, task.instance_id)
        if record is None or record.status != "active":
            raise NotFound(f"no external task {task_id}")
        self._ensure_loaded(record)  # type: ignore[attr-defined]
        try:
            result = self.runtime.external_task_bpmn_error(
                record.state, task_id, error_code, error_message, variables, actor=actor
            )
        except NotFoundError as exc:
            raise NotFound(str(exc)) from exc
        with write_connection(self.db) as conn, conn.begin():
            store.check_worker(store.get_task(conn, task_id, for_update=True), worker_id, "reported")
            written = repo.update_instance(conn, record, result, actor=actor, now=result.at)
            thrown = self._enqueue_signals(conn, record.id, record.gemeente, result)  # type: ignore[attr-defined]
        return self._after_signals(written, thrown)  # type: ignore[attr-defined,no-any-return]

    def fail_external_task(
        self,
        task_id: str,
        *,
        worker_id: str,
        error_message: str | None,
        error_details: str | None,
        retries: int,
        retry_timeout: timedelta,
    ) -> ExternalTaskRow:
        now = self.clock.now()
        with write_connection(self.db) as conn, conn.begin():
            return store.record_failure(
                conn,
                task_id=task_id,
                worker_id=worker_id,
                error_message=error_message,
                error_details=error_details,
                retries=retries,
                retry_timeout=retry_timeout,
                now=now,
            )

    def extend_external_task_lock(self, task_id: str, *, worker_id: str, duration: timedelta) -> None:
        now = self.clock.now()
        with write_connection(self.db) as conn, conn.begin():
            store.extend_lock(conn, task_id=task_id, worker_id=worker_id, duration=duration, now=now)

    def unlock_external_task(self, task_id: str) -> None:
        with write_connection(self.db) as conn, conn.begin():
            store.unlock(conn, task_id)

"""Load, step, persist: the one place that runs engine steps against the database.

A step reads the instance (no lock held), runs the engine in memory, then writes everything in one
short write transaction guarded by the instance's revision. Two writers of one instance: exactly one
wins, the other gets a ConflictError and nothing of it is written.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from engine.budget import StepBudget
from engine.clock import Clock
from engine.definition import ParsedDocument, ProcessDefinition, SpecLibrary
from engine.errors import NotFoundError, TaskNotOpenError
from engine.result import StepResult
from engine.runtime import Runtime
from engine.serialization import LiveState
from storage import repository as repo
from storage.db import read_connection, write_connection
from storage.deadlines import record_document
from storage.errors import AmbiguousCorrelationError, ConflictError, NotFound
from storage.external_task_service import ExternalTaskWork
from storage.schema import documents, process_definitions
from storage.signal_delivery import SignalDelivery
from storage.start_timer_service import StartTimerWork
from storage.workflow_cache import DEFAULT_CAPACITY, WorkflowCache


@dataclass(frozen=True)
class DeployOutcome:
    """What a deploy stored: one entry per process key (or DMN decision) in the document."""

    sha256: str
    created: bool
    definitions: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class BatchOutcome:
    """What happened to one instance of a batch step."""

    record: repo.InstanceRecord | None = None
    at: datetime | None = None
    changed: bool = True
    conflict: bool = False
    error: BaseException | None = None
    skipped: bool = False  # not stepped: the worker is stopping


class WorkflowService(SignalDelivery, ExternalTaskWork, StartTimerWork):
    """Instances and definitions, on one database, one library and one clock."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        library: SpecLibrary | None = None,
        budget: StepBudget | None = None,
        workflow_cache: int = DEFAULT_CAPACITY,
    ) -> None:
        self.db = engine
        self.clock = clock
        self.library = library or SpecLibrary(budget)
        self.runtime = Runtime(self.library, clock, budget)
        self._loaded: set[str] = set()
        #: Workflows the last committed step of an instance left behind, by revision.
        self.workflows = WorkflowCache(workflow_cache)

    # -- definitions -----------------------------------------------------------------------------
    def load_definitions(self, read: Connection | None = None) -> None:
        """Bring every stored document the library lacks into it (DMN first, oldest first)."""
        with _reading(self.db, read) as conn:
            stored = set(conn.execute(select(documents.c.sha256)).scalars())
            new = stored - self._loaded
            if not new:
                return
            rows = conn.execute(
                select(documents.c.sha256, documents.c.name, documents.c.kind, documents.c.content)
                .where(documents.c.sha256.in_(new))
                .order_by((documents.c.kind == "bpmn"), documents.c.deployed_at)
            ).all()
            versions: dict[str, dict[str, int]] = {}
            for r in conn.execute(
                select(
                    process_definitions.c.key,
                    process_definitions.c.version,
                    process_definitions.c.document_sha256,
                ).where(process_definitions.c.document_sha256.in_(new))
            ):
                versions.setdefault(r.document_sha256, {})[r.key] = r.version
        for row in rows:
            doc = self.library.parse(row.name, bytes(row.content))
            self.library.register(doc, versions=versions.get(row.sha256, {}))
            self._loaded.add(row.sha256)

    def deploy(self, name: str, content: bytes, *, actor: str) -> DeployOutcome:
        """Validate and store a document once per content hash; raise DeployError listing every problem."""
        self.load_definitions()
        doc = self.library.parse(name, content)
        self.library.check_message_starts(doc)
        for attempt in range(3):
            try:
                outcome = self._store_document(doc, actor=actor)
                break
            except ConflictError:
                if attempt == 2:
                    raise
                self.load_definitions()
        self._loaded.add(doc.sha256)
        return outcome

    def _store_document(self, doc: ParsedDocument, *, actor: str) -> DeployOutcome:
        now = self.clock.now()
        with write_connection(self.db) as conn, conn.begin():
            existing = conn.execute(
                select(documents.c.sha256).where(documents.c.sha256 == doc.sha256)
            ).scalar()
            if existing is not None:
                rows = conn.execute(
                    select(process_definitions.c.key, process_definitions.c.version).where(
                        process_definitions.c.document_sha256 == doc.sha256
                    )
                ).all()
                pairs = tuple((r.key, r.version) for r in rows)
                self.library.register(doc, versions=dict(pairs))
                return DeployOutcome(doc.sha256, False, pairs)
            schedules = self.start_timer_schedules(doc, now)
            conn.execute(
                insert(documents).values(
                    sha256=doc.sha256,
                    name=doc.name,
                    kind=doc.kind,
                    content=doc.content,
                    deployed_at=now,
                    deployed_by=actor,
                )
            )
            record_document(conn, doc.kind, doc.content)
            pairs_list = []
            for key in doc.keys:
                current = conn.execute(
                    select(func.max(process_definitions.c.version)).where(process_definitions.c.key == key)
                ).scalar()
                version = int(current or 0) + 1
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(process_definitions).values(
                                key=key,
                                version=version,
                                document_sha256=doc.sha256,
                                name=doc.info.element_names.get(key),
                                deployed_at=now,
                            )
                        )
                except IntegrityError as exc:
                    raise ConflictError("a concurrent deploy took this version") from exc
                pairs_list.append((key, version))
            pairs = tuple(pairs_list)
            if doc.kind == "bpmn":
                self.schedule_start_timers(conn, dict(pairs), schedules, now)
        self.library.register(doc, versions=dict(pairs))
        return DeployOutcome(doc.sha256, True, pairs)

    def definition(self, key: str, version: int | None = None) -> ProcessDefinition:
        try:
            return self.library.get(key, version)
        except NotFoundError:
            self.load_definitions()
            return self.library.get(key, version)

    # -- instances -------------------------------------------------------------------------------
    def start(
        self,
        process_key: str,
        *,
        business_key: str | None,
        gemeente: str | None,
        variables: Mapping[str, Any] | None = None,
        actor: str,
        version: int | None = None,
        message: str | None = None,
        read: Connection | None = None,
        also: Also | None = None,
        initiator: str | None = None,
    ) -> repo.InstanceRecord:
        """Start an instance of the latest version of ``process_key`` (or of ``version``).

        With ``message``, it starts at the message start event for that message. ``initiator``: the
        user who starts it, for a start event's ``camunda:initiator``.
        ``read``: a connection to read on (the caller's read transaction) instead of a new one.
        ``also(conn, record, view)`` runs in the step's write transaction, after the instance is
        written (see :data:`Also`).
        """
        with _reading(self.db, read) as conn:
            self.load_definitions(conn)
            definition = self.definition(process_key, version)
            if business_key and repo.find_active_instance(conn, process_key, business_key):
                raise ConflictError("an active instance with this business key exists")
        start_vars = dict(variables or {})
        if gemeente is not None:
            start_vars.setdefault("gemeente", gemeente)
        instance_id = str(uuid.uuid4())
        result = self.runtime.start(
            process_key,
            business_key=business_key,
            variables=start_vars,
            actor=actor,
            version=definition.version,
            message=message,
            initiator=initiator,
            instance_id=instance_id,
        )
        view: dict[str, Any] = {}
        with write_connection(self.db) as conn, conn.begin():
            record = repo.insert_instance(
                conn,
                result,
                instance_id=instance_id,
                business_key=business_key,
                gemeente=gemeente,
                actor=actor,
                now=result.at,
                view=view,
                savepoint=False,
            )
            thrown = self._enqueue_signals(conn, record.id, gemeente, result)
            view["signals"] = bool(thrown)
            if also is not None:
                also(conn, record, view)
        self._keep(record, result, view.get("index"))
        return self._after_signals(record, thrown)

    def get(self, instance_id: str) -> repo.InstanceRecord:
        with read_connection(self.db) as conn:
            record = repo.get_instance(conn, instance_id)
        if record is None:
            raise NotFound(f"no instance {instance_id}")
        return record

    def called_instances(self, instance_id: str) -> list[dict[str, Any]]:
        """The running called instances of an instance, each with its own variables."""
        record = self.get(instance_id)
        self._ensure_loaded(record)
        return self.runtime.called_instances(record.state)

    def _step(
        self,
        record: repo.InstanceRecord,
        run: Callable[[Mapping[str, Any]], StepResult],
        *,
        actor: str,
        also: Also | None = None,
    ) -> repo.InstanceRecord:
        if record.status != "active":
            raise ConflictError(f"the instance is {record.status}")
        self._ensure_loaded(record)
        state, known = self._live_state(record)
        result = run(state)
        if not _changed(result):
            return record
        view: dict[str, Any] = {}
        with write_connection(self.db) as conn, conn.begin():
            written = repo.update_instance(
                conn, record, result, actor=actor, now=result.at, view=view, known=known
            )
            thrown = self._enqueue_signals(conn, record.id, record.gemeente, result)
            view["signals"] = bool(thrown)
            if also is not None:
                also(conn, written, view)
        self._keep(written, result, view.get("index"))
        return self._after_signals(written, thrown)

    def _live_state(self, record: repo.InstanceRecord) -> tuple[Mapping[str, Any], repo.WrittenIndex | None]:
        """The record's state, with the workflow its revision left in this process when there is one,
        and the index rows that revision wrote (None when not kept).

        The workflow is taken out of the cache: the step owns it and only a committed write puts
        the result back (:meth:`_keep`).
        """
        kept = self.workflows.take_kept(record.id, record.revision)
        if kept is None:
            return record.state, None
        return LiveState(record.state, kept[0]), kept[1]

    def _keep(
        self, written: repo.InstanceRecord, result: StepResult, index: repo.WrittenIndex | None = None
    ) -> None:
        """After the commit: keep the step's workflow (and the index rows it wrote) for the next step
        on this revision."""
        if written.status == "active":
            self.workflows.keep(written.id, written.revision, result.workflow, index)

    def _after_signals(self, record: repo.InstanceRecord, thrown: list[str]) -> repo.InstanceRecord:
        """Deliver what the step threw; the caller's answer shows its own instance as delivery left it."""
        if not thrown:
            return record
        self.deliver_signals(thrown)
        return self.get(record.id)

    def _ensure_loaded(self, record: repo.InstanceRecord) -> None:
        pins = record.state.get("pins") or {}
        try:
            self.library.bundle(record.process_key, record.version, pins)
        except NotFoundError:
            self.load_definitions()

    def complete_task(
        self,
        task_id: str,
        data: Mapping[str, Any],
        *,
        actor: str,
        user: str | None = None,
        gemeente_scope: str | None = None,
        read: Connection | None = None,
        also: Also | None = None,
        task: Any = None,
    ) -> repo.InstanceRecord:
        """Complete a task; a task claimed by someone other than ``user`` is a conflict.

        A task that was open once but no longer is raises TaskNotOpenError; with ``gemeente_scope``,
        a task of another gemeente is NotFound, exactly like one that never existed. ``read`` and
        ``also`` as for :meth:`start`; ``task``: the task's row as the caller just read it on ``read``.
        """
        with _reading(self.db, read) as conn:
            row = task if task is not None else repo.get_task_row(conn, task_id)
            if row is None:
                closed = repo.get_closed_task(conn, task_id)
                if closed is not None and (gemeente_scope is None or closed.gemeente == gemeente_scope):
                    raise TaskNotOpenError(f"task {task_id} is no longer open")
                raise NotFound(f"no open task {task_id}")
            if gemeente_scope is not None and row.gemeente != gemeente_scope:
                raise NotFound(f"no open task {task_id}")
            if row.assignee is not None and user is not None and row.assignee != user:
                raise ConflictError(f"the task is claimed by {row.assignee}")
            record = repo.get_instance(conn, row.instance_id)
        assert record is not None
        return self._step(
            record,
            lambda s: self.runtime.complete_task(s, task_id, data, actor=actor),
            actor=actor,
            also=also,
        )

    def claim(self, task_id: str, user: str) -> None:
        with write_connection(self.db) as conn, conn.begin():
            row = repo.get_task_row(conn, task_id)
            if row is None:
                raise NotFound(f"no open task {task_id}")
            if row.assignee == user:
                return
            if row.assignee is not None or not repo.set_task_assignee(conn, task_id, user, expected=None):
                raise ConflictError(f"the task is claimed by {row.assignee}")

    def unclaim(self, task_id: str, user: str, *, force: bool = False) -> None:
        with write_connection(self.db) as conn, conn.begin():
            row = repo.get_task_row(conn, task_id)
            if row is None:
                raise NotFound(f"no open task {task_id}")
            if row.assignee is None:
                return
            if row.assignee != user and not force:
                raise ConflictError(f"the task is claimed by {row.assignee}")
            repo.set_task_assignee(conn, task_id, None, expected=row.assignee)

    def correlate(
        self,
        message_name: str,
        business_key: str | None,
        variables: Mapping[str, Any] | None = None,
        *,
        actor: str,
        process_key: str | None = None,
        instance_id: str | None = None,
    ) -> repo.InstanceRecord:
        """Deliver a message to the one wait it matches (Camunda's ``correlate``).

        Several matching waits (several instances, or several executions of one instance, such as the
        receive tasks of a parallel multi-instance) raise AmbiguousCorrelationError, as Camunda raises
        MismatchingMessageCorrelationException: nothing is delivered. ``correlate_all`` reaches them all.
        """
        with read_connection(self.db) as conn:
            waits = repo.find_message_waits(conn, message_name, business_key, process_key, instance_id)
            if len(waits) > 1:
                elements = ", ".join(sorted({element for _, element in waits}))
                instances = len({i for i, _ in waits})
                where = f" in {instances} instances" if instances > 1 else ""
                raise AmbiguousCorrelationError(
                    f"message '{message_name}' matches {len(waits)} waits ({elements}{where}); "
                    "a single correlation must match exactly one: narrow it with businessKey, processKey "
                    "or processInstanceId, or correlate with all=true"
                )
            record = repo.get_instance(conn, waits[0][0]) if waits else None
        if record is None and instance_id is None:
            return self._start_by_message(message_name, business_key, variables, actor, process_key)
        if record is None:
            raise NotFound(f"no instance waits for message '{message_name}'")
        return self._step(
            record, lambda s: self.runtime.correlate(s, message_name, variables, actor=actor), actor=actor
        )

    def message_start_targets(self, message_name: str) -> list[str]:
        """The keys of the processes whose latest version has a start event for ``message_name``."""
        from engine.runtime import message_start_names

        self.load_definitions()
        out = []
        for definition in self.library.definitions():
            if definition.document.kind != "bpmn":
                continue
            latest = self.library.get(definition.key)
            if latest.version == definition.version and message_name in message_start_names(latest.spec):
                out.append(latest.key)
        return sorted(set(out))

    def _start_by_message(
        self,
        message_name: str,
        business_key: str | None,
        variables: Mapping[str, Any] | None,
        actor: str,
        process_key: str | None,
    ) -> repo.InstanceRecord:
        """No instance waits: the process whose start event waits for the message starts (correlate)."""
        targets = [k for k in self.message_start_targets(message_name) if process_key in (None, k)]
        if not targets:
            raise NotFound(f"no instance waits for message '{message_name}'")
        if len(targets) > 1:
            raise AmbiguousCorrelationError(
                f"message '{message_name}' starts {len(targets)} processes ({', '.join(targets)}); "
                "a single correlation must match exactly one: narrow it with processKey"
            )
        return self.start(
            targets[0],
            business_key=business_key,
            gemeente=None,
            variables=variables,
            actor=actor,
            message=message_name,
        )

    def correlate_all(
        self,
        message_name: str,
        business_key: str | None,
        variables: Mapping[str, Any] | None = None,
        *,
        actor: str,
        process_key: str | None = None,
        instance_id: str | None = None,
    ) -> list[repo.InstanceRecord]:
        """Deliver a message to every wait it matches (Camunda's ``correlateAll``), one instance at a time."""
        with read_connection(self.db) as conn:
            waits = repo.find_message_waits(conn, message_name, business_key, process_key, instance_id)
        ids = list(dict.fromkeys(i for i, _ in waits))
        if not ids and instance_id is None:
            return [self._start_by_message(message_name, business_key, variables, actor, process_key)]
        if not ids:
            raise NotFound(f"no instance waits for message '{message_name}'")
        out = []
        for one in ids:
            record = self.get(one)
            out.append(
                self._step(
                    record,
                    lambda s: self.runtime.correlate(s, message_name, variables, actor=actor),
                    actor=actor,
                )
            )
        return out

    def fire_timer(self, timer_id: str, *, actor: str) -> repo.InstanceRecord:
        """Fire a timer now; a timer start event's answers with the instance it started."""
        if self._is_start_timer(timer_id):
            return self.fire_start_timer_now(timer_id, actor=actor)
        record = self._timer_instance(timer_id)
        return self._step(record, lambda s: self.runtime.fire_timer(s, timer_id, actor=actor), actor=actor)

    def reschedule_timer(self, timer_id: str, due_at: datetime, *, actor: str) -> repo.InstanceRecord | None:
        """Give a timer a new due time (None for a timer start event: it has no instance)."""
        if self._is_start_timer(timer_id):
            self.reschedule_start_timer(timer_id, due_at)
            return None
        record = self._timer_instance(timer_id)
        return self._step(
            record, lambda s: self.runtime.reschedule_timer(s, timer_id, due_at, actor=actor), actor=actor
        )

    def fire_due(self, instance_id: str, *, actor: str = "system:timer") -> repo.InstanceRecord:
        """Advance an instance whose timers are due (the worker's job)."""
        record = self.get(instance_id)
        return self._step(record, lambda s: self.runtime.fire_due_timers(s, actor=actor), actor=actor)

    def fire_due_many(
        self,
        instance_ids: Sequence[str],
        *,
        actor: str = "system:timer",
        should_stop: Callable[[], bool] | None = None,
    ) -> dict[str, BatchOutcome]:
        """Advance many instances with due timers, written in one transaction (one commit per batch).

        A conflict of one instance (another writer came first) leaves the others written; any other
        failure of a write rolls back the batch. An instance where nothing happened is not written at
        all. Once ``should_stop()`` answers true, the instances not yet stepped are left alone
        (``skipped``).
        """
        with read_connection(self.db) as conn:
            records = repo.get_instances(conn, instance_ids)
        outcomes: dict[str, BatchOutcome] = {}
        stepped: list[tuple[repo.InstanceRecord, StepResult, repo.WrittenIndex | None]] = []
        for record in records:
            if should_stop is not None and should_stop():
                outcomes[record.id] = BatchOutcome(skipped=True)
                continue
            if record.status != "active":
                outcomes[record.id] = BatchOutcome(conflict=True)
                continue
            try:
                self._ensure_loaded(record)
                state, known = self._live_state(record)
                result = self.runtime.fire_due_timers(state, actor=actor)
            except Exception as exc:  # noqa: BLE001 - one bad instance must not stop the batch
                outcomes[record.id] = BatchOutcome(error=exc)
                continue
            if not _changed(result):
                outcomes[record.id] = BatchOutcome(record=record, changed=False)
                continue
            stepped.append((record, result, known))
        thrown: list[str] = []
        if stepped:
            kept: list[tuple[repo.InstanceRecord, StepResult, Any]] = []
            with write_connection(self.db) as conn, conn.begin():
                for record, result, known in stepped:
                    # No savepoint per instance (two round trips each on PostgreSQL): a conflict is
                    # found by the instance row's revision check, the first statement, before
                    # anything of the instance is written; any other failure ends the whole batch.
                    view: dict[str, Any] = {}
                    try:
                        written = repo.update_instance(
                            conn, record, result, actor=actor, now=result.at, view=view, known=known
                        )
                        thrown.extend(self._enqueue_signals(conn, record.id, record.gemeente, result))
                        outcomes[record.id] = BatchOutcome(record=written, at=result.at)
                        kept.append((written, result, view.get("index")))
                    except ConflictError:
                        outcomes[record.id] = BatchOutcome(conflict=True)
            for written, result, index in kept:
                self._keep(written, result, index)
        if thrown:
            self.deliver_signals(thrown)
        for missing in set(instance_ids) - set(outcomes):
            outcomes[missing] = BatchOutcome(conflict=True)
        return outcomes

    def terminate(self, instance_id: str, *, actor: str) -> repo.InstanceRecord:
        record = self.get(instance_id)
        return self._step(record, lambda s: self.runtime.terminate(s, actor=actor), actor=actor)

    def purge_history(self, *, limit: int = 500) -> int:
        """Remove finished instances past their process's ``historyTimeToLive``."""
        from storage.retention import purge_finished

        self.load_definitions()
        ttls = history_ttls(self.library)
        if not ttls:
            return 0
        with write_connection(self.db) as conn, conn.begin():
            return purge_finished(conn, self.clock.now(), ttls, limit=limit)

    def _is_start_timer(self, timer_id: str) -> bool:
        with read_connection(self.db) as conn:
            row = repo.get_timer_row(conn, timer_id)
        return row is not None and row.instance_id is None

    def _timer_instance(self, timer_id: str) -> repo.InstanceRecord:
        with read_connection(self.db) as conn:
            row = repo.get_timer_row(conn, timer_id)
            record = repo.get_instance(conn, row.instance_id) if row is not None else None
        if record is None:
            raise NotFound(f"no pending timer {timer_id}")
        return record


#: Work a caller adds to a step's write transaction: ``also(conn, record, view)`` with the record as
#: written and ``view``: the instance's open ``tasks`` and ``timers`` as their index rows now read,
#: and ``signals``: whether the step threw signals (delivered after the commit, so they may change
#: the instance again).
Also = Callable[[Connection, repo.InstanceRecord, dict[str, Any]], None]


@contextlib.contextmanager
def _reading(db: Engine, read: Connection | None) -> Iterator[Connection]:
    """The caller's read connection, or a new one for this read."""
    if read is not None:
        yield read
        return
    with read_connection(db) as conn:
        yield conn


def _changed(result: StepResult) -> bool:
    """Whether a step did anything worth a new revision (every real step leaves an audit record)."""
    return bool(result.events or result.audit)


def history_ttls(library: SpecLibrary) -> dict[str, int]:
    """Days to keep finished instances per process key, from each key's latest version."""
    from storage.retention import ttl_days

    out: dict[str, int] = {}
    for definition in library.definitions():
        if definition.document.kind != "bpmn":
            continue
        latest = library.get(definition.key)
        days = ttl_days(latest.info.history_ttl.get(definition.key))
        if days is not None:
            out[definition.key] = days
    return out

"""Moving running instances to another version of their process, one instance per transaction.

:meth:`InstanceMigrator.validate` reads every instance the plan selects and lists what cannot be
mapped (nothing is written); :meth:`InstanceMigrator.migrate` validates first and refuses the whole
plan if anything cannot be mapped, then moves the instances one by one, each in its own short write
transaction with the instance's revision check (a step that wrote in between makes the move of
that instance be tried again on the new state). The audit trail of each instance records the move.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, select, update

from engine.definition import Bundle
from engine.errors import NotFoundError
from engine.migration import (
    MigrationPlan,
    MigrationPlanError,
    check_instance,
    check_plan,
    migrate_state,
    runs_source,
)
from engine.result import StepResult
from storage import repository as repo
from storage.db import write_connection
from storage.errors import ConflictError, StorageError
from storage.schema import lane_key, process_instances, timers, user_tasks
from storage.service import WorkflowService
from storage.task_forms import form_id, store_forms

ATTEMPTS = 3


@dataclass(frozen=True)
class InstanceProblem:
    """What keeps one instance from moving."""

    instance_id: str
    messages: tuple[str, ...]


@dataclass(frozen=True)
class MigrationReport:
    """The instances a plan selects and everything that cannot be mapped."""

    plan: MigrationPlan
    instance_ids: tuple[str, ...]
    plan_problems: tuple[str, ...] = ()
    instance_problems: tuple[InstanceProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.plan_problems and not self.instance_problems

    def messages(self) -> list[str]:
        out = list(self.plan_problems)
        for item in self.instance_problems:
            out.extend(f"instance {item.instance_id}: {m}" for m in item.messages)
        return out


@dataclass
class MigrationOutcome:
    """What a migration did: instances moved, and those that failed (with the reason)."""

    report: MigrationReport
    migrated: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


class MigrationRefused(StorageError):
    """The plan cannot be carried out; ``report`` lists every problem. Nothing was changed."""

    def __init__(self, report: MigrationReport) -> None:
        super().__init__("; ".join(report.messages()))
        self.report = report


class InstanceMigrator:
    """Validates and carries out migration plans against one database."""

    def __init__(self, service: WorkflowService) -> None:
        self.service = service
        self.runtime = service.runtime

    def _bundles(self, plan: MigrationPlan) -> tuple[list[str], list[Bundle]]:
        self.service.load_definitions()
        problems, bundles = [], []
        for name, version in (("sourceVersion", plan.source_version), ("targetVersion", plan.target_version)):
            try:
                bundles.append(self.service.library.bundle(plan.process_key, version))
            except NotFoundError as exc:
                problems.append(f"{name}: {exc}")
        return problems, bundles

    def validate(self, plan: MigrationPlan, instance_ids: Sequence[str] | None = None) -> MigrationReport:
        """Everything that keeps the plan from being carried out; changes nothing."""
        missing, bundles = self._bundles(plan)
        if missing:
            return MigrationReport(plan, (), tuple(missing))
        plan_problems = check_plan(plan, bundles[0], bundles[1])
        query = select(process_instances.c.id).where(
            process_instances.c.process_key == plan.process_key,
            process_instances.c.version == plan.source_version,
            process_instances.c.status == "active",
        )
        if instance_ids is not None:
            query = query.where(process_instances.c.id.in_(list(instance_ids)))
        with self.service.db.connect() as conn:
            selected = list(conn.execute(query.order_by(process_instances.c.created_at)).scalars())
            selected.extend(self._callers_running(conn, plan, instance_ids))
        problems: list[InstanceProblem] = []
        for unknown in sorted(set(instance_ids or ()) - set(selected)):
            problems.append(
                InstanceProblem(
                    unknown,
                    (f"does not run {plan.process_key} version {plan.source_version}",),
                )
            )
        if not plan_problems:
            for instance_id in selected:
                record = self.service.get(instance_id)
                unmapped = check_instance(self.runtime, record.state, plan)
                if unmapped:
                    problems.append(InstanceProblem(instance_id, tuple(u.message() for u in unmapped)))
        return MigrationReport(plan, tuple(selected), tuple(plan_problems), tuple(problems))

    def _callers_running(
        self, conn: Connection, plan: MigrationPlan, instance_ids: Sequence[str] | None
    ) -> list[str]:
        """Active instances of processes that call the plan's process and run its source version."""
        callers = {
            d.key
            for d in self.service.library.definitions()
            if plan.process_key in d.document.called.get(d.key, ())
        }
        if not callers:
            return []
        query = select(process_instances.c.id, process_instances.c.state).where(
            process_instances.c.process_key.in_(sorted(callers)),
            process_instances.c.status == "active",
        )
        if instance_ids is not None:
            query = query.where(process_instances.c.id.in_(list(instance_ids)))
        rows = conn.execute(query.order_by(process_instances.c.created_at))
        return [r.id for r in rows if runs_source(r.state, plan)]

    def migrate(
        self, plan: MigrationPlan, *, actor: str, instance_ids: Sequence[str] | None = None
    ) -> MigrationOutcome:
        """Validate, then move every selected instance in its own transaction.

        Raises MigrationRefused (nothing changed) when anything cannot be mapped.
        """
        report = self.validate(plan, instance_ids)
        if not report.ok:
            raise MigrationRefused(report)
        outcome = MigrationOutcome(report)
        for instance_id in report.instance_ids:
            try:
                self.migrate_one(instance_id, plan, actor=actor)
            except (ConflictError, MigrationPlanError, StorageError) as exc:
                outcome.failed.append((instance_id, str(exc)))
                continue
            outcome.migrated.append(instance_id)
        return outcome

    def migrate_one(self, instance_id: str, plan: MigrationPlan, *, actor: str) -> repo.InstanceRecord:
        """Move one instance; a concurrent step makes it try again on the new state."""
        for attempt in range(ATTEMPTS):
            record = self.service.get(instance_id)
            if record.status != "active" or not runs_source(record.state, plan):
                raise ConflictError(f"the instance is {record.status} and no longer on the source version")
            result = migrate_state(self.runtime, record.state, plan, actor=actor)
            try:
                with write_connection(self.service.db) as conn, conn.begin():
                    written = repo.update_instance(conn, record, result, actor=actor, now=result.at)
                    refresh_indexes(conn, instance_id, result)
                return written
            except ConflictError:
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover


def refresh_indexes(conn: Connection, instance_id: str, result: StepResult) -> None:
    """Open tasks and timers that moved keep their row (assignee, due date); the rest follows the version."""
    store_forms(
        conn,
        {
            key: fields
            for fields in ([f.as_dict() for f in t.form] for t in result.open_tasks)
            if (key := form_id(fields))
        },
    )
    for task in result.open_tasks:
        conn.execute(
            update(user_tasks)
            .where(user_tasks.c.id == task.id, user_tasks.c.instance_id == instance_id)
            .values(
                element_id=task.element_id,
                name=task.name,
                lane=task.lane,
                lane_key=lane_key(task.lane),
                candidate_groups=list(task.candidate_groups),
                process_key=task.process_id,
                form_id=form_id([f.as_dict() for f in task.form]),
            )
        )
    for timer in result.timers:
        conn.execute(
            update(timers)
            .where(timers.c.id == timer.id, timers.c.instance_id == instance_id)
            .values(element_id=timer.element_id)
        )

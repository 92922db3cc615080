"""Moving a running instance to another version of its process (Camunda Cockpit's instance migration).

A :class:`MigrationPlan` maps the elements of the source version to those of the target version:
the same id maps to itself unless the plan says otherwise, and SpiffWorkflow's ``SpecDiff`` aligns a
renamed element with the same place in the flow. An instance can move only if every task that is
running, waiting, done or cancelled has a counterpart (what is merely predicted is predicted anew);
:func:`check_instance` lists what has none, so nothing changes until the plan covers it.

:func:`migrate_state` puts every task on its counterpart; where the flow itself changed it uses the
library's ``migrate_workflow`` (tasks that were ready or waiting are reset and their future predicted
from the new spec). It then gives every surviving task back what
it had: open tasks keep their id, assignee, due date and creation time, and waiting timers keep
their due time unless the plan names them in ``recompute_timers``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine import serialization
from engine.definition import Bundle
from engine.errors import EngineError, ProcessError
from engine.result import AuditRecord, StepResult

if TYPE_CHECKING:
    from engine.runtime import Runtime

_KEEP_MASK = TaskState.READY | TaskState.WAITING
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_PREDICTED = TaskState.PREDICTED_MASK | TaskState.FUTURE
_TIMER_VALUE = "event_value"


class MigrationPlanError(EngineError):
    """A plan that names elements or versions that do not exist; ``problems`` lists each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class MigrationPlan:
    """Move instances of ``process_key`` from ``source_version`` to ``target_version``."""

    process_key: str
    source_version: int
    target_version: int
    mappings: Mapping[str, str] = field(default_factory=dict)
    recompute_timers: frozenset[str] = frozenset()

    def as_dict(self) -> dict[str, Any]:
        return {
            "processKey": self.process_key,
            "sourceVersion": self.source_version,
            "targetVersion": self.target_version,
            "mappings": dict(self.mappings),
            "recomputeTimers": sorted(self.recompute_timers),
        }


@dataclass(frozen=True)
class Unmapped:
    """A task of an instance whose element has no counterpart in the target version."""

    element_id: str
    process_id: str
    state: str
    reason: str

    def message(self) -> str:
        return f"element '{self.element_id}' of process '{self.process_id}' ({self.state}): {self.reason}"


def _element_ids(specs: Iterable[Any]) -> set[str]:
    out = set()
    for spec in specs:
        for task_spec in spec.task_specs.values():
            element = getattr(task_spec, "bpmn_id", None)
            if element:
                out.add(element)
    return out


def _all_specs(bundle: Bundle) -> list[Any]:
    return [bundle.top.spec, *bundle.subprocess_specs.values()]


def check_plan(plan: MigrationPlan, source: Bundle, target: Bundle) -> list[str]:
    """Problems with the plan itself: mapped or recomputed elements that do not exist."""
    problems = []
    if plan.source_version == plan.target_version:
        problems.append("targetVersion: is the same as the source version")
    old_ids = _element_ids(_all_specs(source))
    new_ids = _element_ids(_all_specs(target))
    for old, new in sorted(plan.mappings.items()):
        if old not in old_ids:
            problems.append(f"mappings: '{old}' is not an element of version {plan.source_version}")
        if new not in new_ids:
            problems.append(f"mappings: '{new}' is not an element of version {plan.target_version}")
    timer_ids = {
        ts.bpmn_id
        for spec in _all_specs(target)
        for ts in spec.task_specs.values()
        if isinstance(getattr(ts, "event_definition", None), TimerEventDefinition)
    }
    for element in sorted(plan.recompute_timers - timer_ids):
        problems.append(f"recomputeTimers: '{element}' is not a timer of version {plan.target_version}")
    return problems


def _mapped_name(name: str, bpmn_id: str | None, mappings: Mapping[str, str]) -> str | None:
    if bpmn_id and bpmn_id in mappings:
        # internal specs carry the element id as a prefix (``x.BoundaryEventSplit``)
        return mappings[bpmn_id] + name[len(bpmn_id) :] if name.startswith(bpmn_id) else mappings[bpmn_id]
    return None


def _spec_diff(old_spec: Any, new_spec: Any, mappings: Mapping[str, str]) -> SpecDiff:
    diff = SpecDiff(serialization.SERIALIZER.registry, old_spec, new_spec)
    for old_ts in old_spec.task_specs.values():
        name = _mapped_name(old_ts.name, getattr(old_ts, "bpmn_id", None), mappings)
        if name is None:
            continue
        target = new_spec.task_specs.get(name)
        diff.alignment[old_ts] = target
        if target is not None:
            if target in diff.added:
                diff.added.remove(target)
            diff.comparisons[old_ts] = diff._compare_task_specs(old_ts, target)
    return diff


def _type_name(task_spec: Any) -> str:
    return type(task_spec).__name__


@dataclass
class _Diffs:
    top: WorkflowDiff
    subprocesses: dict[Any, WorkflowDiff]
    unmapped: list[Unmapped]
    #: per workflow (None: the top one, else the subprocess id): whether the flow itself changed
    structural: dict[Any, bool] = field(default_factory=dict)


def _structural(diff: SpecDiff) -> bool:
    """Whether the versions differ in their flow (not only in names, texts, forms or timer values)."""
    if diff.added or diff.removed:
        return True
    for old, new in diff.alignment.items():
        if new is None:
            continue
        if type(old) is not type(new):
            return True
        mapped = [diff.alignment.get(o) for o in old.outputs]
        if [m.name if m is not None else None for m in mapped] != [o.name for o in new.outputs]:
            return True
    return False


def _diff_workflow(workflow: Any, target: Bundle, mappings: Mapping[str, str]) -> _Diffs:
    unmapped: list[Unmapped] = []
    structural: dict[Any, bool] = {}

    def check(wf: Any, new_spec: Any | None, key: Any = None) -> WorkflowDiff | None:
        process_id = wf.spec.name
        if new_spec is None:
            live = [t for t in wf.tasks.values() if t.state & ~_PREDICTED]
            for task in live[:1]:
                unmapped.append(
                    Unmapped(
                        getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name,
                        process_id,
                        TaskState.get_name(task.state).lower(),
                        f"the target version has no process '{process_id}'",
                    )
                )
            return None
        spec_diff = _spec_diff(wf.spec, new_spec, mappings)
        structural[key] = _structural(spec_diff)
        diff = WorkflowDiff(wf, spec_diff)
        for task in wf.tasks.values():
            element = getattr(task.task_spec, "bpmn_id", None)
            aligned = diff.alignment.get(task)
            if task.state & _PREDICTED or element is None:
                continue
            state = TaskState.get_name(task.state).lower()
            if aligned is None:
                unmapped.append(Unmapped(element, process_id, state, "no counterpart in the target version"))
            elif task.state & _LIVE and _type_name(aligned) != _type_name(task.task_spec):
                unmapped.append(
                    Unmapped(
                        element,
                        process_id,
                        state,
                        f"is a {_type_name(task.task_spec)} here and a {_type_name(aligned)} in the "
                        "target version",
                    )
                )
        return diff

    top = check(workflow, target.top.spec)
    assert top is not None
    subs: dict[Any, WorkflowDiff] = {}
    for sp_id, sp in workflow.subprocesses.items():
        sub = check(sp, target.subprocess_specs.get(sp.spec.name), sp_id)
        if sub is not None:
            subs[sp_id] = sub
    # one entry per element and state is enough to say what the plan must cover
    seen: dict[tuple[str, str, str], Unmapped] = {}
    for item in unmapped:
        seen.setdefault((item.process_id, item.element_id, item.state), item)
    return _Diffs(top, subs, list(seen.values()), structural)


def check_instance(runtime: Runtime, state: Mapping[str, Any], plan: MigrationPlan) -> list[Unmapped]:
    """What of this instance cannot be mapped to the target version (empty: it can move)."""
    workflow, _bundle, _key = runtime._load(state)
    target = target_bundle(runtime, state, plan)
    return _diff_workflow(workflow, target, plan.mappings).unmapped


def runs_source(state: Mapping[str, Any], plan: MigrationPlan) -> bool:
    """Whether the instance runs the plan's source version: as its process, or as a process it calls."""
    if state.get("process") == plan.process_key:
        return bool(state.get("version") == plan.source_version)
    return bool((state.get("pins") or {}).get(plan.process_key) == plan.source_version)


def target_bundle(runtime: Runtime, state: Mapping[str, Any], plan: MigrationPlan) -> Bundle:
    """What the instance runs after the move.

    A plan for the instance's own process: the target version, with the called processes the instance
    already runs on. A plan for a process it calls (``scenario_2``): its own version, calling the
    target version of that process.
    """
    pins = dict(state.get("pins") or {})
    if state.get("process") == plan.process_key:
        pins.pop(plan.process_key, None)
        return runtime.library.bundle(plan.process_key, plan.target_version, pins)
    pins[plan.process_key] = plan.target_version
    return runtime.library.bundle(str(state["process"]), int(state["version"]), pins)


def _prune_stale_predictions(workflow: Any, diff: WorkflowDiff) -> None:
    """Drop predicted tasks of removed elements; running call activities predict their future anew."""
    for task in list(workflow.tasks.values()):
        stale = task.state & _PREDICTED and diff.alignment.get(task) is None
        if stale and task.id in workflow.tasks and task.task_spec not in workflow.spec.task_specs.values():
            workflow._remove_task(task.id)
    for task in list(workflow.tasks.values()):
        if task.state == TaskState.STARTED and isinstance(task.task_spec, SubWorkflowTask):
            task._drop_children()
            task.task_spec._predict(
                task, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE | TaskState.STARTED
            )


def _move(wf: Any, diff: WorkflowDiff, spec: Any, structural: bool, plan: MigrationPlan) -> None:
    """Put ``wf`` on ``spec``. A changed flow: the library resets what is ready or waiting and predicts
    its future from the new spec. Otherwise every task just takes its counterpart (the tree stays as
    it is), and only the timers the plan names are reset for their new due time."""
    if structural:
        migrate_workflow(diff, wf, spec)
        _prune_stale_predictions(wf, diff)
        return
    wf.spec = spec
    for task in wf.tasks.values():
        aligned = diff.alignment.get(task)
        if aligned is not None:
            task.task_spec = aligned
    for task in list(wf.tasks.values()):
        element = getattr(task.task_spec, "bpmn_id", None)
        if task.id in wf.tasks and task.state == TaskState.WAITING and element in plan.recompute_timers:
            task.reset_branch(None)


def migrate_state(
    runtime: Runtime, state: Mapping[str, Any], plan: MigrationPlan, *, actor: str
) -> StepResult:
    """The instance's state moved to the plan's target version, run to its next wait state.

    Raises MigrationPlanError when something cannot be mapped (nothing is changed then).
    """
    from engine.runtime import _describe_library_error, _Step

    if not runs_source(state, plan):
        raise MigrationPlanError(
            [f"the instance does not run {plan.process_key} version {plan.source_version} (any more)"]
        )
    workflow, source, business_key = runtime._load(state)
    target = target_bundle(runtime, state, plan)
    problems = check_plan(plan, source, target)
    if problems:
        raise MigrationPlanError(problems)
    diffs = _diff_workflow(workflow, target, plan.mappings)
    if diffs.unmapped:
        raise MigrationPlanError([u.message() for u in diffs.unmapped])
    now = runtime.clock.now()
    kept = {
        task.id: (
            task.state,
            copy.deepcopy(task.internal_data),
            copy.deepcopy(task.data),
            task.last_state_change,
        )
        for wf in (workflow, *workflow.subprocesses.values())
        for task in wf.tasks.values()
        if task.state & _KEEP_MASK
    }
    with runtime._stepping(now):  # the step's time and its budget
        step = _Step(runtime, workflow, target, actor)
        _move(workflow, diffs.top, target.top.spec, diffs.structural.get(None, True), plan)
        for sp_id, sub_diff in diffs.subprocesses.items():
            sp = workflow.subprocesses[sp_id]
            _move(
                sp, sub_diff, target.subprocess_specs[sp.spec.name], diffs.structural.get(sp_id, True), plan
            )
        workflow.subprocess_specs = dict(target.subprocess_specs)
        for wf in (workflow, *workflow.subprocesses.values()):
            for task in wf.tasks.values():
                before = kept.get(task.id)
                if before is None or not task.state & _KEEP_MASK:
                    continue
                state_before, internal, data, changed_at = before
                element = getattr(task.task_spec, "bpmn_id", None)
                if element in plan.recompute_timers and _TIMER_VALUE in task.internal_data:
                    internal[_TIMER_VALUE] = task.internal_data[_TIMER_VALUE]
                task.internal_data = internal
                task.data = data
                task.last_state_change = changed_at  # open tasks keep their order
                if state_before == TaskState.WAITING and task.state != TaskState.WAITING:
                    # a timer that fell due: the worker fires it, as any other due timer
                    task._set_state(TaskState.WAITING)
        step.audit.append(
            AuditRecord(
                "migrated",
                plan.process_key,
                actor,
                {
                    "process": plan.process_key,
                    "fromVersion": plan.source_version,
                    "toVersion": plan.target_version,
                    **_plan_detail(plan),
                },
            )
        )
        # Nothing waits to be run at a wait state; if the new version made an engine task ready
        # (a join whose branches are all done), run it now. Timers are left to the worker.
        try:
            while workflow._do_engine_steps(
                will_complete_task=step.will_complete, did_complete_task=step.did_complete
            ):
                pass
        except SpiffWorkflowException as exc:
            raise ProcessError(_describe_library_error(exc)) from exc
        step.check_wait_states()
        return runtime._result(workflow, target, business_key, step, now)


def _plan_detail(plan: MigrationPlan) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    if plan.mappings:
        detail["mappings"] = dict(plan.mappings)
    if plan.recompute_timers:
        detail["recomputeTimers"] = sorted(plan.recompute_timers)
    return detail

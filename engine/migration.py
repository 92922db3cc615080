"""Moving a running instance to another version of its process (Camunda Cockpit's instance migration).

A :class:`MigrationPlan` maps the elements of the source version to those of the target version:
an element maps to the element with the same id unless the plan maps it to another one (as
Camunda's ``mapEqualActivities`` plus explicit ``mapActivities``). :func:`check_instance` lists,
before anything changes, what of an instance cannot be moved: an active element without a
counterpart, a counterpart of another kind, two active elements that would become one, a parallel
join whose arrived branches the target version cannot hold, a join that would wait for ever, an
element that would leave its sub-process.

Where only names, texts, forms or timer values changed, every task takes its counterpart and the
task tree stays as it is. Where the flow itself changed (elements added or removed, flows
rewired), the task tree of that process or sub-process is rebuilt from the target version: every
active task is put at its counterpart with the same id, data and state, with the structure the
target version gives it (its boundary events, its sub-process, the branches already arrived at a
parallel join), and its future is predicted from the target version. What the instance had done
before is in the audit trail; the tree keeps only what is still running.

Open tasks keep their id, assignee, due date and creation time; waiting timers keep their due time
unless the plan names them in ``recompute_timers`` (Camunda's ``updateEventTrigger``). A boundary
event the target version adds to an active task starts waiting at the move; one it removes is
dropped.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin, BoundaryEventSplit, StartEventSplit, _EndJoin
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent, EventBasedGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.task import Task
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
    """Something of an instance that cannot be moved to the target version."""

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


# -- alignment -------------------------------------------------------------------------------------
def _target_name(name: str, mappings: Mapping[str, str]) -> str:
    """The name of a task spec's counterpart: the mapped element, or the same name.

    The library's own specs carry the element (or process) id as a prefix: ``x.BoundaryEventSplit``,
    ``scenariokeuze.EndJoin``.
    """
    if name in mappings:
        return mappings[name]
    prefix, dot, rest = name.partition(".")
    if dot and prefix in mappings:
        return f"{mappings[prefix]}.{rest}"
    return name


def _align(old_spec: Any, new_spec: Any, mappings: Mapping[str, str]) -> dict[Any, Any]:
    return {
        ts: new_spec.task_specs.get(_target_name(ts.name, mappings)) for ts in old_spec.task_specs.values()
    }


def _structural(alignment: Mapping[Any, Any], new_spec: Any) -> bool:
    """Whether the versions differ in their flow (not only in names, texts, forms or timer values)."""
    targets = {new for new in alignment.values() if new is not None}
    if len(targets) != len(alignment) or set(new_spec.task_specs.values()) - targets:
        return True  # removed, merged or added elements
    for old, new in alignment.items():
        if type(old) is not type(new):
            return True
        if [alignment[o].name for o in old.outputs] != [o.name for o in new.outputs]:
            return True
    return False


def _type_name(task_spec: Any) -> str:
    return type(task_spec).__name__


def _element(task_spec: Any) -> str:
    return getattr(task_spec, "bpmn_id", None) or task_spec.name


def _state(task: Any) -> str:
    return TaskState.get_name(task.state).lower()


# -- what an active tree holds -------------------------------------------------------------------
@dataclass
class _Group:
    """Something running in one process or sub-process, moved as one piece.

    ``activity``: a task (``tasks[0]``), with its live boundary events when it has any (``holder``
    is then the library's split task); ``join``: the branches arrived at a parallel join (``tasks``
    are the join's tasks, each under the task its branch came from); ``gateway``: an event-based
    gateway or the split of several start events (``holder``) and its waiting events (``tasks``).
    """

    kind: str
    tasks: list[Any]
    order: int
    holder: Any = None
    target: Any = None  # the counterpart of tasks[0] (activity), of the join or of the gateway
    join: Any = None  # the join's spec (join)
    sources: list[Any] = field(default_factory=list)  # the task each arrived branch came from (join)
    parent: Any = None  # the task the group came from (activity, gateway)
    #: target spec -> the old task that moves there (boundary events, event-based gateway's events)
    attached: dict[Any, Any] = field(default_factory=dict)


@dataclass
class _Rebuild:
    """The rebuilt tree of one process or sub-process, planned before anything changes."""

    spec: Any
    groups: list[_Group]
    alignment: Mapping[Any, Any]


def _arrivals(workflow: Any, join_spec: Any) -> list[Any]:
    """The join's tasks whose branch has arrived since the join last fired (oldest first)."""
    tasks = [t for t in workflow.tasks.values() if t.task_spec is join_spec]
    fired = max((t.last_state_change for t in tasks if t.state == TaskState.COMPLETED), default=None)
    arrived = [
        t
        for t in tasks
        if t.state & (TaskState.WAITING | TaskState.CANCELLED)
        and t.parent is not None
        and t.parent.state == TaskState.COMPLETED
        and (fired is None or t.last_state_change > fired)
    ]
    return sorted(arrived, key=lambda t: t.last_state_change)


def _boundary_split(spec: Any, task_spec: Any) -> Any:
    split = spec.task_specs.get(f"{task_spec.name}.BoundaryEventSplit")
    return split if isinstance(split, BoundaryEventSplit) else None


def _plan_rebuild(
    wf: Any,
    new_spec: Any,
    alignment: Mapping[Any, Any],
    plan: MigrationPlan,
    scope_of: Mapping[str, str],
) -> tuple[_Rebuild, list[Unmapped]]:
    """How the tree of ``wf`` is rebuilt on ``new_spec``, or what keeps it from being rebuilt."""
    process_id = wf.spec.name
    version = plan.target_version
    problems: list[Unmapped] = []
    order = {task_id: i for i, task_id in enumerate(wf.tasks)}  # creation order: lists keep theirs
    groups: dict[Any, _Group] = {}

    def refuse(task: Any, reason: str) -> None:
        problems.append(Unmapped(_element(task.task_spec), process_id, _state(task), reason))

    def counterpart(task: Any, reason_kind: str = "element") -> Any:
        target = alignment.get(task.task_spec)
        if target is None:
            wanted = _target_name(task.task_spec.name, plan.mappings)
            elsewhere = scope_of.get(wanted)
            if elsewhere is not None and elsewhere != new_spec.name:
                refuse(
                    task,
                    f"'{wanted}' is in '{elsewhere}' in version {version}, not in '{new_spec.name}'; "
                    "an active element cannot leave its sub-process",
                )
            else:
                refuse(
                    task,
                    f"no counterpart in version {version}; map it to an element of version {version}",
                )
            return None
        if _type_name(target) != _type_name(task.task_spec):
            refuse(
                task,
                f"is a {_type_name(task.task_spec)} here and '{_element(target)}' is a "
                f"{_type_name(target)} in version {version}",
            )
            return None
        return target

    live = sorted((t for t in wf.tasks.values() if t.state & _LIVE), key=lambda t: order.get(t.id, 0))
    for task in live:
        spec, parent = task.task_spec, task.parent
        parent_spec = parent.task_spec if parent is not None else None
        if isinstance(spec, BoundaryEventJoin):
            # bookkeeping of a fired non-interrupting boundary event: its branch went on by itself,
            # and the task's own join cancels what still waits when the task ends
            continue
        if isinstance(spec, UnstructuredJoin) and task.state == TaskState.WAITING:
            groups.setdefault(("join", spec.name), _Group("join", [], order[task.id], join=spec))
        elif isinstance(parent_spec, BoundaryEventSplit):
            group = groups.get(parent.id)
            if group is None:
                group = groups[parent.id] = _Group("activity", [], order[parent.id], holder=parent)
                # a non-interrupting event that fired already stays fired (its branch went on)
                for child in parent.children:
                    if isinstance(child.task_spec, BoundaryEvent) and child.state == TaskState.COMPLETED:
                        group.attached[child.task_spec] = child
            if isinstance(spec, BoundaryEvent):
                group.attached[spec] = task
            else:
                group.tasks.insert(0, task)
        elif isinstance(parent_spec, EventBasedGateway | StartEventSplit):
            group = groups.setdefault(parent.id, _Group("gateway", [], order[parent.id], holder=parent))
            group.tasks.append(task)
        elif isinstance(spec, Join | MultiInstanceTask) or isinstance(parent_spec, MultiInstanceTask):
            refuse(
                task, "a multi-instance or waiting join of this kind cannot be moved where the flow changed"
            )
        else:
            groups[task.id] = _Group("activity", [task], order[task.id])

    rebuilt: list[_Group] = []
    seen_targets: dict[Any, Any] = {}
    starts: list[Any] = []
    arrived: dict[Any, set[Any]] = {}
    for group in sorted(groups.values(), key=lambda g: g.order):
        if group.kind == "activity":
            if not group.tasks:
                task = next(iter(group.attached.values()))
                refuse(task, "waits on a task that is no longer active; it cannot be moved")
                continue
            (task,) = group.tasks
            target = counterpart(task)
            if target is None:
                continue
            group.target = target
            split = _boundary_split(new_spec, target)
            kept = {}
            for old_spec, old_task in group.attached.items():
                new_event = alignment.get(old_spec)
                if (
                    split is not None
                    and new_event in split.outputs
                    and _type_name(new_event) == _type_name(old_spec)
                ):
                    kept[new_event] = old_task
            group.attached = kept
            starts.append(target)
            if split is not None:
                starts.extend(o for o in split.outputs if o is not target)
        elif group.kind == "gateway":
            gateway = group.holder
            target = counterpart(gateway)
            if target is None:
                continue
            group.target = target
            kept = {}
            for old_task in group.tasks:
                new_event = alignment.get(old_task.task_spec)
                if new_event in target.outputs:
                    kept[new_event] = old_task
            group.attached = kept
            starts.extend(target.outputs)
        else:
            join_spec = group.join
            tasks = _arrivals(wf, join_spec)
            group.tasks = tasks
            group.sources = [t.parent for t in tasks]
            probe = tasks[-1]
            target = counterpart(probe)
            if target is None:
                continue
            group.target = target
            if not isinstance(target, _EndJoin) and len(target.inputs) < len(join_spec.inputs):
                refuse(
                    probe,
                    f"the parallel join has {len(join_spec.inputs)} incoming flows here and "
                    f"'{_element(target)}' only {len(target.inputs)} in version {version}",
                )
                continue
            came_in = arrived.setdefault(target, set())
            for task in tasks:
                source = alignment.get(task.parent.task_spec)
                if isinstance(target, _EndJoin):
                    continue
                if source not in target.inputs:
                    refuse(
                        task,
                        f"a branch has arrived here from '{_element(task.parent.task_spec)}', which does "
                        f"not lead into '{_element(target)}' in version {version}",
                    )
                else:
                    came_in.add(source)
            starts.append(target)
        if group.target is not None:
            first = seen_targets.setdefault(group.target, group)
            mine = _source_task(group)
            other = _source_task(first)
            if first is not group and mine.task_spec is not other.task_spec:
                refuse(
                    mine,
                    f"'{_element(other.task_spec)}' is active too and also maps to "
                    f"'{_element(group.target)}'; two active elements cannot become one",
                )
            rebuilt.append(group)

    if not problems:
        # A parallel join ahead that would get fewer branches than it waits for: refused where the
        # source version's join would have got them all (a designer's own dead ends are no reason).
        old_starts, old_arrived = _source_tokens(wf, live)
        before = {
            (_target_name(join, plan.mappings), _target_name(incoming, plan.mappings))
            for join, incoming in _starving(wf.spec, old_starts, old_arrived)
        }
        for join, incoming in sorted(_starving(new_spec, starts, arrived) - before):
            problems.append(
                Unmapped(
                    _element(new_spec.task_specs[join]),
                    process_id,
                    "ahead",
                    f"the parallel join would wait for ever for its branch from "
                    f"'{_element(new_spec.task_specs[incoming])}', which nothing active in the instance "
                    "reaches",
                )
            )
    for group in rebuilt:
        if group.kind != "join":
            group.parent = (group.holder or group.tasks[0]).parent
    return _Rebuild(new_spec, rebuilt, alignment), problems


def _and_join(spec: Any) -> bool:
    return (
        isinstance(spec, UnstructuredJoin)
        and not isinstance(spec, _EndJoin | InclusiveGateway)
        and len(spec.inputs) > 1
    )


def _starving(spec: Any, starts: list[Any], arrived: Mapping[Any, set[Any]]) -> set[tuple[str, str]]:
    """(join, incoming) names: parallel joins a token gets to, and a branch no token can bring.

    What tokens can get to is followed through the flow; a parallel join is passed only when every
    one of its branches can get there too (or has arrived), so a loop back through a join whose
    other branch is long gone does not count.
    """
    feasible = set(starts)
    todo = list(starts)
    while todo:
        current = todo.pop()
        for out in current.outputs:
            if out in feasible:
                continue
            if _and_join(out):
                got = arrived.get(out, set())
                if not all(i in feasible or i in got for i in out.inputs):
                    continue  # checked again when another of its branches gets there
            feasible.add(out)
            todo.append(out)
    out_pairs: set[tuple[str, str]] = set()
    for join in spec.task_specs.values():
        if not _and_join(join) or join in feasible and join not in arrived:
            continue
        got = arrived.get(join, set())
        touched = got or any(i in feasible for i in join.inputs)
        if touched:
            out_pairs.update((join.name, i.name) for i in join.inputs if i not in got and i not in feasible)
    return out_pairs


def _source_tokens(wf: Any, live: list[Any]) -> tuple[list[Any], dict[Any, set[Any]]]:
    """Where the instance's tokens are in its source version, and what arrived at its joins."""
    starts: list[Any] = []
    arrived: dict[Any, set[Any]] = {}
    for task in live:
        starts.append(task.task_spec)
        if isinstance(task.task_spec, UnstructuredJoin) and task.state == TaskState.WAITING:
            arrived[task.task_spec] = {t.parent.task_spec for t in _arrivals(wf, task.task_spec)}
    return starts, arrived


def _source_task(group: _Group) -> Any:
    return group.holder if group.kind == "gateway" else group.tasks[0]


# -- the whole instance ----------------------------------------------------------------------------
@dataclass
class _Analysis:
    #: per workflow (None: the top one, else the subprocess id): (alignment, target spec, rebuild or None)
    moves: dict[Any, tuple[dict[Any, Any], Any, _Rebuild | None]]
    unmapped: list[Unmapped]


def _scopes(target: Bundle) -> dict[str, str]:
    """Element id -> the process or sub-process of the target version it belongs to."""
    out: dict[str, str] = {}
    for spec in _all_specs(target):
        for ts in spec.task_specs.values():
            element = getattr(ts, "bpmn_id", None)
            if element:
                out.setdefault(element, spec.name)
    return out


def _analyse(workflow: Any, target: Bundle, plan: MigrationPlan) -> _Analysis:
    unmapped: list[Unmapped] = []
    moves: dict[Any, tuple[dict[Any, Any], Any, _Rebuild | None]] = {}
    scope_of = _scopes(target)

    def check(wf: Any, key: Any, new_spec: Any | None) -> None:
        process_id = wf.spec.name
        if new_spec is None:
            for task in [t for t in wf.tasks.values() if t.state & _LIVE][:1]:
                unmapped.append(
                    Unmapped(
                        _element(task.task_spec),
                        process_id,
                        _state(task),
                        f"the target version has no process '{_target_name(process_id, plan.mappings)}'",
                    )
                )
            return
        alignment = _align(wf.spec, new_spec, plan.mappings)
        if not _structural(alignment, new_spec):
            moves[key] = (alignment, new_spec, None)
            return
        rebuild, problems = _plan_rebuild(wf, new_spec, alignment, plan, scope_of)
        unmapped.extend(problems)
        moves[key] = (alignment, new_spec, rebuild)

    check(workflow, None, target.top.spec)
    for sp_id, sp in workflow.subprocesses.items():
        if sp.is_completed():
            continue
        check(sp, sp_id, target.subprocess_specs.get(_target_name(sp.spec.name, plan.mappings)))
    # one entry per element, state and reason is enough to say what the plan must cover
    seen: dict[tuple[str, str, str, str], Unmapped] = {}
    for item in unmapped:
        seen.setdefault((item.process_id, item.element_id, item.state, item.reason), item)
    return _Analysis(moves, list(seen.values()))


def check_instance(runtime: Runtime, state: Mapping[str, Any], plan: MigrationPlan) -> list[Unmapped]:
    """What of this instance cannot be mapped to the target version (empty: it can move)."""
    workflow, _bundle, _key = runtime._load(state)
    target = target_bundle(runtime, state, plan)
    return _analyse(workflow, target, plan).unmapped


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


# -- moving ----------------------------------------------------------------------------------------
def _relink(wf: Any, alignment: Mapping[Any, Any], spec: Any, plan: MigrationPlan) -> None:
    """Same flow: every task takes its counterpart; only the timers the plan names are reset."""
    wf.spec = spec
    for task in wf.tasks.values():
        aligned = alignment.get(task.task_spec)
        if aligned is not None:
            task.task_spec = aligned
    for task in list(wf.tasks.values()):
        element = getattr(task.task_spec, "bpmn_id", None)
        if task.id in wf.tasks and task.state == TaskState.WAITING and element in plan.recompute_timers:
            task.reset_branch(None)


def _copy(wf: Any, parent: Any, spec: Any, old: Any, state: int | None = None) -> Any:
    task = Task(wf, spec, parent, state=old.state if state is None else state, id=old.id)
    task.data = old.data
    task.internal_data = old.internal_data
    task.last_state_change = old.last_state_change
    task.triggered = old.triggered
    task.thread_id = old.thread_id
    return task


def _fresh(wf: Any, parent: Any, spec: Any) -> Any:
    """A task the target version adds (a boundary event) or the plan recomputes: it starts waiting now."""
    task = Task(wf, spec, parent, state=TaskState.FUTURE)
    task.thread_id = parent.thread_id
    spec._update(task)
    return task


def _rebuild(wf: Any, rebuild: _Rebuild, plan: MigrationPlan) -> None:
    """Replace the tree of ``wf`` by one on the target spec holding what is still running."""
    spec = rebuild.spec
    old_root = wf.task_tree
    last = wf.last_task
    if last is not None:
        wf.data.update(last.data)  # the variables the instance's latest step left
    wf.spec = spec
    wf.tasks = {}
    root = _copy(wf, None, spec.task_specs[old_root.task_spec.name], old_root)
    wf.task_tree = root
    wf.last_task = None
    recompute = plan.recompute_timers
    live: list[Any] = []

    def keep_or_fresh(parent: Any, new: Any, old: Any | None) -> Any:
        if old is not None and old.state == TaskState.COMPLETED:
            return Task(wf, new, parent, state=TaskState.COMPLETED, id=old.id)
        if old is None or getattr(new, "bpmn_id", None) in recompute:
            task = _fresh(wf, parent, new)
        else:
            task = _copy(wf, parent, new, old)
        live.append(task)
        return task

    stubs: dict[Any, Any] = {old_root.id: root}

    def stub(old: Any, spec_hint: Any = None) -> Any:
        """The task a group hangs from: what it came from, done (its data is what the group's tasks
        inherit again when the library updates them)."""
        made = stubs.get(old.id)
        if made is None:
            new = spec_hint or rebuild.alignment.get(old.task_spec) or root.task_spec
            made = stubs[old.id] = Task(wf, new, root, state=TaskState.COMPLETED, id=old.id)
            made.data = old.data
            made.internal_data = old.internal_data
            made.last_state_change = old.last_state_change
        return made

    for group in rebuild.groups:
        if group.kind == "activity":
            (old,) = group.tasks
            split = _boundary_split(spec, group.target)
            under = stub(group.parent)
            if split is None:
                if old.state == TaskState.WAITING:
                    keep_or_fresh(under, group.target, old)
                else:
                    live.append(_copy(wf, under, group.target, old))
                continue
            if group.holder is not None:
                holder = _copy(wf, under, split, group.holder)
            else:
                holder = Task(wf, split, under, state=TaskState.COMPLETED)
                holder.data = copy.deepcopy(old.data)
                holder.last_state_change = old.last_state_change
            for output in split.outputs:
                if output is group.target:
                    if old.state == TaskState.WAITING:
                        keep_or_fresh(holder, output, old)
                    else:
                        live.append(_copy(wf, holder, output, old))
                else:
                    keep_or_fresh(holder, output, group.attached.get(output))
        elif group.kind == "gateway":
            holder = _copy(wf, stub(group.parent), group.target, group.holder)
            for output in group.target.outputs:
                keep_or_fresh(holder, output, group.attached.get(output))
        else:
            target = group.target
            for old, source in zip(group.tasks, group.sources, strict=True):
                came_from = next(
                    (
                        i
                        for i in target.inputs
                        if i.name == _target_name(source.task_spec.name, plan.mappings)
                    ),
                    target.inputs[0],
                )
                _copy(wf, stub(source, came_from), target, old)
    # a live task's future, predicted from the target version as the library predicts it: what
    # follows a task will follow it; what follows an event attached to it (or offered by an
    # event-based gateway) may
    for task in live:
        if task.id not in wf.tasks or not task.state & _LIVE:
            continue
        parent_spec = task.parent.task_spec if task.parent is not None else None
        attached = isinstance(task.task_spec, BoundaryEvent) or isinstance(
            parent_spec, EventBasedGateway | StartEventSplit
        )
        state = task.state
        task._state = TaskState.MAYBE if attached else TaskState.FUTURE
        task.task_spec._predict(task, mask=TaskState.FUTURE | TaskState.PREDICTED_MASK)
        task._state = state


def _drop_orphans(workflow: Any) -> None:
    """Sub-process states whose task is no longer in any tree (finished before the move)."""
    while True:
        ids = set(workflow.tasks)
        for sp in workflow.subprocesses.values():
            ids.update(sp.tasks)
        orphans = [sp_id for sp_id in workflow.subprocesses if sp_id not in ids]
        if not orphans:
            return
        for sp_id in orphans:
            del workflow.subprocesses[sp_id]


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
    analysis = _analyse(workflow, target, plan)
    if analysis.unmapped:
        raise MigrationPlanError([u.message() for u in analysis.unmapped])
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
        for key, (alignment, spec, rebuild) in analysis.moves.items():
            wf = workflow if key is None else workflow.subprocesses[key]
            if rebuild is not None:
                _rebuild(wf, rebuild, plan)
                continue
            _relink(wf, alignment, spec, plan)
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
        workflow.subprocess_specs = dict(target.subprocess_specs)
        _drop_orphans(workflow)
        # Restored from its own state, the instance is exactly what the next step will load.
        workflow = serialization.restore(
            serialization.dump(workflow), target.top.spec, dict(target.subprocess_specs)
        )
        workflow.script_engine = runtime.script_engine
        step = _Step(runtime, workflow, target, actor)
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

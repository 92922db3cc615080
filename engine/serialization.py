"""Instance state without the spec: specs live once per version in the library, not in every instance."""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from types import ModuleType
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnSubWorkflowConverter, BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
from SpiffWorkflow.util.task import TaskState

_restoring: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar("restoring", default=None)


class LeanWorkflowConverter(BpmnWorkflowConverter):
    """Writes a workflow without its specs and restores it with the specs of the running bundle."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        specs = _restoring.get()
        if specs is None:
            raise RuntimeError("restore a workflow through engine.serialization.restore")
        spec, subprocess_specs = specs
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class CalledWorkflowConverter(BpmnSubWorkflowConverter):
    """A process called by a call activity that chose it when it started runs on the spec it named."""

    def from_dict(self, dct: dict[str, Any], task: Any, top_workflow: Any) -> Any:
        if getattr(task.task_spec, "dynamic_call", None) is None or dct.get("spec") not in (
            top_workflow.subprocess_specs
        ):
            return super().from_dict(dct, task, top_workflow)
        spec = top_workflow.subprocess_specs[dct["spec"]]
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        subprocess.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=subprocess)
        subprocess.task_tree = subprocess.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        return subprocess


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(DEFAULT_CONFIG)
    config[BpmnWorkflow] = LeanWorkflowConverter
    config[BpmnSubWorkflow] = CalledWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


SERIALIZER = _make_serializer()


#: Marks a (sub-)workflow whose tasks are written in the compact form below.
COMPACT = "compact"
#: The library's task keys and the short ones the compact form writes them under.
_SHORT = {
    "children": "c",
    "last_state_change": "l",
    "state": "s",
    "task_spec": "t",
    "triggered": "g",
    "internal_data": "i",
    "data": "d",
}
_LONG = {v: k for k, v in _SHORT.items()}


def _compact_tasks(tasks: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The library's task dicts without what restore can tell by itself.

    Left out: the id (the key of the mapping), the parent (the task whose children list it), the type
    name of a plain task, and every empty or false field. A task's data stay a delta to its parent's.
    """
    parent_of = {child: key for key, task in tasks.items() for child in task["children"]}
    out = {}
    for key, task in tasks.items():
        short: dict[str, Any] = {"s": task["state"], "t": task["task_spec"], "l": task["last_state_change"]}
        if task["children"]:
            short["c"] = task["children"]
        if task["parent"] != parent_of.get(key):
            short["p"] = task["parent"]
        if task["triggered"]:
            short["g"] = True
        if task["internal_data"]:
            short["i"] = task["internal_data"]
        if task["data"]:
            short["d"] = task["data"]
        delta = task.get("delta") or {}
        if delta.get("updates"):
            short["u"] = delta["updates"]
        if delta.get("deletions"):
            short["x"] = sorted(delta["deletions"])  # a set: one order for a kept and a restored workflow
        if task.get("typename", "Task") != "Task":
            short["typename"] = task["typename"]
        out[key] = short
    return out


def _expand_tasks(tasks: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    parent_of = {child: key for key, task in tasks.items() for child in task.get("c", ())}
    out = {}
    for key, short in tasks.items():
        parent = short.get("p", parent_of.get(key))
        out[key] = {
            "id": key,
            "parent": parent,
            "children": short.get("c", []),
            "last_state_change": short["l"],
            "state": short["s"],
            "task_spec": short["t"],
            "triggered": short.get("g", False),
            "internal_data": short.get("i", {}),
            "data": short.get("d", {}),
            # the library restores a task with a parent from its delta (even an empty one)
            "delta": {"updates": short.get("u", {}), "deletions": short.get("x", [])} if parent else {},
            "typename": short.get("typename", "Task"),
        }
    return out


def _compact(dct: dict[str, Any]) -> dict[str, Any]:
    dct["tasks"] = _compact_tasks(dct["tasks"])
    dct[COMPACT] = 1
    return dct


def dump(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The JSON-ready state of a workflow, without specs, its tasks in the compact form.

    The workflow's sub-workflows are put in the order :func:`restore` gives them (tree order), so
    that a workflow that goes on after its dump iterates exactly as its restored copy would.
    """
    _restore_order(workflow)
    registry = SERIALIZER.registry
    dct = _workflow_dict(workflow, registry)
    dct["subprocesses"] = {
        str(k): _subworkflow_dict(sub, registry) for k, sub in workflow.subprocesses.items()
    }
    dct["bpmn_events"] = registry.convert(workflow.bpmn_events)
    dct["typename"] = registry.typenames[workflow.__class__]
    dct[COMPACT] = 1
    return dct


def dump_by_library(workflow: BpmnWorkflow) -> dict[str, Any]:
    """What :func:`dump` writes, made the long way: the library's dict, then compacted."""
    dct: dict[str, Any] = SERIALIZER.to_dict(workflow)
    _compact(dct)
    for sub in dct.get("subprocesses", {}).values():
        _compact(sub)
    return dct


def _workflow_dict(workflow: Any, registry: Any) -> dict[str, Any]:
    """The library's ``WorkflowConverter.to_dict``, its tasks written straight in the compact form."""
    return {
        "data": convert(registry.clean(workflow.data), registry),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": _compact_task_dicts(workflow.tasks, registry),
        "root": str(workflow.task_tree.id),
    }


def _subworkflow_dict(sub: Any, registry: Any) -> dict[str, Any]:
    dct = _workflow_dict(sub, registry)
    dct["parent_task_id"] = str(sub.parent_task_id)
    dct["spec"] = sub.spec.name
    dct["typename"] = registry.typenames[sub.__class__]
    dct[COMPACT] = 1
    return dct


#: The attribute of a finished task that holds what :func:`_compact_task_dicts` last wrote of it.
_MEMO = "_compact_memo"
_DONE = TaskState.COMPLETED | TaskState.CANCELLED
_ABSENT = object()


def _compact_task_dicts(tasks: Mapping[Any, Any], registry: Any) -> dict[str, dict[str, Any]]:
    """``_compact_tasks`` of the library's task dicts (``TaskConverter.to_dict``), without making them.

    A finished task under a finished parent (or under none) no longer changes its data, nor does its
    parent: what was written of it is kept on the task while the workflow lives
    (``storage.workflow_cache`` keeps it between steps) and written again as it is. It is worked out
    anew when anything it is made of moved: its parent (pruning moves the first kept task under the
    root), its children, its state or state-change time (a reset), its internal data dict.
    """
    parent_of = {child: key for key, task in tasks.items() for child in task._children}
    out = {}
    for key, task in tasks.items():
        parent_id = task._parent
        parent = tasks.get(parent_id) if parent_id is not None else None
        written_under = parent_of.get(key)
        if parent is None:
            # the library writes no parent it cannot find
            p: Any = None if written_under is not None else _ABSENT
        elif written_under is parent_id or written_under == parent_id:
            p = _ABSENT
        else:
            p = str(parent_id)
        state = task.state
        internal = task.internal_data
        memo = getattr(task, _MEMO, None)
        if (
            memo is not None
            and memo[0] is parent
            and memo[1] is internal
            and memo[2] == state
            and memo[3] == task.last_state_change
            and memo[4] == task._children
            and memo[5] is task.triggered
            and memo[6] is p
        ):
            out[memo[7]] = memo[8]
            continue
        short: dict[str, Any] = {"s": state, "t": task.task_spec.name, "l": task.last_state_change}
        if task._children:
            short["c"] = [str(child) for child in task._children]
        if p is not _ABSENT:
            short["p"] = p
        if parent is None:
            if task.data:
                short["d"] = task.data
        else:
            a, b = parent.data, task.data
            updates = {k: b[k] for k in b if k not in a or b[k] != a[k]}
            if updates:
                short["u"] = updates
            deletions = sorted(k for k in a if k not in b)
            if deletions:
                short["x"] = deletions
        if task.triggered:
            short["g"] = True
        if internal:
            short["i"] = convert(internal, registry)
        skey = str(key)
        out[skey] = short
        if state & _DONE and (parent is None or parent.state & _DONE) and (p is _ABSENT or p is None):
            memo = (parent, internal, state, task.last_state_change, list(task._children))
            setattr(task, _MEMO, (*memo, task.triggered, p, skey, short))
        elif memo is not None:
            delattr(task, _MEMO)
    return out


_PLAIN = frozenset({str, int, float, bool, type(None)})


def convert(obj: Any, registry: Any) -> Any:
    """``registry.convert(obj)`` (the library's to-dict conversion of task and workflow data), faster.

    The same result: registered types (UUID, datetime, timedelta, the library's classes) go through
    their converters, dicts lose their callables and modules, lists, tuples and sets are copied; a
    plain value (text, number, boolean, null) is returned as it is without looking it up.
    """
    if registry._encoder_mode:
        return registry.convert(obj)
    return _convert(obj, registry.typenames, registry.convert_to_dict)


def _convert(obj: Any, typenames: Mapping[Any, str], to_dict: Mapping[Any, Any]) -> Any:
    cls = obj.__class__
    if cls in _PLAIN:
        return obj
    if isinstance(obj, dict):
        return {
            k: _convert(v, typenames, to_dict)
            for k, v in obj.items()
            if not callable(v) and not isinstance(v, ModuleType)
        }
    typename = typenames.get(cls)
    if typename in to_dict:
        return to_dict[typename](obj)
    if isinstance(obj, list | tuple | set):
        return cls([_convert(item, typenames, to_dict) for item in obj])
    return obj


def _restore_order(workflow: BpmnWorkflow) -> None:
    subprocesses = workflow.subprocesses
    if len(subprocesses) < 2:
        return
    order: dict[Any, Any] = {}

    def visit(wf: Any) -> None:
        for task in wf.tasks.values():
            sub = subprocesses.get(task.id)
            if sub is not None and task.id not in order and isinstance(task.task_spec, SubWorkflowTask):
                order[task.id] = sub
                visit(sub)

    visit(workflow)
    if list(order) != list(subprocesses):
        for key, sub in list(subprocesses.items()):
            order.setdefault(key, sub)
        subprocesses.clear()
        subprocesses.update(order)


def _expanded(dct: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(dct)
    if out.pop(COMPACT, None):
        out["tasks"] = _expand_tasks(out["tasks"])
    return out


def restore(state: dict[str, Any], spec: Any, subprocess_specs: Any) -> BpmnWorkflow:
    """Rebuild a workflow from :func:`dump` output and the specs it runs on."""
    # The library pops keys while restoring: copy every dict it pops from, so a state can be reused.
    top = _expanded(state)
    top["subprocesses"] = {k: _expanded(v) for k, v in state.get("subprocesses", {}).items()}
    token = _restoring.set((spec, subprocess_specs))
    try:
        return SERIALIZER.from_dict(top)  # type: ignore[no-any-return]
    finally:
        _restoring.reset(token)


class LiveState(dict[str, Any]):
    """A stored state handed to a step together with the workflow it was dumped from.

    The workflow is still the object the previous step left behind in this process (see
    ``storage.workflow_cache``); the step runs on it instead of restoring the state. The step owns
    it: nothing else may use it afterwards.
    """

    def __init__(self, state: Mapping[str, Any], workflow: BpmnWorkflow) -> None:
        super().__init__(state)
        self.workflow = workflow


def live_workflow(state: Mapping[str, Any], spec: Any, subprocess_specs: Mapping[str, Any]) -> Any:
    """The workflow a :class:`LiveState` carries when it runs on these very specs; else None."""
    workflow = getattr(state, "workflow", None) if isinstance(state, LiveState) else None
    if workflow is None or workflow.spec is not spec:
        return None
    held = workflow.subprocess_specs
    if any(held.get(name) is not sub for name, sub in subprocess_specs.items()):
        return None
    return workflow

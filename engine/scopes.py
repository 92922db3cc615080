"""Camunda 7's variable scopes on top of SpiffWorkflow 3.2's per-task data (installed once).

Camunda keeps ONE set of variables per process instance: a variable set anywhere in it (any
parallel branch, an embedded or event sub-process, a multi-instance instance, a completed form) is
seen at once everywhere in it. ``setVariable`` sets the variable in the innermost scope that has it
as a local variable (input parameters of an activity, multi-instance loop variables and element
variable), else in the process instance. A called process is its own process instance with its own
variables: only ``camunda:in``/``camunda:out`` pass them over.

SpiffWorkflow instead copies a data dictionary from task to task: each parallel branch works on the
copy it took at the fork, a form in branch B never sees what branch A set, and a join merges the
copies, so a branch that finished last puts back the values it took at the fork.

Here the process instance's variables live in one store, ``data["_vars"]`` of the workflow that is
the process instance (the top workflow, or the sub-workflow of a call activity):

* a task that completes writes what it changed (its data against the store, without the names
  local to it or to a scope around it) into the store, and every open task of the instance gets the
  new values at once (a form shows them, a waiting event evaluates its name with them);
* a task that takes its parent's data (a new step, a join after its branches) gets the store's
  values over it, so a stale copy never comes back;
* the instance's variables (``Runtime._variables``) are the store.

``camunda:out variables="all"`` copies what the called instance set; a variable it received under
the same name and never changed keeps the caller's newer value (Camunda would copy the value it
received back over a value another branch set meanwhile).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.util.task import TaskState

from engine.multi_instance import LOOP_VARIABLES

__all__ = [
    "VARS",
    "called_instances",
    "child_outputs_source",
    "ensure_store",
    "install",
    "received",
    "remove_variable",
    "root_of",
    "set_variables",
    "start_called",
    "variables_of",
]

VARS = "_vars"  # key in a process instance's workflow data: its variables
_WRITTEN = "_written"  # in a called instance's data: names its own tasks set
_RECEIVED = "_received"  # in a called instance's data: names it received under the same name
_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_MISSING = object()


def _copied(value: Any) -> Any:
    return deepcopy(value) if isinstance(value, dict | list | set) else value


def _holder(workflow: Any) -> Any:
    """The task (call activity, sub-process) that holds a sub-workflow; None for the top workflow."""
    task_id = getattr(workflow, "parent_task_id", None)
    if task_id is None:
        return None
    top = workflow.top_workflow
    if task_id in top.tasks:
        return top.tasks[task_id]
    for sub in top.subprocesses.values():
        if task_id in sub.tasks:
            return sub.tasks[task_id]
    return None


def _is_call(task: Any) -> bool:
    """A call activity (its called process is an instance of its own), not an embedded sub-process.

    The parser gives both the library's CallActivity class; only call activities get ``camunda_in``.
    """
    return getattr(task.task_spec, "camunda_in", None) is not None


def root_of(workflow: Any) -> Any:
    """The workflow that is the process instance ``workflow`` runs in (a call activity starts one)."""
    while True:
        holder = _holder(workflow)
        if holder is None or _is_call(holder):
            return workflow
        workflow = holder.workflow


def ensure_store(workflow: Any) -> dict[str, Any]:
    store = workflow.data.get(VARS)
    if store is None:
        store = workflow.data[VARS] = {}
    return store  # type: ignore[no-any-return]


def variables_of(workflow: Any) -> dict[str, Any]:
    """The variables of the process instance ``workflow`` is (its root): the store itself."""
    return ensure_store(root_of(workflow))


def open_locals(root: Any) -> dict[str, Any]:
    """The input-parameter variables of the instance's open activities, latest opened last."""
    found: dict[str, Any] = {}
    tasks = [
        task
        for workflow in _workflows_of(root)
        for task in workflow.tasks.values()
        if task.state & _OPEN and task.internal_data.get("camundaIo")
    ]
    for task in sorted(tasks, key=lambda t: t.last_state_change):
        for name in task.internal_data["camundaIo"].get("locals") or ():
            if name in task.data:
                found[name] = task.data[name]
    return found


def _own_locals(task: Any) -> set[str]:
    """Names local to the scope of ``task`` itself (Camunda's local variables of its execution)."""
    names: set[str] = set()
    io = task.internal_data.get("camundaIo")
    if io:
        names.update(io.get("locals") or ())
    call = task.internal_data.get("camundaLocals")
    if call:
        names.update(call)
    for spec in (task.task_spec, getattr(task.parent, "task_spec", None)):
        if isinstance(spec, MultiInstanceTask):
            names.update(LOOP_VARIABLES)
            for item in (spec.input_item, spec.output_item):
                if item is not None:
                    names.add(item.bpmn_id)
    return names


def local_names(task: Any) -> set[str]:
    """Names that are local in ``task``'s scope or in a scope around it, inside its process instance."""
    names = _own_locals(task)
    workflow = task.workflow
    while True:
        holder = _holder(workflow)
        if holder is None or _is_call(holder):
            return names
        names |= _own_locals(holder)
        workflow = holder.workflow


def _workflows_of(root: Any) -> list[Any]:
    top = getattr(root, "top_workflow", root)
    found = [root]
    for sub in getattr(top, "subprocesses", {}).values():
        if sub is not root and root_of(sub) is root:
            found.append(sub)
    return found


def _push(root: Any, changes: Mapping[str, Any], skip: Any = None) -> None:
    """Give every open task of the instance the new values (not where a local variable hides them)."""
    for workflow in _workflows_of(root):
        for task in workflow.tasks.values():
            if task is skip or not task.state & _OPEN:
                continue
            hidden = local_names(task)
            for name, value in changes.items():
                if name not in hidden:
                    task.data[name] = _copied(value)


def _record(root: Any, changes: Mapping[str, Any]) -> None:
    store = ensure_store(root)
    for name, value in changes.items():
        store[name] = _copied(value)
    if root.data.get(_WRITTEN) is not None:
        written = set(root.data[_WRITTEN])
        written.update(changes)
        root.data[_WRITTEN] = sorted(written)


def set_variables(task: Any, values: Mapping[str, Any]) -> None:
    """Camunda's ``setVariables`` from ``task``: into the process instance's store, seen everywhere."""
    hidden = local_names(task)
    changes = {k: v for k, v in values.items() if k not in hidden and not k.startswith("_")}
    if not changes:
        return
    root = root_of(task.workflow)
    _record(root, changes)
    _push(root, changes)


def remove_variable(task: Any, name: str) -> None:
    """Camunda's ``removeVariable`` from ``task``: gone from the process instance and its open tasks."""
    if name in local_names(task):
        return
    root = root_of(task.workflow)
    ensure_store(root).pop(name, None)
    for workflow in _workflows_of(root):
        for other in workflow.tasks.values():
            if other.state & _OPEN and name not in local_names(other):
                other.data.pop(name, None)


def _write_back(task: Any, hidden: Iterable[str]) -> None:
    """What a completing task changed, against the store, goes to the store and every open task."""
    root = root_of(task.workflow)
    store = ensure_store(root)
    hidden = set(hidden)
    changes = {
        name: value
        for name, value in task.data.items()
        if name not in hidden and not name.startswith("_") and store.get(name, _MISSING) != value
    }
    if not changes:
        return
    _record(root, changes)
    _push(root, changes, skip=task)


def overlay(task: Any) -> None:
    """Bring a task's data up to date with its process instance's store."""
    root = root_of(task.workflow)
    store = root.data.get(VARS)
    if not store:
        return
    hidden = local_names(task)
    data = task.data
    for name, value in store.items():
        if name not in hidden and data.get(name, _MISSING) != value:
            data[name] = _copied(value)


def start_called(subworkflow: Any, values: Mapping[str, Any], passed: Iterable[str]) -> None:
    """A called instance starts with ``values`` (its ``camunda:in``); ``passed`` kept their names."""
    subworkflow.data[VARS] = {k: _copied(v) for k, v in values.items() if not k.startswith("_")}
    subworkflow.data[_WRITTEN] = []
    subworkflow.data[_RECEIVED] = sorted(set(passed) & set(values))


def received(subworkflow: Any) -> set[str]:
    return set(subworkflow.data.get(_RECEIVED) or ())


def child_outputs_source(subworkflow: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(every variable of a called instance, those ``variables="all"`` passes back)."""
    store = dict(subworkflow.data.get(VARS) or {})
    if subworkflow.data.get(_WRITTEN) is None:  # a state from before the store: everything
        last = subworkflow.last_task.data if subworkflow.last_task is not None else {}
        merged = {**last, **store}
        return merged, merged
    written = set(subworkflow.data.get(_WRITTEN) or ())
    passed = received(subworkflow)
    return store, {k: v for k, v in store.items() if k in written or k not in passed}


def seed_legacy(workflow: Any, variables_for: Any) -> None:
    """A state stored before the store existed: every process instance in it gets its store now."""
    if VARS not in workflow.data:
        workflow.data[VARS] = {k: v for k, v in variables_for(workflow).items() if not k.startswith("_")}
    for sub in workflow.subprocesses.values():
        if VARS in sub.data:
            continue
        holder = _holder(sub)
        if holder is not None and _is_call(holder):
            sub.data[VARS] = {k: v for k, v in variables_for(sub).items() if not k.startswith("_")}


def called_instances(workflow: Any) -> list[dict[str, Any]]:
    """The running called instances of ``workflow``: Camunda's sub process instances, outermost first.

    Each: ``id`` (its call activity's task id), ``processKey``, ``elementId`` (the call activity),
    ``superInstanceId`` (the called instance it runs in, None for the instance itself) and its own
    ``variables``.
    """
    found = []
    for sub in getattr(workflow, "subprocesses", {}).values():
        holder = _holder(sub)
        if holder is None or not _is_call(holder) or sub.is_completed():
            continue
        if not holder.state & _OPEN:
            continue
        outer = root_of(holder.workflow)
        found.append(
            {
                "id": str(holder.id),
                "processKey": str(sub.spec.name),
                "elementId": holder.task_spec.bpmn_id,
                "superInstanceId": None if outer is workflow else str(outer.parent_task_id),
                "variables": dict(variables_of(sub)),
                "depth": sub.depth,
            }
        )
    found.sort(key=lambda c: (c["depth"], c["elementId"], c["id"]))
    for item in found:
        del item["depth"]
    return found


# -- the library's hooks ----------------------------------------------------------------------------
def _inherit_data(original: Any) -> Any:
    def inherit(self: Any) -> None:
        original(self)
        overlay(self)

    return inherit


def _on_complete(self: Any, my_task: Any) -> None:
    """The library's ``TaskSpec._on_complete`` with the write-back between the hook and the children."""
    hidden = local_names(my_task)
    self._on_complete_hook(my_task)
    if isinstance(self, MultiInstanceTask):
        # its instances wrote what they set when each completed; its data merges their copies
        data_output = getattr(self, "data_output", None)
        if data_output is not None and data_output.bpmn_id in my_task.data:
            set_variables(my_task, {data_output.bpmn_id: my_task.data[data_output.bpmn_id]})
    else:
        outputs = {name for name, _ in (getattr(self, "camunda_io", None) or ((), ()))[1]}
        outputs |= {name for name, _ in getattr(self, "camunda_output_parameters", ())}
        _write_back(my_task, hidden - outputs)
    for child in my_task.children:
        if not child.has_state(TaskState.FINISHED_MASK):
            child.task_spec._update(child)
    my_task.workflow._task_completed_notify(my_task)


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from SpiffWorkflow.specs.base import TaskSpec
    from SpiffWorkflow.task import Task

    Task._inherit_data = _inherit_data(Task._inherit_data)  # type: ignore[method-assign]
    TaskSpec._on_complete = _on_complete  # type: ignore[method-assign]
    _installed = True

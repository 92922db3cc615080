"""The ``execution`` of a running task, for the expressions evaluated on its path.

The runtime binds an instance's identity (id, business key, process definition) to the workflow it
restores or starts (:func:`bind`); :func:`on_task` makes a task's :class:`Execution` what
``execution`` means in JUEL while an expression of that task is evaluated, and afterwards applies
what the expression set (``setVariable``, ``setVariableLocal``, ``removeVariable``) to the task's
data, with Camunda's scoping: a variable local to the task (an input parameter, or one set with
``setVariableLocal`` on a task with input/output parameters) stays local and ends with the task;
every other variable is the process's. A task without input/output parameters is no scope of its
own, as in Camunda: its local variables are its process instance's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from engine.expression.execution import REMOVED, Execution, executing

__all__ = ["Identity", "bind", "execution_for", "identity_of", "on_task"]

_ATTRIBUTE = "_camunda_identity"
_IO_STATE = "camundaIo"  # engine.io_mapping's internal_data key


@dataclass(frozen=True)
class Identity:
    """Who an instance is: what ``execution.id``/``processBusinessKey``/``processDefinitionId`` read."""

    instance_id: str | None
    business_key: str | None
    definition_id: str | None


def bind(workflow: Any, identity: Identity) -> None:
    """Give a restored or new workflow its instance's identity (kept in memory, never serialized)."""
    setattr(workflow, _ATTRIBUTE, identity)


def identity_of(workflow: Any) -> Identity | None:
    top = getattr(workflow, "top_workflow", workflow)
    found = getattr(top, _ATTRIBUTE, None)
    return found if isinstance(found, Identity) else None


def execution_for(
    task: Any, variables: Mapping[str, Any] | None = None, *, read_only: bool = False
) -> Execution:
    """The execution of ``task``; ``variables`` (default: the task's data) are what it reads."""
    identity = identity_of(getattr(task, "workflow", None)) or Identity(None, None, None)
    spec = getattr(task, "task_spec", None)
    internal = getattr(task, "internal_data", None)
    state = internal.get(_IO_STATE) if isinstance(internal, dict) else None
    return Execution(
        instance_id=identity.instance_id,
        business_key=identity.business_key,
        activity_id=getattr(spec, "bpmn_id", None),
        activity_name=getattr(spec, "bpmn_name", None),
        definition_id=identity.definition_id,
        variables=getattr(task, "data", {}) if variables is None else variables,
        local_names=frozenset(state["locals"]) if state else None,
        read_only=read_only,
    )


@contextlib.contextmanager
def on_task(
    task: Any, variables: Mapping[str, Any] | None = None, *, read_only: bool = False
) -> Iterator[Execution]:
    """Evaluate the enclosed expressions as ``task``'s; apply what they set when the block succeeds."""
    execution = execution_for(task, variables, read_only=read_only)
    with executing(execution):
        yield execution
    if execution.writes:
        apply_writes(task, execution)


def apply_writes(task: Any, execution: Execution) -> None:
    """Set (or remove) on ``task`` what ``execution`` recorded, with Camunda's scoping."""
    from engine import scopes
    from engine.spiff_support import _plain_value

    state = task.internal_data.get(_IO_STATE)
    for name, raw in execution.writes.items():
        if raw is REMOVED:
            local = bool(state and name in state["locals"])
            if state and local:
                del state["locals"][name]
                if name in state["hidden"]:
                    task.data[name] = deepcopy(state["hidden"].pop(name))
                    continue
            task.data.pop(name, None)
            if not local:
                scopes.remove_variable(task, name)
            continue
        value = _plain_value(raw)
        if state is not None and (name in state["locals"] or name in execution.local_writes):
            if name not in state["locals"] and name in task.data:
                state["hidden"][name] = deepcopy(task.data[name])
            state["locals"][name] = deepcopy(value)
        task.data[name] = value

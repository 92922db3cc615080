"""Multi-instance activities as Camunda 7 runs them (installed once into SpiffWorkflow 3.2).

* Every instance sees Camunda's loop variables: ``loopCounter`` (its index), ``nrOfInstances``,
  ``nrOfActiveInstances`` and ``nrOfCompletedInstances``; so do names, assignees and the
  ``completionCondition`` (evaluated with the current counts after each instance completes).
  The variables stay with the instances: they never become process variables.
* The number of instances is capped (:data:`MAX_INSTANCES`, 1,000 by default; the app sets it from
  ``INBURGERING_MAX_MULTI_INSTANCES``): a cardinality or collection above it fails the step with a
  message naming the activity (a 422 at start, or the step is refused), never minutes of CPU.

The standard BPMN form (``loopDataInputRef``/``inputDataItem``) and a ``camunda:collection`` written
as ``${list}`` are rewritten to Camunda's attributes by :mod:`engine.shapes` before the parse.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sized
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import (
    MultiInstanceTask,
    ParallelMultiInstanceTask,
    SequentialMultiInstanceTask,
)
from SpiffWorkflow.util.task import TaskState

__all__ = ["LOOP_VARIABLES", "MAX_INSTANCES", "install", "loop_variables", "max_instances"]

MAX_INSTANCES = 1000
"""Most instances one multi-instance activity may create, unless the step says otherwise."""

LOOP_VARIABLES = ("loopCounter", "nrOfInstances", "nrOfActiveInstances", "nrOfCompletedInstances")

_limit: contextvars.ContextVar[int] = contextvars.ContextVar("multi_instance_limit", default=MAX_INSTANCES)


@contextlib.contextmanager
def max_instances(limit: int) -> Iterator[None]:
    """Run the enclosed step with at most ``limit`` instances per multi-instance activity."""
    if limit < 1:
        raise ValueError("the multi-instance cap must be at least 1")
    token = _limit.set(limit)
    try:
        yield
    finally:
        _limit.reset(token)


def _total(spec: Any, my_task: Any) -> int | None:
    cardinality = my_task.internal_data.get("cardinality")
    if isinstance(cardinality, int):
        return cardinality
    if spec.data_input is not None and spec.data_input.exists(my_task):
        data = spec.data_input.get(my_task)
        return len(data) if isinstance(data, Sized) else None
    if spec.cardinality is not None:
        value = my_task.workflow.script_engine.evaluate(my_task, spec.cardinality)
        return value if isinstance(value, int) else (len(value) if isinstance(value, Sized) else None)
    return None


def _check_cap(spec: Any, my_task: Any) -> None:
    total = _total(spec, my_task)
    limit = _limit.get()
    if total is not None and total > limit:
        raise WorkflowTaskException(
            f"multi-instance activity '{spec.bpmn_id}' would create {total} instances; at most "
            f"{limit} are allowed",
            task=my_task,
        )


def _counts(spec: Any, my_task: Any) -> dict[str, int]:
    completed = len(my_task.internal_data.get("merged", []))
    total = _total(spec, my_task) or 0
    if isinstance(spec, SequentialMultiInstanceTask):
        active = 1 if completed < total else 0
    else:
        active = sum(1 for c in spec._instances(my_task) if not c.has_state(TaskState.FINISHED_MASK))
    return {"nrOfInstances": total, "nrOfActiveInstances": active, "nrOfCompletedInstances": completed}


def loop_variables(child: Any) -> dict[str, int] | None:
    """Camunda's loop variables for an instance of a multi-instance activity (None for other tasks).

    Available before the instance starts, so its input parameters can use them.
    """
    parent = child.parent
    spec = getattr(parent, "task_spec", None)
    if not isinstance(spec, MultiInstanceTask):
        return None
    if isinstance(spec, SequentialMultiInstanceTask):
        index = len(parent.internal_data.get("merged", []))
    else:
        key = child.internal_data.get("key_or_index")
        index = key if isinstance(key, int) else [c.id for c in spec._instances(parent)].index(child.id)
    return {"loopCounter": index, **_counts(spec, parent)}


def _create_child(original: Any) -> Any:
    def create_child(self: Any, my_task: Any, item: Any, key_or_index: Any = None) -> None:
        before = {c.id for c in my_task.children}
        original(self, my_task, item, key_or_index)
        for child in my_task.children:
            if child.id in before:
                continue
            instances = [c for c in self._instances(my_task) if c.id in before]
            if isinstance(self, SequentialMultiInstanceTask):
                index = len(my_task.internal_data.get("merged", []))
            else:
                index = key_or_index if isinstance(key_or_index, int) else len(instances)
            child.data["loopCounter"] = index
            child.data.update(_counts(self, my_task))

    return create_child


def _check_completion(original: Any) -> Any:
    def check_completion_condition(self: Any, my_task: Any) -> Any:
        merged = my_task.internal_data.get("merged", [])
        if merged and self.condition is not None:
            counts = _counts(self, my_task)
            for child in my_task.children:
                if str(child.id) == merged[-1]:
                    child.data.update(counts)
        return original(self, my_task)

    return check_completion_condition


def _merge_child(original: Any) -> Any:
    def merge_child(self: Any, workflow: Any, child: Any) -> None:
        original(self, workflow, child)
        my_task = child.parent
        for name in LOOP_VARIABLES:
            my_task.data.pop(name, None)

    return merge_child


def _check_collection(spec: Any, my_task: Any) -> None:
    reference = spec.data_input
    if reference is None or getattr(spec, "cardinality", None) is not None:
        return
    value = reference.get(my_task) if reference.exists(my_task) else None
    if not isinstance(value, list | tuple | dict):
        shown = "missing" if value is None else f"a {type(value).__name__}"
        raise WorkflowTaskException(
            f"multi-instance activity '{spec.bpmn_id}': collection '{reference.bpmn_id}' is {shown}, "
            "not a list",
            task=my_task,
        )


def _capped_children(original: Any) -> Any:
    def create_children(self: Any, my_task: Any) -> None:
        _check_collection(self, my_task)
        _check_cap(self, my_task)
        original(self, my_task)

    return create_children


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    MultiInstanceTask.create_child = _create_child(MultiInstanceTask.create_child)  # type: ignore[method-assign]
    MultiInstanceTask.check_completion_condition = _check_completion(  # type: ignore[method-assign]
        MultiInstanceTask.check_completion_condition
    )
    for cls in (SequentialMultiInstanceTask, ParallelMultiInstanceTask):
        cls.merge_child = _merge_child(cls.merge_child)  # type: ignore[method-assign]
    ParallelMultiInstanceTask.create_children = _capped_children(  # type: ignore[method-assign]
        ParallelMultiInstanceTask.create_children
    )
    SequentialMultiInstanceTask.add_next_child = _capped_children(  # type: ignore[method-assign]
        SequentialMultiInstanceTask.add_next_child
    )
    _installed = True

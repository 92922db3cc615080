"""Camunda 7's event semantics where SpiffWorkflow 3.2 behaves differently (installed once).

* An error or escalation catch event without a code catches every code.
* An error catch sets ``camunda:errorCodeVariable`` / ``errorMessageVariable`` (the thrown error's
  code and its evaluated ``camunda:errorMessage``).
* An event-based gateway lets exactly one event win: the first one seen. The library would take
  every branch whose event arrived before the gateway ran.
* A non-interrupting boundary event keeps its subscription while the activity runs, as Camunda
  does: every message (or signal, escalation, ...) starts one more path. The library fires it once.
* Error and escalation start events of event sub-processes wait for their error or escalation. The
  library's parser reads them as none start events, so the event sub-process ran at once, whenever its
  scope started.
* Paths already started by a non-interrupting boundary event (a message, or each cycle of an
  ``R/PT1H`` timer) go on when the activity ends or is interrupted; the library cancelled them
  together with the boundary event.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    CodeEventDefinition,
    ErrorEventDefinition,
    EscalationEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent, EventBasedGateway
from SpiffWorkflow.util.task import TaskState

__all__ = ["install"]


def _code_matches(self: Any, other: Any) -> bool:
    """An error or escalation catch without a code (or an empty one) catches every code, as in Camunda."""
    return self.__class__ is other.__class__ and (not self.code or self.code == other.code)


def _error_throw(self: Any, my_task: Any) -> None:
    """Throw an error with its (evaluated) ``camunda:errorMessage``, for the catch's variables."""
    from copy import deepcopy

    from SpiffWorkflow.bpmn.util import BpmnEvent

    payload = deepcopy(my_task.data)
    message = getattr(self, "error_message", None)
    if message:
        from engine import spiff_support

        message = spiff_support.message_name(_Named(message), my_task.data)
    event = BpmnEvent(self, payload=payload, target=my_task.workflow)
    event.error_message = message  # type: ignore[attr-defined]
    if not propagate(my_task, event, own_boundaries=False):
        my_task.workflow.top_workflow.catch(event)


def _escalation_throw(self: Any, my_task: Any) -> None:
    """Throw an escalation up the scopes, as Camunda does (see :func:`propagate`)."""
    from copy import deepcopy

    from SpiffWorkflow.bpmn.util import BpmnEvent

    event = BpmnEvent(self, payload=deepcopy(my_task.data), target=my_task.workflow)
    if not propagate(my_task, event, own_boundaries=False):
        my_task.workflow.top_workflow.catch(event)


def _catch_on_boundary(task: Any, event: Any) -> bool:
    """A waiting boundary event of the activity ``task`` belongs to (or is) that catches ``event``."""
    from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit

    node = task.parent
    while node is not None and node.workflow is task.workflow:
        if isinstance(node.task_spec, BoundaryEventSplit):
            for sibling in node.children:
                spec = sibling.task_spec
                if (
                    isinstance(spec, BoundaryEvent)
                    and sibling.state == TaskState.WAITING
                    and spec.event_definition.catches(sibling, event)
                ):
                    spec.catch(sibling, event)
                    spec._update(sibling)
                    return True
            return False
        node = node.parent
    return False


def _catch_in_event_subprocess(scope: Any, event: Any, skip: str | None = None) -> bool:
    """Start the event sub-process of ``scope`` whose start event catches ``event`` (never ``skip``)."""
    top = scope.top_workflow
    for spec_name in getattr(scope.spec.start, "trigger_specs", ()):
        if spec_name == skip:
            continue  # an event sub-process does not catch what it throws itself
        sub_spec = top.subprocess_specs.get(spec_name)
        for start in getattr(sub_spec, "bpmn_start_events", ()):
            if start.event_definition != event.event_definition:
                continue
            task = None
            for sub in top.subprocesses.values():
                if sub.parent_workflow is scope:
                    if getattr(start, "camunda_interrupting", False) and sub.spec.name == spec_name:
                        if not sub.is_completed():
                            return True  # the scope is being interrupted already: nothing else runs
                        continue
                    task = sub.get_next_task(state=TaskState.WAITING, spec_name=start.name)
                    if task is not None:
                        break
            if task is None:
                child_id = scope.spec.start.trigger_wf(scope.task_tree, spec_name)
                sub = top.subprocesses.get(child_id)
                task = sub.get_next_task(state=TaskState.WAITING, spec_name=start.name) if sub else None
            if task is None:
                continue
            task.task_spec.catch(task, event)
            task.task_spec._update(task)
            return True
    return False


def _leave_called_instance(holder: Any, event: Any) -> None:
    """Crossing a call activity outwards: its ``camunda:out`` mappings apply, as in Camunda."""
    from engine import scopes, spiff_support

    if not isinstance(event.payload, dict):
        return
    outputs = spiff_support.call_activity_outputs(holder, event.payload)
    if outputs is None:
        return
    holder.data.update(outputs)
    scopes.set_variables(holder, outputs)
    event.payload = {**holder.data}


def propagate(task: Any, event: Any, *, own_boundaries: bool) -> bool:
    """Deliver an error or escalation as Camunda does, from the thrower's scope outwards.

    At each scope: its event sub-processes first, then the boundary events of the activity that holds
    the scope (a sub-process or call activity), then the enclosing scope. With ``own_boundaries``,
    the throwing activity's own boundary events come first (an external task's BPMN error). The
    library looks for boundary events in the thrower's own scope and for event sub-processes of the
    top process only. False when nothing catches it.
    """
    if own_boundaries and _catch_on_boundary(task, event):
        return True
    scope = task.workflow
    came_from: str | None = None
    while scope is not None:
        if _catch_in_event_subprocess(scope, event, skip=came_from):
            return True
        came_from = scope.spec.name
        parent = scope.parent_workflow
        if parent is None:
            return False
        holder = parent.get_task_from_id(scope.parent_task_id) if scope.parent_task_id else None
        if holder is None:
            holder = scope.top_workflow.get_task_from_id(scope.parent_task_id)
        if holder is not None:
            _leave_called_instance(holder, event)
            if _catch_on_boundary(holder, event):
                return True
        scope = parent
    return False


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


def _error_catch(original: Any) -> Any:
    def catch(self: Any, my_task: Any, event: Any = None) -> None:
        original(self, my_task, event)
        if event is not None:
            my_task.internal_data["errorCaught"] = {
                "code": getattr(event.event_definition, "code", None),
                "message": getattr(event, "error_message", None),
            }

    return catch


def _error_update_task_data(original: Any) -> Any:
    def update_task_data(self: Any, my_task: Any) -> None:
        original(self, my_task)
        caught = my_task.internal_data.get("errorCaught") or {}
        if getattr(self, "code_variable", None):
            my_task.data[self.code_variable] = caught.get("code")
        if getattr(self, "message_variable", None):
            my_task.data[self.message_variable] = caught.get("message")

    return update_task_data


def _first_event_wins(original: Any) -> Any:
    def _run_hook(self: Any, my_task: Any) -> Any:
        seen = my_task.internal_data.get("seen_events", [])
        if len(seen) > 1:
            my_task.internal_data["seen_events"] = seen[:1]
        return original(self, my_task)

    return _run_hook


def _repeating_boundary_catch(original: Any) -> Any:
    def catch(self: Any, my_task: Any, event: Any) -> None:
        if self.cancel_activity or isinstance(self.event_definition, TimerEventDefinition):
            original(self, my_task, event)
            return
        # Non-interrupting: start one path per event and keep waiting for the next.
        from engine import scopes

        self.event_definition.catch(my_task, event)
        before = dict(my_task.data)
        self.event_definition.update_task_data(my_task)
        # what the event brings (payload, code variables) is the process instance's, as the event
        # itself never completes
        scopes.set_variables(
            my_task, {k: v for k, v in my_task.data.items() if k not in before or before[k] != v}
        )
        self.event_definition.reset(my_task)
        my_task.internal_data.pop("event_fired", None)
        my_task._set_state(TaskState.WAITING)
        for output in self.outputs:
            if isinstance(output, BoundaryEventJoin):
                continue
            child = my_task._add_child(output, TaskState.FUTURE)
            child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
            child.task_spec._update(child)

    return catch


def _keep_spawned_paths(original: Any) -> Any:
    def check(self: Any, my_task: Any) -> Any:
        finished, cancel = original(self, my_task)
        kept = []
        for task in cancel:
            spec = task.task_spec
            if (
                isinstance(spec, BoundaryEvent)
                and not spec.cancel_activity
                and task.state == TaskState.WAITING
                and any(not child.has_state(TaskState.PREDICTED_MASK) for child in task.children)
            ):
                # The subscription ends; the paths it started go on.
                task.workflow.top_workflow.event_manager.remove_task(task)
                for child in list(task.children):
                    if child.has_state(TaskState.PREDICTED_MASK):
                        task.workflow._remove_task(child.id)
                task._set_state(TaskState.COMPLETED)
                continue
            kept.append(task)
        return finished, kept

    return check


def _start_event_create_task(self: Any) -> Any:
    """``StartEventParser.create_task`` that also reads error and escalation start events."""
    from SpiffWorkflow.bpmn.parser import event_parsers as p

    event_definition = self.get_event_definition(
        [
            p.MESSAGE_EVENT_XPATH,
            p.SIGNAL_EVENT_XPATH,
            p.TIMER_EVENT_XPATH,
            p.CONDITIONAL_EVENT_XPATH,
            p.ERROR_EVENT_XPATH,
            p.ESCALATION_EVENT_XPATH,
        ]
    )
    task = self._create_task(event_definition)
    self.spec.start.connect(task)
    return task


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from SpiffWorkflow.bpmn.parser.event_parsers import StartEventParser

    StartEventParser.create_task = _start_event_create_task  # type: ignore[method-assign]
    CodeEventDefinition.__eq__ = _code_matches  # type: ignore[method-assign,assignment]
    ErrorEventDefinition.throw = _error_throw  # type: ignore[method-assign]
    EscalationEventDefinition.throw = _escalation_throw  # type: ignore[method-assign]
    EscalationEventDefinition.catch = _error_catch(EscalationEventDefinition.catch)  # type: ignore[method-assign]
    EscalationEventDefinition.update_task_data = _error_update_task_data(  # type: ignore[method-assign]
        EscalationEventDefinition.update_task_data
    )
    ErrorEventDefinition.catch = _error_catch(ErrorEventDefinition.catch)  # type: ignore[method-assign]
    ErrorEventDefinition.update_task_data = _error_update_task_data(  # type: ignore[method-assign]
        ErrorEventDefinition.update_task_data
    )
    EventBasedGateway._run_hook = _first_event_wins(EventBasedGateway._run_hook)  # type: ignore[method-assign]
    BoundaryEvent.catch = _repeating_boundary_catch(BoundaryEvent.catch)  # type: ignore[method-assign]
    BoundaryEventJoin._check_threshold_structured = _keep_spawned_paths(  # type: ignore[method-assign]
        BoundaryEventJoin._check_threshold_structured
    )
    _installed = True

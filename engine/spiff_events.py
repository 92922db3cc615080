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
    my_task.workflow.top_workflow.catch(event)


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
        self.event_definition.catch(my_task, event)
        self.event_definition.update_task_data(my_task)
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

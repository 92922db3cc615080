"""The few places where SpiffWorkflow 3.2 must be bent to run safely and on our clock.

* The library reads the wall clock inside its timer code. We swap the ``datetime`` name in that module
  for a subclass whose ``now()`` asks the clock of the step being run (a context variable), so tests
  and an operator's "fire now" need no sleeping and no patched system clock.
* Camunda message events put a correlated payload under ``<task>_Response``; a Camunda designer
  expects the message's variables in the process, so we merge a dict payload into the task data.
* A Camunda message throw without ``camunda:expression`` evaluates ``None``; we throw an empty payload.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.camunda.specs import event_definitions as _camunda_events

_current_now: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("engine_now", default=None)


def current_now() -> datetime:
    """The time of the step being run; outside a step, the wall clock."""
    now = _current_now.get()
    return now if now is not None else datetime.now(UTC)


@contextlib.contextmanager
def step_time(now: datetime) -> Iterator[None]:
    """Run the enclosed library calls as if the time were ``now``."""
    token = _current_now.set(now)
    try:
        yield
    finally:
        _current_now.reset(token)


class _ClockedDatetime(datetime):
    """``datetime`` whose ``now()`` is the step's time; everything else is unchanged."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _ClockedDatetime:  # type: ignore[override]
        value = current_now()
        value = value.astimezone(tz) if tz is not None else value.astimezone(UTC).replace(tzinfo=None)
        return cls.fromisoformat(value.isoformat())


def _merge_update_internal_data(self: Any, my_task: Any, event: Any) -> None:
    my_task.internal_data[self.name] = event.payload


def _merge_update_task_data(self: Any, my_task: Any) -> None:
    event_data = my_task.internal_data.get(self.name)
    if not isinstance(event_data, dict):
        return
    payload, result_var = event_data.get("payload"), event_data.get("result_var")
    if result_var:
        my_task.data[result_var] = payload
    elif isinstance(payload, dict):
        my_task.set_data(**payload)


def _throw_without_expression(self: Any, my_task: Any) -> None:
    payload: Any = {}
    if self.expression:
        payload = my_task.workflow.script_engine.evaluate(my_task, self.expression)
    event = BpmnEvent(self, payload={"payload": payload, "result_var": self.result_var})
    my_task.workflow.top_workflow.catch(event)


_installed = False


def install() -> None:
    """Apply the adjustments once per process (idempotent)."""
    global _installed
    if _installed:
        return
    _timer_module.datetime = _ClockedDatetime  # type: ignore[misc,assignment]
    cls = _camunda_events.MessageEventDefinition
    cls.update_internal_data = _merge_update_internal_data  # type: ignore[method-assign]
    cls.update_task_data = _merge_update_task_data  # type: ignore[method-assign]
    cls.throw = _throw_without_expression  # type: ignore[method-assign]
    _installed = True

"""The few places where SpiffWorkflow 3.2 must be bent to run safely and on our clock.

* The library reads the wall clock inside its timer code. We swap the ``datetime`` name in that module
  for a subclass whose ``now()`` asks the clock of the step being run (a context variable), so tests
  and an operator's "fire now" need no sleeping and no patched system clock.
* Camunda message events put a correlated payload under ``<task>_Response``; a Camunda designer
  expects the message's variables in the process, so we merge a dict payload into the task data.
* A Camunda message throw without ``camunda:expression`` evaluates ``None``; we throw an empty payload.
* DMN cells are pasted into Python by the library; we evaluate them as FEEL unary tests instead.
* ISO durations add days, weeks, months and years on the Europe/Amsterdam calendar, as Camunda does,
  not as multiples of 24 hours.
* A timer value the library cannot place in time (``P99999999Y``, a date for a duration, a year past
  9999) raises a bare ``Exception``/``ValueError`` there; we raise the library's task error instead,
  which the runtime reports as a process error naming the element.
"""

from __future__ import annotations

import contextlib
import contextvars
from calendar import monthrange
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.camunda.specs import event_definitions as _camunda_events
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask as CamundaBusinessRuleTask
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from engine.clock import LOCAL_ZONE

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


def _dmn_evaluate(self: Any, input_expr: Any, match_expr: Any, task: Any) -> bool:
    """A decision table cell as a FEEL simple unary test, every value through the safe evaluator."""
    from engine import feel

    if match_expr is None:
        return True
    script_engine = task.workflow.script_engine
    value = script_engine.evaluate(task, input_expr) if input_expr is not None else None
    return feel.matches(str(match_expr), value, lambda text: script_engine.evaluate(task, text))


def _decision_value(result: Any, mapping: str) -> Any:
    """Camunda's ``mapDecisionResult`` applied to the library's decision result."""
    rows: list[dict[str, Any]]
    if isinstance(result, dict) and result and all(isinstance(v, list) for v in result.values()):
        keys = list(result)
        rows = [dict(zip(keys, values, strict=False)) for values in zip(*result.values(), strict=False)]
    elif isinstance(result, dict):
        rows = [result] if result else []
    else:
        rows = list(result or [])
    if mapping == "singleEntry":
        return next(iter(rows[0].values())) if rows and rows[0] else None
    if mapping == "singleResult":
        return rows[0] if rows else None
    if mapping == "collectEntries":
        return [next(iter(row.values())) for row in rows if row]
    return rows


def _business_rule_run_hook(self: Any, my_task: Any) -> bool:
    """Evaluate the decision; with ``camunda:resultVariable`` store the result as Camunda does."""
    result = self.dmnEngine.result(my_task)
    variable = getattr(self, "result_variable", None)
    if variable:
        my_task.data[variable] = _decision_value(result, getattr(self, "map_decision_result", "resultList"))
    else:
        my_task.data.update(result if isinstance(result, dict) else {})
    return True


_library_timedelta_from_start = _timer_module.TimerEventDefinition.get_timedelta_from_start


def _calendar_timedelta_from_start(
    parsed_duration: dict[str, Any], start: datetime | None = None
) -> timedelta:
    """ISO durations as Camunda reads them: years, months, weeks and days on the Amsterdam calendar.

    ``P14D`` from 20 March 09:00 ends on 3 April 09:00 wall-clock time, across a daylight-saving
    change; hours, minutes and seconds are elapsed time. The library would add 14 x 24 hours.
    """
    start = start or current_now()
    parsed = dict(parsed_duration)
    years, months = parsed.pop("years", 0), parsed.pop("months", 0)
    weeks, days = parsed.pop("weeks", 0), parsed.pop("days", 0)
    if any(isinstance(v, float) and not v.is_integer() for v in (years, months, weeks, days)):
        return _library_timedelta_from_start(dict(parsed_duration), start)  # type: ignore[no-any-return]
    local = start.astimezone(LOCAL_ZONE).replace(tzinfo=None)
    shift, month_index = divmod(local.month - 1 + int(years) * 12 + int(months), 12)
    year, month = local.year + shift, month_index + 1
    local = local.replace(year=year, month=month, day=min(local.day, monthrange(year, month)[1]))
    local += timedelta(days=int(days) + 7 * int(weeks))
    end = local.replace(tzinfo=LOCAL_ZONE).astimezone(UTC) + timedelta(**parsed)
    return end - start


def _guard_timer(method: Any) -> Any:
    """Wrap a timer definition's evaluation so a value it cannot use is a task error, not a crash."""

    def guarded(self: Any, my_task: Any) -> Any:
        try:
            return method(self, my_task)
        except (ValueError, OverflowError, TypeError, KeyError, AttributeError) as exc:
            reason = str(exc) or type(exc).__name__
        except Exception as exc:
            if type(exc) is not Exception:  # the library's bare ``raise Exception('Invalid duration')``
                raise
            reason = str(exc) or "invalid value"
        raise WorkflowTaskException(f"the timer value cannot be used: {reason}", task=my_task)

    guarded.__wrapped__ = method  # type: ignore[attr-defined]
    return guarded


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
    DMNEngine.evaluate = _dmn_evaluate  # type: ignore[method-assign]
    _timer_module.TimerEventDefinition.get_timedelta_from_start = staticmethod(  # type: ignore[method-assign]
        _calendar_timedelta_from_start
    )
    CamundaBusinessRuleTask._run_hook = _business_rule_run_hook  # type: ignore[method-assign]
    for cls_name, method_name in (
        ("TimeDateEventDefinition", "has_fired"),
        ("DurationTimerEventDefinition", "has_fired"),
        ("CycleTimerEventDefinition", "cycle_complete"),
    ):
        timer_cls = getattr(_timer_module, cls_name)
        setattr(timer_cls, method_name, _guard_timer(getattr(timer_cls, method_name)))
    _installed = True

"""The few places where SpiffWorkflow 3.2 must be bent to run safely and on our clock.

* The library reads the wall clock inside its timer code. We swap the ``datetime`` name in that module
  for a subclass whose ``now()`` asks the clock of the step being run (a context variable), so tests
  and an operator's "fire now" need no sleeping and no patched system clock.
* Camunda message events put a correlated payload under ``<task>_Response``; a Camunda designer
  expects the message's variables in the process, so we merge a dict payload into the task data.
* A Camunda message throw without ``camunda:expression`` evaluates ``None``; we throw an empty payload.
* DMN cells are pasted into Python by the library; we evaluate them as FEEL unary tests instead.
* A task dropped from the tree (an interrupted multi-instance sub-process) takes its sub-process along.
* A ``timeCycle`` may be a Quartz cron expression (``0 0/5 * * * ?``), as in Camunda; a cycle on an
  intermediate catch event or after an event-based gateway fires once (the library repeated it).
* ISO durations add days, weeks, months and years on the Europe/Amsterdam calendar, as Camunda does,
  not as multiples of 24 hours.
* A timer value the library cannot place in time (``P99999999Y``, a date for a duration, a year past
  9999) raises a bare ``Exception``/``ValueError`` there; we raise the library's task error instead,
  which the runtime reports as a process error naming the element.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from calendar import monthrange
from collections.abc import Iterator, Mapping
from copy import deepcopy
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions import message as _message_module
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.camunda.specs import event_definitions as _camunda_events
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask as CamundaBusinessRuleTask
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from engine import expression_tasks, io_mapping, multi_instance, scopes, spiff_events, walks
from engine.clock import LOCAL_ZONE

_current_now: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("engine_now", default=None)


def current_now() -> datetime:
    """The time of the step being run; outside a step, the wall clock."""
    now = _current_now.get()
    return now if now is not None else datetime.now(UTC)


_timers_fire: contextvars.ContextVar[bool] = contextvars.ContextVar("engine_timers_fire", default=False)


@contextlib.contextmanager
def step_time(now: datetime, *, fire_timers: bool = False) -> Iterator[None]:
    """Run the enclosed library calls as if the time were ``now``.

    Timers fire only in a step that fires timers (``fire_timers``: the worker's, or an operator's
    "fire now"). Every other step (start, task completion, message) computes due times but fires
    nothing, as Camunda leaves every timer to its job executor: a timer already due at start is
    pending when the start answers, and a message that wins an event-based gateway wins it even
    when the gateway's timer was due a moment before.
    """
    token = _current_now.set(now)
    fire_token = _timers_fire.set(fire_timers)
    try:
        yield
    finally:
        _timers_fire.reset(fire_token)
        _current_now.reset(token)


def _held_has_fired(original: Any) -> Any:
    def has_fired(self: Any, my_task: Any) -> bool:
        if _timers_fire.get():
            return bool(original(self, my_task))
        already = my_task._get_internal_data("event_fired", False)
        if my_task._get_internal_data("event_value") is None:
            original(self, my_task)  # computes the due time
            if not already:
                my_task.internal_data.pop("event_fired", None)
        return bool(already)

    return has_fired


def _held_cycle_complete(original: Any) -> Any:
    def cycle_complete(self: Any, my_task: Any) -> bool:
        if _timers_fire.get() or my_task._get_internal_data("event_value") is None:
            return bool(original(self, my_task))
        return False

    return cycle_complete


def _cron_cycle_complete(original: Any) -> Any:
    """A ``timeCycle`` written as a Quartz cron expression (``0 0/5 * * * ?``) fires at its times.

    The library reads only ISO repeating intervals. A cron cycle repeats without end, its next time
    taken from the cron after each firing; ``duration`` keeps its shortest gap for the cycle check.
    """

    def cycle_complete(self: Any, my_task: Any) -> bool:
        from engine.expression.cron import CronError, is_cron, parse_cron, shortest_period

        value = my_task._get_internal_data("event_value")
        if value is None:
            text = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            if not (isinstance(text, str) and is_cron(text.strip())):
                return bool(original(self, my_task))
            try:
                schedule = parse_cron(text.strip())
            except CronError as exc:
                raise WorkflowTaskException(f"timer cycle '{text[:100]}': {exc}", task=my_task) from exc
            first = schedule.next_after(current_now())
            if first is None:
                raise WorkflowTaskException(f"timer cycle '{text[:100]}' names no future time", task=my_task)
            period = shortest_period(schedule)
            value = {
                "cycles": -1,
                "next": first.isoformat(),
                "duration": period.total_seconds() if period is not None else None,
                "cron": schedule.text,
            }
            my_task._set_internal_data(event_value=value)
        if not (isinstance(value, dict) and value.get("cron")):
            return bool(original(self, my_task))
        now = current_now()
        ready = False
        if datetime.fromisoformat(value["next"]) <= now:
            following = parse_cron(value["cron"]).next_after(now)
            if following is None:  # the cron names no later time: the cycle is over
                my_task.internal_data.pop("event_value", None)
                my_task.internal_data["event_fired"] = True
                return True
            value = {**value, "next": following.isoformat()}
            ready = True
        my_task._set_internal_data(event_value=value)
        return ready

    return cycle_complete


def _repeats(my_task: Any) -> bool:
    """A timer cycle repeats on a non-interrupting boundary event or a start event; elsewhere it fires
    once, as in Camunda (an interrupting boundary event's first firing cancels the activity, and the
    cycle with it; re-entering the activity starts a new one). The start event of an interrupting
    event sub-process fires once too: it ends its scope."""
    from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
    from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

    spec = my_task.task_spec
    if isinstance(spec, BoundaryEvent):
        return not getattr(spec, "cancel_activity", False)
    if isinstance(spec, StartEvent) and getattr(spec, "camunda_interrupting", False):
        return False
    return isinstance(spec, StartEvent)


def _cycle_has_fired(original: Any) -> Any:
    """An intermediate catch event (or an event-based gateway) waiting on a cycle goes on at its first time.

    The library would keep the event waiting and start one more path at every time of the cycle.
    """

    def has_fired(self: Any, my_task: Any) -> bool:
        if _repeats(my_task):
            return bool(original(self, my_task))
        if my_task._get_internal_data("event_fired", False):
            return True
        if self.cycle_complete(my_task):
            my_task.internal_data.pop("event_value", None)
            my_task._set_internal_data(event_fired=True)
            return True
        return False

    return has_fired


def _cycle_update_task(original: Any) -> Any:
    def update_task(self: Any, my_task: Any) -> None:
        if _repeats(my_task):
            original(self, my_task)

    return update_task


def _cycle_predict_hook(original: Any) -> Any:
    """A catch event whose cycle fires once has its outgoing paths predicted like any other event."""

    def predict_hook(self: Any, my_task: Any) -> None:
        cycle = isinstance(self.event_definition, _timer_module.CycleTimerEventDefinition)
        if cycle and not _repeats(my_task):
            from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent

            super(CatchingEvent, self)._predict_hook(my_task)
        else:
            original(self, my_task)

    return predict_hook


def _joins_of_this_split(original: Any) -> Any:
    """The joins a boundary event join settles are those of its own split: when a path loops back
    into the activity, the library also cancelled the join of the activity's next entry, and the
    boundary event's next firing could no longer cancel the activity (it ran twice, then more)."""

    def find_tasks(self: Any, my_task: Any) -> Any:
        split = my_task.find_ancestor(self.split_task)
        found = original(self, my_task)
        if split is None:
            return found
        return [t for t in found if t is my_task or t.find_ancestor(self.split_task) is split]

    return find_tasks


def _remove_task_and_its_subprocess(original: Any) -> Any:
    """A task dropped from the tree takes its sub-process with it.

    Cancelling a multi-instance sub-process (an interrupting boundary event on it) drops the
    instances' tasks but left their sub-processes running, orphaned: the next step failed with
    "A task with id ... was not found" and the instance could not go on.
    """

    def _remove_task(self: Any, task_id: Any) -> None:
        top: Any = getattr(self, "top_workflow", None)
        subprocesses = getattr(top, "subprocesses", None)
        if subprocesses and task_id in subprocesses and task_id in self.tasks:
            top.delete_subprocess(self.tasks[task_id])
        original(self, task_id)

    return _remove_task


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


def message_name(definition: Any, variables: Mapping[str, Any]) -> str | None:
    """A message's name as Camunda reads it: text with ``${...}`` parts evaluated (None when it fails)."""
    name = definition.name
    if not isinstance(name, str) or ("${" not in name and "#{" not in name):
        return name  # type: ignore[no-any-return]
    from engine import expression
    from engine.errors import ExpressionError

    try:
        value = expression.evaluate(name, variables, now=current_now())
    except ExpressionError:
        return None
    return None if value is None else str(value)


def _message_catches(self: Any, my_task: Any, event: Any) -> bool:
    """A message event catches a message of its (evaluated) name."""
    from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as Message

    other = event.event_definition
    if not isinstance(other, Message) or other.__class__ is not self.__class__:
        return False  # a Camunda message and a plain one carry their payloads differently
    name = message_name(self, my_task.data)
    if name is None or name != message_name(other, my_task.data):
        return False
    correlations = my_task.workflow.correlations
    if len(self.correlation_properties) == 0 or not correlations:
        return True
    return any(event.correlations.get(key) == correlations.get(key) for key in event.correlations)


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
    if mapping in ("singleEntry", "singleResult") and len(rows) > 1:
        from engine.dmn import DecisionError

        raise DecisionError(
            f"mapDecisionResult '{mapping}' needs at most one result; the decision gave {len(rows)}"
        )
    if mapping == "singleEntry":
        if rows and len(rows[0]) > 1:
            from engine.dmn import DecisionError

            raise DecisionError(
                f"mapDecisionResult 'singleEntry' needs one output; the result has {sorted(rows[0])}"
            )
        return next(iter(rows[0].values())) if rows and rows[0] else None
    if mapping == "singleResult":
        return rows[0] if rows else None
    if mapping == "collectEntries":
        return [next(iter(row.values())) for row in rows if row]
    return rows


def _business_rule_run_hook(self: Any, my_task: Any) -> bool:
    """Evaluate the decision; with ``camunda:resultVariable`` store the result as Camunda does."""
    from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

    from engine import dmn

    script_engine = my_task.workflow.script_engine

    def run(text: str, variables: Any) -> Any:
        return script_engine.environment.evaluate(text, variables)

    variable = getattr(self, "result_variable", None)
    try:
        result = dmn.evaluate(self.decision_ref, self.decision_graph, my_task.data, run)
        if variable:
            mapping = getattr(self, "map_decision_result", "resultList")
            my_task.data[variable] = _decision_value(result, mapping)
            return True
    except dmn.DecisionError as exc:
        raise WorkflowTaskException(str(exc), task=my_task) from exc
    if len(result) == 1:
        my_task.data.update(result[0])
    else:  # several results: each output's values as a list
        for name in dict.fromkeys(n for row in result for n in row):
            my_task.data[name] = [row[name] for row in result if name in row]
    return True


def _evaluate_for(task_spec: Any, text: str, variables: Mapping[str, Any], task: Any, what: str) -> Any:
    from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

    from engine import expression
    from engine.errors import ExpressionError
    from engine.executions import on_task

    try:
        with on_task(task, variables, read_only=True):
            return _plain_value(expression.evaluate(text, variables, now=current_now()))
    except ExpressionError as exc:
        raise WorkflowTaskException(f"{task_spec.bpmn_id}: {what} '{text}': {exc}", task=task) from exc


def _parameter_values(
    task_spec: Any, parameters: tuple[tuple[str, Any], ...], scope: Mapping[str, Any], task: Any
) -> dict[str, Any]:
    """``camunda:inputParameter``/``outputParameter`` values (see :mod:`engine.io_mapping`) in ``scope``."""
    from engine import io_mapping

    evaluate, run_script = io_mapping._evaluator(task_spec, task)
    return {name: io_mapping.evaluate_value(value, scope, evaluate, run_script) for name, value in parameters}


def _mapped_variables(
    task_spec: Any,
    mappings: tuple[dict[str, Any], ...],
    source: Mapping[str, Any],
    local: Mapping[str, Any],
    task: Any,
    all_source: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Camunda's ``camunda:in``/``camunda:out``: only what is mapped passes, in document order.

    ``source`` is what the mapping reads (the scope's variables, with ``local`` over them);
    ``local=true`` reads only ``local``; ``variables="all"`` reads ``all_source`` when given.
    Returns (variables to set, variables set locally).
    """
    out: dict[str, Any] = {}
    out_local: dict[str, Any] = {}
    for mapping in mappings:
        scope: Mapping[str, Any] = local if mapping["local"] else {**source, **local}
        values: dict[str, Any] = {}
        if mapping["all"]:
            every = scope if mapping["local"] or all_source is None else {**all_source, **local}
            values = deepcopy({k: v for k, v in every.items() if not k.startswith("_")})
        elif mapping["target"]:
            source_expression = mapping["sourceExpression"]
            if source_expression is not None and ("${" in source_expression or "#{" in source_expression):
                values[mapping["target"]] = _evaluate_for(
                    task_spec, source_expression, scope, task, "sourceExpression"
                )
            elif source_expression is not None:  # a literal: its text, as Camunda's EL reads it
                values[mapping["target"]] = source_expression
            elif mapping["source"] is not None:
                values[mapping["target"]] = deepcopy(scope.get(mapping["source"]))
        out.update(values)
        if mapping["local"]:
            out_local.update(values)
    return out, out_local


def _plain_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


_LOCALS = "camundaLocals"


def _passed_names(mappings: tuple[dict[str, Any], ...], values: Mapping[str, Any]) -> set[str]:
    """Names ``camunda:in`` passed under their own name (``variables="all"``, or source = target)."""
    passed: set[str] = set()
    for mapping in mappings:
        if mapping["all"]:
            passed |= set(values)
        elif mapping["target"]:
            same = mapping["sourceExpression"] is None and mapping["source"] == mapping["target"]
            (passed.add if same else passed.discard)(mapping["target"])
    return passed


def _call_copy_data(self: Any, my_task: Any, subworkflow: Any) -> None:
    mappings = getattr(self, "camunda_in", None)
    if mappings is None:  # an embedded sub-process: it works in the process instance's variables
        _library_copy_data(self, my_task, subworkflow)
        return
    locals_ = _parameter_values(self, getattr(self, "camunda_input_parameters", ()), my_task.data, my_task)
    my_task.internal_data[_LOCALS] = locals_
    start = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="Start")
    values, _ = _mapped_variables(self, mappings, my_task.data, locals_, my_task)
    start.set_data(**values)
    scopes.start_called(subworkflow, values, _passed_names(mappings, values))


def _call_update_data(self: Any, my_task: Any, subworkflow: Any) -> None:
    mappings = getattr(self, "camunda_out", None)
    if mappings is None:
        _library_update_data(self, my_task, subworkflow)
        return
    child, passed_back = scopes.child_outputs_source(subworkflow)
    locals_ = dict(my_task.internal_data.pop(_LOCALS, None) or {})
    # camunda:out reads the called instance; local=true sets on the activity, else on the process
    values, _ = _mapped_variables(
        self, tuple(dict(m, local=False) for m in mappings), child, {}, my_task, passed_back
    )
    local_targets = {k for m in mappings if m["local"] for k in _mapping_targets(m, values)}
    for key, value in values.items():
        if key in local_targets or key in locals_:  # Camunda sets a variable where it already lives
            locals_[key] = value
        else:
            my_task.data[key] = value
    outputs = _parameter_values(
        self, getattr(self, "camunda_output_parameters", ()), {**my_task.data, **locals_}, my_task
    )
    my_task.data.update(outputs)


def call_activity_outputs(holder: Any, child_data: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a call activity's ``camunda:out`` maps from the called instance's ``child_data``.

    Camunda applies it also when an error or escalation leaves the called instance. None when the
    activity is no call activity with ``camunda:out`` mappings.
    """
    mappings = getattr(holder.task_spec, "camunda_out", None)
    if not mappings:
        return None
    values, _ = _mapped_variables(
        holder.task_spec, tuple(dict(m, local=False) for m in mappings), dict(child_data), {}, holder
    )
    return dict(values)


def _mapping_targets(mapping: Mapping[str, Any], values: Mapping[str, Any]) -> list[str]:
    if mapping["all"]:
        return list(values)
    return [mapping["target"]] if mapping["target"] else []


_library_copy_data = CallActivity.copy_data
_library_update_data = CallActivity.update_data
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


def _duration_without_repetition(original: Any) -> Any:
    """A ``timeDuration`` of ``R/PT3S`` is the duration ``PT3S`` to Camunda (it fires once)."""

    def parse_iso_duration(expression: str) -> Any:
        return original(re.sub(r"^R\d*/", "", expression.strip()))

    return parse_iso_duration


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


DYNAMIC_CALLS = "_calledVersions"
"""Key in the top workflow's data: process key -> version of every process called dynamically."""

_call_resolver: contextvars.ContextVar[Any] = contextvars.ContextVar("engine_call_resolver", default=None)


@contextlib.contextmanager
def resolving_calls(resolver: Any) -> Iterator[None]:
    """Run the enclosed step with ``resolver(key, version, version_tag)`` -> (version, specs by name)
    for calls whose process is chosen when they start (``calledElement="${...}"``, binding
    ``version`` or ``versionTag``)."""
    token = _call_resolver.set(resolver)
    try:
        yield
    finally:
        _call_resolver.reset(token)


def _dynamic_target(task_spec: Any, my_task: Any) -> tuple[str, int | None, str | None]:
    called, binding, version_text = task_spec.dynamic_call
    data = my_task.data
    key = called
    if "${" in called or "#{" in called:
        key = _evaluate_for(task_spec, called, data, my_task, "calledElement")
    if not isinstance(key, str) or not key.strip():
        raise WorkflowTaskException(
            f"{task_spec.bpmn_id}: calledElement '{called}' gives {key!r}, not a process key", task=my_task
        )
    version: int | None = None
    if binding == "versionTag":
        tag: Any = (version_text or "").strip()
        if "${" in tag or "#{" in tag:
            tag = _evaluate_for(task_spec, tag, data, my_task, "calledElementVersionTag")
        if not isinstance(tag, str) or not tag:
            raise WorkflowTaskException(
                f"{task_spec.bpmn_id}: calledElementVersionTag gives {tag!r}, not a version tag", task=my_task
            )
        return key.strip(), None, tag
    if binding == "version":
        raw: Any = (version_text or "").strip()
        if "${" in raw or "#{" in raw:
            raw = _evaluate_for(task_spec, raw, data, my_task, "calledElementVersion")
        try:
            version = int(raw)
        except (TypeError, ValueError) as exc:
            raise WorkflowTaskException(
                f"{task_spec.bpmn_id}: calledElementVersion '{raw}' is not a whole number", task=my_task
            ) from exc
    return key.strip(), version, None


def _start_workflow(original: Any) -> Any:
    def start_workflow(self: Any, my_task: Any) -> None:
        if getattr(self, "dynamic_call", None) is None:
            return original(self, my_task)  # type: ignore[no-any-return]
        resolver = _call_resolver.get()
        key, version, tag = _dynamic_target(self, my_task)
        top = my_task.workflow.top_workflow
        pinned = top.data.setdefault(DYNAMIC_CALLS, {})
        if version is None and tag is None and key in pinned:
            version = pinned[key]  # one version of a process per instance
        if resolver is None:
            raise WorkflowTaskException(f"{self.bpmn_id}: no process library to call '{key}'", task=my_task)
        try:
            resolved, specs = resolver(key, version, tag)
        except Exception as exc:  # noqa: BLE001 - NotFoundError and the like: a process error naming it
            my_task.error()
            raise WorkflowTaskException(f"{self.bpmn_id}: cannot call '{key}': {exc}", task=my_task) from exc
        if key in pinned and pinned[key] != resolved:
            raise WorkflowTaskException(
                f"{self.bpmn_id}: this instance already runs version {pinned[key]} of '{key}'; calling "
                f"version {resolved} too is not supported",
                task=my_task,
            )
        pinned[key] = resolved
        for name, spec in specs.items():
            top.subprocess_specs.setdefault(name, spec)
        subworkflow = top.create_subprocess(my_task, key)
        subworkflow.completed_event.connect(self._on_subworkflow_completed, my_task)
        self.copy_data(my_task, subworkflow)
        start = subworkflow.get_next_task(spec_name="Start")
        start.run()
        return None

    return start_workflow


INTERRUPTED_SCOPE = "_interruptedBy"
"""Key in a scope's (workflow's) data once an interrupting event sub-process started in it."""


def scope_interrupted(workflow: Any) -> bool:
    """True when an interrupting event sub-process started in ``workflow``: its other event
    sub-processes no longer listen, as Camunda ends their subscriptions with the scope."""
    return bool(getattr(workflow, "data", {}).get(INTERRUPTED_SCOPE))


def _guarded_collaboration(original: Any) -> Any:
    def update_collaboration(self: Any, event: Any) -> Any:
        if scope_interrupted(self.workflow):
            return None
        return original(self, event)

    return update_collaboration


def _trigger_without_lasting_edge(original: Any) -> Any:
    """Register an event sub-process triggered by an event without wiring it to its scope's start.

    The library connects such an event sub-process to the start task on its first trigger, in the
    shared spec: every scope of that spec started afterwards (the next multi-instance iteration,
    another instance of the definition) opened the event sub-process at once, and the scope could
    never end while its start event waited; a spec parsed afresh (another process) lacked the edge
    and refused to run the triggered child ("No input task connected"). Camunda subscribes per
    scope and ends the subscription with the scope: the child is linked to the start (its input)
    from the parse on, never the start to it.
    """

    def connect_or_add_trigger(self: Any, task_spec: Any, sp_spec: Any) -> Any:
        result = original(self, task_spec, sp_spec)
        if sp_spec.name in self.trigger_specs and self.name not in task_spec._inputs:
            task_spec._inputs.append(self.name)
            task_spec.connect(self._wf_spec.end)
        return result

    return connect_or_add_trigger


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
    _message_module.MessageEventDefinition.catches = _message_catches  # type: ignore[method-assign]
    DMNEngine.evaluate = _dmn_evaluate  # type: ignore[method-assign]
    _timer_module.TimerEventDefinition.parse_iso_duration = staticmethod(  # type: ignore[method-assign]
        _duration_without_repetition(_timer_module.TimerEventDefinition.parse_iso_duration)
    )
    _timer_module.TimerEventDefinition.get_timedelta_from_start = staticmethod(  # type: ignore[method-assign]
        _calendar_timedelta_from_start
    )
    CamundaBusinessRuleTask._run_hook = _business_rule_run_hook  # type: ignore[method-assign]
    for timer_class in (_timer_module.TimeDateEventDefinition, _timer_module.DurationTimerEventDefinition):
        timer_class.has_fired = _held_has_fired(timer_class.has_fired)  # type: ignore[method-assign]
    cycle = _timer_module.CycleTimerEventDefinition
    cycle.cycle_complete = _held_cycle_complete(  # type: ignore[method-assign]
        _cron_cycle_complete(cycle.cycle_complete)
    )
    cycle.has_fired = _cycle_has_fired(cycle.has_fired)  # type: ignore[method-assign]
    cycle.update_task = _cycle_update_task(cycle.update_task)  # type: ignore[method-assign]
    from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent

    CatchingEvent._predict_hook = _cycle_predict_hook(CatchingEvent._predict_hook)  # type: ignore[method-assign]
    from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin

    BoundaryEventJoin._find_tasks = _joins_of_this_split(BoundaryEventJoin._find_tasks)  # type: ignore[method-assign]
    for cls_name, method_name in (
        ("TimeDateEventDefinition", "has_fired"),
        ("DurationTimerEventDefinition", "has_fired"),
        ("CycleTimerEventDefinition", "cycle_complete"),
    ):
        timer_cls = getattr(_timer_module, cls_name)
        setattr(timer_cls, method_name, _guard_timer(getattr(timer_cls, method_name)))
    spiff_events.install()
    walks.install()
    multi_instance.install()
    scopes.install()
    io_mapping.install()
    expression_tasks.install()
    from SpiffWorkflow.workflow import Workflow

    Workflow._remove_task = _remove_task_and_its_subprocess(Workflow._remove_task)  # type: ignore[method-assign]
    from SpiffWorkflow.bpmn.util.event import EventManager

    EventManager.update_collaboration = _guarded_collaboration(  # type: ignore[method-assign]
        EventManager.update_collaboration
    )
    from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

    SubWorkflowTask.start_workflow = _start_workflow(SubWorkflowTask.start_workflow)  # type: ignore[method-assign]
    CallActivity.copy_data = _call_copy_data  # type: ignore[method-assign]
    CallActivity.update_data = _call_update_data  # type: ignore[method-assign]
    from engine import start_timers

    start_timers.install()
    from SpiffWorkflow.bpmn.specs.control import BpmnStartTask

    BpmnStartTask.connect_or_add_trigger = _trigger_without_lasting_edge(  # type: ignore[method-assign]
        BpmnStartTask.connect_or_add_trigger
    )
    _installed = True

"""Timer start events of a process, as Camunda 7 runs them: the process definition's own timers.

A ``startEvent`` with a ``timerEventDefinition`` at process level is not a wait inside an instance.
When the latest version of a process is deployed, each of its timer start events is scheduled
(``timeDate``: that instant, even one already passed; ``timeDuration``: that long after the deploy;
``timeCycle``: its first time). When a schedule is due, one new instance of the process starts at
that start event; a cycle then takes its next time, until its repetitions are used up. A new version
replaces the schedules of the older ones. Started by key, such a process starts at its timer start
event at once, as Camunda's ``startProcessInstanceByKey`` does (the event is the process's initial).

Timer values are read without variables, as Camunda evaluates them for the deployment: an
expression needing a variable is refused at deploy. Cycle times follow Camunda's job executor: an
ISO repeating interval (``R3/PT10M``, ``R/2027-01-01T09:00Z/P1D``) fires on the slots ``start + k x
period``, taking after each firing the first slot after the firing (missed slots are not made up
one by one); a cron cycle takes its next time after the firing.

Everything here is pure: a time comes in as ``now``, a schedule goes out as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState

from engine import expression, spiff_support
from engine.budget import cycle_problem
from engine.errors import ExpressionError, Problem
from engine.expression.cron import CronError, is_cron, parse_cron

__all__ = [
    "Schedule",
    "StartTimer",
    "fire_start",
    "first_schedule",
    "next_schedule",
    "schedule_problems",
    "start_timers",
]

#: Latest due time a schedule may name (the column holds four-digit years).
_LATEST = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class StartTimer:
    """A timer start event of a process: its element, kind (date, duration, cycle) and value text."""

    element_id: str
    kind: str
    expression: str


@dataclass(frozen=True)
class Schedule:
    """When a timer start event fires next, and what a cycle needs to take its following time.

    ``state`` is None for a timer that fires once; for a cycle it is JSON:
    ``{"cron": text}`` or ``{"period": "PT5M", "remaining": n}`` (``-1``: without end).
    """

    due_at: datetime
    state: dict[str, Any] | None


class ScheduleError(ValueError):
    """A timer start event's value cannot be scheduled; the message says why."""


def start_timers(spec: Any) -> tuple[StartTimer, ...]:
    """The timer start events of the process ``spec`` itself (not of its sub-processes)."""
    out = []
    for task_spec in spec.task_specs.values():
        if not isinstance(task_spec, StartEvent):
            continue
        definition = getattr(task_spec, "event_definition", None)
        if isinstance(definition, CycleTimerEventDefinition):
            kind = "cycle"
        elif isinstance(definition, DurationTimerEventDefinition):
            kind = "duration"
        elif isinstance(definition, TimeDateEventDefinition):
            kind = "date"
        else:
            continue
        out.append(StartTimer(task_spec.bpmn_id, kind, str(definition.expression)))
    return tuple(sorted(out, key=lambda t: t.element_id))


def _value(timer: StartTimer, now: datetime) -> Any:
    try:
        value = expression.evaluate(timer.expression, {}, now=now)
    except ExpressionError as exc:
        raise ScheduleError(
            f"timer {timer.kind} '{timer.expression[:100]}' of a process's timer start event must evaluate "
            f"without variables (it is scheduled when the process is deployed): {exc}"
        ) from exc
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if not isinstance(value, str) or not value.strip():
        raise ScheduleError(
            f"timer {timer.kind} '{timer.expression[:100]}' gives {value!r}, not a timer value"
        )
    return value.strip()


def _after(start: datetime, period: str) -> datetime:
    """``start`` plus the ISO duration ``period`` (days and longer on the Amsterdam calendar)."""
    parsed = TimerEventDefinition.parse_iso_duration(period)
    end = start + TimerEventDefinition.get_timedelta_from_start(parsed, start)
    return datetime.fromisoformat(end.astimezone(UTC).isoformat())


def _instant(text: str) -> datetime:
    parsed = TimerEventDefinition.parse_time_or_duration(text)
    if not isinstance(parsed, datetime):
        raise ScheduleError(f"'{text[:100]}' is not a date and time")
    return datetime.fromisoformat(parsed.astimezone(UTC).isoformat())


def _checked(due: datetime | None, text: str) -> datetime:
    if due is None:
        raise ScheduleError(f"timer cycle '{text[:100]}' names no time after the deploy")
    if due >= _LATEST:
        raise ScheduleError(f"timer '{text[:100]}' names a time after the year 9998")
    return due


def first_schedule(timer: StartTimer, now: datetime, minimum_cycle: timedelta) -> Schedule:
    """The first due time of ``timer`` for a deploy at ``now``; ScheduleError when it has none."""
    value = _value(timer, now)
    try:
        if isinstance(value, datetime):
            if timer.kind == "cycle":
                raise ScheduleError(f"timer cycle '{timer.expression[:100]}' gives a date, not a cycle")
            return Schedule(_checked(value, timer.expression), None)
        if timer.kind == "date":
            return Schedule(_checked(_instant(value), value), None)
        if timer.kind == "duration":
            return Schedule(_checked(_after(now, value), value), None)
        problem = cycle_problem(value, minimum_cycle)
        if problem is not None:
            raise ScheduleError(problem)
        if is_cron(value):
            schedule = parse_cron(value)
            return Schedule(_checked(schedule.next_after(now), value), {"cron": schedule.text})
        return _first_of_interval(value, now)
    except ScheduleError:
        raise
    except (CronError, ValueError, OverflowError, TypeError, KeyError, AttributeError) as exc:
        raise ScheduleError(f"timer {timer.kind} '{value[:100]}' cannot be used: {exc}") from exc
    except Exception as exc:  # the library's bare ``raise Exception('Invalid duration')``
        if type(exc) is not Exception:
            raise
        raise ScheduleError(f"timer {timer.kind} '{value[:100]}' cannot be used: {exc}") from exc


def _first_of_interval(text: str, now: datetime) -> Schedule:
    """``R[n]/[start/]duration`` or ``R[n]/duration/end``: the first slot after ``now``."""
    parts = text.upper().split("/")
    if len(parts) not in (2, 3) or not parts[0].startswith("R"):
        raise ScheduleError(f"timer cycle '{text[:100]}' is not an ISO 8601 repeating interval")
    times = int(parts[0][1:]) if parts[0][1:] else -1
    if times == 0:
        raise ScheduleError(f"timer cycle '{text[:100]}' repeats no time")
    if len(parts) == 2:  # R3/PT10M: the slots follow the deploy
        period, start = parts[1], now
    elif parts[1].startswith("P"):  # R3/PT10M/2027-01-01T09:00Z: the last slot is the end
        if times < 0:
            raise ScheduleError(f"timer cycle '{text[:100]}' with an end needs a number of repetitions")
        period, end = parts[1], _instant(parts[2])
        start = end
        for _ in range(times):
            start = start - (_after(start, period) - start)
        return _slot_after(start, period, times, now, text, include_start=True)
    else:  # R3/2027-01-01T09:00Z/PT10M: the start is a slot too
        period, start = parts[2], _instant(parts[1])
        return _slot_after(start, period, times, now, text, include_start=True)
    if _after(now, period) <= now:
        raise ScheduleError(f"timer cycle '{text[:100]}' has no period")
    return _slot_after(start, period, times, now, text, include_start=False)


def _slot_after(
    start: datetime, period: str, times: int, now: datetime, text: str, *, include_start: bool
) -> Schedule:
    if include_start and start > now:
        return Schedule(_checked(start, text), {"period": period, "remaining": times})
    found = _advance(start, period, times, now)
    if found is None:
        raise ScheduleError(f"timer cycle '{text[:100]}' names no time after the deploy")
    due, remaining = found
    return Schedule(_checked(due, text), {"period": period, "remaining": remaining})


def _advance(current: datetime, period: str, remaining: int, moment: datetime) -> tuple[datetime, int] | None:
    """The first slot after ``moment`` following ``current``, and the repetitions left after it."""
    parsed = TimerEventDefinition.parse_iso_duration(period)
    fixed = not any(parsed.get(k) for k in ("years", "months", "weeks", "days"))
    if fixed and current <= moment:
        step = _after(current, period) - current
        if step <= timedelta(0):
            return None
        skip = int((moment - current) / step)  # whole periods already passed, made up at once
        if remaining >= 0:
            skip = min(skip, remaining)
        current += step * skip
        if remaining >= 0:
            remaining -= skip
    while True:
        if remaining == 0:
            return None
        current = _after(current, period)
        if remaining > 0:
            remaining -= 1
        if current > moment:
            return current, remaining


def next_schedule(state: dict[str, Any] | None, due_at: datetime, now: datetime) -> Schedule | None:
    """After firing the timer due at ``due_at`` (at ``now``): its next schedule, None when it is over.

    A timer fired before its time (an operator's "fire now") counts as fired at its due time, so the
    same slot never fires twice.
    """
    if not state:
        return None
    moment = max(now, due_at)
    try:
        if "cron" in state:
            following = parse_cron(str(state["cron"])).next_after(moment)
            return None if following is None or following >= _LATEST else Schedule(following, dict(state))
        found = _advance(due_at, str(state["period"]), int(state["remaining"]), moment)
    except (CronError, ValueError, OverflowError, KeyError):
        return None
    if found is None or found[0] >= _LATEST:
        return None
    return Schedule(found[0], {"period": state["period"], "remaining": found[1]})


def schedule_problems(spec: Any, now: datetime, minimum_cycle: timedelta) -> list[Problem]:
    """Why a timer start event of ``spec`` cannot be scheduled, naming the event (empty: all can)."""
    problems = []
    for timer in start_timers(spec):
        try:
            first_schedule(timer, now, minimum_cycle)
        except ScheduleError as exc:
            problems.append(Problem(f"timer start event '{timer.element_id}': {exc}", timer.element_id))
    return problems


#: Internal data of a timer start event passed without its timer firing (started by key, or by a
#: call activity): no ``termijn-verstreken`` for it.
UNFIRED = "startedWithoutTimer"


def fire_start(workflow: Any, element_id: str, *, by_timer: bool = True) -> bool:
    """Start ``workflow`` at its timer start event ``element_id`` now; the other start events never run.

    The event is marked fired before the library first looks at it, so its value is not evaluated
    again inside the instance (it belongs to the deployment). False when there is no such event.
    ``by_timer`` False: the process was started by key or called, its timer did not fire.
    """
    chosen = None
    for task in workflow.tasks.values():
        if isinstance(task.task_spec, StartEvent) and task.task_spec.bpmn_id == element_id:
            chosen = task
    if chosen is None:
        return False
    chosen.internal_data["event_fired"] = True
    if not by_timer:
        chosen.internal_data[UNFIRED] = True
    chosen.internal_data["event_value"] = spiff_support.current_now().astimezone(UTC).isoformat()
    while True:
        ready = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.name in _ROOT_SPECS]
        if not ready:
            break
        for task in ready:
            task.run()
    for task in list(workflow.tasks.values()):
        if (
            isinstance(task.task_spec, StartEvent)
            and task is not chosen
            and task.workflow is workflow
            and task.state & (TaskState.WAITING | TaskState.READY)
        ):
            task.cancel()
    if not chosen.children:  # the library predicts no path after a cycle: it adds one per firing
        for output in chosen.task_spec.outputs:
            child = chosen._add_child(output, TaskState.FUTURE)
            child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
    if chosen.state == TaskState.WAITING:
        chosen.task_spec._update(chosen)
    return True


_ROOT_SPECS = frozenset({"Start", "StartEventSplit"})


def _called_at_timer_start(original: Any) -> Any:
    """A call activity starts a process with a timer start event there at once, as Camunda starts a
    called process at its initial activity; the called process does not wait for its timer."""
    from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity

    def start_workflow(self: Any, my_task: Any) -> Any:
        result = original(self, my_task)
        # only a callActivity element (engine.definition annotates it); the library runs event
        # sub-processes as call activities too, and their timer start events must wait
        if isinstance(self, CallActivity) and hasattr(self, "camunda_in"):
            called = my_task.workflow.top_workflow.subprocesses.get(my_task.id)
            timers = start_timers(called.spec) if called is not None else ()
            if timers:
                fire_start(called, timers[0].element_id, by_timer=False)
        return result

    return start_workflow


_installed = False


def install() -> None:
    """Apply the call activity adjustment once per process (after engine.spiff_support's own)."""
    global _installed
    if _installed:
        return
    from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

    SubWorkflowTask.start_workflow = _called_at_timer_start(SubWorkflowTask.start_workflow)  # type: ignore[method-assign]
    _installed = True

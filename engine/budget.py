"""Step budgets: every engine step is bounded in iterations, evaluator operations and wall time.

A step that goes over its budget raises :class:`~engine.errors.StepBudgetExceeded` naming the element
it was running; the caller writes nothing (the API answers 422, the worker opens an incident). The
runtime opens a :class:`StepMeter` around each step (``Runtime._stepping``); the evaluator charges one
operation per syntax node it visits through :func:`charge_operation`, which costs nothing outside a
step (deploy-time checks have their own bounds). Wall time is read from an injectable ticker
(``time.monotonic`` by default), so tests drive it without sleeping.

Also here: the shortest period a timer cycle may have (``R/PT0S`` would fire on every sweep for ever).
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.errors import Problem, StepBudgetExceeded

Ticker = Callable[[], float]

#: How often (in operations) the evaluator also looks at the wall time.
_TIME_CHECK_EVERY = 256


@dataclass(frozen=True)
class StepBudget:
    """The limits of one step. The defaults are generous: the shipped process needs far less.

    A step of the shipped diagrams runs at most a few dozen elements and a few hundred evaluator
    operations in a few milliseconds.
    """

    iterations: int = 500
    operations: int = 1_000_000
    wall_seconds: float = 10.0
    #: Camunda runs any cycle; a period under the worker's poll (1 s by default) cannot fire on time,
    #: and ``R/PT0S`` would fire on every sweep for ever (``TIMER_CYCLE_MIN_SECONDS``)
    min_timer_cycle: timedelta = timedelta(seconds=1)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> StepBudget:
        """Read ``STEP_MAX_ITERATIONS``, ``STEP_MAX_OPERATIONS``, ``STEP_MAX_SECONDS`` and
        ``TIMER_CYCLE_MIN_SECONDS`` (each optional; a value that is not positive is an error)."""
        default = cls()

        def number(key: str, fallback: float) -> float:
            raw = settings.get(key)
            if raw is None or raw == "":
                return fallback
            value = float(raw)
            if not value > 0:
                raise ValueError(f"{key} must be positive, not {raw!r}")
            return value

        return cls(
            iterations=int(number("STEP_MAX_ITERATIONS", default.iterations)),
            operations=int(number("STEP_MAX_OPERATIONS", default.operations)),
            wall_seconds=number("STEP_MAX_SECONDS", default.wall_seconds),
            min_timer_cycle=timedelta(
                seconds=number("TIMER_CYCLE_MIN_SECONDS", default.min_timer_cycle.total_seconds())
            ),
        )


class StepMeter:
    """What one step has used so far; trips (and stays tripped) when it goes over its budget."""

    def __init__(self, budget: StepBudget, ticker: Ticker = time.monotonic) -> None:
        self.budget = budget
        self.ticker = ticker
        self.started = ticker()
        self.iterations = 0
        self.operations = 0
        self.element: str | None = None
        self.tripped: StepBudgetExceeded | None = None

    def _trip(self, resource: str, limit: str) -> None:
        if self.tripped is None:
            self.tripped = StepBudgetExceeded(self.element, resource, limit)
        raise self.tripped

    def enter(self, element: str | None) -> None:
        """The engine is about to run ``element``: one iteration."""
        if self.tripped is not None:
            raise self.tripped
        self.element = element or self.element
        self.iterations += 1
        if self.iterations > self.budget.iterations:
            self._trip("engine iterations", f"{self.budget.iterations}")
        self.check_time()

    def operation(self) -> None:
        """The evaluator visits one syntax node."""
        if self.tripped is not None:
            raise self.tripped
        self.operations += 1
        if self.operations > self.budget.operations:
            self._trip("evaluator operations", f"{self.budget.operations}")
        if self.operations % _TIME_CHECK_EVERY == 0:
            self.check_time()

    def check_time(self) -> None:
        if self.ticker() - self.started > self.budget.wall_seconds:
            self._trip("wall time", f"{self.budget.wall_seconds:g} s")


_meter: contextvars.ContextVar[StepMeter | None] = contextvars.ContextVar("step_meter", default=None)


def current_meter() -> StepMeter | None:
    """The meter of the step being run, or None outside a step."""
    return _meter.get()


def charge_operation() -> None:
    """Charge one evaluator operation to the step being run (nothing outside a step)."""
    meter = _meter.get()
    if meter is not None:
        meter.operation()


@contextlib.contextmanager
def metered(meter: StepMeter) -> Iterator[StepMeter]:
    """Charge everything run inside to ``meter``; a trip wins over whatever error it caused.

    The evaluator and the library wrap exceptions in their own; the meter remembers that it tripped,
    so the step always ends in :class:`StepBudgetExceeded`, never in a misleading wrapped error.
    """
    token = _meter.set(meter)
    try:
        yield meter
    except Exception as exc:
        if meter.tripped is not None and exc is not meter.tripped:
            raise meter.tripped from exc
        raise
    finally:
        _meter.reset(token)
    if meter.tripped is not None:
        raise meter.tripped


# -- timer cycles ------------------------------------------------------------------------------------
_PERIOD_START = datetime(2001, 1, 1, tzinfo=UTC)


def cycle_period(text: str) -> timedelta | None:
    """The period of an ISO 8601 repeating interval (``R3/PT10H``, ``R/2027-01-01T09:00Z/P1D``), or the
    shortest gap of a cron cycle (``0 0/5 * * * ?``).

    None when the text is not a repeating interval with a duration.
    """
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

    from engine.expression.cron import CronError, is_cron, parse_cron, shortest_period

    if is_cron(text.strip()):
        try:
            return shortest_period(parse_cron(text.strip()))
        except CronError:
            return None
    parts = text.strip().split("/")
    if len(parts) < 2 or not parts[0].upper().startswith("R"):
        return None
    for part in parts[1:]:
        if part.upper().startswith("P"):
            try:
                parsed = TimerEventDefinition.parse_iso_duration(part)
                return TimerEventDefinition.get_timedelta_from_start(parsed, _PERIOD_START)  # type: ignore[no-any-return]
            except (ValueError, OverflowError, TypeError):
                return None
    return None


def cycle_problem(text: str, minimum: timedelta) -> str | None:
    """Why the timer cycle ``text`` is refused, or None when its period is long enough."""
    period = cycle_period(text)
    if period is None or period >= minimum:
        return None
    seconds = period.total_seconds()
    return f"timer cycle '{text[:100]}' repeats every {seconds:g} s; " + cycle_minimum_text(minimum)


#: The setting that holds the shortest timer cycle, named in every refusal.
CYCLE_SETTING = "INBURGERING_TIMER_CYCLE_MIN_SECONDS"


def cycle_minimum_text(minimum: timedelta) -> str:
    """The end of every too-short-cycle message: the minimum, and the setting that holds it."""
    return f"the shortest period allowed is {minimum.total_seconds():g} s (setting {CYCLE_SETTING})"


_BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def cycle_problems(root: Any, minimum: timedelta) -> list[Problem]:
    """Every literal ``timeCycle`` in a BPMN tree whose period is under ``minimum``, naming its event.

    Cycles written as expressions are checked when they are evaluated, at run time.
    """
    problems = []
    for cycle in root.iter(f"{{{_BPMN_NS}}}timeCycle"):
        text = (cycle.text or "").strip()
        if not text or "{" in text:
            continue
        reason = cycle_problem(text, minimum)
        if reason is None:
            continue
        definition = cycle.getparent()
        owner = definition.getparent() if definition is not None else None
        element = owner.get("id") if owner is not None else None
        problems.append(Problem(reason, element_id=element, line=cycle.sourceline))
    return problems

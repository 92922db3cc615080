"""The one safe evaluator for everything a diagram can say.

A module per language, and one for what they share:

* :mod:`engine.expression.limits`: the bounds every evaluation runs under and the shared guards;
* :mod:`engine.expression.juel`: JUEL (Camunda 7's EL), whole and composite expressions;
* :mod:`engine.expression.dates`: the Camunda date idiom (``dateTime()``) and ISO timer literals;
* :mod:`engine.expression.python`: SpiffWorkflow's Python subset and safe scripts.

This module is the public face: it recognises the language by the text's shape after ``strip()``:

* **JUEL** (Camunda 7), when the text holds ``${...}`` or ``#{...}`` (text around them makes a
  composite expression, evaluated to text as Camunda's EL does). A small tokenizer and
  Pratt parser build our own node tree, and an interpreter walks it with JUEL's coercion rules.
  Camunda's ``dateTime()``/``now()`` idiom is emulated by :class:`DateTime`.
* **Bare ISO 8601 timer values** as Camunda Modeler writes them (``P14D``, ``R3/PT10H``,
  ``2026-03-01T09:00:00Z``); they evaluate to themselves.
* **A Python expression subset** (SpiffWorkflow's own syntax): parsed with :func:`ast.parse` and
  interpreted node by node from an allow-list. No attribute access, no builtins, no comprehensions.

Nothing here calls ``eval``/``exec`` or compiles code. Every evaluation has bounded cost: the text,
node count and nesting depth are limited, integers stay below :data:`MAX_INT_BITS` bits, and strings,
lists and dicts built by an expression stay below :data:`MAX_SIZE` items or characters (checked
before the work is done). Every failure is an :class:`~engine.errors.ExpressionError`.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from engine.errors import ExpressionError
from engine.expression.cron import CronError, is_cron, parse_cron
from engine.expression.dates import (
    _DATE_ONLY,
    DateTime,
    is_iso_timer_literal,
    to_utc_datetime,
)
from engine.expression.juel import (
    _composite,
    _el_str,
    _juel_source,
    _JuelInterpreter,
    _parse_juel,
)
from engine.expression.limits import (
    MAX_DEPTH,
    MAX_INT_BITS,
    MAX_NODES,
    MAX_SIZE,
    MAX_STATEMENTS,
    MAX_TEXT_LENGTH,
    MAX_VALUE_DEPTH,
    UnknownVariableError,
    _fail,
    _prepare,
    _too_big,
    _type_name,
    _wrap,
)
from engine.expression.python import (
    _compile_python,
    _compile_script,
    _PyInterpreter,
    _ScriptRunner,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_INT_BITS",
    "MAX_NODES",
    "MAX_SIZE",
    "MAX_STATEMENTS",
    "MAX_TEXT_LENGTH",
    "MAX_VALUE_DEPTH",
    "DateTime",
    "UnknownVariableError",
    "evaluate",
    "evaluate_timer",
    "execute_script",
    "run_foreign_script",
    "run_return_script",
    "is_iso_timer_literal",
    "to_utc_datetime",
    "validate_expression",
    "validate_script",
]

# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def _python_body(source: str) -> ast.expr:
    try:
        return _compile_python(source)
    except ExpressionError as exc:
        if "${" in source or "#{" in source:
            raise ExpressionError(
                "text mixed with ${...} is not supported; write the whole value as one ${...} expression"
            ) from exc
        raise


def validate_expression(text: str) -> None:
    """Parse and check an expression statically; raise ExpressionError saying what is wrong.

    Accepts JUEL (``${...}``/``#{...}``), bare ISO 8601 timer values and the Python subset. Used at
    deploy time on every condition, timer and property value. A part that needs no variable (such
    as ``10**10**10``) is tried once with the cost bounds, so an expression that can only fail is
    refused at deploy rather than at run time.
    """
    source = _prepare(text)
    try:
        juel = _juel_source(source)
        composite = _composite(source) if juel is None else None
        if juel is not None:
            _parse_juel(juel)
        elif composite is not None:
            for is_expression, part in composite:
                if is_expression:
                    _parse_juel(part)
        elif is_iso_timer_literal(source) or _is_valid_cron(source):
            return
        else:
            _python_body(source)
    except ExpressionError:
        raise
    except Exception as exc:  # noqa: BLE001 - nothing but ExpressionError may leave this module
        raise _wrap(exc) from exc
    _try_constant(lambda: evaluate(source, {}, now=_DEPLOY_PROBE_TIME))


_DEPLOY_PROBE_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def _is_valid_cron(text: str) -> bool:
    """A Quartz cron expression, as a Camunda ``timeCycle`` may be (``0 0/5 * * * ?``)."""
    if not is_cron(text):
        return False
    try:
        parse_cron(text)
    except CronError:
        return False
    return True


def _try_constant(run: Any) -> None:
    """Run a check evaluation with no variables; only errors of the expression itself count."""
    try:
        run()
    except UnknownVariableError:
        return
    except ExpressionError as exc:
        if "unknown variable" in str(exc) or "execution" in str(exc):
            return
        raise


def evaluate(
    text: str,
    variables: Mapping[str, Any],
    *,
    now: datetime | None = None,
    context: Mapping[str, Any] | None = None,
) -> Any:
    """Evaluate an expression against ``variables`` and return its value.

    JUEL returns JUEL values (``dateTime()`` gives a :class:`DateTime`); an ISO timer literal returns
    itself; the Python subset returns plain Python values. ``now`` (aware) is the current time for
    ``dateTime()``/``now()``; ``context`` supplies Camunda objects such as ``execution`` (a dict with
    ``processBusinessKey``). Every failure raises ExpressionError.
    """
    source = _prepare(text)
    try:
        juel = _juel_source(source)
        if juel is not None:
            tree = _parse_juel(juel)
            return _JuelInterpreter(variables, now, context).visit(tree)
        composite = _composite(source)
        if composite is not None:
            # Camunda EL composite expression: every ${...} coerced to text, joined with the literal text
            interpreter = _JuelInterpreter(variables, now, context)
            pieces = [_el_str(interpreter.visit(_parse_juel(p))) if e else p for e, p in composite]
            joined = "".join(pieces)
            if len(joined) > MAX_SIZE:
                _too_big()
            return joined
        if is_iso_timer_literal(source) or _is_valid_cron(source):
            return source
        body = _python_body(source)
        return _PyInterpreter(variables).visit(body)
    except ExpressionError:
        raise
    except Exception as exc:  # noqa: BLE001 - nothing but ExpressionError may leave this module
        raise _wrap(exc) from exc


def validate_script(text: str) -> None:
    """Check a script statically: assignments, augmented assignments and expressions only."""
    if not isinstance(text, str):
        _fail(f"a script must be text, not {_type_name(text)}")
    try:
        _compile_script(text)
    except ExpressionError:
        raise
    except Exception as exc:  # noqa: BLE001 - nothing but ExpressionError may leave this module
        raise _wrap(exc) from exc
    _try_constant(lambda: execute_script(text, {}, now=_DEPLOY_PROBE_TIME))


def execute_script(text: str, variables: dict[str, Any], *, now: datetime | None = None) -> None:
    """Run a script, updating ``variables`` in place; on any error nothing is changed.

    The script runs on a copy: assignment has value semantics (setting ``x['a']`` never changes the
    caller's objects), and the result is written back only when every statement succeeded. ``now``
    is accepted for symmetry with :func:`evaluate`; the Python subset has no clock functions.
    """
    if not isinstance(text, str):
        _fail(f"a script must be text, not {_type_name(text)}")
    try:
        statements = _compile_script(text)
        work = dict(variables)
        _ScriptRunner(work).run(statements)
    except ExpressionError:
        raise
    except Exception as exc:  # noqa: BLE001 - nothing but ExpressionError may leave this module
        raise _wrap(exc) from exc
    variables.update(work)


def evaluate_timer(text: str, variables: Mapping[str, Any], *, now: datetime) -> str:
    """Evaluate a timer definition (timeDate, timeDuration or timeCycle) to an ISO 8601 string.

    An ISO literal is returned unchanged. An expression's value is converted: a DateTime or datetime
    becomes its UTC ``isoformat()``; a date (or ``YYYY-MM-DD`` text) becomes midnight Europe/Amsterdam
    in UTC; other text must itself be an ISO timer literal.
    """
    source = _prepare(text)
    if is_iso_timer_literal(source) or _is_valid_cron(source):
        return source
    value = evaluate(source, variables, now=now)
    if isinstance(value, DateTime | datetime | date):
        return to_utc_datetime(value).isoformat()
    if isinstance(value, str):
        candidate = value.strip()
        if is_iso_timer_literal(candidate) or _is_valid_cron(candidate):
            return candidate
        if _DATE_ONLY.fullmatch(candidate):
            return to_utc_datetime(candidate).isoformat()
        _fail(f"timer value '{value[:100]}' is not an ISO 8601 date-time, duration or cycle")
    _fail(f"a timer needs a date-time, duration or cycle, not {_type_name(value)}")


def run_return_script(text: str, variables: Mapping[str, Any], *, now: datetime | None = None) -> Any:
    """A Groovy/JavaScript script's value, for the forms :mod:`engine.expression.scripts` accepts."""
    from engine.expression.scripts import compile_foreign_script

    source = compile_foreign_script(text)
    return None if source is None else evaluate(source, variables, now=now)


def run_foreign_script(
    text: str, variables: Mapping[str, Any], *, now: datetime | None = None
) -> tuple[dict[str, Any], Any]:
    """Run a Groovy/JavaScript script of the forms :mod:`engine.expression.scripts` accepts.

    Returns (the process variables it sets, its value). Nothing is set when any statement fails.
    """
    from engine.expression.scripts import compile_foreign_statements

    local: dict[str, Any] = {}
    sets: dict[str, Any] = {}
    value: Any = None
    for kind, name, source in compile_foreign_statements(text):
        result = evaluate(source, {**variables, **sets, **local}, now=now)
        if kind == "set":
            sets[name] = result
        elif kind == "local":
            local[name] = result
        else:
            value = result
    return sets, value

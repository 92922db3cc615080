"""Validation of submitted task data against a Camunda generated form.

SpiffWorkflow does not validate form data, so every completion passes through
:func:`validate_submission` first. It reports every bad field at once and changes nothing on
error; on success it returns the cleaned variables to merge into the instance.

Values stay JSON-native: dates are kept as ``YYYY-MM-DD`` strings (the library cannot serialize
``date`` objects) and a key named ``typename`` is refused anywhere, because the library fails to
deserialize task data holding one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date

from engine.camunda import VARIABLE_NAME_RE, FormField, is_expression
from engine.errors import FormValidationError, Problem

__all__ = ["FORBIDDEN_KEY", "MAX_NESTING", "validate_submission", "validate_free_variables"]

FORBIDDEN_KEY = "typename"
"""A key SpiffWorkflow's serializer cannot read back; refused at any depth."""

MAX_NESTING = 32
"""Deepest list/object nesting accepted in free-form task data."""

_LONG_MIN = -(2**63)
_LONG_MAX = 2**63 - 1
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_MISSING = object()


def _is_blank(value: object) -> bool:
    return value is None or value == ""


def _valid_date(value: str) -> bool:
    if not _DATE_RE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _json_problems(value: object, path: str, depth: int = 0) -> list[Problem]:
    """Problems with a free-form JSON value: odd types, non-finite numbers, ``typename`` keys."""
    if depth > MAX_NESTING:
        return [Problem(f"is nested more than {MAX_NESTING} levels deep", field=path)]
    if value is None or isinstance(value, bool | int | str):
        return []
    if isinstance(value, float):
        return [] if math.isfinite(value) else [Problem("must be a finite number", field=path)]
    if isinstance(value, list | tuple):
        problems: list[Problem] = []
        for index, item in enumerate(value):
            problems.extend(_json_problems(item, f"{path}[{index}]", depth + 1))
        return problems
    if isinstance(value, Mapping):
        problems = []
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(Problem("object keys must be text", field=path))
                continue
            child = f"{path}.{key}"
            if key == FORBIDDEN_KEY:
                problems.append(Problem(f"the key '{FORBIDDEN_KEY}' is not allowed", field=child))
                continue
            problems.extend(_json_problems(item, child, depth + 1))
        return problems
    return [Problem(f"must be a JSON value, not {type(value).__name__}", field=path)]


def validate_free_variables(data: Mapping[str, object]) -> dict[str, object]:
    """Validate variables for a task without a form (or a start without a start form).

    Keys must match ``^[A-Za-z][A-Za-z0-9_]{0,63}$`` and must not be ``typename``; values may
    be any JSON value (text, numbers, booleans, null, lists, objects) with no ``typename`` key at
    any depth. Raises :class:`~engine.errors.FormValidationError` listing every problem.
    """
    problems = _free_problems(data)
    if problems:
        raise FormValidationError(problems)
    return dict(data)


def _free_problems(data: Mapping[str, object]) -> list[Problem]:
    problems: list[Problem] = []
    for key, value in data.items():
        if not isinstance(key, str):
            problems.append(Problem("variable names must be text", field=str(key)))
            continue
        if key == FORBIDDEN_KEY:
            problems.append(Problem(f"the name '{FORBIDDEN_KEY}' is not allowed", field=key))
            continue
        if not VARIABLE_NAME_RE.match(key):
            problems.append(
                Problem(
                    "is not a valid variable name (a letter, then up to 63 letters, digits or '_')",
                    field=key,
                )
            )
            continue
        problems.extend(_json_problems(value, key))
    return problems


def _coerce(form_field: FormField, value: object) -> tuple[object, list[Problem]]:
    """Check one non-blank submitted value against its field's type and constraints."""
    name = form_field.id
    kind = form_field.type
    constraints = form_field.constraints
    problems: list[Problem] = []
    if kind == "string":
        if not isinstance(value, str):
            return value, [Problem("must be text", field=name)]
        minlength = constraints.get("minlength")
        maxlength = constraints.get("maxlength")
        if isinstance(minlength, int) and len(value) < minlength:
            problems.append(Problem(f"must be at least {minlength} characters long", field=name))
        if isinstance(maxlength, int) and len(value) > maxlength:
            problems.append(Problem(f"must be at most {maxlength} characters long", field=name))
        return value, problems
    if kind == "long":
        if isinstance(value, bool) or not isinstance(value, int):
            return value, [Problem("must be a whole number", field=name)]
        if not _LONG_MIN <= value <= _LONG_MAX:
            return value, [Problem("is out of range for a whole number", field=name)]
        low, high = constraints.get("min"), constraints.get("max")
        if isinstance(low, int) and value < low:
            problems.append(Problem(f"must be at least {low}", field=name))
        if isinstance(high, int) and value > high:
            problems.append(Problem(f"must be at most {high}", field=name))
        return value, problems
    if kind == "boolean":
        if not isinstance(value, bool):
            return value, [Problem("must be true or false", field=name)]
        return value, []
    if kind == "date":
        if not isinstance(value, str) or not _valid_date(value):
            return value, [Problem("must be a date as YYYY-MM-DD", field=name)]
        low, high = constraints.get("min"), constraints.get("max")
        if isinstance(low, str) and value < low:
            problems.append(Problem(f"must be on or after {low}", field=name))
        if isinstance(high, str) and value > high:
            problems.append(Problem(f"must be on or before {high}", field=name))
        return value, problems
    if kind == "enum":
        if not isinstance(value, str):
            return value, [Problem("must be one of the listed options", field=name)]
        allowed = [option_id for option_id, _ in form_field.options]
        if allowed and value not in allowed:
            return value, [Problem(f"must be one of: {', '.join(allowed)}", field=name)]
        return value, []
    return value, [Problem(f"has unsupported type '{kind}'", field=name)]


def _reference_value(form_field: FormField, current: Mapping[str, object] | None) -> object:
    """What a read-only field holds now: the instance's value, else the form's default."""
    if current is not None and form_field.id in current:
        return current[form_field.id]
    if form_field.default is None or is_expression(form_field.default):
        return _MISSING
    return form_field.typed_default()


def validate_submission(
    fields: Sequence[FormField],
    data: Mapping[str, object],
    *,
    current: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """Validate submitted task data against a form; return the cleaned variables.

    ``fields`` is the task's form (empty for a task without a form: then any JSON object with
    valid variable names is accepted). ``current`` holds the instance's variables, used to check
    read-only fields. Only submitted, writable fields are returned; nothing else is added.
    Raises :class:`~engine.errors.FormValidationError` listing every problem; on error nothing
    is returned and nothing should change.
    """
    if not isinstance(data, Mapping):
        raise FormValidationError([Problem("the variables must be a JSON object")])
    if not fields:
        return validate_free_variables(data)

    problems: list[Problem] = []
    by_id = {form_field.id: form_field for form_field in fields}
    for key in data:
        if key in by_id:
            continue
        if key == FORBIDDEN_KEY:
            problems.append(Problem(f"the name '{FORBIDDEN_KEY}' is not allowed", field=str(key)))
        else:
            problems.append(Problem("unknown field", field=str(key)))

    cleaned: dict[str, object] = {}
    for form_field in fields:
        name = form_field.id
        value = data.get(name, _MISSING)
        submitted = value is not _MISSING
        if form_field.readonly:
            if submitted:
                reference = _reference_value(form_field, current)
                if reference is _MISSING:
                    changed = not _is_blank(value)
                else:
                    changed = value != reference or type(value) is not type(reference)
                if changed:
                    problems.append(Problem("is read-only and cannot be changed", field=name))
            continue
        if not submitted or _is_blank(value):
            if form_field.required and form_field.default is None:
                problems.append(Problem("is required", field=name))
            elif submitted:
                # An optional field explicitly cleared: text keeps '', other types become null.
                cleaned[name] = value if (form_field.type == "string" and value == "") else None
            continue
        coerced, field_problems = _coerce(form_field, value)
        if field_problems:
            problems.extend(field_problems)
        else:
            cleaned[name] = coerced

    if problems:
        raise FormValidationError(problems)
    return cleaned

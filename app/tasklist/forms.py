"""Task forms: the stored form fields ready for a page, and posted values as typed variables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.camunda import is_expression

#: A string field allowing more than this many characters is a textarea.
LONG_TEXT = 200


def _shown_default(form_field: Mapping[str, Any]) -> Any:
    default = form_field.get("default")
    return None if isinstance(default, str) and is_expression(default) else default


def form_fields(
    row: Any, values: Mapping[str, Any] | None, current: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The task's stored form fields, ready for the template, with the value each shows.

    ``values`` are what the user typed (after a validation error, a conflict or an expired form);
    without them a field shows its default.
    """
    out = []
    for form_field in row.form or []:
        constraints = dict(form_field.get("constraints") or {})
        readonly = bool(constraints.get("readonly"))
        name = form_field.get("id")
        kind = form_field.get("type")
        if readonly:
            value = current.get(name, _shown_default(form_field))
        elif values is not None:
            value = values.get(name)
            if kind == "boolean":
                value = value in (True, "on", "true")
        else:
            value = _shown_default(form_field)
        if kind == "date" and isinstance(value, str):
            value = date_to_dutch(value)
        maxlength = constraints.get("maxlength")
        long_text = kind == "string" and (maxlength is None or int(maxlength) > LONG_TEXT)
        out.append(
            {
                "id": name,
                "label": form_field.get("label") or name,
                "type": kind,
                "required": bool(form_field.get("required")) and not readonly,
                "readonly": readonly,
                "options": list(form_field.get("options") or []),
                "constraints": constraints,
                "value": value,
                "textarea": long_text,
            }
        )
    return out


def date_to_dutch(value: str) -> str:
    """``2027-01-04`` as ``04-01-2027``; anything else unchanged."""
    text = value.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit():
        return f"{text[8:10]}-{text[5:7]}-{text[0:4]}"
    return value


def date_from_dutch(value: str) -> str:
    """``04-01-2027`` (also ``4-1-2027``) as ``2027-01-04``; anything else unchanged, for the validator."""
    text = value.strip()
    parts = text.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[2]) == 4:
        day, month, year = parts
        if 1 <= len(day) <= 2 and 1 <= len(month) <= 2:
            return f"{year}-{int(month):02d}-{int(day):02d}"
    return text


def typed_values(row: Any, form: Mapping[str, str]) -> dict[str, Any]:
    """The posted form as typed variables: long as int, boolean as bool, empty fields left out.

    Read-only fields are never sent. A long that is not a whole number goes through as text, so
    the engine's validation reports it like every other bad value; a date is typed dd-mm-jjjj.
    """
    variables: dict[str, Any] = {}
    for form_field in row.form or []:
        name = form_field.get("id")
        if (form_field.get("constraints") or {}).get("readonly"):
            continue
        kind = form_field.get("type")
        if kind == "boolean":
            variables[name] = name in form
            continue
        raw = form.get(name, "")
        if raw.strip() == "":
            continue
        if kind == "long":
            try:
                variables[name] = int(raw.strip())
            except ValueError:
                variables[name] = raw
        elif kind == "date":
            variables[name] = date_from_dutch(raw)
        else:
            variables[name] = raw
    return variables

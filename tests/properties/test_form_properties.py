"""Form validation: any submission is either cleaned to the form's types or refused naming fields."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.camunda import FormField
from engine.errors import FormValidationError
from engine.forms import MAX_NESTING, validate_free_variables, validate_submission
from tests.properties import bounded

FIELD_IDS = st.sampled_from(["besluit", "bedrag", "opmerking", "datum", "akkoord", "scenario", "typename"])


@st.composite
def form_fields(draw: st.DrawFn) -> FormField:
    kind = draw(st.sampled_from(["string", "long", "boolean", "date", "enum"]))
    constraints: dict[str, Any] = {}
    if kind == "string":
        if draw(st.booleans()):
            constraints["maxlength"] = draw(st.integers(0, 20))
        if draw(st.booleans()):
            constraints["minlength"] = draw(st.integers(0, 5))
    elif kind == "long":
        if draw(st.booleans()):
            constraints["min"] = draw(st.integers(-100, 0))
        if draw(st.booleans()):
            constraints["max"] = draw(st.integers(0, 100))
    elif kind == "date" and draw(st.booleans()):
        constraints["min"] = "2027-01-01"
    options = (("1", "Een"), ("2", "Twee"), ("3", "Drie")) if kind == "enum" else ()
    return FormField(
        id=draw(FIELD_IDS.filter(lambda i: i != "typename")),
        label="Veld",
        type=kind,
        required=draw(st.booleans()),
        readonly=draw(st.booleans()),
        options=options,
        constraints=constraints,
        default=draw(st.one_of(st.none(), st.sampled_from(["1", "ja", "${x}", "2027-01-04"]))),
    )


JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
        st.sampled_from(["2027-01-04", "2027-02-30", "", "  ", "1", "3", "ja"]),
        st.dates().map(date.isoformat),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
SUBMISSIONS = st.dictionaries(st.one_of(FIELD_IDS, st.text(max_size=12)), JSON_VALUES, max_size=8)


@bounded(150)
@given(st.lists(form_fields(), max_size=5, unique_by=lambda f: f.id), SUBMISSIONS, SUBMISSIONS)
def test_a_submission_is_cleaned_to_the_form_or_refused_naming_fields(
    fields: list[FormField], data: dict[str, Any], current: dict[str, Any]
) -> None:
    try:
        cleaned = validate_submission(fields, data, current=current)
    except FormValidationError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.message
            if fields:
                assert problem.field in data or problem.field in {f.id for f in fields}, problem
        return
    if not fields:
        assert cleaned == data
        return
    by_id = {f.id: f for f in fields}
    assert set(cleaned) <= set(data) and set(cleaned) <= set(by_id)
    for name, value in cleaned.items():
        field = by_id[name]
        assert not field.readonly
        if value is None or value == "":
            assert not (field.required and field.default is None)
            continue
        expected = {"string": str, "long": int, "boolean": bool, "date": str, "enum": str}[field.type]
        assert isinstance(value, expected)
        if field.type == "long":
            assert not isinstance(value, bool)
        if field.type == "enum":
            assert value in {"1", "2", "3"}
        if field.type == "date":
            date.fromisoformat(value)
    json.dumps(cleaned, allow_nan=False)  # what is kept can always be stored


@bounded(100)
@given(st.dictionaries(st.text(max_size=70), JSON_VALUES, max_size=6))
def test_free_variables_are_json_with_good_names_or_refused(data: dict[str, Any]) -> None:
    try:
        cleaned = validate_free_variables(data)
    except FormValidationError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    assert cleaned == data
    json.dumps(cleaned, allow_nan=False)
    assert all(name[:1].isascii() and name[:1].isalpha() and name != "typename" for name in cleaned)


def test_free_variables_refuse_deep_nesting() -> None:
    value: Any = 1
    for _ in range(MAX_NESTING + 2):
        value = [value]
    try:
        validate_free_variables({"x": value})
    except FormValidationError as exc:
        assert "nested" in exc.problems[0].message
    else:
        raise AssertionError("deep nesting was accepted")

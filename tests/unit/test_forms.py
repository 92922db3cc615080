"""Submitted task data against a generated form: types, constraints, read-only, unknown keys."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from engine.camunda import FormField
from engine.errors import FormValidationError
from engine.forms import validate_submission


def _field(
    field_id: str,
    field_type: str = "string",
    *,
    required: bool = False,
    readonly: bool = False,
    options: tuple[tuple[str, str], ...] = (),
    constraints: dict[str, int | str] | None = None,
    default: str | None = None,
) -> FormField:
    return FormField(
        id=field_id,
        label=field_id.title(),
        type=field_type,
        required=required,
        readonly=readonly,
        options=options,
        constraints=MappingProxyType(constraints or {}),
        default=default,
    )


def _problems(fields: list[FormField], data: dict[str, object], **kwargs: object) -> dict[str, list[str]]:
    with pytest.raises(FormValidationError) as caught:
        validate_submission(fields, data, **kwargs)  # type: ignore[arg-type]
    by_field: dict[str, list[str]] = {}
    for problem in caught.value.problems:
        by_field.setdefault(problem.field or "", []).append(problem.message)
    return by_field


SCENARIO = _field("scenario", "enum", required=True, options=(("1", "Eén"), ("2", "Twee"), ("3", "Drie")))


def test_every_type_is_accepted_and_kept_json_native() -> None:
    fields = [
        _field("naam"),
        _field("aantal", "long"),
        _field("akkoord", "boolean"),
        _field("datum", "date"),
        SCENARIO,
    ]
    data = {"naam": "Amira", "aantal": 3, "akkoord": False, "datum": "2024-02-29", "scenario": "2"}
    cleaned = validate_submission(fields, data)
    assert cleaned == data
    assert isinstance(cleaned["datum"], str)
    assert cleaned["akkoord"] is False


@pytest.mark.parametrize(
    ("field_type", "value"),
    [
        ("string", 5),
        ("string", ["a"]),
        ("long", "5"),
        ("long", 5.0),
        ("long", True),
        ("long", 2**63),
        ("boolean", "true"),
        ("boolean", 1),
        ("date", "2024-02-30"),
        ("date", "29-02-2024"),
        ("date", "2024-2-1"),
        ("date", 20240201),
        ("enum", "4"),
        ("enum", 1),
    ],
)
def test_wrong_types_are_refused(field_type: str, value: object) -> None:
    form_field = SCENARIO if field_type == "enum" else _field("x", field_type)
    problems = _problems([form_field], {form_field.id: value})
    assert list(problems) == [form_field.id]


def test_required_missing_none_and_empty_are_errors() -> None:
    fields = [_field("a", required=True), _field("b", "long", required=True), _field("c", required=True)]
    problems = _problems(fields, {"b": None, "c": ""})
    assert problems == {"a": ["is required"], "b": ["is required"], "c": ["is required"]}


def test_required_field_with_a_default_may_be_omitted() -> None:
    fields = [_field("a", required=True, default="standaard")]
    assert validate_submission(fields, {}) == {}


def test_only_submitted_values_are_returned() -> None:
    fields = [_field("a"), _field("b", "long", default="7")]
    assert validate_submission(fields, {"a": "x"}) == {"a": "x"}


def test_optional_fields_can_be_cleared() -> None:
    fields = [_field("a"), _field("b", "long"), _field("c", "date")]
    assert validate_submission(fields, {"a": "", "b": None, "c": ""}) == {"a": "", "b": None, "c": None}


def test_string_length_constraints() -> None:
    fields = [_field("kort", constraints={"minlength": 2, "maxlength": 4})]
    assert validate_submission(fields, {"kort": "abcd"}) == {"kort": "abcd"}
    assert _problems(fields, {"kort": "a"}) == {"kort": ["must be at least 2 characters long"]}
    assert _problems(fields, {"kort": "abcde"}) == {"kort": ["must be at most 4 characters long"]}


def test_long_range_constraints() -> None:
    fields = [_field("n", "long", constraints={"min": -1, "max": 10})]
    assert validate_submission(fields, {"n": -1}) == {"n": -1}
    assert validate_submission(fields, {"n": 10}) == {"n": 10}
    assert _problems(fields, {"n": -2}) == {"n": ["must be at least -1"]}
    assert _problems(fields, {"n": 11}) == {"n": ["must be at most 10"]}


def test_date_range_constraints() -> None:
    fields = [_field("d", "date", constraints={"min": "2024-01-01", "max": "2024-12-31"})]
    assert validate_submission(fields, {"d": "2024-12-31"}) == {"d": "2024-12-31"}
    assert _problems(fields, {"d": "2023-12-31"}) == {"d": ["must be on or after 2024-01-01"]}
    assert _problems(fields, {"d": "2025-01-01"}) == {"d": ["must be on or before 2024-12-31"]}


def test_enum_lists_the_allowed_options() -> None:
    assert _problems([SCENARIO], {"scenario": "4"}) == {"scenario": ["must be one of: 1, 2, 3"]}


def test_enum_without_options_accepts_any_text() -> None:
    dynamic = _field("userName", "enum", default="#{users}")
    assert validate_submission([dynamic], {"userName": "Niall"}) == {"userName": "Niall"}


def test_readonly_field_must_not_change() -> None:
    fields = [_field("naam", readonly=True), _field("akkoord", "boolean")]
    current = {"naam": "Amira"}
    assert validate_submission(fields, {"naam": "Amira", "akkoord": True}, current=current) == {
        "akkoord": True
    }
    assert validate_submission(fields, {"akkoord": True}, current=current) == {"akkoord": True}
    assert _problems(fields, {"naam": "Bram"}, current=current) == {
        "naam": ["is read-only and cannot be changed"]
    }


def test_readonly_compares_with_the_default_without_current_values() -> None:
    fields = [_field("n", "long", readonly=True, default="5")]
    assert validate_submission(fields, {"n": 5}) == {}
    assert _problems(fields, {"n": 6}) == {"n": ["is read-only and cannot be changed"]}
    assert _problems(fields, {"n": "5"}) == {"n": ["is read-only and cannot be changed"]}


def test_readonly_required_field_needs_no_submission() -> None:
    fields = [_field("naam", required=True, readonly=True)]
    assert validate_submission(fields, {}, current={"naam": "Amira"}) == {}


def test_unknown_field_is_refused() -> None:
    assert _problems([SCENARIO], {"scenario": "1", "extra": 1}) == {"extra": ["unknown field"]}


def test_typename_is_refused_on_a_form() -> None:
    problems = _problems([SCENARIO], {"scenario": "1", "typename": "x"})
    assert list(problems) == ["typename"]


def test_all_problems_are_reported_together() -> None:
    fields = [
        _field("naam", required=True, constraints={"maxlength": 3}),
        _field("aantal", "long", constraints={"min": 0}),
        _field("akkoord", "boolean", required=True),
        _field("datum", "date"),
        SCENARIO,
        _field("vast", readonly=True, default="a"),
    ]
    data = {"naam": "te lang", "aantal": -1, "datum": "gisteren", "scenario": "9", "vast": "b", "onbekend": 1}
    problems = _problems(fields, data)
    assert set(problems) == {"naam", "aantal", "akkoord", "datum", "scenario", "vast", "onbekend"}


def test_nothing_is_changed_on_error() -> None:
    data: dict[str, object] = {"scenario": "9"}
    snapshot = dict(data)
    _problems([SCENARIO], data)
    assert data == snapshot


# -- tasks without a form ------------------------------------------------------------------------


def test_free_form_accepts_json_values() -> None:
    data = {"a": 1, "b": "x", "c": [1, {"d": None}], "e": {"f": True}, "g": 1.5}
    assert validate_submission([], data) == data


@pytest.mark.parametrize("key", ["1abc", "_x", "with-dash", "a" * 65, "", "spatie in naam"])
def test_free_form_refuses_bad_names(key: str) -> None:
    assert list(_problems([], {key: 1})) == [key]


def test_free_form_accepts_the_longest_name() -> None:
    key = "a" + "b" * 63
    assert validate_submission([], {key: 1}) == {key: 1}


def test_typename_is_refused_at_any_depth() -> None:
    problems = _problems([], {"typename": 1, "a": {"b": [{"typename": "x"}]}})
    assert set(problems) == {"typename", "a.b[0].typename"}


def test_free_form_refuses_non_json_values() -> None:
    import datetime
    from decimal import Decimal

    problems = _problems([], {"d": datetime.date(2024, 1, 1), "n": Decimal("1.5"), "f": float("nan")})
    assert set(problems) == {"d", "n", "f"}


def test_free_form_refuses_deep_nesting() -> None:
    value: object = 1
    for _ in range(40):
        value = [value]
    problems = _problems([], {"a": value})
    assert [key.split("[")[0] for key in problems] == ["a"]
    assert "nested more than 32 levels" in next(iter(problems.values()))[0]


def test_non_object_body_is_refused() -> None:
    with pytest.raises(FormValidationError):
        validate_submission([SCENARIO], ["scenario"])  # type: ignore[arg-type]

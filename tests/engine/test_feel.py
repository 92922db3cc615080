"""FEEL simple unary tests in DMN cells."""

from __future__ import annotations

import pytest

from engine import expression, feel


def _eval(text: str):
    return expression.evaluate(text, {"limit": 10})


@pytest.mark.parametrize(
    ("cell", "value", "expected"),
    [
        ("-", 5, True),
        ("", "x", True),
        ('"BMW"', "BMW", True),
        ('"BMW","Porsche"', "Porsche", True),
        ('"BMW","Porsche"', "Audi", False),
        ('not("BMW")', "Audi", True),
        ('not("BMW", "Audi")', "Audi", False),
        ("<= 21", 21, True),
        ("< 21", 21, False),
        ("> limit", 11, True),
        ("[0..10000]", 10000, True),
        ("[0..10000[", 10000, False),
        ("]0..10]", 0, False),
        ("(0..10)", 5, True),
        ("[1..5], > 100", 200, True),
        ("true", True, True),
        ("false", True, False),
        ("42", 42, True),
    ],
)
def test_unary_tests(cell: str, value: object, expected: bool) -> None:
    assert feel.matches(cell, value, _eval) is expected


def test_cell_values_go_through_the_safe_evaluator() -> None:
    with pytest.raises(expression.ExpressionError):
        feel.matches("__import__('os')", 1, _eval)

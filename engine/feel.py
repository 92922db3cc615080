"""FEEL simple unary tests, as Camunda Modeler writes them in DMN decision table cells.

SpiffWorkflow evaluates a cell by pasting it after the input expression as Python, which fails on
FEEL ranges (``[0..10000]``) and negations (``not("a")``). Cells are evaluated here instead, and
every value in them goes through the safe evaluator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from engine.errors import ExpressionError, Problem

_RANGE = re.compile(r"^([\[\(\]])\s*(.+?)\s*\.\.\s*(.+?)\s*([\]\)\[])$", re.S)
_COMPARISON = re.compile(r"^(<=|>=|<|>|=|!=)\s*(.+)$", re.S)
_NOT = re.compile(r"^not\s*\((.*)\)$", re.S)
_FEEL_LITERALS = {"true": True, "false": False, "null": None}


def split_tests(text: str) -> list[str]:
    """Split ``a, b, [1..2]`` at top-level commas, outside quotes and brackets."""
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    current: list[str] = []
    for char in text:
        if quote:
            current.append(char)
            if char == quote:
                quote = None
            continue
        if char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]" and depth > 0:
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def matches(cell: str, value: Any, evaluate: Callable[[str], Any]) -> bool:
    """Whether ``value`` passes the unary tests in ``cell``; ``evaluate`` turns endpoint text into values."""
    text = cell.strip()
    if text in ("", "-"):
        return True
    negated = _NOT.match(text)
    if negated:
        return not matches(negated.group(1), value, evaluate)
    return any(_matches_one(test, value, evaluate) for test in split_tests(text))


def _value(text: str, evaluate: Callable[[str], Any]) -> Any:
    text = text.strip()
    if text in _FEEL_LITERALS:
        return _FEEL_LITERALS[text]
    return evaluate(text)


def _matches_one(test: str, value: Any, evaluate: Callable[[str], Any]) -> bool:
    ranged = _RANGE.match(test)
    try:
        if ranged:
            low, high = _value(ranged.group(2), evaluate), _value(ranged.group(3), evaluate)
            above = value >= low if ranged.group(1) == "[" else value > low
            below = value <= high if ranged.group(4) == "]" else value < high
            return bool(above and below)
        compared = _COMPARISON.match(test)
        if compared:
            op, other = compared.group(1), _value(compared.group(2), evaluate)
            return bool(
                {
                    "<": lambda: value < other,
                    "<=": lambda: value <= other,
                    ">": lambda: value > other,
                    ">=": lambda: value >= other,
                    "=": lambda: value == other,
                    "!=": lambda: value != other,
                }[op]()
            )
        return bool(value == _value(test, evaluate))
    except TypeError as exc:
        raise ExpressionError(f"cannot compare {value!r} with '{test}'") from exc


def check_cell(cell: str, validate: Callable[[str], None]) -> None:
    """Check an input entry statically, as :func:`matches` would read it: every value in it goes
    through ``validate`` (the evaluator's deploy-time check); raise ExpressionError if one fails."""
    text = cell.strip()
    if text in ("", "-"):
        return
    negated = _NOT.match(text)
    if negated:
        check_cell(negated.group(1), validate)
        return
    for test in split_tests(text):
        ranged = _RANGE.match(test)
        compared = _COMPARISON.match(test)
        if ranged:
            parts = [ranged.group(2), ranged.group(3)]
        elif compared:
            parts = [compared.group(2)]
        else:
            parts = [test]
        for part in parts:
            if part.strip() not in _FEEL_LITERALS:
                validate(part.strip())


_CELL_KINDS = {
    "inputExpression": "input expression",
    "inputEntry": "input entry",
    "outputEntry": "output entry",
}


def cell_problems(root: Any, validate: Callable[[str], None]) -> list[Problem]:
    """Every input expression, input entry and output entry of a DMN document that does not pass
    ``validate``, naming the rule (or input) and line: DMN cells are checked at deploy like every
    other expression."""
    problems: list[Problem] = []
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.tag.endswith("}text"):
            continue
        holder = element.getparent()
        if holder is None:
            continue
        kind = holder.tag.rsplit("}", 1)[-1]
        if kind not in ("inputExpression", "inputEntry", "outputEntry"):
            continue
        text = element.text or ""
        owner = holder.getparent()  # the rule of an entry, the input of an input expression
        owner_id = owner.get("id") if owner is not None else None
        try:
            if kind == "inputEntry":
                check_cell(text, validate)
            elif text.strip():
                validate(text.strip())
        except ExpressionError as exc:
            problems.append(
                Problem(
                    f"{_CELL_KINDS[kind]} '{text.strip()[:80]}': {exc}",
                    element_id=owner_id or holder.get("id"),
                    line=element.sourceline or None,
                )
            )
    return problems

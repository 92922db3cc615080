"""The evaluator never lets anything escape and always ends within its step budget, whatever it is given.

Expressions and scripts are generated from the pieces an attacker would use (dunder names, builtins,
attribute access, comprehensions, huge numbers and repetitions, deep nesting, JUEL and Python mixed),
combined by the grammar of both languages, and evaluated against hostile variables.
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.budget import StepBudget, StepMeter, metered
from engine.errors import ExpressionError, StepBudgetExceeded
from engine.expression import DateTime, evaluate, execute_script, validate_expression, validate_script
from tests.properties import bounded

#: Wall-time bound for one evaluation: a hang detector, far above what any example needs.
HANG_SECONDS = 10.0
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)

DANGEROUS = [
    "__import__",
    "__builtins__",
    "__class__",
    "__subclasses__",
    "__globals__",
    "__code__",
    "__dict__",
    "open",
    "eval",
    "exec",
    "compile",
    "getattr",
    "setattr",
    "globals",
    "locals",
    "vars",
    "type",
    "object",
    "os",
    "sys",
    "subprocess",
    "breakpoint",
    "input",
    "help",
    "memoryview",
    "bytearray",
    "execution",
    "task",
    "self",
    "lambda",
    "import",
    "yield",
    "await",
]
NAMES = ["x", "y", "s", "items", "d", "n", "big", "nested", "scenario", *DANGEROUS]
ATOMS = st.one_of(
    st.sampled_from(NAMES),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["9" * 400, "10**10**10", "2**4096", "1e308", "0.1", "-0", "True", "None", "null"]),
    st.text(alphabet="ab'\"\\{}$#", max_size=8).map(repr),
    st.sampled_from(["''", '"x"', "'%s'", "f'{x}'", "[]", "{}", "()", "{1}", "{'a': 1}", "[x] * 10**6"]),
)
BINARY = [
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "**",
    "<<",
    ">>",
    "&",
    "|",
    "^",
    "@",
    " and ",
    " or ",
    "==",
    "<",
    " in ",
    " not in ",
    " is ",
    " if x else ",
]
JUEL_BINARY = ["+", "-", "*", "/", " div ", " mod ", "==", " eq ", "<", " lt ", " and ", " or ", " && "]
CALLABLE = [
    "len",
    "str",
    "int",
    "float",
    "bool",
    "min",
    "max",
    "abs",
    "round",
    "sum",
    "any",
    "all",
    "sorted",
    "list",
    "dict",
    *DANGEROUS,
]


def _python(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Python-subset forms; the evaluable ones are drawn most often."""
    binary = st.tuples(children, st.sampled_from(BINARY), children).map("".join)
    call = st.tuples(st.sampled_from(CALLABLE), children).map(lambda p: f"{p[0]}({p[1]})")
    index = st.tuples(children, children).map(lambda p: f"{p[0]}[{p[1]}]")
    return st.one_of(
        binary,
        binary,
        call,
        call,
        index,
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"[{c}, {c}]"),
        st.tuples(children, children).map(lambda p: f"{{{p[0]}: {p[1]}}}"),
        children.map(lambda c: f"{{{c}}}"),
        children.map(lambda c: f"not {c}"),
        children.map(lambda c: f"-{c}"),
        st.tuples(children, children).map(lambda p: f"{p[0]}[{p[1]}:]"),
        st.tuples(children, children).map(lambda p: f"f'{{{p[0]}}}{{{p[1]}!r}}'"),
        st.tuples(children, st.sampled_from(NAMES)).map(lambda p: f"{p[0]}.{p[1]}"),
    )


def _juel(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(JUEL_BINARY), children).map("".join),
        st.tuples(children, children).map(lambda p: f"{p[0]}[{p[1]}]"),
        st.tuples(
            children, st.sampled_from(["size()", "toUpperCase()", "length()", "class", "getClass()"])
        ).map(lambda p: f"{p[0]}.{p[1]}"),
        children.map(lambda c: f"empty {c}"),
        st.tuples(children, children, children).map(lambda p: f"{p[0]} ? {p[1]} : {p[2]}"),
        children.map(lambda c: f"dateTime().plusDays({c}).toDate()"),
        children.map(lambda c: f"({c})"),
    )


PYTHON = st.recursive(ATOMS, _python, max_leaves=10)
JUEL = st.recursive(ATOMS, _juel, max_leaves=8)
_WRAPPED = [
    JUEL.map(lambda e: "${" + e + "}"),
    JUEL.map(lambda e: "#{" + e + "}"),
    PYTHON.map(lambda e: f"[x for x in {e}]"),
    PYTHON.map(lambda e: f"(lambda: {e})()"),
    PYTHON.map(lambda e: "prefix ${" + e + "}"),
]
#: Mostly plain Python-subset expressions (the ones that get evaluated), then JUEL, then refused forms.
EXPRESSIONS = st.integers(0, 19).flatmap(
    lambda i: (
        PYTHON if i < 11 else _WRAPPED[0] if i < 15 else _WRAPPED[1] if i < 16 else _WRAPPED[min(i - 14, 4)]
    )
)
RAW_TEXT = st.text(max_size=60)
VARIABLES = st.fixed_dictionaries(
    {
        "x": st.one_of(st.integers(), st.text(max_size=20), st.none(), st.booleans()),
        "y": st.floats(allow_nan=True, allow_infinity=True),
        "s": st.text(max_size=50),
        "items": st.lists(st.integers(), max_size=20),
        "d": st.dictionaries(st.text(max_size=5), st.integers(), max_size=5),
        "n": st.integers(min_value=-(2**70), max_value=2**70),
    }
).map(lambda v: {**v, "big": "x" * 50_000, "nested": _nest(60), "scenario": "1"})


def _nest(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


PLAIN = (type(None), bool, int, float, str, list, tuple, dict, set, frozenset, DateTime, datetime, date)


def _assert_plain(value: Any, depth: int = 0) -> None:
    """A result is data: never a function, module, type or anything else with behaviour."""
    assert isinstance(value, PLAIN), f"escaped: {type(value)!r}"
    assert depth < 200
    if isinstance(value, dict):
        for key, item in value.items():
            _assert_plain(key, depth + 1)
            _assert_plain(item, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _assert_plain(item, depth + 1)


#: A small step budget, so that the expensive examples hit it: they must stop there.
BUDGET = StepBudget(operations=5_000, wall_seconds=HANG_SECONDS)


def _metered(run: Any) -> Any:
    """Run under a step meter, as every engine step does: it ends with a value, an ExpressionError or
    StepBudgetExceeded, having used no more than its budget of operations and wall time."""
    meter = StepMeter(BUDGET)
    started = time.monotonic()
    try:
        with metered(meter):
            return run()
    finally:
        assert meter.operations <= BUDGET.operations + 1
        assert time.monotonic() - started < HANG_SECONDS


@bounded(200)
@given(EXPRESSIONS, VARIABLES)
def test_an_expression_gives_plain_data_or_an_expression_error(text: str, variables: dict[str, Any]) -> None:
    try:
        value = _metered(lambda: evaluate(text, variables, now=NOW))
    except (ExpressionError, StepBudgetExceeded):
        return
    _assert_plain(value)


@bounded(100)
@given(st.one_of(EXPRESSIONS, RAW_TEXT))
def test_the_deploy_check_never_escapes(text: str) -> None:
    with contextlib.suppress(ExpressionError, StepBudgetExceeded):
        _metered(lambda: validate_expression(text))


@bounded(80)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.sampled_from(NAMES + ["d['k']", "items[0]", "r"]), EXPRESSIONS).map(" = ".join),
            st.tuples(st.sampled_from(["x", "n", "r"]), st.sampled_from(["+=", "*=", "-="]), EXPRESSIONS).map(
                " ".join
            ),
            EXPRESSIONS,
            st.sampled_from(["import os", "def f(): pass", "while True: pass", "for i in x: pass", "del x"]),
        ),
        min_size=1,
        max_size=8,
    ).map("\n".join),
    VARIABLES,
)
def test_a_script_changes_plain_data_or_nothing(script: str, variables: dict[str, Any]) -> None:
    before = {k: repr(v)[:2000] for k, v in variables.items()}
    work = dict(variables)
    try:
        _metered(lambda: validate_script(script))
        _metered(lambda: execute_script(script, work, now=NOW))
    except (ExpressionError, StepBudgetExceeded):
        assert work == variables  # nothing changed on failure
        return
    finally:
        # the caller's values are never changed in place, success or not
        assert {k: repr(v)[:2000] for k, v in variables.items()} == before
    for name, value in work.items():
        assert not name.startswith("_")
        _assert_plain(value)

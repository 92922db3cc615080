"""DMN cells are checked at deploy like every other expression: a bad cell names its rule and line."""

from __future__ import annotations

import pytest

from engine.definition import SpecLibrary
from engine.errors import DeployError, ExpressionError
from engine.expression import validate_expression
from engine.feel import check_cell
from tests.conftest import FIXTURES

FRAUD = (FIXTURES / "compat" / "fraudRating.dmn").read_bytes()


def test_a_valid_table_still_deploys() -> None:
    SpecLibrary().parse("fraudRating.dmn", FRAUD)


@pytest.mark.parametrize(
    ("old", "new", "element", "says"),
    [
        (b"<![CDATA[0, >5]]>", b"<![CDATA[0, >__import__('os')]]>", "row-310344083-5", "input entry"),
        (b"<![CDATA[0, >5]]>", b"<![CDATA[[1..open('x')]]]>", "row-310344083-5", "function 'open'"),
        (b"<![CDATA[0, >5]]>", b"<![CDATA[not(a.b)]]>", "row-310344083-5", "attribute access"),
        (b"<![CDATA[0, >5]]>", b"<![CDATA[10**10**10]]>", "row-310344083-5", "too large"),
        (b"<text>-50</text>", b"<text>exec('1')</text>", "row-310344083-5", "output entry"),
        (b"<text>paymentRejected</text>", b"<text>().__class__</text>", None, "input expression"),
    ],
    ids=["import", "range-call", "negated-attribute", "power-bomb", "output", "input-expression"],
)
def test_a_bad_cell_is_refused_at_deploy(old: bytes, new: bytes, element: str | None, says: str) -> None:
    assert old in FRAUD
    with pytest.raises(DeployError) as caught:
        SpecLibrary().parse("fraudRating.dmn", FRAUD.replace(old, new, 1))
    problem = caught.value.problems[0]
    assert says in problem.message, problem
    assert problem.line and problem.line > 1
    if element:
        assert problem.element_id == element


@pytest.mark.parametrize(
    "cell", ["", "-", "5", '"gold"', "[1..10]", "]1..10[", "not(1, 2)", ">= 3, < 0", "null"]
)
def test_cells_that_run_also_pass_the_check(cell: str) -> None:
    check_cell(cell, validate_expression)


def test_check_cell_reports_the_first_bad_value() -> None:
    with pytest.raises(ExpressionError, match="not allowed"):
        check_cell('"a", [1..x.y]', validate_expression)

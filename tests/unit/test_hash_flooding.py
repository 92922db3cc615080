"""Dict keys and set items an attacker can make collide are refused before a dict is built."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import ExpressionError
from engine.expression import evaluate, execute_script

#: CPython hashes integers modulo this prime: every multiple of it hashes to 0.
P = 2**61 - 1
COLLIDING_INTS = [[k * P, 0] for k in range(1, 12_000)]
COLLIDING_FLOATS = [[float(k) * 2.0**61, 0] for k in range(1, 12_000)]


@pytest.mark.parametrize(
    ("script", "variables"),
    [
        ("d = dict(pairs)", {"pairs": COLLIDING_INTS}),
        ("d = dict(pairs)", {"pairs": COLLIDING_FLOATS}),
        ("d = {pairs[0][0]: 1, pairs[1][0]: 2}", {"pairs": COLLIDING_INTS}),
        ("s = {pairs[0][0], pairs[1][0]}", {"pairs": COLLIDING_INTS}),
        ("d = {}\nd[pairs[5][0]] = 1", {"pairs": COLLIDING_INTS}),
        ("d = {(1, 2): 'tuple'}", {}),
        ("d = {1.5: 'float'}", {}),
    ],
    ids=["dict-ints", "dict-floats", "literal", "set", "item-assignment", "tuple-key", "float-key"],
)
def test_keys_with_chosen_hashes_are_refused(script: str, variables: dict[str, Any]) -> None:
    work = dict(variables)
    with pytest.raises(ExpressionError, match="cannot be a dict key or set item"):
        execute_script(script, work)
    assert "d" not in work and "s" not in work


def test_dict_needs_pairs() -> None:
    with pytest.raises(ExpressionError, match="pairs"):
        execute_script("d = dict(x)", {"x": [[1, 2, 3]]})


def test_text_small_numbers_booleans_and_none_are_still_keys() -> None:
    work: dict[str, Any] = {"pairs": [["a", 1], [2**60, 2], [-(2**60), 3], [True, 4], [None, 5]]}
    execute_script("d = dict(pairs)\nd['b'] = 6\ns = {1, 'x', None}", work)
    assert work["d"] == {"a": 1, 2**60: 2, -(2**60): 3, True: 4, None: 5, "b": 6}
    assert work["s"] == {1, "x", None}
    assert evaluate("{'a': 1, 2: 'b'}[2]", {}) == "b"
    # Large integers stay fine as values and in lists.
    assert evaluate("[x, x]", {"x": 5 * P}) == [5 * P, 5 * P]
